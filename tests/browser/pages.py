"""What the browser tests read from the page: Streamlit's state, and the race player's drawing."""

from __future__ import annotations

from urllib.parse import unquote

from playwright.sync_api import Page, expect

PLAYER = ".ovp"  # the race player's root element


def wait_for_app(page: Page, timeout: float = 60_000, race: bool = True) -> None:
    """Wait until Streamlit has connected and finished running the script, with no exception.

    With ``race``, also wait until the race player has drawn the script's latest data.
    """
    page.wait_for_timeout(200)
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for(
        state="attached", timeout=timeout
    )
    page.locator(
        "[data-testid='stApp'][data-test-script-state='notRunning'],"
        "[data-testid='stApp'][data-test-script-state='compilationError']"
    ).wait_for(state="attached", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    if race:
        page.wait_for_function(
            "() => { const p = document.querySelector('.ovp')?.__ready; return p !== undefined && p.done; }",
            timeout=timeout,
        )


def whole_story(page: Page) -> None:
    """Stop the race the page opened playing and show its last step (the End key)."""
    page.locator(PLAYER).focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "() => { const p = document.querySelector('.ovp').__player; return !p.playing && p.step === p.steps; }"
    )


def url_has(text: str):
    """A wait_for_url predicate: the address bar (which Streamlit percent-encodes) holds ``text``."""
    return lambda url: text in unquote(url)


def player(page: Page) -> dict:
    """The player's state: the step shown, and each run's label, colour and path (every step)."""
    return page.evaluate(
        """() => {
            const p = document.querySelector('.ovp').__player;
            return {
                step: p.step, steps: p.steps, playing: p.playing,
                runs: p.runs.map(r => ({label: r.label, colour: r.colour, symbol: r.symbol,
                                        x: Array.from(r.x), y: Array.from(r.y)})),
            };
        }"""
    )


def page_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """Where the data point (x, y) is on the page, in CSS pixels, by the plot's own axes."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
                const p = document.querySelector('.ovp').__player, a = p.plotArea();
                const box = p.gd.getBoundingClientRect();
                return [box.left + a.left + a.xa.l2p(x), box.top + a.top + a.ya.l2p(y)];
            }""",
            [x, y],
        )
    )


def data_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """The data point under the page's pixel (x, y), by the plot's own axes."""
    return tuple(
        page.evaluate(
            """([x, y]) => {
                const p = document.querySelector('.ovp').__player, a = p.plotArea();
                const box = p.gd.getBoundingClientRect();
                return [a.xa.p2l(x - box.left - a.left), a.ya.p2l(y - box.top - a.top)];
            }""",
            [x, y],
        )
    )


def canvas_colours(page: Page, layer: str, points: list[tuple[float, float]]) -> list[list[int]]:
    """The colour (r, g, b, a) drawn on a canvas layer ("trails" or "heads") at each data point.

    Of the 3x3 device pixels around the point, the most opaque one is taken, so that the
    test does not depend on how a line's edge is antialiased.
    """
    return page.evaluate(
        """([layer, points]) => {
            const p = document.querySelector('.ovp').__player, a = p.plotArea();
            const canvas = layer === 'heads' ? p.heads : p.trails;
            const ctx = canvas.getContext('2d', {willReadFrequently: true});
            return points.map(([x, y]) => {
                const [px, py] = p.toPixel(a, x, y);
                const data = ctx.getImageData(Math.round(px) - 1, Math.round(py) - 1, 3, 3).data;
                let best = [0, 0, 0, 0];
                for (let i = 0; i < data.length; i += 4) if (data[i + 3] > best[3]) best = Array.from(data.slice(i, i + 4));
                return best;
            });
        }""",
        [layer, [list(point) for point in points]],
    )


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
