"""The comparison's figures (optviz.draw.network_figures): they draw the result's numbers, in
the optimizer's colour, every word from the catalogs in the reader's language."""

import json

import numpy as np
import pytest

from optviz.draw import network_figures as nf
from optviz.draw.race import colour
from optviz.settings.lessons import LESSONS
from optviz.study import network as nw
from optviz.text import LANGUAGES, Words

SGD, MOMENTUM, _, _, _, _, ADAM, _ = nw.TUTORIAL


@pytest.fixture(scope="module")
def compared():
    request = nw.Comparison("iris", "mlp", epochs=2, seeds=3, optimizers=(SGD, MOMENTUM, ADAM))
    tuning = nw.tune(request.grid)
    return nw.compare(request, tuning)


@pytest.mark.parametrize("axis", nf.AXES)
def test_the_curves_are_each_optimizers_median_and_band(compared, axis):
    figure = nf.curves_figure(compared, axis=axis)
    json.dumps(figure)  # plain data: the page sends it as it is
    traces = figure["data"]
    assert len(traces) == 3 * len(nw.METRICS) * len(compared.curves)  # low, high, median
    for p, metric in enumerate(nw.METRICS):
        for index, curves in enumerate(compared.curves):
            low, high, median = traces[
                3 * (p * len(compared.curves) + index) : 3 * (p * len(compared.curves) + index) + 3
            ]
            shown = curves.band(metric)
            assert median["y"] == shown.median.tolist()
            assert low["y"] == shown.low.tolist()
            assert high["y"] == shown.high.tolist()
            assert high["fill"] == "tonexty"
            x = compared.epochs if axis == "epoch" else curves.grad_evals
            assert median["x"] == low["x"] == x.tolist()
            assert median["line"]["color"] == colour(index)
            assert median["showlegend"] == (p == 0)  # one legend entry an optimizer
    assert figure["layout"]["yaxis"]["type"] == "log"
    assert figure["layout"]["yaxis3"]["tickformat"] == ".0%"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_word_is_the_readers(compared, lang):
    say = Words(lang)
    figure = nf.curves_figure(compared, axis="grad_evals", lang=lang)
    layout = figure["layout"]
    assert layout["xaxis3"]["title"]["text"] == say("network.grad_evals")
    assert [layout[a]["title"]["text"] for a in ("yaxis", "yaxis2", "yaxis3")] == [
        say(f"network.{m}") for m in nw.METRICS
    ]
    names = [trace["name"] for trace in figure["data"] if trace.get("showlegend")]
    assert names == [nf.label(compared, i, lang) for i in range(3)]
    assert names[1].startswith(say("preset.SGD with momentum"))
    grid = nf.grid_figure(compared.tuning, lang)
    assert grid["layout"]["yaxis"]["title"]["text"] == say("network.validation_loss")
    columns = nf.table(compared, lang)
    assert next(iter(columns)) == say("network.optimizer")
    assert all(text for text, _ in nf.verdict_lines(compared, compared.verdict(), lang))
    if lang == "zh":
        assert layout["xaxis3"]["title"]["text"] == "梯度计算次数"
        assert "调优" in names[0]


def test_the_grid_marks_each_chosen_rate(compared):
    figure = nf.grid_figure(compared.tuning)
    json.dumps(figure)
    rings = [t for t in figure["data"] if t.get("marker", {}).get("symbol") == "circle-open"]
    assert len(rings) == len(compared.tuning.optimizers)
    for ring, tuned in zip(rings, compared.tuning.optimizers, strict=True):
        assert ring["x"] == [tuned.lr]
        assert ring["y"] == [float(np.nanmin(tuned.validation_loss))]


def test_a_diverged_rate_is_an_x_on_the_grid():
    wild = nw.Contender("Wild SGD", "sgd", lr_range=(5.0, 10.0))
    tuning = nw.tune(nw.Comparison("iris", "mlp", epochs=3, optimizers=(wild,)).grid)
    crosses = [t for t in nf.grid_figure(tuning)["data"] if t.get("marker", {}).get("symbol") == "x-thin"]
    assert crosses[0]["x"] == tuning.optimizers[0].lrs[tuning.optimizers[0].diverged].tolist()


def test_the_table_is_the_results_final_rows(compared):
    columns = list(nf.table(compared).values())
    rows = compared.table()
    assert columns[1] == [row.accuracy for row in rows]
    assert columns[3] == [row.train_loss for row in rows]
    assert columns[4] == [row.test_loss for row in rows]
    assert columns[5] == ["0 of 3"] * 3


def test_the_verdict_lines_link_lessons_that_exist(compared):
    for _, lesson in nf.verdict_lines(compared, compared.verdict()):
        assert lesson is None or lesson in LESSONS


def test_a_bad_axis_or_metric_is_refused(compared):
    with pytest.raises(ValueError, match="unknown axis 'step'"):
        nf.curves_figure(compared, axis="step")
    with pytest.raises(ValueError, match="unknown metrics"):
        nf.curves_figure(compared, metrics=("accuracy",))


def test_the_finals_show_every_seed_and_the_best_ones_range(compared):
    figure = nf.finals_figure(compared)
    json.dumps(figure)
    dots = [t for t in figure["data"] if t.get("marker", {}).get("symbol") == "circle"]
    for index, (trace, curves) in enumerate(zip(dots, compared.curves, strict=True)):
        assert trace["x"] == curves.test_accuracy[:, -1].tolist()
        assert trace["y"] == [index] * compared.request.seeds
    best = compared.verdict().best
    (shade,) = figure["layout"]["shapes"]
    assert (shade["x0"], shade["x1"]) == (
        compared.curves[best].test_accuracy[:, -1].min(),
        compared.curves[best].test_accuracy[:, -1].max(),
    )
