"""Record torch's gradients and training runs of surfaces.network for tests/surfaces/test_network_torch.py.

torch is not a dependency of optviz. Run this in a scratch environment that has it, and
plotly (the iris data ships inside it):

    python3 -m venv /work/torchenv && /work/torchenv/bin/pip install torch==2.13.0 numpy plotly
    PYTHONPATH=. /work/torchenv/bin/python tests/torch_network_reference.py

For each case below it builds the torch.nn.Sequential the network names (``net.torch``), loads
the network's start (``net.unflatten(net.start)``, strictly) and records, flat in the
``state_dict``'s order (``net.flatten``):

* torch autograd's gradient of ``nn.CrossEntropyLoss`` at the start on the first batch of
  ``net.batches(0, batch_size, 1)`` (and, for the first case, on every training row), and the
  loss there;
* the weights after 100 steps of torch.optim's SGD with momentum, Adam and RMSprop from the
  start, step k on the rows ``net.batches(seed, batch_size, 100)[k]`` of ``net.data``'s X_train.

The data, the start and the batches are optviz's own, so a difference can only come from the
model's arithmetic (its forward pass and hand-derived gradient) or the update rules. torch runs
in float64 on its generic CPU kernels (ATEN_CPU_CAPABILITY=default, as for the optimizers);
its convolution and linear layers still sum in their own orders (BLAS), so the test compares to
a relative tolerance, not bit for bit. The meta records a hash of each case's start and batches:
if the network's initialisation or its batches change, the test says to record again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ["ATEN_CPU_CAPABILITY"] = "default"  # read when torch is imported; see tests/torch_reference.py
import torch
from torch import nn

from surfaces.network import Network, network

STEPS = 100
OUT = Path(__file__).parent / "data" / "torch_network.npz"
# (data, model, seed, batch_size): seed makes the start (network(..., seed)) and the batches.
CASES = [("digits", "mlp", 0, 32), ("digits", "cnn", 0, 32), ("iris", "mlp", 0, 16), ("iris", "mlp", 5, 16)]
# The optimizer runs, by optviz's names and torch.optim's keywords (rates that train each model).
RUNS = {
    "sgd": {"lr": 0.05, "momentum": 0.9},
    "adam": {"lr": 0.01},
    "rmsprop": {"lr": 0.003},
}
TORCH_CLASSES = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}


def digest(array: np.ndarray) -> str:
    """A hash of ``array``'s bytes, to tell that a recording's start or batches are still the network's."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def torch_model(net: Network) -> nn.Sequential:
    """The torch.nn.Sequential that ``net.torch`` names, holding the network's start."""
    model = eval(net.torch, {name: getattr(nn, name) for name in dir(nn)})  # "Sequential(Linear(64, 32), ...)"
    weights = {name: torch.from_numpy(value) for name, value in net.unflatten(net.start).items()}
    model.load_state_dict(weights, strict=True)
    return model


def flat(net: Network, tensors: dict[str, torch.Tensor]) -> np.ndarray:
    return net.flatten({name: tensor.detach().numpy() for name, tensor in tensors.items()})


def gradient(net: Network, rows: np.ndarray | None) -> tuple[float, np.ndarray]:
    """torch's loss and gradient at the start over ``rows`` of the training set (None: all)."""
    x_train, y_train, _, _ = net.data
    model = torch_model(net)
    picked = slice(None) if rows is None else rows
    x, y = torch.from_numpy(x_train[picked].copy()), torch.from_numpy(y_train[picked].copy())
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    return loss.item(), flat(net, {name: p.grad for name, p in model.named_parameters()})


def train(net: Network, optimizer: str, batches: np.ndarray) -> np.ndarray:
    """The weights after one step of torch.optim's ``optimizer`` per batch, from the start."""
    x_train, y_train, _, _ = net.data
    x_train, y_train = torch.from_numpy(x_train.copy()), torch.from_numpy(y_train.copy())
    model = torch_model(net)
    opt = TORCH_CLASSES[optimizer](model.parameters(), **RUNS[optimizer])
    loss_fn = nn.CrossEntropyLoss()
    for rows in batches:
        index = torch.from_numpy(rows)
        opt.zero_grad()
        loss_fn(model(x_train[index]), y_train[index]).backward()
        opt.step()
    return flat(net, model.state_dict())


def main() -> None:
    torch.set_default_dtype(torch.float64)
    arrays, cases = {}, []
    for i, (data, model_name, seed, batch_size) in enumerate(CASES):
        net = network(data, model_name, seed)
        first = net.batches(0, batch_size, 1)[0]
        batches = net.batches(seed, batch_size, STEPS)
        loss, arrays[f"case{i}_grad"] = gradient(net, first)
        if i == 0:
            _, arrays[f"case{i}_grad_all"] = gradient(net, None)
        for optimizer in RUNS:
            arrays[f"case{i}_{optimizer}"] = train(net, optimizer, batches)
        cases.append(
            {
                "data": data,
                "model": model_name,
                "seed": seed,
                "batch_size": batch_size,
                "torch_model": net.torch,
                "loss": loss,
                "start_sha256": digest(net.start),
                "batches_sha256": digest(batches),
            }
        )
    capability = torch.backends.cpu.get_cpu_capability()
    meta = {"torch": torch.__version__, "capability": capability, "steps": STEPS, "runs": RUNS, "cases": cases}
    np.savez_compressed(OUT, meta=np.array(json.dumps(meta)), **arrays)
    sys.stdout.write(f"wrote {OUT} ({len(cases)} cases, torch {torch.__version__}, {capability} kernels)\n")


if __name__ == "__main__":
    main()
