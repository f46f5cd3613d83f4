r"""A network's loss landscape: a plane through its weights, the training loss over it, and every
run's path projected onto it (Li, Xu, Taylor, Studer and Goldstein, "Visualizing the Loss
Landscape of Neural Nets", NeurIPS 2018).

A network (:mod:`surfaces.network`) has a thousand weights or more; a picture has two axes. A
plane through the weights, ``theta(a, b) = centre + a u + b v``, is drawn as a 2-D surface: the
training loss at each of its points, and each run's iterates placed at their nearest point of the
plane, with how far off the plane each one is. Two planes, both centred on a chosen run's end
point theta*:

* :func:`filter_plane`: two random directions, *filter-normalised* (Li et al.'s section 4): each
  weight tensor a Gaussian draw (seeded), each of its filters (a convolution's output channel) or
  output neurons (a linear layer's row) rescaled to the norm of the same filter or neuron of
  theta*, biases zero, as the paper's code does (``net_plotter.normalize_directions_for_weights``
  with ``ignore="biasbn"``: ``d * |w| / (|d| + 1e-10)``). A plane of one network is then
  comparable with another's, whatever the scale of their weights. The two directions are not
  orthogonalised: in a thousand dimensions two Gaussian draws are nearly orthogonal (their cosine
  is of the order of 1/sqrt(dim), :attr:`Plane.cosine` says it), and orthogonalising would undo
  the normalisation. The picture draws a and b at right angles all the same; the projection of a
  point solves the plane's 2 x 2 Gram system, exact for directions that are not orthogonal.
* :func:`pca_plane`: the two first principal components of every run's iterates (the rows
  theta_i - theta*, Li et al.'s section 7), the plane that comes nearest to the paths, with the
  share of the rows' squared length each component holds (its explained variance ratio). The
  rows are not centred on their mean, as scikit-learn's PCA (which the paper's code calls)
  centres them: the plane drawn passes through theta*, and the best plane through theta* is
  the uncentred one, whose ratios say how much of the paths' distance from theta* the
  picture shows. The biases stay in the rows (they move along a path like the other weights).

:func:`loss_slice` computes the training loss over a grid of the plane (41 x 41 points, every
training row), as :meth:`surfaces.network.Network.loss_at` computes it at each point but a grid
at once: the first layer is linear in the weights, so on the plane its pre-activations are
``Z(c) + a Z(u) + b Z(v)``, three passes over the data once, then each point costs only the ReLU
(and the CNN's pooling), the second layer and the cross-entropy (``benchmarks/landscape.py``
measures it against a point at a time). The values equal ``loss_at`` at the same weights to
about 1e-15 relative, not bit for bit: the same sums in another order (the plane's combination
after the first layer rather than before it; the second layer by BLAS; a row's cross-entropy
shifted by its own class's logit rather than the largest).

:func:`project` places points on the plane by least squares, and gives each one's distance
off it.

A picture, not a trajectory: the same bits run after run on one machine, but not on every CPU.
The second layer's products go through :func:`numpy.matmul`, that is OpenBLAS, whose kernel
depends on the CPU (each product small enough to stay in the calling thread:
:data:`BLAS_ALONE`); with einsum's own loops the digits CNN's slice takes half as long again,
over the two seconds it is allowed. A last bit may differ between machines, never a pixel's
worth. Everything else is portable as the network itself is: every
other contraction :func:`numpy.einsum` without ``optimize``, every exp and log
:mod:`optviz.core.portable`; the PCA without LAPACK (a subspace iteration from a fixed start,
its small eigenproblem by Jacobi's method in Python floats), so the same plane everywhere.

>>> from surfaces.network import network
>>> net = network("iris", "mlp", seed=0)
>>> plane = filter_plane(net, net.start, seed=0)
>>> found = loss_slice(net, plane, (1.0, 1.0), points=5)
>>> found.loss.shape, bool(abs(found.loss[2, 2] - net.loss_at(net.start[:, None])[0]) < 1e-12)
((5, 5), True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optviz.core import budget, portable
from optviz.core.engine import Trajectory
from surfaces.network import CNN, MLP, Network

GRID = 41  # points a side of the slice
MAX_GRID = 81  # points a side at most (the second layer's weights at every point: 80 MB for the CNN)
MARGIN = 0.1  # the slice reaches this share beyond the farthest projected point
FILTER_SPAN = 1.0  # the filter plane's least half-width: Li et al.'s [-1, 1], where the weights move by their own size
MIN_SHARE = 0.25  # the PCA plane's shorter half-width: at least this share of the longer (at most 4 x stretched)
NORM_EPS = 1e-10  # the paper's code: d * |w| / (|d| + 1e-10)
PLANES = ("filter", "pca")
DIRECTION_SEED = 4  # the Gaussian draws' stream: SeedSequence([seed, 4])
PCA_SEED = 20_180_125  # the subspace iteration's fixed start
PCA_BLOCK = 8  # vectors the subspace iteration carries (two wanted, six to converge faster)
PCA_ITERATIONS = 300  # at most (two components of nearly equal variance converge slowly; a few dozen usually)
PCA_TOLERANCE = 1e-12  # 1 - |cos| between one iteration's components and the next (1e-6 of a radian): converged
BLOCK_ELEMENTS = 1 << 16  # pre-activations held at once by the slice (1 MB: in a core's cache)
OVERFLOW = 700.0  # exp of a logit's lead over the row's own class beyond this: shift by the largest instead
CE_ELEMENTS = 1 << 15  # logits whose cross-entropy is taken at once (exp's temporaries stay in cache)
# The second layer's products, each at most this many multiplications: OpenBLAS computes such a
# product in the calling thread (no threads of its own, which a busy machine's two cores would make wait).
BLAS_ALONE = 4 * 65_536
MIN_IMAGES = 64  # images a block of the slice holds at least (fewer: the second layer's weights stream too often)


@dataclass(frozen=True, eq=False)
class Plane:
    """The plane ``theta(a, b) = centre + a u + b v`` through a network's weights.

    ``kind``: "filter" or "pca". ``explained``: the PCA plane's explained variance ratio of each
    component (None for the filter plane); ``seed``: the filter plane's seed (None for PCA).
    """

    kind: str
    centre: np.ndarray
    u: np.ndarray
    v: np.ndarray
    explained: tuple[float, float] | None = None
    seed: int | None = None

    @property
    def cosine(self) -> float:
        """The cosine of the angle between u and v (0 for the PCA plane's orthonormal components)."""
        uu, vv, uv = _gram(self.u, self.v)
        return uv / math.sqrt(uu * vv)

    def at(self, a: float, b: float) -> np.ndarray:
        """The weights at the point (a, b) of the plane, (dim,)."""
        return self.centre + a * self.u + b * self.v


@dataclass(frozen=True, eq=False)
class Projection:
    """Points placed on a plane: each one's coordinates (a, b) relative to the centre, where the
    plane comes nearest to it (least squares), and its distance off the plane there, in the
    weights' own units; (k,) arrays."""

    a: np.ndarray
    b: np.ndarray
    distance: np.ndarray


@dataclass(frozen=True, eq=False)
class Slice:
    """The training loss over a grid of a plane: ``loss[j, i]`` at ``plane.at(a[i], b[j])``
    (rows are b, as an image's rows are y), the centre at ``loss[n // 2, n // 2]``."""

    plane: Plane
    a: np.ndarray
    b: np.ndarray
    loss: np.ndarray

    @property
    def domain(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(self.a[0]), float(self.a[-1])), (float(self.b[0]), float(self.b[-1]))

    @property
    def centre_loss(self) -> float:
        """The loss at the plane's centre (theta*)."""
        middle = len(self.a) // 2
        return float(self.loss[middle, middle])


@dataclass(frozen=True, eq=False)
class Landscape:
    """A network's landscape around a chosen run's end: the plane, the loss over it, and each
    run's iterates projected onto it (the chosen run's first), with the steps of their rows."""

    plane: Plane
    slice: Slice
    projections: tuple[Projection, ...]
    steps: tuple[np.ndarray, ...]


# ---------------------------------------------------------------------------- the directions


def _gram(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    return float(np.einsum("d,d->", u, u)), float(np.einsum("d,d->", v, v)), float(np.einsum("d,d->", u, v))


def _rows(weights: np.ndarray) -> np.ndarray:
    """A weight tensor as one row per filter (conv: output channel) or neuron (linear: row)."""
    return weights.reshape(weights.shape[0], -1)


def filter_direction(net: Network, theta: np.ndarray, generator: np.random.Generator) -> np.ndarray:
    """A Gaussian direction (dim,), each filter or output neuron of each weight tensor rescaled to
    the norm of the same filter or neuron of ``theta``, the biases (tensors of one dimension) zero.
    The draws are the weight tensors', in the ``state_dict``'s order."""
    weights = net.unflatten(theta)
    direction = {}
    for tensor in net.tensors:
        w = weights[tensor.name]
        if w.ndim <= 1:
            direction[tensor.name] = np.zeros(w.shape)
            continue
        d = generator.standard_normal(w.shape)
        w_rows, d_rows = _rows(w), _rows(d)
        w_norm = np.sqrt(np.einsum("fi,fi->f", w_rows, w_rows))
        d_norm = np.sqrt(np.einsum("fi,fi->f", d_rows, d_rows))
        direction[tensor.name] = (d_rows * (w_norm / (d_norm + NORM_EPS))[:, None]).reshape(w.shape)
    return net.flatten(direction)


def filter_plane(net: Network, centre: np.ndarray, seed: int = 0) -> Plane:
    """Li et al.'s plane of two filter-normalised Gaussian directions around ``centre`` (theta*),
    drawn from PCG64 seeded by ``seed``: the first direction's tensors, then the second's."""
    centre = _weights(net, centre)
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([_seed(seed), DIRECTION_SEED])))
    u = filter_direction(net, centre, generator)
    v = filter_direction(net, centre, generator)
    return Plane("filter", _frozen(centre), _frozen(u), _frozen(v), seed=int(seed))


def pca_plane(centre: np.ndarray, paths: Sequence[np.ndarray]) -> Plane:
    """The plane through ``centre`` (theta*) nearest to every row of ``paths`` (each (k, dim), the
    iterates of a run): the two first principal components of the rows ``theta_i - centre``,
    orthonormal, and each one's explained variance ratio (its share of the rows' summed squared
    length; the two add up to at most 1).

    Raises ValueError when every row is the centre (no direction to find)."""
    centre = np.asarray(centre, dtype=np.float64)
    rows = np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, centre.shape[0]) for p in paths]) - centre
    total = float(np.einsum("md,md->", rows, rows))
    if not total > 0.0 or not math.isfinite(total):
        msg = "every iterate is the centre (or not finite): the paths span no plane"
        raise ValueError(msg)
    (first, second), (l1, l2) = _top_two(rows)
    share = min(l1 / total, 1.0)  # at most 1, and the two at most 1 together: no rounding shows more
    explained = (share, max(0.0, min(l2 / total, 1.0 - share)))
    return Plane("pca", _frozen(centre), _frozen(first), _frozen(second), explained=explained)


def _top_two(rows: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], tuple[float, float]]:
    """The two first right singular vectors of ``rows`` (m, dim) and the squares of their
    singular values: a subspace iteration on rows^T rows from a fixed start, its block
    orthonormalised by Gram-Schmidt, then Rayleigh-Ritz on the block (Jacobi)."""
    m, dim = rows.shape
    width = min(PCA_BLOCK, m, dim)
    start = np.random.Generator(np.random.PCG64(np.random.SeedSequence(PCA_SEED))).standard_normal((width, dim))
    block = _orthonormal(np.einsum("mp,md->pd", np.einsum("md,pd->mp", rows, start), rows))
    previous = None
    for _ in range(PCA_ITERATIONS):
        images = np.einsum("md,pd->mp", rows, block)  # rows times each vector, (m, p)
        vectors, values = _ritz(block, images)
        if previous is not None and all(
            1.0 - abs(float(np.einsum("d,d->", new, old))) < PCA_TOLERANCE
            for new, old in zip(vectors, previous, strict=True)
        ):
            break
        previous = vectors
        block = _orthonormal(np.einsum("mp,md->pd", images, rows))
        budget.checkpoint()
    first = vectors[0] / math.sqrt(float(np.einsum("d,d->", vectors[0], vectors[0])))
    second = vectors[1] - float(np.einsum("d,d->", vectors[1], first)) * first
    if not np.einsum("d,d->", second, second) > 0.0:  # the rows span one direction: any other will do
        second = np.zeros(dim)
        second[int(np.argmin(np.abs(first)))] = 1.0
        second -= float(np.einsum("d,d->", second, first)) * first
    second = second / math.sqrt(float(np.einsum("d,d->", second, second)))
    return (first, second), (values[0], values[1])


def _ritz(block: np.ndarray, images: np.ndarray) -> tuple[list[np.ndarray], list[float]]:
    """The Ritz vectors and values of rows^T rows in the span of ``block`` (p, dim), largest
    first, from ``images`` = rows block^T (m, p); at least two (a missing one is zero)."""
    small = np.einsum("mp,mq->pq", images, images)
    values, vectors = _jacobi([[float(x) for x in line] for line in small])
    order = sorted(range(len(values)), key=lambda k: -values[k])
    ritz = [np.einsum("p,pd->d", np.array([vectors[i][k] for i in range(len(values))]), block) for k in order]
    found = [max(values[k], 0.0) for k in order]
    while len(ritz) < 2:  # one row, or one weight: a plane of one direction and a zero one
        ritz.append(np.zeros(block.shape[1]))
        found.append(0.0)
    return ritz, found


def _jacobi(matrix: list[list[float]], sweeps: int = 60) -> tuple[list[float], list[list[float]]]:
    """The eigenvalues and eigenvectors (columns) of a small symmetric matrix: cyclic Jacobi
    rotations in Python floats (only + - * / and the square root: the same bits everywhere)."""
    a = [line[:] for line in matrix]
    n = len(a)
    v = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for _ in range(sweeps):
        off = sum(a[i][j] * a[i][j] for i in range(n) for j in range(n) if i != j)
        scale = sum(a[i][i] * a[i][i] for i in range(n))
        if off <= 1e-32 * scale or off == 0.0:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if a[p][q] == 0.0:
                    continue
                theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):  # columns p and q, then rows p and q
                    akp, akq = a[k][p], a[k][q]
                    a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
                for k in range(n):
                    apk, aqk = a[p][k], a[q][k]
                    a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
                for k in range(n):
                    vkp, vkq = v[k][p], v[k][q]
                    v[k][p], v[k][q] = c * vkp - s * vkq, s * vkp + c * vkq
    return [a[i][i] for i in range(n)], v


def _orthonormal(block: np.ndarray) -> np.ndarray:
    """The rows of ``block`` (p, dim) made orthonormal by Gram-Schmidt, twice over (a row that
    depends on the ones before is replaced by a zero row)."""
    out = np.array(block, dtype=np.float64)
    for i in range(out.shape[0]):
        for _ in range(2):
            for j in range(i):
                out[i] -= float(np.einsum("d,d->", out[i], out[j])) * out[j]
        norm = math.sqrt(float(np.einsum("d,d->", out[i], out[i])))
        out[i] = out[i] / norm if norm > 0.0 else 0.0
    return out


# ----------------------------------------------------------------------------- projections


def project(plane: Plane, points: np.ndarray) -> Projection:
    """Each row of ``points`` (k, dim) placed on ``plane``: (a, b) minimising
    |point - centre - a u - b v| (the 2 x 2 Gram system of u and v, exact whether or not they
    are orthogonal), and that least distance."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, plane.centre.shape[0])
    offsets = points - plane.centre
    uu, vv, uv = _gram(plane.u, plane.v)
    pu, pv = np.einsum("kd,d->k", offsets, plane.u), np.einsum("kd,d->k", offsets, plane.v)
    det = uu * vv - uv * uv
    a, b = (vv * pu - uv * pv) / det, (uu * pv - uv * pu) / det
    residual = offsets - a[:, None] * plane.u - b[:, None] * plane.v
    return Projection(a, b, np.sqrt(np.einsum("kd,kd->k", residual, residual)))


def iterates(trajectory: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """A run's iterates (k, dim) and the step of each: every step of ``record="path"`` (or
    "state"), the kept steps of ``record="final"`` (with ``every=``, every n-th)."""
    if trajectory.batched:
        msg = "one run's trajectory is needed (a batch of starts has several paths)"
        raise ValueError(msg)
    points = np.asarray(trajectory.points, dtype=np.float64)
    steps = np.arange(points.shape[0]) if trajectory.kept is None else np.asarray(trajectory.kept)
    return points, steps


def spans(plane: Plane, projections: Sequence[Projection]) -> tuple[float, float]:
    """The half-widths of the slice along a and b: every projected point inside, with a margin.
    The filter plane is square and at least [-1, 1] (Li et al.'s, where the weights move by their
    own size); the PCA plane fits the paths axis by axis, its shorter side at least a quarter
    of the longer."""
    far_a = max((float(np.max(np.abs(p.a))) for p in projections if p.a.size), default=0.0)
    far_b = max((float(np.max(np.abs(p.b))) for p in projections if p.b.size), default=0.0)
    far_a, far_b = (1.0 + MARGIN) * far_a, (1.0 + MARGIN) * far_b
    if plane.kind == "filter":
        half = max(FILTER_SPAN, far_a, far_b)
        return half, half
    longest = max(far_a, far_b)
    if not longest > 0.0:
        return FILTER_SPAN, FILTER_SPAN
    return max(far_a, MIN_SHARE * longest), max(far_b, MIN_SHARE * longest)


# ------------------------------------------------------------------------------- the slice


def grid_axis(half: float, points: int = GRID) -> np.ndarray:
    """``points`` values from -half to half, evenly spaced, the middle one exactly 0."""
    side = points // 2
    return half * (np.arange(-side, side + 1) / side)


def loss_slice(net: Network, plane: Plane, half: tuple[float, float], points: int = GRID) -> Slice:
    """The mean training loss over the grid of ``points`` x ``points`` points of ``plane``, from
    -half to half along a and b (``half`` = (half along a, half along b)).

    Raises ValueError for an even or out-of-range number of points (3 to 81, odd: the centre is a
    point of the grid) or a half-width that is not a positive number."""
    whole = isinstance(points, (int, np.integer)) and not isinstance(points, bool)
    if not whole or not 3 <= points <= MAX_GRID or points % 2 == 0:
        msg = f"Invalid points value: {points!r} (expected an odd whole number from 3 to {MAX_GRID})"
        raise ValueError(msg)
    for value in half:
        if not (isinstance(value, (int, float, np.floating)) and math.isfinite(value) and value > 0):
            msg = f"Invalid half-width: {value!r} (expected a positive number)"
            raise ValueError(msg)
    a, b = grid_axis(float(half[0]), int(points)), grid_axis(float(half[1]), int(points))
    layers = _Layers(net)
    losses = layers.losses(plane, a, b)
    for array in (a, b, losses):
        array.flags.writeable = False
    return Slice(plane, a, b, losses)


class _Layers:
    """A network read as two layers: a first layer linear in its weights (the MLP's first Linear;
    the CNN's convolution, each image's four pixels of each pooling window apart), whose
    pre-activations (q, n, f) are made by :meth:`pre_activations`, then the rest: the ReLU of the
    largest of the q (the CNN's max-pooling; q = 1 for the MLP), a Linear layer (classes, f) and
    the cross-entropy. The features f are in the order the second layer reads them (the CNN's
    Flatten: each channel's windows row by row)."""

    def __init__(self, net: Network) -> None:
        if not isinstance(net.model, (MLP, CNN)):
            msg = f"no landscape for the model {type(net.model).__name__}"
            raise TypeError(msg)
        self.net = net
        self.cnn = isinstance(net.model, CNN)
        first, bias, second, second_bias = (t.name for t in net.tensors)
        self.names = first, bias, second, second_bias
        # The rows as the model reads them: public pieces (net.model.inputs, net.split).
        self.inputs = net.model.inputs(net.split.x_train)
        self.y = net.split.y_train

    def pre_activations(self, theta: np.ndarray) -> np.ndarray:
        """The first layer's outputs at weights ``theta`` (and its bias), before any nonlinearity:
        (4, n, width * 16) for the CNN (the four pixels of each pooling window), (1, n, width)
        for the MLP."""
        weights = self.net.unflatten(theta)
        w, bias = weights[self.names[0]], weights[self.names[1]]
        if self.cnn:
            width = w.shape[0]
            z = np.einsum("ck,kqnw->qncw", w.reshape(width, 9), self.inputs)  # inputs: (9, 4, n, 16)
            z += bias[None, None, :, None]
            return np.ascontiguousarray(z).reshape(4, z.shape[1], width * 16)
        z = np.einsum("ni,hi->nh", self.inputs, w)
        z += bias
        return z[None]

    def second(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        weights = self.net.unflatten(theta)
        return weights[self.names[2]], weights[self.names[3]]

    def losses(self, plane: Plane, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The mean loss at ``plane.at(a[i], b[j])`` for every i, j: (len(b), len(a)).

        The rows of the data in blocks of images and the grid's b in blocks, so that a block's
        pre-activations stay in a core's cache. For each block, each a: the pre-activations
        (c + b v) + a u at each of the block's b, the ReLU of their largest, and the second
        layer at each point's own weights ((W_c + b W_v) + a W_u), a matrix product; once a
        block of images has its logits at every point, their cross-entropy, added to each
        point's sum (divided by the rows at the end).
        """
        zc, zu, zv = (self.pre_activations(x) for x in (plane.centre, plane.u, plane.v))
        (wc, bc), (wu, bu), (wv, bv) = (self.second(x) for x in (plane.centre, plane.u, plane.v))
        quads, rows, features = zc.shape
        classes = wc.shape[0]
        na, nb = len(a), len(b)
        # Each point's second layer, (a, b, features, classes), and its bias, (a, b, classes).
        second = (wc.T[None] + b[:, None, None] * wv.T[None])[None] + a[:, None, None, None] * wu.T[None, None]
        bias = (bc[None] + b[:, None] * bv[None])[None] + a[:, None, None] * bu[None, None]
        per_image = quads * features
        across = min(nb, max(1, BLOCK_ELEMENTS // (per_image * MIN_IMAGES)))
        images = min(rows, max(1, BLOCK_ELEMENTS // (per_image * across)), max(1, BLAS_ALONE // (classes * features)))
        pre = np.empty((quads, across, images, features))
        hidden = np.empty((across, images, features))
        shift = np.empty((quads, images, features))
        logits = np.empty((na, nb, images, classes))
        summed = np.zeros((na, nb))
        for first in range(0, rows, images):
            k = min(images, rows - first)
            part = slice(first, first + k)
            for low in range(0, nb, across):
                m = min(across, nb - low)
                bs = slice(low, low + m)
                base = zc[:, None, part] + b[None, bs, None, None] * zv[:, None, part]  # (q, b, k, f)
                s, h, t = pre[:, :m, :k], hidden[:m, :k], shift[:, :k]
                for i in range(na):
                    np.multiply(zu[:, part], a[i], out=t)
                    np.add(base, t[:, None], out=s)
                    if quads == 1:
                        np.maximum(s[0], 0.0, out=h)
                    else:
                        np.maximum(s[0], s[1], out=h)
                        for q in range(2, quads):
                            np.maximum(h, s[q], out=h)
                        np.maximum(h, 0.0, out=h)
                    np.matmul(h, second[i, bs], out=logits[i, bs, :k])
                budget.checkpoint()
            summed += _cross_entropy_sums(logits[:, :, :k], bias, self.y[part])
        return (summed / rows).T


def _cross_entropy_sums(logits: np.ndarray, bias: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each point's cross-entropy summed over a block's rows: ``logits`` (a, b, rows, classes)
    without their bias, ``bias`` (a, b, classes), ``y`` the rows' classes. A few a at a time
    (exp's temporaries stay in cache).

    A row's cross-entropy is log(sum over c of exp(z_c - z_y)): torch's, shifted by the row's
    own class's logit rather than the largest (the same number; the largest is not sought,
    and z_y - z_y = 0 is exact), unless some z_c - z_y is large enough to overflow."""
    na, nb, rows, classes = logits.shape
    out = np.empty((na, nb))
    chunk = max(1, CE_ELEMENTS // (nb * rows * classes))
    every = np.arange(rows)
    for low in range(0, na, chunk):
        part = slice(low, low + chunk)
        z = np.moveaxis(logits[part], 3, 0) + np.moveaxis(bias[part], 2, 0)[..., None]  # (c, a, b, rows)
        own = z[y, :, :, every].transpose(1, 2, 0)  # (a, b, rows): each row's own class
        z -= own
        if z.max() > OVERFLOW:  # torch's shift by the largest: the same number, never overflowing
            top = z.max(axis=0)
            z -= top
            out[part] = np.einsum("abn->ab", portable.log(np.einsum("cabn->abn", portable.exp(z))) + top)
        else:
            out[part] = np.einsum("abn->ab", portable.log(np.einsum("cabn->abn", portable.exp(z))))
    return out


# ------------------------------------------------------------------------------ the whole


def landscape(
    net: Network,
    chosen: Trajectory,
    others: Sequence[Trajectory] = (),
    *,
    plane: str = "filter",
    seed: int = 0,
    points: int = GRID,
    half: tuple[float, float] | None = None,
) -> Landscape:
    """The landscape around the end of the run ``chosen`` (theta*): the plane (``plane``:
    "filter", seeded by ``seed``, or "pca" of every run's iterates), the loss over
    ``points`` x ``points`` of it (half-widths ``half``, or :func:`spans`'), and every run's
    iterates projected onto it, ``chosen``'s first.

    Raises ValueError for an unknown plane, a batch of runs, or a PCA plane of paths that never
    leave theta*."""
    if plane not in PLANES:
        msg = f"unknown plane {plane!r}; choose one of: {', '.join(PLANES)}"
        raise ValueError(msg)
    found = [iterates(t) for t in (chosen, *others)]
    centre = found[0][0][-1]
    made = filter_plane(net, centre, seed) if plane == "filter" else pca_plane(centre, [path for path, _ in found])
    projections = tuple(project(made, path) for path, _ in found)
    half = spans(made, projections) if half is None else half
    return Landscape(made, loss_slice(net, made, half, points), projections, tuple(steps for _, steps in found))


# ----------------------------------------------------------------------------------- checks


def _weights(net: Network, theta: object) -> np.ndarray:
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (net.dim,):
        msg = f"expected {net.dim} weights, got shape {theta.shape}"
        raise ValueError(msg)
    return theta


def _seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 1 << 32:
        msg = f"Invalid seed value: {seed!r} (expected a whole number from 0 to 4294967295)"
        raise ValueError(msg)
    return int(seed)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.flags.writeable = False
    return array
