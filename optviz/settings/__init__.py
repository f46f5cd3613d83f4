"""What a page is and how a link says it: the settings layer.

- :mod:`optviz.settings.table`: the settings table, one :class:`~optviz.core.specs.Spec` row per
  page setting (:data:`SETTINGS`) and per run setting (name, colour, batch, schedule).
- :mod:`optviz.settings.experiment`: the frozen records, :class:`Experiment` and :class:`Run`,
  their validation and the classic runs.
- :mod:`optviz.settings.link`: reading (:func:`parse`, never raising) and writing
  (:func:`to_query`, :func:`query_string`) a link, and each lesson's experiment from its link.
- :mod:`optviz.settings.presets`: the runs offered ready-made.
- :mod:`optviz.settings.lessons`: the lessons as data (``lessons.toml``).

This layer imports only from lower ones, never from optviz.study, optviz.teach, optviz.draw or ui,
and never streamlit.

May import: optviz.core, surfaces, optviz.text.
"""

from optviz.settings.experiment import (
    DEFAULT,
    DEFAULT_RUNS,
    VERSION,
    VERSIONS,
    Experiment,
    Run,
    default_runs,
    normalise_slots,
    run_setup,
    runnable,
)
from optviz.settings.link import (
    LINK_KEYS,
    MAX_QUERY_VALUE,
    lesson_experiment,
    on_lesson,
    parse,
    query_string,
    refusal,
    run_text,
    to_query,
)
from optviz.settings.presets import PRESETS, presets
from optviz.settings.table import (
    BASIN_COUNT,
    BATCH,
    COLOUR,
    CONTOURS,
    DIRECTIONS_LOG,
    FORCES,
    HIDE,
    LANG,
    LESSON,
    MAP_AXES,
    MAP_COUNT,
    MAP_OF,
    MAP_RUN,
    MAP_X,
    MAP_Y,
    MAX_RUNS,
    NAME,
    NOISE,
    QUIZ,
    SCHEDULE,
    SEED,
    SETTINGS,
    SPEED,
    SPEEDS,
    STEPS,
    STILL,
    SWEEP_COUNT,
    SWEEP_FROM,
    SWEEP_TO,
    TOLERANCE,
    VIEW,
)

__all__ = [
    "BASIN_COUNT",
    "BATCH",
    "COLOUR",
    "CONTOURS",
    "DEFAULT",
    "DEFAULT_RUNS",
    "DIRECTIONS_LOG",
    "FORCES",
    "HIDE",
    "LANG",
    "LESSON",
    "LINK_KEYS",
    "MAP_AXES",
    "MAP_COUNT",
    "MAP_OF",
    "MAP_RUN",
    "MAP_X",
    "MAP_Y",
    "MAX_QUERY_VALUE",
    "MAX_RUNS",
    "NAME",
    "NOISE",
    "PRESETS",
    "QUIZ",
    "SCHEDULE",
    "SEED",
    "SETTINGS",
    "SPEED",
    "SPEEDS",
    "STEPS",
    "STILL",
    "SWEEP_COUNT",
    "SWEEP_FROM",
    "SWEEP_TO",
    "TOLERANCE",
    "VERSION",
    "VERSIONS",
    "VIEW",
    "Experiment",
    "Run",
    "default_runs",
    "lesson_experiment",
    "normalise_slots",
    "on_lesson",
    "parse",
    "presets",
    "query_string",
    "refusal",
    "run_setup",
    "run_text",
    "runnable",
    "to_query",
]
