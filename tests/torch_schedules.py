"""Record torch.optim.lr_scheduler's learning rates (and OneCycleLR's momenta) for optviz's tests.

Run in a scratch environment with torch (never a dependency of optviz):

    pip install torch==2.13.0 && PYTHONPATH=. python tests/torch_schedules.py

For each case it makes the optimizer and the scheduler as a torch user would, then calls
``optimizer.step()`` and ``scheduler.step()`` once per optimizer step, and records
``get_last_lr()`` (and the group's momentum or beta1) before each optimizer step: entry k is
the value step k + 1 uses. The floats are written with ``repr``, exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

STEPS = 300
# (optimizer, its lr and momentum or betas, scheduler, its arguments)
CASES = [
    ("SGD", {"lr": 0.1}, "StepLR", {"step_size": 30, "gamma": 0.5}),
    ("SGD", {"lr": 0.07}, "StepLR", {"step_size": 1, "gamma": 0.97}),
    ("SGD", {"lr": 0.1}, "MultiStepLR", {"milestones": [30, 80, 80, 200], "gamma": 0.3}),
    ("Adam", {"lr": 0.05}, "ExponentialLR", {"gamma": 0.99}),
    ("SGD", {"lr": 0.3}, "CosineAnnealingLR", {"T_max": 100}),
    ("SGD", {"lr": 0.3}, "CosineAnnealingLR", {"T_max": 37, "eta_min": 0.01}),
    ("Adam", {"lr": 0.02}, "CosineAnnealingWarmRestarts", {"T_0": 50}),
    ("SGD", {"lr": 0.1}, "CosineAnnealingWarmRestarts", {"T_0": 20, "T_mult": 2, "eta_min": 0.001}),
    ("SGD", {"lr": 0.1}, "LinearLR", {"start_factor": 0.1, "total_iters": 40}),
    ("Adam", {"lr": 0.1}, "LinearLR", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 250}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, "OneCycleLR", {"max_lr": 0.2, "total_steps": STEPS}),
    ("Adam", {"lr": 0.1}, "OneCycleLR", {"max_lr": 0.05, "total_steps": 400, "anneal_strategy": "linear"}),
    (
        "SGD",
        {"lr": 0.1, "momentum": 0.5},
        "OneCycleLR",
        {"max_lr": 1.0, "total_steps": STEPS, "three_phase": True, "pct_start": 0.25, "div_factor": 10.0},
    ),
    ("RMSprop", {"lr": 0.01, "momentum": 0.1}, "OneCycleLR", {"max_lr": 0.01, "total_steps": STEPS}),
    ("SGD", {"lr": 0.1}, "OneCycleLR", {"max_lr": 0.3, "total_steps": STEPS, "cycle_momentum": False}),
]


def record(optimizer: str, settings: dict, scheduler: str, args: dict) -> dict:
    param = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = getattr(torch.optim, optimizer)([param], **settings)
    sched = getattr(torch.optim.lr_scheduler, scheduler)(opt, **args)
    lrs, momenta = [], []
    group = opt.param_groups[0]
    for _ in range(STEPS):
        lrs.append(float(sched.get_last_lr()[0]))
        momenta.append(float(group["betas"][0] if "betas" in group else group.get("momentum", 0.0)))
        param.grad = torch.ones_like(param)
        opt.step()
        sched.step()
    return {
        "optimizer": optimizer.lower(),
        "settings": settings,
        "scheduler": scheduler,
        "args": args,
        "lrs": [repr(v) for v in lrs],
        "momenta": [repr(v) for v in momenta],
    }


def main() -> None:
    cases = [record(*case) for case in CASES]
    out = Path(__file__).parent / "data" / "torch_schedules.json"
    out.write_text(json.dumps({"torch": torch.__version__, "steps": STEPS, "cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {out}")  # noqa: T201


if __name__ == "__main__":
    main()
