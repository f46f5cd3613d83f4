"""Browser benchmark of the views that follow the race player: ``python -m benchmarks.playhead``.

Drives Debian's Chromium through Playwright against the app (scripts.app_server) on the
default page (8 runs x 500 steps) and prints, while the player plays on a loop at 500 steps
per second:

- with the 3-D view shown: the 3-D updates per second (view.js Live3D, at most one an animation
  frame; target at least 30), and the page's animation frames per second in the same seconds.
  While the race plays, the trails and heads are drawn on a canvas over the scene, projected
  with its camera: headless Chromium draws WebGL in software (SwiftShader), and drawing the
  whole scene again each step (Plotly's own traces moved) managed about 6 a second here
  (Plotly.restyle itself, which computes the surface again, about 80 ms a step). A step made
  by hand (the arrow keys, a scrub) is drawn on the canvas too, and Plotly's traces come back
  once the step has rested a quarter of a second; the time a step takes to show is printed;
- with the loss chart shown (the plain playback, as reference): the page's animation frames per
  second and the playhead's moves per second (view.js Playhead).

Numbers vary with the machine and its load; both are measured in the same run.
"""

from __future__ import annotations

import argparse

from playwright.sync_api import Page, sync_playwright

from scripts.app_server import running_app

ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update"]
PLAYER_READY = (
    "() => { const p = document.querySelector('.ovp')?.__player; return p && p.runs && p.root.__ready.done; }"
)
FIGURE = "document.querySelector('.ovf-gd')?.parentElement"

# Plays the race on a loop at 500 steps/s for ``seconds``, and counts the animation frames, the
# player's steps and the figure's updates (its ``counter`` field) in that time.
MEASURE = f"""([seconds, counter]) => new Promise(resolve => {{
    const p = document.querySelector('.ovp').__player, figure = {FIGURE};
    const target = counter && figure[counter === 'live' ? '__live' : '__playhead'];
    const field = counter === 'live' ? 'updates' : 'places';
    p.speed.value = '1000'; p.showSpeed(); p.loop = true; p.go(0); p.play();
    let frames = 0, steps = 0, started = null, before = 0;
    const onStep = () => {{ steps++; }};
    function tick(now) {{
        if (started === null) {{ started = now; before = target ? target[field] : 0; window.addEventListener('optviz:step', onStep); }}
        else frames++;
        if (now - started < seconds * 1000) requestAnimationFrame(tick);
        else {{
            window.removeEventListener('optviz:step', onStep);
            p.pause(); p.loop = false;
            const elapsed = (now - started) / 1000;
            resolve({{frames: frames / elapsed, steps: steps / elapsed,
                      updates: target ? (target[field] - before) / elapsed : null,
                      runs: p.runs.length, total: p.steps}});
        }}
    }}
    requestAnimationFrame(tick);
}})"""


def measure(page: Page, url: str, view: str, counter: str, seconds: float) -> dict:
    page.goto(f"{url}/?v=2&view={view}")
    page.wait_for_function(PLAYER_READY, timeout=90_000)
    page.wait_for_function(f"() => {FIGURE}?.{'__live' if counter == 'live' else '__playhead'}", timeout=90_000)
    page.wait_for_timeout(1500)  # the opening play ends, the figure settles
    page.evaluate("() => document.querySelector('.ovp').__player.pause()")
    return page.evaluate(MEASURE, [seconds, counter])


# By hand: the player paused and stepped one step at a time (as the arrow keys do), each step
# waited for (two animation frames); milliseconds per step, median.
AT_REST = f"""() => new Promise(resolve => {{
    const p = document.querySelector('.ovp').__player, times = [];
    p.pause(); p.go(100);
    const frame = () => new Promise(r => requestAnimationFrame(r));
    (async () => {{
        await frame(); await frame();
        for (let i = 1; i <= 20; i++) {{
            const t = performance.now(); p.go(100 + i); await frame(); await frame(); times.push(performance.now() - t);
        }}
        times.sort((a, b) => a - b);
        resolve({{ms: times[10], step: Number({FIGURE}.dataset.liveStep)}});
    }})();
}})"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="how long each measurement plays")
    args = parser.parse_args()
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        live = measure(page, url, "3d", "live", args.seconds)
        rest = page.evaluate(AT_REST)
        plain = measure(page, url, "loss", "playhead", args.seconds)
        browser.close()
    print(f"Default page, {live['runs']} runs x {live['total']} steps, playing at 500 steps/s on a loop:")
    print(f"  3-D view: 3-D updates            {live['updates']:6.1f} /s (target: 30)")
    print(
        f"  3-D view: animation frames       {live['frames']:6.1f} /s ({live['steps']:.1f} player steps announced /s)"
    )
    print(f"  3-D view stepped by hand          {rest['ms']:6.1f} ms a step (reached step {rest['step']})")
    print(f"  loss chart: animation frames     {plain['frames']:6.1f} /s (the plain playback, as reference)")
    print(f"  loss chart: playhead moves       {plain['updates']:6.1f} /s")


if __name__ == "__main__":
    main()
