"""Every screen a class uses: the race and its controls on the first screen of a laptop, a
lesson's question beside a race of a useful size, a projector filled from the back of the room,
full screen with every control, a raw data surface drawn usably and honestly, and a phone that
brings the race into view once its question is answered.

The boxes are measured in Chromium at the sizes a class has: 1280 x 720 and 1366 x 768
(laptops, a 720p projector), 1920 x 1080 (a 1080p projector) and 400 x 860 (a phone).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

import surfaces
from optviz.settings.lessons import LESSONS
from optviz.text import Words
from tests.browser.pages import PLAYER, wait_for_app

LAPTOPS = [(1280, 720), (1366, 768), (1920, 1080)]
EN = Words("en")
# Every surface with a view of its data beside the race (a data set's rows and each run's model).
WITH_DATA = [name for name in surfaces.names() if surfaces.get(name).data_view is not None]

# The player's boxes, in CSS pixels of the viewport; ``scrolls`` whether any part of the page
# scrolls (Streamlit's main area, or the document).
BOXES = """() => {
    const root = document.querySelector('.ovp'), box = (el) => el.getBoundingClientRect().toJSON();
    const main = document.querySelector("[data-testid='stMain']"), doc = document.scrollingElement;
    const controls = [...root.querySelectorAll('.ovp-controls button, .ovp-controls input')];
    return {
        plot: box(root.querySelector('.ovp-plot')),
        controls: box(root.querySelector('.ovp-controls')),
        each: controls.map(box),
        width: window.innerWidth, height: window.innerHeight,
        scrolls: (main && main.scrollHeight > main.clientHeight + 1) || doc.scrollHeight > doc.clientHeight + 1,
        wide: doc.scrollWidth > doc.clientWidth + 1,
    };
}"""

# Each display formula on the page: how wide it is drawn and how wide its box is. A formula of
# several lines (KaTeX's gathered) draws 2 px past its box, its own margin: SLACK allows for it.
FORMULAS = """() => [...document.querySelectorAll('.katex-display')].map(
    (el) => ({scroll: el.scrollWidth, client: el.clientWidth}))"""
SLACK = 3


def opened(browser: Browser, url: str, size: tuple[int, int], theme: str = "light") -> Page:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, color_scheme=theme)
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    page.wait_for_timeout(400)  # the plot is fitted to the screen as the page above it settles
    return page


def boxes(page: Page) -> dict:
    return page.evaluate(BOXES)


def on_first_screen(b: dict) -> None:
    """The race and every control are seen without scrolling."""
    assert b["plot"]["top"] >= 0
    assert b["controls"]["bottom"] <= b["height"], f"the controls end at {b['controls']['bottom']} of {b['height']}"
    for control in b["each"]:
        assert control["left"] >= 0
        assert control["right"] <= b["width"]
        assert control["top"] >= 0
        assert control["bottom"] <= b["height"]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", LAPTOPS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_default_page_shows_the_race_and_its_controls_on_its_first_screen(browser, app_url, size, theme):
    page = opened(browser, app_url + "/?v=2", size, theme)
    b = boxes(page)
    on_first_screen(b)
    assert b["plot"]["height"] >= 380
    page.context.close()


@pytest.mark.parametrize("surface", surfaces.names())
def test_every_surface_fits_a_laptop_screen(browser, app_url, surface):
    page = opened(browser, app_url + f"/?v=2&surface={surface}", (1280, 720))
    b = boxes(page)
    on_first_screen(b)
    assert b["plot"]["height"] >= 380
    assert b["plot"]["width"] >= 300  # a raw data surface, whose axes differ a hundredfold, too
    # and its formula fits its column: a wider one would be cut off at its right edge (it scrolls, unseen)
    formulas = page.evaluate(FORMULAS)
    assert formulas
    for formula in formulas:
        assert formula["scroll"] <= formula["client"] + SLACK, f"{surface}: {formula}"
    page.context.close()


def test_the_page_opens_on_a_race_that_moves(browser, app_url):
    """Nothing moved until Play was found: the page's first race now plays from its start."""
    page = opened(browser, app_url + "/?v=2", (1280, 720))
    first = page.evaluate("() => document.querySelector('.ovp').__player.step")
    page.wait_for_timeout(600)
    later = page.evaluate("() => document.querySelector('.ovp').__player.step")
    assert later > first or later == page.evaluate("() => document.querySelector('.ovp').__player.steps")
    page.context.close()


def test_no_race_plays_by_itself_for_a_visitor_who_asked_for_less_motion(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, reduced_motion="reduce")
    page = context.new_page()
    page.goto(app_url + "/?v=2")
    wait_for_app(page)
    page.wait_for_timeout(600)
    state = page.evaluate(
        "() => { const p = document.querySelector('.ovp').__player; return [p.step, p.steps, p.playing]; }"
    )
    assert state == [0, state[1], False]  # still, at its start, waiting for Play
    assert page.locator(".ovp-bigplay").is_visible()
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_lesson_shows_its_question_beside_a_race_of_useful_size(browser, app_url, lang):
    page = opened(browser, app_url + f"/?v=2&lesson=minibatches&lang={lang}", (1280, 720))
    b = boxes(page)
    on_first_screen(b)
    assert b["plot"]["height"] >= 400
    question = page.get_by_test_id("stMain").get_by_test_id("stRadioGroup").bounding_box()
    assert question["x"] + question["width"] <= b["plot"]["left"]  # beside the race, on its left
    assert question["y"] < b["plot"]["bottom"]
    assert question["y"] + question["height"] <= b["height"]
    page.context.close()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_projector_link_fills_the_screen(browser, app_url, size):
    page = opened(browser, app_url + "/?v=2&hide=all", size)
    b = boxes(page)
    on_first_screen(b)
    assert not b["scrolls"]
    assert b["plot"]["height"] >= 0.75 * size[1]
    sizes = page.evaluate(
        """() => ({
            names: [...document.querySelectorAll('.ovp-runs td:first-child')].map(e => parseFloat(getComputedStyle(e).fontSize)),
            ticks: [...document.querySelectorAll('.ovp .xtick text, .ovp .ytick text')].map(e => parseFloat(e.style.fontSize)),
        })"""
    )
    least = 28 if size[1] >= 1080 else 18  # read from the back of a room
    assert sizes["names"]
    assert min(sizes["names"]) >= least
    assert sizes["ticks"]
    assert min(sizes["ticks"]) >= least
    page.context.close()


def test_full_screen_shows_every_control(browser, app_url):
    page = opened(browser, app_url + "/?v=2", (1280, 720))
    page.locator(f"{PLAYER} .ovp-full").click()
    page.wait_for_function("() => document.fullscreenElement === document.querySelector('.ovp')")
    page.wait_for_timeout(400)
    b = boxes(page)
    on_first_screen(b)
    assert b["plot"]["height"] >= 450
    page.keyboard.press("Escape")
    page.context.close()


@pytest.mark.parametrize("surface", ["tips", "iris"])
def test_a_raw_data_surface_is_drawn_usably_and_says_its_axes_are_not_to_scale(browser, app_url, surface):
    page = opened(browser, app_url + f"/?v=2&surface={surface}", (1280, 720))
    b = boxes(page)
    on_first_screen(b)
    assert b["plot"]["width"] >= 300
    assert b["plot"]["height"] >= 300
    note = EN("player.not_to_scale", n="").split("\n")[0].split("{n}")[0][:12]
    expect(page.locator(f"{PLAYER} .annotation-text")).to_contain_text(note)
    page.context.close()


def test_a_surface_at_one_scale_says_nothing_of_scales(browser, app_url):
    page = opened(browser, app_url + "/?v=2&surface=rosenbrock", (1280, 720))
    expect(page.locator(f"{PLAYER} .annotation-text")).to_have_count(0)
    page.context.close()


def test_a_phone_shows_the_race_whole_and_brings_it_into_view_once_answered(browser, app_url):
    page = opened(browser, app_url + "/?v=2&lesson=minibatches", (400, 860))
    b = boxes(page)
    assert not b["wide"]  # nothing runs off the side of a phone
    assert b["plot"]["width"] >= 300
    lesson = LESSONS["minibatches"]
    main = page.get_by_test_id("stMain")
    main.get_by_text(EN.list("lesson.minibatches.choices")[lesson.answer], exact=True).click()
    main.get_by_role("button", name=EN("lesson.check")).click()
    wait_for_app(page)
    page.wait_for_timeout(1000)  # the race scrolls into view
    b = boxes(page)
    assert b["plot"]["top"] >= -1
    assert b["controls"]["bottom"] <= b["height"] + 1
    page.context.close()


@pytest.mark.parametrize(("surface", "title"), [("rosenbrock", "f − f*"), ("saddle", "f")])
def test_the_race_says_what_its_greys_mean(browser, app_url, surface, title):
    """A colour bar beside the race: f − f* on a log scale where the shading is logarithmic."""
    page = opened(browser, app_url + f"/?v=2&surface={surface}", (1280, 720))
    bar = page.locator(f"{PLAYER} .colorbar")
    expect(bar).to_have_count(1)
    expect(bar.locator(".cbtitle")).to_have_text(title)
    assert bar.locator(".cbaxis text").count() >= 3  # its ticks
    # the minimum is a ring with a dot, not a cross (a cross reads as "diverged")
    symbols = page.evaluate("() => document.querySelector('.ovp .ovp-gd').data.map(t => t.marker && t.marker.symbol)")
    assert "circle-open-dot" in symbols
    assert not any(s and ("x" in s.split("-") or "cross" in s) for s in symbols)
    page.context.close()


def test_reduce_motion_keeps_the_race_still(browser, app_url):
    page = opened(browser, app_url + "/?v=2&still=true", (1280, 720))
    page.wait_for_timeout(600)
    state = page.evaluate(
        "() => { const p = document.querySelector('.ovp').__player; return [p.step, p.steps, p.playing]; }"
    )
    assert state == [0, state[1], False]  # at its start, waiting for Play
    expect(page.locator(".ovp-bigplay")).to_be_visible()
    page.context.close()


def test_contour_lines_can_be_turned_off(browser, app_url):
    page = opened(browser, app_url + "/?v=2", (1280, 720))
    source = "() => document.querySelector('.ovp .ovp-gd')._fullLayout.images[0].source"
    lined = page.evaluate(source)
    page.get_by_test_id("stSidebar").get_by_text(EN("setting.contours.title")).click()
    page.wait_for_url(lambda url: "contours=false" in url, timeout=30_000)
    wait_for_app(page)
    assert page.evaluate(source) != lined
    page.context.close()


@pytest.mark.parametrize("surface", WITH_DATA)
def test_a_data_surface_shows_its_data_and_each_runs_model_moving_with_the_player(browser, app_url, surface):
    """Beside the race, as TensorFlow Playground shows its data: the rows, and each run's model
    (a line through the bills and tips, a logistic curve over the petal widths) at the step
    the player is on."""
    page = opened(browser, app_url + f"/?v=2&surface={surface}&still=true", (1280, 720))
    view = page.locator(f"{PLAYER} .ovp-data")
    expect(view).to_be_visible()
    expect(view.locator("figcaption")).to_have_text(EN("player.data_title"))
    pixels = """() => { const c = document.querySelector('.ovp-data canvas');
                        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""
    first = page.evaluate(pixels)
    assert any(first[3::4])  # drawn
    page.locator(PLAYER).focus()
    page.keyboard.press("End")  # the models at the last step: other lines
    assert page.evaluate(pixels) != first
    page.context.close()


def test_a_surface_without_data_has_no_data_view(browser, app_url):
    page = opened(browser, app_url + "/?v=2&surface=rosenbrock", (1280, 720))
    expect(page.locator(f"{PLAYER} .ovp-data")).to_be_hidden()
    page.context.close()


def test_a_lessons_formula_fits_its_column_on_a_projector(browser, app_url):
    page = opened(browser, app_url + "/?v=2&lesson=zigzag&quiz=false", (1920, 1080))
    formulas = page.evaluate(FORMULAS)
    assert formulas
    for formula in formulas:
        assert formula["scroll"] <= formula["client"] + SLACK, formula
    page.context.close()
