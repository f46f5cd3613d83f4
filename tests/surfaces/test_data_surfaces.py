"""Surfaces of real data, and runs that take their gradients from minibatches."""

import numpy as np
import pytest

import optviz
import surfaces
import surfaces.data
from optviz.core.schedules import schedule
from optviz.draw import figures
from optviz.settings import Experiment, Run, parse, to_query
from surfaces.data import tips, tree_sum
from tests.page.test_app import race, start


@pytest.mark.parametrize("standardise", [False, True])
def test_the_listed_minimum_has_zero_full_data_gradient(standardise):
    s = surfaces.get("tips", standardise=standardise)
    m = s.minima[0]
    np.testing.assert_allclose(s.grad(np.array([m.x, m.y])), 0.0, atol=1e-12)
    # and it is the least-squares line that NumPy's own solver finds
    model = tips(standardise)
    design = np.column_stack([model.t, np.ones_like(model.t)])
    solved = np.linalg.lstsq(design, model.p, rcond=None)[0]
    np.testing.assert_allclose([m.x, m.y], solved, rtol=1e-10)


def test_raw_bills_make_a_valley_and_standardised_ones_a_round_bowl():
    m, L = surfaces.get("tips").curvature
    assert L / m > 2000
    m, L = surfaces.get("tips", standardise=True).curvature
    assert L / m == pytest.approx(1.0)


def test_gradient_and_value_agree_with_central_differences():
    s = surfaces.get("tips")
    point, h = np.array([0.05, 2.0]), 1e-6
    numeric = [(s.value(point + h * e) - s.value(point - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(s.grad(point), numeric, rtol=1e-6)


def test_a_batch_of_every_row_is_the_full_batch_run_bit_for_bit():
    s = surfaces.get("tips", standardise=True)
    full = optviz.run("sgd", s, steps=200, lr=0.1, momentum=0.5)
    for size in (s.data_rows, 10_000):
        batched = optviz.run("sgd", s, steps=200, lr=0.1, momentum=0.5, batch_size=size, seed=4)
        np.testing.assert_array_equal(batched.points, full.points)


def test_the_same_seed_gives_the_same_path_and_another_seed_another():
    s = surfaces.get("tips", standardise=True)
    a = optviz.run("adam", s, steps=150, lr=0.1, batch_size=8, seed=1)
    b = optviz.run("adam", s, steps=150, lr=0.1, batch_size=8, seed=1)
    c = optviz.run("adam", s, steps=150, lr=0.1, batch_size=8, seed=2)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    full = optviz.run("adam", s, steps=150, lr=0.1)
    assert not np.array_equal(a.points, full.points)  # minibatches wander


def test_a_minibatch_gradient_is_the_mean_over_its_rows():
    s = surfaces.get("tips")
    model = tips(False)
    rows = np.array([3, 17, 101, 200])
    gx, gy = s.batch_grad_fn(0.1, 1.0, rows)
    residual = 0.1 * model.t[rows] + 1.0 - model.p[rows]
    assert gx == pytest.approx(np.mean(residual * model.t[rows]), rel=1e-12)
    assert gy == pytest.approx(np.mean(residual), rel=1e-12)


def test_a_batch_of_starts_equals_its_single_runs_with_minibatches():
    s = surfaces.get("tips", standardise=True)
    starts = [(0.0, 1.0), (2.0, 4.0), (-1.0, 0.5), (3.0, 5.0), (1.0, 1.0)]
    together = optviz.run("rmsprop", s, start=starts, steps=100, lr=0.05, batch_size=16, seed=9, noise=0.1)
    for i, point in enumerate(starts):
        alone = optviz.run("rmsprop", s, start=point, steps=100, lr=0.05, batch_size=16, seed=9, noise=0.1)
        np.testing.assert_array_equal(together.points[:, i], alone.points)


def test_tree_sum_is_the_same_for_a_point_and_a_column():
    values = np.random.default_rng(0).normal(size=(37, 5))
    for column in range(5):
        assert tree_sum(values[:, column]) == tree_sum(values)[column]


def test_batches_schedules_noise_and_seeds_round_trip_through_the_link():
    runs = (
        Run.make("sgd", lr=0.1, batch=16, schedule=schedule("StepLR", step_size=50, gamma=0.5)),
        Run.make("adam", lr=0.05, batch=1),
        Run.make("sgd", lr=0.1, schedule=schedule("MultiStepLR", milestones=[100, 200])),
    )
    experiment = Experiment.make("tips", surface_params={"standardise": True}, runs=runs, noise=0.5, seed=42)
    query = to_query(experiment)
    assert query["run"][0] == "sgd:lr=0.1,batch=16,schedule=steplr:step_size=50:gamma=0.5"
    assert query["noise"] == "0.5"
    assert parse(query) == (experiment, [])


def test_a_link_with_a_batch_off_data_or_a_bad_schedule_is_repaired_and_says_so():
    experiment, problems = parse({"v": "2", "surface": "valley", "run": "sgd:lr=0.1,batch=8,schedule=warp:x=1"})
    assert experiment.runs[0].batch is None
    assert experiment.runs[0].schedule is None
    assert {p.code for p in problems} == {"constraint", "unknown_schedule"}
    assert dict(problems[-1].args)["rule"] == "batch_needs_data"
    experiment, problems = parse({"v": "2", "surface": "tips", "run": "sgd:lr=0.001,batch=9999"})
    assert experiment.runs[0].batch == 244
    assert [dict(p.args)["rule"] for p in problems] == ["batch_within_rows"]
    with pytest.raises(ValueError, match="batch"):
        Experiment.make("valley", runs=(Run.make("sgd", batch=4),))


@pytest.mark.parametrize("standardise", [False, True])
def test_the_logistic_minimum_is_newtons_and_the_gradient_is_the_losss(standardise):
    s = surfaces.get("iris", standardise=standardise)
    m = s.minima[0]
    np.testing.assert_allclose(s.grad(np.array([m.x, m.y])), 0.0, atol=1e-12)
    point, h = np.array([m.x + 1.0, m.y - 2.0]), 1e-6
    numeric = [(s.value(point + h * e) - s.value(point - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(s.grad(point), numeric, rtol=1e-6)
    assert s.value(np.array([0.0, 0.0])) == pytest.approx(np.log(2.0))  # a coin toss
    full = optviz.run("adam", s, steps=100, lr=0.5)
    batched = optviz.run("adam", s, steps=100, lr=0.5, batch_size=s.data_rows, seed=3)
    np.testing.assert_array_equal(batched.points, full.points)


def test_raw_widths_make_a_long_valley_and_standardised_ones_a_rounder_bowl():
    def kappa(standardise):
        model = surfaces.data.iris(standardise)
        eigenvalues = np.linalg.eigvalsh(model.hessian(*model.minimum()))
        return eigenvalues[1] / eigenvalues[0]

    assert kappa(False) > 300
    assert kappa(True) < 10


def test_the_start_stays_where_the_link_puts_it_on_the_standardised_plot():
    # The standardised plot is not the raw one: a start inside it is kept, not clamped to the raw plot.
    at = start({"v": "2", "surface": "tips:standardise=true", "start": "3,5"})
    assert not at.exception
    assert at.query_params["start"] == "3,5"
    assert race(at)["start"] == [3.0, 5.0]


# The surfaces of real data, from the registry: a new one is checked with them.
DATA_SURFACES = [name for name in surfaces.names() if surfaces.get(name).data_rows is not None]


@pytest.mark.parametrize(("name", "standardise"), [(name, flag) for name in DATA_SURFACES for flag in (False, True)])
def test_many_points_are_taken_in_blocks_that_change_no_bit(monkeypatch, name, standardise):
    s = surfaces.get(name, standardise=standardise)
    (x0, x1), (y0, y1) = s.domain
    xx, yy = np.meshgrid(np.linspace(x0, x1, 37), np.linspace(y0, y1, 23))  # 851 points: blocks end mid-row
    rows = np.array([0, 5, 9, 40, 77])

    def everything():
        return s.value_fn(xx, yy), *s.grad_fn(xx, yy), *s.batch_grad_fn(xx, yy, rows)

    monkeypatch.setattr(surfaces.data, "BLOCK_ELEMENTS", 10**9)  # one block: the whole grid at once
    whole = everything()
    monkeypatch.setattr(surfaces.data, "BLOCK_ELEMENTS", 1000)  # a few points a block
    blocked = everything()
    for a, b in zip(whole, blocked, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(a.view(np.uint64), b.view(np.uint64))
    assert s.value_fn(xx[0, 0], yy[0, 0]) == whole[0][0, 0]  # a single point, as the float path takes it


def test_the_iris_background_holds_no_grid_by_rows_array(monkeypatch):
    # 240 x 240 points by 100 rows would be 46 MB an array; a block of them is 2 MB.
    margins = surfaces.data.Logistic._margins
    sizes = []

    def spy(self, x, y, rows):
        found = margins(self, x, y, rows)
        sizes.append(found[0].size)
        return found

    monkeypatch.setattr(surfaces.data.Logistic, "_margins", spy)
    figures.background(surfaces.get("iris"))
    assert sizes
    assert max(sizes) * 8 <= 2 * 2**20
