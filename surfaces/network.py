r"""A small network's training loss: a surface of any dimension, the tutorial's own test.

The tutorial optviz grew from ends by swapping each optimizer into a small CNN. Here that
network is a surface like any other: :func:`network` ("digits" or "iris", "mlp" or "cnn", a
seed) gives its mean cross-entropy over the training rows as a function of every weight at
once, one flat float64 vector of ``dim`` coordinates in the order of torch's ``state_dict``,
and the engine steps it with every optimizer (``optviz.run("adam", net, steps=..., batch_size=32)``).

The models, written with NumPy and their gradients derived by hand, are the equivalents of

* ``"mlp"``: ``torch.nn.Sequential(Linear(64, 32), ReLU(), Linear(32, 10))`` on digits (its
  hidden width is ``width``), ``Sequential(Linear(4, 8), ReLU(), Linear(8, 3))`` on iris;
* ``"cnn"``: ``Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
  Linear(128, 10))`` on 1 x 8 x 8 images (``width`` filters), digits only;

with torch's default initialisation (weights and biases uniform in ±1/√fan_in), drawn from
NumPy's PCG64 generator seeded by ``seed``. ``net.unflatten(theta)`` gives the weights by
torch's names and shapes, so that ``Sequential(...).load_state_dict`` takes them.

The same bits on every CPU, and a batch equal to its single runs: every contraction is
:func:`numpy.einsum` without ``optimize`` (NumPy's own loops; never BLAS, whose kernels are
chosen by the CPU and add in different orders: ``OPENBLAS_CORETYPE`` changes ``@``'s last bits),
every sum :func:`numpy.einsum` too (its loops are NumPy's baseline code, the same on every x86-64
CPU), exp and log :mod:`optviz.core.portable`;
the trajectories of a batch are computed one column at a time, each exactly as alone
(``tests/surfaces/test_network.py`` checks all three).

>>> net = network("iris", "mlp", seed=0)
>>> net.dim, sorted(net.unflatten(net.start))
(67, ['0.bias', '0.weight', '2.bias', '2.weight'])
>>> net.batches(seed=0, batch_size=32, steps=4).shape
(4, 32)
"""

from __future__ import annotations

import csv
import gzip
import math
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from optviz.core import portable
from surfaces.data import columns, tree_sum

DATASETS = Path(__file__).parent / "datasets"
DATA = ("digits", "iris")
MODELS = ("mlp", "cnn")
# The fixed split of each data set: a permutation of its rows by PCG64 seeded with SPLIT_SEED;
# its first rows are the test set, the next the validation set (for choosing a learning rate),
# the rest the training set, each in the permutation's order.
SPLIT_SEED = 20_180_125  # the day Li et al.'s loss-landscape paper appeared: any fixed number would do
SPLITS = {"digits": (360, 180), "iris": (30, 15)}  # (test rows, validation rows)
# The default hidden width (MLP) or number of filters (CNN), and the widths a page may ask for.
WIDTHS = {("digits", "mlp"): 32, ("digits", "cnn"): 8, ("iris", "mlp"): 8}
WIDTH_RANGE = (1, 64)
# Weight vectors whose loss over every training row is computed at once (a CNN's pass holds
# about 5 MB a vector).
LOSS_COLUMNS = 8
# The CNN's forward pass over every row goes FORWARD_ROWS images at a time, so that a block's
# convolution stays within a core's cache (measured: 11 ms instead of 13 ms for three weight
# vectors over the digits' 1,257 training rows; the logits' bits are the same either way).
FORWARD_ROWS = 64
PARTS = ("train", "validation", "test")  # the parts of a split a network is evaluated on


class Minimum(NamedTuple):
    """What the engine reads of a minimum: its value (cross-entropy is never below 0)."""

    value: float


@dataclass(frozen=True)
class Tensor:
    """One weight tensor: its name in torch's ``state_dict``, its shape there, its fan-in."""

    name: str
    shape: tuple[int, ...]
    fan_in: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Split:
    """A data set's rows, as the model takes them, and their classes: train, validation, test."""

    classes: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@cache
def dataset(name: str) -> Split:
    """The data set ``name`` ("digits": 1,797 images of 64 pixels scaled to [0, 1]; "iris": 150
    flowers' four measurements, standardised by the training rows' mean and standard
    deviation), split as :data:`SPLITS` says. Rows are (n, features) arrays; read-only."""
    if name == "digits":
        with gzip.open(DATASETS / "digits.csv.gz", "rt", newline="") as file:
            table = np.array([[int(v) for v in row] for row in csv.reader(file)], dtype=np.int64)
        features, labels, classes = table[:, :64] / 16.0, table[:, 64], 10  # / 16: exact
    elif name == "iris":
        names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
        *measured, species = columns("iris", *names, "species")
        features = np.array([[float(v) for v in row] for row in zip(*measured, strict=True)])
        kinds = sorted(set(species))  # setosa, versicolor, virginica
        labels, classes = np.array([kinds.index(s) for s in species], dtype=np.int64), len(kinds)
    else:
        msg = f"unknown data {name!r}; choose one of: {', '.join(DATA)}"
        raise ValueError(msg)
    test, valid = SPLITS[name]
    order = np.random.Generator(np.random.PCG64(np.random.SeedSequence(SPLIT_SEED))).permutation(len(labels))
    parts = order[:test], order[test : test + valid], order[test + valid :]
    if name == "iris":  # standardised by the training rows alone, in a fixed order of additions
        train = features[parts[2]]
        mean = tree_sum(train) / len(train)
        std = np.sqrt(tree_sum((train - mean) * (train - mean)) / len(train))
        features = (features - mean) / std
    arrays = []
    for rows in (parts[2], parts[1], parts[0]):
        for part in (features[rows], labels[rows]):
            array = np.ascontiguousarray(part)
            array.flags.writeable = False
            arrays.append(array)
    return Split(classes, *arrays)


# ------------------------------------------------------------------------------------ models


class Model:
    """A model's weights and its loss: subclasses define :attr:`tensors`, :meth:`inputs` (the
    rows as the model reads them) and :meth:`loss` (with the gradient when asked).

    Every array carries a leading axis of w weight vectors (trajectories), computed together:
    each contraction is one einsum over the w of them, whose loops give each its own bits as
    if it were alone (``tests/surfaces/test_network.py`` checks a batch against its single runs).
    """

    tensors: tuple[Tensor, ...]
    torch: str  # the torch.nn.Sequential it equals, for the page and the docs

    def inputs(self, x: np.ndarray) -> Any:
        """The rows ``x`` laid out for :meth:`loss` (made once per data set)."""
        return x

    def loss(self, weights: list[np.ndarray], inputs: Any, rows: np.ndarray | None, y: np.ndarray,
             grads: list[np.ndarray] | None, *, value: bool = True) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """The mean cross-entropy of each of w weight vectors (``weights``: one (w, *shape) array
        per tensor) over ``rows`` (None: every row; (n,): the same rows for all; (w, n): each its
        own), (w,) (NaN without ``value``), and the logits (w, n, classes); with ``grads``, the
        gradients written into them (one (w, *shape) array per tensor)."""
        raise NotImplementedError


def _cross_entropy(
    logits: np.ndarray, y: np.ndarray, want: bool, value: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean cross-entropy of ``logits`` (w, n, classes) against classes ``y`` ((n,) or (w, n)),
    as torch's CrossEntropyLoss (log-softmax, then the mean of the picked entries), (w,) (NaN
    without ``value``, which saves the logarithms); with ``want``, its gradient with respect to
    the logits."""
    w, n, classes = logits.shape
    picked = np.arange(0, w * n * classes, classes) + np.broadcast_to(y, (w, n)).ravel()  # each row's class, flat
    shifted = logits - logits.max(axis=2, keepdims=True)
    e = portable.exp(shifted)
    total = np.einsum("wnc->wn", e)  # over the classes
    loss = np.full(w, math.nan)
    if value:
        loss = np.einsum("wn->w", portable.log(total) - shifted.reshape(-1)[picked].reshape(w, n)) / n
    if not want:
        return loss, None
    d = e / total[..., None]
    d.reshape(-1)[picked] -= 1.0  # d is new and contiguous: the reshape is a view
    d /= n
    return loss, d


def _rows(inputs: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, str]:
    """The rows of ``inputs`` (N, ...) a step reads, and the einsum subscript of their first
    axes: "n" for rows shared by every weight vector, "wn" for each its own."""
    if rows is None:
        return inputs, "n"
    return inputs[rows], "n" if rows.ndim == 1 else "wn"


class MLP(Model):
    """``Sequential(Linear(features, width), ReLU(), Linear(width, classes))``."""

    def __init__(self, features: int, width: int, classes: int) -> None:
        self.tensors = (
            Tensor("0.weight", (width, features), features),
            Tensor("0.bias", (width,), features),
            Tensor("2.weight", (classes, width), width),
            Tensor("2.bias", (classes,), width),
        )
        self.torch = f"Sequential(Linear({features}, {width}), ReLU(), Linear({width}, {classes}))"

    def loss(self, weights, inputs, rows, y, grads, *, value=True):
        w1, b1, w2, b2 = weights
        x, n = _rows(inputs, rows)
        z1 = np.einsum(f"{n}i,whi->wnh", x, w1)
        z1 += b1[:, None, :]
        a1 = np.maximum(z1, 0.0)
        logits = np.einsum("wnh,wch->wnc", a1, w2)
        logits += b2[:, None, :]
        loss, d2 = _cross_entropy(logits, y if rows is None else y[rows], grads is not None, value)
        if grads is not None:
            g1, gb1, g2, gb2 = grads
            g2[...] = np.einsum("wnc,wnh->wch", d2, a1)
            gb2[...] = np.einsum("wnc->wc", d2)
            d1 = np.einsum("wnc,wch->wnh", d2, w2)
            d1 = np.where(z1 > 0.0, d1, 0.0)  # ReLU's: the gradient where the output is positive
            g1[...] = np.einsum(f"wnh,{n}i->whi", d1, x)
            gb1[...] = np.einsum("wnh->wh", d1)
        return loss, logits


class CNN(Model):
    """``Sequential(Conv2d(1, width, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(),
    Linear(width * 16, classes))`` on 1 x 8 x 8 images."""

    def __init__(self, width: int, classes: int) -> None:
        self.width = width
        self.tensors = (
            Tensor("0.weight", (width, 1, 3, 3), 9),
            Tensor("0.bias", (width,), 9),
            Tensor("4.weight", (classes, width * 16), width * 16),
            Tensor("4.bias", (classes,), width * 16),
        )
        self.torch = (
            f"Sequential(Conv2d(1, {width}, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), "
            f"Linear({width * 16}, {classes}))"
        )

    def inputs(self, x: np.ndarray) -> np.ndarray:
        """Each image's 3 x 3 neighbourhoods (zero-padded), (9, 4, n, 16): tap kh * 3 + kw; the
        pixel (r, c)'s place in its 2 x 2 pooling window, (r % 2) * 2 + c % 2; the image; the
        window, (r // 2) * 4 + c // 2. For each tap, everything after it is one contiguous run:
        the convolution is 9 long multiply-adds over it (NumPy's fastest einsum loop), and
        pooling reads four contiguous blocks."""
        images = np.zeros((x.shape[0], 10, 10))
        images[:, 1:9, 1:9] = x.reshape(-1, 8, 8)
        patches = np.empty((9, 4, x.shape[0], 16))
        for kh in range(3):
            for kw in range(3):
                tap = images[:, kh : kh + 8, kw : kw + 8]  # (n, 8, 8): the pixel each output reads
                for r in range(2):
                    for c in range(2):
                        patches[kh * 3 + kw, r * 2 + c] = tap[:, r::2, c::2].reshape(-1, 16)
        patches.flags.writeable = False
        return patches

    def forward(self, weights, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The convolution's outputs z (w, c, 4, n, 16), their pooled largest (w, c, n, 16), the
        hidden features h (w, n, c 16) and the logits (w, n, classes) of the rows whose
        neighbourhoods are ``p``: (9, 4 n 16), the same for every weight vector, or
        (w, 9, 4 n 16), each its own (contiguous: each tap's multiply-add is one long loop)."""
        wc, bc, w2, b2 = weights
        width, count, n = self.width, wc.shape[0], p.shape[-1] // 64
        mine = "w" if p.ndim == 3 else ""
        z = np.einsum(f"wck,{mine}km->wcm", wc.reshape(count, width, 9), p).reshape(count, width, 4, n, 16)
        z += bc[:, :, None, None, None]
        # ReLU then MaxPool2d(2) is MaxPool2d(2) then ReLU (both keep order): the largest of each
        # window's four, then its positive part.
        top = np.maximum(np.maximum(z[:, :, 0], z[:, :, 1]), np.maximum(z[:, :, 2], z[:, :, 3]))
        # Flatten(): each image's channels, each channel's windows row by row, contiguous.
        h = np.empty((count, n, width, 16))
        np.maximum(top.transpose(0, 2, 1, 3), 0.0, out=h)
        h = h.reshape(count, n, width * 16)
        logits = np.einsum("wnf,wjf->wnj", h, w2.reshape(count, -1, width * 16))
        logits += b2[:, None, :]
        return z, top, h, logits

    def loss(self, weights, inputs, rows, y, grads, *, value=True):
        count, width = weights[0].shape[0], self.width
        if grads is None and rows is None:  # every row, no gradient: in blocks a core's cache holds
            logits = np.concatenate(
                [
                    self.forward(weights, np.ascontiguousarray(inputs[:, :, low : low + FORWARD_ROWS]).reshape(9, -1))[
                        3
                    ]
                    for low in range(0, inputs.shape[2], FORWARD_ROWS)
                ],
                axis=1,
            )
            return _cross_entropy(logits, y, False, value)[0], logits
        # The rows' neighbourhoods: the same for every weight vector, or each its own.
        if rows is None or rows.ndim == 1:
            p = inputs if rows is None else np.take(inputs, rows, axis=2)
            p = p.reshape(9, -1)
        else:
            p = np.take(inputs, rows, axis=2)  # (9, 4, w, n, 16)
            p = np.ascontiguousarray(p.transpose(2, 0, 1, 3, 4)).reshape(count, 9, -1)
        z, top, h, logits = self.forward(weights, p)
        loss, d2 = _cross_entropy(logits, y if rows is None else y[rows], grads is not None, value)
        if grads is not None:
            n, mine = h.shape[1], "w" if p.ndim == 3 else ""
            gc, gbc, g2, gb2 = grads
            # Each a sum over the images, made contiguous first (NumPy's dot loop).
            ht = np.ascontiguousarray(h.transpose(0, 2, 1))
            g2[...] = np.einsum("wjn,wfn->wjf", np.ascontiguousarray(d2.transpose(0, 2, 1)), ht).reshape(g2.shape)
            gb2[...] = np.einsum("wnj->wj", d2)
            dh = np.einsum("wnj,wjf->wnf", d2, weights[2].reshape(count, -1, width * 16))
            dh = np.where(top > 0.0, dh.reshape(count, n, width, 16).transpose(0, 2, 1, 3), 0.0)  # ReLU's
            # MaxPool2d's: to the first of the window's four that is its largest (torch's scan order).
            chosen = z == top[:, :, None]
            taken = chosen[:, :, 0].copy()
            for q in (1, 2, 3):
                chosen[:, :, q] &= ~taken
                taken |= chosen[:, :, q]
            # dz = where(chosen, dh, 0) as a product (three times faster), and + 0.0 so that
            # a negative dh times 0 is +0.0 as where's; an infinite dh makes a NaN beside it
            # instead of a 0, where the window's own gradient is infinite either way.
            dz = chosen.astype(np.float64)
            dz *= dh[:, :, None]
            dz += 0.0
            dz = dz.reshape(count, width, -1)
            gc[...] = np.einsum(f"wcm,{mine}km->wck", dz, p).reshape(gc.shape)
            gbc[...] = np.einsum("wcm->wc", dz)
        return loss, logits


def model(data: str, name: str, width: int) -> Model:
    """The model ``name`` for the data set ``data``, ``width`` hidden units or filters."""
    classes = 10 if data == "digits" else 3
    if name == "mlp":
        return MLP(64 if data == "digits" else 4, width, classes)
    if name == "cnn" and data == "digits":
        return CNN(width, classes)
    if name == "cnn":
        msg = "the CNN takes images: choose data 'digits' for it"
        raise ValueError(msg)
    msg = f"unknown model {name!r}; choose one of: {', '.join(MODELS)}"
    raise ValueError(msg)


# ------------------------------------------------------------------------------- the surface


@dataclass(frozen=True, eq=False)
class Network:
    """A network's mean training cross-entropy as a surface of ``dim`` coordinates.

    What the engine reads (:class:`optviz.core.engine.Surface`): ``dim``, ``default_start``,
    ``data_rows``, the losses and gradients of whole points (``loss_at`` and ``grad_at`` take
    (d, w) arrays, one trajectory a column), ``batches`` (each step's rows), and the
    coordinate-by-coordinate ``value_fn`` and ``grad_fn`` every surface has.
    """

    data_name: str
    model_name: str
    seed: int
    width: int
    model: Model = field(repr=False)
    split: Split = field(repr=False)
    start: np.ndarray = field(repr=False)
    name: str = "network"
    operations: int = 0
    grad_kernel: None = None
    value_kernel: None = None
    f_star: float = 0.0  # cross-entropy is never below 0
    basin_minima: tuple[Minimum, ...] = (Minimum(0.0),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_inputs", laid_out(self.data_name, self.model_name, "train"))
        slices, first = [], 0
        for tensor in self.model.tensors:
            slices.append((slice(first, first + tensor.size), tensor.shape))
            first += tensor.size
        object.__setattr__(self, "_slices", tuple(slices))

    # -- what a person reads of it

    @property
    def dim(self) -> int:
        """The number of weights."""
        return self.start.shape[0]

    @property
    def default_start(self) -> np.ndarray:
        return self.start

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return self.model.tensors

    @property
    def torch(self) -> str:
        """The torch.nn.Sequential this network equals."""
        return self.model.torch

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(X_train, y_train, X_test, y_test), exactly as trained on: X in the model's input
        shape ((n, 1, 8, 8) images for the CNN, (n, features) rows for the MLP)."""
        s = self.split
        return self._shaped(s.x_train), s.y_train, self._shaped(s.x_test), s.y_test

    @property
    def validation(self) -> tuple[np.ndarray, np.ndarray]:
        """(X_valid, y_valid): the rows a learning rate is chosen on, neither trained nor tested on."""
        return self._shaped(self.split.x_valid), self.split.y_valid

    @property
    def data_rows(self) -> int:
        return len(self.split.y_train)

    @property
    def plot_gap(self) -> float:
        """The divergence limit's scale (see :data:`optviz.core.engine.DIVERGENCE`): the loss at the start."""
        return float(self.loss_at(self.start[:, None])[0])

    def _shaped(self, x: np.ndarray) -> np.ndarray:
        shaped = x.reshape(-1, 1, 8, 8) if self.model_name == "cnn" else x
        shaped = shaped.view()
        shaped.flags.writeable = False
        return shaped

    def unflatten(self, theta: Any) -> dict[str, np.ndarray]:
        """The weights ``theta`` (dim,) by torch's ``state_dict`` names, in torch's shapes (copies)."""
        theta = self._vector(theta)
        return {
            t.name: theta[s].reshape(shape).copy() for t, (s, shape) in zip(self.tensors, self._slices, strict=True)
        }

    def flatten(self, weights: dict[str, Any]) -> np.ndarray:
        """The flat vector of ``weights`` given by torch's names and shapes (the inverse of :meth:`unflatten`)."""
        theta = np.empty(self.dim)
        for tensor, (part, shape) in zip(self.tensors, self._slices, strict=True):
            value = np.asarray(weights[tensor.name], dtype=np.float64)
            if value.shape != shape:
                msg = f"{tensor.name}: expected shape {shape}, got {value.shape}"
                raise ValueError(msg)
            theta[part] = value.ravel()
        return theta

    def batches(self, seed: int, batch_size: int, steps: int) -> np.ndarray:
        """The training rows each of ``steps`` steps uses, (steps, batch_size): epoch by epoch, a
        new permutation of the training rows from ``seed`` cut into whole batches (the rows left
        over are not used that epoch), as a DataLoader with ``shuffle=True, drop_last=True``."""
        rows = self.data_rows
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= rows:
            msg = f"Invalid batch_size value: {batch_size!r} (expected a whole number from 1 to {rows}, the training rows)"
            raise ValueError(msg)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            msg = f"Invalid steps value: {steps!r} (expected a whole number from 0)"
            raise ValueError(msg)
        generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([check_seed(seed), 2])))
        per_epoch = rows // batch_size
        epochs = -(-int(steps) // per_epoch)
        order = [generator.permutation(rows)[: per_epoch * batch_size] for _ in range(epochs)]
        flat = np.concatenate(order) if order else np.empty(0, dtype=np.int64)
        return flat.reshape(-1, batch_size)[:steps]

    def steps_per_epoch(self, batch_size: int) -> int:
        """The steps of one epoch at ``batch_size``: whole batches of the training rows."""
        return self.data_rows // batch_size

    # -- the loss and its gradient

    def _vector(self, theta: Any) -> np.ndarray:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.dim,):
            msg = f"expected {self.dim} weights, got shape {theta.shape}"
            raise ValueError(msg)
        return theta

    def _weights(self, thetas: np.ndarray) -> list[np.ndarray]:
        """Each tensor of w weight vectors ``thetas`` (w, dim), as (w, *shape) views."""
        return [thetas[:, part].reshape(thetas.shape[0], *shape) for part, shape in self._slices]

    def _losses(
        self, thetas: np.ndarray, rows: np.ndarray | None, out: np.ndarray | None, *, value: bool = True
    ) -> np.ndarray:
        """The mean training loss of each of w weight vectors ``thetas`` (w, dim) over ``rows``
        (None: every row; (n,) shared; (w, n) each its own), (w,); with ``out`` (w, dim), the
        gradients written there."""
        grads = None if out is None else self._weights(out)
        y = self.split.y_train
        return self.model.loss(self._weights(thetas), self._inputs, rows, y, grads, value=value)[0]

    def loss_grad(
        self, theta: np.ndarray, rows: np.ndarray | None = None, out: np.ndarray | None = None, *, value: bool = True
    ) -> float:
        """The mean training loss over ``rows`` (None: every training row) at weights ``theta``
        (dim,) (NaN without ``value``); with ``out`` (dim,), its gradient written there."""
        thetas = np.ascontiguousarray(theta, dtype=np.float64)[None, :]
        grads = None if out is None else np.empty_like(thetas)
        loss = float(self._losses(thetas, rows, grads, value=value)[0])
        if out is not None:
            out[...] = grads[0]
        return loss

    def loss_at(self, points: np.ndarray) -> np.ndarray:
        """The training loss at each column of ``points`` (d, w): (w,), each as if alone (a few
        columns at a time: a column's pass over every training row holds a few MB)."""
        thetas = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
        return np.concatenate(
            [self._losses(thetas[lo : lo + LOSS_COLUMNS], None, None) for lo in range(0, len(thetas), LOSS_COLUMNS)]
        )

    def grad_at(self, points: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The gradient of the mean loss over ``rows`` (None: every training row; (n,): the same
        rows for every column; (w, n): each column its own) at each column of ``points`` (d, w):
        (d, w), each column's bits as if it were alone."""
        thetas = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
        out = np.empty_like(thetas)
        if rows is None:  # every row: a few columns at a time, as loss_at
            for lo in range(0, len(thetas), LOSS_COLUMNS):
                self._losses(thetas[lo : lo + LOSS_COLUMNS], None, out[lo : lo + LOSS_COLUMNS], value=False)
        else:
            self._losses(thetas, np.asarray(rows), out, value=False)
        return out.T

    def evaluate(self, theta: Any, part: str = "test") -> tuple[float, float]:
        """The mean loss and the accuracy (the share of rows whose largest logit is their class)
        of weights ``theta`` on ``part``: "train", "validation" or "test"."""
        losses, accuracies = self.evaluate_at(self._vector(theta)[:, None], part)
        return float(losses[0]), float(accuracies[0])

    def evaluate_at(self, points: np.ndarray, part: str = "test") -> tuple[np.ndarray, np.ndarray]:
        """:meth:`evaluate` of each column of ``points`` (d, w), a few at a time: (w,) losses and
        (w,) accuracies, each column's as if alone."""
        if part not in PARTS:
            msg = f"unknown part {part!r}; choose one of: {', '.join(PARTS)}"
            raise ValueError(msg)
        thetas = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
        s = self.split
        y = {"train": s.y_train, "validation": s.y_valid, "test": s.y_test}[part]
        inputs = self._inputs if part == "train" else self._other_inputs(part)
        losses, accuracies = np.empty(len(thetas)), np.empty(len(thetas))
        for lo in range(0, len(thetas), LOSS_COLUMNS):
            part_ = slice(lo, lo + LOSS_COLUMNS)
            losses[part_], logits = self.model.loss(self._weights(thetas[part_]), inputs, None, y, None)
            accuracies[part_] = np.count_nonzero(np.argmax(logits, axis=2) == y, axis=1) / len(y)
        return losses, accuracies

    def _other_inputs(self, part: str) -> Any:
        """The validation or test rows, laid out for the model."""
        return laid_out(self.data_name, self.model_name, part)

    # -- the coordinate-by-coordinate forms every surface has

    def _stacked(self, coordinates: tuple[Any, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
        arrays = np.broadcast_arrays(*(np.asarray(c, dtype=np.float64) for c in coordinates))
        shape = arrays[0].shape
        return np.stack([a.reshape(-1) for a in arrays]), shape

    def value_fn(self, *coordinates: Any) -> Any:
        points, shape = self._stacked(coordinates)
        values = self.loss_at(points).reshape(shape)
        return float(values) if not shape else values

    def grad_fn(self, *coordinates: Any) -> tuple[Any, ...]:
        points, shape = self._stacked(coordinates)
        grads = self.grad_at(points)
        return tuple(float(g[0]) if not shape else g.reshape(shape) for g in grads)

    def batch_grad_fn(self, *coordinates_and_rows: Any) -> tuple[Any, ...]:
        *coordinates, rows = coordinates_and_rows
        points, shape = self._stacked(tuple(coordinates))
        grads = self.grad_at(points, np.asarray(rows))
        return tuple(float(g[0]) if not shape else g.reshape(shape) for g in grads)

    def value(self, points: Any) -> np.ndarray:
        """The training loss at points (..., dim)."""
        points = np.asarray(points, dtype=np.float64)
        flat = points.reshape(-1, self.dim)
        return self.loss_at(flat.T).reshape(points.shape[:-1])[()]

    def grad(self, points: Any) -> np.ndarray:
        """The gradient at points (..., dim), same shape back."""
        points = np.asarray(points, dtype=np.float64)
        flat = points.reshape(-1, self.dim)
        return self.grad_at(np.ascontiguousarray(flat.T)).T.reshape(points.shape)

    def nearest_minimum(
        self, points: np.ndarray, minima: tuple[Minimum, ...] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every point is measured against 0, the least cross-entropy (no minimum is known)."""
        shape = np.shape(points)[:-1]
        return np.zeros(shape, dtype=np.intp)[()], np.full(shape, np.nan)[()]


def initial_weights(tensors: tuple[Tensor, ...], seed: int) -> np.ndarray:
    """torch's default initialisation of Linear and Conv2d (weights by kaiming_uniform_ with
    a = √5, biases alike: both uniform in ±1/√fan_in), drawn tensor by tensor in the
    ``state_dict``'s order from PCG64 seeded by ``seed``."""
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), 3])))
    parts = [generator.uniform(-1.0 / math.sqrt(t.fan_in), 1.0 / math.sqrt(t.fan_in), t.size) for t in tensors]
    return np.concatenate(parts)


def check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 1 << 32:
        msg = f"Invalid seed value: {seed!r} (expected a whole number from 0 to 4294967295)"
        raise ValueError(msg)
    return int(seed)


@cache
def laid_out(data: str, model_name: str, part: str) -> Any:
    """A part of a data set ("train", "validation", "test") as a model reads it, made once per
    data set and model, whatever the width or seed (the CNN's neighbourhoods: 5.8 MB of digits)."""
    split = dataset(data)
    rows = {"train": split.x_train, "validation": split.x_valid, "test": split.x_test}[part]
    return model(data, model_name, 1).inputs(rows)


# Networks kept built: a comparison's, a landscape's, a page's (each holds its start and views
# of the shared inputs; a page can ask for any of 64 widths and many seeds).
NETWORKS_KEPT = 32


@lru_cache(maxsize=NETWORKS_KEPT)
def _network(data: str, model_name: str, seed: int, width: int) -> Network:
    built = model(data, model_name, width)
    start = initial_weights(built.tensors, seed)
    start.flags.writeable = False
    return Network(data, model_name, seed, width, built, dataset(data), start)


def network(data: str = "digits", model: str = "cnn", seed: int = 0, *, width: int | None = None) -> Network:
    """The training loss of ``model`` ("mlp", "cnn") on ``data`` ("digits", "iris"), its
    weights initialised from ``seed``; ``width``: hidden units (MLP) or filters (CNN), by
    default those of the tutorial's models (:data:`WIDTHS`). Built once per set of arguments.

    Raises ValueError for an unknown data set or model, the CNN on iris, a seed outside
    0 .. 2**32 - 1 or a width outside :data:`WIDTH_RANGE`.
    """
    if data not in DATA:
        msg = f"unknown data {data!r}; choose one of: {', '.join(DATA)}"
        raise ValueError(msg)
    if model not in MODELS:
        msg = f"unknown model {model!r}; choose one of: {', '.join(MODELS)}"
        raise ValueError(msg)
    if (data, model) not in WIDTHS:
        msg = "the CNN takes images: choose data 'digits' for it"
        raise ValueError(msg)
    seed = check_seed(seed)
    if width is None:
        width = WIDTHS[data, model]
    low, high = WIDTH_RANGE
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or not low <= width <= high:
        msg = f"Invalid width value: {width!r} (expected a whole number from {low} to {high})"
        raise ValueError(msg)
    return _network(data, model, seed, int(width))
