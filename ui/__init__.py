"""The page's Streamlit pieces, one module per job; ``app.py`` reads like the page and calls these.

- :mod:`ui.link`: the address bar <-> the session (seed once, follow Back and Forward, write).
- :mod:`ui.controls`: the sidebar's widgets, generated from the settings' specs, and the
  Experiment they build.
- :mod:`ui.steps`: a run's minibatches and learning-rate schedule.
- :mod:`ui.views`: the race player, the other figures, the results table, the update rules.
- :mod:`ui.sweeps`: the learning-rate sweep, the hyperparameter map and the basin maps.
- :mod:`ui.inspector`: the step inspector's view.
- :mod:`ui.component`: the page's one custom component (the player) and plotly.js for it.
- :mod:`ui.text`: the page's words in the reader's language; text from a link or a person,
  shown as text; a link's problems.
- :mod:`ui.lesson`: a lesson's text beside its race, and its question before the race plays.
- :mod:`ui.classroom`: a class that answers a lesson's question together: the teacher's button,
  code and live counts, a student's vote, the race shown to all when the teacher chooses.
- :mod:`ui.network`: the network page (the tutorial's own test): its sidebar, its comparison
  admitted, watched and cached, its figures and its verdict.
- :mod:`ui.guard`: an unexpected error, in the script or in a callback, becomes a short
  message and the last view drawn, never a traceback.
- :mod:`ui.state`: every session key the page builds (a run's widgets, a surface's parameters...),
  and a setting kept in the session, shown by a widget of the page's language.
- :mod:`ui.chrome`: the page's title, its language switch, and a projector's layout.
- :mod:`ui.work`: the page's work under the one budget (optviz.core.budget): admitted, reduced or
  refused with a line saying why, watched while it runs, taking turns when heavy; the results
  every visitor shares.
- :mod:`ui.launch`: the ``optviz`` command that ``pip install .`` makes (it starts Streamlit on
  app.py; the page never imports it).

The modules import each other one way, never in a circle (tests/test_layers.py): ui.text and
ui.work at the bottom, then ui.guard, ui.state and ui.component, the widgets, and ui.views at the top.

May import: optviz, optviz.draw, optviz.teach, optviz.study, optviz.settings, optviz.classroom, optviz.core, surfaces, optviz.text.

Data flows one way: the link seeds the widgets, the widgets build an Experiment, the
Experiment writes the link and is computed (cached), and the views show the result.
"""

from ui.chrome import header, page_style, projector_page, race_frame
from ui.controls import experiment_controls
from ui.guard import guarded, remember, say_failure
from ui.lesson import follow_class, lesson_text
from ui.link import follow_link, restore_last_good, seed_from_link, share_url, write_link
from ui.network import network_controls, network_link, network_page
from ui.state import on_network
from ui.text import plain, queued_problems, show_problems, words
from ui.views import export_panel, preload, race, show_view, view_picker
from ui.work import admitted_race, background_size, charge_surface, race_seconds, shading, trajectories

__all__ = [
    "admitted_race",
    "background_size",
    "charge_surface",
    "experiment_controls",
    "export_panel",
    "follow_class",
    "follow_link",
    "guarded",
    "header",
    "lesson_text",
    "network_controls",
    "network_link",
    "network_page",
    "on_network",
    "page_style",
    "plain",
    "preload",
    "projector_page",
    "queued_problems",
    "race",
    "race_frame",
    "race_seconds",
    "remember",
    "restore_last_good",
    "say_failure",
    "seed_from_link",
    "shading",
    "share_url",
    "show_problems",
    "show_view",
    "trajectories",
    "view_picker",
    "words",
    "write_link",
]
