"""Figures a sharp student cannot contradict, in a real browser: a run far off the picture has
diverged and says so at its step; a head outside the plot is drawn on its edge and named so."""

from playwright.sync_api import Page, expect

from tests.browser.pages import PLAYER, player, wait_for_app, whole_story


def test_a_run_that_leaves_the_picture_is_marked_diverged_at_its_step(
    page: Page, app_url: str, console_errors: list[str]
):
    page.goto(app_url + "/?v=2&surface=valley&run=sgd:lr=0.25&run=sgd:lr=0.19")
    wait_for_app(page)
    runs = page.evaluate("() => document.querySelector('.ovp').__player.runs.map(r => r.diverged_at)")
    assert runs[0] is not None  # lr 0.25, past 2/L = 0.2: it grew to 8e35 and was never called diverged
    assert runs[1] is None
    cells = page.locator(f"{PLAYER} .ovp-loss")
    expect(cells.nth(0)).to_have_text(f"diverged at step {runs[0]}")  # the player opens on the last step
    drawn = player(page)["runs"][0]
    assert drawn["x"][runs[0] :] == [drawn["x"][runs[0] - 1]] * (len(drawn["x"]) - runs[0])  # frozen there


def test_a_head_outside_the_plot_is_drawn_on_its_edge_and_named(page: Page, app_url: str, console_errors: list[str]):
    # f = x + y has no minimum: gradient descent walks downhill at a constant pace, off the plot.
    page.goto(app_url + "/?v=2&surface=formula:f=x%2By&steps=400&run=sgd:lr=0.02")
    wait_for_app(page)
    whole_story(page)
    state = page.evaluate(
        """() => { const p = document.querySelector('.ovp').__player, a = p.plotArea();
                   const r = p.runs[0], i = r.x.length - 1, [px, py] = p.toPixel(a, r.x[i], r.y[i]);
                   return {off: r.off, diverged: r.diverged_at, at: [px, py], size: [p.heads.width, p.heads.height]}; }"""
    )
    assert state["diverged"] is None  # not diverged: only outside the picture
    assert state["off"]
    assert state["at"][0] < 0 or state["at"][1] > state["size"][1]  # its point is outside
    expect(page.locator(f"{PLAYER} .ovp-loss").first).to_have_class("ovp-loss ovp-off")
    assert "↗" in page.evaluate("() => getComputedStyle(document.querySelector('.ovp-off'), '::after').content")
    expect(page.locator(f"{PLAYER} .ovp-offnote")).to_have_text("↗ outside the plot: drawn on its edge")
    # Its marker is drawn on the plot, inside the frame, towards the point.
    drawn = page.evaluate(
        """() => { const p = document.querySelector('.ovp').__player, ctx = p.heads.getContext('2d');
                   const d = ctx.getImageData(0, 0, p.heads.width, p.heads.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert drawn > 50
    page.locator(PLAYER).focus()
    page.keyboard.press("Home")  # at the start the head is inside: no mark
    expect(page.locator(f"{PLAYER} .ovp-off")).to_have_count(0)
    expect(page.locator(f"{PLAYER} .ovp-offnote")).to_have_text("")
