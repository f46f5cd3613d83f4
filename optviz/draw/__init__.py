"""The pictures: pure functions from an Experiment and its trajectories to what a browser draws.

- ``race``: the player's data (each run's arrays, the surface's shading, the player's words).
- ``figures``: the surface, the loss curves and the 3-D view, as Plotly figure dicts.
- ``sweep_figures``: the sweeps' curves and the maps.
- ``directions_figure``: convergence by direction: each run's error along the steep and the flat direction.
- ``landscape_figure``: a network's landscape as a race: the player's data, and each point's distance off the plane.
- ``export``: a race to keep: a standalone HTML player, CSV, JSON and an animated GIF.
- ``assets/``: the player itself (view.js, view.css), run in the browser.

May import: optviz.teach, optviz.study, optviz.settings, optviz.core, surfaces, optviz.text.
"""
