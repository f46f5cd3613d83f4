"""Nothing leaves the machine, and a run's name is only text: in a real browser.

No figure's modebar (the race's, each view's, the exported HTML's) offers to send the chart
anywhere or shows Plotly's logo; loading the page, clicking every button of every modebar and
opening the exported HTML from disk request nothing from anywhere but the page's own origin;
a hostile run name in the map's caption, the legends and the basin maps' titles fetches
nothing and draws no link or image.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Browser, BrowserContext, Page

from optviz.draw import export, figures, sweep_figures
from optviz.settings import parse
from optviz.study.results import run_experiment
from optviz.text import Words
from tests.browser.pages import wait_for_app
from tests.link_grammar import query_from_string

# A modebar button or link that could send the chart somewhere: Plotly's "Share chart" (to its
# cloud), "Edit in Chart Studio", its logo (a link to plotly.com), an "Edit chart" link.
SENDS = re.compile(r"share|cloud|studio|edit|send|upload|plotly", re.IGNORECASE)
PLOTS = ".ovp-gd, .ovf-gd"  # the race's plot and every other figure's
READY = "() => { const p = document.querySelector('.ovp')?.__ready; return p !== undefined && p.done; }"
FIGURES_DRAWN = (
    "(count) => document.querySelectorAll('.ovf-gd').length >= count &&"
    " Array.from(document.querySelectorAll('.ovf-gd')).every(gd => gd._fullLayout)"
)
# What each plot was drawn with, for the keys of the one config.
CONFIGS = f"keys => Array.from(document.querySelectorAll('{PLOTS}'))"
CONFIGS += ".map(gd => Object.fromEntries(keys.map(k => [k, gd._context[k]])))"
BUTTONS = """() => Array.from(document.querySelectorAll('.modebar-btn, .modebar a')).map(b => ({
    title: b.getAttribute('data-title') || '', attr: b.getAttribute('data-attr') || '',
    value: b.getAttribute('data-val') || '', tag: b.tagName, classes: b.className.baseVal ?? b.className,
    href: b.getAttribute('href') || b.getAttribute('xlink:href') || ''}))"""


def foreign_requests(context: BrowserContext, page: Page, *own: str) -> list[str]:
    """Every request ``page`` makes to anywhere but ``own`` (prefixes), recorded; those that can
    be routed are also aborted, so that nothing reaches another host."""
    foreign: list[str] = []

    def route(route) -> None:
        if route.request.url.startswith(own):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("request", lambda r: None if r.url.startswith((*own, "data:")) else foreign.append(r.url))
    return foreign


def assert_nothing_sends(page: Page, least: int) -> None:
    """No modebar button or link that sends the chart anywhere, no logo; each plot drawn with the one config."""
    buttons = page.evaluate(BUTTONS)
    assert len(buttons) >= least, buttons  # the modebars are there, with their buttons
    for button in buttons:
        assert button["tag"] == "BUTTON", button  # no link (Plotly's logo is one)
        assert not SENDS.search(" ".join((button["title"], button["attr"], button["value"], button["classes"])))
        assert not button["href"], button
    assert page.locator(".modebar-btn--logo, .plotlyjsicon, a[href*='plotly'], a[href*='plot.ly']").count() == 0
    configs = page.evaluate(CONFIGS, list(figures.PLOTLY_CONFIG))
    assert configs
    assert all(config == figures.PLOTLY_CONFIG for config in configs), configs


def click_every_button(page: Page, plot) -> None:
    """Click each button of ``plot``'s modebar (a PNG download is made on the spot, from a blob)."""
    plot.scroll_into_view_if_needed()
    plot.hover()
    buttons = plot.locator(".modebar-btn")
    for index in range(buttons.count()):
        button = buttons.nth(index)
        plot.hover()
        if button.get_attribute("data-title") == "Download plot as a PNG":
            with page.expect_download() as download:
                button.click()
            assert download.value.url.startswith(("blob:", "data:"))
        else:
            button.click()


VIEWS = ("loss", "3d", "sweep", "map", "basins")
LINK = "/?v=2&surface=valley&steps=50&sweep_n=50&map_n=10&basin_n=10&run=sgd:lr=0.1&run=adam:lr=0.1&view="


def test_no_modebar_sends_the_chart_anywhere_and_nothing_leaves_the_origin(
    page: Page, app_url: str, console_errors: list[str]
):
    foreign = foreign_requests(page.context, page, app_url, "blob:" + app_url)
    for view in VIEWS:
        page.goto(app_url + LINK + view)
        wait_for_app(page)
        page.wait_for_function(FIGURES_DRAWN, arg=1, timeout=60_000)
        plots = page.locator(PLOTS)
        assert plots.count() >= 2  # the race and the view's figures
        for index in range(plots.count()):
            plots.nth(index).scroll_into_view_if_needed()
            plots.nth(index).hover()
        assert_nothing_sends(page, least=5 * plots.count())
        link = page.url
        if view == VIEWS[0]:  # the race's buttons are the same in every view
            click_every_button(page, page.locator(".ovp-gd"))
        click_every_button(page, page.locator(".ovf-gd").first)  # a basin map's are its neighbour's
        page.wait_for_timeout(300)
        assert page.url == link  # a click on a modebar button is no click on the plot
        assert_nothing_sends(page, least=5 * plots.count())
    assert foreign == []


def link_with_names(names: list[str], extra: str = "") -> str:
    """A link whose runs carry these names, percent-encoded as the page writes them (and then
    as the address bar does)."""
    runs = "".join("&run=" + quote("sgd:lr=0.05,name=" + quote(name, safe=""), safe="") for name in names)
    return f"/?v=2&surface=valley&steps=50&map_n=10&basin_n=10{runs}{extra}"


HOSTILE = [
    "![x](http://127.0.0.1:9/p.png)",
    '<a href="http://x.example">x</a>',
    "%{x} $\\alpha$ <b>b</b>",
    ':red[b] =HYPERLINK("http://x.example")',
]
NOTHING_LIVE = "[data-testid='stMain'] img, [data-testid='stMain'] a[href*='x.example'], [data-testid='stMain'] a[href*='127.0.0.1:9']"


def test_a_hostile_name_in_the_map_caption_and_the_legends_fetches_nothing(
    page: Page, app_url: str, console_errors: list[str]
):
    foreign = foreign_requests(page.context, page, app_url, "blob:" + app_url)
    say = Words("en")
    for number, name in enumerate(HOSTILE[:2], start=1):  # the map's caption names the run it maps
        page.goto(app_url + link_with_names(HOSTILE, f"&view=map&map_run={number}"))
        wait_for_app(page)
        page.wait_for_function(FIGURES_DRAWN, arg=1, timeout=60_000)
        caption = page.get_by_test_id("stCaptionContainer").filter(has_text=f"Run {number}:")
        assert caption.inner_text().replace("\u2060", "") == say("map.of_run", number=number, label=name)
        assert page.locator(NOTHING_LIVE).count() == 0
        assert caption.locator("a, img, [style*='color']").count() == 0
    for view, count in (("loss", 1), ("sweep", 1), ("basins", len(HOSTILE))):
        page.goto(app_url + link_with_names(HOSTILE, f"&view={view}"))
        wait_for_app(page)
        page.wait_for_function(FIGURES_DRAWN, arg=count, timeout=60_000)
        if view == "basins":  # each map's title: "k. name"
            titles = page.locator(".ovf-gd .gtitle").all_text_contents()
            expected = [f"{number}. {name}" for number, name in enumerate(HOSTILE, start=1)]
            assert titles == [sweep_figures._short(title, 40) for title in expected]  # a long one cut, as written
        else:  # the legend names each run as written (a twin's sweep then says whose curve it is)
            legend = page.locator(".ovf-gd .legendtext").all_text_contents()[: len(HOSTILE)]
            assert all(text.startswith(name) for text, name in zip(legend, HOSTILE, strict=True)), legend
        assert page.locator(".ovf-gd a, .ovf-gd [style*='bold']").count() == 0  # no link, no <b> drawn
        assert page.locator(NOTHING_LIVE).count() == 0
        runs = page.locator(".ovp-runs").inner_text()
        assert all(name in runs for name in HOSTILE)  # the player's table: text, never markup
    assert foreign == []


def test_the_exported_html_sends_nothing_and_offers_no_share(browser: Browser, tmp_path: Path):
    experiment, problems = parse(query_from_string(link_with_names(HOSTILE)[2:]))
    assert not problems
    assert experiment.labels() == HOSTILE
    trajectories = run_experiment(experiment)
    path = tmp_path / "race.html"
    path.write_text(
        export.race_html(experiment, trajectories, figures.background(experiment.build_surface())), encoding="utf-8"
    )
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        foreign = foreign_requests(context, page, "file:", "blob:null")
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        page.wait_for_function(READY, timeout=30_000)
        plot = page.locator(".ovp-gd")
        plot.hover()
        assert_nothing_sends(page, least=5)
        click_every_button(page, plot)
        assert_nothing_sends(page, least=5)
        runs = page.locator(".ovp-runs").inner_text()
        assert all(name in runs for name in HOSTILE)
        assert page.locator("img, a").count() == 0
        assert foreign == []
        assert errors == []
    finally:
        context.close()
