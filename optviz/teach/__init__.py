"""The teaching material beside the race: what a step does, what theory says, what a symbol means.

- ``inspector``: one step of one run taken apart: the gradient, the step, the state.
- ``theory``: the learning rates theory gives for a surface (1/L, 2/L, the heavy-ball rate).
- ``symbols``: every symbol of the update rules, with its meaning in the reader's language.
- ``directions``: a run's error along each eigen-direction of a quadratic, and theory's rate per step.

The lessons themselves are settings (a lesson is a link and a question): optviz.settings.

May import: optviz.study, optviz.settings, optviz.core, surfaces, optviz.text.
"""
