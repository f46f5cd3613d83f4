r"""Quasi-Newton rules: LBFGS (torch.optim.LBFGS).

LBFGS builds a picture of the surface's curvature from its last steps (the changes in the
point, :math:`s`, and in the gradient, :math:`y`) and steps along the direction that picture
makes Newton's. One optviz step is one call of torch's ``step(closure)``: up to ``max_iter``
iterations inside it, each moving along its direction by a fixed ``lr`` or by the length a
strong-Wolfe line search finds, and several gradient evaluations (the closure's), counted and
drawn faintly by the engine (:mod:`optviz.core.engine.look`). Its control flow differs from
trajectory to trajectory, so each trajectory of a batch is stepped on its own: its vectors are
pairs of Python floats on a surface of two coordinates (where NumPy's calls would cost more
than the arithmetic) and NumPy arrays on a network's thousands, its numbers floats or
:class:`Tensor`, every operation torch's, in torch's order (a dot product is the sum of the
coordinates' products in coordinate order, which is torch's on two coordinates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from optviz.core.hyperparameters import learning_rate, number
from optviz.core.optimizers.base import HP, Inspection, Optimizer, register
from optviz.core.optimizers.shared import aligned
from optviz.core.specs import Spec

Vector = tuple[float, float] | np.ndarray  # one trajectory's d coordinates (see PAIRS)


class Tensor(float):
    """A zero-dimensional float64 tensor of torch's, which LBFGS's numbers are where torch's are.

    torch's LBFGS mixes tensors (dot products, the step length of a first iteration) with Python
    floats (the losses, the learning rate), and one operation differs between them: a Python
    number divided by a tensor is the tensor's reciprocal times the number (``Tensor.__rtruediv__``),
    two roundings where Python's division makes one. Its cubic interpolation divides so; this
    type keeps track of which numbers are tensors and computes as torch does. Its arithmetic is
    IEEE's, a division by zero giving inf or NaN as a tensor's does."""

    def __neg__(self) -> Tensor:
        return Tensor(-float(self))

    def __abs__(self) -> Tensor:
        return Tensor(abs(float(self)))

    def __rtruediv__(self, other: object) -> Tensor:  # torch: self.reciprocal() * other
        if not isinstance(other, (float, int)):
            return NotImplemented
        with np.errstate(all="ignore"):
            return Tensor(np.float64(1.0) / np.float64(self) * np.float64(other))


def _arithmetic(operation: Any) -> Any:
    def method(self: Tensor, other: object) -> Tensor:
        if not isinstance(other, (float, int)):  # an array: NumPy's own operation takes the number
            return NotImplemented
        with np.errstate(all="ignore"):
            return Tensor(operation(np.float64(self), np.float64(other)))

    return method


for _name, _operation in {
    "add": lambda a, b: a + b,
    "radd": lambda a, b: b + a,
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: b - a,
    "mul": lambda a, b: a * b,
    "rmul": lambda a, b: b * a,
    "truediv": lambda a, b: a / b,
}.items():
    setattr(Tensor, f"__{_name}__", _arithmetic(_operation))


def divide(a: float, b: float) -> float:
    """``a / b`` as torch computes it: Python's division between Python numbers (inf or NaN where
    Python would raise), and :class:`Tensor`'s where either is a tensor."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return a / b
    with np.errstate(all="ignore"):
        return float(np.float64(a) / np.float64(b))


# On a surface of two coordinates (every surface but a network) a trajectory's vectors are pairs
# of Python floats, their arithmetic written out (where NumPy's calls would cost ten times the
# arithmetic); on any other, arrays. tests/core/test_optimizers.py checks that both give the same bits.
PAIRS = True


def vector(values: np.ndarray) -> Vector:
    """One trajectory's coordinates as its vectors are held: a pair of floats, or an array."""
    return (float(values[0]), float(values[1])) if PAIRS and len(values) == 2 else np.array(values)


def axpy(y: Vector | None, alpha: float, x: Vector) -> Vector:
    """``y + alpha * x``: torch's ``y.add(x, alpha=alpha)`` (``x.mul(alpha)`` with ``y`` None)."""
    if isinstance(x, np.ndarray):
        return alpha * x if y is None else y + alpha * x
    alpha = float(alpha)
    if y is None:
        return (alpha * x[0], alpha * x[1])
    return (y[0] + alpha * x[0], y[1] + alpha * x[1])


def difference(a: Vector, b: Vector) -> Vector:
    """``a - b``."""
    return a - b if isinstance(a, np.ndarray) else (a[0] - b[0], a[1] - b[1])


def negative(a: Vector) -> Vector:
    return -a if isinstance(a, np.ndarray) else (-a[0], -a[1])


def plain_dot(a: Vector, b: Vector) -> float:
    """torch's ``a.dot(b)``, the products summed in coordinate order, as a float."""
    if not isinstance(a, np.ndarray):
        return a[0] * b[0] + a[1] * b[1]
    products = a * b
    total = products[0]
    for value in products[1:]:
        total = total + value
    return float(total)


def dot(a: Vector, b: Vector) -> Tensor:
    """torch's ``a.dot(b)``: a tensor."""
    return Tensor(plain_dot(a, b))


def largest(a: Vector) -> Tensor:
    """torch's ``a.abs().max()`` (NaN if any coordinate is)."""
    if isinstance(a, np.ndarray):
        return Tensor(np.max(np.abs(a)))
    u, v = abs(a[0]), abs(a[1])
    return Tensor(u + v if u != u or v != v else max(u, v))  # noqa: PLR0124  (a NaN: its sum is NaN)


def absolute_sum(a: Vector) -> Tensor:
    """torch's ``a.abs().sum()``, in coordinate order."""
    if not isinstance(a, np.ndarray):
        return Tensor(abs(a[0]) + abs(a[1]))
    magnitudes = np.abs(a)
    total = magnitudes[0]
    for value in magnitudes[1:]:
        total = total + value
    return Tensor(total)


@dataclass(frozen=True)
class Memory:
    """One trajectory's LBFGS state, torch's ``state`` of its parameter: the iterations and
    evaluations so far, the last direction and step length, the curvature pairs kept (at most
    ``history_size``), the scale of the initial inverse Hessian and the gradient and loss the
    last iteration started from."""

    func_evals: int = 0
    n_iter: int = 0
    d: Vector | None = None
    t: float | None = None
    old_dirs: tuple[Vector, ...] = ()  # y: changes in the gradient
    old_stps: tuple[Vector, ...] = ()  # s: steps taken
    ro: tuple[float, ...] = ()  # 1 / (y . s)
    h_diag: float = 1.0
    prev_flat_grad: Vector | None = None
    prev_loss: float | None = None


class LBFGSState(NamedTuple):
    """LBFGS's state over a batch: each trajectory's :class:`Memory` (``memory``), and what the
    step inspector reads from it, laid out like the points: the last iteration's direction
    ``direction`` (d, B) and its step length ``t`` (B,). ``memory`` holds objects, not
    numbers: record="state" leaves it out."""

    direction: np.ndarray
    t: np.ndarray
    memory: tuple[Memory, ...]

    unrecorded = ("memory",)  # fields record="state" does not stack (optviz.core.engine.recorders)


def lbfgs_init(params: np.ndarray, hp: HP) -> LBFGSState:
    """A fresh memory for each trajectory of ``params`` (d, B) (one for a single point)."""
    shape = np.shape(params)
    return _laid_out(params, tuple(Memory() for _ in range(shape[1] if len(shape) == 2 else 1)))


def _laid_out(params: np.ndarray, memory: tuple[Memory, ...]) -> LBFGSState:
    direction = np.full(np.shape(params), np.nan)
    for j, kept in enumerate(memory):
        if kept.d is not None:
            direction[..., j] = kept.d
    return LBFGSState(
        direction,
        np.array([math.nan if kept.t is None else kept.t for kept in memory]),
        memory,
    )


def lbfgs_update(
    params: np.ndarray, grad: np.ndarray, state: LBFGSState, hp: HP, look: Any
) -> tuple[np.ndarray, LBFGSState]:
    r"""One call of torch.optim.LBFGS's ``step(closure)`` for each trajectory (torch 2.13), the
    closure being ``look``'s evaluation of step k's loss and gradient. ``max_eval`` 0 is
    torch's None (``max_iter * 5 // 4``); ``line_search_fn`` "none" is its None.

    Each iteration: the direction from the two-loop recursion over the kept pairs,

    .. math::
        d = -H g, \quad H \approx \nabla^2 f^{-1}\ \text{from}\ (s_i, y_i),\ H_0 = \frac{s^\top y}{y^\top y} I,

    then :math:`\theta \leftarrow \theta + t\, d` with :math:`t` = ``lr`` (on the first iteration
    :math:`\min(1, 1 / \lVert g \rVert_1)\,` ``lr``) or the strong-Wolfe line search's.
    """
    moved = params.copy()
    memory = list(state.memory)
    for j in range(params.shape[1]):
        settings = {name: value[j] if isinstance(value, np.ndarray) else value for name, value in hp.items()}
        loss = float(look.loss(params[:, j : j + 1], j)[0])  # torch's float(closure())

        def evaluate(point: Vector, column: int = j) -> tuple[float, Vector]:
            values, grads = look.value_and_gradient(np.array(point).reshape(-1, 1), column)
            return float(values[0]), vector(grads[:, 0])

        x, memory[j] = _step(vector(params[:, j]), vector(grad[:, j]), loss, memory[j], settings, evaluate)
        moved[:, j] = x
    return moved, _laid_out(moved, tuple(memory))


def _step(  # noqa: PLR0915, PLR0917  (torch's step, branch for branch)
    x: Vector, flat_grad: Vector, loss: float, kept: Memory, hp: HP, evaluate: Any
) -> tuple[Vector, Memory]:
    """torch's ``LBFGS.step`` on one trajectory at ``x``, whose gradient (the closure's first
    evaluation, the loop's) is ``flat_grad`` and loss ``loss``; ``evaluate(point)`` is the
    closure at another point. The names are torch's."""
    lr, max_iter = float(hp["lr"]), int(hp["max_iter"])
    max_eval = int(hp["max_eval"]) or max_iter * 5 // 4
    tolerance_grad, tolerance_change = hp["tolerance_grad"], hp["tolerance_change"]
    history_size, line_search = int(hp["history_size"]), hp["line_search_fn"]
    current_evals = 1
    func_evals, state_n_iter = kept.func_evals + 1, kept.n_iter
    if largest(flat_grad) <= tolerance_grad:  # optimal already
        return x, replace(kept, func_evals=func_evals)
    d, t, h_diag = kept.d, kept.t, kept.h_diag
    old_dirs, old_stps, ro = list(kept.old_dirs), list(kept.old_stps), list(kept.ro)
    prev_flat_grad, prev_loss = kept.prev_flat_grad, kept.prev_loss
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        state_n_iter += 1
        if state_n_iter == 1:
            d = negative(flat_grad)
            old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
        else:
            y = difference(flat_grad, prev_flat_grad)
            s = axpy(None, t, d)  # d.mul(t)
            ys = plain_dot(y, s)
            if ys > 1e-10:
                if len(old_dirs) == history_size:  # shift the history by one
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                h_diag = divide(ys, plain_dot(y, y))
            d = two_loop(flat_grad, old_dirs, old_stps, ro, h_diag)
        prev_flat_grad = flat_grad  # never changed in place
        prev_loss = loss
        t = min(1.0, 1.0 / absolute_sum(flat_grad)) * lr if state_n_iter == 1 else lr
        gtd = dot(flat_grad, d)
        if gtd > -tolerance_change:  # the direction does not descend
            break
        ls_func_evals = 0
        if line_search == "strong_wolfe":
            # torch gives its line search no tolerance_change: the search keeps its own 1e-9.
            loss, flat_grad, t, ls_func_evals = strong_wolfe(
                evaluate, x, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
            )
            x = axpy(x, t, d)
            opt_cond = largest(flat_grad) <= tolerance_grad
        else:  # a fixed step; the function is evaluated again except after the last iteration
            x = axpy(x, t, d)
            opt_cond = False
            if n_iter != max_iter:
                loss, flat_grad = evaluate(x)
                opt_cond = largest(flat_grad) <= tolerance_grad
                ls_func_evals = 1
        current_evals += ls_func_evals
        func_evals += ls_func_evals
        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            break
        if largest(axpy(None, t, d)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:  # no progress
            break
    return x, Memory(
        func_evals, state_n_iter, d, t, tuple(old_dirs), tuple(old_stps), tuple(ro), h_diag, prev_flat_grad, prev_loss
    )


def two_loop(
    flat_grad: Vector, old_dirs: list[Vector], old_stps: list[Vector], ro: list[float], h_diag: float
) -> Vector:
    """The direction :math:`-H g` by torch's two-loop recursion over the kept pairs, its ``q`` and
    ``r`` updated as ``add_(..., alpha=...)`` does."""
    if not isinstance(flat_grad, np.ndarray):
        return _two_loop_pairs(flat_grad, old_dirs, old_stps, ro, h_diag)
    num_old = len(old_dirs)
    al = [0.0] * num_old
    q = -flat_grad
    for i in range(num_old - 1, -1, -1):
        al[i] = plain_dot(old_stps[i], q) * ro[i]
        q = q + (-al[i]) * old_dirs[i]  # q.add_(old_dirs[i], alpha=-al[i])
    r = h_diag * q  # torch.mul(q, H_diag)
    for i in range(num_old):
        be_i = plain_dot(old_dirs[i], r) * ro[i]
        r = r + (al[i] - be_i) * old_stps[i]
    return r


def _two_loop_pairs(
    flat_grad: Vector, old_dirs: list[Vector], old_stps: list[Vector], ro: list[float], h_diag: float
) -> Vector:
    """:func:`two_loop` on pairs of floats, its arithmetic written out: the same operations."""
    num_old = len(old_dirs)
    al = [0.0] * num_old
    q0, q1 = -flat_grad[0], -flat_grad[1]
    for i in range(num_old - 1, -1, -1):
        (s0, s1), (y0, y1) = old_stps[i], old_dirs[i]
        a = (s0 * q0 + s1 * q1) * ro[i]
        al[i] = a
        q0, q1 = q0 + (-a) * y0, q1 + (-a) * y1
    r0, r1 = h_diag * q0, h_diag * q1
    for i in range(num_old):
        (s0, s1), (y0, y1) = old_stps[i], old_dirs[i]
        c = al[i] - (y0 * r0 + y1 * r1) * ro[i]
        r0, r1 = r0 + c * s0, r1 + c * s1
    return (r0, r1)


def cubic_interpolate(  # noqa: PLR0917  (torch's arguments)
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple[float, float] | None = None
) -> float:
    """torch's ``_cubic_interpolate``: the minimum of the cubic through two points with their
    values and slopes, within ``bounds`` (the two points' interval by default)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - divide(3 * (f1 - f2), x1 - x2)
    d2_square = d1 * d1 - g1 * g2  # torch's d1**2 is d1 * d1
    if d2_square >= 0:
        d2 = Tensor(math.sqrt(d2_square))
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(  # noqa: PLR0912, PLR0915, PLR0917  (torch's line search, branch for branch)
    evaluate: Any,
    x: Vector,
    t: float,
    d: Vector,
    f: float,
    g: Vector,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Vector, float, int]:
    """torch's ``_strong_wolfe`` line search along ``d`` from ``x``: the loss, gradient and step
    length it accepts, and the evaluations it made. Its names and branches are torch's."""
    d_norm = largest(d)
    f_new, g_new = evaluate(axpy(x, t, d))
    ls_func_evals = 1
    gtd_new = dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[Vector] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:  # bracket an interval that holds a point meeting the conditions
        # torch's three tests in its order: the loss rose (bracket), the slope flattened enough
        # (done), the slope turned upwards (bracket); the two bracketing ones written once.
        rose = f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev)
        flat = abs(gtd_new) <= -c2 * gtd
        if rose or (not flat and gtd_new >= 0):
            bracket, bracket_f, bracket_g, bracket_gtd = (
                [t_prev, t],
                [f_prev, f_new],
                [g_prev, g_new],
                [gtd_prev, gtd_new],
            )
            break
        if flat:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = evaluate(axpy(x, t, d))
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:  # zoom in on the bracket
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:  # close to a boundary
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = evaluate(axpy(x, t, d))
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos], bracket_g[high_pos], bracket_gtd[high_pos] = (
                t,
                f_new,
                g_new,
                gtd_new,
            )
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos], bracket_gtd[low_pos] = t, f_new, g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def lbfgs_rule(hp: HP) -> str:
    if hp["line_search_fn"] == "strong_wolfe":  # the step length the line search accepts: torch's c1 and c2
        length = [
            (
                r"\eta_t &: \ f(\theta_{t-1} + \eta_t d_t) \le f(\theta_{t-1}) + 10^{-4}\, \eta_t\, g_t^\top d_t, \quad "
                r"|\nabla f(\theta_{t-1} + \eta_t d_t)^\top d_t| \le 0.9\, |g_t^\top d_t|"
            )
        ]
    else:
        length = [r"\eta_t &= \gamma, \quad \eta_1 = \min\!\left(1, 1 / \lVert g_1 \rVert_1\right) \gamma"]
    return aligned([r"d_t &= -H_t\, g_t", *length, r"\theta_t &= \theta_{t-1} + \eta_t\, d_t"])


def lbfgs_work(hp: HP) -> float:
    """A step's work over the defaults' (20 iterations, 100 pairs, 25 evaluations), as the budget
    prices it: each iteration's two-loop recursion over the pairs kept (and a share of its own
    for its bookkeeping), each evaluation's line-search arithmetic, and the step's own. Measured
    on Rosenbrock at lr 1e-4 (no iteration converges), this bounds the time from above."""

    def units(max_iter: int, max_eval: int, history: int) -> int:
        evaluations = max_eval or max_iter * 5 // 4
        return min(max_iter, evaluations) * (10 + history) + 5 * evaluations + 50

    return units(int(hp["max_iter"]), int(hp["max_eval"]), int(hp["history_size"])) / units(20, 0, 100)


def lbfgs_evaluations(hp: HP) -> int:
    """The most gradient evaluations one step may make: ``max_eval`` (torch's None: max_iter × 5 // 4)
    and, the line search checking it only between iterations, one more for each iteration."""
    max_iter = int(hp["max_iter"])
    return (int(hp["max_eval"]) or max_iter * 5 // 4) + max_iter


def _count(name: str, default: int, low: int, high: int, ui: tuple[int, int]) -> Spec:
    return Spec(name, default, kind="int", label=f"{name} value", low=low, high=high, ui_low=ui[0], ui_high=ui[1])


register(
    Optimizer(
        name="lbfgs",
        mirrors="torch.optim.LBFGS",
        elementwise=False,  # dot products over the coordinates, and a control flow per trajectory
        looks=True,
        reads_loss=True,
        batched=False,
        work=lbfgs_work,
        evaluations=lbfgs_evaluations,
        # The last iteration's direction and length, as torch's state keeps them (a step runs up to
        # max_iter iterations: no single velocity explains it, so the inspector reads the step off
        # the gradient, its effective rate per coordinate).
        inspection=Inspection(symbols={"d_t": "direction", r"\eta_t": "t"}, scalars=(r"\eta_t",)),
        hyperparameters=(
            learning_rate(1.0),
            _count("max_iter", 20, 1, 10_000, (1, 50)),
            _count("max_eval", 0, 0, 10_000, (0, 100)),  # 0: torch's None, max_iter * 5 // 4
            number("tolerance_grad", 1e-7, symbol=r"\epsilon_g", ui=(1e-12, 1e-2), log=True),
            number("tolerance_change", 1e-9, symbol=r"\epsilon_f", ui=(1e-15, 1e-3), log=True),
            _count("history_size", 100, 1, 10_000, (1, 100)),
            Spec("line_search_fn", "none", kind="choice", label="line_search_fn", choices=("none", "strong_wolfe")),
        ),
        init=lbfgs_init,
        update=lbfgs_update,
        rule=lbfgs_rule,
    )
)
