"""No import cycle between kassa's packages, nor between the modules of a package kept acyclic.

Every import that runs counts: module-level and function-local ones; an ``if TYPE_CHECKING:``
import names a type for the checker and never runs, so it does not. A package is
``kassa.<name>`` with everything below it (``kassa.api`` holds ``api.routes`` and
``api.schemas``), except that each subpackage of ``kassa.services`` (``billing``,
``subscriptions``, ``usage``) stands apart from the ``kassa.services`` modules around it; a module directly
in ``kassa/`` (``bootstrap``, ``config``, ...) is a package of its own. Migrations are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "kassa"

# Packages whose own modules import each other without a cycle.
ACYCLIC_INSIDE = ("kassa.domain", "kassa.services.subscriptions", "kassa.services.usage")

Edges = dict[tuple[str, str], list[str]]  # (from, to) -> "module:line imports target"


def modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (path, is a package ``__init__``), migrations left out."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if "migrations" in parts:
            continue
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def package_of(module: str, root: Path) -> str:
    parts = module.split(".")
    if parts[1:2] == ["services"] and len(parts) > 2 and (root / "services" / parts[2]).is_dir():
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def imports(
    module: str, path: Path, is_package: bool, known: set[str]
) -> Iterator[tuple[int, str]]:
    """(line, imported kassa module) for every import in ``path`` that runs, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for_types = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                    "typing.TYPE_CHECKING")
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in for_types:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join([*here[: len(here) - node.level + 1], *([base] if base else [])])
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known:
                yield node.lineno, target


def dependencies(root: Path, *, level: str = "package") -> Edges:
    """Import edges between packages (``level="package"``) or modules (``"module"``)."""
    found = modules(root)
    edges: Edges = {}
    for module, (path, is_package) in found.items():
        for line, target in imports(module, path, is_package, set(found)):
            a, b = package_of(module, root), package_of(target, root)
            if level == "module":
                if a != b or module == target:
                    continue
                a, b = module, target
            elif a == b:
                continue
            lines = edges.setdefault((a, b), [])
            if (text := f"{module}:{line} imports {target}") not in lines:
                lines.append(text)
    return edges


def find_cycle(edges: Edges) -> list[str] | None:
    """A cycle ``[a, b, ..., a]`` in the graph, or None."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def describe(cycle: list[str], edges: Edges) -> str:
    steps = []
    for a, b in zip(cycle, cycle[1:], strict=False):
        lines = edges[a, b]
        more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
        steps.append(f"{a} -> {b}: {', '.join(lines[:3])}{more}")
    return "import cycle " + " -> ".join(cycle) + "\n  " + "\n  ".join(steps)


def reaches(edges: Edges, start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return False


def test_no_import_cycle_between_packages() -> None:
    edges = dependencies(ROOT)
    assert ("kassa.services.subscriptions", "kassa.services") in edges  # the graph is real
    cycle = find_cycle(edges)
    assert cycle is None, describe(cycle, edges)


def test_subscriptions_usage_and_billing_depend_one_way() -> None:
    """Billing reads usage and subscriptions, usage reads subscriptions; subscriptions reach
    billing only through the hooks bootstrap registers, and usage never reaches billing."""
    edges = dependencies(ROOT)
    subscriptions, usage, billing = (f"kassa.services.{name}"
                                     for name in ("subscriptions", "usage", "billing"))
    assert {(billing, subscriptions), (billing, usage), (usage, subscriptions)} <= set(edges)
    assert not reaches(edges, subscriptions, billing)
    assert not reaches(edges, subscriptions, usage)
    assert not reaches(edges, usage, billing)


@pytest.mark.parametrize("package", ACYCLIC_INSIDE)
def test_no_import_cycle_between_the_modules_of(package: str) -> None:
    edges = {
        pair: lines
        for pair, lines in dependencies(ROOT, level="module").items()
        if package_of(pair[0], ROOT) == package and pair[0] != package and pair[1] != package
    }
    assert edges
    cycle = find_cycle(edges)
    assert cycle is None, describe(cycle, edges)


def test_the_check_names_a_cycle_through_a_function_local_import(tmp_path: Path) -> None:
    root = tmp_path / "kassa"
    for name, text in {
        "__init__.py": "",
        "ids.py": "",
        "store/__init__.py": "",
        "store/rows.py": "from kassa import ids\n\ndef load():\n    from kassa.api import app\n",
        "api/__init__.py": "",
        "api/app.py": "from ..store import rows\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    edges = dependencies(root)
    cycle = find_cycle(edges)
    assert cycle == ["kassa.api", "kassa.store", "kassa.api"]
    assert describe(cycle, edges).splitlines() == [
        "import cycle kassa.api -> kassa.store -> kassa.api",
        "  kassa.api -> kassa.store: kassa.api.app:1 imports kassa.store.rows",
        "  kassa.store -> kassa.api: kassa.store.rows:4 imports kassa.api.app",
    ]
