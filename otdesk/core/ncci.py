"""NCCI procedure-to-procedure (PTP) edits and Medically Unlikely Edits (MUE).

Two sources for each table: the small starter tables otdesk ships (data/ncci_ptp.csv,
data/mue.csv, each row with its source) and the CMS quarterly practitioner files a clinic
imports with `otdesk ncci import` / `otdesk mue import`. An imported table replaces the
shipped one as a whole (see DOMAIN.md section 3).

The CMS practitioner PTP files hold millions of rows, so an imported PTP table is an SQLite
file queried by the codes of a visit; the MUE table (some 15,000 rows) is a CSV file read
into a dict. Both are written to a temporary file first and moved into place with
os.replace, so a rejected or interrupted import leaves the previous table in force.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from otdesk.core.csvtable import read_table

PTP_FILE_NAME = "ncci_ptp.sqlite3"
MUE_FILE_NAME = "mue.csv"
PTP_COLUMNS = (
    "column1",
    "column2",
    "prior_1996",
    "effective",
    "deletion",
    "modifier",
    "rationale",
    "source",
)
MUE_COLUMNS = ("code", "mue", "adjudication_indicator", "rationale", "source")
# Modifier indicator: 0 = no modifier bypasses the edit, 1 = a distinct-service modifier may
# (with documentation), 9 = not applicable (the edit is void).
MODIFIER_INDICATORS = (0, 1, 9)
MUE_INDICATORS = {
    1: "Line Edit",
    2: "Date of Service Edit: Policy",
    3: "Date of Service Edit: Clinical",
}

_CMS_CODE = re.compile(r"[0-9A-Z]{5}")
_CMS_DATE = re.compile(r"[0-9]{8}")
_MUE_INDICATOR = re.compile(r"([123])(?![0-9])\s*(.*)")
_CACHE_LIMIT = 4096


class TableError(ValueError):
    """A reference table file that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """One PTP edit: `column2` is not paid with `column1` on the same date of service,
    unless the modifier indicator is 1 and a distinct-service modifier goes on column 2."""

    column1: str
    column2: str
    effective: date
    deletion: date | None = None
    modifier: int = 1
    rationale: str = ""
    source: str = ""
    prior_1996: bool = False

    def active_on(self, day: date) -> bool:
        """In force on `day`: from the effective date up to the day before the deletion
        date (CMS: the edit no longer applies on and after its deletion date)."""
        if day < self.effective:
            return False
        return self.deletion is None or day < self.deletion


@dataclass(frozen=True, slots=True)
class MueValue:
    """A Medically Unlikely Edit: at most `value` units of `code` (per line for indicator 1,
    per date of service for indicators 2 and 3)."""

    code: str
    value: int
    indicator: int
    rationale: str = ""
    source: str = ""

    @property
    def indicator_text(self) -> str:
        return f"{self.indicator} {MUE_INDICATORS.get(self.indicator, '')}".strip()

    @property
    def per_line(self) -> bool:
        return self.indicator == 1


class PtpTable(Protocol):
    """Where the PTP edits come from; the rules ask only for the edits among a visit's
    codes."""

    description: str

    def edits_among(self, codes: frozenset[str]) -> Sequence[PtpEdit]:
        """Every edit (in force or not) whose two codes are both in `codes`."""
        ...


class MemoryPtpTable:
    """PTP edits held in memory (the shipped starter table, tests)."""

    def __init__(self, edits: Iterable[PtpEdit], description: str = "PTP edits") -> None:
        self.description = description
        self._by_column1: dict[str, list[PtpEdit]] = {}
        for edit in edits:
            self._by_column1.setdefault(edit.column1, []).append(edit)

    def __len__(self) -> int:
        return sum(len(edits) for edits in self._by_column1.values())

    def edits_among(self, codes: frozenset[str]) -> Sequence[PtpEdit]:
        found: list[PtpEdit] = []
        for code in codes:
            for edit in self._by_column1.get(code, ()):
                if edit.column2 in codes:
                    found.append(edit)
        return found


class SqlitePtpTable:
    """An imported CMS PTP table, queried by code. Answers are cached per set of codes (a
    clinic bills the same few combinations all day); each thread gets its own read-only
    connection."""

    def __init__(self, path: Path, description: str = "imported PTP edits") -> None:
        self.path = path
        self.description = description
        self._local = threading.local()
        self._cache: dict[frozenset[str], tuple[PtpEdit, ...]] = {}
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
            self._local.connection = connection
        return connection

    def edits_among(self, codes: frozenset[str]) -> Sequence[PtpEdit]:
        cached = self._cache.get(codes)
        if cached is not None:
            return cached
        marks = ",".join("?" * len(codes))
        ordered = sorted(codes)
        try:
            rows = (
                self._connection()
                .execute(
                    "SELECT column1, column2, prior_1996, effective, deletion, modifier, "
                    f"rationale, source FROM ptp WHERE column1 IN ({marks}) "
                    f"AND column2 IN ({marks})",
                    (*ordered, *ordered),
                )
                .fetchall()
            )
        except sqlite3.Error as error:
            raise TableError(
                f"{self.path}: the imported PTP table cannot be read ({error})."
            ) from None
        edits = tuple(
            PtpEdit(
                column1=c1,
                column2=c2,
                prior_1996=bool(prior),
                effective=date.fromisoformat(effective),
                deletion=date.fromisoformat(deletion) if deletion else None,
                modifier=int(modifier),
                rationale=rationale or "",
                source=source or "",
            )
            for c1, c2, prior, effective, deletion, modifier, rationale, source in rows
        )
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[codes] = edits
        return edits

    def count(self) -> int:
        (rows,) = self._connection().execute("SELECT count(*) FROM ptp").fetchone()
        return int(rows)


# --- the normalized tables (shipped data/ files and the imported MUE CSV) ----------------------


def read_ptp_csv(path: Path) -> list[PtpEdit]:
    """The normalized PTP CSV (data/ncci_ptp.csv): ISO dates, blank for no deletion date."""
    edits = []
    for line, row in read_csv_table(path, PTP_COLUMNS):
        try:
            column1 = _code(row["column1"], "column1")
            column2 = _code(row["column2"], "column2")
            effective = _iso_date(row["effective"], "effective")
            deletion = _iso_date(row["deletion"], "deletion") if row["deletion"].strip() else None
            modifier = _modifier(row["modifier"])
            if deletion is not None and deletion < effective:
                raise ValueError(
                    f"the deletion date {deletion} is before the effective date {effective}"
                )
        except ValueError as error:
            raise TableError(f"{path}, line {line}: {error}.") from None
        edits.append(
            PtpEdit(
                column1=column1,
                column2=column2,
                prior_1996=row["prior_1996"].strip() == "*",
                effective=effective,
                deletion=deletion,
                modifier=modifier,
                rationale=" ".join(row["rationale"].split()),
                source=" ".join(row["source"].split()),
            )
        )
    return edits


def read_mue_csv(path: Path) -> dict[str, MueValue]:
    """The normalized MUE CSV (data/mue.csv or the imported one), by code."""
    values: dict[str, MueValue] = {}
    for line, row in read_csv_table(path, MUE_COLUMNS):
        try:
            code = _code(row["code"], "code")
            value = _mue_value(row["mue"])
            indicator, _ = _mue_indicator(row["adjudication_indicator"])
            if code in values:
                raise ValueError(f"code {code} is listed twice")
        except ValueError as error:
            raise TableError(f"{path}, line {line}: {error}.") from None
        values[code] = MueValue(
            code=code,
            value=value,
            indicator=indicator,
            rationale=" ".join(row["rationale"].split()),
            source=" ".join(row["source"].split()),
        )
    return values


def read_csv_table(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a normalized CSV table as (line number, row); problems raise TableError
    naming the file and the line."""
    return read_table(path, columns, error=TableError)


def _code(text: str, what: str) -> str:
    code = text.strip().upper()
    if not _CMS_CODE.fullmatch(code):
        raise ValueError(f"{what} {text.strip()!r} is not a 5-character CPT/HCPCS code")
    return code


def _iso_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} date {text.strip()!r} is not a date (YYYY-MM-DD)") from None


def _modifier(text: str) -> int:
    value = text.strip()
    if value not in ("0", "1", "9"):
        raise ValueError(f"modifier indicator {value!r} is not 0, 1 or 9")
    return int(value)


def _mue_value(text: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise ValueError(f"MUE value {value!r} is not a whole number of units")
    return int(value)


def _mue_indicator(text: str) -> tuple[int, str]:
    match = _MUE_INDICATOR.fullmatch(text.strip())
    if not match:
        raise ValueError(
            f"MUE adjudication indicator {text.strip()!r} does not start with 1, 2 or 3"
        )
    return int(match.group(1)), match.group(2)


# --- reading the CMS quarterly files ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import wrote, for the command line and the UI."""

    kind: str  # "PTP" or "MUE"
    rows: int
    files: tuple[str, ...]
    path: Path
    first_effective: date | None = None
    last_effective: date | None = None
    in_force: int | None = None  # edits in force on the import day (PTP)

    def describe(self) -> str:
        noun = "PTP edits" if self.kind == "PTP" else "MUE values"
        names = ", ".join(self.files)
        text = f"Imported {self.rows:,} {noun} from {names}"
        if self.first_effective and self.last_effective:
            text += (
                f"; effective dates {self.first_effective.isoformat()} to "
                f"{self.last_effective.isoformat()}"
            )
        if self.in_force is not None:
            text += f"; {self.in_force:,} in force today"
        return text + f". Saved to {self.path}; it now takes precedence over the shipped table."


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise TableError(f"{path}: cannot be read ({error.strerror}).") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # CMS text files are Windows-1252 (the copyright lines hold a "©").
        return raw.decode("cp1252", errors="replace")


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a tab-separated or comma-separated file; the delimiter is
    the one of the column header (tabs win when a line has three or more)."""
    text = _read_text(path)
    lines = text.splitlines()
    tabbed = any(line.count("\t") >= 3 for line in lines[:200])
    if tabbed:
        for number, line in enumerate(lines, start=1):
            yield number, [field.strip().strip('"').strip() for field in line.split("\t")]
        return
    reader = csv.reader(lines)
    try:
        for fields in reader:
            yield reader.line_num, [field.strip() for field in fields]
    except csv.Error as error:
        raise TableError(f"{path}, line {reader.line_num + 1}: {error}.") from None


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9*=/]+", "", text.lower())


def _find_header(
    records: Iterator[tuple[int, list[str]]], path: Path, is_header, what: str
) -> tuple[int, list[str]]:
    """Skip the copyright lines; return the header line number and its column texts.
    (A second header row of an Excel export is merged in by parse_ptp_file.)"""
    for number, fields in records:
        if is_header(fields):
            return number, fields
    raise TableError(f"{path}: no column header line ({what}) was found.")


def parse_ptp_file(path: Path) -> list[PtpEdit]:
    """Edits from a CMS quarterly practitioner PTP file (tab-separated text or CSV: header
    and copyright lines, then the column header "Column 1, Column 2, * = In existence prior
    to 1996, Effective Date, Deletion Date, Modifier, PTP Edit Rationale", then one edit per
    line with YYYYMMDD dates and "*" for no deletion date). Raises TableError naming the
    line and the reason for the first problem: the file is taken whole or not at all."""
    source = f"CMS practitioner PTP file {path.name}"
    records = _records(path)

    def is_header(fields: list[str]) -> bool:
        return (
            len(fields) >= 2
            and _squash(fields[0]) in ("column1", "column1code")
            and _squash(fields[1]).startswith("column2")
        )

    header_line, header = _find_header(
        records, path, is_header, "Column 1, Column 2, ..., Effective Date, Deletion Date"
    )
    columns = [_squash(f) for f in header]
    edits: list[PtpEdit] = []
    pending_header = True
    for number, fields in records:
        if not any(fields):
            continue
        if pending_header and not fields[0]:
            # second header row of an Excel export: "", "", "=in existence ...", "Date", ...
            columns = [
                a + _squash(b) for a, b in zip(columns, fields + [""] * len(columns), strict=False)
            ]
            continue
        if pending_header:
            _check_ptp_columns(columns, path, header_line)
            pending_header = False
        try:
            edits.append(_ptp_row(fields, source))
        except ValueError as error:
            raise TableError(f"{path}, line {number}: {error}.") from None
    if pending_header:
        _check_ptp_columns(columns, path, header_line)
    if not edits:
        raise TableError(f"{path}: the file has a header but no edits.")
    return edits


def _check_ptp_columns(columns: list[str], path: Path, line: int) -> None:
    expected = {3: "effective", 4: "deletion", 5: "modifier"}
    for position, word in expected.items():
        if position >= len(columns) or word not in columns[position]:
            raise TableError(
                f"{path}, line {line}: column {position + 1} of the header should be the "
                f"{word.title()} column; the PTP layout is Column 1, Column 2, * = In "
                "existence prior to 1996, Effective Date, Deletion Date, Modifier, PTP Edit "
                "Rationale."
            )


def _ptp_row(fields: list[str], source: str) -> PtpEdit:
    while len(fields) > 7 and not fields[-1]:
        fields = fields[:-1]
    if not 6 <= len(fields) <= 7:
        raise ValueError(f"{len(fields)} fields where a PTP edit has 6 or 7")
    column1 = _code(fields[0], "column 1 code")
    column2 = _code(fields[1], "column 2 code")
    prior = fields[2]
    if prior not in ("", "*"):
        raise ValueError(f"the 'in existence prior to 1996' field is {prior!r}, not '*' or blank")
    effective = _cms_date(fields[3], "effective")
    deletion = None if fields[4] == "*" else _cms_date(fields[4], "deletion")
    if deletion is not None and deletion < effective:
        raise ValueError(f"the deletion date {fields[4]} is before the effective date {fields[3]}")
    modifier = _modifier(fields[5])
    rationale = " ".join(fields[6].split()) if len(fields) > 6 else ""
    return PtpEdit(
        column1=column1,
        column2=column2,
        prior_1996=prior == "*",
        effective=effective,
        deletion=deletion,
        modifier=modifier,
        rationale=rationale,
        source=source,
    )


def _cms_date(text: str, what: str) -> date:
    if not _CMS_DATE.fullmatch(text):
        hint = " or '*' for none" if what == "deletion" else ""
        raise ValueError(f"the {what} date {text!r} is not a YYYYMMDD date{hint}")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ValueError(f"the {what} date {text!r} is not a real date") from None


def parse_mue_file(path: Path) -> list[MueValue]:
    """Values from a CMS practitioner MUE file (CSV or tab-separated text: header and
    copyright lines, then "HCPCS/CPT Code, Practitioner Services MUE Values, MUE
    Adjudication Indicator, MUE Rationale"). Raises TableError naming the line and the
    reason for the first problem: the file is taken whole or not at all."""
    source = f"CMS practitioner MUE file {path.name}"
    records = _records(path)

    def is_header(fields: list[str]) -> bool:
        first = _squash(fields[0]) if fields else ""
        return ("hcpcs" in first or "cpt" in first) and any("mue" in _squash(f) for f in fields[1:])

    header_line, header = _find_header(
        records, path, is_header, "HCPCS/CPT Code, Practitioner Services MUE Values, ..."
    )
    columns = [_squash(f) for f in header]
    if len(columns) < 3 or "mue" not in columns[1] or "indicator" not in columns[2]:
        raise TableError(
            f"{path}, line {header_line}: the MUE layout is HCPCS/CPT Code, Practitioner "
            "Services MUE Values, MUE Adjudication Indicator, MUE Rationale."
        )
    values: list[MueValue] = []
    seen: dict[str, int] = {}
    for number, fields in records:
        if not any(fields):
            continue
        try:
            while len(fields) > 4 and not fields[-1]:
                fields = fields[:-1]
            if not 3 <= len(fields) <= 4:
                raise ValueError(f"{len(fields)} fields where an MUE row has 3 or 4")
            code = _code(fields[0], "code")
            if code in seen:
                raise ValueError(f"code {code} is listed again (first on line {seen[code]})")
            value = _mue_value(fields[1])
            indicator, _ = _mue_indicator(fields[2])
        except ValueError as error:
            raise TableError(f"{path}, line {number}: {error}.") from None
        seen[code] = number
        rationale = " ".join(fields[3].split()) if len(fields) > 3 else ""
        values.append(MueValue(code, value, indicator, rationale, source))
    if not values:
        raise TableError(f"{path}: the file has a header but no MUE values.")
    return values


# --- writing the imported tables --------------------------------------------------------------


def import_ptp_files(paths: Sequence[Path], user_dir: Path, today: date) -> ImportSummary:
    """Read one or more CMS PTP files (CMS splits the practitioner edits into several files
    by code range: give them all) and make them the clinic's PTP table. Nothing is written
    unless every file reads cleanly."""
    if not paths:
        raise TableError("Give at least one CMS PTP file.")
    edits: list[PtpEdit] = []
    for path in paths:
        edits.extend(parse_ptp_file(path))
    target = user_dir / PTP_FILE_NAME
    _write_atomically(target, lambda tmp: write_ptp_table(tmp, edits))
    effective = [edit.effective for edit in edits]
    return ImportSummary(
        kind="PTP",
        rows=len(edits),
        files=tuple(p.name for p in paths),
        path=target,
        first_effective=min(effective),
        last_effective=max(effective),
        in_force=sum(1 for edit in edits if edit.active_on(today) and edit.modifier != 9),
    )


def import_mue_file(path: Path, user_dir: Path) -> ImportSummary:
    """Read a CMS practitioner MUE file and make it the clinic's MUE table."""
    values = parse_mue_file(path)
    target = user_dir / MUE_FILE_NAME
    _write_atomically(target, lambda tmp: _write_mue_csv(tmp, values))
    return ImportSummary(kind="MUE", rows=len(values), files=(path.name,), path=target)


def _write_atomically(target: Path, write) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        if os.name == "posix":
            tmp.chmod(0o600)
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_ptp_table(path: Path, edits: Sequence[PtpEdit]) -> None:
    """Write edits as the SQLite PTP table SqlitePtpTable reads (replacing `path`)."""
    path.unlink(missing_ok=True)  # mkstemp made an empty file; SQLite wants its own
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "CREATE TABLE ptp (column1 TEXT NOT NULL, column2 TEXT NOT NULL, "
                "prior_1996 INTEGER NOT NULL, effective TEXT NOT NULL, deletion TEXT, "
                "modifier INTEGER NOT NULL, rationale TEXT NOT NULL, source TEXT NOT NULL)"
            )
            connection.executemany(
                "INSERT INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        e.column1,
                        e.column2,
                        int(e.prior_1996),
                        e.effective.isoformat(),
                        e.deletion.isoformat() if e.deletion else None,
                        e.modifier,
                        e.rationale,
                        e.source,
                    )
                    for e in edits
                ),
            )
            connection.execute("CREATE INDEX ptp_pair ON ptp (column1, column2)")
    finally:
        connection.close()
    if os.name == "posix":
        path.chmod(0o600)


def _write_mue_csv(path: Path, values: list[MueValue]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(MUE_COLUMNS)
        for value in values:
            writer.writerow(
                (value.code, value.value, value.indicator_text, value.rationale, value.source)
            )
