"""Record torch.optim trajectories for tests/test_against_torch.py.

torch is not a dependency of optviz. Run this in a scratch environment that has it:

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    PYTHONPATH=. /tmp/torchenv/bin/python tests/torch_reference.py

It steps torch.optim on each case below, feeding it optviz's analytic gradient at torch's
own parameters, and stores the paths in tests/data/torch_reference.npz with the torch
version. torch runs with float64 as its default dtype, so that its scalar state (step
counts, NAdam's mu-product) is float64 like the parameters; with torch's float32 default,
NAdam's mu-product is rounded to float32 each step and differs by about 1e-7.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

import surfaces

STEPS = 200
OUT = Path(__file__).parent / "data" / "torch_reference.npz"

# (optimizer, hyperparameters, surface, start)
CASES: list[tuple[str, dict, str, tuple[float, float]]] = [
    ("sgd", {"lr": 1e-3}, "rosenbrock", (-1.5, 2.0)),
    ("sgd", {"lr": 1e-3, "momentum": 0.9}, "rosenbrock", (-1.5, 2.0)),
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}, "rosenbrock", (-1.5, 2.0)),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    ("adagrad", {"lr": 0.1}, "rosenbrock", (-1.5, 2.0)),
    (
        "adagrad",
        {"lr": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.05},
        "himmelblau",
        (-0.3, -0.8),
    ),
    ("rmsprop", {"lr": 1e-2}, "rosenbrock", (-1.5, 2.0)),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.9, "centered": True, "weight_decay": 0.01}, "rosenbrock", (-1.5, 2.0)),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}, "beale", (1.0, 1.5)),
    ("adadelta", {}, "rosenbrock", (-1.5, 2.0)),
    ("adadelta", {"lr": 5.0, "rho": 0.95, "eps": 1e-4, "weight_decay": 0.01}, "himmelblau", (-0.3, -0.8)),
    ("adam", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("adam", {"lr": 0.02, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.1}, "rosenbrock", (-1.5, 2.0)),
    ("adam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}, "six_hump_camel", (-1.9, 1.0)),
    ("adam", {"lr": 0.1, "betas": (0.3, 0.9)}, "rastrigin", (-4.2, 3.8)),
    ("adamw", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("adamw", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}, "goldstein_price", (-1.5, 1.5)),
    ("nadam", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("nadam", {"lr": 0.02, "momentum_decay": 0.02, "weight_decay": 0.1}, "styblinski_tang", (4.5, 4.2)),
    ("nadam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}, "saddle", (-1.8, 0.02)),
    ("radam", {"lr": 1e-3}, "rosenbrock", (-1.5, 2.0)),
    ("radam", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),  # its un-adapted first steps diverge
    ("sgd", {"lr": 0.01}, "rosenbrock", (-1.5, 2.0)),  # diverges
    ("adamax", {"lr": 0.05, "betas": (0.5, 0.999)}, "rosenbrock", (-1.5, 2.0)),
    ("radam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}, "booth", (-8.0, -6.0)),
    ("radam", {"lr": 0.05, "betas": (0.9, 0.99), "weight_decay": 0.1}, "valley", (-2.5, 1.0)),
    ("adamax", {"lr": 0.05}, "rosenbrock", (-1.5, 2.0)),
    ("adamax", {"lr": 0.1, "betas": (0.5, 0.9), "weight_decay": 0.1, "eps": 1e-3}, "beale", (1.0, 1.5)),
]

CLASSES = {
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adadelta": torch.optim.Adadelta,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "nadam": torch.optim.NAdam,
    "radam": torch.optim.RAdam,
    "adamax": torch.optim.Adamax,
}


@np.errstate(all="ignore")  # the diverging cases overflow, as intended
def torch_path(name: str, hp: dict, surface: str, start: tuple[float, float]) -> np.ndarray:
    surf = surfaces.get(surface)
    param = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = CLASSES[name]([param], **hp)
    path = [param.detach().numpy().copy()]
    for _ in range(STEPS):
        param.grad = torch.from_numpy(surf.grad(param.detach().numpy()))
        opt.step()
        path.append(param.detach().numpy().copy())
    return np.array(path)


def main() -> None:
    torch.set_default_dtype(torch.float64)
    arrays = {f"case{i}": torch_path(*case) for i, case in enumerate(CASES)}
    meta = {"torch": torch.__version__, "steps": STEPS, "cases": CASES}
    np.savez_compressed(OUT, meta=np.array(json.dumps(meta)), **arrays)
    print(f"wrote {OUT} ({len(CASES)} cases, torch {torch.__version__})")


if __name__ == "__main__":
    main()
