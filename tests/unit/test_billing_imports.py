"""Money modules import one way: invoices, payments, wallets and collection form no cycle, and
none of them hides one behind a function-local import."""

from __future__ import annotations

import ast
from pathlib import Path

BILLING = Path(__file__).resolve().parents[2] / "kassa" / "services" / "billing"
PACKAGE = "kassa.services.billing"
MONEY = ("invoices", "payments", "wallets", "wallet_ledger", "collection", "credit_notes")


def billing_imports(path: Path) -> list[tuple[str, bool]]:
    """(billing module imported, whether the import is inside a function) for ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    local = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found += [(alias.name, id(node) in local) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.append((node.module.rsplit(".", 1)[1], id(node) in local))
    return found


def test_money_modules_import_each_other_one_way_at_module_level() -> None:
    graph = {name: billing_imports(BILLING / f"{name}.py") for name in MONEY}
    local = [(name, target) for name, found in graph.items()
             for target, inside in found if inside and target in MONEY]
    assert local == []
    edges = {name: {t for t, _ in found if t in MONEY} for name, found in graph.items()}

    def reaches(start: str, goal: str, seen: frozenset = frozenset()) -> bool:
        return any(t == goal or (t not in seen and reaches(t, goal, seen | {t}))
                   for t in edges[start])

    assert [name for name in MONEY if reaches(name, name)] == []
