"""Every registered surface: analytic gradients, listed minima and saddles, the registry."""

import numpy as np
import pytest

import surfaces
import surfaces.base

NAMES = surfaces.names()


def central_difference(surface, xy, h=1e-6):
    steps = np.eye(2) * h
    return np.stack([(surface.value(xy + e) - surface.value(xy - e)) / (2 * h) for e in steps], axis=-1)


def hessian(surface, point, h=1e-5):
    columns = [(surface.grad(point + e) - surface.grad(point - e)) / (2 * h) for e in np.eye(2) * h]
    return np.stack(columns, axis=-1)


def test_the_issue_s_surfaces_are_registered():
    assert {"valley", "saddle", "rosenbrock"} <= set(NAMES)
    assert len(NAMES) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    s = surfaces.get(name)
    (x0, x1), (y0, y1) = s.domain
    xy = np.random.default_rng(7).uniform((x0, y0), (x1, y1), size=(200, 2))
    analytic = s.grad(xy)
    numeric = central_difference(s, xy)
    scale = np.abs(analytic).max() + 1.0
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * scale)


def test_rastrigin_gradient_matches_central_differences_across_the_lattice():
    # Its cos and sin are optviz.core.primitives' portable ones: check them where they turn, near
    # every quarter turn of the lattice, and out to the edges of the domain.
    s = surfaces.get("rastrigin")
    rng = np.random.default_rng(3)
    quarters = np.arange(-20, 21) / 4
    coordinates = np.concatenate([quarters, quarters + 1e-3, quarters - 0.037, rng.uniform(-5.12, 5.12, 300)])
    xy = np.stack([coordinates, rng.permutation(coordinates)], axis=-1)
    numeric = central_difference(s, xy, h=1e-7)
    np.testing.assert_allclose(s.grad(xy), numeric, rtol=1e-6, atol=1e-5)
    lattice = np.stack(np.meshgrid(np.arange(-5.0, 6.0), np.arange(-5.0, 6.0)), axis=-1)
    np.testing.assert_array_equal(s.grad(lattice), 2.0 * lattice)  # sin(2 pi k) is exactly 0


@pytest.mark.parametrize("name", NAMES)
def test_listed_minima_are_minima_with_the_stated_value(name):
    s = surfaces.get(name)
    assert s.minima
    for m in s.basin_minima:  # the local ones a basin map colours, too
        point = np.array([m.x, m.y])
        assert s.contains(m.x, m.y)
        # published minima to the last digits; a typed formula's, as Newton's method found them
        np.testing.assert_allclose(s.grad(point), 0.0, atol=1e-9 if s.minima_origin == "listed" else 1e-7)
        assert s.value(point) == pytest.approx(m.value, abs=1e-9)
        assert np.linalg.eigvalsh(hessian(s, point)).min() > 0


@pytest.mark.parametrize("name", NAMES)
def test_listed_saddles_are_saddles(name):
    s = surfaces.get(name)
    for p in s.saddles:
        point = np.array([p.x, p.y])
        # published minima to the last digits; a typed formula's, as Newton's method found them
        np.testing.assert_allclose(s.grad(point), 0.0, atol=1e-9 if s.minima_origin == "listed" else 1e-7)
        assert s.value(point) == pytest.approx(p.value, abs=1e-9)
        low, high = np.linalg.eigvalsh(hessian(s, point))
        assert low < 0 < high


@pytest.mark.parametrize("name", NAMES)
def test_record_is_complete(name):
    s = surfaces.get(name)
    assert s.name == name
    assert s.title
    assert s.formula
    assert len(s.description) > 100
    assert s.contains(*s.default_start)
    assert s.value(np.array(s.default_start)) > min(m.value for m in s.minima)


@pytest.mark.parametrize("name", NAMES)
def test_value_and_grad_broadcast_over_grids(name):
    s = surfaces.get(name)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)), axis=-1)
    assert s.value(grid).shape == (4, 5)
    assert s.grad(grid).shape == (4, 5, 2)
    assert s.value(grid).dtype == np.float64
    np.testing.assert_array_equal(s.value(grid)[2, 3], s.value(grid[2, 3]))


def test_saddle_has_the_formula_in_its_description():
    s = surfaces.get("saddle")
    assert "x² + y⁴/4 − y²/2" in s.description
    assert s.saddles == (surfaces.Point(0.0, 0.0, 0.0),)


def test_valley_condition_number_and_rotation():
    s = surfaces.get("valley", kappa=100, angle=30)
    assert s.params == {"kappa": 100.0, "angle": 30.0}
    theta = np.radians(30)
    steep = np.array([-np.sin(theta), np.cos(theta)])
    flat = np.array([np.cos(theta), np.sin(theta)])
    np.testing.assert_allclose(s.grad(steep), 100 * steep, atol=1e-12)
    np.testing.assert_allclose(s.grad(flat), flat, atol=1e-12)


def test_rosenbrock_parameters_move_the_minimum():
    s = surfaces.get("rosenbrock", a=0.5, b=10)
    assert s.minima[0][:2] == (0.5, 0.25)
    assert float(s.value(np.array([0.5, 0.25]))) == 0.0
    assert float(s.value(np.array([0.0, 1.0]))) == pytest.approx(0.25 + 10.0)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(KeyError, match="choose one of: valley, saddle, rosenbrock"):
        surfaces.get("banana")


def test_a_surface_without_its_words_in_the_catalogs_is_refused_at_registration():
    """One registration: a surface names its words in the catalogs or is not registered at all."""
    register = surfaces.register("unworded", params=(surfaces.Param("kappa", 10.0), surfaces.Param("wobble", 1.0)))
    with pytest.raises(ValueError, match="surface 'unworded' lacks its words") as refused:
        register(lambda kappa, wobble: surfaces.get("valley"))
    for key in ("surface.unworded.title", "surface.unworded.description", "surface.unworded.parameter.wobble"):
        assert f"{key} (en)" in str(refused.value)
        assert f"{key} (zh)" in str(refused.value)
    assert "parameter_title.wobble (en)" in str(refused.value)
    assert "parameter_title.kappa" not in str(refused.value)  # a parameter title the catalogs have
    assert "unworded" not in surfaces.names()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kappa": 0.5}, r"Invalid kappa value: 0.5 \(expected a number in \[1, 1000\]\)"),
        ({"kappa": float("nan")}, "Invalid kappa value: nan"),
        ({"angle": "30"}, "Invalid angle value: '30'"),
        ({"angle": True}, "Invalid angle value: True"),
        ({"tilt": 3}, "surface 'valley' has no parameter 'tilt' \\(its parameters: kappa, angle\\)"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(params, message):
    with pytest.raises(ValueError, match=message):
        surfaces.get("valley", **params)


def test_rastrigins_lattice_of_local_minima():
    s = surfaces.get("rastrigin")
    assert len(s.basin_minima) == 121  # one dimple near every whole-number point of the plot
    assert s.basin_minima[0] == s.minima[0]
    assert sorted({round(m.x) for m in s.local_minima}) == list(range(-5, 6))
    assert min(m.value for m in s.local_minima) > s.minima[0].value


def test_nearest_minimum():
    s = surfaces.get("himmelblau")
    index, distance = s.nearest_minimum(np.array([[3.0, 2.5], [-3.7, -3.3]]))
    assert index.tolist() == [0, 2]
    assert distance[0] == pytest.approx(0.5)


def test_nearest_minimum_in_blocks_is_the_whole_at_once(monkeypatch):
    s = surfaces.get("rastrigin")
    ends = np.random.default_rng(5).uniform(-5.12, 5.12, size=(7, 11, 2))
    centres = np.array([(m.x, m.y) for m in s.basin_minima])
    distances = np.linalg.norm(ends[..., None, :] - centres, axis=-1)  # every end by every minimum
    expected = np.argmin(distances, axis=-1)
    monkeypatch.setattr(surfaces.base, "NEAREST_BLOCK", 500)  # four ends a block
    index, distance = s.nearest_minimum(ends, s.basin_minima)
    np.testing.assert_array_equal(index, expected)
    np.testing.assert_array_equal(distance, np.take_along_axis(distances, expected[..., None], axis=-1)[..., 0])
    one, at = s.nearest_minimum(ends[0, 0], s.basin_minima)
    assert one == expected[0, 0]
    assert at.shape == ()


def test_points_must_have_two_coordinates():
    with pytest.raises(ValueError, match=r"shape \(..., 2\)"):
        surfaces.get("booth").value(np.zeros(3))
