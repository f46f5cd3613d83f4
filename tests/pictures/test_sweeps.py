"""Sweeps, hyperparameter maps and basin maps: their values are single runs', their labels right."""

import numpy as np
import pytest

import optviz
from optviz import OPTIMIZERS
from optviz.draw import sweep_figures
from optviz.settings import (
    BASIN_COUNT,
    MAP_COUNT,
    MAP_OF,
    MAP_RUN,
    MAP_X,
    MAP_Y,
    SWEEP_COUNT,
    SWEEP_FROM,
    SWEEP_TO,
    Experiment,
    Run,
    parse,
    to_query,
)
from optviz.study import sweeps
from optviz.text import LANGUAGES, Words
from tests.page.test_app import race, start, views


def _single(experiment, run, start=None, **changes):
    surf = experiment.build_surface()
    values = sweeps.assign(run.optimizer, run.values(), changes)
    return optviz.run(
        run.optimizer,
        surf,
        start=experiment.start if start is None else start,
        steps=experiment.steps,
        tolerance=experiment.tolerance,
        **values,
    )


def test_log_grid_is_short_readable_numbers_from_end_to_end():
    lrs = sweeps.log_grid(1e-4, 1.0, 60)
    assert len(lrs) == 60
    assert lrs[0] == 1e-4
    assert lrs[-1] == 1.0
    assert all(float(f"{v:.3g}") == v for v in lrs)
    assert np.all(np.diff(lrs) > 0)
    np.testing.assert_array_equal(sweeps.log_grid(1.0, 1e-4, 60), lrs)  # either order
    with pytest.raises(ValueError, match="Invalid range"):
        sweeps.log_grid(0.0, 1.0, 50)


@pytest.mark.parametrize("surface", ["valley", "rosenbrock", "saddle"])
def test_a_sweeps_points_are_single_runs(surface):
    experiment = Experiment.make(surface)
    lrs = sweeps.log_grid(1e-4, 1.0, 50)
    found = sweeps.sweep(experiment, lrs)
    f_star = experiment.build_surface().f_star
    for run, result in zip(experiment.runs, found, strict=True):
        for i in (0, 17, 33, 49):
            single = _single(experiment, run, lr=float(lrs[i]))
            if single.diverged_at is not None:
                assert result.diverged[i]
                assert np.isnan(result.gap[i])
                continue
            assert result.gap[i] == single.losses[-1] - f_star  # the same bits
            expected = np.nan if single.settled_at is None else single.settled_at
            np.testing.assert_equal(result.steps[i], expected)  # the step it stays within the tolerance from


def test_the_best_rate_on_the_valley_is_theorys_and_the_fair_race_uses_it():
    experiment = Experiment.make("valley", runs=(Run.make("sgd", lr=0.02, name="mine", slot=4),))
    found = sweeps.sweep(experiment, sweeps.log_grid(1e-3, 1.0, 80))
    best = found[0].lrs[found[0].best()]
    assert best == pytest.approx(2 / 11, rel=0.08)  # gradient descent's optimal rate 2/(m + L)
    assert found[0].converging_ranges()[-1][1] < 0.2  # nothing converges beyond 2/L
    fair = sweeps.with_best_rates(experiment, found)
    assert fair.runs[0].values()["lr"] == best
    assert fair.runs[0].name == "mine"
    assert fair.slots() == experiment.slots()  # it keeps its colour


def test_a_run_that_converges_nowhere_is_judged_by_its_final_loss():
    result = sweeps.Sweep(
        lrs=np.array([0.1, 0.2, 0.3]),
        gap=np.array([3.0, 1.0, np.nan]),
        steps=np.array([np.nan, np.nan, np.nan]),
        diverged=np.array([False, False, True]),
    )
    assert result.best() == 1
    everywhere = sweeps.Sweep(np.array([1.0]), np.array([np.nan]), np.array([np.nan]), np.array([True]))
    assert everywhere.best() is None


def test_the_best_rate_is_the_one_with_the_fewest_gradient_evaluations_to_the_tolerance():
    """LBFGS's fewest steps may cost the most evaluations: the fair race counts evaluations."""
    found = sweeps.Sweep(
        lrs=np.array([0.1, 0.5, 1.0]),
        gap=np.array([1e-9, 1e-9, 1e-9]),
        steps=np.array([12.0, 8.0, 4.0]),
        diverged=np.array([False, False, False]),
        evaluations=np.array([20.0, 30.0, 90.0]),
    )
    assert found.best() == 0
    assert sweeps.Sweep(found.lrs, found.gap, found.steps, found.diverged).best() == 2  # by steps alone


def test_a_sweep_of_lbfgs_counts_its_gradient_evaluations_and_says_so():
    experiment = Experiment.make(
        "rosenbrock", steps=60, runs=(Run.make("lbfgs", max_iter=4), Run.make("adam", lr=0.05))
    )
    lbfgs, adam = sweeps.sweep(experiment, sweeps.log_grid(0.05, 1.0, 4))
    assert adam.evaluations is None  # one a step: its steps
    converged = lbfgs.converged
    assert converged.any()
    assert (lbfgs.evaluations[converged] > lbfgs.steps[converged]).all()  # several evaluations a step
    for lr, steps, evaluations in zip(
        lbfgs.lrs[converged], lbfgs.steps[converged], lbfgs.evaluations[converged], strict=True
    ):
        t = optviz.run("lbfgs", "rosenbrock", steps=60, lr=lr, max_iter=4, tolerance=experiment.tolerance)
        assert t.settled_at == steps
        assert t.evaluations[int(steps)] == evaluations  # the path's own count, by then
    for lang in LANGUAGES:
        current = [(float(run.values()["lr"]), 1.0, None, None) for run in experiment.runs]
        fig = sweep_figures.sweep_figure(
            [lbfgs, adam],
            experiment.labels(),
            ["#111111"] * 2,
            current,
            surf=experiment.build_surface(),
            tolerance=experiment.tolerance,
            start_gap=1.0,
            lang=lang,
        )
        assert fig["layout"]["yaxis2"]["title"]["text"] == Words(lang)("sweep.evaluations")
        middle = [trace for trace in fig["data"] if trace.get("yaxis") == "y2" and trace["mode"] == "lines+markers"]
        assert middle[0]["y"][: len(lbfgs.lrs)] == [None if np.isnan(v) else v for v in lbfgs.evaluations.tolist()]


def test_a_maps_cells_are_single_runs():
    experiment = Experiment.make("valley", runs=(Run.make("adam", lr=0.05),))
    run = experiment.runs[0]
    found = sweeps.hyper_map(experiment, run, ("lr", "beta1"), 12, (1e-3, 1.0))
    f_star = experiment.build_surface().f_star
    assert found.gap.shape == (len(found.ys), len(found.xs))
    for j, i in ((0, 0), (5, 7), (11, 11), (3, 10)):
        single = _single(experiment, run, lr=float(found.xs[i]), beta1=float(found.ys[j]))
        if single.diverged_at is None:
            assert found.gap[j, i] == single.losses[-1] - f_star
        else:
            assert np.isnan(found.gap[j, i])


def test_a_map_marks_settings_the_optimizer_refuses():
    experiment = Experiment.make("valley", runs=(Run.make("sgd", lr=0.02, momentum=0.9, nesterov=True),))
    found = sweeps.hyper_map(experiment, experiment.runs[0], ("lr", "momentum"), 10, (1e-3, 1.0))
    assert found.invalid[0].all()  # momentum 0 with Nesterov: torch refuses it
    assert not found.invalid[1:].any()
    assert np.isnan(found.gap[0]).all()


def test_basin_labels_are_right_next_to_each_minimum():
    experiment = Experiment.make("himmelblau", runs=(Run.make("sgd", lr=0.01),), steps=300)
    surf = experiment.build_surface()
    found = sweeps.basin_map(experiment, experiment.runs[0], 40)
    for index, m in enumerate(surf.basin_minima):
        i = int(np.argmin(np.abs(found.xs - m.x)))
        j = int(np.argmin(np.abs(found.ys - m.y)))
        assert found.label[j, i] == index
        assert found.steps[j, i] < 60  # a start next to a minimum arrives soon
    # And every cell is what a single run from that cell's centre gives.
    for j, i in ((0, 0), (13, 27), (39, 39), (20, 20)):
        single = _single(experiment, experiment.runs[0], start=(found.xs[i], found.ys[j]))
        if single.diverged_at is not None:
            assert found.label[j, i] == sweeps.DIVERGED
        elif single.reached_at is None:
            assert found.label[j, i] == sweeps.NOT_CONVERGED
        else:
            assert found.steps[j, i] == single.reached_at


def test_diverged_and_unconverged_cells_are_labelled_and_coloured_apart():
    experiment = Experiment.make("himmelblau", runs=(Run.make("sgd", lr=0.03),), steps=40)
    found = sweeps.basin_map(experiment, experiment.runs[0], 30)
    labels = set(np.unique(found.label).tolist())
    assert {sweeps.DIVERGED, sweeps.NOT_CONVERGED} <= labels  # corners fly off; 40 steps is not enough for some
    rgb = sweep_figures.basin_rgb(found)
    diverged = rgb[found.label == sweeps.DIVERGED][0]
    unconverged = rgb[found.label == sweeps.NOT_CONVERGED][0]
    assert tuple(diverged) == sweep_figures.DIVERGED_RGB
    assert tuple(unconverged) == sweep_figures.NOT_CONVERGED_RGB
    figure = sweep_figures.basin_figure(found, experiment.build_surface(), experiment.start, "run", "en")
    legend = [trace["name"] for trace in figure["data"] if trace.get("x") == [None]]
    assert "diverged" in legend
    assert "not within the tolerance" in legend


def test_rastrigins_basins_are_its_dimples():
    experiment = Experiment.make("rastrigin", runs=(Run.make("sgd", lr=0.002),), steps=200)
    surf = experiment.build_surface()
    found = sweeps.basin_map(experiment, experiment.runs[0], 22)
    arrived = found.label[found.label >= 0]
    assert len(set(arrived.tolist())) > 50  # many dimples, each its own basin
    for j, i in ((3, 4), (10, 11), (18, 2)):
        assert found.label[j, i] >= 0  # these starts arrive ...
        m = surf.basin_minima[found.label[j, i]]
        assert abs(m.x - found.xs[i]) < 0.75
        assert abs(m.y - found.ys[j]) < 0.75  # ... in the dimple they start in


VIEW_SETTINGS = {
    SWEEP_FROM: 0.002,
    SWEEP_TO: 0.5,
    SWEEP_COUNT: 80,
    MAP_RUN: 2,
    MAP_X: "beta1",
    MAP_Y: "beta2",
    MAP_OF: "loss",
    MAP_COUNT: 25,
    BASIN_COUNT: 150,
}


def test_the_views_settings_round_trip_through_the_link():
    experiment = Experiment.make("himmelblau", view="basins", **{spec.name: v for spec, v in VIEW_SETTINGS.items()})
    query = to_query(experiment)
    for spec, value in VIEW_SETTINGS.items():
        assert query[spec.link_key] == spec.text(value)
    assert parse(query) == (experiment, [])
    assert parse({"basin_n": "900"})[0].basin_n == 200  # clamped, with a problem
    assert parse({"map_x": "nope"})[1][0].code == "not_a_choice"


# ------------------------------------------------------------------------------ on the page


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "query",
    [
        {"v": "2", "surface": "valley", "view": "sweep"},
        {"v": "2", "surface": "valley", "view": "map", "map_n": "15"},
        {"v": "2", "surface": "himmelblau", "view": "basins", "basin_n": "30"},
        {"v": "2", "surface": "saddle", "view": "map", "map_run": "3", "map_x": "beta1", "map_y": "beta2"},
    ],
)
def test_each_view_shows_in_both_languages(query, lang):
    at = start({**query, "lang": lang})
    assert not at.exception
    assert not at.error
    kinds = [v["kind"] for v in views(at)]
    assert kinds.count("figure") >= 1
    say = Words(lang)
    captions = "\n".join(c.value for c in at.caption)
    first = {"sweep": "sweep.measured_on", "map": "map.click", "basins": "basin.caption"}[query["view"]]
    assert say(first).split("{")[0][:12] in captions


def test_a_cells_settings_are_assigned_to_pairs_by_their_parts():
    values = Run.make("adam").values()
    changed = sweeps.assign("adam", values, {"lr": 0.02, "beta2": 0.99})
    assert changed["lr"] == 0.02
    assert changed["betas"] == (0.9, 0.99)
    assert Run.make("adam", **changed).values() == changed  # a valid run


def test_the_fair_race_gives_every_run_its_best_rate_and_plays_again():
    query = {"v": "2", "surface": "valley", "view": "sweep", "run": ["sgd:lr=0.02", "adam:lr=0.01"]}
    at = start(query)
    before = race(at)
    assert not before["autoplay"]
    experiment = parse(query)[0]
    best = [float(found.lrs[found.best()]) for found in sweeps.sweep(experiment, sweeps.log_grid(1e-4, 1.0, 60))]
    at.button(key="fair_race").click().run()
    assert at.query_params["run"] == [f"sgd:lr={best[0]!r}", f"adam:lr={best[1]!r}"]
    after = race(at)
    assert after["autoplay"]  # the race plays again, from its start
    assert after["race"] != before["race"]
    at.run()  # a later rerun does not replay it
    assert not race(at)["autoplay"]


def test_with_random_gradients_a_sweep_averages_seeds_and_shows_their_spread():
    experiment = Experiment.make("valley", runs=(Run.make("sgd", lr=0.05),), noise=2.0, seed=5)
    lrs = sweeps.log_grid(1e-3, 0.15, 50)
    found = sweeps.sweep(experiment, lrs)[0]
    assert found.seeds == sweeps.SEEDS
    f_star = experiment.build_surface().f_star
    for i in (10, 30, 45):
        finals = [
            optviz.run(
                "sgd",
                experiment.build_surface(),
                start=experiment.start,
                steps=experiment.steps,
                lr=float(lrs[i]),
                noise=2.0,
                seed=5 + k,
            ).losses[-1]
            - f_star
            for k in range(sweeps.SEEDS)
        ]
        assert found.gap[i] == pytest.approx(np.mean(finals), rel=1e-12)
        assert found.gap_low[i] == min(finals)
        assert found.gap_high[i] == max(finals)
    assert np.all(found.gap_low <= found.gap_high)
    quiet = sweeps.sweep(Experiment.make("valley", runs=(Run.make("sgd", lr=0.05),)), lrs)[0]
    assert quiet.seeds == 1
    assert quiet.gap_low is None  # exact gradients: one seed is the whole story


@pytest.mark.parametrize("surface", ["rosenbrock", "saddle"])
def test_a_rate_in_the_converging_band_ends_within_the_tolerance_the_page_states(surface):
    """The band once took in rates whose run passed through the tolerance and left it again
    (RMSprop at lr 0.21 on Rosenbrock ends at f - f* = 0.25); now a rate converges when its
    run ends within the tolerance and stays there from the step the sweep counts."""
    experiment = Experiment.make(surface)
    for found in sweeps.sweep(experiment, sweeps.log_grid(1e-4, 1.0, 60)):
        for first, last in found.converging_ranges():
            inside = (found.lrs >= first) & (found.lrs <= last)
            assert (found.gap[inside] <= experiment.tolerance).all()
    if surface == "rosenbrock":
        rmsprop = next(run for run in experiment.runs if run.optimizer == "rmsprop")
        single = _single(experiment, rmsprop, lr=0.21)
        assert single.reached_at is not None  # it came within the tolerance once,
        assert single.settled_at is None  # and did not stay


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_every_map_axis_holds_only_values_the_optimizer_accepts(optimizer):
    """A map of beta2 once asked Adam for beta2 = 1 (0.99999 rounded to four digits): a dead page."""
    for name in sweeps.axes(optimizer):
        spec = sweeps.axis_spec(optimizer, name)
        for count in (10, 37, 100):
            for value in sweeps.axis_values(optimizer, name, count, (1e-5, 10.0)):
                assert spec.check(float(value), app=True) == value, (name, count, value)


def test_a_map_of_beta2_draws():
    at = start(
        {"surface": "valley", "view": "map", "run": "adam:lr=0.1", "map_x": "lr", "map_y": "beta2", "map_n": "10"}
    )
    assert not at.exception
    assert not at.error
    assert any(data["kind"] == "figure" for data in views(at))


def _sweep_figure(experiment, lang="en"):
    surf = experiment.build_surface()
    lrs = sweeps.log_grid(1e-3, 0.3, 8)
    found = sweeps.sweep(experiment, lrs)
    current = [(float(run.values()["lr"]), 1.0, None, None) for run in experiment.runs]
    return sweep_figures.sweep_figure(
        found,
        experiment.labels(),
        ["#111111"] * len(found),
        current,
        surf=surf,
        tolerance=experiment.tolerance,
        start_gap=1.0,
        lang=lang,
        symbols=["circle", "square", "diamond"][: len(found)],
    )


def test_every_run_has_its_own_curve_and_name_in_a_sweep():
    """Two runs of one optimizer sweep to the same numbers: the second is drawn dashed over the
    first and says so, and the strip names every run, not "run 1, run 2"."""
    runs = (Run.make("sgd", lr=0.05), Run.make("sgd", lr=0.1), Run.make("adam", lr=0.05))
    experiment = Experiment.make("valley", runs=runs, steps=60)
    fig = _sweep_figure(experiment)
    curves = [trace for trace in fig["data"] if trace.get("mode") == "lines+markers" and "xaxis" not in trace]
    assert len(curves) == 3
    labels = experiment.labels()
    assert curves[0]["name"] == labels[0]
    assert curves[1]["name"] == Words("en")("sweep.same_curve", name=labels[1], other=labels[0])
    assert curves[2]["name"] == labels[2]
    assert [c["line"]["dash"] for c in curves] == ["solid", "dash", "solid"]
    assert len({c["marker"]["symbol"] for c in curves}) == 3  # each run's race marker
    assert fig["layout"]["yaxis3"]["ticktext"] == labels


def test_theorys_rates_are_named_on_lines_of_their_own():
    experiment = Experiment.make("valley", runs=(Run.make("sgd", lr=0.05),), steps=60)
    fig = _sweep_figure(experiment)
    named = [a for a in fig["layout"]["annotations"] if a.get("xref") == "x"]
    assert len(named) == 2  # 2/(m + L) and 2/L
    assert named[0]["yshift"] != named[1]["yshift"]  # one above the other: they never overlap
    assert fig["layout"]["margin"]["t"] >= 40  # above the plot, under nothing of Plotly's


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_maps_axes_are_named_in_the_pages_language_and_count_in_powers_of_ten(lang):
    experiment = Experiment.make("valley", runs=(Run.make("sgd", lr=0.05, momentum=0.5),))
    found = sweeps.hyper_map(experiment, experiment.runs[0], ("lr", "momentum"), 10, (1e-4, 1.0))
    fig = sweep_figures.hyper_map_figure(found, "steps", (0.05, 0.5), lang, experiment.build_surface())
    say = Words(lang)
    assert fig["layout"]["xaxis"]["title"]["text"] == say("hyperparameter_title.lr")
    assert fig["layout"]["yaxis"]["title"]["text"] == say("hyperparameter_title.momentum")
    assert fig["layout"]["xaxis"]["exponentformat"] == "power"  # 10⁻⁴, never "100μ"


def test_basin_maps_of_a_row_are_the_same_size_whatever_their_legends():
    """One map lists "diverged", another not: their plots stay the same size, side by side."""
    experiment = Experiment.make("himmelblau", runs=(Run.make("sgd", lr=0.001), Run.make("sgd", lr=0.05)), steps=60)
    surf = experiment.build_surface()
    found = sweeps.basin_maps(experiment, 12)
    figures_ = [
        sweep_figures.basin_figure(result, surf, experiment.start, label, "en")
        for result, label in zip(found, ["a", "b" * 80], strict=True)
    ]
    layouts = [fig["layout"] for fig in figures_]
    assert all(layout["margin"]["autoexpand"] is False for layout in layouts)
    assert layouts[0]["margin"] == layouts[1]["margin"]
    assert layouts[0]["height"] == layouts[1]["height"]
    assert len(layouts[1]["title"]["text"]) <= 40  # a long name is cut, never wrapped
