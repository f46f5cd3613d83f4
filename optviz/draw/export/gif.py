"""The race as an animated GIF drawn with Pillow (which comes with Streamlit), laid out like the page.

The shaded surface, the start and the minima, each run's faint whole path, its path up to the
frame's step and its head, and "step k of N". Frames are drawn, quantised and written a few at
a time (:class:`~optviz.draw.export.gif_stream.GifStream`), never all kept; how many a GIF may
have is set by the budget's measured costs (:func:`gif_frames`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

import surfaces
from optviz.core import budget
from optviz.core.budget import checkpoint
from optviz.core.engine import Trajectory
from optviz.draw import race as race_data
from optviz.draw.export.fonts import font, font_file
from optviz.draw.export.gif_stream import GifStream
from optviz.draw.export.rows import check_trajectories
from optviz.draw.figures import background
from optviz.settings import Experiment
from optviz.text import DEFAULT_LANGUAGE, Words, axis_names

_SUPERSAMPLE = 2  # drawn at twice the size, then reduced: smooth lines and markers
FAINT = race_data.FAINT  # the opacity of a run's faint path (its iterates beside a bold average, its trials)
_PAGE_TEXT = (49, 51, 63)  # the page's text colour (#31333F)
_FRAME_GREY = (160, 160, 160)


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
    check_trajectories(experiment, trajectories)
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


class _GifPainter:
    """Draws the GIF's frames in step order; each run's path grows from the previous frame's."""

    def __init__(
        self, experiment: Experiment, trajectories: Sequence[Trajectory], surf: surfaces.Surface, size: tuple[int, int]
    ) -> None:
        self.size = size
        self.labels = experiment.labels()
        self.words = Words(experiment.lang)
        k = GifLayout.scale(size, _SUPERSAMPLE)
        self.font = font(experiment.lang, 16 * k)
        self.small = font(experiment.lang, 13 * k)
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
        # A rule's second point (ASGD's average, schedule-free's x), drawn as the race draws it:
        # bold where it is the rule's answer, the iterates then faint, and the other way round.
        self.seconds = [None if t.companion is None else layout.pixels(t.companion) for t in trajectories]
        self.bold_second = [t.spec.companion is not None and t.spec.companion.bold for t in trajectories]
        # The points a looking rule's steps evaluated (LBFGS's trials), faint, with their steps.
        self.probes = [
            None if t.probes is None else (layout.pixels(t.probes.points), t.probes.steps) for t in trajectories
        ]
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
        for i, (colour, path) in enumerate(zip(self.colours, self.paths, strict=True)):
            second, bold = self.seconds[i], self.bold_second[i]
            for ghost_path, weight in ((path, FAINT if bold else 1.0), (second, 1.0 if bold else FAINT)):
                if ghost_path is None:
                    continue
                ghost = Image.new("L", base.size, 0)
                _polyline(ImageDraw.Draw(ghost), ghost_path, 255, max(1, round(1.5 * k)), layout)
                base.paste(
                    Image.new("RGB", base.size, colour), (0, 0), ghost.point(lambda v, w=weight: round(v * 0.28 * w))
                )
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
        """Draw each run's path on from the last frame's step to ``step``: its iterates, its second
        path (one of the two faint, as the race draws them) and its steps' trials, faint."""
        trails_draw = ImageDraw.Draw(self.trails)
        k, layout = self.k, self.layout
        for i, (colour, path) in enumerate(zip(self.colours, self.paths, strict=True)):
            last = min(step, len(path) - 1)
            if last <= self.drawn_to:
                continue
            second, bold = self.seconds[i], self.bold_second[i]
            pieces = [(path, second is None or not bold), (second, bold)] if second is not None else [(path, True)]
            for points, strong in sorted(pieces, key=lambda piece: piece[1]):  # the faint one first, under
                piece = points[self.drawn_to : last + 1]
                if strong:
                    _polyline(trails_draw, piece, colour, max(1, round(2.5 * k)), layout)
                else:
                    self._faint(
                        lambda draw, piece=piece: _polyline(draw, piece, 255, max(1, round(1.5 * k)), layout), colour
                    )
            if self.probes[i] is not None:
                self._trials(i, colour, self.drawn_to, last)
        self.drawn_to = max(self.drawn_to, step)

    def _faint(self, paint: Any, colour: tuple[int, int, int], weight: float = FAINT) -> None:
        """What ``paint`` draws (in 255 on a mask), laid on the trails in ``colour`` at ``weight``."""
        mask = Image.new("L", self.trails.size, 0)
        paint(ImageDraw.Draw(mask))
        self.trails.paste(Image.new("RGB", self.trails.size, colour), (0, 0), mask.point(lambda v: round(v * weight)))

    def _trials(self, i: int, colour: tuple[int, int, int], after: int, last: int) -> None:
        """Run ``i``'s trials of the steps after ``after`` up to ``last``: from where each step
        started through them in the order tried, and a dot at each (view.js's drawProbes)."""
        points, steps = self.probes[i]
        path, k, layout = self.paths[i], self.k, self.layout
        chosen = (steps > after) & (steps <= last)
        if not chosen.any():
            return

        def paint(draw: ImageDraw.ImageDraw) -> None:
            for step in np.unique(steps[chosen]).tolist():
                tried = points[steps == step]
                _polyline(draw, np.vstack([path[step - 1 : step], tried]), 255, max(1, round(k)), layout)
                r = 1.8 * k
                for x, y in tried[np.isfinite(tried).all(axis=1)].tolist():
                    draw.ellipse([x - r, y - r, x + r, y + r], fill=255)

        self._faint(paint, colour, 0.75 * FAINT)

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
        runs = zip(
            self.colours, self.symbols, self.paths, self.trajectories, self.seconds, self.bold_second, strict=True
        )
        for colour, symbol, path, t, second, bold in runs:
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
            mark, ring = (path[i], None) if second is None else (second[i], path[i])
            if second is not None and not bold:
                mark, ring = ring, mark
            if ring is not None:  # the faint one's head: a hollow ring, edged in white (the race's)
                r = 5.5 * k
                box = [ring[0] - r, ring[1] - r, ring[0] + r, ring[1] + r]
                draw.ellipse(box, outline=(255, 255, 255), width=max(1, round(2 * k)))
                draw.ellipse(box, outline=colour, width=max(1, round(k)))
            _shape(
                draw,
                symbol,
                mark[0],
                mark[1],
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
