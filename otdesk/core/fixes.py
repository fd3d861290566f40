"""Applying a finding's fix: pure functions from a visit and a fix (plain data) to a new
visit. A service applies a fix only when the person clicks it; the rules never do.

Fix shapes (each with "lines": 0-based indexes into Visit.lines):
    {"add_modifier": "XU", "lines": [1]}              no-op on a line that already has it
    {"remove_modifier": "KX", "lines": [0, 2]}
    {"replace_modifier": "GP", "with": "GO", "lines": [0]}
    {"replace_code": "G0283", "lines": [0]}
    {"set_units": null, "lines": [2]}                 null: back to computed units
    {"set_dx_pointers": ["A"], "lines": [0, 1]}
    {"remove_line": true, "lines": [3]}
    {"merge_lines": true, "lines": [0, 2]}            into the first; minutes and amounts add
    {"set_description": "Fluidotherapy", "lines": [0]}  the service in words (unlisted
                                                      codes); null: ask the person first
    {"split_assistant": "CQ", "units": [1, 1], "lines": [0]}
        the line in two: the therapist's minutes stay on it without CO/CQ, the assistant's
        go on a new line just after it with CQ; "units" (with, without) shares the allowed
        amount
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from otdesk.core.money import Money
from otdesk.core.visit import MAX_MODIFIERS, ChargeLine, Visit

FIX_KINDS = (
    "add_modifier",
    "remove_modifier",
    "replace_modifier",
    "replace_code",
    "set_units",
    "set_dx_pointers",
    "remove_line",
    "merge_lines",
    "set_description",
    "split_assistant",
)
_EXTRA_KEYS = {"replace_modifier": {"with"}, "split_assistant": {"units"}}
ASSISTANT_MODIFIERS = ("CO", "CQ")
MAX_DESCRIPTION = 80  # the claim's line note (837P NTE, CMS-1500 24 shaded area)


def needs_input(fix: Mapping[str, Any]) -> bool:
    """True for a fix the person must complete before it is applied (a description)."""
    return "set_description" in fix and fix["set_description"] is None


class FixError(ValueError):
    """A fix that cannot be applied to this visit; the message says why."""


def fix_kind(fix: Mapping[str, Any]) -> str:
    """The action of a fix ("add_modifier", ...); FixError when it has none or several."""
    kinds = [key for key in fix if key in FIX_KINDS]
    if len(kinds) != 1:
        raise FixError(f"A fix names one action out of {', '.join(FIX_KINDS)}; got {dict(fix)}.")
    kind = kinds[0]
    unknown = set(fix) - {kind, "lines"} - _EXTRA_KEYS.get(kind, set())
    if unknown:
        raise FixError(f"The {kind} fix has unknown key(s): {', '.join(sorted(unknown))}.")
    return kind


def _line_indexes(visit: Visit, fix: Mapping[str, Any]) -> list[int]:
    lines = fix.get("lines")
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        raise FixError("A fix needs a non-empty list of line indexes.")
    indexes: list[int] = []
    for value in lines:
        if isinstance(value, bool) or not isinstance(value, int):
            raise FixError(f"Line index {value!r} is not a whole number.")
        if not 0 <= value < len(visit.lines):
            raise FixError(f"The visit has no line {value + 1} (it has {len(visit.lines)}).")
        if value not in indexes:
            indexes.append(value)
    return indexes


def _modifier(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value.strip()) != 2 or not value.strip().isalnum():
        raise FixError(f"The {what} {value!r} is not a 2-character modifier.")
    return value.strip().upper()


def _where(visit: Visit, index: int) -> str:
    return f"Line {index + 1} ({visit.lines[index].code})"


def _with_modifier(visit: Visit, index: int, modifier: str) -> ChargeLine:
    line = visit.lines[index]
    if modifier in (m.upper() for m in line.modifiers):
        return line
    if len(line.modifiers) >= MAX_MODIFIERS:
        raise FixError(
            f"{_where(visit, index)} already has {len(line.modifiers)} modifiers "
            f"({', '.join(line.modifiers)}); a claim line holds at most {MAX_MODIFIERS}, so "
            f"remove one before adding {modifier}."
        )
    return replace(line, modifiers=(*line.modifiers, modifier))


def apply_fix(visit: Visit, fix: Mapping[str, Any]) -> Visit:
    """A new visit with `fix` applied (the given visit is not changed). Raises FixError for
    a malformed fix or one the visit cannot take (a 5th modifier, a missing line); nothing is
    half-applied."""
    kind = fix_kind(fix)
    indexes = _line_indexes(visit, fix)
    lines = list(visit.lines)
    if kind == "add_modifier":
        modifier = _modifier(fix[kind], "modifier")
        for index in indexes:
            lines[index] = _with_modifier(visit, index, modifier)
    elif kind == "remove_modifier":
        modifier = _modifier(fix[kind], "modifier")
        for index in indexes:
            line = lines[index]
            kept = tuple(m for m in line.modifiers if m.upper() != modifier)
            lines[index] = replace(line, modifiers=kept)
    elif kind == "replace_modifier":
        old = _modifier(fix[kind], "modifier to replace")
        new = _modifier(fix.get("with"), "replacement modifier")
        for index in indexes:
            line = lines[index]
            mods = [m.upper() for m in line.modifiers]
            if old not in mods:
                raise FixError(f"{_where(visit, index)} has no {old} modifier to replace.")
            if new in mods:
                kept = tuple(m for m in line.modifiers if m.upper() != old)
            else:
                kept = tuple(new if m.upper() == old else m for m in line.modifiers)
            lines[index] = replace(line, modifiers=kept)
    elif kind == "replace_code":
        from otdesk.core.catalog import code_format_problem, normalize_code

        code = fix[kind]
        problem = code_format_problem(code) if isinstance(code, str) else "not a code"
        if problem:
            raise FixError(f"The replacement code {code!r} is not usable: {problem}")
        for index in indexes:
            lines[index] = replace(lines[index], code=normalize_code(code))
    elif kind == "set_units":
        units = fix[kind]
        if units is not None and (isinstance(units, bool) or not isinstance(units, int)):
            raise FixError(f"Units {units!r} must be a whole number or null (computed).")
        if units is not None and units < 0:
            raise FixError(f"Units cannot be negative ({units}).")
        for index in indexes:
            lines[index] = replace(lines[index], units=units)
    elif kind == "set_dx_pointers":
        pointers = fix[kind]
        if not isinstance(pointers, Sequence) or isinstance(pointers, str):
            raise FixError('set_dx_pointers takes a list of letters, e.g. ["A"].')
        letters = tuple(str(p).strip().upper() for p in pointers)
        for index in indexes:
            lines[index] = replace(lines[index], dx_pointers=letters)
    elif kind == "remove_line":
        if len(indexes) >= len(lines):
            raise FixError("Removing every line would leave an empty visit.")
        lines = [line for i, line in enumerate(lines) if i not in indexes]
    elif kind == "merge_lines":
        lines = _merge(visit, indexes)
    elif kind == "set_description":
        text = fix[kind]
        if not isinstance(text, str) or not " ".join(text.split()):
            raise FixError("Type the description of the service first.")
        text = " ".join(text.split())
        if len(text) > MAX_DESCRIPTION:
            raise FixError(
                f"The description is {len(text)} characters; a claim line takes at most "
                f"{MAX_DESCRIPTION}."
            )
        for index in indexes:
            lines[index] = replace(lines[index], description=text)
    elif kind == "split_assistant":
        lines = _split_assistant(visit, indexes, fix)
    return replace(visit, lines=tuple(lines))


def _split_assistant(visit: Visit, indexes: list[int], fix: Mapping[str, Any]) -> list[ChargeLine]:
    modifier = _modifier(fix["split_assistant"], "assistant modifier")
    if modifier not in ASSISTANT_MODIFIERS:
        raise FixError(f"split_assistant takes CO or CQ, not {modifier}.")
    if len(indexes) != 1:
        raise FixError("split_assistant splits one line at a time.")
    index = indexes[0]
    line = visit.lines[index]
    assistant = line.assistant_minutes
    if not 0 < assistant < line.minutes:
        raise FixError(
            f"{_where(visit, index)} has {assistant} of {line.minutes} minutes by the "
            "assistant; only a line the therapist and the assistant shared can be split."
        )
    plain_mods = tuple(m for m in line.modifiers if m.upper() not in ASSISTANT_MODIFIERS)
    if len(plain_mods) >= MAX_MODIFIERS:
        raise FixError(
            f"{_where(visit, index)} already has {len(plain_mods)} modifiers; the assistant's "
            f"line could not take {modifier} as well."
        )
    therapist_allowed, assistant_allowed = _share_allowed(line.allowed, fix.get("units"))
    therapist_part = replace(
        line,
        minutes=line.minutes - assistant,
        assistant_minutes=0,
        modifiers=plain_mods,
        units=None,
        allowed=therapist_allowed,
    )
    assistant_part = replace(
        line,
        minutes=assistant,
        assistant_minutes=assistant,
        modifiers=(*plain_mods, modifier),
        units=None,
        allowed=assistant_allowed,
    )
    lines = list(visit.lines)
    lines[index : index + 1] = [therapist_part, assistant_part]
    return lines


def _share_allowed(allowed: Money | None, units: Any) -> tuple[Money | None, Money | None]:
    """(therapist's, assistant's) shares of a line's allowed amount, by units."""
    if allowed is None:
        return None, None
    if (
        not isinstance(units, Sequence)
        or isinstance(units, str)
        or len(units) != 2
        or not all(isinstance(u, int) and not isinstance(u, bool) and u >= 0 for u in units)
        or sum(units) == 0
    ):
        return None, None
    with_modifier, without = units
    assistant = allowed * (Decimal(with_modifier) / Decimal(with_modifier + without))
    return allowed - assistant, assistant


def _merge(visit: Visit, indexes: list[int]) -> list[ChargeLine]:
    if len(indexes) < 2:
        raise FixError("merge_lines needs at least two lines.")
    parts = [visit.lines[i] for i in indexes]
    codes = {line.code.upper() for line in parts}
    if len(codes) != 1:
        raise FixError(f"Only lines of the same code merge; these have {', '.join(sorted(codes))}.")
    first = parts[0]
    modifiers: list[str] = []
    pointers: list[str] = []
    for line in parts:
        modifiers += [m for m in line.modifiers if m.upper() not in map(str.upper, modifiers)]
        pointers += [p for p in line.dx_pointers if p.upper() not in map(str.upper, pointers)]
    if len(modifiers) > MAX_MODIFIERS:
        raise FixError(
            f"The merged line would carry {len(modifiers)} modifiers ({', '.join(modifiers)}); "
            f"a claim line holds at most {MAX_MODIFIERS}."
        )
    amounts = [line.allowed for line in parts if line.allowed is not None]
    allowed: Money | None = None
    if len(amounts) == len(parts):
        allowed = sum(amounts[1:], amounts[0])
    merged = replace(
        first,
        minutes=sum(line.minutes for line in parts),
        assistant_minutes=sum(line.assistant_minutes for line in parts),
        modifiers=tuple(modifiers),
        dx_pointers=tuple(pointers),
        units=None,
        allowed=allowed,
    )
    result = []
    for i, line in enumerate(visit.lines):
        if i == indexes[0]:
            result.append(merged)
        elif i not in indexes:
            result.append(line)
    return result


def fix_label(fix: Mapping[str, Any], visit: Visit | None = None) -> str:
    """What a fix does, in words for a button: "Add XU to line 2 (97530)"."""
    kind = fix_kind(fix)
    raw = fix.get("lines") or []
    lines = [i for i in raw if isinstance(i, int) and not isinstance(i, bool)]

    def one(index: int) -> str:
        if visit is not None and 0 <= index < len(visit.lines):
            return f"{index + 1} ({visit.lines[index].code})"
        return str(index + 1)

    names = [one(i) for i in lines]
    if len(names) <= 1:
        where = "line " + (names[0] if names else "?")
    else:
        where = "lines " + ", ".join(names[:-1]) + " and " + names[-1]
    value = fix[kind]
    if kind == "add_modifier":
        return f"Add {value} to {where}"
    if kind == "remove_modifier":
        return f"Remove {value} from {where}"
    if kind == "replace_modifier":
        return f"Replace {value} with {fix.get('with')} on {where}"
    if kind == "replace_code":
        return f"Change {where} to {value}"
    if kind == "set_units":
        return (
            f"Use the computed units on {where}"
            if value is None
            else f"Set {where} to {value} units"
        )
    if kind == "set_dx_pointers":
        return f"Point {where} at diagnosis {', '.join(value)}"
    if kind == "remove_line":
        return f"Remove {where}"
    if kind == "set_description":
        return f"Describe {where}..." if value is None else f"Describe {where}: {value}"
    if kind == "split_assistant":
        return f"Split {where}: the assistant's minutes onto a line with {value}"
    return f"Merge {where} into one line"
