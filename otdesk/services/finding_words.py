"""Findings in few words, for a checks panel that shows several at once: a one-line summary
("97140 + 97530: code pair, add XU to line 2"), the fixes a finding offers (a deleted code
offers each replacement: "Change to 97165", "... 97166", "... 97167") and the short text
of each fix's button. The full message stays the finding's own."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from otdesk.core.fixes import FixError, fix_kind, fix_label
from otdesk.core.rules import replacement_codes
from otdesk.core.visit import ChargeLine, Finding, Visit

# What each rule found, in a few words (after the codes it is about).
RULE_WORDS = {
    "unknown-code": "not in the catalog",
    "deleted-code": "deleted code",
    "future-date-of-service": "date of service in the future",
    "medicare-replacement": "not for Medicare",
    "bundled-code": "bundled by Medicare",
    "therapy-modifier-missing": "therapy modifier missing",
    "therapy-modifier-mismatch": "another discipline's modifier",
    "assistant-modifier": "assistant modifier (CO/CQ)",
    "telehealth-modifier": "telehealth modifier missing",
    "too-many-modifiers": "more than 4 modifiers",
    "ncci-pair": "code pair",
    "mue-exceeded": "more units than the MUE allows",
    "one-evaluation-per-day": "more than one evaluation",
    "untimed-units": "untimed code billed more than 1 unit",
    "addon-without-primary": "add-on without its first code",
    "duplicate-timed-line": "same timed code on several lines",
    "units-override": "units set by hand",
    "timed-over-total": "timed minutes over the total time",
    "zero-units": "earns no unit",
    "fee-missing": "no fee, charged $0.00",
    "kx-threshold-unknown": "no KX threshold on file",
    "kx-required": "KX needed",
    "kx-unneeded": "KX not needed yet",
    "kx-approaching": "near the KX threshold",
    "medical-review-threshold": "past the medical review threshold",
    "dx-missing": "no diagnosis pointer",
    "dx-unknown": "not an ICD-10-CM code",
    "dx-not-billable": "category, not billable",
    "dx-pointer-invalid": "diagnosis pointer problem",
    "too-many-diagnoses": "more than 12 diagnoses",
    "too-many-pointers": "more than 4 pointers",
    "plan-of-care-missing": "no plan of care",
    "plan-of-care-expired": "outside the plan of care's dates",
    "progress-report-due": "progress report due",
    "npi-invalid": "provider NPI",
    "code-not-yet-effective": "code not in effect yet on that date",
    "unlisted-description": "unlisted code needs a description",
    "day-over-24-hours": "more than 24 hours of minutes",
    "referring-provider": "referring provider NPI",
    "dx-excludes1": "Excludes1: not coded together",
}
_DIAGNOSIS = re.compile(r"Diagnosis [A-L] \(([^)]+)\)")
_WHERE = re.compile(r"^(Lines? [^:]*?|The visit[^:]*?|Diagnosis [A-L] \([^)]+\)): ")


@dataclass(frozen=True, slots=True)
class FixChoice:
    fix: dict[str, Any]
    button: str  # "Add XU"
    label: str  # "Add XU to line 2 (97530)"


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding as the checks panel shows it."""

    finding: Finding
    summary: str
    fixes: tuple[FixChoice, ...]


def describe(
    findings: Sequence[Finding], codes: Sequence[str], day: date, tables: Any
) -> list[FindingView]:
    """Each finding with its summary and its fixes; `codes` are the visit's line codes,
    `day` its date of service, `tables` the RuleTables its check used."""
    views = []
    for finding in findings:
        fixes = fix_options(finding, codes, day, tables)
        choices = tuple(FixChoice(fix, button_text(fix), full_label(fix, codes)) for fix in fixes)
        views.append(FindingView(finding, summary(finding, codes, fixes), choices))
    return views


def summary(finding: Finding, codes: Sequence[str], fixes: Sequence[Mapping[str, Any]]) -> str:
    """One line: what the finding is about, what is wrong, and the fix when there is one
    ("97140 + 97530: code pair, add XU to line 2")."""
    words = RULE_WORDS.get(finding.rule)
    if finding.rule == "unknown-code" and "not a procedure code" in finding.message:
        words = "not a procedure code"
    if finding.rule == "dx-missing" and not finding.lines:
        words = "no diagnosis"
    if words is None:  # a rule this list does not know yet: its message, shortened
        words = _first_clause(finding.message)
    about = _subject(finding, codes)
    text = f"{about}: {words}" if about else words[:1].upper() + words[1:]
    if len(fixes) == 1:
        text += ", " + _lower_first(fix_label(fixes[0]))
    elif fixes:
        text += ", use " + " or ".join(str(fix[fix_kind(fix)]) for fix in fixes)
    return text


def fix_options(
    finding: Finding, codes: Sequence[str], day: date, tables: Any
) -> list[dict[str, Any]]:
    """The fixes a finding offers: its own, or one per replacement of a deleted code."""
    if finding.rule == "deleted-code" and not finding.fix and len(finding.lines) == 1:
        index = finding.lines[0]
        if not 0 <= index < len(codes):
            return []
        return [
            {"replace_code": code, "lines": [index]}
            for code in replacement_codes(codes[index], day, tables)
        ]
    if not finding.fix or not _usable(finding.fix):
        return []
    return [dict(finding.fix)]


def button_text(fix: Mapping[str, Any]) -> str:
    """A fix in a few words for its button: "Add XU", "Change to 97165", "Point at A"."""
    kind = fix_kind(fix)
    value = fix[kind]
    if kind == "add_modifier":
        return f"Add {value}"
    if kind == "remove_modifier":
        return f"Remove {value}"
    if kind == "replace_modifier":
        return f"Use {fix.get('with')}"
    if kind == "replace_code":
        return f"Change to {value}"
    if kind == "set_units":
        return "Computed units" if value is None else f"Set {value} units"
    if kind == "set_dx_pointers":
        return f"Point at {', '.join(value)}"
    if kind == "remove_line":
        return "Remove line"
    if kind == "set_description":
        return "Describe"
    if kind == "split_assistant":
        return f"Split onto a {value} line"
    return "Merge lines"


def full_label(fix: Mapping[str, Any], codes: Sequence[str]) -> str:
    """What the fix does in full, with the lines' codes ("Add XU to line 2 (97530)")."""
    lines = tuple(ChargeLine(code) for code in codes)
    return fix_label(fix, Visit(date_of_service=date.min, lines=lines))


def _usable(fix: Mapping[str, Any]) -> bool:
    try:
        fix_label(fix)
    except (FixError, KeyError, TypeError):
        return False
    return True


def _subject(finding: Finding, codes: Sequence[str]) -> str:
    diagnosis = _DIAGNOSIS.match(finding.message)
    if diagnosis:
        return diagnosis.group(1)
    picked = [codes[i] for i in finding.lines if 0 <= i < len(codes)]
    unique = list(dict.fromkeys(picked))
    if not unique:
        return ""
    if len(unique) > 3:
        return f"{len(finding.lines)} lines"
    return " + ".join(unique)


def _first_clause(message: str) -> str:
    text = _WHERE.sub("", message.strip())
    for mark in (";", ". ", ":"):
        head, found, _ = text.partition(mark)
        if found:
            text = head
    text = text.rstrip(".")
    return _lower_first(text if len(text) <= 70 else text[:69].rstrip() + "…")


def _lower_first(text: str) -> str:
    # "Add XU ..." -> "add XU ...", but codes and abbreviations keep their case
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
