"""Exports of a race: a standalone HTML player, the trajectories as CSV and JSON, an animated GIF.

Pure functions of (Experiment, trajectories, ...): no Streamlit, no browser, no network.

* :func:`race_html` is one HTML file that plays offline, opened from disk: the page's own player
  (``assets/view.js`` and ``view.css``) with plotly.js's basic bundle and every run's arrays
  inlined. view.js ends in ``export default function (component)``; the file holds it in a
  ``<script type="module">`` with that line rewritten to a named function (``optvizView``),
  which a shim at the end of the same module calls with ``{data, parentElement,
  setStateValue() {}, setTriggerValue() {}}``, the arguments Streamlit gives it. plotly.js is
  a classic ``<script>`` before it, and the Plotly it makes is registered in
  ``window.__optvizPlotly`` under a sentinel address (:data:`PLOTLY_SENTINEL`) that the player
  is given as ``plotly_url``: view.js's ``loadPlotly`` finds it there and never adds a
  ``<script src>``. It draws with the page's one plotly.js config
  (:data:`optviz.draw.figures.PLOTLY_CONFIG`: no "Share chart" button, no logo). Light theme: no Streamlit CSS variables exist there, so view.css's fallbacks
  apply.
* :func:`trajectories_csv` and :func:`trajectories_json`: every step of every run, floats
  written with ``repr`` (they parse back to the same float64); in the CSV, no run's name is
  a formula to a spreadsheet (:func:`csv_text`).
* :func:`race_gif`: the race as an animated GIF drawn with Pillow (which comes with Streamlit),
  laid out like the page: the shaded surface, the start and the minima, each run's faint whole
  path, its path up to the frame's step and its head, and "step k of N". Frames are drawn,
  quantised and written a few at a time (:class:`GifStream`), never all kept.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import surfaces
from optviz.core import budget
from optviz.core.budget import checkpoint
from optviz.core.engine import Trajectory
from optviz.draw import race as race_data
from optviz.draw.figures import PLOTLY_CONFIG, background
from optviz.draw.race import Shading, player_text
from optviz.settings import SPEEDS, Experiment, query_string
from optviz.settings.lessons import LESSONS
from optviz.text import DEFAULT_LANGUAGE, Words, axis_names, plotly_locale

PLOTLY_SENTINEL = "optviz:inline/plotly-basic.min.js"  # never fetched: registered before the player runs
# Every step of every run: where it is, f and f − f* there, the learning rate of the step that
# arrived there (none at the start; a schedule's own rate at each step), and the gradient there.
COLUMNS = ("run", "label", "step", "x", "y", "loss", "gap", "lr", "grad_x", "grad_y")
_EXPORT_MARK = "export default function"


# ------------------------------------------------------------------------------ HTML


def race_data_for_export(experiment: Experiment, trajectories: Sequence[Trajectory], shading: Shading) -> dict:
    """The player's data (as ui/views.py's ``race`` builds it), with every run's arrays included."""
    _check(experiment, trajectories)
    surf = experiment.build_surface()
    runs = [
        {
            "id": race_data.run_id(experiment, run),
            "label": label,
            "colour": race_data.colour(slot),
            "symbol": slot,
            "diverged_at": trajectory.diverged_at,
            "arrays": race_data.run_arrays(trajectory),
        }
        for run, label, slot, trajectory in zip(
            experiment.runs, experiment.labels(), experiment.slots(), trajectories, strict=True
        )
    ]
    return {
        "kind": "race",
        "plotly_url": PLOTLY_SENTINEL,
        "config": PLOTLY_CONFIG,
        "locale": plotly_locale(experiment.lang),
        "race": race_data.race_id(experiment),
        "steps": experiment.steps,
        "speed": SPEEDS[experiment.speed],
        "start": list(experiment.start),
        "scene": race_data.scene(surf, shading),
        "runs": runs,
        "projector": False,
        "still": experiment.still,
        "text": player_text(experiment.lang),
    }


def _script_text(text: str) -> str:
    """Text safe inside a <script> element: no "</script" (nor "<!--") can end it early."""
    return text.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")


def race_html(
    experiment: Experiment, trajectories: Sequence[Trajectory], shading: Shading, *, base_url: str = ""
) -> str:
    """One standalone HTML file that plays the race offline, with no server; its link is the
    page's full address when ``base_url`` gives the server's.

    A lesson asking its question (``quiz``) is handed out as it is taught: its text, its
    question and choices, and a race that waits at its start; a choice locked in says whether
    it was right, explains, and plays the race (predict, then see), all in the file.
    """
    data = race_data_for_export(experiment, trajectories, shading)
    lesson = _lesson_block(experiment)
    if lesson:
        data |= {"hold": Words(experiment.lang)("lesson.hold"), "initial_step": "start"}
    view_js = (race_data.ASSETS / "view.js").read_text(encoding="utf-8")
    if view_js.count(_EXPORT_MARK) != 1:
        msg = f"view.js must have exactly one {_EXPORT_MARK!r} for the export's shim"
        raise RuntimeError(msg)
    view_js = view_js.replace(_EXPORT_MARK, "function optvizView")
    view_css = (race_data.ASSETS / "view.css").read_text(encoding="utf-8")
    plotly_js = (race_data.ASSETS / "vendor" / "plotly-basic.min.js").read_text(encoding="utf-8")
    # JSON in a data block: "<" escaped, so no text in it (a run's name) can close the element.
    data_json = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    words = Words(experiment.lang)
    title = f"optviz — {words(f'surface.{experiment.surface}.title')}"
    link = (base_url.rstrip("/") + "/" if base_url else "") + "?" + query_string(experiment)
    shim = f"""
// ---- optviz export: call the player as Streamlit would, with everything already here.
window.__optvizPlotly = window.__optvizPlotly || new Map();
window.__optvizPlotly.set({json.dumps(PLOTLY_SENTINEL)}, Promise.resolve(window.Plotly));
const exportData = JSON.parse(document.getElementById("optviz-data").textContent);
optvizView({{
  data: exportData,
  parentElement: document.getElementById("optviz"),
  setStateValue() {{}},
  setTriggerValue() {{}},
}});
// A lesson's answer: say whether it was right, explain, and let the race play.
const check = document.getElementById("optviz-check");
if (check) {{
  const choices = [...document.querySelectorAll("input[name=optviz-choice]")];
  choices.forEach((c) => c.addEventListener("change", () => {{ check.disabled = false; }}));
  check.addEventListener("click", () => {{
    const chosen = choices.findIndex((c) => c.checked);
    if (chosen < 0) return;
    const answer = Number(check.dataset.answer);
    document.getElementById(chosen === answer ? "optviz-right" : "optviz-wrong").hidden = false;
    document.getElementById("optviz-explanation").hidden = false;
    choices.forEach((c) => {{ c.disabled = true; }});
    check.disabled = true;
    optvizView({{
      data: {{ ...exportData, hold: null, autoplay: true }},
      parentElement: document.getElementById("optviz"),
      setStateValue() {{}},
      setTriggerValue() {{}},
    }});
  }});
}}
"""
    return f"""<!DOCTYPE html>
<html lang="{experiment.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{html.escape(title)}</title>
<style>
html, body {{ background: #ffffff; color: #31333F; }}
body {{ margin: 0; padding: 16px 24px; font-family: sans-serif; }}
h1 {{ font-size: 1.4rem; margin: 0 0 4px; }}
.optviz-link {{ font-size: 0.8rem; opacity: 0.7; margin: 0 0 12px; overflow-wrap: anywhere; }}
.optviz-lesson {{ max-width: 60rem; margin: 0 0 12px; line-height: 1.5; }}
.optviz-lesson label {{ display: block; margin: 4px 0; }}
.optviz-lesson button {{ margin: 8px 0; padding: 6px 14px; font: inherit; }}
.optviz-verdict {{ font-weight: 600; }}
</style>
<style>
{view_css}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{lesson}<p class="optviz-link">{html.escape(words("export.link"))} <code>{html.escape(link)}</code></p>
<div id="optviz"></div>
<script type="application/json" id="optviz-data">{data_json}</script>
<script>
{_script_text(plotly_js)}
</script>
<script type="module">
{_script_text(view_js + shim)}
</script>
</body>
</html>
"""


# ------------------------------------------------------------------------------ CSV and JSON


def _check(experiment: Experiment, trajectories: Sequence[Trajectory]) -> None:
    if len(trajectories) != len(experiment.runs):
        msg = f"expected {len(experiment.runs)} trajectories (one per run), got {len(trajectories)}"
        raise ValueError(msg)
    for t in trajectories:
        if t.batched:
            msg = "a batched trajectory cannot be exported: one trajectory per run"
            raise ValueError(msg)


def _rows(experiment: Experiment, trajectories: Sequence[Trajectory]):
    """The :data:`COLUMNS` of every step of every run; run counts from 1, lr is NaN at step 0."""
    _check(experiment, trajectories)
    f_star = experiment.build_surface().f_star
    for number, (run, label, t) in enumerate(
        zip(experiment.runs, experiment.labels(), trajectories, strict=True), start=1
    ):
        lr = float(run.values()["lr"])
        rates = [lr] * experiment.steps if run.schedule is None else run.schedule.lrs(lr, experiment.steps)
        for step in range(t.points.shape[0]):
            if not step & 1023:
                checkpoint()
            yield (
                number,
                label,
                step,
                float(t.points[step, 0]),
                float(t.points[step, 1]),
                float(t.losses[step]),
                float(t.losses[step]) - f_star,
                float(rates[step - 1]) if step else math.nan,
                float(t.grads[step, 0]),
                float(t.grads[step, 1]),
            )


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
    for row in _rows(experiment, trajectories):
        number, label, step = row[:3]
        writer.writerow([number, csv_text(label), step, *(repr(v) if math.isfinite(v) else "" for v in row[3:])])
    return out.getvalue()


def _json_float(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no NaN or infinity


def trajectories_json(experiment: Experiment, trajectories: Sequence[Trajectory]) -> str:
    """The experiment's link, its runs, and every step of every run (rows in :data:`COLUMNS` order).

    Floats are written as Python's ``repr`` writes them (exact); a non-finite value is null.
    """
    runs = [
        {
            "run": number,
            "label": label,
            "optimizer": run.optimizer,
            "hyperparameters": dict(run.values()),
            "colour": race_data.colour(slot),
            "diverged_at": t.diverged_at,
        }
        for number, (run, label, slot, t) in enumerate(
            zip(experiment.runs, experiment.labels(), experiment.slots(), trajectories, strict=True), start=1
        )
    ]
    document = {
        "format": "optviz-trajectories",
        "version": 2,  # 2: f − f* and the learning rate of each step
        "link": "?" + query_string(experiment),
        "surface": experiment.surface,
        "surface_params": dict(experiment.surface_params),
        "start": list(experiment.start),
        "steps": experiment.steps,
        "f_star": experiment.build_surface().f_star,
        "runs": runs,
        "columns": list(COLUMNS),
        "rows": [[*row[:3], *(_json_float(v) for v in row[3:])] for row in _rows(experiment, trajectories)],
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


# ------------------------------------------------------------------------------ GIF

_SUPERSAMPLE = 2  # drawn at twice the size, then reduced: smooth lines and markers
# The fonts the GIF is drawn in, by language: the first one found. A language's own fonts come
# first; where none of them is installed, the GIF is worded in English (see race_gif).
_FONT_FILES = {
    "en": ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "zh": (
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/System/Library/Fonts/PingFang.ttc",
        "/System/Library/Fonts/STHeiti Light.ttc",
        "C:/Windows/Fonts/msyh.ttc",
        "C:/Windows/Fonts/simhei.ttf",
        "NotoSansCJK-Regular.ttc",
        "msyh.ttc",
    ),
}
_PAGE_TEXT = (49, 51, 63)  # the page's text colour (#31333F)
_FRAME_GREY = (160, 160, 160)


def font_file(lang: str) -> str | None:
    """The first font of ``lang`` that this machine has, or None."""
    for name in _FONT_FILES.get(lang, ()):
        try:
            ImageFont.truetype(name, 12)
        except OSError:
            continue
        return name
    return None


def _font(lang: str, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = font_file(lang)
    if name is None:
        return ImageFont.load_default(size=max(1, round(size)))
    return ImageFont.truetype(name, max(1, round(size)))


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class GifLayout:
    """Where things go in the GIF (in its own pixels): the caption, the plot, the runs' list.

    ``pixel(x, y)`` is where the data point (x, y) is drawn; north is up, like the page.
    """

    def __init__(
        self, surf: surfaces.Surface, size: tuple[int, int], runs: int, zoom: int = 1, *, columns: int | None = None
    ) -> None:
        width, height = size
        self.zoom = zoom
        self.k = k = self.scale(size, zoom)  # text, lines and markers grow with the picture
        self.width, self.height = width * zoom, height * zoom
        # the surface's shape: its own, or a square (and a note under the caption) as on the page
        aspect, self.stretch = race_data.drawn_aspect(surf)
        self.caption_height = round((34 if self.stretch is None else 70) * k)
        # two columns of runs where their names fit (``columns``), one where they would be cut
        self.legend_columns = columns or (1 if runs <= 3 else 2)
        self.legend_row = round(22 * k)
        legend_rows = -(-runs // self.legend_columns)
        self.legend_height = round(legend_rows * self.legend_row + 10 * k)
        pad = round(10 * k)
        # the axes' numbers left of and under the plot, and their names beyond them
        self.axis_left, self.axis_bottom = round(62 * k), round(44 * k)
        room_w = self.width - 2 * pad - self.axis_left
        room_h = self.height - self.caption_height - self.legend_height - 2 * pad - self.axis_bottom
        (x0, x1), (y0, y1) = surf.domain
        plot_w = min(room_w, room_h * aspect)
        plot_h = plot_w / aspect
        if plot_w < 8 or plot_h < 8:
            msg = f"a GIF of size {size} leaves no room for the race"
            raise ValueError(msg)
        self.left = round(pad + self.axis_left + (room_w - plot_w) / 2)
        self.top = round(self.caption_height + pad + (room_h - plot_h) / 2)
        self.plot_w, self.plot_h = round(plot_w), round(plot_h)
        self.domain = ((x0, x1), (y0, y1))
        self.legend_top = self.top + self.plot_h + self.axis_bottom + pad

    @staticmethod
    def scale(size: tuple[int, int], zoom: int = 1) -> float:
        """How large text and lines are drawn: 1 at 640 pixels."""
        return min(size) / 640 * zoom

    def pixels(self, xy: np.ndarray) -> np.ndarray:
        """Points (n, 2) in data units -> (n, 2) pixels, kept within far bounds (no overflow)."""
        (x0, x1), (y0, y1) = self.domain
        px = self.left + (np.asarray(xy[:, 0], dtype=float) - x0) / (x1 - x0) * self.plot_w
        py = self.top + (y1 - np.asarray(xy[:, 1], dtype=float)) / (y1 - y0) * self.plot_h
        out = np.stack([px, py], axis=-1)
        limit = 50.0 * max(self.width, self.height)
        return np.nan_to_num(out, nan=-limit, posinf=limit, neginf=-limit).clip(-limit, limit)

    def pixel(self, x: float, y: float) -> tuple[float, float]:
        px, py = self.pixels(np.array([[x, y]], dtype=float))[0]
        return float(px), float(py)

    def inside(self, p: np.ndarray, pad: float = 0.0) -> bool:
        return bool(
            self.left + pad <= p[0] <= self.left + self.plot_w - pad
            and self.top + pad <= p[1] <= self.top + self.plot_h - pad
        )


def _shape(draw: ImageDraw.ImageDraw, symbol: str, x: float, y: float, r: float, *, fill, outline, width: int) -> None:
    """A marker as the player draws it (view.js's ``shape``)."""

    def poly(n: int, rot: float, rr: float) -> list[tuple[float, float]]:
        return [
            (x + rr * math.cos(rot + 2 * math.pi * i / n), y + rr * math.sin(rot + 2 * math.pi * i / n))
            for i in range(n)
        ]

    def cross(angle: float, rr: float) -> list[tuple[float, float]]:
        w = rr * 0.42
        corners = [(-w, -rr), (w, -rr), (w, -w), (rr, -w), (rr, w), (w, w), (w, rr), (-w, rr), (-w, w), (-rr, w)]
        corners += [(-rr, -w), (-w, -w)]
        c, s = math.cos(angle), math.sin(angle)
        return [(x + a * c - b * s, y + a * s + b * c) for a, b in corners]

    if symbol == "square":
        points = [(x - r * 0.85, y - r * 0.85), (x + r * 0.85, y - r * 0.85), (x + r * 0.85, y + r * 0.85)]
        points.append((x - r * 0.85, y + r * 0.85))
    elif symbol == "diamond":
        points = poly(4, 0, r * 1.15)
    elif symbol == "triangle-up":
        points = poly(3, -math.pi / 2, r * 1.2)
    elif symbol == "triangle-down":
        points = poly(3, math.pi / 2, r * 1.2)
    elif symbol == "pentagon":
        points = poly(5, -math.pi / 2, r * 1.05)
    elif symbol == "hexagon":
        points = poly(6, 0, r * 1.05)
    elif symbol == "star":
        points = [
            (
                x + (r * 0.5 if i % 2 else r * 1.25) * math.cos(-math.pi / 2 + math.pi * i / 5),
                y + (r * 0.5 if i % 2 else r * 1.25) * math.sin(-math.pi / 2 + math.pi * i / 5),
            )
            for i in range(10)
        ]
    elif symbol == "cross":
        points = cross(0.0, r)
    elif symbol == "x":
        points = cross(math.pi / 4, r * 1.1)
    else:
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill, outline=outline, width=width)
        return
    draw.polygon(points, fill=fill, outline=outline, width=width)


def _polyline(draw: ImageDraw.ImageDraw, points: np.ndarray, colour, width: int, layout: GifLayout) -> None:
    """A path; segments far outside the picture are clipped to it first (Liang–Barsky)."""
    if len(points) < 2:
        return
    margin = 4.0 * width
    lo = np.array([-margin, -margin])
    hi = np.array([layout.width + margin, layout.height + margin])
    if np.all((points >= lo) & (points <= hi)):
        draw.line([tuple(p) for p in points], fill=colour, width=width, joint="curve")
        return
    p0, p1 = points[:-1], points[1:]
    d = p1 - p0
    t0, t1 = np.zeros(len(d)), np.ones(len(d))
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis in (0, 1):
            for p, q in ((-d[:, axis], p0[:, axis] - lo[axis]), (d[:, axis], hi[axis] - p0[:, axis])):
                r = q / p
                parallel = p == 0
                t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
                t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
                t1 = np.where(parallel & (q < 0), -1.0, t1)
    for a, b, s, e in zip(p0, d, t0, t1, strict=True):
        if s <= e:
            draw.line([tuple(a + s * b), tuple(a + e * b)], fill=colour, width=width)


def _edge_point(layout: GifLayout, points: np.ndarray, diverged_at: int) -> tuple[float, float]:
    """Where a diverged run left the frame (view.js's ``edgePoint``)."""
    k = diverged_at - 1
    b = points[max(k - 1, 0)]
    p = points[k]
    pad = 10 * layout.k
    if layout.inside(p, pad):
        return float(p[0]), float(p[1])
    left, top = layout.left + pad, layout.top + pad
    right, bottom = layout.left + layout.plot_w - pad, layout.top + layout.plot_h - pad
    dx, dy = p[0] - b[0], p[1] - b[1]
    t = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if p[0] < left:
            t = min(t, (left - b[0]) / dx)
        if p[0] > right:
            t = min(t, (right - b[0]) / dx)
        if p[1] < top:
            t = min(t, (top - b[1]) / dy)
        if p[1] > bottom:
            t = min(t, (bottom - b[1]) / dy)
    if not math.isfinite(t) or t < 0:
        t = 0.0
    return float(min(max(b[0] + t * dx, left), right)), float(min(max(b[1] + t * dy, top), bottom))


def _format_loss(v: float) -> str:
    """view.js's ``formatLoss``: four significant digits, exponent form when small or large."""
    if not math.isfinite(v):
        return "—"
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        mantissa, exponent = f"{v:.3e}".split("e")
        return f"{mantissa}e{int(exponent):+d}"
    return f"{v:#.4g}".rstrip(".")


MAX_FRAMES = 300  # the most frames a GIF shows
FEWEST_FRAMES = 10  # a GIF with fewer would not show a race: the budget refuses it instead


def gif_frames(runs: int, seconds: float = budget.SECONDS) -> int:
    """The most frames, up to MAX_FRAMES, that a GIF of ``runs`` runs may have within ``seconds``
    of work by the budget's measured costs (optviz.core.budget); 0 when not even FEWEST_FRAMES fit."""
    per_frame = budget.cost("gif", "frame") + runs * budget.cost("gif", "run_frame")
    return budget.Budget(seconds).most(MAX_FRAMES, lambda n: n * per_frame, least=FEWEST_FRAMES)


def gif_seconds(runs: int, frames: int) -> float:
    """The estimate of a GIF of ``runs`` runs and ``frames`` frames."""
    return frames * (budget.cost("gif", "frame") + runs * budget.cost("gif", "run_frame"))


def frame_steps(steps: int, *, steps_per_frame: int | None = None, max_frames: int = MAX_FRAMES) -> list[int]:
    """The steps the GIF shows: evenly spaced from 0, always ending on ``steps``, at most ``max_frames``.

    >>> frame_steps(10, max_frames=4)
    [0, 3, 7, 10]
    >>> frame_steps(10, steps_per_frame=4)
    [0, 4, 8, 10]
    """
    if not isinstance(max_frames, int) or max_frames < 2:
        msg = f"Invalid max_frames: {max_frames!r} (at least 2)"
        raise ValueError(msg)
    if steps_per_frame is not None:
        if not isinstance(steps_per_frame, int) or steps_per_frame < 1:
            msg = f"Invalid steps_per_frame: {steps_per_frame!r} (a whole number, at least 1)"
            raise ValueError(msg)
        chosen = [*range(0, steps, steps_per_frame), steps]
        if len(chosen) <= max_frames:
            return chosen
    count = min(steps + 1, max_frames)
    return sorted({round(v) for v in np.linspace(0, steps, count)})


def race_gif(
    experiment: Experiment,
    trajectories: Sequence[Trajectory],
    surf: surfaces.Surface,
    *,
    size: tuple[int, int] = (640, 640),
    fps: float = 20,
    steps_per_frame: int | None = None,
    max_frames: int = MAX_FRAMES,
) -> bytes:
    """The race as an animated GIF (looping), drawn with Pillow: no browser needed.

    Frames show the steps of :func:`frame_steps` (``steps_per_frame`` apart, or evenly spaced
    when None; never more than ``max_frames``; always the last step); each lasts ``1/fps``
    seconds (GIF counts in hundredths), the last one a second and a half more. Its words are
    in the experiment's language where this machine has a font for it, else in English.
    """
    _check(experiment, trajectories)
    if not (
        isinstance(size, tuple | list) and len(size) == 2 and all(isinstance(v, int) and 64 <= v <= 4096 for v in size)
    ):
        msg = f"Invalid size: {size!r} (width and height, whole numbers from 64 to 4096)"
        raise ValueError(msg)
    if not isinstance(fps, int | float) or not 1 <= fps <= 50:
        msg = f"Invalid fps: {fps!r} (from 1 to 50)"
        raise ValueError(msg)
    if font_file(experiment.lang) is None:  # no font for its script here: the GIF speaks English
        experiment = replace(experiment, lang=DEFAULT_LANGUAGE)
    painter = _GifPainter(experiment, trajectories, surf, (size[0], size[1]))
    shown = frame_steps(painter.steps, steps_per_frame=steps_per_frame, max_frames=max_frames)
    # The palette comes from the last frame (which holds everything ever drawn); the frames
    # are then drawn again from the first, each quantised and written as soon as it is made.
    palette = _palette(painter.last_frame(shown), painter.colours)
    painter.restart()
    duration = max(10, round(1000 / fps / 10) * 10)
    out = io.BytesIO()
    writer = GifStream(out, loop=0)
    for index, step in enumerate(shown):
        checkpoint()  # a GIF is long work: stopped past its budget (optviz.core.budget)
        frame = painter.frame(step).quantize(palette=palette, dither=Image.Dither.NONE)
        writer.add(frame, duration + (1500 if index == len(shown) - 1 else 0))
    writer.close()
    return out.getvalue()


class GifStream:
    """An animated GIF written a few frames at a time, with the bytes that Pillow's own writer
    gives for the whole list of frames (``save(save_all=True, append_images=...)``).

    Pillow's writer keeps every frame until the end (a frame the same as the one before only
    lengthens that one); each later frame is written as the rectangle where it differs from
    the frame before. So frames are handed to it in groups of :attr:`GROUP`, each group after
    the first led by the last frame of the group before (which the rest are measured
    against); the leading frame's own block is dropped, the time it gives that frame is kept,
    and the last block of each group waits for the next (which may lengthen it). Frames are
    "P" images of one size; durations in milliseconds (GIF counts hundredths).
    """

    GROUP = 16

    def __init__(self, out: io.BytesIO, *, loop: int = 0) -> None:
        self.out, self.loop = out, loop
        self.frames: list[Image.Image] = []  # not yet handed to Pillow
        self.durations: list[int] = []
        self.last: tuple[Image.Image, int] | None = None  # the last frame handed over, and its time so far
        self.held: bytes | None = None  # that frame's block, not yet written

    def add(self, frame: Image.Image, duration: int) -> None:
        if not (isinstance(duration, int) and duration >= 10):
            msg = f"Invalid duration: {duration!r} (whole milliseconds, at least 10)"
            raise ValueError(msg)
        self.frames.append(frame)
        self.durations.append(duration)
        if len(self.frames) >= self.GROUP:
            self._flush(closing=False)

    def close(self) -> None:
        """Write what is left and the end of the file."""
        self._flush(closing=True)
        if self.held is not None:
            self.out.write(self.held)
        self.out.write(b";")

    def _flush(self, *, closing: bool) -> None:
        if not self.frames:
            return
        frames, durations = self.frames, self.durations
        if self.last is not None:
            frames, durations = [self.last[0], *frames], [self.last[1], *durations]
        written = io.BytesIO()
        frames[0].save(
            written, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=self.loop
        )
        header, blocks = _gif_blocks(written.getvalue())
        if self.last is None and len(blocks) == 1 and not closing:
            # Every frame so far is the same picture, which Pillow writes as a still: wait for another.
            self.frames, self.durations = [frames[0]], [sum(durations)]
            return
        if self.last is None:
            self.out.write(header)
        else:
            self.held = _with_hundredths(self.held, _hundredths(blocks[0]))
            blocks = blocks[1:]
        if blocks:
            if self.held is not None:
                self.out.write(self.held)
            self.out.write(b"".join(blocks[:-1]))
            self.held = blocks[-1]
        self.last = (frames[-1], 10 * _hundredths(self.held))
        self.frames, self.durations = [], []


def _gif_blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """A GIF file's header (signature, screen, global colours and the extensions before the
    first frame) and each frame's bytes (its graphic control extension and its image)."""
    at = 13
    if data[10] & 0x80:  # a global colour table
        at += 3 << ((data[10] & 7) + 1)
    blocks: list[bytes] = []
    header_end, frame_start = None, None
    while data[at] != 0x3B:  # the trailer
        begin = at
        if data[at] == 0x21:  # an extension: its label, then sub-blocks
            label = data[at + 1]
            at = _after_sub_blocks(data, at + 2)
            if label == 0xF9 and frame_start is None:  # a frame's graphic control
                frame_start = begin
            continue
        # an image: descriptor, local colours, the LZW code size, then sub-blocks
        flags = data[at + 9]
        at += 10 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
        at = _after_sub_blocks(data, at + 1)
        first = begin if frame_start is None else frame_start
        if header_end is None:
            header_end = first
        blocks.append(data[first:at])
        frame_start = None
    return data[:header_end], blocks


def _after_sub_blocks(data: bytes, at: int) -> int:
    while data[at]:
        at += data[at] + 1
    return at + 1


def _hundredths(block: bytes) -> int:
    """How long a frame shows (its graphic control extension's delay), in hundredths of a second."""
    if block[:2] != b"\x21\xf9":
        msg = "a GIF frame without a delay"
        raise ValueError(msg)
    return int.from_bytes(block[4:6], "little")


def _with_hundredths(block: bytes, hundredths: int) -> bytes:
    return block[:4] + hundredths.to_bytes(2, "little") + block[6:]


class _GifPainter:
    """Draws the GIF's frames in step order; each run's path grows from the previous frame's."""

    def __init__(
        self, experiment: Experiment, trajectories: Sequence[Trajectory], surf: surfaces.Surface, size: tuple[int, int]
    ) -> None:
        self.size = size
        self.labels = experiment.labels()
        self.words = Words(experiment.lang)
        k = GifLayout.scale(size, _SUPERSAMPLE)
        self.font = _font(experiment.lang, 16 * k)
        self.small = _font(experiment.lang, 13 * k)
        self.layout = layout = GifLayout(
            surf, size, len(trajectories), _SUPERSAMPLE, columns=self._columns(size[0] * _SUPERSAMPLE, k)
        )
        self.k = layout.k
        self.trajectories = trajectories
        self.title = self.words(f"surface.{experiment.surface}.title")
        self.axes = axis_names(experiment.surface, experiment.lang)
        self.colours = [_rgb(race_data.colour(slot)) for slot in experiment.slots()]
        self.symbols = [race_data.symbol(slot) for slot in experiment.slots()]
        self.paths = [layout.pixels(t.points) for t in trajectories]
        self.steps = max((t.steps for t in trajectories), default=experiment.steps)
        self.legend_w = (layout.width - 2 * round(10 * self.k)) / layout.legend_columns
        self.base = self.still(experiment, surf)
        self.restart()

    def _columns(self, width: float, k: float) -> int:
        """Two columns of runs when every name fits whole in half the width, else one."""
        if len(self.labels) <= 3:
            return 1
        measure = ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength
        widest = max(measure(label, font=self.small) for label in self.labels)
        value = measure(self.words("player.diverged_at", step=10_000), font=self.small)
        return 2 if widest + value + 48 * k <= (width - 20 * k) / 2 else 1

    def restart(self) -> None:
        """Back to the first frame: no path drawn yet."""
        self.trails = self.base.copy()
        self.drawn_to = 0

    def last_frame(self, steps: Sequence[int]) -> Image.Image:
        """The frame at ``steps[-1]``, drawn exactly as when every frame of ``steps`` comes
        before it (the paths grow by the same pieces), without making the others."""
        for step in steps:
            self.grow(step)
        return self.frame(steps[-1])

    def still(self, experiment: Experiment, surf: surfaces.Surface) -> Image.Image:
        """What does not move: the surface, its frame, the start, minima and saddles, the faint paths."""
        layout, k = self.layout, self.k
        base = Image.new("RGB", (layout.width, layout.height), (255, 255, 255))
        uri = background(surf).uri
        shaded = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")
        base.paste(shaded.resize((layout.plot_w, layout.plot_h), Image.Resampling.BICUBIC), (layout.left, layout.top))
        draw = ImageDraw.Draw(base)
        sx, sy = layout.pixel(*experiment.start)
        _shape(draw, "star", sx, sy, 6.4 * k, fill=(0, 0, 0), outline=(255, 255, 255), width=max(1, round(k / 2)))
        for m in surf.minima:  # a ring with a dot, as on the page (a cross would read as diverged)
            mx, my = layout.pixel(m.x, m.y)
            r, dot = 5.6 * k, 1.6 * k
            draw.ellipse([mx - r, my - r, mx + r, my + r], outline=(0, 0, 0), width=max(1, round(1.5 * k)))
            draw.ellipse([mx - dot, my - dot, mx + dot, my + dot], fill=(0, 0, 0))
        for saddle in surf.saddles:
            px, py = layout.pixel(saddle.x, saddle.y)
            _shape(draw, "diamond", px, py, 4.8 * k, fill=None, outline=(0, 0, 0), width=max(1, round(k)))
        for colour, path in zip(self.colours, self.paths, strict=True):
            ghost = Image.new("L", base.size, 0)
            _polyline(ImageDraw.Draw(ghost), path, 255, max(1, round(1.5 * k)), layout)
            base.paste(Image.new("RGB", base.size, colour), (0, 0), ghost.point(lambda v: round(v * 0.28)))
        # Like the page's canvas, nothing is drawn outside the plot: a frame around it, white beyond.
        w = max(1, round(k / 2))
        surround = Image.new("RGB", base.size, (255, 255, 255))
        box = (layout.left - w, layout.top - w, layout.left + layout.plot_w + w - 1, layout.top + layout.plot_h + w - 1)
        ImageDraw.Draw(surround).rectangle(box, outline=_FRAME_GREY, width=w)
        self.draw_axes(surround)
        # What lies outside the plot, as four strips (above, below, left, right of it).
        right, bottom = layout.left + layout.plot_w, layout.top + layout.plot_h
        width, height = base.size
        strips = [(0, 0, width, layout.top), (0, bottom, width, height)]
        strips += [(0, layout.top, layout.left, bottom), (right, layout.top, width, bottom)]
        self.surround = [
            (surround.crop(strip), strip[:2]) for strip in strips if strip[0] < strip[2] and strip[1] < strip[3]
        ]
        self.cover(base)
        return base

    def cover(self, image: Image.Image) -> None:
        """Paint everything outside the plot as its surround (white, and the frame around the plot)."""
        for strip, corner in self.surround:
            image.paste(strip, corner)

    def grow(self, step: int) -> None:
        """Draw each run's path on from the last frame's step to ``step``."""
        trails_draw = ImageDraw.Draw(self.trails)
        for colour, path in zip(self.colours, self.paths, strict=True):
            last = min(step, len(path) - 1)
            if last > self.drawn_to:
                _polyline(trails_draw, path[self.drawn_to : last + 1], colour, max(1, round(2.5 * self.k)), self.layout)
        self.drawn_to = max(self.drawn_to, step)

    def frame(self, step: int) -> Image.Image:
        """The picture at ``step`` (steps must come in increasing order), at the GIF's size."""
        self.grow(step)
        frame = self.trails.copy()
        draw = ImageDraw.Draw(frame)
        self.heads(draw, step)
        self.cover(frame)
        caption = self.title + " · " + self.words("player.step_of", step=step, steps=self.steps)
        draw.text((round(10 * self.k), round(8 * self.k)), caption, fill=_PAGE_TEXT, font=self.font)
        if self.layout.stretch is not None:  # drawn square: the eye would read that as the surface's shape
            note = "⚠ " + self.words("player.not_to_scale", n=f"{self.layout.stretch:.2g}")
            draw.multiline_text((round(10 * self.k), round(32 * self.k)), note, fill=_PAGE_TEXT, font=self.small)
        self.legend(draw, step)
        return frame.resize(self.size, Image.Resampling.LANCZOS)

    def draw_axes(self, image: Image.Image) -> None:
        """The axes' numbers under and left of the plot, and their names (a data surface's
        parameters: slope and intercept), as on the page."""
        layout, k = self.layout, self.k
        draw = ImageDraw.Draw(image)
        (x0, x1), (y0, y1) = layout.domain
        bottom, tick = layout.top + layout.plot_h, max(1, round(k))
        for value in _ticks(x0, x1):
            px, _ = layout.pixel(value, y0)
            text = _tick_text(value)
            draw.line([(px, bottom), (px, bottom + 4 * k)], fill=_FRAME_GREY, width=tick)
            draw.text(
                (px - draw.textlength(text, font=self.small) / 2, bottom + 6 * k),
                text,
                fill=_PAGE_TEXT,
                font=self.small,
            )
        for value in _ticks(y0, y1):
            _, py = layout.pixel(x0, value)
            text = _tick_text(value)
            draw.line([(layout.left - 4 * k, py), (layout.left, py)], fill=_FRAME_GREY, width=tick)
            width = draw.textlength(text, font=self.small)
            draw.text((layout.left - 7 * k - width, py - 8 * k), text, fill=_PAGE_TEXT, font=self.small)
        x_name, y_name = self.axes
        name_w = draw.textlength(x_name, font=self.small)
        draw.text(
            (layout.left + (layout.plot_w - name_w) / 2, bottom + 24 * k), x_name, fill=_PAGE_TEXT, font=self.small
        )
        # y's name, turned to read upwards beside its numbers
        name_w, name_h = round(draw.textlength(y_name, font=self.small)) + 2, round(18 * k)
        label = Image.new("RGB", (name_w, name_h), (255, 255, 255))
        ImageDraw.Draw(label).text((1, 0), y_name, fill=_PAGE_TEXT, font=self.small)
        turned = label.rotate(90, expand=True)
        image.paste(turned, (max(0, layout.left - layout.axis_left), round(layout.top + (layout.plot_h - name_w) / 2)))

    def heads(self, draw: ImageDraw.ImageDraw, step: int) -> None:
        """Each run's head, or where it left the frame and "diverged at step k"."""
        layout, k = self.layout, self.k
        for colour, symbol, path, t in zip(self.colours, self.symbols, self.paths, self.trajectories, strict=True):
            if t.diverged_at is not None and step >= t.diverged_at:
                ex, ey = _edge_point(layout, path, t.diverged_at)
                _shape(draw, "x", ex, ey, 9 * k, fill=colour, outline=(0, 0, 0), width=max(1, round(0.75 * k)))
                text = self.words("player.diverged_at", step=t.diverged_at)
                w = draw.textlength(text, font=self.small)
                tx = min(max(ex - w / 2, layout.left + 2), layout.left + layout.plot_w - w - 2)
                ty = ey + 12 * k if ey < layout.top + 30 * k else ey - 26 * k
                draw.text((tx, ty), text, fill=_PAGE_TEXT, font=self.small)
                continue
            i = min(step, len(path) - 1)
            _shape(
                draw,
                symbol,
                path[i][0],
                path[i][1],
                7 * k,
                fill=colour,
                outline=(255, 255, 255),
                width=max(1, round(0.75 * k)),
            )

    def legend(self, draw: ImageDraw.ImageDraw, step: int) -> None:
        """The runs' list, as beside the page's player: marker, name, f(θ) at this step."""
        layout, k = self.layout, self.k
        rows = zip(self.labels, self.colours, self.symbols, self.trajectories, strict=True)
        for index, (label, colour, symbol, t) in enumerate(rows):
            column, row = index % layout.legend_columns, index // layout.legend_columns
            x = round(10 * k) + column * self.legend_w
            y = layout.legend_top + row * layout.legend_row
            _shape(
                draw,
                symbol,
                x + 8 * k,
                y + 9 * k,
                6 * k,
                fill=colour,
                outline=(255, 255, 255),
                width=max(1, round(k / 2)),
            )
            if t.diverged_at is not None and step >= t.diverged_at:
                value = self.words("player.diverged_at", step=t.diverged_at)
            else:
                value = _format_loss(float(t.losses[min(step, t.steps)]))
            vw = draw.textlength(value, font=self.small)
            room = self.legend_w - 36 * k - vw
            name = label
            while name and draw.textlength(name, font=self.small) > room:
                name = name[:-2] + "…" if len(name) > 1 else ""
            draw.text((x + 20 * k, y + k), name, fill=_PAGE_TEXT, font=self.small)
            draw.text((x + self.legend_w - 12 * k - vw, y + k), value, fill=_PAGE_TEXT, font=self.small)


def _palette(image: Image.Image, colours: Sequence[tuple[int, int, int]]) -> Image.Image:
    """One palette for every frame: the runs' colours, black, white and the page's text exactly,
    the rest chosen from the last frame (which holds everything that is ever drawn)."""
    fixed = list(dict.fromkeys([*colours, (0, 0, 0), (255, 255, 255), _PAGE_TEXT]))
    adaptive = image.quantize(colors=256 - len(fixed), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rest = adaptive.getpalette()[: 3 * (256 - len(fixed))]
    values = [c for colour in fixed for c in colour] + rest
    values += [0] * (768 - len(values))
    palette = Image.new("P", (1, 1))
    palette.putpalette(values)
    return palette


def _lesson_block(experiment: Experiment) -> str:
    """A lesson's text, question, choices and (hidden until a choice is locked in) verdict and
    explanation, as HTML; empty when the experiment is no lesson or does not ask its question.
    Every text is escaped: the catalog's words are shown, never read as markup."""
    name = experiment.lesson
    if not name or not experiment.quiz:
        return ""
    words, key = Words(experiment.lang), f"lesson.{name}"
    choices = words.list(f"{key}.choices")
    answer = LESSONS[name].answer
    e = html.escape
    options = "".join(
        f'<label><input type="radio" name="optviz-choice" value="{i}"> {e(choice)}</label>\n'
        for i, choice in enumerate(choices)
    )
    return f"""<section class="optviz-lesson">
<h2>{e(words(f"{key}.title"))}</h2>
<p>{e(words(f"{key}.intro"))}</p>
<p><strong>{e(words(f"{key}.question"))}</strong></p>
{options}<button id="optviz-check" type="button" data-answer="{answer}" disabled>{e(words("lesson.check"))}</button>
<p class="optviz-verdict" id="optviz-right" hidden>{e(words("lesson.right"))}</p>
<p class="optviz-verdict" id="optviz-wrong" hidden>{e(words("lesson.wrong", answer=choices[answer]))}</p>
<div id="optviz-explanation" hidden><p>{e(words(f"{key}.explanation"))}</p>
<p><strong>{e(words("lesson.look_for"))}</strong> {e(words(f"{key}.look_for"))}</p></div>
</section>
"""


def _ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round numbers from ``low`` to ``high``, at most ``most`` of them: 1, 2 or 5 times a power of ten apart."""
    span = high - low
    raw = span / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    count = math.floor((high - first) / step + 1e-9) + 1
    return [round(first + i * step, 12) for i in range(count)]


def _tick_text(value: float) -> str:
    """A tick's number as the page writes it: −0.5, 0, 2.5, 1e-4."""
    return f"{value:g}".replace("-", "−")
