"""The settings table: one :class:`~optviz.core.specs.Spec` row per page setting, and a run's own.

Every setting is described once here; validation (:meth:`optviz.settings.experiment.Experiment.make`),
the link's writer and reader (:mod:`optviz.settings.link`), the sidebar's widgets and the tests'
strategies all come from these rows. A new page setting is one row of :data:`SETTINGS` and its
field on :class:`~optviz.settings.experiment.Experiment`. Their names and help on the page are in
the catalogs (``setting.<name>.title`` and ``.help``).
"""

from __future__ import annotations

from optviz.core.optimizers import OPTIMIZERS
from optviz.core.specs import Spec
from optviz.settings.lessons import LESSONS
from optviz.text import DEFAULT_LANGUAGE, LANGUAGES

MAX_RUNS = 10
SPEEDS = {"slow": 10, "normal": 100, "fast": 500}  # steps per second when the race plays

# The page settings: one row each.
STEPS = Spec("steps", 500, kind="int", low=1, high=5000, step=50)
TOLERANCE = Spec("tolerance", 1e-3, key="tol", low=1e-12, high=1e3, log=True)
SPEED = Spec("speed", "normal", kind="choice", choices=tuple(SPEEDS))
VIEW = Spec(
    "view",
    "loss",
    kind="choice",
    choices=("loss", "3d", "results", "rules", "inspect", "directions", "sweep", "map", "basins"),
)
# Parts of the page a projector's link hides (all: everything but the race and a lesson's text).
HIDE = Spec("hide", (), kind="choices", choices=("all", "sidebar", "header", "views", "export", "share"))
LANG = Spec("lang", DEFAULT_LANGUAGE, kind="choice", choices=tuple(LANGUAGES))
LESSON = Spec("lesson", "", kind="choice", choices=("", *LESSONS))
QUIZ = Spec("quiz", True, kind="bool")  # a lesson asks its question before the race plays
# A class answering a lesson's question together (optviz.classroom): its code, and on the teacher's
# page the key of the teacher link, on a student's the seat their vote is kept under (neither ever in
# a link the page shares: Experiment.public).
CLASS = Spec("class_code", "", kind="text", key="class", high=16)
TEACHER = Spec("teacher", "", kind="text", high=32)
SEAT = Spec("seat", "", kind="text", high=32)  # a student's own random key: one vote, kept across reloads
CLASSROOM = (CLASS, TEACHER, SEAT)  # a page's place in a class: kept and left together
PRIVATE = (TEACHER, SEAT)  # what only the page's own link carries, never a link it hands on
# The sweep (and a map's learning-rate axis): its range and how many learning rates.
# Within the learning rates a run can take: a click on any point of a sweep gives the run that rate.
SWEEP_FROM = Spec("sweep_from", 1e-4, low=1e-5, high=10.0, log=True)
SWEEP_TO = Spec("sweep_to", 1.0, low=1e-5, high=10.0, log=True)
SWEEP_COUNT = Spec("sweep_n", 60, kind="int", low=50, high=200, step=10)
# The hyperparameter map: whose (a run's number), over which two hyperparameters, of what, how fine.
MAP_AXES = tuple(
    dict.fromkeys(
        part.name
        for optimizer in OPTIMIZERS.values()
        for hp in optimizer.hyperparameters
        for part in hp.parts or (hp,)
        if part.kind == "float"
    )
)
MAP_RUN = Spec("map_run", 1, kind="int", low=1, high=MAX_RUNS)
MAP_X = Spec("map_x", "lr", kind="choice", choices=MAP_AXES)
MAP_Y = Spec("map_y", "momentum", kind="choice", choices=MAP_AXES)
MAP_OF = Spec("map_of", "steps", kind="choice", choices=("steps", "loss"))
MAP_COUNT = Spec("map_n", 40, kind="int", low=10, high=100, step=5)
# The basin map: cells a side.
BASIN_COUNT = Spec("basin_n", 100, kind="int", low=10, high=200, step=10)
# Gradient noise for every run (the same draws for all: common random numbers), and the seed
# of the noise and of the minibatches' order.
NOISE = Spec("noise", 0.0, low=0.0, high=1e6, ui_high=20.0, step=0.1)
SEED = Spec("seed", 0, kind="int", low=0, high=99_999)
# How the race looks: contour lines on the surface's shading; no race that plays by itself
# (the browser's own "reduce motion" asks for that too).
CONTOURS = Spec("contours", True, kind="bool")
STILL = Spec("still", False, kind="bool")
# The forces at every run's head while the race plays: the step, the gradient, the velocity,
# and the effective step sizes of the adaptive rules (the player's arrow button).
FORCES = Spec("forces", False, kind="bool")
# The convergence by direction: each error signed (the zig-zag is a sign flip), or its size on a log axis.
DIRECTIONS_LOG = Spec("directions_log", False, kind="bool")
# The loss chart's x axis: steps, or gradient evaluations (the fair axis where a run makes several a step: LBFGS).
LOSS_X = Spec("loss_x", "step", kind="choice", choices=("step", "grad_evals"))
SETTINGS: tuple[Spec, ...] = (
    *(STEPS, TOLERANCE, SPEED, CONTOURS, STILL, FORCES, VIEW, HIDE, LANG, LESSON, QUIZ, CLASS, TEACHER, SEAT),
    *(DIRECTIONS_LOG, LOSS_X),
    *(SWEEP_FROM, SWEEP_TO, SWEEP_COUNT, MAP_RUN, MAP_X, MAP_Y, MAP_OF, MAP_COUNT, BASIN_COUNT),
    *(NOISE, SEED),
)

# A run's own settings besides its optimizer's: a name of the person's choosing, and the colour
# (and marker) it keeps for its whole life, 1 to MAX_RUNS in a link.
NAME = Spec("name", "", kind="text", high=40)
COLOUR = Spec("colour", 1, kind="int", low=1, high=MAX_RUNS)
# On a data surface, the rows per minibatch (the whole data set when absent: gradient descent).
BATCH = Spec("batch", 1, kind="int", low=1, high=100_000)
# A learning-rate schedule, written as schedule=name:argument=value:... (optviz.core.schedules).
SCHEDULE = Spec("schedule", "", kind="text", high=200)
