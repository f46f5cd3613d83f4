"""surfaces.network against torch 2.13, on gradients and training runs recorded by tests/torch_network_reference.py.

torch is not a dependency: the recordings are data in tests/data, so this comparison runs
everywhere. torch built each network as the torch.nn.Sequential ``net.torch`` names, loaded
the network's start into it and took its data and batches from the network, so a difference
can only come from the model's arithmetic or the update rules.

Not bit for bit: torch's convolution and linear layers sum their products in their own
orders (blocked BLAS kernels, im2col for the convolution), optviz's einsum in NumPy's, so the
gradients differ in their last bits, and 100 steps carry that along (both between 2e-16 and
8e-16 relative when recorded). The tolerances, 1e-12 for a gradient and 1e-9 after 100 steps,
leave room for that and none for a wrong formula: a wrong term or a misplaced row moves the
weights by far more within a step (the CNN's Flatten in another order, a change the finite
differences cannot see, fails every CNN case here).
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import optviz
from surfaces.network import network

DATA = np.load(Path(__file__).parent.parent / "data" / "torch_network.npz")
META = json.loads(str(DATA["meta"]))
CASES = [
    pytest.param((i, case), id=f"{case['data']}-{case['model']}-seed{case['seed']}")
    for i, case in enumerate(META["cases"])
]
RECORD = "`PYTHONPATH=. python tests/torch_network_reference.py` in an environment with torch 2.13 (see its docstring)"


def relative(value: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(value - reference) / np.linalg.norm(reference))


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture(scope="module", params=CASES)
def recorded(request):
    """(index, case, its network), the recording made from this very start and these batches."""
    index, case = request.param
    net = network(case["data"], case["model"], case["seed"])
    assert digest(net.start) == case["start_sha256"], f"the network's start changed: record again with {RECORD}"
    batches = net.batches(case["seed"], case["batch_size"], META["steps"])
    assert digest(batches) == case["batches_sha256"], f"the network's batches changed: record again with {RECORD}"
    assert net.torch == case["torch_model"]
    return index, case, net


def test_reference_was_recorded_with_the_documented_torch():
    assert META["torch"].startswith("2.13")
    assert META["capability"] == "DEFAULT"
    models = {(c["data"], c["model"]) for c in META["cases"]}
    assert models == {("digits", "mlp"), ("digits", "cnn"), ("iris", "mlp")}
    assert set(META["runs"]) == {"sgd", "adam", "rmsprop"}
    assert META["runs"]["sgd"]["momentum"] == 0.9


def test_loss_and_gradient_at_the_start_are_torchs(recorded):
    index, case, net = recorded
    rows = net.batches(0, case["batch_size"], 1)[0]
    gradient = np.empty(net.dim)
    loss = net.loss_grad(net.start, rows, gradient)
    assert loss == pytest.approx(case["loss"], rel=1e-12)
    assert relative(gradient, DATA[f"case{index}_grad"]) < 1e-12
    if f"case{index}_grad_all" in DATA:  # every training row
        np.testing.assert_array_equal(net.grad(net.start), net.grad_at(net.start[:, None])[:, 0])
        assert relative(net.grad(net.start), DATA[f"case{index}_grad_all"]) < 1e-12


def test_the_full_training_set_gradient_was_recorded():
    assert any(key.endswith("_grad_all") for key in DATA.files)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_100_steps_end_at_torchs_weights(recorded, optimizer):
    index, case, net = recorded
    t = optviz.run(
        optimizer,
        net,
        steps=META["steps"],
        batch_size=case["batch_size"],
        seed=case["seed"],
        record="final",
        **META["runs"][optimizer],
    )
    reference = DATA[f"case{index}_{optimizer}"]
    assert t.diverged_at is None
    assert relative(reference, net.start) > 0.5  # torch's weights moved well away from the start
    assert relative(t.points[-1], reference) < 1e-9
