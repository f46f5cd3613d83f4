r"""The optimizers: torch.optim's update rules as pure functions over NumPy state.

Each optimizer is one :class:`Optimizer` record in :data:`OPTIMIZERS`: its hyperparameters
(torch.optim's names, defaults and checks), ``init(params, hp) -> state``,
``update(params, grad, state, hp) -> (params, state)``, its update rule in LaTeX, and the
implementation it follows (``mirrors``); its title, summary and reference are in the catalogs
(``optimizer.<name>.*``). Registering one record (``register(Optimizer(...))``, in its family's
module) and writing its words is all a new optimizer needs; :func:`register` refuses one whose
words a catalog lacks.

Layout
------
* ``base``: the records (:class:`Optimizer`, :class:`Inspection`, :class:`Constraint`), the
  registry :data:`OPTIMIZERS`, :func:`register` and :func:`get`.
* ``shared``: what several rules compute alike, written once (weight decay, running means,
  bias correction) and the LaTeX lines they share.
* ``classic``: gradient descent with momentum (SGD, heavy-ball and Nesterov).
* ``adaptive``: per-coordinate steps from the squared gradients (Adagrad, RMSprop, Adadelta).
* ``adam_family``: a first moment over a second one, bias-corrected (Adam, AdamW, NAdam,
  RAdam, Adamax).
* ``adam_variants``: Adam's recent variants from pytorch-optimizer (ADOPT, AdEMAMix), with its
  weight decay and its cautious mask.
* ``learning_rate_free``: rules that estimate their own step size (Prodigy).
* ``sign_based``: steps by the gradient's sign only (Rprop, Lion).
* ``schedule_free``: no schedule, an average instead (schedule-free SGD and AdamW).
* ``quasi_newton``: a curvature model from the last steps, several gradient evaluations a step
  (LBFGS, with or without its line search).

A family without a member yet gets its own module when its first member comes: ``wrappers``
(rules around another optimizer: SAM, Lookahead).
Importing this package imports every family module, which registers its optimizers.

Conventions
-----------
* ``params`` and ``grad`` have shape ``(d, B)``: row i holds coordinate i of B trajectories
  stepped together (coordinate-major, so each row is contiguous); d is the surface's, two for
  the catalog's surfaces. Every rule is elementwise, so trajectories never interact and a
  batch equals a loop over single runs.
* Because every rule is elementwise (``Optimizer.elementwise``), the same functions also run
  on plain Python floats, one coordinate at a time: the engine's fast path for small batches,
  where NumPy's per-call overhead would dominate. The rules do all their float-or-array work
  through :mod:`optviz.core.primitives` (``sqrt``, ``power``, ``where``, ``lerp``, ...), which
  keeps the two paths bit-for-bit identical on every CPU; no rule tests the type of its numbers.
* A numeric hyperparameter is a float, or an array of shape ``(B,)`` (one value per
  trajectory, broadcast along the rows); boolean hyperparameters are plain bools.
* The arithmetic follows torch 2.13's ``_single_tensor_*`` functions operation by operation
  (same eps placement, same initial buffers, same order of multiply and divide, Python float
  ``** 0.5`` where torch takes one, ``x.reciprocal() * c`` where torch writes ``c / x``), so a
  trajectory matches torch.optim fed the same gradients bit for bit on torch's generic CPU
  kernels, for as long as torch's own square roots are correctly rounded (MKL's are one ulp
  off on about 1% of inputs). torch's AVX2 and AVX-512 kernels fuse multiply-adds, so on
  those CPUs torch itself differs from its generic kernels by an ulp here and there.
* The update rule shown to users is built by ``rule(hp)`` for the settings in use, next to
  the code it describes, and the tests check each rule against hand-computed steps.
"""

# The family modules, in the order the page offers their optimizers: importing one registers them.
# isort: off
from optviz.core.optimizers import (
    classic,
    adaptive,
    adam_family,
    adam_variants,
    learning_rate_free,
    sign_based,
    schedule_free,
    quasi_newton,
    orthogonal,
    wrappers,  # last: SAM takes any optimizer registered before it as its base
)

# isort: on
from optviz.core.optimizers.base import (
    HP,
    OPTIMIZERS,
    Companion,
    Constraint,
    Inspection,
    KernelFn,
    KernelStep,
    Optimizer,
    get,
    missing_words,
    register,
)

__all__ = [
    "HP",
    "OPTIMIZERS",
    "Companion",
    "Constraint",
    "Inspection",
    "KernelFn",
    "KernelStep",
    "Optimizer",
    "adam_family",
    "adam_variants",
    "adaptive",
    "classic",
    "get",
    "learning_rate_free",
    "missing_words",
    "orthogonal",
    "quasi_newton",
    "register",
    "schedule_free",
    "sign_based",
    "wrappers",
]
