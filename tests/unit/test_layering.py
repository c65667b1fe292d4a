"""kassa/domain stays pure: standard library and kassa.domain only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "kassa" / "domain"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def foreign_imports(path: Path) -> list[str]:
    """Imports in ``path`` of anything but the standard library and kassa.domain."""
    return [
        f"{path.name}:{line} imports {module}"
        for line, module in _imports(path)
        if not module.startswith("kassa.domain")
        and module.split(".")[0] not in sys.stdlib_module_names
    ]


def test_domain_imports_only_the_standard_library() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) >= 3
    assert [bad for path in files for bad in foreign_imports(path)] == []


def test_the_check_catches_a_foreign_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import decimal\nimport sqlalchemy\nfrom kassa.store import tables\n"
        "from kassa.domain.money import Money\n"
    )
    assert foreign_imports(bad) == ["bad.py:2 imports sqlalchemy", "bad.py:3 imports kassa.store"]
