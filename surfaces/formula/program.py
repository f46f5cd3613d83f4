"""Functions generated from a formula's graph: the value, the gradient and the Hessian at points.

:func:`program` turns chosen nodes into one function of (x, y) that computes each node it
needs once, in order, with the arithmetic of :mod:`surfaces.formula.arithmetic`: on two
Python floats as plain floats, on anything else as float64 arrays (:func:`on_points`), so that
a batch equals its single runs bit for bit. ``eval``, ``exec`` and ``compile`` are never used.
:func:`cost` counts the work, for the budget and the minima search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from surfaces.formula.arithmetic import OPERATIONS
from surfaces.formula.graph import Graph, needed


def cost(graph: Graph, roots: Sequence[int]) -> int:
    """The work of computing ``roots``: 1 an operation, 10 a function call."""
    return sum(10 if graph.nodes[i][0] in ("fn", "powc") else 1 for i in needed(graph, roots))


def program(graph: Graph, roots: Sequence[int]) -> Callable[[Any, Any], list[Any]]:
    """A function of (x, y) that returns the values of ``roots``, each node computed once."""
    order = needed(graph, roots)
    slot = {i: k for k, i in enumerate(order)}
    initial: list[Any] = [None] * len(order)
    steps = []
    x_slot = y_slot = -1
    for i in order:
        op, a, b, value = graph.nodes[i]
        if op == "const":
            initial[slot[i]] = value
        elif op == "var":
            if value == "x":
                x_slot = slot[i]
            else:
                y_slot = slot[i]
        else:
            steps.append((slot[i], OPERATIONS[op](value), slot[a], slot[b] if b >= 0 else -1))
    outputs = [slot[r] for r in roots]

    def run(x: Any, y: Any) -> list[Any]:
        values = initial.copy()
        if x_slot >= 0:
            values[x_slot] = x
        if y_slot >= 0:
            values[y_slot] = y
        for out, function, a, b in steps:
            values[out] = function(values[a]) if b < 0 else function(values[a], values[b])
        return [values[k] for k in outputs]

    return run


def on_points(run: Callable[[Any, Any], list[Any]]) -> Callable[[Any, Any], list[Any]]:
    """``run`` on two Python floats as it is; on anything else on float64 arrays, silently,
    with every output shaped like the broadcast points."""

    def run_on_points(x: Any, y: Any) -> list[Any]:
        if x.__class__ is float and y.__class__ is float:
            return run(x, y)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        with np.errstate(all="ignore"):
            outputs = run(x, y)
        shaped = [
            o
            if isinstance(o, np.ndarray) and o.shape == shape
            else np.array(np.broadcast_to(o, shape), dtype=np.float64)
            for o in outputs
        ]
        return [o[()] if o.ndim == 0 else o for o in shaped]

    return run_on_points
