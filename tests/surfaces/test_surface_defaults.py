"""Every surface's default page: its runs are valid, none diverges, no preset diverges, and the race
shows what the surface's description teaches.

The checks are parametrized over the registry, so a new surface cannot ship without default runs
that pass them. The lesson checks at the end look at what a person watching the race would see:
a zig-zag, a crawl, runs that end in different minima.
"""

import functools
import json
import math
from pathlib import Path

import numpy as np
import pytest

import optviz
import surfaces
from optviz import OPTIMIZERS
from optviz.settings import DEFAULT_RUNS, MAX_RUNS, PRESETS, STEPS, Run, presets

NAMES = surfaces.names()
# How far a run may wander outside the plot, as a fraction of the plot's width or height: a run
# that stays within this is still on screen once the figure's margins are counted, roughly.
MARGIN = 0.25


@functools.cache
def race(name):
    """The default race of surface ``name``: (optimizer, hyperparameters, trajectory) per run."""
    s = surfaces.get(name)
    return [
        (
            optimizer,
            dict(hyperparameters),
            optviz.run(optimizer, s, s.default_start, s.default_steps, **dict(hyperparameters)),
        )
        for optimizer, hyperparameters in s.default_runs
    ]


def runs_of(name, optimizer, *, momentum=None):
    """The trajectories of the default runs of ``optimizer`` (sgd: with or without momentum)."""
    found = []
    for opt, hp, trajectory in race(name):
        if opt != optimizer:
            continue
        if momentum is not None and bool(hp.get("momentum", 0.0)) != momentum:
            continue
        found.append((hp, trajectory))
    assert found, f"{name} has no default run of {optimizer}"
    return found


def outside(surface, points):
    """How far ``points`` (N, 2) leave the plot, as a fraction of its width or height (0 inside)."""
    (x0, x1), (y0, y1) = surface.domain
    beyond_x = np.maximum(x0 - points[:, 0], points[:, 0] - x1) / (x1 - x0)
    beyond_y = np.maximum(y0 - points[:, 1], points[:, 1] - y1) / (y1 - y0)
    return max(float(np.max(beyond_x)), float(np.max(beyond_y)), 0.0)


def minimum_reached(surface, point, tolerance=0.01):
    """Index of the listed minimum within ``tolerance`` of ``point``, or None."""
    index, distance = surface.nearest_minimum(np.asarray(point))
    return int(index) if distance <= tolerance else None


def reversals(coordinate):
    """Fraction of steps after which the motion along ``coordinate`` (N,) reverses its direction."""
    moves = np.diff(coordinate)
    return float(np.mean(np.sign(moves[1:]) != np.sign(moves[:-1])))


# ------------------------------------------------------------------------------ the data


def test_runs_writes_plain_data():
    assert surfaces.runs(("sgd", {"lr": 0.19}), ("adadelta", {})) == (("sgd", (("lr", 0.19),)), ("adadelta", ()))


def test_a_surface_without_an_override_keeps_the_preset_s_learning_rate():
    s = surfaces.get("valley")
    assert s.preset_lr == ()
    assert s.learning_rate("Adam", 0.05) == 0.05
    assert surfaces.get("goldstein_price").learning_rate("SGD", 1e-3) == 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_default_runs_are_runs_the_app_can_hold(name):
    s = surfaces.get(name)
    assert 3 <= len(s.default_runs) <= MAX_RUNS
    assert len(set(s.default_runs)) == len(s.default_runs), "a default run is listed twice"
    for optimizer, hyperparameters in s.default_runs:
        assert optimizer in OPTIMIZERS
        spec = OPTIMIZERS[optimizer]
        for key, value in hyperparameters:
            assert spec.hyperparameter(key).check(value, app=True) == value, (name, optimizer, key)
        spec.resolve(dict(hyperparameters))  # the rules between hyperparameters hold (Nesterov needs momentum)
        Run.make(optimizer, **dict(hyperparameters))


@pytest.mark.parametrize("name", NAMES)
def test_default_start_and_steps_are_what_a_link_can_hold(name):
    s = surfaces.get(name)
    assert s.contains(*s.default_start)
    assert STEPS.check(s.default_steps, app=True) == s.default_steps
    assert all(math.dist(s.default_start, (m.x, m.y)) > 0.05 for m in s.minima)


@pytest.mark.parametrize("name", NAMES)
def test_preset_overrides_name_presets_and_change_their_learning_rate(name):
    s = surfaces.get(name)
    labels = [label for label, _ in s.preset_lr]
    assert len(set(labels)) == len(labels)
    for label, lr in s.preset_lr:
        assert label in PRESETS, f"{name}: no preset is labelled {label!r}"
        general = PRESETS[label].values()["lr"]
        assert lr != general, f"{name}: the override of {label} repeats the preset's learning rate; drop it"
        assert PRESETS[label].spec.hyperparameter("lr").check(lr, app=True) == lr


def test_rosenbrock_keeps_the_classic_eight_runs_of_the_default_page():
    s = surfaces.get("rosenbrock")
    assert [Run.make(optimizer, **dict(hp)) for optimizer, hp in s.default_runs] == list(DEFAULT_RUNS)
    assert s.default_start == (-1.5, 2.0)
    assert s.default_steps == STEPS.default
    assert s.v1_start is None


V1_LINKS = Path(__file__).parent.parent / "data" / "v1_links.json"
RECORD_V1_LINKS = "python tests/data/make_v1_links.py --v1 /tmp/optviz-v1 --out tests/data/v1_links.json"


def test_v1_start_is_the_start_that_old_links_opened():
    # Links of format version 1 without start= opened the surface's start of that time; where the
    # default start has moved since, v1_start keeps the old one for the link reader. The surfaces
    # of version 1 are the ones its recorded links open; a surface registered since is not among them.
    table = json.loads(V1_LINKS.read_text())
    v1_surfaces = {entry["experiment"]["surface"] for entry in table["links"]}
    opened = {
        entry["link"].removeprefix("v=1&surface="): tuple(entry["experiment"]["start"])
        for entry in table["links"]
        if entry["link"].startswith("v=1&surface=")
        and "&" not in entry["link"].removeprefix("v=1&")
        and ":" not in entry["link"]
    }
    assert set(opened) == v1_surfaces, (
        f"{V1_LINKS.name} lacks the bare link of {sorted(v1_surfaces - set(opened))}; "
        f"record it again from version 1's code (tests/data/make_v1_links.py says how): {RECORD_V1_LINKS}"
    )
    assert v1_surfaces <= set(NAMES), (
        f"{sorted(v1_surfaces - set(NAMES))} opened links of version 1 ({V1_LINKS.name}) and are registered no "
        f"more: old links must keep opening them; a table recorded again ({RECORD_V1_LINKS}) says what they open"
    )
    for name, start in opened.items():
        s = surfaces.get(name)
        assert (s.v1_start or s.default_start) == start, name
        assert s.v1_start != s.default_start, f"{name}: v1_start is only for a start that has moved"


# ------------------------------------------------------------------------------ nothing breaks


@pytest.mark.parametrize("name", NAMES)
def test_no_default_run_diverges_or_leaves_the_plot(name):
    s = surfaces.get(name)
    for optimizer, hp, trajectory in race(name):
        assert trajectory.diverged_at is None, (name, optimizer, hp)
        assert outside(s, trajectory.points) <= MARGIN, (name, optimizer, hp)


@pytest.mark.parametrize("name", NAMES)
def test_default_runs_can_be_told_apart(name):
    s = surfaces.get(name)
    (x0, x1), (y0, y1) = s.domain
    diagonal = math.hypot(x1 - x0, y1 - y0)
    paths = [(optimizer, hp, trajectory.points) for optimizer, hp, trajectory in race(name)]
    for i, (opt_a, hp_a, a) in enumerate(paths):
        for opt_b, hp_b, b in paths[i + 1 :]:
            apart = np.linalg.norm(a - b, axis=-1).max()
            assert apart > 0.01 * diagonal, f"{name}: {opt_a} {hp_a} and {opt_b} {hp_b} draw the same path"


@pytest.mark.parametrize(("name", "label"), [(name, label) for name in NAMES for label in PRESETS])
def test_no_preset_diverges_or_leaves_the_plot_on_the_default_page(name, label):
    s = surfaces.get(name)
    values = presets(s)[label].values()  # as the page offers it on this surface
    trajectory = optviz.run(PRESETS[label].optimizer, s, s.default_start, s.default_steps, **values)
    assert trajectory.diverged_at is None, f"{label} at lr {values['lr']} diverges on {name}"
    assert outside(s, trajectory.points) <= MARGIN, f"{label} at lr {values['lr']} leaves the plot of {name}"
    (x0, x1), (y0, y1) = s.domain
    travelled = np.linalg.norm(trajectory.points[-1] - trajectory.points[0]) / math.hypot(x1 - x0, y1 - y0)
    assert travelled > 0.03, f"{label} at lr {values['lr']} hardly moves on {name}"


# ------------------------------------------------------------------------------ the lessons


def test_valley_sgd_zig_zags_near_2_over_kappa_and_momentum_swings_instead():
    s = surfaces.get("valley")
    kappa, turns = s.params["kappa"], s.params["angle"] / 360.0
    across = np.array([-math.sin(2 * math.pi * turns), math.cos(2 * math.pi * turns)])
    plain = runs_of("valley", "sgd", momentum=False)
    (big_hp, big), *_ = sorted(plain, key=lambda run: -run[0]["lr"])
    (small_hp, small), *_ = sorted(plain, key=lambda run: run[0]["lr"])
    assert 1.0 < big_hp["lr"] * kappa < 2.0  # stable, but past the zig-zag threshold 1/kappa
    assert reversals(big.points @ across) > 0.9
    for hp, trajectory in runs_of("valley", "sgd", momentum=True):
        assert reversals(trajectory.points @ across) < 0.3, hp
    # The crawl: at the same learning rate momentum gets to the minimum, plain SGD does not.
    with_momentum = [t for hp, t in runs_of("valley", "sgd", momentum=True) if hp["lr"] == small_hp["lr"]]
    assert with_momentum
    assert np.linalg.norm(small.points[-1]) > 0.2
    assert all(np.linalg.norm(t.points[-1]) < np.linalg.norm(small.points[-1]) / 10 for t in with_momentum)


def test_saddle_holds_plain_sgd_while_rescaled_and_momentum_runs_escape():
    s = surfaces.get("saddle")
    saddle = np.array([s.saddles[0].x, s.saddles[0].y])
    (_, slow), *_ = sorted(runs_of("saddle", "sgd", momentum=False), key=lambda run: run[0]["lr"])
    assert np.linalg.norm(slow.points[-1] - saddle) < 0.25, "plain SGD should still be at the saddle"
    escapers = [*runs_of("saddle", "rmsprop"), *runs_of("saddle", "adam"), *runs_of("saddle", "sgd", momentum=True)]
    for hp, trajectory in escapers:
        near = np.linalg.norm(trajectory.points - saddle, axis=-1) < 0.25
        assert near.sum() < 20, hp
        assert minimum_reached(s, trajectory.points[-1], tolerance=0.05) is not None, hp


def test_himmelblau_runs_end_in_different_minima():
    s = surfaces.get("himmelblau")
    ends = {minimum_reached(s, t.points[-1]) for _, _, t in race("himmelblau")}
    assert None not in ends
    assert len(ends) >= 3


def test_rastrigin_runs_stop_in_different_dimples_and_one_gets_near_the_middle():
    s = surfaces.get("rastrigin")
    start_dimple = tuple(np.round(s.default_start))
    dimples = [tuple(np.round(t.points[-1])) for _, _, t in race("rastrigin")]
    assert len(set(dimples)) >= 3
    assert start_dimple in dimples  # a local method stops in the nearest dimple
    assert min(math.hypot(*d) for d in dimples) <= 0.5 * math.hypot(*start_dimple)


def test_booth_start_is_off_the_valley_axes_and_the_valley_shows():
    s = surfaces.get("booth")
    minimum = np.array([s.minima[0].x, s.minima[0].y])
    offset = np.array(s.default_start) - minimum
    steep, flat = np.array([1.0, 1.0]) / math.sqrt(2), np.array([1.0, -1.0]) / math.sqrt(2)
    for axis in (steep, flat):
        angle = math.degrees(math.acos(abs(offset @ axis) / np.linalg.norm(offset)))
        assert angle > 20, "from a start on an axis of the valley every run goes straight"
    plain = runs_of("booth", "sgd", momentum=False)
    (big_hp, big), *_ = sorted(plain, key=lambda run: -run[0]["lr"])
    (small_hp, small), *_ = sorted(plain, key=lambda run: run[0]["lr"])
    assert 1.0 < big_hp["lr"] * 18 < 2.0
    assert reversals((big.points - minimum) @ steep) > 0.9  # zig-zags across the valley
    assert np.linalg.norm(small.points[-1] - minimum) > 0.5  # crawls along the floor
    with_momentum = [t for hp, t in runs_of("booth", "sgd", momentum=True) if hp["lr"] == small_hp["lr"]]
    assert with_momentum
    assert all(np.linalg.norm(t.points[-1] - minimum) < 0.05 for t in with_momentum)
    # Per-coordinate rescaling: Adam's first step is diagonal, along the steep axis.
    (_, adam), *_ = runs_of("booth", "adam")
    first = adam.points[1] - adam.points[0]
    assert abs(first @ steep) / np.linalg.norm(first) > 0.99


def test_beale_normalised_steps_keep_going_where_plain_sgd_crawls():
    s = surfaces.get("beale")
    minimum = np.array([s.minima[0].x, s.minima[0].y])
    ((_, sgd),) = runs_of("beale", "sgd", momentum=False)
    ((_, adam),) = runs_of("beale", "adam")
    assert np.linalg.norm(adam.points[-1] - minimum) < np.linalg.norm(sgd.points[-1] - minimum) / 5


def test_six_hump_camel_runs_end_in_different_basins():
    s = surfaces.get("six_hump_camel")
    ends = {minimum_reached(s, t.points[-1]) for _, _, t in race("six_hump_camel")}
    assert None not in ends
    assert len(ends) >= 3
    assert {0, 1} & ends, "some run should find a global minimum"


def test_styblinski_tang_momentum_carries_a_run_across_the_ridges():
    s = surfaces.get("styblinski_tang")
    start_basin = int(s.nearest_minimum(np.array(s.default_start))[0])
    plain = [*runs_of("styblinski_tang", "sgd", momentum=False), *runs_of("styblinski_tang", "adam")]
    assert all(minimum_reached(s, t.points[-1]) == start_basin for _, t in plain)
    momentum_ends = {minimum_reached(s, t.points[-1]) for _, t in runs_of("styblinski_tang", "sgd", momentum=True)}
    assert 0 in momentum_ends  # the global minimum, across both ridges


def test_goldstein_price_a_learning_rate_for_one_region_is_wrong_for_another():
    s = surfaces.get("goldstein_price")
    width = s.domain[0][1] - s.domain[0][0]
    plain = sorted(runs_of("goldstein_price", "sgd", momentum=False), key=lambda run: run[0]["lr"])
    (_, careful), (_, bold) = plain[0], plain[-1]
    # Where the gradient is huge the bold learning rate jumps a fifth of the plot in one step...
    assert np.linalg.norm(np.diff(bold.points, axis=0), axis=-1).max() > 0.15 * width
    assert np.linalg.norm(np.diff(careful.points, axis=0), axis=-1).max() < 0.1 * width
    # ...and near the minimum the careful one is slow: it has not settled after the default steps.
    for trajectory, settled in ((bold, True), (careful, False)):
        index, _ = s.nearest_minimum(trajectory.points[-1])
        assert (trajectory.losses[-1] - s.minima[int(index)].value < 1e-3) == settled
    ends = {minimum_reached(s, t.points[-1]) for _, _, t in race("goldstein_price")}
    assert 0 in ends  # some run reaches the global minimum
    assert ends - {0, None}, "some run should stop in a local minimum"


def test_sharp_flat_sgd_and_adam_drop_into_the_dimple_momentum_is_carried_over_it_and_sam_stops_at_the_pass():
    s = surfaces.get("sharp_flat")
    dimple, bowl = 0, 1  # the sharp minimum and the flat one
    ends = {(optimizer, tuple(hp.items())): t.points[-1] for optimizer, hp, t in race("sharp_flat")}
    assert minimum_reached(s, ends["sgd", (("lr", 0.01),)]) == dimple
    assert minimum_reached(s, ends["adam", (("lr", 0.05),)]) == dimple
    assert minimum_reached(s, ends["sgd", (("lr", 0.01), ("momentum", 0.9))]) == bowl
    sam = ends["sam", (("lr", 0.01), ("base", "sgd"), ("rho", 0.5))]  # the lesson's: rho past the dimple
    assert minimum_reached(s, sam) is None
    assert np.linalg.norm(sam - np.array(s.saddles[0][:2])) < 0.15


def test_sharp_flat_is_what_its_description_says():
    s = surfaces.get("sharp_flat")
    dimple, bowl = (np.array(m[:2]) for m in s.minima)
    words = s.description
    assert "(−1.19, 0.89)" in words
    assert np.round(dimple, 2).tolist() == [-1.19, 0.89]
    assert "−0.89" in words
    assert round(s.minima[0].value, 2) == -0.89
    assert "0.36" in words
    assert round(s.saddles[0].value, 2) == 0.36

    def curvature(point):  # the Hessian's mean eigenvalue, from central differences of the gradient
        h = 1e-5
        return sum((s.grad(point + e)[i] - s.grad(point - e)[i]) / (2 * h) for i, e in enumerate(np.eye(2) * h)) / 2

    assert "89 times" in words
    assert round(curvature(dimple) / curvature(bowl)) == 89

    def rise_within(centre, rho):  # the worst loss within rho, above the minimum's
        turns = np.linspace(0.0, 2.0 * np.pi, 3601)
        return float(s.value(centre + rho * np.stack([np.cos(turns), np.sin(turns)], axis=-1)).max() - s.value(centre))

    assert "0.3 away from its bottom raises the loss by up to 1.9" in words
    assert round(rise_within(dimple, 0.3), 1) == 1.9
    assert "by 0.05" in words
    assert round(rise_within(bowl, 0.3), 2) == 0.05
