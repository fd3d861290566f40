"""CSV files the clinic exchanges with spreadsheets: read whole and checked before anything
is stored (Excel's "CSV UTF-8", with a byte-order mark, is accepted), written as UTF-8 with a
byte-order mark so Excel shows accents, owner-only on POSIX (they hold patient data).

The imports (fees, patients) report what they did as an ImportReport and find payers by
name or payer ID with payer_lookup."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from otdesk.services.errors import ImportRejectedError, ValidationError
from otdesk.storage import schema as s
from otdesk.storage.backups import secure_file

MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int

    @property
    def total(self) -> int:
        return self.added + self.updated


def read_rows(
    path: Path, required: Sequence[str], optional: Sequence[str] = ()
) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for every non-blank data row; the header is row 1.
    Header names are matched case-insensitively, spaces read as underscores."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ImportRejectedError(path, None, "file", "The file is too large for a CSV import.")
        data = path.read_bytes()
    except OSError as error:
        raise ImportRejectedError(
            path, None, "file", f"Cannot read it ({error.strerror})."
        ) from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejectedError(
            path,
            None,
            "file",
            'It is not UTF-8 text; in Excel use Save As > "CSV UTF-8 (Comma delimited)".',
        ) from None
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRejectedError(path, None, "file", "The file is empty.") from None
    except csv.Error as error:
        raise ImportRejectedError(path, 1, "file", f"Not a CSV row ({error}).") from None
    names = [cell.strip().lower().replace(" ", "_") for cell in header]
    known = set(required) | set(optional)
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise ImportRejectedError(
            path,
            1,
            "header",
            f"Unknown column {unknown[0]!r}; the columns are: {', '.join([*required, *optional])}.",
        )
    missing = [name for name in required if name not in names]
    if missing:
        raise ImportRejectedError(path, 1, "header", f"The column {missing[0]!r} is missing.")
    if len(set(names)) != len(names):
        raise ImportRejectedError(path, 1, "header", "A column is listed twice.")
    rows = []
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(names):
                raise ImportRejectedError(
                    path,
                    row_number,
                    "row",
                    f"It has {len(cells)} cells; the header has {len(names)}.",
                )
            padded = [*cells, *[""] * (len(names) - len(cells))]
            rows.append(
                (
                    row_number,
                    {name: cell.strip() for name, cell in zip(names, padded, strict=True) if name},
                )
            )
    except csv.Error as error:
        raise ImportRejectedError(path, row_number, "row", f"Not a CSV row ({error}).") from None
    return rows


def reject(path: Path, row: int, error: ValidationError) -> ImportRejectedError:
    """A field error of one row, as the whole file's rejection."""
    return ImportRejectedError(path, row, error.field, str(error))


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a CSV file atomically (a temporary file renamed into place); returns the number
    of data rows."""
    path = Path(path)
    temporary = path.with_name(path.name + ".partial")
    count = 0
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(fd, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if cell is None else cell for cell in row])
                count += 1
        secure_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        if temporary.exists():
            temporary.unlink()
        raise
    return count


def payer_lookup(connection: Connection) -> dict[str, int]:
    """Payer ids by the name or payer ID a CSV file gives (any case). A name wins over another
    payer's identical payer ID: names are what people type; the IDs are a fallback."""
    lookup: dict[str, int] = {}
    for payer_id, name, code in connection.execute(
        select(s.payers.c.id, s.payers.c.name, s.payers.c.payer_code)
    ):
        lookup[name.casefold()] = payer_id
        if code:
            lookup.setdefault(code.casefold(), payer_id)
    return lookup
