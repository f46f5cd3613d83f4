"""The network page in a real browser: the comparison's curves drawn by plotly.js, the landscape
in the race player with every path labelled a projection, and the lesson that asks first."""

import pytest
from playwright.sync_api import Page, expect

from optviz.text import Words
from tests.browser.pages import player, wait_for_app

IRIS = "surface=network:data=iris,model=mlp,epochs=3,mode=defaults"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_comparison_and_its_landscape_are_drawn(page: Page, app_url: str, console_errors: list[str], lang: str):
    say = Words(lang)
    page.goto(app_url + f"/?v=2&{IRIS}&lang={lang}")
    wait_for_app(page)
    expect(page.get_by_text(say("network_page.verdict"), exact=True)).to_be_visible()
    # The curves: three panels, each optimizer a median line over a band of its seeds.
    curves = page.locator(".ovf-gd").first
    curves.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.ovf-gd')?._fullLayout?.yaxis3 !== undefined")
    lines = page.evaluate(
        "() => document.querySelector('.ovf-gd').querySelectorAll('.scatterlayer path.js-line').length"
    )
    assert lines >= 8 * 3  # eight optimizers in each of the three panels
    # The landscape: the race player over the plane, each of the eight paths a projection.
    drawn = player(page)
    assert len(drawn["runs"]) == 8
    marked = say("landscape.projected", label="\0").split("\0")
    assert all(run["label"].startswith(marked[0]) and run["label"].endswith(marked[1]) for run in drawn["runs"])
    assert all(len(run["x"]) == drawn["steps"] + 1 for run in drawn["runs"])


def test_the_lesson_asks_first_then_offers_the_trainings(page: Page, app_url: str, console_errors: list[str]):
    say = Words("en")
    page.goto(app_url + "/?v=2&lesson=network_test")
    wait_for_app(page, race=False)
    expect(page.get_by_text(say("lesson.network_test.question"))).to_be_visible()
    expect(page.locator(".ovp")).to_have_count(0)  # nothing of the outcome yet
    page.get_by_text(say.list("lesson.network_test.choices")[2]).click()
    page.get_by_role("button", name=say("lesson.check")).click()
    wait_for_app(page, race=False)
    expect(page.get_by_text(say("lesson.right"))).to_be_visible()
    # The CNN's trainings take many seconds of the server: they wait for a click.
    expect(page.get_by_role("button", name=say("network_page.train"))).to_be_visible()
