"""Browser benchmark of the race answering a change: ``python -m benchmarks.live [--seconds S]``.

Drives Debian's Chromium through Playwright against the app (scripts.app_server) on the default
page (8 runs x 500 steps, at 1280 x 720), with real input (the mouse and the keyboard), and
prints:

- dragging the start: the paths drawn again per second while the start is dragged at 30 moves a
  second (each a preview made in the race's fragment, ui.live; one at a time, the newest position
  each time), and each preview's time from asking to drawn (target: at least 8 a second);
- the reference, measured in the same run: a click that moves the start, which runs the whole
  page again (what every change cost before previews), from the click to the new paths drawn,
  and how many of those would fit in a second;
- a slider dragged (the surface's parameter a): from the input event that moved it to the new
  paths drawn (its first preview), and a setting typed (the steps, Enter): from the key to the
  new paths drawn with the player's step kept (target: within 300 ms).

Numbers vary with the machine and its load; medians of several, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from scripts.app_server import running_app

ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update"]
PAGE = "/?v=2&still=1"
READY = "() => { const p = document.querySelector('.ovp')?.__player; return p && p.runs && p.root.__ready.done; }"

# Timestamps of what the player does: each preview asked for and drawn, each update drawn (with
# its steps and the player's step then), and the last input event the page saw.
WATCH = """() => {
    const p = document.querySelector('.ovp').__player, update = p.update.bind(p), send = p.sendPreview.bind(p);
    window.__live = {asked: {}, previews: [], updates: [], input: null};
    p.sendPreview = () => { const before = p.previews || 0; send(); if ((p.previews || 0) > before) window.__live.asked[p.previews] = performance.now(); };
    p.update = (data, ...rest) => {
        const drawn = update(data, ...rest);
        Promise.resolve(drawn).then(() => {
            const now = performance.now();
            if (data.preview) window.__live.previews.push([now, data.preview.at]);
            else window.__live.updates.push([now, data.steps, p.step, data.start]);
        });
        return drawn;
    };
    for (const kind of ['pointermove', 'keydown', 'pointerdown'])
        window.addEventListener(kind, (e) => { window.__live.input = [kind, e.timeStamp]; }, true);
}"""


def start_pixel(page: Page) -> tuple[float, float]:
    return tuple(
        page.evaluate(
            """() => { const p = document.querySelector('.ovp').__player, a = p.plotArea(), box = p.gd.getBoundingClientRect();
                       return [box.left + a.left + a.xa.l2p(p.start[0]), box.top + a.top + a.ya.l2p(p.start[1])]; }"""
        )
    )


def settle(page: Page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'", polling=20
    )
    page.wait_for_function(READY, polling=20)


MISSED: list[str] = []  # the changes that were never drawn (each waited for PATIENCE ms), by kind


def arrived(page: Page, condition: str, kind: str) -> bool:
    """Whether ``condition`` held within PATIENCE ms; a change never drawn is counted, not waited on."""
    try:
        page.wait_for_function(condition, polling=10, timeout=PATIENCE)
    except PlaywrightTimeout:
        MISSED.append(kind)
        return False
    return True


PATIENCE = 8000


def drag(page: Page, seconds: float) -> tuple[float, list[float]]:
    """Drag the start in a circle at 30 moves a second; the previews drawn a second, and their times."""
    x0, y0 = start_pixel(page)
    page.mouse.move(x0, y0)
    page.mouse.down()
    began = page.evaluate("() => performance.now()")
    moves = int(seconds * 30)
    for i in range(1, moves + 1):
        page.mouse.move(x0 + 60 * (1 - ((i * 7) % 40) / 20), y0 + 40 * (((i * 3) % 30) / 15 - 1))
        page.wait_for_timeout(1000 / 30)
    ended = page.evaluate("() => performance.now()")
    page.mouse.up()
    page.wait_for_function("() => !document.querySelector('.ovp').__player.movedStart", polling=20)  # let go: set
    settle(page)
    live = page.evaluate("() => window.__live")
    during = [t for t, _ in live["previews"] if began <= t <= ended]
    times = [t - live["asked"][str(at)] for t, at in live["previews"] if str(at) in live["asked"]]
    return len(during) / ((ended - began) / 1000), times


def click_to_drawn(page: Page, repeats: int) -> list[float]:
    """Clicks that move the start (the whole page runs again): from the click to the new paths."""
    times = []
    for i in range(repeats):
        x, y = start_pixel(page)
        count = page.evaluate("() => window.__live.updates.length")
        page.mouse.click(x + (40 if i % 2 == 0 else -40), y + 30 - 10 * i)
        if not arrived(page, f"() => window.__live.updates.length > {count}", "click"):
            continue
        settle(page)
        times.append(page.evaluate("() => { const l = window.__live; return l.updates.at(-1)[0] - l.input[1]; }"))
    return times


def slider_to_drawn(page: Page, repeats: int) -> list[float]:
    """A slider (rosenbrock's a) dragged one position: from the input event to the first preview drawn."""
    times = []
    for i in range(repeats):
        thumb = page.locator(".st-key-surface_rosenbrock_a [data-testid='stSliderThumbValue']").bounding_box()
        x, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
        count = page.evaluate("() => window.__live.previews.length")
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + (8 if i % 2 == 0 else -8), y)
        moved = page.evaluate("() => window.__live.input[1]")
        if arrived(page, f"() => window.__live.previews.length > {count}", "slider preview"):
            times.append(page.evaluate("() => window.__live.previews.at(-1)[0]") - moved)
        committed = page.evaluate("() => window.__live.updates.length")
        page.mouse.up()  # let go: the page runs whole with the new value
        arrived(page, f"() => window.__live.updates.length > {committed}", "slider let go")
        settle(page)
    return times


def typed_to_drawn(page: Page, repeats: int) -> list[float]:
    """The steps typed and Enter pressed, the player at step 37: from the key to the new paths
    drawn, which keep the player's step (checked)."""
    steps = page.get_by_test_id("stSidebar").get_by_label("Steps", exact=True)
    times = []
    for i in range(repeats):
        page.wait_for_timeout(500)  # a quiet page: typing into a box as a run lands replaces the text
        page.evaluate("() => document.querySelector('.ovp').__player.visit(37)")
        value = 300 if i % 2 == 0 else 400
        steps.fill(str(value))
        count = page.evaluate("() => window.__live.updates.length")
        steps.press("Enter")
        done = f"() => window.__live.updates.at(-1)?.[1] === {value} && window.__live.updates.length > {count}"
        if not arrived(page, done, "typed"):
            continue
        settle(page)
        _, drawn_steps, step, _ = page.evaluate("() => window.__live.updates.at(-1)")
        assert (drawn_steps, step) == (value, 37), "the player's step was not kept"
        times.append(page.evaluate("() => { const l = window.__live; return l.updates.at(-1)[0] - l.input[1]; }"))
    return times


def spread(values: list[float]) -> str:
    if not values:
        return "none drawn (see the changes never drawn)"
    return f"median {statistics.median(values):5.0f} ms (runs {min(values):.0f}-{max(values):.0f}, n={len(values)})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="how long the start is dragged")
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args(argv)
    with running_app() as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(app + PAGE)
        settle(page)
        page.evaluate(WATCH)
        drag(page, 1.0)  # warm: the first previews load what the server has not loaded yet
        rate, times = drag(page, args.seconds)
        clicks = click_to_drawn(page, args.repeats)
        print("Default page (8 runs x 500 steps), 1280 x 720, Chromium headless:")
        print(f"  start dragged: paths drawn again      {rate:5.1f} /s (target: at least 8)")
        print(f"    each preview, asked to drawn        {spread(times)}")
        print(f"  reference, a click (the whole page):  {spread(clicks)}")
        print(f"    as redraws a second                 {1000 / statistics.median(clicks):5.1f} /s")
        print(f"    ratio, drag redraws to clicks       {rate * statistics.median(clicks) / 1000:5.2f}x")
        page.goto(app + PAGE)
        settle(page)
        page.evaluate(WATCH)
        slid = slider_to_drawn(page, args.repeats)
        typed = typed_to_drawn(page, args.repeats)
        print(f"  a slider dragged, input to paths      {spread(slid)} (target: within 300 ms)")
        print(f"  steps typed, Enter to paths (step kept) {spread(typed)} (target: within 300 ms)")
        print(f"  changes never drawn (each waited {PATIENCE / 1000:g} s): {len(MISSED)} {sorted(MISSED)}")
        browser.close()


if __name__ == "__main__":
    main()
