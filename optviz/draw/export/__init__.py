"""Exports of a race, one module per file kind; pure functions of (Experiment, trajectories, ...):
no Streamlit, no browser, no network.

- :mod:`~optviz.draw.export.player`: :func:`race_html`, one HTML file that plays the race offline.
- :mod:`~optviz.draw.export.rows`: every step of every run as rows of :data:`COLUMNS`.
- :mod:`~optviz.draw.export.tabular`: :func:`trajectories_csv`, those rows as CSV (floats written
  with ``repr``, so they parse back to the same float64; no run's name a formula to a spreadsheet:
  :func:`csv_text`).
- :mod:`~optviz.draw.export.record`: :func:`trajectories_json`, the link, the runs and the rows as JSON.
- :mod:`~optviz.draw.export.gif`: :func:`race_gif`, the race as an animated GIF drawn with Pillow.
- :mod:`~optviz.draw.export.gif_stream`: :class:`GifStream`, which writes it a few frames at a time.
- :mod:`~optviz.draw.export.fonts`: the fonts of each language that the GIF is drawn in.
"""

from optviz.draw.export.fonts import font_file
from optviz.draw.export.gif import MAX_FRAMES, GifLayout, frame_steps, gif_frames, gif_seconds, race_gif
from optviz.draw.export.gif_stream import GifStream
from optviz.draw.export.player import PLOTLY_SENTINEL, race_data_for_export, race_html
from optviz.draw.export.record import trajectories_json
from optviz.draw.export.rows import COLUMNS
from optviz.draw.export.tabular import csv_header, csv_text, trajectories_csv

__all__ = [
    "COLUMNS",
    "MAX_FRAMES",
    "PLOTLY_SENTINEL",
    "GifLayout",
    "GifStream",
    "csv_header",
    "csv_text",
    "font_file",
    "frame_steps",
    "gif_frames",
    "gif_seconds",
    "race_data_for_export",
    "race_gif",
    "race_html",
    "trajectories_csv",
    "trajectories_json",
]
