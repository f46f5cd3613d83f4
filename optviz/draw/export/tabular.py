"""The trajectories as CSV: every step of every run, named in the page's language, safe in a spreadsheet.

Named so as not to shadow the standard library's :mod:`csv`, which it writes with."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from optviz.core.engine import Trajectory
from optviz.draw.export.rows import COLUMNS, step_rows
from optviz.settings import Experiment
from optviz.text import Words, axis_names

# A text cell that starts with one of these is a formula to a spreadsheet (OWASP's "CSV Injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A person's text (a run's name) as a CSV cell that a spreadsheet shows as written: a text
    a spreadsheet would read as a formula gets a leading ``'``, as OWASP advises.

    >>> csv_text("=1+1"), csv_text("@SUM(1)"), csv_text("Adam, lr 0.05")
    ("'=1+1", "'@SUM(1)", 'Adam, lr 0.05')
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_header(experiment: Experiment) -> list[str]:
    """The CSV's column names in the experiment's language (a data surface's x and y by what
    they are: slope and intercept), in :data:`COLUMNS` order."""
    words = Words(experiment.lang)
    x, y = axis_names(experiment.surface, experiment.lang)
    return [x if key == "x" else y if key == "y" else words(f"csv.{key}") for key in COLUMNS]


def trajectories_csv(experiment: Experiment, trajectories: Sequence[Trajectory]) -> str:
    """Every step of every run as CSV (:data:`COLUMNS`, named in the page's language); floats
    as ``repr``, exact; an empty cell where there is no value (the learning rate at step 0).

    Numbers stay numbers; a run's name goes through :func:`csv_text`. The text starts with a
    byte order mark, so that Excel reads it as UTF-8 (Chinese names and words are shown, not
    mangled, on a Chinese Windows).
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_header(experiment))
    for row in step_rows(experiment, trajectories):
        number, label, step = row[:3]
        writer.writerow([number, csv_text(label), step, *(repr(v) if math.isfinite(v) else "" for v in row[3:])])
    return out.getvalue()
