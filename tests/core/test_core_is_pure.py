"""otdesk/core must not import Qt, SQL engines or PDF libraries (docs/architecture.md)."""

import ast
from pathlib import Path

import otdesk.core

FORBIDDEN = ("PySide6", "sqlalchemy", "reportlab", "alembic", "shiboken6", "pypdf")
CORE_DIR = Path(otdesk.core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_has_modules_to_check():
    assert len(list(CORE_DIR.rglob("*.py"))) >= 4


def test_core_imports_no_ui_sql_or_pdf_library():
    offenders = {}
    for path in sorted(CORE_DIR.rglob("*.py")):
        bad = sorted(name for name in imported_modules(path) if name.split(".")[0] in FORBIDDEN)
        if bad:
            offenders[str(path.relative_to(CORE_DIR))] = bad
    assert offenders == {}


def test_the_checker_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom PySide6.QtCore import Qt\ndef f():\n    import reportlab\n")
    assert {"PySide6.QtCore", "reportlab"} <= imported_modules(sample)
