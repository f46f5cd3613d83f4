"""The class pack (python -m optviz.pack DIR): every lesson in both languages, opened from
file:// with every other request refused, asking first and playing once answered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from optviz.settings.lessons import LESSONS
from optviz.text import LANGUAGES, Words
from scripts.app_server import ROOT
from tests.browser.pages import PLAYER, player
from tests.browser.test_export import READY

RACES = [name for name, lesson in LESSONS.items() if not lesson.network]


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pack")
    command = [
        sys.executable,
        "-m",
        "optviz.pack",
        str(folder),
        "v=2&surface=saddle",
        "--url",
        "http://class.example:8501",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    assert f"{2 * len(RACES) + 2} files" in done.stdout
    return folder


def test_the_pack_holds_every_lesson_in_every_language_and_the_links_given(packed: Path):
    for lang in LANGUAGES:
        for name in RACES:
            text = (packed / lang / f"{name}.html").read_text(encoding="utf-8")
            assert "optviz-choice" in text  # it asks first
            assert "http://class.example:8501/?v=2&" in text  # and links back to the app
    assert "optvizView({" in (packed / "link-1.html").read_text(encoding="utf-8")
    index = (packed / "index.html").read_text(encoding="utf-8")
    for lang in LANGUAGES:
        for name in RACES:
            assert f'href="{lang}/{name}.html"' in index
            assert Words(lang)(f"lesson.{name}.title").replace("'", "&#x27;") in index
    assert 'href="link-1.html"' in index
    assert Words("zh")("pack.network") in index


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_student_opens_a_lesson_from_the_index_offline_and_answers_it(browser: Browser, packed: Path, lang: str):
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    fetched: list[str] = []

    def only_files(route):  # a USB stick: nothing but the pack's own files
        fetched.append(route.request.url)
        return route.continue_() if route.request.url.startswith("file:") else route.abort()

    context.route("**/*", only_files)
    page = context.new_page()
    page.goto((packed / "index.html").as_uri())
    say = Words(lang)
    page.locator(f'section[lang="{lang}"]').get_by_role("link", name=say("lesson.muon_matrix.title")).click()
    page.wait_for_function(READY, timeout=30_000)
    held = player(page)
    assert held["step"] == 0
    assert not held["playing"]
    explanation = page.locator("#optviz-explanation")
    assert not explanation.is_visible()
    choices = say.list("lesson.muon_matrix.choices")
    page.get_by_label(choices[LESSONS["muon_matrix"].answer]).check()
    page.get_by_role("button", name=say("lesson.check")).click()
    assert page.locator("#optviz-right").is_visible()
    assert explanation.is_visible()
    page.wait_for_function("() => document.querySelector('.ovp').__player.step > 0")
    assert page.locator(f"{PLAYER} .ovp-play").is_enabled()
    assert all(url.startswith(("file:", "data:")) for url in fetched), [u for u in fetched if not u.startswith("file:")]
    context.close()
