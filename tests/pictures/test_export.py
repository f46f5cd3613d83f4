"""The exports: a standalone HTML player, CSV and JSON of every step, an animated GIF."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import math
import re

import numpy as np
import pytest
from PIL import Image

import surfaces
from optviz.draw import export, figures, race
from optviz.draw.export import fonts, gif
from optviz.settings import Experiment, Run, lesson_experiment, parse, query_string
from optviz.study.results import run_experiment
from optviz.text import LANGUAGES, Words
from tests.link_grammar import query_from_string


@pytest.fixture(scope="module")
def rosenbrock():
    experiment = Experiment.make("rosenbrock")
    return experiment, run_experiment(experiment)


@pytest.fixture(scope="module")
def diverging():
    """Two runs on the valley, one of which diverges; a name with markup in it."""
    runs = (Run.make("sgd", lr=0.05, name="<b>slow</b> & </script>"), Run.make("sgd", lr=5.0))
    experiment = Experiment.make("valley", runs=runs, steps=300)
    return experiment, run_experiment(experiment)


def test_the_html_plays_offline(rosenbrock):
    experiment, trajectories = rosenbrock
    page = export.race_html(experiment, trajectories, figures.background(experiment.build_surface()))
    # Nothing the browser would fetch: no script, style sheet, image or frame from an address.
    # (plotly.js's text names addresses, such as its own site in a link it may draw, that are
    # not fetched; the browser test records every request the page makes.)
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", page, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"<script[^>]*\bsrc\s*=", markup, re.IGNORECASE)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", markup, re.IGNORECASE)
    assert not re.search(r"https?:|//", markup.split("<body>")[0] + markup.split("<body>")[1], re.IGNORECASE)
    assert not re.search(r"@import|url\(", markup, re.IGNORECASE)
    assert "cdn.plot.ly/plotly" not in page
    # plotly.js inlined, before the player; the player is view.js with its shim.
    plotly_js = (race.ASSETS / "vendor" / "plotly-basic.min.js").read_text()
    assert plotly_js[:2000] in page
    assert page.index(plotly_js[:2000]) < page.index("class Player")
    assert "export default" not in page
    assert "optvizView({" in page
    assert '<script type="module">' in page
    # every run's data, with its arrays
    data = json.loads(re.search(r'<script type="application/json" id="optviz-data">(.*?)</script>', page, re.DOTALL)[1])
    assert data["plotly_url"] == export.PLOTLY_SENTINEL
    assert data["plotly_url"] in page.split('<script type="module">')[1]
    assert data["scene"]["background"].startswith("data:image/png;base64,")
    assert [r["label"] for r in data["runs"]] == experiment.labels()
    for item, t in zip(data["runs"], trajectories, strict=True):
        assert item["arrays"] == race.run_arrays(t)
        assert item["colour"] == race.colour(experiment.slots()[data["runs"].index(item)])


def test_a_name_cannot_break_out_of_the_page(diverging):
    experiment, trajectories = diverging
    page = export.race_html(experiment, trajectories, figures.background(experiment.build_surface()))
    assert "<b>slow</b>" not in page
    assert page.count("</script>") == page.count("<script")
    data = json.loads(re.search(r'<script type="application/json" id="optviz-data">(.*?)</script>', page, re.DOTALL)[1])
    assert data["runs"][0]["label"].startswith("<b>slow</b> & </script>")
    assert data["runs"][1]["diverged_at"] == trajectories[1].diverged_at is not None


def test_the_csv_parses_back_to_the_trajectories(diverging, rosenbrock):
    for experiment, trajectories in (rosenbrock, diverging):
        text = export.trajectories_csv(experiment, trajectories)
        assert text.startswith("\ufeff")  # a byte order mark, for Excel: read the file as utf-8-sig
        rows = list(csv.reader(io.StringIO(text.encode().decode("utf-8-sig"))))
        assert rows[0] == export.csv_header(experiment)
        rows = rows[1:]
        assert len(rows) == sum(t.steps + 1 for t in trajectories)
        labels = experiment.labels()
        at = 0
        for number, t in enumerate(trajectories, start=1):
            block = rows[at : at + t.steps + 1]
            at += t.steps + 1
            assert {int(r[0]) for r in block} == {number}
            assert {r[1] for r in block} == {labels[number - 1]}
            assert [int(r[2]) for r in block] == list(range(t.steps + 1))
            values = np.array([[float(v) if v else np.nan for v in r[3:]] for r in block])
            f_star = experiment.build_surface().f_star
            lr = np.array([np.nan] + [float(experiment.runs[number - 1].values()["lr"])] * t.steps)
            expected = np.column_stack([t.points, t.losses, t.losses - f_star, lr, t.grads])
            # exactly the float64 values (NaN where they are NaN)
            assert np.array_equal(values, expected, equal_nan=True)


def test_the_csv_gives_a_schedules_rate_at_every_step_and_names_its_columns_in_the_pages_language():
    schedule = "steplr:step_size=10:gamma=0.5"
    for lang in ("en", "zh"):
        link = {"v": "2", "surface": "tips", "steps": "30", "lang": lang, "run": f"sgd:lr=0.004,schedule={schedule}"}
        experiment, problems = parse(link)
        assert not problems
        trajectories = run_experiment(experiment)
        rows = list(csv.reader(io.StringIO(export.trajectories_csv(experiment, trajectories).lstrip("\ufeff"))))
        say = Words(lang)
        header = rows[0]
        assert header[3:5] == [say("surface.tips.axis.x"), say("surface.tips.axis.y")]  # slope and intercept
        assert header[6:8] == [say("csv.gap"), say("csv.lr")]
        rates = [row[7] for row in rows[1:]]
        assert rates[0] == ""  # no step arrived at the start
        assert [float(r) for r in rates[1:]] == [0.004] * 10 + [0.002] * 10 + [0.001] * 10


def test_the_json_holds_the_link_and_every_step(diverging):
    experiment, trajectories = diverging
    document = json.loads(export.trajectories_json(experiment, trajectories))
    assert document["link"] == "?" + query_string(experiment)
    assert document["columns"] == list(export.COLUMNS)
    assert [r["label"] for r in document["runs"]] == experiment.labels()
    assert document["runs"][1]["diverged_at"] == trajectories[1].diverged_at
    rows = document["rows"]
    assert len(rows) == sum(t.steps + 1 for t in trajectories)
    for row in rows:
        t = trajectories[row[0] - 1]
        step = row[2]
        lr = float(experiment.runs[row[0] - 1].values()["lr"]) if step else math.nan
        f_star = experiment.build_surface().f_star
        expected = [*t.points[step], t.losses[step], t.losses[step] - f_star, lr, *t.grads[step]]
        for got, want in zip(row[3:], expected, strict=True):
            assert got == float(want) if math.isfinite(want) else got is None


def test_the_gif_has_its_frames_and_size_and_shows_the_race():
    experiment = Experiment.make("valley", runs=(Run.make("sgd", lr=0.02), Run.make("adam", lr=0.05)), steps=60)
    trajectories = run_experiment(experiment)
    surf = experiment.build_surface()
    data = export.race_gif(experiment, trajectories, surf, size=(320, 240), fps=10, max_frames=25)
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF"
    assert image.size == (320, 240)
    assert image.n_frames == 25
    assert image.info.get("loop") == 0
    image.seek(image.n_frames - 1)
    last = np.asarray(image.convert("RGB")).astype(int)
    # The first run's colour near the pixel of its final point (its head is drawn there).
    layout = export.GifLayout(surf, (320, 240), len(trajectories))
    x, y = layout.pixel(*trajectories[0].points[-1])
    other = layout.pixel(*trajectories[1].points[-1])
    assert math.dist((x, y), other) > 12  # the other head does not cover it
    window = last[round(y) - 4 : round(y) + 5, round(x) - 4 : round(x) + 5].reshape(-1, 3)
    colour = np.array([int(race.colour(experiment.slots()[0])[i : i + 2], 16) for i in (1, 3, 5)])
    assert np.abs(window - colour).max(axis=1).min() <= 24
    # ... and not there on the first frame (the run has not moved yet)
    image.seek(0)
    first = np.asarray(image.convert("RGB")).astype(int)
    window = first[round(y) - 4 : round(y) + 5, round(x) - 4 : round(x) + 5].reshape(-1, 3)
    assert np.abs(window - colour).max(axis=1).min() > 24


def test_frames_are_evenly_spaced_and_end_on_the_last_step():
    assert export.frame_steps(500, max_frames=300)[-1] == 500
    assert len(export.frame_steps(500, max_frames=300)) == 300
    assert export.frame_steps(20, max_frames=300) == list(range(21))
    assert export.frame_steps(100, steps_per_frame=30) == [0, 30, 60, 90, 100]
    assert len(export.frame_steps(1000, steps_per_frame=1, max_frames=50)) == 50
    gaps = np.diff(export.frame_steps(500, max_frames=300))
    assert gaps.min() >= 1
    assert gaps.max() <= 2


def test_a_gif_of_a_diverging_run_and_bad_arguments(diverging):
    experiment, trajectories = diverging
    surf = surfaces.get("valley")
    data = export.race_gif(experiment, trajectories, surf, size=(200, 200), max_frames=5)
    assert Image.open(io.BytesIO(data)).n_frames == 5
    for bad in ({"size": (10, 10)}, {"size": (640.0, 480)}, {"fps": 0}, {"max_frames": 1}, {"steps_per_frame": 0}):
        with pytest.raises(ValueError, match="Invalid"):
            export.race_gif(experiment, trajectories, surf, **bad)
    with pytest.raises(ValueError, match="one per run"):
        export.trajectories_csv(experiment, trajectories[:1])


def _gif_of_every_frame(experiment, trajectories, surf, *, size, fps=20, steps_per_frame=None, max_frames=300):
    """The GIF as race_gif made it before it streamed: every frame drawn, kept and quantised,
    then one call of Pillow's writer with the whole list (the reference)."""
    painter = gif._GifPainter(experiment, trajectories, surf, size)
    shown = export.frame_steps(painter.steps, steps_per_frame=steps_per_frame, max_frames=max_frames)
    frames = [painter.frame(step) for step in shown]
    palette = gif._palette(frames[-1], painter.colours)
    paletted = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    duration = max(10, round(1000 / fps / 10) * 10)
    durations = [duration] * len(paletted)
    durations[-1] += 1500
    out = io.BytesIO()
    paletted[0].save(out, format="GIF", save_all=True, append_images=paletted[1:], duration=durations, loop=0)
    return out.getvalue()


@pytest.mark.parametrize(
    ("size", "options"),
    [
        ((640, 640), {"max_frames": 40}),
        ((320, 240), {"fps": 10, "max_frames": 25}),
        ((700, 520), {"steps_per_frame": 9}),
    ],
)
def test_the_streamed_gif_is_the_gif_of_every_frame_byte_for_byte(diverging, monkeypatch, size, options):
    experiment, trajectories = diverging
    surf = experiment.build_surface()
    monkeypatch.setattr(export.GifStream, "GROUP", 7)  # groups that end anywhere
    streamed = export.race_gif(experiment, trajectories, surf, size=size, **options)
    assert streamed == _gif_of_every_frame(experiment, trajectories, surf, size=size, **options)


@pytest.mark.parametrize("group", [1, 2, 3, 16])
@pytest.mark.parametrize("size", [(40, 30), (600, 520)])
def test_a_gif_stream_writes_what_pillow_writes_of_the_whole_list(monkeypatch, group, size):
    # Frames the same as the one before (at the start, in a group, across groups, at the end)
    # only lengthen it; every other frame differs from the one before in a rectangle.
    rng = np.random.default_rng(group)
    pictures, current = [], np.zeros(size[::-1], dtype=np.uint8)
    for repeat in (3, 1, 1, 2, 1, 4, 1, 1, 1, 3, 1, 2):
        top, left = rng.integers(0, size[1] - 5), rng.integers(0, size[0] - 5)
        current = current.copy()
        current[top : top + rng.integers(1, 6), left : left + rng.integers(1, 6)] = rng.integers(0, 9)
        pictures += [current] * repeat
    palette = [v for i in range(256) for v in (i, 255 - i, (7 * i) % 256)]
    frames = []
    for picture in pictures:
        frame = Image.frombytes("P", size, picture.tobytes())
        frame.putpalette(palette)
        frames.append(frame)
    durations = [int(d) for d in rng.integers(1, 30, size=len(frames)) * 10]
    expected = io.BytesIO()
    frames[0].save(expected, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    monkeypatch.setattr(export.GifStream, "GROUP", group)
    out = io.BytesIO()
    stream = export.GifStream(out, loop=0)
    for frame, duration in zip(frames, durations, strict=True):
        stream.add(frame, duration)
    stream.close()
    assert out.getvalue() == expected.getvalue()


def test_the_gif_covers_exactly_what_lies_outside_the_plot(diverging):
    # What the mask "outside the plot" painted: every pixel outside replaced, every pixel inside kept.
    experiment, trajectories = diverging
    painter = gif._GifPainter(experiment, trajectories, experiment.build_surface(), (300, 200))
    layout = painter.layout
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 256, size=(layout.height, layout.width, 3), dtype=np.uint8) for _ in range(2)]
    covered = []
    for picture in pictures:
        image = Image.fromarray(picture)
        painter.cover(image)
        covered.append(np.asarray(image))
    inside = np.zeros((layout.height, layout.width), dtype=bool)
    inside[layout.top : layout.top + layout.plot_h, layout.left : layout.left + layout.plot_w] = True
    for picture, done in zip(pictures, covered, strict=True):
        np.testing.assert_array_equal(done[inside], picture[inside])
    np.testing.assert_array_equal(covered[0][~inside], covered[1][~inside])
    assert (covered[0][0, 0] == 255).all()  # white beyond the frame


def test_a_gif_of_one_picture_is_a_still_as_pillow_writes_it(monkeypatch):
    frame = Image.new("P", (50, 40), 3)
    frame.putpalette([0, 0, 0, 255, 255, 255, 200, 10, 10, 10, 200, 10] * 64)
    expected = io.BytesIO()
    frame.save(expected, format="GIF", save_all=True, append_images=[frame] * 6, duration=[50] * 7, loop=0)
    monkeypatch.setattr(export.GifStream, "GROUP", 3)
    out = io.BytesIO()
    stream = export.GifStream(out, loop=0)
    for _ in range(7):
        stream.add(frame, 50)
    stream.close()
    assert out.getvalue() == expected.getvalue()


def test_export_does_not_import_streamlit():
    import subprocess
    import sys

    code = "import sys, optviz.draw.export; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def _caption(picture: bytes) -> np.ndarray:
    """The GIF's first frame, top strip: where its caption ("step 0 of 30") is drawn."""
    image = Image.open(io.BytesIO(picture))
    return np.asarray(image.convert("L"))[:28]


@pytest.fixture(scope="module")
def short_race():
    experiment = Experiment.make("saddle", runs=(Run.make("adam", lr=0.05),), steps=30)
    return experiment, run_experiment(experiment), experiment.build_surface()


def test_exports_speak_the_pages_language(short_race, monkeypatch):
    experiment, trajectories, surf = short_race
    chinese = dataclasses.replace(experiment, lang="zh")
    page = export.race_html(chinese, trajectories, figures.background(surf))
    assert '<html lang="zh">' in page
    assert "鞍点" in page.split("<body>")[1].split("<script")[0]  # the title: the surface's name
    data = json.loads(re.search(r'id="optviz-data">(.*?)</script>', page, re.DOTALL)[1])
    assert data["text"]["step_of"] == "第 {step} 步，共 {steps} 步"
    # The GIF: Chinese words where the machine has a font for them (here: DejaVu pretends).
    monkeypatch.setattr(fonts, "FONT_FILES", {**fonts.FONT_FILES, "zh": fonts.FONT_FILES["en"]})
    english = export.race_gif(experiment, trajectories, surf, size=(320, 240), max_frames=3)
    worded = export.race_gif(chinese, trajectories, surf, size=(320, 240), max_frames=3)
    assert not np.array_equal(_caption(english), _caption(worded))


def test_a_gif_without_a_font_for_its_language_is_worded_in_english(short_race, monkeypatch):
    experiment, trajectories, surf = short_race
    monkeypatch.setattr(fonts, "FONT_FILES", {**fonts.FONT_FILES, "zh": ("/nowhere/NoSuchFont.ttc",)})
    assert export.font_file("zh") is None
    chinese = dataclasses.replace(experiment, lang="zh")
    english = export.race_gif(experiment, trajectories, surf, size=(320, 240), max_frames=3)
    assert export.race_gif(chinese, trajectories, surf, size=(320, 240), max_frames=3) == english


def test_only_a_lesson_that_asks_hands_out_its_question():
    lesson = dataclasses.replace(lesson_experiment("adam_bias"), lesson="adam_bias")
    trajectories = run_experiment(lesson)
    shading = figures.background(lesson.build_surface(), 40)
    asked = export.race_html(lesson, trajectories, shading)
    say = Words("en")
    assert html.escape(say("lesson.adam_bias.question")) in asked  # escaped: shown as written
    assert 'id="optviz-explanation" hidden' in asked  # the answer waits for a choice
    data = json.loads(re.search(r'id="optviz-data">(.*?)</script>', asked, re.DOTALL)[1])
    assert data["hold"] == say("lesson.hold")
    demonstrated = export.race_html(dataclasses.replace(lesson, quiz=False), trajectories, shading)
    assert 'optviz-lesson"' not in demonstrated  # no question: a demonstration
    assert "hold" not in json.loads(re.search(r'id="optviz-data">(.*?)</script>', demonstrated, re.DOTALL)[1])


def test_a_gif_draws_a_wide_surface_square_as_the_page_does_and_its_axes_round():
    tips, rosenbrock = surfaces.get("tips"), surfaces.get("rosenbrock")
    square = export.GifLayout(tips, (640, 640), 3)
    assert square.stretch is not None  # and the frame says "not to scale"
    assert square.plot_w == square.plot_h
    assert export.GifLayout(rosenbrock, (640, 640), 3).stretch is None
    assert gif._ticks(-2.0, 2.0) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert gif._ticks(-0.2, 0.4) == [-0.2, 0.0, 0.2, 0.4]
    assert gif._tick_text(-0.5) == "−0.5"


def test_a_gif_lists_every_run_whole():
    """Names that two columns would cut go one a row."""
    experiment = Experiment.make("rosenbrock", lang="zh")  # eight runs, long Chinese names
    painter = gif._GifPainter(experiment, run_experiment(experiment), experiment.build_surface(), (640, 640))
    assert painter.layout.legend_columns == 1
    short = Experiment.make("rosenbrock", runs=[Run.make("sgd", lr=0.01, name=f"r{i}") for i in range(4)])
    painter = gif._GifPainter(short, run_experiment(short), short.build_surface(), (640, 640))
    assert painter.layout.legend_columns == 2


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_fonts_for_its_gif(lang):
    """A new language needs its fonts named, or its GIF would quietly be worded in English."""
    assert fonts.FONT_FILES.get(lang), f"no fonts for the GIF in {lang!r}: add its row to optviz/draw/export/fonts.py"


def _gif_pixels(link: str, points_of):
    """The last frame of ``link``'s GIF and, for the points ``points_of(trajectory)`` picks, the
    colour under each and the run's colour."""
    experiment = parse(query_from_string(link))[0]
    trajectories = run_experiment(experiment)
    painter = gif._GifPainter(experiment, trajectories, experiment.build_surface(), (480, 480))
    frame = painter.last_frame(gif.frame_steps(experiment.steps, max_frames=30)).convert("RGB")
    scale = gif._SUPERSAMPLE
    found = [
        frame.getpixel((round(px / scale), round(py / scale)))
        for px, py in (painter.layout.pixel(x, y) for x, y in points_of(trajectories[0]))
    ]
    return found, painter.colours[0]


def _distance_to_path(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Each point's distance to the polyline through ``path``'s points."""
    a, b = path[:-1][None], path[1:][None]
    ab, ap = b - a, points[:, None] - a
    along = np.clip((ap * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-300), 0.0, 1.0)
    return np.linalg.norm(ap - along[..., None] * ab, axis=-1).min(axis=1)


def test_the_gif_draws_a_rules_bold_second_path_and_its_faint_iterates_as_the_race_does():
    link = "v=2&surface=valley:kappa=20,angle=30&steps=300&noise=3&run=asgd:lr=0.08,t0=20"

    def average(t):  # the bold average, drawn over everything (away from the heads at the end)
        heads = np.stack([t.companion[-1], t.points[-1]])
        averaged = t.companion[40:]  # from t0 on it averages (before, it is the iterate)
        away = np.linalg.norm(averaged[:, None] - heads[None], axis=-1).min(axis=1) > 0.2
        return averaged[away][::10][:12]

    def iterates(t):  # the faint iterates, far from the average
        inner = t.points[21:-1]
        return inner[_distance_to_path(inner, t.companion) > 0.3][:12]

    bold, colour = _gif_pixels(link, average)
    faint, _ = _gif_pixels(link, iterates)
    assert len(bold) >= 3
    assert len(faint) >= 3
    near = [np.abs(np.subtract(c, colour)).max() <= 40 for c in bold]  # bold: its colour (edges blend)
    assert sum(near) >= 0.75 * len(bold), (bold, colour)
    # Faint: toward the surface's grey (where faint segments cross, they add up, never to the full colour).
    off = [np.abs(np.subtract(c, colour)).max() for c in faint]
    assert min(off) > 15, faint
    assert np.mean(off) > 40, faint


def test_the_gif_draws_lbfgs_trials_faintly():
    link = "v=2&surface=rosenbrock&steps=40&run=lbfgs:max_iter=4"
    lbfgs = run_experiment(parse(query_from_string(link))[0])[0]
    points = lbfgs.probes.points
    away = _distance_to_path(points, lbfgs.points) > 0.12
    trials = points[away & (np.abs(points[:, 0]) < 1.9) & (points[:, 1] > -0.9) & (points[:, 1] < 2.9)]
    drawn, colour = _gif_pixels(link, lambda _: trials)
    bare, _ = _gif_pixels("v=2&surface=rosenbrock&steps=1&run=sgd:lr=1e-5", lambda _: trials)
    assert len(drawn) >= 3
    assert all(a != b for a, b in zip(drawn, bare, strict=True))  # painted over the surface there
    assert all(np.abs(np.subtract(c, colour)).max() > 20 for c in drawn)  # and faintly, not in its full colour
