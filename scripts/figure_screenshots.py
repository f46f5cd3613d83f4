"""Screenshots of the loss chart and the 3-D view alone, light and dark, without the app.

    python3 -m scripts.figure_screenshots [--out DIR] [CASE ...]

For each case (all of them when none is named) builds ``figures.loss_figure`` and
``figures.surface_3d_figure``, writes each with Plotly's ``write_html`` (plotly.js from the
installed plotly package, so nothing is fetched), puts the page's theme on top as the app's
component does (transparent backgrounds, the theme's font colour, the page's background) and
saves a PNG taken in Debian's Chromium: ``<case>-<loss|3d>-<light|dark>.png`` in DIR
(``screenshots-tmp/`` by default, which git ignores). Nothing here is a test; the pictures
are for people to look at.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
from playwright.sync_api import sync_playwright

from optviz.draw import figures
from optviz.settings import DEFAULT_RUNS, Experiment, Run
from optviz.study.results import run_experiment
from scripts.app_server import ROOT

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
THEMES = {"light": ("#ffffff", "#31333f"), "dark": ("#0e1117", "#fafafa")}  # Streamlit's page and text
WIDTH = 760  # about the width the app gives a tab on a laptop


def valley(kappa: float) -> Experiment:
    return Experiment.make("valley", surface_params={"kappa": kappa, "angle": 30}, runs=DEFAULT_RUNS)


CASES = {
    "valley-k10": lambda: valley(10),
    "valley-k100": lambda: valley(100),
    "valley-k1000": lambda: valley(1000),
    "rosenbrock": lambda: Experiment.make("rosenbrock", runs=DEFAULT_RUNS),
    "rosenbrock-diverge": lambda: Experiment.make("rosenbrock", runs=[*DEFAULT_RUNS, Run.make("sgd", lr=0.01)]),
    "saddle": lambda: Experiment.make("saddle", runs=DEFAULT_RUNS),
    "himmelblau": lambda: Experiment.make("himmelblau", runs=DEFAULT_RUNS),
    "rastrigin": lambda: Experiment.make("rastrigin", runs=DEFAULT_RUNS),
    "beale": lambda: Experiment.make("beale", runs=DEFAULT_RUNS),
    "goldstein-price": lambda: Experiment.make("goldstein_price", runs=DEFAULT_RUNS),
    "booth": lambda: Experiment.make("booth", runs=DEFAULT_RUNS),
    "six-hump-camel": lambda: Experiment.make("six_hump_camel", runs=DEFAULT_RUNS),
}


def themed(figure: dict, theme: str) -> dict:
    _, font = THEMES[theme]
    layout = {**figure["layout"], "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"}
    return {**figure, "layout": {**layout, "font": {"color": font}, "width": WIDTH}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=", ".join(CASES))
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots-tmp")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; the cases are: {', '.join(CASES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": 600})
        for case in args.cases or CASES:
            experiment = CASES[case]()
            surf = experiment.build_surface()
            trajectories = run_experiment(experiment)
            built = {
                "loss": figures.loss_figure(experiment, surf, trajectories),
                "3d": figures.surface_3d_figure(experiment, surf, trajectories),
            }
            for kind, figure in built.items():
                go.Figure(figure)  # valid in Plotly's schema
                for theme, (background, _) in THEMES.items():
                    html = args.out / f"{case}-{kind}-{theme}.html"
                    pio.write_html(
                        themed(figure, theme),
                        html,
                        include_plotlyjs=PLOTLY_JS.as_uri(),
                        config=figures.PLOTLY_CONFIG,  # drawn as on the page
                        validate=False,
                        post_script=f"document.body.style.background = '{background}';"
                        "document.body.style.margin = '0';",
                    )
                    page.goto(html.as_uri())
                    page.wait_for_selector(".main-svg")
                    page.wait_for_timeout(1200 if kind == "3d" else 200)  # WebGL draws after the SVG
                    clip = {"x": 0, "y": 0, "width": WIDTH, "height": figure["layout"]["height"]}
                    page.screenshot(path=args.out / f"{case}-{kind}-{theme}.png", clip=clip)
                    html.unlink()
        browser.close()


if __name__ == "__main__":
    main()
