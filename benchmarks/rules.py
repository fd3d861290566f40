"""All rules on a 12-line visit: median time per call, against compute_units alone in the
same run.

Run: python benchmarks/rules.py
Target (docs/architecture.md): units and all rules for a 12-line visit <= 1 ms median.
Three figures: the rules with a dictionary dx check (the engine alone), with the real
ICD-10-CM index's validate (what the app and `otdesk rules check` do; built on first use in
the cache folder, or $OTDESK_CACHE_DIR), and with an imported CMS-sized PTP table (SQLite,
queried by the visit's codes; 400,000 synthetic edits written to a temporary folder).
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from timing import time_per_call

from otdesk.core.catalog import default_catalog
from otdesk.core.money import Money
from otdesk.core.ncci import PtpEdit, SqlitePtpTable, write_ptp_table
from otdesk.core.rules import check_visit, unit_lines
from otdesk.core.tables import RuleTables
from otdesk.core.units import compute_units
from otdesk.core.visit import (
    ChargeLine,
    PatientContext,
    PayerInfo,
    PlanOfCare,
    ProviderInfo,
    Visit,
)

TARGET = 1e-3
ROUNDS = 3000


def line(code, minutes, *mods, **kw):
    return ChargeLine(
        code=code,
        minutes=minutes,
        modifiers=("GO", *mods),
        dx_pointers=kw.pop("dx", ("A", "B")),
        allowed=Money(kw.pop("allowed", "52.00")),
        **kw,
    )


VISIT = Visit(
    date_of_service=date(2026, 11, 27),
    payer=PayerInfo(kind="medicare"),
    discipline="OT",
    place_of_service="11",
    provider=ProviderInfo(role="OT", npi="1234567893"),
    total_treatment_minutes=240,
    lines=(
        line("97165", 45),
        line("97110", 23),
        line("97530", 17),
        line("97140", 9),
        line("97112", 12),
        line("97535", 31),
        line("97033", 14),
        line("97010", 10),
        line("97110", 8),
        line("97760", 22),
        line("97530", 11, "CO", assistant_minutes=11),
        line("97018", 12),
    ),
    diagnoses=("M62.81", "R26.89", "R27.9"),
    patient=PatientContext(
        ytd_allowed={"OT": Money("2300.00"), "PT_SLP": Money("0.00")},
        treatment_days_since_progress_report=8,
        plan_of_care=PlanOfCare(date(2026, 10, 1), date(2026, 12, 29)),
    ),
)


class DictDx:
    status = "valid"
    message = "billable"
    children: list[str] = []

    def __call__(self, code):
        return self


def report(name, median, p99, units_median):
    verdict = "met" if median <= TARGET else "NOT met"
    print(
        f"{name:<44} median {median * 1e6:7.1f} us, p99 {p99 * 1e6:7.1f} us "
        f"({median / units_median:4.1f}x units alone); target <= 1000 us: {verdict}"
    )


def big_ptp_table(folder: Path) -> SqlitePtpTable:
    rng = random.Random(7)
    codes = [f"{n:05d}" for n in range(10000, 99999, 7)]
    edits = [
        PtpEdit(rng.choice(codes), rng.choice(codes), date(2020, 1, 1), None, rng.choice((0, 1)))
        for _ in range(400_000)
    ]
    edits.append(PtpEdit("97140", "97530", date(2020, 1, 1), None, 1))
    path = folder / "ncci_ptp.sqlite3"
    write_ptp_table(path, edits)
    return SqlitePtpTable(path)


def main() -> None:
    catalog = default_catalog()
    tables = RuleTables.shipped()
    dx = DictDx()
    result = check_visit(VISIT, catalog=catalog, dx_check=dx, tables=tables)  # warm up
    print(f"12-line visit: {len(result.findings)} findings, {result.units.total_units} units")

    lines = unit_lines(VISIT, catalog)
    units_median, units_p99 = time_per_call(lambda: compute_units(lines, "cms"), ROUNDS)
    print(
        f"{'compute_units alone':<44} median {units_median * 1e6:7.1f} us, "
        f"p99 {units_p99 * 1e6:7.1f} us"
    )
    median, p99 = time_per_call(
        lambda: check_visit(VISIT, catalog=catalog, dx_check=dx, tables=tables), ROUNDS
    )
    report("check_visit, dict dx check, shipped tables", median, p99, units_median)

    try:
        from otdesk.core import icd

        index = icd.open_index()
    except Exception as error:  # the benchmark still reports the engine alone
        print(f"(real ICD index not available: {error})", file=sys.stderr)
    else:
        with index:
            median, p99 = time_per_call(
                lambda: check_visit(VISIT, catalog=catalog, dx_check=index.validate, tables=tables),
                ROUNDS,
            )
        report("check_visit, real ICD-10-CM index", median, p99, units_median)

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        ptp = big_ptp_table(Path(folder))
        built = time.perf_counter() - start
        big = RuleTables(ptp=ptp, mue=tables.mue, kx=tables.kx, deleted=tables.deleted)
        median, p99 = time_per_call(
            lambda: check_visit(VISIT, catalog=catalog, dx_check=dx, tables=big), ROUNDS
        )
        report("check_visit, 400k-edit imported PTP table", median, p99, units_median)
        ptp._cache.clear()
        start = time.perf_counter()
        ptp.edits_among(frozenset(ln.code for ln in VISIT.lines))
        print(
            f"  (first, uncached PTP query {(time.perf_counter() - start) * 1e6:.0f} us; "
            f"table written in {built:.1f} s)"
        )


if __name__ == "__main__":
    main()
