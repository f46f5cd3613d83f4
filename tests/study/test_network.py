"""The honest comparison (optviz.study.network): what a person comparing optimizers relies on.

Every optimizer starts from the same weights and sees the same batches, seed by seed; the seeds
differ; the median and the band are those of the seeds; a tuned rate is the grid's lowest
validation loss; "defaults" is torch's; the verdict says "within the spread" exactly when the
seeds' ranges overlap; bad requests are refused with a clear message. On iris's small MLP, a
few epochs: fast.
"""

import numpy as np
import pytest

import optviz
from optviz.core import budget
from optviz.settings.lessons import LESSONS
from optviz.settings.presets import PRESETS
from optviz.study import network as nw
from optviz.study.network import Comparison, Contender, Curves, Result
from surfaces.network import WIDTHS, network

SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM, NADAM = nw.TUTORIAL
FOUR = (SGD, MOMENTUM, ADAGRAD, ADAM)
# torch 2.13's default learning rates (inspect.signature of torch.optim's classes): SGD's has
# been 0.001 since its lr became optional.
TORCH_DEFAULT_LR = {"sgd": 1e-3, "adagrad": 1e-2, "rmsprop": 1e-2, "adadelta": 1.0, "adam": 1e-3, "nadam": 2e-3}


@pytest.fixture(scope="module")
def tuned():
    request = Comparison("iris", "mlp", epochs=3, seeds=3, optimizers=FOUR)
    tuning = nw.tune(request.grid)
    return request, tuning, nw.compare(request, tuning)


def test_every_optimizer_starts_from_the_same_weights_and_sees_the_same_batches(tuned):
    request, _, result = tuned
    for metric in nw.METRICS:
        first = np.stack([c.values(metric)[:, 0] for c in result.curves])  # (optimizers, seeds) at epoch 0
        assert (first == first[0]).all(), metric  # the same start for every optimizer
        assert len(set(first[0].tolist())) > 1 or metric == "test_accuracy"  # and another for each seed
    for seed in range(request.seeds):
        assert np.array_equal(request.start(seed), network("iris", "mlp", seed=seed).start)
    # Each (optimizer, seed) is the single run from that seed's weights on that seed's batches.
    per_epoch = request.steps_per_epoch
    for contender, curves in zip(request.optimizers, result.curves, strict=True):
        for seed in range(request.seeds):
            net = network("iris", "mlp", seed=seed)
            settings = {"record": "final", "every": per_epoch, "seed": seed, "batch_size": request.batch_size}
            t = optviz.run(contender.optimizer, net, steps=request.steps, **settings, **contender.settings(curves.lr))
            assert np.array_equal(curves.train_loss[seed], t.losses)
            test = [net.evaluate(theta, "test") for theta in t.points]
            assert np.array_equal(curves.test_loss[seed], [loss for loss, _ in test])
            assert np.array_equal(curves.test_accuracy[seed], [accuracy for _, accuracy in test])


def test_two_runs_of_one_optimizer_are_the_same_numbers():
    """Same weights, same batches: an optimizer entered twice (two names) gives the same bits."""
    twice = Contender.make("Adam again", "adam")
    request = Comparison("iris", "mlp", epochs=2, seeds=3, mode="defaults", optimizers=(ADAM, twice))
    one, other = nw.compare(request).curves
    for metric in nw.METRICS:
        assert np.array_equal(one.values(metric), other.values(metric))


def test_the_median_and_the_band_are_the_seeds(tuned):
    _, _, result = tuned
    for curves in result.curves:
        for metric in nw.METRICS:
            values, shown = curves.values(metric), curves.band(metric)
            assert values.shape == (3, 4)  # (seeds, epochs + 1)
            assert np.array_equal(shown.median, np.median(values, axis=0))
            assert np.array_equal(shown.low, values.min(axis=0))
            assert np.array_equal(shown.high, values.max(axis=0))
    # A diverged seed's epochs are left out; a column with no seed left is NaN.
    found = nw.band(np.array([[1.0, 2.0, 3.0], [3.0, np.nan, np.nan], [2.0, 4.0, np.nan]]))
    assert found.median.tolist()[:2] == [2.0, 3.0]
    assert found.low.tolist()[:2] == [1.0, 2.0]
    assert found.high.tolist()[:2] == [3.0, 4.0]
    assert found.median[2] == 3.0
    nan = nw.band(np.full((3, 2), np.nan))
    assert np.isnan(nan.median).all()


def test_a_tuned_rate_is_the_lowest_validation_loss_of_its_grid(tuned):
    request, tuning, result = tuned
    assert tuning.grid == request.grid
    for contender, found, curves in zip(request.optimizers, tuning.optimizers, result.curves, strict=True):
        assert found.lrs.tolist() == contender.grid().tolist()
        assert len(found.lrs) == nw.GRID_POINTS
        finite = np.flatnonzero(~found.diverged)
        assert found.chosen == finite[np.argmin(found.validation_loss[finite])]
        assert curves.lr == found.lr == found.lrs[found.chosen]
    # A grid point is the single run at that rate from seed 0, measured on the validation rows.
    net = network("iris", "mlp", seed=0)
    adam = tuning.optimizers[3]
    t = optviz.run("adam", net, steps=request.steps, record="final", seed=0, batch_size=32, lr=adam.lrs[2])
    assert net.evaluate(t.points[-1], "validation") == (adam.validation_loss[2], adam.validation_accuracy[2])
    # The grid is the network's, epochs', batch size's and optimizers': not the seeds' or the mode's.
    assert Comparison("iris", "mlp", epochs=3, seeds=5, optimizers=FOUR, mode="defaults").grid == request.grid
    assert Comparison("iris", "mlp", epochs=4, optimizers=FOUR).grid != request.grid


def test_a_diverged_rate_is_never_chosen_and_a_diverged_seed_is_left_out():
    wild = Contender("Wild SGD", "sgd", lr_range=(5.0, 10.0))  # diverges from 7.07 on
    request = Comparison("iris", "mlp", epochs=3, optimizers=(wild,))
    found = nw.tune(request.grid).optimizers[0]
    assert found.diverged.tolist() == [False] * 3 + [True] * 4
    assert np.isnan(found.validation_loss[found.diverged]).all()
    assert found.chosen < 3
    hopeless = Contender("Hopeless SGD", "sgd", lr_range=(20.0, 50.0))
    request = Comparison("iris", "mlp", epochs=3, optimizers=(hopeless, ADAM))
    tuning = nw.tune(request.grid)
    assert tuning.optimizers[0].all_diverged
    assert tuning.optimizers[0].lr == 20.0  # every rate diverged: the lowest
    result = nw.compare(request, tuning)
    curves = result.curves[0]
    assert curves.diverged == 3
    assert np.isfinite(curves.train_loss[:, 0]).all()
    assert np.isnan(curves.train_loss[:, 1:]).all()
    assert result.table()[0].diverged == 3
    verdict = result.verdict()
    assert verdict.pairs[0, 1] == nw.NO_DATA
    assert verdict.best == 1


def test_defaults_are_torchs():
    request = Comparison("iris", "mlp", epochs=1, seeds=3, mode="defaults")
    result = nw.compare(request)
    assert result.tuning is None
    assert result.rates == tuple(TORCH_DEFAULT_LR[c.optimizer] for c in nw.TUTORIAL)
    # The tutorial's momentum and Nesterov are its settings, not torch's defaults: said so.
    assert [c.not_defaults() for c in nw.TUTORIAL[:3]] == [(), ("momentum",), ("momentum", "nesterov")]
    assert all(not c.not_defaults() for c in nw.TUTORIAL[3:])


def test_the_tutorials_optimizers_are_the_pages_presets():
    for contender in nw.TUTORIAL:
        preset = PRESETS[contender.name]
        assert preset.optimizer == contender.optimizer
        settings = {k: v for k, v in preset.hyperparameters if k != "lr"}
        assert settings == dict(contender.hyperparameters)


def test_the_per_gradient_evaluation_axis_counts_each_optimizers_evaluations(tuned):
    request, _, result = tuned
    assert result.epochs.tolist() == list(range(request.epochs + 1))
    t = optviz.run("sgd", network("iris", "mlp"), steps=request.steps, record="final", every=3, batch_size=32)
    for curves in result.curves:
        per_step = t.grad_evals / t.steps_run
        assert curves.grad_evals.tolist() == [e * request.steps_per_epoch * per_step for e in result.epochs]


def _result(finals, optimizers, metric="test_accuracy"):
    """A result whose seeds end at ``finals`` (one list of seed values per optimizer)."""
    request = Comparison("iris", "mlp", epochs=1, seeds=len(finals[0]), optimizers=optimizers, mode="defaults")
    curves = []
    for values in finals:
        column = np.array(values, dtype=float)[:, None]
        table = {m: np.hstack([np.full_like(column, 0.5), column]) for m in nw.METRICS}
        measured = (table["train_loss"], table["test_loss"], table["test_accuracy"])
        curves.append(Curves(0.01, *measured, (None,) * len(values), np.array([0.0, 3.0])))
    return Result(request, tuple(curves), None, np.arange(2))


def test_the_verdict_says_within_the_spread_exactly_when_the_seeds_ranges_overlap():
    result = _result([[0.90, 0.92, 0.94], [0.93, 0.95, 0.96], [0.50, 0.55, 0.60]], (SGD, ADAM, MOMENTUM))
    verdict = result.verdict()
    assert verdict.best == 1
    assert verdict.tied == (0, 1)  # 0.90-0.94 overlaps 0.93-0.96
    assert verdict.pairs[0, 1] == verdict.pairs[1, 0] == nw.WITHIN
    assert verdict.pairs[1, 2] == nw.BETTER
    assert verdict.pairs[2, 1] == nw.WORSE
    assert not verdict.all_within
    assert [(d.better, d.worse) for d in verdict.differences] == [(1, 2), (0, 2)]
    adam_over_momentum, sgd_over_momentum = verdict.differences
    assert adam_over_momentum.kind == "adaptive"
    assert adam_over_momentum.lesson == "rosenbrock"
    assert sgd_over_momentum.kind == "momentum"
    assert sgd_over_momentum.lesson == "momentum"
    assert adam_over_momentum.gap == pytest.approx(0.40)
    assert verdict.spread == pytest.approx(0.10)
    # Ranges that merely touch overlap; for a loss, lower is better.
    touching = _result([[0.90, 0.92, 0.93], [0.93, 0.95, 0.96]], (SGD, ADAM)).verdict()
    assert touching.all_within
    assert touching.tied == (0, 1)
    losses = _result([[0.1, 0.2, 0.3], [0.5, 0.6, 0.7]], (SGD, ADAM)).verdict("test_loss")
    assert losses.best == 0
    assert losses.pairs[0, 1] == nw.BETTER


def test_every_kind_of_difference_among_the_tutorials_optimizers_has_its_lesson():
    for i, one in enumerate(nw.TUTORIAL):
        for other in nw.TUTORIAL[i + 1 :]:
            kind = nw.difference_kind(one, other)
            assert kind in nw.LESSON_OF, (one.name, other.name)
            assert nw.difference_kind(other, one) == kind
    assert nw.difference_kind(ADAM, Contender.make("Adam, eps", "adam", eps=1e-6)) is None  # one family
    assert set(nw.LESSON_OF.values()) <= set(LESSONS)


def test_progress_goes_to_the_end():
    request = Comparison("iris", "mlp", epochs=1, optimizers=(SGD, ADAM))
    heard = {"tune": [], "compare": []}
    tuning = nw.tune(request.grid, heard["tune"].append)
    nw.compare(request, tuning, heard["compare"].append)
    heard["both"] = []
    nw.compare(request, None, heard["both"].append)  # the grid made on the way
    assert heard["both"][len(heard["tune"]) - 1] < 1.0
    for fractions in heard.values():
        assert fractions == sorted(fractions)
        assert fractions[-1] == 1.0
        assert fractions[0] > 0


def test_a_comparison_is_priced_and_the_default_fits_its_allowance():
    for data, model in WIDTHS:  # every network measured (python -m benchmarks.costs --only network)
        for kind in ("step", "run", "evaluation"):
            entry = budget.COSTS["network"][kind][f"{data}_{model}"]
            assert len(entry) == 2
            assert min(entry) >= 0
            assert entry[0] + entry[1] > 0
    default = nw.price(Comparison())
    assert default.comparison > 0
    assert default.grid > 0
    assert default.total <= budget.COMPARISON_SECONDS
    assert nw.price(Comparison(mode="defaults")).grid == 0
    assert nw.price(Comparison(seeds=6)).comparison == pytest.approx(2 * default.comparison)
    assert nw.price(Comparison(seeds=10, epochs=50)).total > budget.COMPARISON_SECONDS  # refused


def test_a_request_is_one_cache_key_however_it_was_written():
    written = Comparison("iris", "mlp", width=np.int64(8), epochs=np.int64(3), optimizers=[SGD, ADAM])
    assert written == Comparison("iris", "mlp", epochs=3, optimizers=(SGD, ADAM))  # the default width, 8
    assert hash(written) == hash(Comparison("iris", "mlp", epochs=3, optimizers=(SGD, ADAM)))
    assert type(written.epochs) is int
    assert Contender.make("A", "sgd", momentum=np.float32(0.5)) == Contender.make("A", "sgd", momentum=0.5)


BAD = [
    ({"seeds": 2}, "Invalid seeds value: 2 .expected a whole number from 3 to 10"),
    ({"seeds": 11}, "Invalid seeds value"),
    ({"seeds": True}, "Invalid seeds value"),
    ({"epochs": 0}, "Invalid epochs value: 0 .expected a whole number from 1 to 50"),
    ({"epochs": 2.5}, "Invalid epochs value"),
    ({"batch_size": 0}, "Invalid batch_size value: 0 .expected a whole number from 1 to 105"),
    ({"batch_size": 106}, "Invalid batch_size value"),
    ({"width": 0}, "Invalid width value: 0 .expected a whole number from 1 to 64"),
    ({"data": "mnist"}, "unknown data 'mnist'"),
    ({"model": "rnn"}, "unknown model 'rnn'"),
    ({"model": "cnn"}, "the CNN does not take iris"),
    ({"mode": "best"}, "Invalid mode: 'best'"),
    ({"optimizers": ()}, "Invalid optimizers: expected 1 to 10"),
    ({"optimizers": (SGD,) * 11}, "Invalid optimizers: expected 1 to 10"),
    ({"optimizers": (SGD, SGD)}, "two have the same name"),
    ({"optimizers": ("adam",)}, "each one is a Contender"),
]


@pytest.mark.parametrize(("changes", "message"), BAD)
def test_a_bad_request_is_refused_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        Comparison(**{"data": "iris", "model": "mlp", **changes})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Contender.make("A", "adamm"), "unknown optimizer 'adamm'"),
        (lambda: Contender.make("A", "adam", lr=0.1), "the learning rate is the comparison's to set"),
        (lambda: Contender.make("A", "sgd", momentum=-1.0), "Invalid momentum value"),
        (lambda: Contender.make("A", "sgd", nesterov=True), "Nesterov"),
        (lambda: Contender.make("A", "adam", moment=0.9), "unexpected hyperparameter 'moment'"),
        (lambda: Contender.make("A", "adam", lr_range=(0.1, 0.01)), "Invalid lr_range"),
        (lambda: Contender.make("", "adam"), "Invalid optimizer name"),
    ],
)
def test_a_bad_optimizer_is_refused_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_tuning_grid_made_for_another_request_is_refused(tuned):
    _, tuning, _ = tuned
    with pytest.raises(ValueError, match="made for another network"):
        nw.compare(Comparison("iris", "mlp", epochs=2, optimizers=FOUR), tuning)
