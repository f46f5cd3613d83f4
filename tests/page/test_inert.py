"""Nothing leaves the machine, and text from a link is never interpreted: the page with AppTest,
and the exports.

Every figure, the race and the HTML export draw with the one plotly.js config
(optviz.draw.figures.PLOTLY_CONFIG). A hostile run name, carried by a link through every view and
every export, is only ever inert text: for Streamlit's Markdown through ui.text.plain, in a
Plotly figure through optviz.draw.figures.figure_text, in the CSV through optviz.draw.export.csv_text,
and as data in JSON (the player draws it as text). The browser's side is in
tests/browser/test_inert.py.
"""

import csv
import io
import json
import re
from urllib.parse import quote

import pytest
from PIL import Image

from optviz.draw import export, figures, race
from optviz.draw.figures import PLOTLY_CONFIG, figure_text
from optviz.settings import VIEW, parse
from optviz.study.results import run_experiment
from optviz.text import Words
from tests.page.test_app import open_panel, start, unescaped, views
from tests.page.test_app import race as race_data
from ui.text import plain

HOSTILE = [
    "![x](http://127.0.0.1:9/p.png)",  # an image every visitor would fetch
    '<a href="http://x.example">x</a>',
    "<b>bold</b>",
    '=HYPERLINK("http://x.example","y")',  # formulas, to a spreadsheet
    "@SUM(1+1)",
    "+1+1",
    "-1+1",
    "%{x}",  # a hovertemplate's field
    "$\\alpha$",  # LaTeX
    "**b**",
    ":red[red]",  # Streamlit's colour directive
]
VIEWS = VIEW.choices  # every view the page offers
PAGE = {"v": "2", "surface": "valley", "steps": "30", "sweep_n": "50", "map_n": "10", "basin_n": "10"}
SAY = Words("en")


def link(name: str, **more: str) -> dict[str, str]:
    """A cheap link with one run named ``name`` (percent-encoded, as a link carries it)."""
    return {**PAGE, "run": "sgd:lr=0.1,name=" + quote(name, safe=""), **more}


# ------------------------------------------------------------------------------ one config


def test_the_one_config_sends_nothing_and_shows_no_logo():
    assert PLOTLY_CONFIG["showSendToCloud"] is False  # plotly.js 4 shows "Share chart" by default
    assert PLOTLY_CONFIG["plotlyServerURL"] == ""
    assert PLOTLY_CONFIG["displaylogo"] is False
    assert PLOTLY_CONFIG["typesetMath"] is False


def test_every_figure_the_race_and_the_export_draw_with_the_one_config():
    shipped = []
    for view in ("loss", "3d", "sweep", "map", "basins"):
        query = {**PAGE, "view": view, "run": ["sgd:lr=0.1,schedule=steplr:step_size=10", "adam:lr=0.1"]}
        at = open_panel(start(query), 0)  # the open panel draws its schedule's rates: a figure too
        assert not at.exception
        drawn = [data for data in views(at) if data["kind"] in ("race", "figure")]
        assert len(drawn) >= 3  # the race, the schedule's rates and the view's figures
        shipped += [data["config"] for data in drawn]
    experiment, problems = parse(link("x"))
    assert not problems
    trajectories = run_experiment(experiment)
    background = figures.background(experiment.build_surface())
    page = export.race_html(experiment, trajectories, background)
    exported = json.loads(re.search(r'id="optviz-data">(.*?)</script>', page, re.DOTALL)[1])
    assert exported["config"] == export.race_data_for_export(experiment, trajectories, background)["config"]
    assert all(config == PLOTLY_CONFIG for config in [*shipped, exported["config"]])


def test_the_player_draws_with_the_config_it_is_sent_and_no_other():
    js = (race.ASSETS / "view.js").read_text(encoding="utf-8")
    calls = re.findall(r"P\.react\((.*)\);", js)
    assert len(calls) == 2  # the race and every other figure
    assert calls[0].endswith("configFor(P, this.data, PLAYER_GESTURES)")
    assert calls[1].endswith("configFor(P, data, gl)")
    # under the config sent, a 3-D view asks only for WebGL at the screen's own resolution
    extra = re.search(r"const gl = live \? (\{.*?\}) : \{\};", js)[1]
    assert set(re.findall(r"(\w+):", extra)) == {"plotGlPixelRatio"}
    # the config sent comes last (it wins over the player's gestures); only the page's language is added
    body = re.search(r"function configFor\(P, data, extra = \{\}\) \{(.*?)\n\}", js, re.DOTALL)[1]
    assert "const config = { ...extra, ...data.config };" in body
    assert set(re.findall(r"config\.(\w+) =", body)) == {"locale"}
    for key in PLOTLY_CONFIG:  # set only in Python
        assert key not in js
    gestures = re.search(r"const PLAYER_GESTURES = (\{.*\});", js)[1]
    assert set(re.findall(r"(\w+):", gestures)) == {"scrollZoom", "doubleClick", "modeBarButtonsToRemove"}


# ------------------------------------------------------------------------------ a hostile name


def markdown_texts(at) -> list[str]:
    """Every text on the page that Streamlit reads as Markdown: element bodies, widget and
    expander labels, help."""
    found = []

    def fields(message) -> None:
        for field, value in message.ListFields():
            if field.name in ("body", "label", "help") and isinstance(value, str):
                found.append(value)
            elif field.message_type is not None and field.name not in ("bidi_component", "arrow_data_frame"):
                for item in [value] if hasattr(value, "ListFields") else value:
                    fields(item)

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            fields(proto)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def figure_strings(figure: dict) -> list[str]:
    """Every text of a Plotly figure dict: names, titles, templates, annotations."""
    if isinstance(figure, str):
        return [figure]
    if isinstance(figure, dict):
        return [s for value in figure.values() for s in figure_strings(value)]
    if isinstance(figure, list):
        return [s for value in figure for s in figure_strings(value)]
    return []


def check_figures(at, name: str, view: str) -> None:
    """The name is in the view's figures only as figure_text makes it (in a legend or a title)."""
    shown = [s for data in views(at) if data["kind"] == "figure" for s in figure_strings(data["figure"])]
    assert shown, view
    if view != "map":  # the map is one run's, and says whose in its caption
        assert any(figure_text(name) in s for s in shown), view
    if figure_text(name) != name:
        assert not any(name in s for s in shown), view


def check_markdown(at, name: str) -> list[str]:
    """The name is nowhere raw where Markdown would read it; the run's panel title shows it as written."""
    texts = markdown_texts(at)
    assert texts
    for text in texts:
        assert name not in text, text  # every hostile name has punctuation, which plain() encodes
    (title,) = [text for text in texts if unescaped(text).endswith(SAY("sidebar.run_title", number=1, label=name))]
    assert plain(name) in title  # as plain() writes it: no Markdown, LaTeX, HTML or link can form
    return [unescaped(text) for text in texts]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_is_inert_text_in_every_view(name: str):
    for view in VIEWS:
        at = start(link(name, view=view))
        assert not at.exception, view
        assert not at.warning, view  # the link is a good one
        assert race_data(at)["runs"][0]["label"] == name  # the player's table draws it as text
        shown = check_markdown(at, name)
        if view in ("loss", "3d", "sweep", "map", "basins"):
            check_figures(at, name, view)
        if view == "results":
            assert at.dataframe[0].value["run"].tolist() == [name]  # a table's cell: text
        if view == "rules":
            heading = SAY("rules.users_heading", users=SAY("rules.users", number=1, label=name))
            assert f"**{heading[0].upper()}{heading[1:]}**" in shown
        if view == "inspect":
            assert "#### " + SAY("inspector.heading", label=name, step=30, steps=30) in shown
            assert name in at.selectbox(key="inspect_run__widget_en").options  # an option: text, never Markdown
        if view == "map":
            assert SAY("map.of_run", number=1, label=name) in shown


def test_a_map_of_one_hyperparameter_names_its_run_as_text(monkeypatch: pytest.MonkeyPatch):
    # No optimizer has a single hyperparameter a map can vary today; the message is ready for one.
    monkeypatch.setattr("optviz.study.sweeps.axes", lambda optimizer: ["lr"])
    name = HOSTILE[0]
    at = start(link(name, view="map"))
    assert not at.exception
    (info,) = at.info
    assert unescaped(info.value) == SAY("map.one_axis", label=name)
    assert plain(name) in info.value
    check_markdown(at, name)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_is_inert_in_every_export(name: str):
    experiment, problems = parse(link(name))
    assert not problems
    assert experiment.labels() == [name]
    trajectories = run_experiment(experiment)
    surf = experiment.build_surface()

    page = export.race_html(experiment, trajectories, figures.background(surf))
    data = json.loads(re.search(r'id="optviz-data">(.*?)</script>', page, re.DOTALL)[1])
    assert data["runs"][0]["label"] == name  # data, drawn by the player as text
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", page, flags=re.DOTALL)
    assert set(re.findall(r"<(\w+)", markup.split("<body>")[1])) == {"h1", "p", "code", "div", "script"}

    text = export.trajectories_csv(experiment, trajectories)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    labels = {row[1] for row in rows[1:]}
    assert labels == {export.csv_text(name)}
    formula = name[0] in "=+-@"
    assert labels == {"'" + name} if formula else {name}  # a spreadsheet shows it, never runs it
    assert all(float(row[3]) == float(t) for row, t in zip(rows[1:], trajectories[0].points[:, 0], strict=True))

    document = json.loads(export.trajectories_json(experiment, trajectories))
    assert document["runs"][0]["label"] == name
    assert {row[1] for row in document["rows"]} == {name}

    gif = export.race_gif(experiment, trajectories, surf, size=(160, 160), max_frames=3)  # drawn text
    assert Image.open(io.BytesIO(gif)).n_frames == 3
