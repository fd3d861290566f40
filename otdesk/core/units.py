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
# CO/CQ: an assistant furnished more than 10% of a service (of a 15-minute unit since 2022).
ASSISTANT_DE_MINIMIS_PERCENT = 10
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
    # minutes of this line an assistant (OTA/PTA) furnished on their own
    assistant_minutes: int = 0
    # billed per item (an orthosis, a supply): `items` units (None: 1), minutes not counted
    per_item: bool = False
    items: int | None = None


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
    per_item: bool = False


@dataclass(frozen=True, slots=True)
class AssistantSplit:
    """A timed code's units between the therapist and the assistant, per 15-minute unit
    (CMS CY2022 Physician Fee Schedule final rule): `with_modifier` units carry CO/CQ."""

    units: int
    with_modifier: int
    without_modifier: int
    explanation: str


def assistant_split(
    units: int, therapist_minutes: int, assistant_minutes: int, modifier: str = "CO/CQ"
) -> AssistantSplit:
    """How many of a timed code's `units` carry the assistant modifier, unit by unit:
    1. each full 15 minutes the assistant furnished alone is a unit with the modifier, each
       full 15 minutes of the therapist's a unit without;
    2. a unit still to bill goes without the modifier when the therapist furnished 8 or
       more of its minutes (the therapist could bill it alone), else with the modifier when
       the assistant furnished more than 10% of a 15-minute unit (2 minutes or more);
    3. when two units are still to bill and each furnished 8 or more minutes, one goes each
       way.
    Minutes the assistant spent beside the therapist are the therapist's (not counted here).
    """
    assistant_full = min(assistant_minutes // UNIT_MINUTES, units)
    therapist_full = min(therapist_minutes // UNIT_MINUTES, units - assistant_full)
    left = units - assistant_full - therapist_full
    a_rest = assistant_minutes - assistant_full * UNIT_MINUTES
    t_rest = therapist_minutes - therapist_full * UNIT_MINUTES
    steps = [
        f"{therapist_minutes} min by the therapist and {assistant_minutes} by the assistant "
        f"-> {units} {_plural(units, 'unit')}"
    ]
    if assistant_full:
        steps.append(
            f"the assistant's {assistant_full * UNIT_MINUTES} min alone "
            f"= {assistant_full} {_plural(assistant_full, 'unit')} with {modifier}"
        )
    if therapist_full:
        steps.append(
            f"the therapist's {therapist_full * UNIT_MINUTES} min "
            f"= {therapist_full} {_plural(therapist_full, 'unit')} without"
        )
    extra_without = 0
    extra_with = 0
    if left > 0:
        if t_rest >= MIDPOINT_MINUTES:
            extra_without = 1
            steps.append(
                f"{'a further' if assistant_full or therapist_full else 'a'} unit from the "
                f"therapist's remaining {t_rest} min (8 or more: the therapist could bill it "
                "alone) goes without"
            )
        rest = left - extra_without
        if rest > 0:
            if a_rest * 100 > ASSISTANT_DE_MINIMIS_PERCENT * UNIT_MINUTES:
                extra_with = rest
                steps.append(
                    f"{rest} {_plural(rest, 'unit')} from the assistant's remaining {a_rest} "
                    f"min (more than 10% of a 15-minute unit) {'goes' if rest == 1 else 'go'}"
                    f" with {modifier}"
                )
            else:
                extra_without += rest
                steps.append(
                    f"the assistant's remaining {a_rest} min are 10% of a unit or less, so "
                    f"{rest} {_plural(rest, 'unit')} {'goes' if rest == 1 else 'go'} without"
                )
    elif a_rest or t_rest:
        steps.append(f"the remaining {a_rest + t_rest} min bill no further unit")
    with_modifier = assistant_full + extra_with
    without = therapist_full + extra_without
    return AssistantSplit(
        units=units,
        with_modifier=with_modifier,
        without_modifier=without,
        explanation="; ".join(steps) + f": {with_modifier} with {modifier} and {without} without.",
    )


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
                {
                    "code": ln.code,
                    "minutes": ln.minutes,
                    "units": ln.units,
                    "timed": ln.timed,
                    "per_item": ln.per_item,
                }
                for ln in self.lines
            ],
            "explanation": self.explanation,
        }


def units_per_line(
    result: UnitsResult, overrides: Sequence[int | None]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(computed, billed) units of each input line, one entry per `overrides` (the units
    typed on each line, None where none were). A code entered on several lines merges into
    one line billed once, on the first line entered (the others bill 0, each showing the
    merged line's computed units); typed units replace the billed ones."""
    computed = [0] * len(overrides)
    billed = [0] * len(overrides)
    for merged in result.lines:
        for position, index in enumerate(merged.sources):
            computed[index] = merged.units
            billed[index] = merged.units if position == 0 else 0
    for index, typed in enumerate(overrides):
        if typed is not None:
            billed[index] = typed
    return tuple(computed), tuple(billed)


def minutes_from_seconds(seconds: int) -> int:
    """A timer's seconds as whole minutes, half a minute rounding up (what a stopped timer
    adds to its line, and what the lines table shows meanwhile)."""
    return (max(seconds, 0) + 30) // 60


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
    untimed = [ln for ln in merged if not ln.timed and not ln.per_item]
    items = [ln for ln in merged if ln.per_item]
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
    if items:
        parts.append(_items_text(items))
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
    if line.items is not None and (
        isinstance(line.items, bool) or not isinstance(line.items, int) or line.items < 0
    ):
        raise UnitsInputError(f"{where}: the items must be a whole number, not {line.items!r}.")


@dataclass(slots=True)
class _Merged:
    code: str
    group: str
    timed: bool
    minutes: int
    sources: list[int]
    parts: list[int]
    assistant_minutes: int = 0
    per_item: bool = False
    items: int = 1


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
            target.assistant_minutes += line.assistant_minutes
            target.sources.append(index)
            target.parts.append(line.minutes)
            continue
        entry = _Merged(
            line.code,
            line.group,
            line.timed and not line.per_item,
            line.minutes,
            [index],
            [line.minutes],
            line.assistant_minutes,
            line.per_item,
            1 if line.items is None else line.items,
        )
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


def _by_code(timed: list[_Merged]) -> list[_Merged]:
    """One entry per code for the allocation (a code's CO/CQ line and its plain line are one
    service of the code), in the order the codes were entered."""
    if len({ln.code for ln in timed}) == len(timed):
        return timed  # each code on one line (the usual visit): nothing to combine
    codes: dict[str, _Merged] = {}
    for ln in timed:
        entry = codes.get(ln.code)
        if entry is None:
            codes[ln.code] = _Merged(
                ln.code,
                "",
                True,
                ln.minutes,
                list(ln.sources),
                [ln.minutes],
                ln.assistant_minutes,
            )
        else:
            entry.minutes += ln.minutes
            entry.assistant_minutes += ln.assistant_minutes
            entry.sources.extend(ln.sources)
            entry.parts.append(ln.minutes)
    return list(codes.values())


def _spread(
    timed: list[_Merged], code_units: dict[str, tuple[int, int, int]]
) -> tuple[list[LineUnits], list[str]]:
    """Each line's units from its code's (units, full, remainder): a code entered as a plain
    line and an assistant (CO/CQ) line shares its units between them unit by unit."""
    if len(code_units) == len(timed):
        # each code on one line: its units are the line's
        return [_line_units(ln, *code_units[ln.code]) for ln in timed], []
    results = []
    notes = []
    lines_of: dict[str, list[_Merged]] = {}
    for ln in timed:
        lines_of.setdefault(ln.code, []).append(ln)
    shares: dict[tuple[str, str], int] = {}
    for code, entries in lines_of.items():
        units, _full, _left = code_units[code]
        assisted = [ln for ln in entries if ln.group]
        plain = [ln for ln in entries if not ln.group]
        if not assisted or not plain:
            for position, ln in enumerate(entries):
                shares[(ln.code, ln.group)] = units if position == 0 else 0
            continue
        minutes = sum(ln.minutes for ln in entries)
        assistant = sum(ln.assistant_minutes for ln in entries)
        split = assistant_split(units, minutes - assistant, assistant, assisted[0].group)
        shares[(code, assisted[0].group)] = split.with_modifier
        shares[(code, "")] = split.without_modifier
        for extra in assisted[1:]:
            shares[(code, extra.group)] = 0
        notes.append(
            f"{code} with and without {assisted[0].group}, per 15-minute unit (CMS, since "
            f"2022): {split.explanation}"
        )
    for ln in timed:
        units, full, left = code_units[ln.code]
        results.append(_line_units(ln, shares[(ln.code, ln.group)], full, left))
    return results, notes


def _cms(timed: list[_Merged], total: int) -> tuple[list[LineUnits], str]:
    if not timed:
        return [], ""
    codes = _by_code(timed)
    units_total = cms_units_for_total(total)
    full = {id(ln): ln.minutes // UNIT_MINUTES for ln in codes}
    left = {id(ln): ln.minutes % UNIT_MINUTES for ln in codes}
    leftover_units = units_total - sum(full.values())
    # Most remaining minutes first; a tie goes to the code with more minutes in all, then to
    # the line entered first, so the same visit always bills the same way.
    order = sorted(
        range(len(codes)),
        key=lambda i: (-left[id(codes[i])], -codes[i].minutes, i),
    )
    winners = set(order[:leftover_units])
    code_units = {
        ln.code: (full[id(ln)] + (1 if i in winners else 0), full[id(ln)], left[id(ln)])
        for i, ln in enumerate(codes)
    }
    results, split_notes = _spread(timed, code_units)

    unit_word = _plural(units_total, "unit")
    text = [f"CMS total-time rule: {total} timed minutes -> {units_total} {unit_word}."]
    text.append(
        "; ".join(
            f"{_code_name(ln)}: {ln.minutes} min = {full[id(ln)]} full "
            f"{_plural(full[id(ln)], 'unit')} + {left[id(ln)]} min"
            for ln in codes
        )
        + "."
    )
    if leftover_units > 0:
        text.append(_leftover_text(codes, order, leftover_units, left))
    elif total < MIDPOINT_MINUTES:
        text.append(f"Under {MIDPOINT_MINUTES} timed minutes in all bills no timed unit.")
    else:
        text.append("No units are left over after the full units.")
    text.extend(split_notes)
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
    parts = []
    code_units = {}
    for ln in _by_code(timed):
        full, left = divmod(ln.minutes, UNIT_MINUTES)
        units = per_code_units(ln.minutes)
        code_units[ln.code] = (units, full, left)
        if left == 0:
            tail = ""
        elif left >= MIDPOINT_MINUTES:
            tail = f" + {left} min (8 or more: one more unit)"
        else:
            tail = f" + {left} min (under 8: no unit)"
        parts.append(
            f"{_code_name(ln)}: {ln.minutes} min = {full} full {_plural(full, 'unit')}{tail}"
            f" -> {units} {_plural(units, 'unit')}"
        )
    results, split_notes = _spread(timed, code_units)
    total_units = sum(r.units for r in results)
    total = sum(ln.minutes for ln in timed)
    text = (
        "Per-code rule: each code is counted on its own, a unit per 15 minutes and one more "
        "for 8 or more minutes left; minutes are not added across codes. "
        + "; ".join(parts)
        + f". {total} timed minutes -> {total_units} {_plural(total_units, 'unit')} in all."
    )
    return results, " ".join([text, *split_notes])


def _untimed(ln: _Merged) -> LineUnits:
    return LineUnits(
        code=ln.code,
        minutes=ln.minutes,
        timed=False,
        units=ln.items if ln.per_item else 1,
        group=ln.group,
        sources=tuple(ln.sources),
        per_item=ln.per_item,
    )


def _items_text(items: list[_Merged]) -> str:
    listed = ", ".join(f"{_name(ln)} x {ln.items}" for ln in items)
    return (
        f"Billed per item: {listed} (the items entered, 1 unless given); an item's minutes "
        "do not count toward the timed total."
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


def _code_name(ln: _Merged) -> str:
    # A code entered as a plain line and an assistant line: "97110 (13 + 23 min)".
    if len(ln.parts) > 1:
        return f"{ln.code} ({' + '.join(str(m) for m in ln.parts)} min)"
    return ln.code


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"
