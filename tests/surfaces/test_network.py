"""A small network's training loss as a surface (surfaces.network), as a user of its API sees it.

Its weights, data, split and batches; its gradient against finite differences; every optimizer
training it; and the engine's identities (record="final" rows are the path's, a batch of
starts is its single runs, bit for bit) on a surface of thousands of coordinates. torch's own
numbers are in test_network_torch.py, the same bits on every CPU in test_network_portability.py.
"""

import csv
import gzip
import importlib
import math
import re

import numpy as np
import pytest

import optviz
import surfaces
from surfaces.data import columns
from surfaces.network import DATASETS, network

MODELS = [("digits", "mlp"), ("digits", "cnn"), ("iris", "mlp")]
IDS = [f"{data}-{model}" for data, model in MODELS]
BATCH = {"digits": 32, "iris": 16}


@pytest.fixture(scope="module", params=MODELS, ids=IDS)
def net(request):
    return network(*request.param, seed=0)


@pytest.fixture(scope="module")
def iris():
    return network("iris", "mlp", seed=0)


@pytest.fixture(scope="module")
def digits():
    return network("digits", "mlp", seed=0)


# ------------------------------------------------------------------------------- the weights

SHAPES = {
    ("digits", "mlp"): {"0.weight": (32, 64), "0.bias": (32,), "2.weight": (10, 32), "2.bias": (10,)},
    ("digits", "cnn"): {"0.weight": (8, 1, 3, 3), "0.bias": (8,), "4.weight": (10, 128), "4.bias": (10,)},
    ("iris", "mlp"): {"0.weight": (8, 4), "0.bias": (8,), "2.weight": (3, 8), "2.bias": (3,)},
}
DIMS = {
    ("digits", "mlp"): 64 * 32 + 32 + 32 * 10 + 10,
    ("digits", "cnn"): 8 * 9 + 8 + 10 * 128 + 10,
    ("iris", "mlp"): 67,
}


def test_the_weights_are_torchs_state_dict(net):
    key = (net.data_name, net.model_name)
    assert net.dim == DIMS[key] == {("digits", "mlp"): 2410, ("digits", "cnn"): 1370, ("iris", "mlp"): 67}[key]
    weights = net.unflatten(net.start)
    assert list(weights) == list(SHAPES[key])  # the state_dict's order
    assert {name: w.shape for name, w in weights.items()} == SHAPES[key]
    assert net.start.shape == (net.dim,)
    assert net.start.dtype == np.float64


def test_flatten_undoes_unflatten_and_refuses_a_wrong_shape(net):
    theta = np.random.default_rng(3).standard_normal(net.dim)
    weights = net.unflatten(theta)
    np.testing.assert_array_equal(net.flatten(weights), theta)
    weights["0.bias"][0] = 99.0  # copies: changing them leaves theta alone
    assert 99.0 not in theta
    weights["0.bias"] = weights["0.bias"][:-1]
    with pytest.raises(ValueError, match=r"0\.bias: expected shape"):
        net.flatten(weights)
    with pytest.raises(ValueError, match=f"expected {net.dim} weights"):
        net.unflatten(theta[:-1])


def test_the_start_is_seeded(net):
    again = network(net.data_name, net.model_name, seed=0)
    other = network(net.data_name, net.model_name, seed=1)
    np.testing.assert_array_equal(again.start, net.start)
    assert not np.isin(other.start, net.start).any()  # another seed: every weight another
    with pytest.raises(ValueError, match="read-only"):
        net.start[0] = 0.0


# The fan-in of each tensor (the inputs of one output unit), by model: its bias's too.
FAN_IN = {
    ("digits", "mlp"): {"0.weight": 64, "0.bias": 64, "2.weight": 32, "2.bias": 32},
    ("digits", "cnn"): {"0.weight": 9, "0.bias": 9, "4.weight": 128, "4.bias": 128},
    ("iris", "mlp"): {"0.weight": 4, "0.bias": 4, "2.weight": 8, "2.bias": 8},
}


def test_the_start_is_torchs_default_initialisation(net):
    """Every tensor uniform in ±1/√fan_in (Linear's and Conv2d's reset_parameters), filling it."""
    fan_in = FAN_IN[net.data_name, net.model_name]
    assert {t.name: t.fan_in for t in net.tensors} == fan_in
    for name, weights in net.unflatten(net.start).items():
        bound = 1.0 / math.sqrt(fan_in[name])
        assert np.abs(weights).max() <= bound
        if weights.size >= 30:  # uniform over the whole range, not a narrower one
            assert np.abs(weights).max() > 0.9 * bound
            assert abs(weights.mean()) < 0.25 * bound


# ---------------------------------------------------------------------------------- the data


def raw_digits():
    with gzip.open(DATASETS / "digits.csv.gz", "rt", newline="") as file:
        return np.array([[int(v) for v in row] for row in csv.reader(file)], dtype=np.int64)


def sorted_rows(table):
    return table[np.lexsort(table.T[::-1])]


def test_digits_split_into_disjoint_parts_that_cover_the_data_set(digits):
    s = digits.split
    assert (len(s.y_train), len(s.y_valid), len(s.y_test)) == (1257, 180, 360)
    x = np.concatenate([s.x_train, s.x_valid, s.x_test])
    assert x.min() == 0.0
    assert x.max() == 1.0
    np.testing.assert_array_equal(x * 16, np.round(x * 16))  # the 0..16 pixels, scaled exactly
    # Every row of the file in exactly one part (as multisets: a few images repeat).
    parts = np.column_stack([np.round(x * 16).astype(np.int64), np.concatenate([s.y_train, s.y_valid, s.y_test])])
    np.testing.assert_array_equal(sorted_rows(parts), sorted_rows(raw_digits()))
    assert set(s.y_train.tolist()) == set(range(10))


def test_iris_split_and_standardised_by_its_training_rows(iris):
    s = iris.split
    assert (len(s.y_train), len(s.y_valid), len(s.y_test)) == (105, 15, 30)
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose(s.x_train.std(axis=0), 1.0, rtol=1e-14)
    # Undo the standardisation (per column: the file's extremes are the parts' extremes) and
    # the three parts are the file's 150 flowers, measured to a tenth, each once.
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    *measured, species = columns("iris", *names, "species")
    raw = np.array([[float(v) for v in row] for row in zip(*measured, strict=True)])
    kinds = sorted(set(species))  # the classes in alphabetical order: setosa, versicolor, virginica
    labels = np.array([kinds.index(k) for k in species])
    x = np.concatenate([s.x_train, s.x_valid, s.x_test])
    scale = (raw.max(axis=0) - raw.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    shift = raw.min(axis=0) - x.min(axis=0) * scale
    undone = np.round((x * scale + shift) * 10).astype(np.int64)
    np.testing.assert_allclose(x * scale + shift, undone / 10, atol=1e-12)
    parts = np.column_stack([undone, np.concatenate([s.y_train, s.y_valid, s.y_test])])
    np.testing.assert_array_equal(sorted_rows(parts), sorted_rows(np.column_stack([np.round(raw * 10), labels])))
    # The numbers it was standardised by are the training rows' (population) mean and deviation.
    train = undone[: len(s.y_train)] / 10
    np.testing.assert_allclose(shift, train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scale, train.std(axis=0), rtol=1e-12)
    assert not np.allclose(shift, raw.mean(axis=0), rtol=1e-3)  # not the whole file's


@pytest.mark.parametrize(("data", "model"), MODELS, ids=IDS)
def test_data_comes_as_the_model_takes_it(data, model):
    net = network(data, model)
    x_train, y_train, x_test, y_test = net.data
    x_valid, y_valid = net.validation
    features = {"digits": (64,), "iris": (4,)}[data] if model == "mlp" else (1, 8, 8)
    assert x_train.shape == (net.data_rows, *features)
    assert x_test.shape == (len(y_test), *features)
    assert x_valid.shape == (len(y_valid), *features)
    for array in (x_train, y_train, x_test, y_test, x_valid, y_valid):
        assert not array.flags.writeable
    assert y_train.dtype == np.int64
    assert x_train.dtype == np.float64
    if model == "cnn":  # the images are the MLP's rows, pixel (r, c) at r * 8 + c
        np.testing.assert_array_equal(x_train.reshape(-1, 64), network("digits", "mlp").data[0])


# ------------------------------------------------------------------------------- the batches


def test_batches_are_epochs_of_distinct_rows_without_the_last_short_batch(iris, digits):
    for net, size in ((iris, 16), (digits, 32), (digits, 100)):
        per_epoch = net.data_rows // size
        assert net.steps_per_epoch(size) == per_epoch
        steps = 2 * per_epoch + 3
        batches = net.batches(seed=4, batch_size=size, steps=steps)
        assert batches.shape == (steps, size)
        assert np.issubdtype(batches.dtype, np.integer)
        assert batches.min() >= 0
        assert batches.max() < net.data_rows
        for epoch in range(3):
            rows = batches[epoch * per_epoch : (epoch + 1) * per_epoch].ravel()
            assert len(set(rows.tolist())) == len(rows)  # each row at most once an epoch
        first, second = batches[:per_epoch].ravel(), batches[per_epoch : 2 * per_epoch].ravel()
        assert not np.array_equal(first, second)  # a new order each epoch


def test_batches_depend_on_the_seed_alone(iris):
    a = iris.batches(seed=7, batch_size=16, steps=20)
    np.testing.assert_array_equal(a, iris.batches(seed=7, batch_size=16, steps=20))
    np.testing.assert_array_equal(a[:5], iris.batches(seed=7, batch_size=16, steps=5))  # longer runs begin alike
    assert not np.array_equal(a, iris.batches(seed=8, batch_size=16, steps=20))
    assert iris.batches(seed=7, batch_size=16, steps=0).shape == (0, 16)
    full = iris.batches(seed=7, batch_size=iris.data_rows, steps=2)
    assert sorted(full[0].tolist()) == list(range(iris.data_rows))


@pytest.mark.parametrize("size", [0, -1, 106, 2.5, True, "16", None])
def test_batches_refuse_a_bad_batch_size(iris, size):
    with pytest.raises(ValueError, match="Invalid batch_size value"):
        iris.batches(seed=0, batch_size=size, steps=3)


@pytest.mark.parametrize("steps", [-1, 1.5, True, "3"])
def test_batches_refuse_bad_steps(iris, steps):
    with pytest.raises(ValueError, match="Invalid steps value"):
        iris.batches(seed=0, batch_size=16, steps=steps)


def test_step_k_uses_exactly_the_rows_of_batches_k(iris):
    """The engine's minibatches are the network's: grads[k] is the mean gradient over batches[k]."""
    t = optviz.run("sgd", iris, steps=15, batch_size=16, seed=3, lr=0.1)
    rows = iris.batches(3, 16, 15)
    for k in range(15):
        np.testing.assert_array_equal(t.grads[k], iris.grad_at(t.points[k][:, None], rows[k])[:, 0])
    np.testing.assert_array_equal(t.grads[-1], iris.grad(t.points[-1]))  # the last: every row's


# ------------------------------------------------------------------------------ the gradient


def central_differences(net, theta, coordinates, h):
    out = []
    for i in coordinates:
        step = np.zeros(net.dim)
        step[i] = h
        out.append((net.loss_grad(theta + step) - net.loss_grad(theta - step)) / (2 * h))
    return np.array(out)


def test_the_gradient_is_the_slope_of_the_loss(net):
    """Central differences with h = 1e-5 on a loss of about 1: the truncation error is about
    h² |f'''| / 6 ≈ 1e-11 and the rounding error ε |f| / h ≈ 5e-11 (measured: below 1e-10),
    so 1e-8 separates them from any wrong term, which is of the size of a coordinate of the
    gradient (1e-4 to 1e-1 here, or 0 for a dead unit or a blank pixel). Checked at the start and after 20 steps of Adam (other ReLU
    and max-pool patterns), on four random weights of each tensor (all three of a bias of three). A kink of ReLU or max-pool
    within h of the point would spoil a difference; the points and coordinates are fixed and
    none is there."""
    trained = optviz.run("adam", net, steps=20, batch_size=BATCH[net.data_name], seed=0, lr=0.01, record="final")
    rng = np.random.default_rng(11)
    first, chosen = 0, []
    for tensor in net.tensors:
        chosen.extend(first + rng.choice(tensor.size, min(4, tensor.size), replace=False))
        first += tensor.size
    for theta in (net.start, trained.points[-1]):
        gradient = net.grad(theta)[chosen]
        assert np.linalg.norm(gradient) > 1e-3  # not a vacuous check of zeros
        np.testing.assert_allclose(central_differences(net, theta, chosen, 1e-5), gradient, rtol=0, atol=1e-8)


def test_the_surfaces_ways_to_the_loss_and_gradient_agree(iris):
    theta = np.stack([iris.start, iris.start * 0.5])
    np.testing.assert_array_equal(iris.value(theta), iris.loss_at(np.ascontiguousarray(theta.T)))
    np.testing.assert_array_equal(iris.grad(theta), iris.grad_at(np.ascontiguousarray(theta.T)).T)
    g = np.empty(iris.dim)
    assert iris.loss_grad(iris.start, None, g) == iris.value(iris.start)
    np.testing.assert_array_equal(g, iris.grad(iris.start))
    assert iris.plot_gap == iris.value(iris.start)
    assert iris.value(iris.start) == pytest.approx(math.log(3), rel=0.2)  # about chance at the start


# ------------------------------------------------------------------------------ training it

# A rate that trains both MLPs within a few epochs, for every registered optimizer.
RATES = {
    "sgd": {"lr": 0.1, "momentum": 0.9},
    "adagrad": {"lr": 0.05},
    "rmsprop": {"lr": 0.003},
    "adadelta": {"lr": 1.0},
    "adam": {"lr": 0.01},
    "adamw": {"lr": 0.01},
    "nadam": {"lr": 0.01},
    "radam": {"lr": 0.05},
    "adamax": {"lr": 0.02},
    "rprop": {"lr": 0.003, "etas": (0.9, 1.05)},  # gentle: minibatch signs flip at random
    "asgd": {"lr": 0.1},
    "lion": {"lr": 0.003},
    "sgd_schedulefree": {"lr": 0.1},
    "adamw_schedulefree": {"lr": 0.01},
    "adafactor": {"lr": 0.03},  # relative: 3% of the weights' size a step
    "prodigy": {"lr": 0.5},  # a multiplier of the step size it estimates (1 overshoots iris)
    "adopt": {"lr": 0.01},
    "ademamix": {"lr": 0.01},
    # Full batch (it reads the loss): one step an epoch, a few iterations of its line search in it.
    "lbfgs": {"max_iter": 4, "line_search_fn": "strong_wolfe"},
    "sam": {"lr": 0.1, "momentum": 0.9},  # around SGD with momentum, SGD's rate
}


def test_muon_refuses_a_network_whose_weights_are_several_matrices():
    with pytest.raises(ValueError, match=r"1 × 2 matrix; these have \d+ coordinates"):
        optviz.run("muon", network("iris", "mlp", seed=0), steps=1)


@pytest.mark.parametrize("optimizer", [name for name, spec in optviz.OPTIMIZERS.items() if spec.listed])
@pytest.mark.parametrize(("data", "epochs"), [("iris", 5), ("digits", 3)])
def test_every_optimizer_trains_the_mlps(optimizer, data, epochs):
    assert optimizer in RATES, f"add a learning rate for {optimizer} to RATES"
    net = network(data, "mlp", seed=0)
    whole = optviz.OPTIMIZERS[optimizer].reads_loss  # every row a step, a step an epoch
    per_epoch = 1 if whole else net.steps_per_epoch(BATCH[data])
    t = optviz.run(
        optimizer,
        net,
        steps=epochs * per_epoch,
        batch_size=None if whole else BATCH[data],
        seed=0,
        record="final",
        every=per_epoch,
        **RATES[optimizer],
    )
    assert t.kept == tuple(range(0, epochs * per_epoch + 1, per_epoch))
    assert t.points.shape == (epochs + 1, net.dim)
    assert t.diverged_at is None
    assert (np.diff(t.losses) < 0).all(), t.losses  # the training loss falls epoch by epoch
    assert t.losses[-1] < 0.8 * t.losses[0]
    np.testing.assert_array_equal(t.losses, net.value(t.points))  # the losses are the training set's
    before, after = net.evaluate(t.points[0])[1], net.evaluate(t.points[-1])[1]
    assert after > before  # and the test set is classified better


# ----------------------------------------------------------------- the engine's identities


def assert_same_bits(a, b):
    for name in ("points", "losses", "grads"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        np.testing.assert_array_equal(x.view(np.uint64), y.view(np.uint64), err_msg=name)


@pytest.mark.parametrize(("data", "model"), [("iris", "mlp"), ("digits", "cnn")], ids=["iris-mlp", "digits-cnn"])
def test_final_rows_are_the_paths_rows(data, model):
    net = network(data, model, seed=0)
    hp = {"steps": 20, "batch_size": BATCH[data], "seed": 1, "lr": 0.01}
    path = optviz.run("adam", net, **hp)
    for every in (None, 6, 20, 25):
        final = optviz.run("adam", net, record="final", every=every, **hp)
        kept = list(final.kept)
        assert kept == ([0, 20] if every in (None, 20, 25) else [0, 6, 12, 18, 20])
        assert final.final
        for name in ("points", "losses", "grads"):
            expected = getattr(path, name)[kept]
            np.testing.assert_array_equal(getattr(final, name).view(np.uint64), expected.view(np.uint64), err_msg=name)


def column(t, i, hyperparameters):
    """Trajectory i of a batch, as a single run's record."""
    return optviz.Trajectory(
        t.optimizer, hyperparameters, t.surface, t.points[:, i], t.losses[:, i], t.grads[:, i], t.diverged_at[i]
    )


@pytest.mark.parametrize(("data", "model"), [("iris", "mlp"), ("digits", "cnn")], ids=["iris-mlp", "digits-cnn"])
def test_a_batch_of_starts_equals_its_single_runs(data, model):
    net = network(data, model, seed=0)
    starts = np.stack([net.start, network(data, model, seed=1).start])
    hp = {"steps": 8, "batch_size": BATCH[data], "seed": 2}
    for record in ("path", "final"):
        together = optviz.run("nadam", net, start=starts, record=record, lr=np.array([0.01, 0.03]), **hp)
        assert together.points.shape[1:] == (2, net.dim)
        for i, lr in enumerate((0.01, 0.03)):
            alone = optviz.run("nadam", net, start=starts[i], record=record, lr=lr, **hp)
            assert_same_bits(column(together, i, alone.hyperparameters), alone)


def test_a_batch_of_seeds_equals_its_single_runs(iris):
    """One seed per trajectory: each its own batches and noise, as its single run with that seed."""
    starts = np.stack([iris.start, iris.start])
    hp = {"steps": 12, "batch_size": 16, "noise": 0.01, "lr": 0.02}
    together = optviz.run("adam", iris, start=starts, seed=[2, 5], **hp)
    for i, seed in enumerate((2, 5)):
        alone = optviz.run("adam", iris, start=starts[i], seed=seed, **hp)
        assert_same_bits(column(together, i, alone.hyperparameters), alone)
    assert not np.array_equal(together.points[-1, 0], together.points[-1, 1])


def test_a_schedule_and_gradient_noise_on_a_network(iris):
    """SGD without momentum steps by exactly -lr_k g_k, with StepLR's rate of step k, and the
    gradients it saw are the minibatch's plus the seeded noise (the same draw for every start)."""
    starts = np.stack([iris.start, network("iris", "mlp", seed=1).start])
    schedule = optviz.schedule("StepLR", step_size=3, gamma=0.5)
    t = optviz.run("sgd", iris, start=starts, steps=12, batch_size=16, seed=2, lr=0.1, schedule=schedule, noise=0.05)
    rows = iris.batches(2, 16, 12)
    draws = []
    for k in range(12):
        rate = 0.1 * 0.5 ** (k // 3)
        np.testing.assert_array_equal(t.points[k + 1], t.points[k] - rate * t.grads[k])
        draws.append(t.grads[k] - iris.grad_at(np.ascontiguousarray(t.points[k].T), rows[k]).T)
    draws = np.array(draws)  # (12, 2, dim): the noise each start saw
    np.testing.assert_allclose(draws[:, 0], draws[:, 1], atol=1e-15)
    assert np.std(draws) == pytest.approx(0.05, rel=0.1)
    plain = optviz.run("sgd", iris, start=starts, steps=12, batch_size=16, seed=2, lr=0.1)
    assert not np.array_equal(plain.points[-1], t.points[-1])


# ---------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": "mnist"}, "unknown data 'mnist'; choose one of: digits, iris"),
        ({"model": "rnn"}, "unknown model 'rnn'; choose one of: mlp, cnn"),
        ({"data": "iris", "model": "cnn"}, "the CNN takes images: choose data 'digits' for it"),
        ({"width": 0}, "Invalid width value: 0 (expected a whole number from 1 to 64)"),
        ({"width": 65}, "Invalid width value: 65"),
        ({"width": 8.0}, "Invalid width value: 8.0"),
        ({"width": True}, "Invalid width value: True"),
        ({"seed": -1}, "Invalid seed value: -1 (expected a whole number from 0 to 4294967295)"),
        ({"seed": 1 << 32}, "Invalid seed value: 4294967296"),
        ({"seed": 1.5}, "Invalid seed value: 1.5"),
        ({"seed": None}, "Invalid seed value: None"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        network(**kwargs)


def test_the_package_offers_network_as_design_md_says():
    net = surfaces.network("digits", model="cnn", seed=0)
    assert net.dim == 1370


def test_the_width_is_the_hidden_layer(iris):
    wide = network("iris", "mlp", width=3)
    assert wide.dim == 4 * 3 + 3 + 3 * 3 + 3
    assert wide.width == 3
    assert iris.width == 8
    assert network("digits", "cnn", width=2).unflatten(np.zeros(2 * 9 + 2 + 10 * 32 + 10))["4.weight"].shape == (
        10,
        32,
    )


def test_the_cnns_pass_over_every_row_has_the_same_bits_in_blocks_or_whole(monkeypatch):
    """The pass over every row goes in blocks of rows for speed (FORWARD_ROWS): each logit is
    its own sum, so the losses are the whole pass's to the bit."""
    module = importlib.import_module("surfaces.network")
    net = network("digits", "cnn", seed=0)
    points = net.start[:, None] + 0.01 * np.random.default_rng(3).standard_normal((net.dim, 3))
    blocked = net.loss_at(points)
    monkeypatch.setattr(module, "FORWARD_ROWS", 100_000)
    whole = net.loss_at(points)
    assert blocked.tobytes() == whole.tobytes()
