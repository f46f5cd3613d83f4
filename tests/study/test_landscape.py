"""A network's landscape (optviz.study.landscape): Li et al.'s filter-normalised directions, the
PCA plane of the iterates, projections onto a plane, and the loss over it, which must be the
network's own loss at the same weights."""

import numpy as np
import pytest

import optviz
from optviz.study import landscape as ls
from surfaces.network import network
from tests.core.test_portability import TRANSCENDENTAL, _one_ulp_up

REL = 1e-9  # the slice against loss_at: the same sums in another order


@pytest.fixture(scope="module")
def iris():
    return network("iris", "mlp", seed=0)


@pytest.fixture(scope="module")
def cnn():
    return network("digits", "cnn", seed=0)


@pytest.fixture(scope="module")
def runs(iris):
    """Two runs on iris: every step of one, every tenth step of the other (record="final")."""
    return (
        optviz.run("adam", iris, steps=60, batch_size=16, seed=0, lr=0.02),
        optviz.run("sgd", iris, steps=80, batch_size=16, seed=1, lr=0.1, momentum=0.9, record="final", every=10),
    )


def _filters(weights):
    rows = weights.reshape(weights.shape[0], -1)
    return np.sqrt(np.einsum("fi,fi->f", rows, rows))


@pytest.mark.parametrize("which", ["iris", "cnn"])
def test_each_filter_of_a_direction_has_the_norm_of_the_same_filter_of_the_weights(which, request):
    net = request.getfixturevalue(which)
    theta = net.start
    plane = ls.filter_plane(net, theta, seed=3)
    weights = net.unflatten(theta)
    for direction in (plane.u, plane.v):
        found = net.unflatten(direction)
        for tensor in net.tensors:
            if len(tensor.shape) == 1:  # a bias: the paper's ignore="biasbn"
                assert not found[tensor.name].any(), tensor.name
            else:  # each output channel of the conv, each row of a Linear
                np.testing.assert_allclose(_filters(found[tensor.name]), _filters(weights[tensor.name]), rtol=1e-9)
    assert not np.array_equal(plane.u, plane.v)


def test_the_filter_plane_is_its_seeds(cnn):
    one, again, other = (ls.filter_plane(cnn, cnn.start, seed=s) for s in (7, 7, 8))
    assert np.array_equal(one.u, again.u)
    assert np.array_equal(one.v, again.v)
    assert not np.array_equal(one.u, other.u)
    assert abs(one.cosine) < 0.1  # two Gaussian directions in 1,370 dimensions: nearly perpendicular
    assert one.explained is None
    assert one.seed == 7
    with pytest.raises(ValueError, match="Invalid seed"):
        ls.filter_plane(cnn, cnn.start, seed=-1)
    with pytest.raises(ValueError, match="expected 1370 weights"):
        ls.filter_plane(cnn, cnn.start[:10])


def test_the_pca_plane_is_orthonormal_with_its_explained_variance(runs):
    centre = runs[0].points[-1]
    plane = ls.pca_plane(centre, [run.points for run in runs])
    gram = [[float(x @ y) for y in (plane.u, plane.v)] for x in (plane.u, plane.v)]
    np.testing.assert_allclose(gram, np.eye(2), atol=1e-12)
    first, second = plane.explained
    assert 0.0 <= second <= first <= 1.0
    assert first + second <= 1.0 + 1e-12
    # The reference: LAPACK's SVD of the same rows (not portable, which the plane is).
    rows = np.concatenate([run.points for run in runs]) - centre
    _, values, vectors = np.linalg.svd(rows, full_matrices=False)
    np.testing.assert_allclose([abs(vectors[0] @ plane.u), abs(vectors[1] @ plane.v)], 1.0, atol=1e-9)
    np.testing.assert_allclose(plane.explained, values[:2] ** 2 / np.sum(values**2), rtol=1e-9)


def test_paths_in_a_plane_are_all_its_pca_explains():
    rng = np.random.default_rng(0)
    centre, basis = rng.standard_normal(50), rng.standard_normal((2, 50))
    path = centre + rng.standard_normal((30, 2)) @ basis
    plane = ls.pca_plane(centre, [path])
    assert sum(plane.explained) == pytest.approx(1.0, abs=1e-12)
    assert np.max(ls.project(plane, path).distance) < 1e-12 * np.max(np.abs(path))
    with pytest.raises(ValueError, match="span no plane"):
        ls.pca_plane(centre, [np.tile(centre, (3, 1))])


def test_a_path_in_the_plane_projects_onto_itself(cnn):
    plane = ls.filter_plane(cnn, cnn.start, seed=0)  # u and v not quite perpendicular
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-2, 2, 20), rng.uniform(-2, 2, 20)
    path = np.stack([plane.at(x, y) for x, y in zip(a, b, strict=True)])
    found = ls.project(plane, path)
    np.testing.assert_allclose(found.a, a, atol=1e-12)
    np.testing.assert_allclose(found.b, b, atol=1e-12)
    assert np.max(found.distance) < 1e-12 * np.linalg.norm(cnn.start)


def test_a_point_off_the_plane_is_its_distance_away(cnn):
    plane = ls.filter_plane(cnn, cnn.start, seed=0)
    off = np.random.default_rng(2).standard_normal(cnn.dim)
    basis = np.stack([plane.u, plane.v])
    off -= np.linalg.lstsq(basis.T, off, rcond=None)[0] @ basis  # perpendicular to the plane
    found = ls.project(plane, plane.at(0.5, -0.25) + off)
    assert found.a[0] == pytest.approx(0.5, abs=1e-12)
    assert found.b[0] == pytest.approx(-0.25, abs=1e-12)
    assert found.distance[0] == pytest.approx(np.linalg.norm(off), rel=1e-12)


def _loss_at_every_point(net, found):
    points = np.stack([found.plane.at(a, b) for b in found.b for a in found.a], axis=1)
    return net.loss_at(points).reshape(len(found.b), len(found.a))


@pytest.mark.parametrize("kind", ["filter", "pca"])
def test_the_slice_is_the_networks_loss_at_every_point(iris, runs, kind):
    centre = runs[0].points[-1]
    plane = ls.filter_plane(iris, centre, seed=1) if kind == "filter" else ls.pca_plane(centre, [runs[0].points])
    found = ls.loss_slice(iris, plane, (1.5, 0.75))
    assert found.loss.shape == (ls.GRID, ls.GRID)
    assert found.domain == ((-1.5, 1.5), (-0.75, 0.75))
    np.testing.assert_allclose(found.loss, _loss_at_every_point(iris, found), rtol=REL)
    assert found.centre_loss == pytest.approx(float(iris.loss_at(centre[:, None])[0]), rel=1e-12)


def test_the_cnns_slice_is_its_loss(cnn):
    """A small grid crosses every block boundary (rows of b, blocks of images) of the big one."""
    plane = ls.filter_plane(cnn, cnn.start, seed=0)
    found = ls.loss_slice(cnn, plane, (1.0, 2.0), points=5)
    np.testing.assert_allclose(found.loss, _loss_at_every_point(cnn, found), rtol=REL)
    assert found.centre_loss == pytest.approx(float(cnn.loss_at(cnn.start[:, None])[0]), rel=1e-12)
    assert found.a[2] == 0.0
    assert found.b[2] == 0.0


def test_the_slice_is_the_same_whatever_numpy_rounds_exp_and_log_to(iris, monkeypatch):
    plane = ls.filter_plane(iris, iris.start, seed=0)
    before = ls.loss_slice(iris, plane, (1.0, 1.0), points=7).loss
    for name in TRANSCENDENTAL:
        monkeypatch.setattr(np, name, _one_ulp_up(getattr(np, name)))
    after = ls.loss_slice(iris, plane, (1.0, 1.0), points=7).loss
    assert np.array_equal(before, after)


def test_the_landscape_projects_every_run_and_fits_them(iris, runs):
    for kind in ls.PLANES:
        found = ls.landscape(iris, runs[0], runs[1:], plane=kind, points=5)
        assert len(found.projections) == len(found.steps) == 2
        np.testing.assert_array_equal(found.steps[0], np.arange(61))
        np.testing.assert_array_equal(found.steps[1], runs[1].kept)
        (a0, a1), (b0, b1) = found.slice.domain
        for projection in found.projections:
            assert np.all((a0 < projection.a) & (projection.a < a1) & (b0 < projection.b) & (projection.b < b1))
        np.testing.assert_array_equal(found.plane.centre, runs[0].points[-1])
        assert found.projections[0].distance[-1] == 0.0  # the chosen run ends at the centre
    assert ls.spans(found.plane, found.projections) == (a1, b1)


def test_the_filter_plane_shows_at_least_the_papers_square(iris, runs):
    found = ls.landscape(iris, runs[0], plane="filter", points=3)
    (a0, a1), (b0, b1) = found.slice.domain
    assert a1 == b1 >= ls.FILTER_SPAN
    assert (a0, b0) == (-a1, -b1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda net, run: ls.landscape(net, run, plane="random"), "unknown plane"),
        (lambda net, run: ls.loss_slice(net, ls.filter_plane(net, net.start), (1.0, 1.0), points=4), "odd"),
        (lambda net, run: ls.loss_slice(net, ls.filter_plane(net, net.start), (1.0, 1.0), points=101), "odd"),
        (lambda net, run: ls.loss_slice(net, ls.filter_plane(net, net.start), (1.0, float("nan"))), "half-width"),
        (lambda net, run: ls.loss_slice(net, ls.filter_plane(net, net.start), (0.0, 1.0)), "half-width"),
        (
            lambda net, run: ls.landscape(net, optviz.run("sgd", net, start=np.stack([net.start] * 2), steps=2)),
            "one run's trajectory",
        ),
    ],
)
def test_bad_requests_are_refused(iris, runs, call, message):
    with pytest.raises(ValueError, match=message):
        call(iris, runs[0])


def test_a_straight_path_still_makes_a_plane(iris):
    """Only a run's first and last rows (record="final"): one direction, and any other beside it."""
    run = optviz.run("adam", iris, steps=30, batch_size=16, seed=0, lr=0.02, record="final")
    found = ls.landscape(iris, run, plane="pca", points=3)
    plane = found.plane
    assert plane.explained[0] == pytest.approx(1.0, abs=1e-12)
    assert 0.0 <= plane.explained[1] <= 1.0 - plane.explained[0]
    assert plane.u @ plane.v == pytest.approx(0.0, abs=1e-12)
    assert plane.v @ plane.v == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.isfinite(found.slice.loss))
