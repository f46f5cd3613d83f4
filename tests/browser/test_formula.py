"""A typed formula in a real browser: typed in the box, carried by the address bar, opened again."""

from urllib.parse import unquote_plus

from playwright.sync_api import Page, expect

from tests.browser.pages import player, wait_for_app


def test_a_typed_formula_goes_into_the_link_and_the_link_opens_it(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=formula")
    wait_for_app(page)
    box = page.get_by_test_id("stSidebar").get_by_role("textbox", name="f")
    box.fill("(x - 1)**2 + 3*(y + 0.5)**2")
    box.press("Control+Enter")  # a text area applies its text on Ctrl+Enter, or when it loses focus
    page.wait_for_url(lambda url: "f=(x - 1)**2 + 3*(y + 0.5)**2" in unquote_plus(url), timeout=30_000)
    wait_for_app(page)
    link = page.url
    minimum = page.evaluate("() => document.querySelector('.ovp').__player.scene.minima[0]")
    assert minimum[:2] == [1.0, -0.5]  # found by Newton's method: exactly there
    fresh = page.context.browser.new_page()
    fresh.goto(link)  # the shared link, in another page
    wait_for_app(fresh)
    expect(fresh.get_by_test_id("stAlert")).to_have_count(0)  # no problem with the link
    assert player(fresh)["runs"][0]["x"][:1] == player(page)["runs"][0]["x"][:1]
    assert fresh.evaluate("() => document.querySelector('.ovp').__player.scene.minima[0]")[:2] == [1.0, -0.5]
    fresh.close()
