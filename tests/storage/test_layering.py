"""Engine-specific SQL and driver calls live in otdesk/storage/dialect.py only, so the same
services can run on PostgreSQL later."""

import re
from pathlib import Path

import otdesk.services
import otdesk.storage

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
