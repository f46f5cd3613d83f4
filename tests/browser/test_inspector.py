"""The step inspector in a real browser: arrows on the race, and a panel that follows the paused step."""

from __future__ import annotations

import math

import numpy as np
from playwright.sync_api import Page, expect

import optviz
import surfaces
from tests.browser.pages import PLAYER, player, wait_for_app

LINK = "/?v=2&surface=valley:kappa=10,angle=30&steps=500&run=sgd:lr=0.05,momentum=0.9&view=inspect"


def arrows(page: Page) -> list[dict]:
    """The arrows the player drew at its step, in canvas pixels, with the colour drawn near each tip
    (of the 3x3 pixels there, the one nearest the arrow's own fill, white or black: the test does
    not depend on how a thin line's edge is antialiased)."""
    return page.evaluate(
        """() => {
            const p = document.querySelector('.ovp').__player;
            const ctx = p.heads.getContext('2d', {willReadFrequently: true});
            return p.arrows.map(a => {
                // 70% of the way along: past the anchor other arrows share, short of the head.
                const x = a.from[0] + 0.7 * (a.to[0] - a.from[0]), y = a.from[1] + 0.7 * (a.to[1] - a.from[1]);
                const data = ctx.getImageData(Math.round(x) - 1, Math.round(y) - 1, 3, 3).data;
                const fill = a.kind === 'velocity' ? 0 : 255;
                let best = null;
                for (let i = 0; i < data.length; i += 4) {
                    const pixel = Array.from(data.slice(i, i + 4)), off = Math.abs(pixel[0] - fill) - pixel[3];
                    if (best === null || off < best.off) best = {off, pixel};
                }
                return {...a, colour: best.pixel};
            });
        }"""
    )


def angle(vector) -> float:
    return math.atan2(vector[1], vector[0])


def test_arrows_follow_the_step_and_the_panel_follows_the_paused_player(
    page: Page, app_url: str, console_errors: list[str]
):
    surf = surfaces.get("valley", kappa=10, angle=30)
    t = optviz.run("sgd", surf, start=surf.default_start, steps=500, lr=0.05, momentum=0.9, record="state")
    page.goto(app_url + LINK)
    wait_for_app(page)
    expect(page.get_by_text("step 500 of 500", exact=False).last).to_be_visible()

    page.locator(PLAYER).focus()
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert player(page)["step"] == 3
    # The paused player tells the page its step; the panel under it follows.
    expect(page.get_by_role("heading", name="SGD momentum 0.9, lr 0.05 — step 3 of 500")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    velocity = t.states.momentum_buffer[3]
    expect(page.get_by_text(f"({velocity[0]:.6g}, {velocity[1]:.6g})").first).to_be_visible()

    drawn = {a["kind"]: a for a in arrows(page)}
    assert set(drawn) == {"step", "gradient", "velocity"}
    # Every arrow leaves the point the step left, theta_2; the step ends at theta_3.
    origin, end = (
        page.evaluate(
            "([x, y]) => { const p = document.querySelector('.ovp').__player; return p.toPixel(p.plotArea(), x, y); }",
            list(point),
        )
        for point in (t.points[2], t.points[3])
    )
    for arrow in drawn.values():
        np.testing.assert_allclose(arrow["from"], origin, atol=0.5)
    np.testing.assert_allclose(drawn["step"]["to"], end, atol=0.5)
    # The gradient arrow points downhill, the velocity arrow the way the momentum pushes
    # (pixels count y downwards, so y flips).
    for kind, vector in (("gradient", -t.grads[2]), ("velocity", -t.states.momentum_buffer[3])):
        arrow = drawn[kind]
        on_screen = (arrow["to"][0] - arrow["from"][0], -(arrow["to"][1] - arrow["from"][1]))
        assert abs(angle(on_screen) - angle(vector)) < 1e-3, kind
    # Drawn: white for -g, black for the velocity (opaque, on the grey surface).
    assert drawn["gradient"]["colour"][3] > 200
    assert min(drawn["gradient"]["colour"][:3]) > 220
    assert drawn["velocity"]["colour"][3] > 200
    assert max(drawn["velocity"]["colour"][:3]) < 40

    page.locator(PLAYER).focus()
    page.keyboard.press("Home")  # the start: no step, no arrow
    assert arrows(page) == []
    expect(page.get_by_text("no step has been taken yet", exact=False)).to_be_visible(timeout=30_000)
