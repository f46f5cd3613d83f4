"""WIP: SAM's step (optviz.core.optimizers.wrappers) against pytorch-optimizer 4.1.0's SAM, with
torch's own base optimizers, in the scratch environment (see tests/torch_reference.py):
PYTHONPATH=. /work/torchenv/bin/python scripts/check_sam.py"""

import os

os.environ["ATEN_CPU_CAPABILITY"] = "default"
import numpy as np
import torch
from pytorch_optimizer import SAM

import optviz
import surfaces
from optviz.core.optimizers import OPTIMIZERS
from optviz.core.optimizers.wrappers import sam_step

torch.set_default_dtype(torch.float64)
CLASSES = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


def reference(base, hp, surface, start, steps):
    surf = surfaces.get(surface)
    p = torch.tensor(start, requires_grad=True)
    own = {k: v for k, v in hp.items() if k not in ("rho", "adaptive")}
    opt = SAM([p], CLASSES[base], rho=hp["rho"], adaptive=hp["adaptive"], **own)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):

        def closure():
            p.grad = torch.from_numpy(surf.grad(p.detach().numpy()))
            return torch.tensor(float(surf.value(p.detach().numpy())))

        closure()
        opt.step(closure)
        path.append(p.detach().numpy().copy())
    return np.array(path)


def engine(base, hp, surface, start, steps):
    """The same through optviz.run: SAM's record for the base, the engine's Look."""
    from optviz.core.optimizers.wrappers import sam_of

    return optviz.run(sam_of(base), surface, start=start, steps=steps, base=base, **hp)


def ours(base, hp, surface, start, steps):
    surf, spec = surfaces.get(surface), OPTIMIZERS[base]
    values = {**spec.defaults(), **{k: v for k, v in hp.items() if k not in ("rho", "adaptive")}}
    values |= {"rho": hp["rho"], "adaptive": hp["adaptive"]}
    x = np.array(start, dtype=np.float64).reshape(2, 1)
    state = spec.init(x, values)
    path = [x[:, 0].copy()]
    look = lambda points: np.array(surf.grad_fn(*points))
    for _ in range(steps):
        g = np.array(surf.grad_fn(*x))
        x, state = sam_step(spec, x, g, state, values, look)
        path.append(x[:, 0].copy())
    return np.array(path)


rng = np.random.default_rng(29)
bad = 0
for case in range(40):
    base = ["sgd", "adam", "rmsprop", "adagrad"][case % 4]
    surface = ["rosenbrock", "valley", "himmelblau", "beale", "six_hump_camel"][case % 5]
    hp = {
        "lr": float(np.exp(rng.uniform(np.log(1e-3), np.log(0.05)))),
        "rho": float(rng.uniform(0, 0.3)),
        "adaptive": bool(case % 3 == 0),
    }
    if base == "sgd" and case % 2:
        hp["momentum"] = 0.9
    start = tuple(float(v) for v in surfaces.get(surface).default_start)
    a, b = reference(base, hp, surface, start, 150), ours(base, hp, surface, start, 150)
    t = engine(base, hp, surface, start, 150)
    end = t.diverged_at or 151
    assert np.array_equal(t.points[:end], b[:end], equal_nan=True), ("engine", base, surface, hp)
    made = t.diverged_at or 150  # two a step, none after the step it diverged at; its trials before
    assert t.grad_evals == 2 * made, t.grad_evals
    assert len(t.probes.points) == (made - 1 if t.diverged_at else 150), len(t.probes.points)
    same = np.array_equal(a, b, equal_nan=True)
    bad += not same
    if not same:
        first = int(np.flatnonzero(~np.all((a == b) | (np.isnan(a) & np.isnan(b)), axis=1))[0])
        print("MISMATCH", base, surface, hp, "first step", first, np.max(np.abs(a - b)))
print("cases", 40, "mismatches", bad)
