"""Minutes to billable units: the CMS total-time ("8-minute") method and the per-code
("substantial portion") method, with an explanation a biller can check by hand.

Sources: Medicare Claims Processing Manual, Pub 100-04, ch. 5, section 20.2 (CMS method);
AMA CPT time rule as published by Premera and Blue Cross of Idaho (per-code method).
See DOMAIN.md section 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

UNIT_MINUTES = 15
# A unit is earned once more than half of a 15-minute unit (8 minutes) is reached.
MIDPOINT_MINUTES = 8
MAX_MINUTES = 24 * 60


class UnitRule(StrEnum):
    CMS = "cms"
    PER_CODE = "per-code"


class UnitsInputError(ValueError):
    """A line the units engine cannot use; the message names the line."""


@dataclass(frozen=True, slots=True)
class UnitLine:
    """One activity of the visit: a code, its minutes and whether the code is timed.

    `group` keeps apart lines of one code that must stay separate on a claim (e.g. the part
    done by an assistant, billed with CO/CQ); lines with the same code and group merge.
    """

    code: str
    minutes: int
    timed: bool
    group: str = ""


@dataclass(frozen=True, slots=True)
class LineUnits:
    code: str
    minutes: int
    timed: bool
    units: int
    group: str = ""
    # indexes of the input lines counted in this line (more than one when merged)
    sources: tuple[int, ...] = ()
    full_units: int = 0
    remainder: int = 0


@dataclass(frozen=True, slots=True)
class UnitsResult:
    rule: UnitRule
    lines: tuple[LineUnits, ...]
    total_timed_minutes: int
    total_units: int  # timed units only
    untimed_units: int
    total_minutes: int  # timed and untimed minutes together
    explanation: str

    def units_for_input(self, index: int) -> int:
        """Units of the merged line that holds input line `index`, or 0 if unknown."""
        for line in self.lines:
            if index in line.sources:
                return line.units
        return 0

    def to_json(self) -> dict[str, object]:
        return {
            "rule": str(self.rule),
            "total_timed_minutes": self.total_timed_minutes,
            "total_units": self.total_units,
            "lines": [
                {"code": ln.code, "minutes": ln.minutes, "units": ln.units, "timed": ln.timed}
                for ln in self.lines
            ],
            "explanation": self.explanation,
        }


def cms_units_for_total(total_timed_minutes: int) -> int:
    """Units the CMS table gives for a day's total timed minutes (0-7 -> 0, 8-22 -> 1, ...)."""
    if total_timed_minutes < MIDPOINT_MINUTES:
        return 0
    return (total_timed_minutes - MIDPOINT_MINUTES) // UNIT_MINUTES + 1


def per_code_units(minutes: int) -> int:
    """Units of one timed code on its own: a unit per 15 minutes, one more from 8 left."""
    full, left = divmod(minutes, UNIT_MINUTES)
    return full + (1 if left >= MIDPOINT_MINUTES else 0)


def compute_units(lines: Sequence[UnitLine], rule: UnitRule | str) -> UnitsResult:
    """Units for the lines of one patient, one date of service and one discipline."""
    rule = parse_rule(rule)
    for index, line in enumerate(lines):
        _check_line(index, line)
    merged, merge_notes = _merge(lines)
    timed = [ln for ln in merged if ln.timed]
    untimed = [ln for ln in merged if not ln.timed]
    total_timed = sum(ln.minutes for ln in timed)

    if rule is UnitRule.CMS:
        timed_units, timed_text = _cms(timed, total_timed)
    else:
        timed_units, timed_text = _per_code(timed)

    by_key = {(ln.code, ln.group): ln for ln in timed_units}
    result_lines = tuple(by_key[(ln.code, ln.group)] if ln.timed else _untimed(ln) for ln in merged)
    parts = list(merge_notes)
    if timed_text:
        parts.append(timed_text)
    if untimed:
        parts.append(_untimed_text(untimed))
    if not merged:
        parts.append("No lines yet: 0 units.")
    total_units = sum(ln.units for ln in result_lines if ln.timed)
    untimed_units = sum(ln.units for ln in result_lines if not ln.timed)
    return UnitsResult(
        rule=rule,
        lines=result_lines,
        total_timed_minutes=total_timed,
        total_units=total_units,
        untimed_units=untimed_units,
        total_minutes=total_timed + sum(ln.minutes for ln in untimed),
        explanation=" ".join(parts),
    )


def parse_rule(rule: UnitRule | str) -> UnitRule:
    try:
        return UnitRule(rule)
    except ValueError:
        names = ", ".join(r.value for r in UnitRule)
        raise UnitsInputError(f"Unknown units rule {rule!r}: use one of {names}.") from None


def _check_line(index: int, line: UnitLine) -> None:
    where = f"Line {index + 1} ({line.code})"
    if isinstance(line.minutes, bool) or not isinstance(line.minutes, int):
        raise UnitsInputError(f"{where}: minutes must be a whole number, not {line.minutes!r}.")
    if line.minutes < 0:
        raise UnitsInputError(f"{where}: minutes cannot be negative ({line.minutes}).")
    if line.minutes > MAX_MINUTES:
        raise UnitsInputError(
            f"{where}: {line.minutes} minutes is more than a day ({MAX_MINUTES} minutes)."
        )


@dataclass(slots=True)
class _Merged:
    code: str
    group: str
    timed: bool
    minutes: int
    sources: list[int]
    parts: list[int]


def _merge(lines: Sequence[UnitLine]) -> tuple[list[_Merged], list[str]]:
    # Medicare wants one claim line per timed code per date, so repeated timed lines add up.
    # Untimed lines stay apart: each is a service of its own.
    merged: list[_Merged] = []
    by_key: dict[tuple[str, str], _Merged] = {}
    for index, line in enumerate(lines):
        key = (line.code, line.group)
        if line.timed and key in by_key:
            target = by_key[key]
            target.minutes += line.minutes
            target.sources.append(index)
            target.parts.append(line.minutes)
            continue
        entry = _Merged(line.code, line.group, line.timed, line.minutes, [index], [line.minutes])
        merged.append(entry)
        if line.timed:
            by_key[key] = entry
    notes = []
    for entry in merged:
        if len(entry.sources) > 1:
            added = " + ".join(str(m) for m in entry.parts)
            notes.append(
                f"{_name(entry)} was entered on {len(entry.sources)} lines ({added} min); "
                f"they count as one line of {entry.minutes} min."
            )
    return merged, notes


def _cms(timed: list[_Merged], total: int) -> tuple[list[LineUnits], str]:
    if not timed:
        return [], ""
    units_total = cms_units_for_total(total)
    full = {id(ln): ln.minutes // UNIT_MINUTES for ln in timed}
    left = {id(ln): ln.minutes % UNIT_MINUTES for ln in timed}
    leftover_units = units_total - sum(full.values())
    # Most remaining minutes first; a tie goes to the code with more minutes in all, then to
    # the line entered first, so the same visit always bills the same way.
    order = sorted(
        range(len(timed)),
        key=lambda i: (-left[id(timed[i])], -timed[i].minutes, i),
    )
    winners = set(order[:leftover_units])
    results = []
    for i, ln in enumerate(timed):
        units = full[id(ln)] + (1 if i in winners else 0)
        results.append(_line_units(ln, units, full[id(ln)], left[id(ln)]))

    unit_word = _plural(units_total, "unit")
    text = [f"CMS total-time rule: {total} timed minutes -> {units_total} {unit_word}."]
    text.append(
        "; ".join(
            f"{_name(ln)}: {ln.minutes} min = {full[id(ln)]} full "
            f"{_plural(full[id(ln)], 'unit')} + {left[id(ln)]} min"
            for ln in timed
        )
        + "."
    )
    if leftover_units > 0:
        text.append(_leftover_text(timed, order, leftover_units, left))
    elif total < MIDPOINT_MINUTES:
        text.append(f"Under {MIDPOINT_MINUTES} timed minutes in all bills no timed unit.")
    else:
        text.append("No units are left over after the full units.")
    return results, " ".join(text)


def _leftover_text(timed: list[_Merged], order: list[int], count: int, left: dict[int, int]) -> str:
    winners = [timed[i] for i in order[:count]]
    losers = [timed[i] for i in order[count:]]
    if count == 1:
        sentence = f"The 1 unit left goes to {_name(winners[0])}, which has the most minutes left"
    else:
        names = ", ".join(_name(ln) for ln in winners)
        sentence = (
            f"The {count} units left go one each to the codes with the most minutes left: {names}"
        )
    if not losers:
        return sentence + "."
    last, rival = winners[-1], losers[0]
    if left[id(last)] > left[id(rival)]:
        return sentence + f" ({left[id(last)]} min > {left[id(rival)]} min for {_name(rival)})."
    reason = (
        "it has more minutes in all"
        if last.minutes > rival.minutes
        else "it was entered first (same minutes in all)"
    )
    return (
        sentence + f". {_name(last)} and {_name(rival)} tie at {left[id(last)]} min left; "
        f"the tie goes to {_name(last)} because {reason}."
    )


def _per_code(timed: list[_Merged]) -> tuple[list[LineUnits], str]:
    if not timed:
        return [], ""
    results = []
    parts = []
    for ln in timed:
        full, left = divmod(ln.minutes, UNIT_MINUTES)
        units = per_code_units(ln.minutes)
        results.append(_line_units(ln, units, full, left))
        if left == 0:
            tail = ""
        elif left >= MIDPOINT_MINUTES:
            tail = f" + {left} min (8 or more: one more unit)"
        else:
            tail = f" + {left} min (under 8: no unit)"
        parts.append(
            f"{_name(ln)}: {ln.minutes} min = {full} full {_plural(full, 'unit')}{tail}"
            f" -> {units} {_plural(units, 'unit')}"
        )
    total_units = sum(r.units for r in results)
    total = sum(ln.minutes for ln in timed)
    return results, (
        "Per-code rule: each code is counted on its own, a unit per 15 minutes and one more "
        "for 8 or more minutes left; minutes are not added across codes. "
        + "; ".join(parts)
        + f". {total} timed minutes -> {total_units} {_plural(total_units, 'unit')} in all."
    )


def _untimed(ln: _Merged) -> LineUnits:
    return LineUnits(
        code=ln.code,
        minutes=ln.minutes,
        timed=False,
        units=1,
        group=ln.group,
        sources=tuple(ln.sources),
    )


def _untimed_text(untimed: list[_Merged]) -> str:
    names = ", ".join(_name(ln) for ln in untimed)
    each = "1 unit" if len(untimed) == 1 else "1 unit each"
    return (
        f"Untimed (service-based), {each}: {names}; "
        "untimed minutes do not count toward the timed total."
    )


def _line_units(ln: _Merged, units: int, full: int, left: int) -> LineUnits:
    return LineUnits(
        code=ln.code,
        minutes=ln.minutes,
        timed=True,
        units=units,
        group=ln.group,
        sources=tuple(ln.sources),
        full_units=full,
        remainder=left,
    )


def _name(ln: _Merged) -> str:
    return f"{ln.code}-{ln.group}" if ln.group else ln.code


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"
