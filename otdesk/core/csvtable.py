"""Reading the CSV tables otdesk ships and imports (procedures, modifiers, NCCI, MUE, KX,
deleted codes): a header row naming the columns, one row per line, UTF-8."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path


def read_table(
    path: Path, columns: tuple[str, ...], error: type[ValueError] = ValueError
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV table as (line number, row), read as they are needed (CMS tables
    hold millions of rows), after checking the header has `columns`. Blank lines are
    skipped. Every problem raises `error` naming the file and the line."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file, strict=True)
            try:
                header = [name.strip() for name in next(reader, [])]
                if not header:
                    raise error(f"{path}, line 1: the file is empty; it needs a header row.")
                missing = [name for name in columns if name not in header]
                if missing:
                    raise error(
                        f"{path}, line 1: the header lacks column(s) {', '.join(missing)}; "
                        f"expected {','.join(columns)}."
                    )
                for fields in reader:
                    if not any(value.strip() for value in fields):
                        continue
                    if len(fields) != len(header):
                        raise error(
                            f"{path}, line {reader.line_num}: {len(fields)} fields where the "
                            f"header has {len(header)} (a value containing a comma needs "
                            "double quotes)."
                        )
                    yield reader.line_num, dict(zip(header, fields, strict=True))
            except csv.Error as problem:
                raise error(f"{path}, line {reader.line_num}: {problem}.") from None
    except UnicodeDecodeError as problem:
        raise error(f"{path}: not UTF-8 text ({problem.reason}).") from None
    except OSError as problem:
        raise error(f"{path}: cannot be read ({problem.strerror}).") from None
