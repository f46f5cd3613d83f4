"""The convergence-by-direction view in a real browser: two panels (steep, flat), each with one
drawn line per run in the run's colour and a dashed line for each run theory has a rate for, in
the page's language; off a quadratic, one line that says so."""

import pytest
from playwright.sync_api import Page, expect

from optviz.draw.directions_figure import caption
from optviz.draw.race import colour
from optviz.settings import Experiment
from optviz.text import say
from tests.browser.pages import hex_rgb, wait_for_app

# The valley's default page: SGD at 0.19 and 0.02, with momentum, with Nesterov, and Adam.
RUNS = 5
THEORY = 4  # every run but Adam's

# Per subplot of the figure: the stroke colour of each line plotly.js drew, and whether it is dashed.
DRAWN = """() => {
    const gd = document.querySelector('.ovf-gd');
    const panels = {};
    for (const subplot of gd.querySelectorAll('.subplot')) {
        const name = Array.from(subplot.classList).find(c => c !== 'subplot');
        panels[name] = Array.from(subplot.querySelectorAll('.scatterlayer path.js-line'))
            .filter(p => (p.getAttribute('d') || '').length > 10)
            .map(p => ({colour: p.style.stroke, dashed: (p.style.strokeDasharray || 'none') !== 'none'}));
    }
    return {panels, titles: Array.from(gd.querySelectorAll('.annotation-text')).map(a => a.textContent)};
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_direction_draws_every_run(page: Page, app_url: str, console_errors: list[str], lang: str):
    page.goto(app_url + f"/?v=2&surface=valley&view=directions&lang={lang}")
    wait_for_app(page)
    page.wait_for_function(
        "() => { const gd = document.querySelector('.ovf-gd'); return gd && gd._fullLayout && gd._fullLayout.yaxis2; }",
        timeout=60_000,
    )
    drawn = page.evaluate(DRAWN)
    assert drawn["titles"] == [
        say("directions.steep", lang, curvature="10"),
        say("directions.flat", lang, curvature="1"),
    ]
    assert set(drawn["panels"]) == {"xy", "x2y2"}
    expected = ["rgb({}, {}, {})".format(*hex_rgb(colour(slot))) for slot in range(RUNS)]
    for lines in drawn["panels"].values():
        solid = [line["colour"] for line in lines if not line["dashed"]]
        dashed = [line["colour"] for line in lines if line["dashed"]]
        assert solid == expected
        assert dashed == [c for c in expected[:THEORY] for _ in range(2)]  # ±|e(0)|·ρᵏ: two halves a line
    experiment = Experiment.make("valley", lang=lang)
    no_theory = caption(experiment, experiment.build_surface(), str)[1]  # Adam's
    expect(page.get_by_text(no_theory)).to_be_visible()


def test_off_a_quadratic_the_view_says_so(page: Page, app_url: str, console_errors: list[str]):
    page.goto(app_url + "/?v=2&surface=rosenbrock&view=directions&lang=zh&steps=50")
    wait_for_app(page)
    expect(page.get_by_text(say("directions.not_quadratic", "zh"))).to_be_visible()
    expect(page.locator(".ovf-gd")).to_have_count(0)
