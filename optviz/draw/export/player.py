"""The race as one standalone HTML file that plays offline, opened from disk, with no server.

:func:`race_html` holds the page's own player (``assets/view.js`` and ``view.css``) with
plotly.js's basic bundle and every run's arrays inlined. view.js ends in ``export default
function (component)``; the file holds it in a ``<script type="module">`` with that line
rewritten to a named function (``optvizView``), which a shim at the end of the same module calls
with ``{data, parentElement, setStateValue() {}, setTriggerValue() {}}``, the arguments Streamlit
gives it. plotly.js is a classic ``<script>`` before it, and the Plotly it makes is registered in
``window.__optvizPlotly`` under a sentinel address (:data:`PLOTLY_SENTINEL`) that the player is
given as ``plotly_url``: view.js's ``loadPlotly`` finds it there and never adds a ``<script
src>``. It draws with the page's one plotly.js config (:data:`optviz.draw.figures.PLOTLY_CONFIG`:
no "Share chart" button, no logo). Light theme: no Streamlit CSS variables exist there, so
view.css's fallbacks apply. A lesson that asks its question is handed out as it is taught.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from optviz.core.engine import Trajectory
from optviz.draw import race as race_data
from optviz.draw.export.rows import check_trajectories
from optviz.draw.figures import PLOTLY_CONFIG
from optviz.draw.race import Shading, player_text
from optviz.settings import SPEEDS, Experiment, query_string
from optviz.settings.lessons import LESSONS
from optviz.text import Words, plotly_locale

PLOTLY_SENTINEL = "optviz:inline/plotly-basic.min.js"  # never fetched: registered before the player runs
_EXPORT_MARK = "export default function"


def race_data_for_export(experiment: Experiment, trajectories: Sequence[Trajectory], shading: Shading) -> dict:
    """The player's data (as ui/views.py's ``race`` builds it), with every run's arrays included."""
    check_trajectories(experiment, trajectories)
    surf = experiment.build_surface()
    runs = [
        race_data.run_entry(experiment, run, label, slot, trajectory) | {"arrays": race_data.run_arrays(trajectory)}
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
    link = (
        (base_url.rstrip("/") + "/" if base_url else "") + "?" + query_string(experiment.public())
    )  # never a teacher link
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
