"""Engine-specific SQL and driver calls live in otdesk/storage/dialect.py only, so the same
services can run on PostgreSQL later."""

import ast
import re
from pathlib import Path

import otdesk.services
import otdesk.storage
import otdesk.ui

ENGINE_SPECIFIC = re.compile(
    r"\bPRAGMA\b|sqlite_master|\bimport (sqlite3|sqlcipher3)\b|sqlite3\.|sqlcipher3\.", re.I
)
# sqlite_files.py examines SQLite files as files (backups, restore candidates).
ALLOWED = {"dialect.py", "sqlite_files.py"}


def test_only_the_dialect_module_speaks_sqlite():
    offenders = []
    for package in (otdesk.storage, otdesk.services):
        for path in Path(package.__file__).parent.rglob("*.py"):
            if path.name in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ENGINE_SPECIFIC.search(line):
                    offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at its top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_the_window_imports_nothing_from_storage():
    """The window reaches the database through the services only: their results, and
    their error types (otdesk.services.errors re-exports the storage errors it meets)."""
    offenders = []
    for path in Path(otdesk.ui.__file__).parent.rglob("*.py"):
        for number, name in _imported_modules(path):
            if name == "otdesk.storage" or name.startswith("otdesk.storage."):
                offenders.append(f"{path.name}:{number}: {name}")
    assert offenders == []
