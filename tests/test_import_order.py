"""Modules import one way: the ui modules never in a circle, the settings layer never upward.

Read from the source (every import statement, at any depth), so an import inside a function
counts too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(path: Path) -> set[str]:
    """The modules ``path`` imports: ``from ui import work`` names ``ui.work``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def circle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of ``graph`` (module -> the modules it imports), or [] when there is none."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        for other in sorted(graph[module]):
            found = visit(other, [*path, module])
            if found:
                return found
        done.add(module)
        return []

    for module in sorted(graph):
        found = visit(module, [])
        if found:
            return found
    return []


def test_the_circle_finder_finds_a_circle():
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_ui_modules_import_each_other_one_way():
    modules = {f"ui.{path.stem}": path for path in (ROOT / "ui").glob("*.py") if path.stem != "__init__"}
    graph = {name: imported(path) & set(modules) for name, path in modules.items()}
    assert not circle(graph), f"ui modules in a circle: {' -> '.join(circle(graph))}"


@pytest.mark.parametrize("path", sorted((ROOT / "optviz" / "settings").glob("*.py")), ids=lambda path: path.name)
def test_the_settings_layer_imports_only_lower_layers(path):
    upward = ("optviz.study", "optviz.teach", "optviz.draw", "ui", "streamlit")
    found = sorted(name for name in imported(path) if any(name == up or name.startswith(f"{up}.") for up in upward))
    assert not found, f"optviz/settings/{path.name} imports from a higher layer: {found}"
