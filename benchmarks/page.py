"""Browser benchmark of the page: ``python3 -m benchmarks.page [--repeats N]``.

Drives Debian's Chromium through Playwright against the app and a reference page served in
the same run, and prints:

- the time to the first chart: optviz's default page against a trivial Streamlit page with
  one Plotly contour (benchmarks/trivial_app.py), each opened in a fresh browser context
  (nothing cached), interleaved, medians and their ratio (target: within 1.3x);
- the number of DOM nodes of both pages;
- the bytes the server sends over the WebSocket for the largest race (10 runs x 5,000
  steps; target under 1 MB), and for a change of one run's learning rate there;
- the playback frame rate of that race in headless Chromium (requestAnimationFrame count
  while it plays at 500 steps per second; target at least 30 per second);
- the server's CPU time per visitor opening a link (the same link, caches warm), against the
  trivial page's (most of which is Streamlit serving its own files and starting a session).

Numbers vary with the machine and its load; ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from scripts.app_server import running_server

LARGEST = "v=1&steps=5000&" + "&".join(f"run=sgd:lr={1e-4 * (i + 1):.4g},momentum=0.9" for i in range(10))
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update"]


def first_chart_ms(browser: Browser, url: str, ready: str) -> tuple[float, int]:
    """Milliseconds from navigation to the first chart drawn, and the page's DOM nodes then."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(ready, timeout=60_000, polling=20)
    elapsed = page.evaluate("() => performance.now()")
    page.wait_for_timeout(500)
    nodes = page.evaluate("() => document.getElementsByTagName('*').length")
    context.close()
    return elapsed, nodes


def websocket_bytes(page: Page) -> list[int]:
    """A running total of the bytes the server sends to ``page`` over its WebSocket."""
    total = [0]

    def count(frame: str | bytes) -> None:
        total[0] += len(frame)

    page.on("websocket", lambda ws: ws.on("framereceived", count))
    return total


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100.0  # utime + stime, in clock ticks of 1/100 s


PLAYER_READY = "() => document.querySelector('.ovp')?.__ready?.done === true"
CHART_READY = "() => document.querySelector('.js-plotly-plot')?._fullLayout !== undefined"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with (
        running_server("app.py") as (app, server),
        running_server("benchmarks/trivial_app.py") as (trivial, trivial_server),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        first_chart_ms(browser, app, PLAYER_READY)  # warm the servers' caches and imports
        first_chart_ms(browser, trivial, CHART_READY)
        ours, reference, our_nodes, reference_nodes = [], [], 0, 0
        for _ in range(args.repeats):
            elapsed, our_nodes = first_chart_ms(browser, app, PLAYER_READY)
            ours.append(elapsed)
            elapsed, reference_nodes = first_chart_ms(browser, trivial, CHART_READY)
            reference.append(elapsed)
        a, b = statistics.median(ours), statistics.median(reference)
        print(f"Time to the first chart (median of {args.repeats}, fresh browser contexts, interleaved):")
        print(f"  optviz default page   {a:7.0f} ms   (runs {min(ours):.0f}-{max(ours):.0f})")
        print(f"  trivial Plotly page   {b:7.0f} ms   (runs {min(reference):.0f}-{max(reference):.0f})")
        print(f"  ratio                 {a / b:7.2f}x  (target: within 1.3x)")
        print(f"DOM nodes: optviz {our_nodes:,}, trivial page {reference_nodes:,}")

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sent = websocket_bytes(page)
        page.goto(f"{app}/?{LARGEST}")
        page.wait_for_function(PLAYER_READY, timeout=60_000)
        page.wait_for_timeout(500)
        loaded = sent[0]
        print("Largest race, 10 runs x 5,000 steps:")
        print(f"  WebSocket bytes to open it         {loaded / 1e6:6.2f} MB (target: under 1 MB)")
        lr = page.locator("input[aria-label='lr, exact']").first
        page.get_by_test_id("stSidebar").get_by_text("Run 1:").click()
        lr.fill("0.00015")
        lr.press("Enter")
        page.wait_for_timeout(3000)
        print(f"  WebSocket bytes for one lr change  {(sent[0] - loaded) / 1e6:6.2f} MB (one run's arrays)")
        frames = page.evaluate(
            """() => new Promise(resolve => {
                const p = document.querySelector('.ovp').__player;
                p.speed.value = '1000'; p.showSpeed(); p.go(0); p.play();
                let frames = 0; const t0 = performance.now();
                function tick(now) {
                    frames++;
                    if (now - t0 < 4000) requestAnimationFrame(tick);
                    else { p.pause(); resolve({frames, seconds: (now - t0) / 1000, step: p.step}); }
                }
                requestAnimationFrame(tick);
            })"""
        )
        print(
            f"  playback at 500 steps/s            {frames['frames'] / frames['seconds']:6.1f} frames/s "
            f"(target: 30; reached step {frames['step']} in {frames['seconds']:.1f} s)"
        )
        context.close()

        visitors = 10
        link = f"{app}/?v=2&surface=saddle"
        first_chart_ms(browser, link, PLAYER_READY)  # warm this link's cache
        used = {}
        for name, url, pid, ready in (
            ("optviz", link, server.pid, PLAYER_READY),
            ("trivial", trivial, trivial_server.pid, CHART_READY),
        ):
            before = cpu_seconds(pid)
            for _ in range(visitors):
                first_chart_ms(browser, url, ready)
            used[name] = (cpu_seconds(pid) - before) / visitors * 1e3
        print(
            f"Server CPU per visitor opening a link ({visitors} visitors each): optviz {used['optviz']:.0f} ms, "
            f"trivial page {used['trivial']:.0f} ms (Streamlit's own files and session), "
            f"ratio {used['optviz'] / used['trivial']:.2f}x"
        )
        browser.close()


if __name__ == "__main__":
    main()
