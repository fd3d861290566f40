"""Units for a 12-line visit: median time per call, against a plain reference in the same run.

Run: python benchmarks/units.py
Target (docs/architecture.md, issue 2): <= 0.2 ms median per call for a 12-line visit.
The reference is the bare CMS arithmetic with no explanation or checks, timed the same way,
so the ratio says what the explanation and the checks cost on this machine today.
"""

from __future__ import annotations

from timing import time_per_call

from otdesk.core.units import UnitLine, compute_units

ROUNDS = 2000

VISIT = [
    UnitLine("97165", 45, False),
    UnitLine("97110", 23, True),
    UnitLine("97530", 17, True),
    UnitLine("97140", 9, True),
    UnitLine("97112", 12, True),
    UnitLine("97535", 31, True),
    UnitLine("97033", 14, True),
    UnitLine("97010", 10, False),
    UnitLine("97110", 8, True),
    UnitLine("97760", 22, True),
    UnitLine("97530", 11, True, "CO"),
    UnitLine("97018", 12, False),
]


def bare_cms(lines):
    totals: dict[str, int] = {}
    for line in lines:
        if line.timed:
            totals[line.code] = totals.get(line.code, 0) + line.minutes
    units = (sum(totals.values()) + 7) // 15
    full = {code: m // 15 for code, m in totals.items()}
    left = sorted(totals, key=lambda c: -(totals[c] % 15))
    for code in left[: units - sum(full.values())]:
        full[code] += 1
    return full


def main() -> None:
    for rule in ("cms", "per-code"):
        compute_units(VISIT, rule)  # warm up
        median, p99 = time_per_call(lambda rule=rule: compute_units(VISIT, rule), ROUNDS)
        ref_median, _ = time_per_call(lambda: bare_cms(VISIT), ROUNDS)
        print(
            f"units, 12 lines, rule={rule:<8}: median {median * 1e6:7.1f} us, "
            f"p99 {p99 * 1e6:7.1f} us; bare arithmetic {ref_median * 1e6:6.1f} us "
            f"(ratio {median / ref_median:4.1f}x); target <= 200 us: "
            + ("met" if median <= 200e-6 else "NOT met")
        )


if __name__ == "__main__":
    main()
