"""Running an Experiment: a race's results, and the sweeps and maps that run it many times.

- ``results``: a race run and summarised (where each run ended, when it arrived).
- ``sweeps``: learning-rate sweeps, hyperparameter maps and basin maps, batched.
- ``landscape``: a network's loss over a plane of its weights (filter-normalised or PCA), and
  every run's path projected onto it.

May import: optviz.settings, optviz.core, surfaces, optviz.text.
"""
