"""The dated reference tables the rules engine reads: NCCI PTP edits, MUE values, Medicare
therapy (KX) thresholds and deleted codes, bundled as RuleTables.

Everything year-dependent lives in data files chosen by the date of service, never in code
(DOMAIN.md). A clinic can update them without a new release:
- `otdesk ncci import` / `otdesk mue import` write an imported table to the user data
  folder, which then replaces the shipped table as a whole;
- a kx_thresholds.csv or deleted_codes.csv placed in the user data folder (same columns as
  the shipped file) adds rows or overrides rows with the same year / code.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from otdesk.core.catalog import code_format_problem, normalize_code
from otdesk.core.money import Money, MoneyError
from otdesk.core.ncci import (
    MUE_FILE_NAME,
    PTP_FILE_NAME,
    MemoryPtpTable,
    MueValue,
    PtpEdit,
    PtpTable,
    SqlitePtpTable,
    TableError,
    read_csv_table,
    read_mue_csv,
    read_ptp_csv,
)
from otdesk.paths import data_file

KX_FILE_NAME = "kx_thresholds.csv"
DELETED_FILE_NAME = "deleted_codes.csv"
KX_COLUMNS = ("year", "kx_threshold", "medical_review_threshold", "source")
DELETED_COLUMNS = ("code", "deleted_on", "replacements", "note", "source")

__all__ = [
    "DeletedCode",
    "KxThreshold",
    "RuleTables",
    "TableError",
    "read_deleted_codes",
    "read_kx_thresholds",
]


@dataclass(frozen=True, slots=True)
class KxThreshold:
    """The Medicare therapy figures of one calendar year, per bucket (OT; PT and SLP
    together). `kx` None: not published yet."""

    year: int
    kx: Money | None
    medical_review: Money | None
    source: str = ""


@dataclass(frozen=True, slots=True)
class DeletedCode:
    """A procedure code no longer valid for dates of service on or after `deleted_on`."""

    code: str
    deleted_on: date
    replacements: tuple[str, ...]
    note: str = ""
    source: str = ""

    def is_deleted_on(self, day: date) -> bool:
        return day >= self.deleted_on


@dataclass(frozen=True)
class RuleTables:
    """The reference tables one check uses. Build with `RuleTables.load(user_dir)` (shipped
    files plus the clinic's imports) or directly in tests."""

    ptp: PtpTable = field(default_factory=lambda: MemoryPtpTable((), "no PTP edits"))
    mue: Mapping[str, MueValue] = field(default_factory=dict)
    kx: Mapping[int, KxThreshold] = field(default_factory=dict)
    deleted: Mapping[str, DeletedCode] = field(default_factory=dict)
    mue_description: str = "no MUE values"

    @classmethod
    def from_rows(
        cls,
        ptp: Iterable[PtpEdit] = (),
        mue: Iterable[MueValue] = (),
        kx: Iterable[KxThreshold] = (),
        deleted: Iterable[DeletedCode] = (),
    ) -> RuleTables:
        """Tables built from rows in memory (tests, services that hold their own)."""
        return cls(
            ptp=MemoryPtpTable(ptp),
            mue={value.code: value for value in mue},
            kx={row.year: row for row in kx},
            deleted={row.code: row for row in deleted},
            mue_description="MUE values given in memory",
        )

    @classmethod
    def shipped(cls) -> RuleTables:
        """The tables otdesk ships in data/, read once per process."""
        return _shipped()

    @classmethod
    def load(cls, user_dir: Path | None = None) -> RuleTables:
        """The shipped tables overlaid with the clinic's imports in `user_dir` (imported
        PTP and MUE tables replace the shipped ones; user kx_thresholds.csv and
        deleted_codes.csv rows add to or override shipped rows). Cached: a later call sees
        a new import because the cache key holds the files' modification times."""
        if user_dir is None:
            return _shipped()
        user_dir = Path(user_dir)
        key = (str(user_dir.resolve()), _signature(user_dir))
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        tables = _load_user(user_dir)
        with _cache_lock:
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = tables
        return tables

    def kx_for_year(self, year: int) -> KxThreshold | None:
        return self.kx.get(year)

    def describe(self) -> list[str]:
        """One line per table saying where it comes from."""
        years = sorted(self.kx)
        span = f"{years[0]}-{years[-1]}" if years else "none"
        return [
            f"NCCI PTP edits: {self.ptp.description}",
            f"MUE values: {self.mue_description}",
            f"KX thresholds: years {span}",
            f"Deleted codes: {len(self.deleted)}",
        ]


_cache: dict[tuple[str, tuple], RuleTables] = {}
_cache_lock = threading.Lock()
_USER_FILES = (PTP_FILE_NAME, MUE_FILE_NAME, KX_FILE_NAME, DELETED_FILE_NAME)


def _signature(user_dir: Path) -> tuple:
    parts: list[tuple[int, int, int] | None] = []
    for name in _USER_FILES:
        try:
            stat = (user_dir / name).stat()
        except OSError:
            parts.append(None)
        else:
            parts.append((stat.st_mtime_ns, stat.st_size, stat.st_ino))
    return tuple(parts)


@functools.cache
def _shipped() -> RuleTables:
    return RuleTables(
        ptp=MemoryPtpTable(
            read_ptp_csv(data_file("ncci_ptp.csv")),
            "otdesk's starter pairs (data/ncci_ptp.csv); import the CMS file to replace them",
        ),
        mue=read_mue_csv(data_file("mue.csv")),
        kx=read_kx_thresholds(data_file(KX_FILE_NAME)),
        deleted=read_deleted_codes(data_file(DELETED_FILE_NAME)),
        mue_description="otdesk ships none (data/mue.csv); import the CMS file",
    )


def _load_user(user_dir: Path) -> RuleTables:
    base = _shipped()
    ptp: PtpTable = base.ptp
    mue: Mapping[str, MueValue] = base.mue
    mue_description = base.mue_description
    ptp_path = user_dir / PTP_FILE_NAME
    if ptp_path.is_file():
        ptp = SqlitePtpTable(ptp_path, f"imported CMS table ({ptp_path})")
    mue_path = user_dir / MUE_FILE_NAME
    if mue_path.is_file():
        mue = read_mue_csv(mue_path)
        mue_description = f"imported CMS table ({mue_path})"
    kx = dict(base.kx)
    if (user_dir / KX_FILE_NAME).is_file():
        kx.update(read_kx_thresholds(user_dir / KX_FILE_NAME))
    deleted = dict(base.deleted)
    if (user_dir / DELETED_FILE_NAME).is_file():
        deleted.update(read_deleted_codes(user_dir / DELETED_FILE_NAME))
    return RuleTables(ptp=ptp, mue=mue, kx=kx, deleted=deleted, mue_description=mue_description)


# --- readers -----------------------------------------------------------------------------------


def read_kx_thresholds(path: Path) -> dict[int, KxThreshold]:
    """kx_thresholds.csv by year; a blank amount means "not published yet"."""
    rows: dict[int, KxThreshold] = {}
    for line, row in read_csv_table(path, KX_COLUMNS):
        try:
            year_text = row["year"].strip()
            if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
                raise ValueError(f"year {year_text!r} is not a 4-digit year")
            year = int(year_text)
            if year in rows:
                raise ValueError(f"year {year} is listed twice")
            kx = _amount(row["kx_threshold"], "kx_threshold")
            review = _amount(row["medical_review_threshold"], "medical_review_threshold")
        except ValueError as error:
            raise TableError(f"{path}, line {line}: {error}.") from None
        rows[year] = KxThreshold(year, kx, review, " ".join(row["source"].split()))
    return rows


def read_deleted_codes(path: Path) -> dict[str, DeletedCode]:
    """deleted_codes.csv by code; replacements are separated by ";"."""
    rows: dict[str, DeletedCode] = {}
    for line, row in read_csv_table(path, DELETED_COLUMNS):
        try:
            code = _code(row["code"])
            if code in rows:
                raise ValueError(f"code {code} is listed twice")
            try:
                deleted_on = date.fromisoformat(row["deleted_on"].strip())
            except ValueError:
                raise ValueError(
                    f"deleted_on {row['deleted_on'].strip()!r} is not a date (YYYY-MM-DD)"
                ) from None
            replacements = tuple(
                _code(part) for part in row["replacements"].split(";") if part.strip()
            )
            if code in replacements:
                raise ValueError(f"code {code} cannot replace itself")
        except ValueError as error:
            raise TableError(f"{path}, line {line}: {error}.") from None
        rows[code] = DeletedCode(
            code=code,
            deleted_on=deleted_on,
            replacements=replacements,
            note=" ".join(row["note"].split()),
            source=" ".join(row["source"].split()),
        )
    return rows


def _code(text: str) -> str:
    problem = code_format_problem(text)
    if problem:
        raise ValueError(problem.rstrip("."))
    return normalize_code(text)


def _amount(text: str, column: str) -> Money | None:
    value = text.strip()
    if not value:
        return None
    try:
        amount = Money(value)
    except MoneyError:
        raise ValueError(f"{column} {value!r} is not an amount") from None
    if amount.amount <= 0:
        raise ValueError(f"{column} {value!r} must be more than zero")
    return amount
