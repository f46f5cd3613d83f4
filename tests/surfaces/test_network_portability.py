"""A network's numbers are the same bits whichever kernels the CPU makes NumPy and OpenBLAS choose.

OpenBLAS picks its matrix kernels by the CPU (SkylakeX on AVX-512, Haswell on AVX2, ...), and
they add in different orders: ``a @ b`` differs in its last bits between them for many shapes.
NumPy dispatches its own loops by the CPU too (X86_V3 = AVX2, X86_V4 = AVX-512). On any one
machine both choices can be forced down (OPENBLAS_CORETYPE, NPY_DISABLE_CPU_FEATURES), so this
test runs the same gradients and training in fresh interpreters under the machine's own
kernels and under the lesser ones, and requires the same bytes: what another CPU would compute.
On a CPU that has only the lesser kernels the runs are alike by construction and the test
checks nothing more than determinism.

The source check keeps surfaces/network.py off BLAS altogether (it would pass this test on a
machine whose kernels happen to agree for the shapes used here, and fail elsewhere).
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from numpy._core._multiarray_umath import __cpu_features__

ROOT = Path(__file__).resolve().parents[2]

# Computes a network gradient (every training row, and a minibatch) and short trainings, and
# prints the SHA-256 of each result's bytes, with the kernels it ran on.
CHILD = """
import ctypes, glob, hashlib, json, os
import numpy as np
import optviz
from numpy._core._multiarray_umath import __cpu_features__, __cpu_dispatch__
from surfaces.network import network

def digest(array):
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()

out = {}
for data, model, size in (("digits", "mlp", 32), ("digits", "cnn", 32), ("iris", "mlp", 16)):
    net = network(data, model, seed=0)
    rows = net.batches(0, size, 1)[0]
    out[f"{data}-{model} gradient"] = digest(net.grad(net.start))
    out[f"{data}-{model} minibatch gradient"] = digest(net.grad_at(net.start[:, None], rows))
    t = optviz.run("adam", net, steps=6, batch_size=size, seed=0, lr=0.01, record="final", every=3)
    out[f"{data}-{model} adam"] = digest(np.concatenate([t.points.ravel(), t.losses.ravel(), t.grads.ravel()]))
libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "lib*openblas*.so*"))
core = None
if libs:
    lib = ctypes.CDLL(libs[0])
    for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"):
        if hasattr(lib, name):
            getattr(lib, name).restype = ctypes.c_char_p
            core = getattr(lib, name)().decode()
            break
dispatched = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
print(json.dumps({"results": out, "openblas": core, "numpy": dispatched}))
"""

# NumPy's dispatch targets above its baseline (X86_V2); the machine may lack some.
DISABLED = [name for name in ("X86_V4", "AVX512_ICL", "AVX512_SPR", "X86_V3") if __cpu_features__.get(name)]
ENVIRONMENTS = {
    "default": {},
    "openblas-haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "numpy-baseline": {"NPY_DISABLE_CPU_FEATURES": " ".join(DISABLED)},
}


def run_child(extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES"}}
    env.update(extra)
    env["OPENBLAS_NUM_THREADS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def children():
    if not __cpu_features__.get("AVX2"):
        pytest.skip("OPENBLAS_CORETYPE=Haswell needs AVX2")
    return {name: run_child(extra) for name, extra in ENVIRONMENTS.items()}


def test_the_environments_took_effect(children):
    assert children["openblas-haswell"]["openblas"] == "Haswell"
    assert not set(DISABLED) & set(children["numpy-baseline"]["numpy"])
    assert set(DISABLED) <= set(children["default"]["numpy"])


@pytest.mark.parametrize("name", [name for name in ENVIRONMENTS if name != "default"])
def test_gradients_and_training_are_the_same_bits_under_other_kernels(children, name):
    default, other = children["default"]["results"], children[name]["results"]
    assert len(default) == 9
    differing = sorted(key for key in default if other[key] != default[key])
    assert not differing, f"{name} ({ENVIRONMENTS[name]}) changes the bits of: {', '.join(differing)}"


# ------------------------------------------------------------------------------ source check

NETWORK = ROOT / "surfaces" / "network.py"
# NumPy's functions that reach BLAS (or LAPACK), by attribute or method: x.dot(y) is BLAS too.
BLAS_ATTRIBUTES = {"dot", "vdot", "matmul", "inner", "tensordot", "linalg", "einsum_path", "matrix_power", "kron"}


def blas_uses(source: str) -> list[str]:
    """``@``, ``np.dot`` / ``x.dot``, ``np.matmul``, ``np.linalg``..., and einsum with ``optimize=``
    (which may hand the contraction to BLAS), by line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            found.append(f"@ (line {node.lineno})")
        elif isinstance(node, ast.Attribute) and node.attr in BLAS_ATTRIBUTES:
            found.append(f".{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("numpy"):
            names = {alias.name for alias in node.names} & (BLAS_ATTRIBUTES | {"*"})
            found.extend(f"from {node.module} import {n} (line {node.lineno})" for n in sorted(names))
        elif isinstance(node, ast.Import) and any(alias.name.startswith("numpy.linalg") for alias in node.names):
            found.append(f"import numpy.linalg (line {node.lineno})")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "einsum"
            and any(k.arg == "optimize" for k in node.keywords)
        ):
            found.append(f"einsum(optimize=...) (line {node.lineno})")
    return sorted(found, key=lambda use: int(use.rsplit("line ", 1)[1].rstrip(")")))


def test_the_source_check_sees_every_way_to_blas():
    source = (
        "a = x @ w\n"
        "a @= w\n"
        "b = np.dot(x, w) + x.dot(w)\n"
        "c = np.matmul(x, w)\n"
        "d = np.linalg.norm(x)\n"
        "e = np.einsum('ij,jk->ik', x, w, optimize=True)\n"
        "from numpy import inner\n"
        "import numpy.linalg\n"
        "f = np.tensordot(x, w, 1)\n"
        "g = np.einsum('ij,jk->ik', x, w) + np.maximum(x, 0.0).sum()\n"
    )
    assert blas_uses(source) == [
        "@ (line 1)",
        "@ (line 2)",
        ".dot (line 3)",
        ".dot (line 3)",
        ".matmul (line 4)",
        ".linalg (line 5)",
        "einsum(optimize=...) (line 6)",
        "from numpy import inner (line 7)",
        "import numpy.linalg (line 8)",
        ".tensordot (line 9)",
    ]


def test_the_network_never_calls_blas():
    uses = blas_uses(NETWORK.read_text(encoding="utf-8"))
    assert not uses, (
        f"surfaces/network.py reaches BLAS through {', '.join(uses)}: its kernels differ by CPU; "
        "use np.einsum without optimize"
    )
