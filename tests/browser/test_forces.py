"""The forces while the race plays, in a real browser: at every run's head, equal to the engine's."""

from __future__ import annotations

import math

import numpy as np
from playwright.sync_api import Page, expect

import optviz
import surfaces
from optviz.teach import inspector
from tests.browser.pages import PLAYER, player, url_has, wait_for_app

RUNS = (("sgd", {"lr": 0.02}), ("sgd", {"lr": 0.02, "momentum": 0.9}), ("adam", {"lr": 0.1}))
LINK = "/?v=2&surface=valley&steps=100&still=true&forces=1&" + "&".join(
    f"run={name}:" + ",".join(f"{k}={v}" for k, v in hp.items()) for name, hp in RUNS
)
STEP = 5


def drawn(page: Page) -> dict:
    """The player's step, its forces (canvas pixels), and its pixels per CSS pixel of the forces' sizes."""
    return page.evaluate(
        """() => { const p = document.querySelector('.ovp').__player;
                   return {step: p.step, forces: p.forces, scale: p.scale() * p.ratio}; }"""
    )


def pixel(page: Page, point) -> list[float]:
    return page.evaluate(
        "([x, y]) => { const p = document.querySelector('.ovp').__player; return p.toPixel(p.plotArea(), x, y); }",
        [float(point[0]), float(point[1])],
    )


def on_screen(arrow: dict) -> tuple[float, float]:
    """An arrow as a vector with y upwards (pixels count y downwards)."""
    return arrow["to"][0] - arrow["from"][0], -(arrow["to"][1] - arrow["from"][1])


def test_forces_equal_the_engines_at_every_head_and_the_button_switches_them(
    page: Page, app_url: str, console_errors: list[str]
):
    surf = surfaces.get("valley")
    runs = [optviz.run(name, surf, start=surf.default_start, steps=100, record="state", **hp) for name, hp in RUNS]
    page.goto(app_url + LINK)
    wait_for_app(page)
    page.locator(PLAYER).focus()
    page.keyboard.press("Home")
    for _ in range(STEP):
        page.keyboard.press("ArrowRight")
    assert player(page)["step"] == STEP
    seen = drawn(page)
    by = {(f["run"], f["kind"]): f for f in seen["forces"]}
    assert set(by) == {
        *((i, kind) for i in range(3) for kind in ("step", "gradient")),
        (1, "velocity"),
        (2, "velocity"),
        (2, "squares"),  # only the adaptive run has them
    }
    for index, t in enumerate(runs):
        found = inspector.vectors(t)
        origin, head = pixel(page, t.points[STEP - 1]), pixel(page, t.points[STEP])
        # Every force starts where step k began; the step arrow ends at the head, point k.
        for kind in ("step", "gradient", "velocity"):
            if (index, kind) in by:
                np.testing.assert_allclose(by[index, kind]["from"], origin, atol=0.5)
        np.testing.assert_allclose(by[index, "step"]["to"], head, atol=0.5)
        # -g_k, the gradient at theta_{k-1} as the engine fed it, and -v_k point as drawn; their
        # length is 30 px for a vector of length 1, 10 px more for each tenfold.
        pushes = [("gradient", t.grads[STEP - 1])] + ([("velocity", found.velocity[STEP])] if index else [])
        for kind, vector in pushes:
            x, y = on_screen(by[index, kind])
            assert abs(math.atan2(y, x) - math.atan2(-vector[1], -vector[0])) < 1e-3, (index, kind)
            length = min(70, max(10, 30 + 10 * math.log10(math.hypot(*vector)))) * seen["scale"]
            assert abs(math.hypot(x, y) - length) < 0.01, (index, kind)
    # Adam's rectangle: width and height are its effective step sizes in x and y, 24 px for lr.
    squares = by[2, "squares"]
    effective = inspector.vectors(runs[2]).effective[STEP] / 0.1
    assert not squares["capped"]
    np.testing.assert_allclose(squares["size"], 24 * seen["scale"] * effective, rtol=1e-5)
    np.testing.assert_allclose(squares["at"], pixel(page, runs[2].points[STEP - 1]), atol=0.5)
    key = page.locator(".ovp-forces-key")
    expect(key).to_contain_text("effective step size per coordinate")
    expect(key).to_contain_text("velocity's push")

    # While it plays: each frame's forces are at that frame's step.
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('.ovp').__player.step > 20")
    playing = page.evaluate(
        """() => { const p = document.querySelector('.ovp').__player, a = p.plotArea();
                   const step = p.forces.find(f => f.run === 0 && f.kind === 'step');
                   return {playing: p.playing, to: step.to, head: p.toPixel(a, p.runs[0].x[p.step], p.runs[0].y[p.step])}; }"""
    )
    assert playing["playing"]
    np.testing.assert_allclose(playing["to"], playing["head"], atol=0.01)

    # The button switches them off: none drawn, and the link forgets them.
    button = page.locator(".ovp-forces")
    expect(button).to_have_attribute("aria-pressed", "true")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    assert drawn(page)["forces"] == []
    page.wait_for_url(lambda url: "forces=" not in url, timeout=30_000)
    wait_for_app(page)
    assert drawn(page)["forces"] == []
    expect(key).to_be_empty()
    button.click()  # and on again
    page.wait_for_url(url_has("forces=true"), timeout=30_000)
    wait_for_app(page)
    page.wait_for_function("() => document.querySelector('.ovp').__player.forces.length > 0")


def test_the_forces_button_and_key_speak_chinese(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + LINK + "&lang=zh")
    wait_for_app(page)
    page.locator(PLAYER).focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator(".ovp-forces")).to_have_attribute(
        "aria-label", "每个优化器当前位置上的力：步、梯度、速度、有效步长"
    )
    key = page.locator(".ovp-forces-key")
    expect(key).to_contain_text("下坡方向")
    expect(key).to_contain_text("每个坐标的有效步长")
