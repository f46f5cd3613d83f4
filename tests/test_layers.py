"""The house's layers, read from the code and seen at run time: no import runs back up, none
goes round in a circle.

Each layer package says in its docstring what it may import, on one line::

    May import: optviz.core, optviz.text.

That line is the rule; this test holds every import of the package's files (at the top of a
file or inside a function, type-only ones too) to it, checks that the lines themselves stack
the layers one way (no two layers may import each other), that no module imports another in
a circle, and that only the page (ui/ and app.py) imports streamlit. Python runs a package's
``__init__`` before any module in it, which the source does not show: a fresh interpreter that
imports every module of one layer must load nothing of the layers it may not import.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The layers from the bottom up, each a package whose docstring carries its "May import:" line. The root
# optviz/__init__.py is the public API over them (optviz.run, optviz.OPTIMIZERS) and says its
# own line too.
LAYERS = ("optviz.text", "optviz.core", "surfaces", "optviz", "optviz.settings", "optviz.study", "optviz.teach",
          "optviz.draw", "optviz.pack", "optviz.classroom", "ui")  # fmt: skip
FIRST_PARTY = ("optviz", "surfaces", "ui")
PAGE = ("ui", "app")  # the only modules that may import streamlit
_MAY_IMPORT = re.compile(r"^May import:\s*(.*?)\.?\s*$", re.MULTILINE)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in FIRST_PARTY:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


MODULES = {module_name(path): path for path in source_files()}


def layer_of(module: str) -> str | None:
    """The innermost layer that holds ``module`` (optviz.core.engine is in optviz.core)."""
    found = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(found, key=len, default=None)


def resolve(name: str) -> str:
    """The first-party module an import names: ``optviz.core.budget``, not ``optviz.core`` +
    ``budget``; a name imported from a module is that module."""
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


@cache
def imports_of(module: str) -> tuple[str, ...]:
    """Every first-party module that ``module`` imports, wherever the import statement stands."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: from the package of this file
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            names = [f"{base}.{alias.name}" for alias in node.names] if base in MODULES else [base]
        else:
            continue
        found |= {resolve(name) for name in names if name.split(".")[0] in FIRST_PARTY}
    found.discard(module)
    return tuple(sorted(found))


@cache
def may_import(layer: str) -> frozenset[str]:
    """The layers that ``layer``'s docstring says it may import."""
    init = MODULES[layer]
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    lines = _MAY_IMPORT.findall(doc)
    assert len(lines) == 1, f"{init.relative_to(ROOT)}: its docstring needs one line 'May import: ...'"
    said = [name.strip() for name in lines[0].split(",") if name.strip()]
    if said == ["nothing of optviz"]:
        return frozenset()
    unknown = sorted(set(said) - set(LAYERS))
    assert not unknown, f"{init.relative_to(ROOT)}: 'May import' names {unknown}, which are not layers: {LAYERS}"
    return frozenset(said)


def below(layer: str) -> frozenset[str]:
    """Every layer ``layer`` may reach: what it may import, and what those may, all the way down."""
    return may_import(layer).union(*(below(other) for other in may_import(layer)))


def test_every_layer_says_what_it_may_import():
    assert {layer: sorted(may_import(layer)) for layer in LAYERS}


def test_every_first_party_module_is_in_a_layer():
    outside = [module for module in MODULES if module != "app" and layer_of(module) is None]
    assert not outside


def test_the_layers_stack_one_way():
    """No layer may import one that may import it back, directly or through others."""

    def reach(layer: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        assert layer not in seen, f"the layers' 'May import' lines go round: {' -> '.join([*seen, layer])}"
        below = may_import(layer)
        return below.union(*(reach(other, seen | {layer}) for other in below))

    for layer in LAYERS:
        assert layer not in reach(layer), layer


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "app"))
def test_no_import_runs_back_up(module):
    layer = layer_of(module)
    allowed = may_import(layer) | {layer}
    upward = [name for name in imports_of(module) if layer_of(name) not in allowed and name != "app"]
    assert not upward, (
        f"{MODULES[module].relative_to(ROOT)} (layer {layer}, may import {sorted(may_import(layer))}) imports {upward}"
    )


def circles(graph: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """The circles of ``graph`` (module -> the modules it imports): Tarjan's strongly connected
    components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": ("b",), "b": ("c",), "c": ("a",), "d": ("a",)}) == [["a", "b", "c"]]
    assert circles({"a": ("b",), "b": (), "c": ("a", "b")}) == []


def test_no_module_imports_itself_through_others():
    assert not circles({module: imports_of(module) for module in MODULES})


LOADED = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("optviz", "surfaces", "ui"))))
"""


@pytest.mark.parametrize("layer", [layer for layer in LAYERS if layer != "ui"])
def test_importing_a_layer_loads_nothing_above_it(layer):
    """Every module of ``layer`` imported in a fresh interpreter, as a program using it would."""
    modules = sorted(m for m in MODULES if layer_of(m) == layer)
    ran = subprocess.run([sys.executable, "-c", LOADED, *modules], cwd=ROOT, capture_output=True, text=True, check=True)
    allowed = below(layer) | {layer, "optviz"}  # optviz/__init__.py runs first, and loads nothing
    loaded = [m for m in json.loads(ran.stdout) if layer_of(m) not in allowed]
    assert not loaded, f"importing {layer} loads {loaded}"


def test_only_the_page_imports_streamlit():
    importers = []
    for module, path in MODULES.items():
        if module.split(".")[0] in PAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "streamlit" for name in names):
                importers.append(module)
    assert not importers


def test_the_checks_see_what_is_loaded():
    ran = subprocess.run(
        [sys.executable, "-c", LOADED, "optviz.draw.race"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert {"optviz.settings", "surfaces", "optviz.core.engine"} <= set(json.loads(ran.stdout))


def test_the_checks_see_imports():
    """The reader finds the imports the rules are about: absolute, from-a-package, relative."""
    assert "optviz.core.specs" in imports_of("surfaces.base")
    assert "optviz.core.primitives" in imports_of("surfaces.catalog")
    assert layer_of("optviz.core.optimizers") == "optviz.core"
    assert layer_of("optviz.text") == "optviz.text"
    assert layer_of("optviz") == "optviz"
    assert may_import("optviz.text") == frozenset()
