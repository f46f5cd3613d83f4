"""The standalone HTML export in a real browser: opened from disk, with the network blocked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from optviz.draw import export, figures
from optviz.settings import Experiment, Run, lesson_experiment
from optviz.settings.lessons import LESSONS
from optviz.study.results import run_experiment
from optviz.text import Words
from tests.browser.pages import PLAYER, player, wait_for_app

READY = "() => { const p = document.querySelector('.ovp')?.__ready; return p !== undefined && p.done; }"


def step(page) -> int:
    return page.evaluate("() => document.querySelector('.ovp').__player.step")


def test_the_exported_race_plays_offline_from_disk(browser: Browser, tmp_path: Path):
    runs = (Run.make("sgd", lr=0.05, name="<b>slow</b> & </script>"), Run.make("adam", lr=0.1), Run.make("sgd", lr=5.0))
    experiment = Experiment.make("valley", runs=runs, steps=120)
    trajectories = run_experiment(experiment)
    surf = experiment.build_surface()
    path = tmp_path / "race.html"
    path.write_text(export.race_html(experiment, trajectories, figures.background(surf)), encoding="utf-8")

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    context.route("**/*", lambda r: r.abort() if not r.request.url.startswith("file:") else r.continue_())
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        page.wait_for_function(READY, timeout=30_000)
        state = player(page)
        assert state["steps"] == 120
        assert [r["label"] for r in state["runs"]] == experiment.labels()
        assert state["playing"]
        assert state["step"] < 120
        for run, t in zip(state["runs"], trajectories, strict=True):
            assert len(run["x"]) == t.steps + 1
        # the text of a name is text, never markup
        assert page.locator(".ovp-runs").inner_text().count("<b>slow</b>") == 1
        page.locator(PLAYER).focus()
        page.keyboard.press("Home")
        assert step(page) == 0
        assert page.locator(".ovp-step").inner_text() == "step 0 of 120"
        page.keyboard.press("ArrowRight")
        assert step(page) == 1
        assert page.locator(".ovp-step").inner_text() == "step 1 of 120"
        # Plotly drew the scene (the surface's image), and the heads are drawn on their canvas.
        assert page.locator(".ovp-gd .main-svg image").count() == 1
        drawn = page.evaluate(
            """() => { const c = document.querySelector('.ovp-heads');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; }"""
        )
        assert drawn > 50
        page.keyboard.press("End")
        assert step(page) == 120
        # Nothing was fetched from anywhere but the file itself (and data: URIs, not routed).
        assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_exported_lesson_asks_before_it_plays_offline(browser: Browser, tmp_path: Path, lang: str):
    """A teacher's handout: the lesson's question and choices, a race held at its start, and,
    once a choice is locked in, the verdict, the explanation and the race playing; no server."""
    experiment = dataclasses.replace(lesson_experiment("minibatches"), lesson="minibatches", lang=lang)
    trajectories = run_experiment(experiment)
    path = tmp_path / "lesson.html"
    html = export.race_html(
        experiment, trajectories, figures.background(experiment.build_surface()), base_url="http://class.example:8501"
    )
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    context.route("**/*", lambda r: r.abort() if not r.request.url.startswith("file:") else r.continue_())
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_function(READY, timeout=30_000)
    say = Words(lang)
    assert page.locator(".optviz-link code").inner_text().startswith("http://class.example:8501/?v=2&")  # a full link
    held = player(page)
    assert held["step"] == 0
    assert not held["playing"]
    assert page.locator(f"{PLAYER} .ovp-play").is_disabled()
    explanation = page.locator("#optviz-explanation")
    assert not explanation.is_visible()
    choices = say.list("lesson.minibatches.choices")
    answer = LESSONS["minibatches"].answer
    page.get_by_label(choices[answer]).check()
    page.get_by_role("button", name=say("lesson.check")).click()
    assert page.locator("#optviz-right").is_visible()
    assert not page.locator("#optviz-wrong").is_visible()
    assert explanation.is_visible()
    page.wait_for_function("() => document.querySelector('.ovp').__player.step > 0")
    assert page.locator(f"{PLAYER} .ovp-play").is_enabled()
    context.close()


def test_the_page_offers_the_exports(page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=valley&steps=50&run=sgd:lr=0.05&run=adam:lr=0.1")
    wait_for_app(page)
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Trajectories (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")  # after its byte order mark
    assert download.value.suggested_filename == "optviz-valley.csv"
    lines = text.splitlines()
    assert lines[0] == ",".join(export.csv_header(Experiment.make("valley")))  # the names of the page's columns
    assert len(lines) == 1 + 2 * 51
    with page.expect_download() as download:
        page.get_by_role("button", name="Player (HTML)").click()
    assert download.value.suggested_filename == "optviz-valley.html"
    assert "optvizView({" in Path(download.value.path()).read_text(encoding="utf-8")
