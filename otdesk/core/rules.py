"""The rules engine: a visit in, its units and a list of findings out.

Each rule is a small function `(RuleContext) -> Iterable[Finding]`; RULES lists them with
their stable ids and usual severity. A finding names the codes and the 1-based line numbers a
person sees ("Line 2 (97530)"); Finding.lines holds 0-based indexes. A fix is data (see
otdesk.core.fixes): the engine suggests, it never changes the visit.

Facts come from DOMAIN.md: units (section 1), modifiers and KX (2), NCCI/MUE (3), deleted
codes (4), diagnoses (6), plan of care (7). Year-dependent figures come from the data files
through RuleTables, chosen by the date of service.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from otdesk.core.catalog import (
    BillingKind,
    Procedure,
    code_format_problem,
    default_catalog,
    normalize_code,
)
from otdesk.core.money import Money
from otdesk.core.npi import npi_problem
from otdesk.core.tables import DeletedCode, RuleTables
from otdesk.core.units import UnitLine, UnitsResult, compute_units
from otdesk.core.visit import (
    DX_LETTERS,
    KX_BUCKETS,
    MAX_DIAGNOSES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    CheckResult,
    Finding,
    Severity,
    Visit,
)

# GO/GP/GN: the plan of care's discipline (DOMAIN.md section 2).
THERAPY_MODIFIERS = {"OT": "GO", "PT": "GP", "SLP": "GN"}
# CO/CQ: an assistant did more than 10% of the line's minutes. SLP assistants have none.
ASSISTANT_MODIFIERS = {"OT": "CO", "PT": "CQ"}
ASSISTANT_DE_MINIMIS_PERCENT = 10
# Distinct-service modifiers, in the order the finding offers them (X modifiers preferred).
DISTINCT_MODIFIERS = ("XU", "XS", "XE", "XP", "59")
# Chosen instead of KX when the therapist does not attest medical necessity.
LIABILITY_MODIFIERS = frozenset({"GA", "GY", "GZ"})
TELEHEALTH_POS = {"02": "telehealth outside the home", "10": "telehealth in the home"}
EVALUATION_CATEGORY = "evaluation"
# "Untimed codes other than group and supervised modalities bill 1 unit" (DOMAIN.md 3).
MULTI_UNIT_UNTIMED_CATEGORIES = frozenset({"group", "supervised modality"})
# Medicare does not accept 97014 (DOMAIN.md section 4).
MEDICARE_REPLACEMENTS = {"97014": "G0283"}
# Medicare status B: bundled, never paid separately (DOMAIN.md section 4).
MEDICARE_BUNDLED = frozenset({"97010"})
KX_MODIFIER = "KX"
KX_APPROACHING_SHARE = Decimal("0.90")
PROGRESS_REPORT_DAYS = 10  # Benefit Policy Manual ch. 15, section 220.3
PROGRESS_REPORT_NOTICE_FROM = 8
# An initial certification covers up to 90 calendar days counting the first treatment day.
CERTIFICATION_DAYS = 90
BUCKET_NAMES = {"OT": "OT", "PT_SLP": "PT and SLP"}
_DISCIPLINE_NAMES = {"OT": "occupational therapy", "PT": "physical therapy", "SLP": "speech"}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class CatalogLike(Protocol):
    def get(self, code: str) -> Procedure | None: ...


class DxCheckLike(Protocol):
    status: str
    message: str
    children: Any


DxChecker = Callable[[str], DxCheckLike]


# --- the context every rule reads --------------------------------------------------------------


class RuleContext:
    """The visit with what the rules need precomputed once: catalog entries, modifier sets,
    computed and billed units per input line."""

    __slots__ = (
        "visit",
        "tables",
        "dx_check",
        "units",
        "codes",
        "procedures",
        "modifiers",
        "computed_units",
        "billed_units",
        "code_set",
        "today",
        "_kx",
        "_dx",
    )

    def __init__(
        self,
        visit: Visit,
        catalog: CatalogLike,
        tables: RuleTables,
        dx_check: DxChecker | None,
        units: UnitsResult,
        today: date | None = None,
    ) -> None:
        self.visit = visit
        self.today = today
        self.tables = tables
        self.dx_check = dx_check
        self.units = units
        self.codes = tuple(normalize_code(line.code) for line in visit.lines)
        self.procedures = tuple(catalog.get(code) for code in self.codes)
        self.modifiers = tuple(
            frozenset(m.strip().upper() for m in line.modifiers) for line in visit.lines
        )
        computed = [0] * len(visit.lines)
        billed = [0] * len(visit.lines)
        for merged in units.lines:
            for position, index in enumerate(merged.sources):
                computed[index] = merged.units
                # A merged timed line is billed once, on the first line entered.
                billed[index] = merged.units if position == 0 else 0
        for index, line in enumerate(visit.lines):
            if line.units is not None:
                billed[index] = line.units
        self.computed_units = tuple(computed)
        self.billed_units = tuple(billed)
        self.code_set = frozenset(self.codes)
        self._kx: _KxState | None | bool = False
        self._dx: dict[str, DxCheckLike] = {}

    def where(self, index: int) -> str:
        """ "Line 2 (97530)" for input line index 1."""
        return f"Line {index + 1} ({self.codes[index]})"

    def where_all(self, indexes: Sequence[int], lower: bool = False) -> str:
        """ "Line 1 (97140)", "Lines 1 (97140) and 2 (97530)", "Lines 1 (..), 2 (..) and 3 (..)";
        `lower` for the middle of a sentence ("lines 1 (97140) and ...")."""
        if len(indexes) == 1:
            text = self.where(indexes[0])
        else:
            parts = [f"{i + 1} ({self.codes[i]})" for i in indexes]
            text = "Lines " + ", ".join(parts[:-1]) + " and " + parts[-1]
        return "l" + text[1:] if lower else text

    def is_therapy(self, index: int) -> bool:
        procedure = self.procedures[index]
        return procedure is not None and bool(procedure.disciplines)

    def has_evaluation(self) -> bool:
        return any(p is not None and p.category == EVALUATION_CATEGORY for p in self.procedures)

    def check_dx(self, code: str) -> DxCheckLike | None:
        if self.dx_check is None:
            return None
        found = self._dx.get(code)
        if found is None:
            found = self._dx[code] = self.dx_check(code)
        return found


def _finding(
    rule: str,
    message: str,
    lines: Iterable[int] = (),
    fix: dict[str, Any] | None = None,
    severity: Severity | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity or _DEFAULT_SEVERITY[rule],
        message=message,
        lines=tuple(lines),
        fix=fix,
    )


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def _need(indexes: Sequence[int]) -> str:
    return "needs" if len(indexes) == 1 else "need"


def _lack(indexes: Sequence[int]) -> str:
    return "lacks" if len(indexes) == 1 else "lack"


def _a(discipline: str) -> str:
    """ "an OT", "a PT", "an SLP" visit."""
    return f"an {discipline}" if discipline in ("OT", "SLP") else f"a {discipline}"


def _or_list(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


# --- codes -------------------------------------------------------------------------------------


def rule_unknown_code(ctx: RuleContext) -> Iterable[Finding]:
    for index, procedure in enumerate(ctx.procedures):
        if procedure is not None:
            continue
        problem = code_format_problem(ctx.codes[index])
        if problem:
            yield _finding(
                "unknown-code",
                f"{ctx.where(index)}: {problem}",
                [index],
                severity=Severity.ERROR,
            )
        else:
            yield _finding(
                "unknown-code",
                f"{ctx.where(index)}: {ctx.codes[index]} is outside the procedure catalog; it "
                "is counted as untimed (1 unit) and the catalog's checks cannot cover it.",
                [index],
            )


def _replacements(entry: DeletedCode, day: date, tables: RuleTables, depth: int = 0) -> list[str]:
    # Follow a replacement that is itself deleted by this date (97532 -> 97127 -> 97129).
    found: list[str] = []
    for code in entry.replacements:
        later = tables.deleted.get(code)
        if later is not None and later.is_deleted_on(day) and depth < 8:
            found.extend(_replacements(later, day, tables, depth + 1))
        else:
            found.append(code)
    return list(dict.fromkeys(found))


def _chain_note(entry: DeletedCode, day: date, tables: RuleTables) -> tuple[str, str]:
    """The "(replaced by 97127, itself deleted on ...)" part and the note of the last code."""
    steps = []
    note = entry.note
    current = entry
    for _ in range(8):
        if len(current.replacements) != 1:
            break
        later = tables.deleted.get(current.replacements[0])
        if later is None or not later.is_deleted_on(day):
            break
        steps.append(
            f"it was replaced by {later.code}, itself deleted on {later.deleted_on.isoformat()}"
        )
        note = later.note or note
        current = later
    return ("; ".join(steps), note)


def replacement_codes(code: str, day: date, tables: RuleTables) -> list[str]:
    """The codes to bill instead of `code` on `day` (empty when it is not deleted then),
    following a replacement that is itself deleted by then."""
    entry = tables.deleted.get(normalize_code(code))
    if entry is None or not entry.is_deleted_on(day):
        return []
    return _replacements(entry, day, tables)


def rule_deleted_code(ctx: RuleContext) -> Iterable[Finding]:
    day = ctx.visit.date_of_service
    for index, code in enumerate(ctx.codes):
        entry = ctx.tables.deleted.get(code)
        if entry is None or not entry.is_deleted_on(day):
            continue
        replacements = _replacements(entry, day, ctx.tables)
        chain, note = _chain_note(entry, day, ctx.tables)
        message = (
            f"{ctx.where(index)}: {code} was deleted on {entry.deleted_on.isoformat()} and "
            f"is not valid for a date of service of {day.isoformat()}"
        )
        if chain:
            message += f" ({chain})"
        fix = None
        if replacements:
            message += f"; use {_or_list(replacements)}"
            if note:
                message += f" ({note})"
            if len(replacements) == 1:
                fix = {"replace_code": replacements[0], "lines": [index]}
        yield _finding("deleted-code", message + ".", [index], fix)


def rule_medicare_replacement(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.visit.payer.is_medicare:
        return
    for index, code in enumerate(ctx.codes):
        replacement = MEDICARE_REPLACEMENTS.get(code)
        if replacement:
            yield _finding(
                "medicare-replacement",
                f"{ctx.where(index)}: Medicare does not accept {code}; bill {replacement} instead.",
                [index],
                {"replace_code": replacement, "lines": [index]},
            )


def rule_bundled_code(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.visit.payer.is_medicare:
        return
    for index, code in enumerate(ctx.codes):
        if code in MEDICARE_BUNDLED:
            yield _finding(
                "bundled-code",
                f"{ctx.where(index)}: Medicare bundles {code} into the other services of the "
                "day (status B): it is never paid separately; leave it off the claim.",
                [index],
                {"remove_line": True, "lines": [index]},
            )


def rule_future_date_of_service(ctx: RuleContext) -> Iterable[Finding]:
    # Silent without a today (the JSON of `rules check` carries none).
    day, today = ctx.visit.date_of_service, ctx.today
    if today is None or day <= today:
        return
    days = (day - today).days
    yield _finding(
        "future-date-of-service",
        f"The date of service, {day:%m/%d/%Y}, is {days} {_plural(days, 'day')} in the "
        "future: bill a visit on the day it took place.",
    )


# --- modifiers ---------------------------------------------------------------------------------


def rule_therapy_modifier_missing(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    wanted = THERAPY_MODIFIERS.get(visit.discipline)
    if wanted is None or not visit.payer.needs_therapy_modifiers:
        return
    therapy = set(THERAPY_MODIFIERS.values())
    missing = [
        i for i in range(len(visit.lines)) if ctx.is_therapy(i) and not (ctx.modifiers[i] & therapy)
    ]
    if missing:
        yield _finding(
            "therapy-modifier-missing",
            f"{ctx.where_all(missing)} {_need(missing)} {wanted}: this payer wants the "
            f"plan-of-care modifier ({wanted} for {visit.discipline}) on every therapy line.",
            missing,
            {"add_modifier": wanted, "lines": missing},
        )


def rule_therapy_modifier_mismatch(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    wanted = THERAPY_MODIFIERS.get(visit.discipline)
    if wanted is None:
        return
    for wrong in sorted(set(THERAPY_MODIFIERS.values()) - {wanted}):
        replace = [
            i for i, mods in enumerate(ctx.modifiers) if wrong in mods and wanted not in mods
        ]
        remove = [i for i, mods in enumerate(ctx.modifiers) if wrong in mods and wanted in mods]
        where = f"{wrong} is the modifier of another discipline's plan of care"
        if replace:
            yield _finding(
                "therapy-modifier-mismatch",
                f"{ctx.where_all(replace)}: {where}; this is {_a(visit.discipline)} visit, "
                f"so use {wanted}.",
                replace,
                {"replace_modifier": wrong, "with": wanted, "lines": replace},
            )
        if remove:
            yield _finding(
                "therapy-modifier-mismatch",
                f"{ctx.where_all(remove)}: {where}; this is {_a(visit.discipline)} visit and "
                f"{wanted} is already there, so remove {wrong}.",
                remove,
                {"remove_modifier": wrong, "lines": remove},
            )


def _assistant_share(ctx: RuleContext, index: int) -> tuple[bool, str]:
    """Whether line `index` needs the assistant modifier, and the reason in words."""
    line = ctx.visit.lines[index]
    role = ctx.visit.provider.role
    if ctx.visit.provider.is_assistant:
        return True, f"the provider is an {role}, so all of it is the assistant's"
    done, minutes = line.assistant_minutes, line.minutes
    if done <= 0:
        return False, "no assistant minutes are recorded"
    if minutes <= 0:
        return True, f"an assistant did {done} minutes"
    share = f"{done} of {minutes} minutes ({_percent(done * 100 / minutes)})"
    if done * 100 > ASSISTANT_DE_MINIMIS_PERCENT * minutes:
        return True, f"an assistant did {share}, more than 10%"
    return False, f"an assistant did {share}, not more than 10%"


def rule_assistant_modifier(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    wanted = ASSISTANT_MODIFIERS.get(visit.discipline)
    for other in ("CO", "CQ"):
        if other == wanted:
            continue
        lines = [i for i, mods in enumerate(ctx.modifiers) if other in mods]
        if not lines:
            continue
        if wanted is None:
            yield _finding(
                "assistant-modifier",
                f"{ctx.where_all(lines)}: {other} is an OT/PT assistant modifier; it does not "
                f"apply to {_a(visit.discipline)} visit.",
                lines,
                {"remove_modifier": other, "lines": lines},
            )
            continue
        swap = [i for i in lines if wanted not in ctx.modifiers[i]]
        drop = [i for i in lines if wanted in ctx.modifiers[i]]
        if swap:
            yield _finding(
                "assistant-modifier",
                f"{ctx.where_all(swap)}: {other} is the other discipline's assistant "
                f"modifier; an assistant's share of {_a(visit.discipline)} service takes "
                f"{wanted}.",
                swap,
                {"replace_modifier": other, "with": wanted, "lines": swap},
            )
        if drop:
            yield _finding(
                "assistant-modifier",
                f"{ctx.where_all(drop)}: {other} does not belong on {_a(visit.discipline)} "
                f"visit next to {wanted}; remove it.",
                drop,
                {"remove_modifier": other, "lines": drop},
            )
    if wanted is None:
        return
    missing: list[int] = []
    missing_reasons: list[str] = []
    unneeded: list[int] = []
    unneeded_reasons: list[str] = []
    for index, mods in enumerate(ctx.modifiers):
        if not ctx.is_therapy(index) and wanted not in mods:
            continue
        needed, reason = _assistant_share(ctx, index)
        if needed and wanted not in mods and not (mods & {"CO", "CQ"}):
            missing.append(index)
            missing_reasons.append(f"{ctx.where(index)}: {reason}")
        elif not needed and wanted in mods:
            unneeded.append(index)
            unneeded_reasons.append(f"{ctx.where(index)}: {reason}")
    if missing and visit.payer.needs_therapy_modifiers:
        yield _finding(
            "assistant-modifier",
            "; ".join(missing_reasons)
            + f". A service done in whole or in part (more than 10% of its minutes) by an "
            f"assistant takes {wanted}.",
            missing,
            {"add_modifier": wanted, "lines": missing},
        )
    if unneeded:
        yield _finding(
            "assistant-modifier",
            "; ".join(unneeded_reasons)
            + f". {wanted} applies only when an assistant did more than 10% of the minutes "
            "(and cuts Medicare's payment to 85%).",
            unneeded,
            {"remove_modifier": wanted, "lines": unneeded},
            severity=Severity.WARNING,
        )


def rule_telehealth_modifier(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    place = TELEHEALTH_POS.get(visit.place_of_service)
    modifier = visit.payer.telehealth_modifier
    if place is None or not modifier:
        return
    missing = [i for i, mods in enumerate(ctx.modifiers) if modifier not in mods]
    if missing:
        yield _finding(
            "telehealth-modifier",
            f"Place of service {visit.place_of_service} ({place}): this payer wants "
            f"modifier {modifier} on every line; {ctx.where_all(missing, lower=True)} "
            f"{_lack(missing)} it.",
            missing,
            {"add_modifier": modifier, "lines": missing},
        )


def rule_too_many_modifiers(ctx: RuleContext) -> Iterable[Finding]:
    for index, line in enumerate(ctx.visit.lines):
        if len(line.modifiers) > MAX_MODIFIERS:
            yield _finding(
                "too-many-modifiers",
                f"{ctx.where(index)} has {len(line.modifiers)} modifiers "
                f"({', '.join(line.modifiers)}); a claim line holds at most {MAX_MODIFIERS}.",
                [index],
            )


# --- NCCI and MUE ------------------------------------------------------------------------------


def rule_ncci_pair(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    if not visit.payer.uses_ncci or len(ctx.code_set) < 2:
        return
    day = visit.date_of_service
    strictest: dict[tuple[str, str], Any] = {}
    for edit in ctx.tables.ptp.edits_among(ctx.code_set):
        if edit.column1 == edit.column2 or edit.modifier == 9 or not edit.active_on(day):
            continue
        key = (edit.column1, edit.column2)
        if key not in strictest or edit.modifier < strictest[key].modifier:
            strictest[key] = edit
    distinct = frozenset(DISTINCT_MODIFIERS)
    for (column1, column2), edit in sorted(strictest.items()):
        first = [i for i, code in enumerate(ctx.codes) if code == column1]
        second = [i for i, code in enumerate(ctx.codes) if code == column2]
        why = f" (CMS: {edit.rationale})" if edit.rationale else ""
        if edit.modifier == 0:
            yield _finding(
                "ncci-pair",
                f"{ctx.where_all(first + second)}: NCCI does not pay {column2} with {column1} "
                f"on the same date, and no modifier bypasses this edit (indicator 0){why}.",
                first + second,
                severity=Severity.ERROR,
            )
            continue
        bare = [i for i in second if not (ctx.modifiers[i] & distinct)]
        if not bare:
            continue
        yield _finding(
            "ncci-pair",
            f"{ctx.where_all(first + bare)}: NCCI pairs {column1} (column 1) with {column2} "
            f"(column 2){why}. Only if the two were done in distinctly different 15-minute "
            f"time blocks, and the notes show it, add a distinct-service modifier to "
            f"{column2}: XU (unusual non-overlapping service), XS (separate structure), XE "
            "(separate encounter), XP (separate practitioner) or 59 (prefer an X modifier). "
            f"Done in the same time block, {column2} is not billed.",
            first + bare,
            {"add_modifier": "XU", "lines": bare},
        )


def rule_mue_exceeded(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.visit.payer.uses_ncci or not ctx.tables.mue:
        return
    by_code: dict[str, list[int]] = {}
    for index, code in enumerate(ctx.codes):
        by_code.setdefault(code, []).append(index)
    for code, indexes in by_code.items():
        mue = ctx.tables.mue.get(code)
        if mue is None:
            continue
        if mue.per_line:
            for index in indexes:
                units = ctx.billed_units[index]
                if units > mue.value:
                    yield _finding(
                        "mue-exceeded",
                        f"{ctx.where(index)}: {units} {_plural(units, 'unit')} on one line; "
                        f"the MUE for {code} allows {mue.value} per line "
                        f"(indicator {mue.indicator_text}).",
                        [index],
                    )
            continue
        total = sum(ctx.billed_units[i] for i in indexes)
        if total > mue.value:
            yield _finding(
                "mue-exceeded",
                f"{ctx.where_all(indexes)}: {total} {_plural(total, 'unit')} of {code} on "
                f"this date; the MUE allows {mue.value} per date of service "
                f"(indicator {mue.indicator_text}).",
                indexes,
            )


# --- units -------------------------------------------------------------------------------------


def rule_one_evaluation_per_day(ctx: RuleContext) -> Iterable[Finding]:
    by_discipline: dict[str, list[int]] = {}
    for index, procedure in enumerate(ctx.procedures):
        if procedure is None or procedure.category != EVALUATION_CATEGORY:
            continue
        if ctx.visit.discipline in procedure.disciplines or not procedure.disciplines:
            discipline = ctx.visit.discipline
        else:
            discipline = sorted(procedure.disciplines)[0]
        by_discipline.setdefault(discipline, []).append(index)
    for discipline, indexes in sorted(by_discipline.items()):
        if len(indexes) > 1:
            yield _finding(
                "one-evaluation-per-day",
                f"{ctx.where_all(indexes)}: only one {discipline} evaluation or "
                "re-evaluation may be billed per date of service (NCCI policy manual, "
                "ch. XI); keep the one that was done.",
                indexes,
            )


def _untimed_over_one(ctx: RuleContext, index: int) -> bool:
    procedure = ctx.procedures[index]
    units = ctx.visit.lines[index].units
    return (
        procedure is not None
        and not procedure.is_timed
        and procedure.category not in MULTI_UNIT_UNTIMED_CATEGORIES
        and units is not None
        and units > 1
    )


def rule_untimed_units(ctx: RuleContext) -> Iterable[Finding]:
    for index in range(len(ctx.visit.lines)):
        if _untimed_over_one(ctx, index):
            units = ctx.visit.lines[index].units
            yield _finding(
                "untimed-units",
                f"{ctx.where(index)}: {units} units entered, but {ctx.codes[index]} is an "
                "untimed (service-based) code: it bills 1 unit whatever the minutes.",
                [index],
                {"set_units": None, "lines": [index]},
            )


def rule_addon_without_primary(ctx: RuleContext) -> Iterable[Finding]:
    for index, procedure in enumerate(ctx.procedures):
        if procedure is None or procedure.kind is not BillingKind.ADDON:
            continue
        if procedure.primary and procedure.primary not in ctx.code_set:
            yield _finding(
                "addon-without-primary",
                f"{ctx.where(index)}: {procedure.code} is an add-on code and needs its primary "
                f"code {procedure.primary} on the same date; add {procedure.primary}.",
                [index],
            )


def rule_duplicate_timed_line(ctx: RuleContext) -> Iterable[Finding]:
    medicare = ctx.visit.payer.is_medicare
    for merged in ctx.units.lines:
        if not merged.timed or len(merged.sources) < 2:
            continue
        indexes = list(merged.sources)
        name = f"{merged.code} with {merged.group}" if merged.group else merged.code
        why = (
            "Medicare rejects a claim with a timed code on more than one line for the same "
            "date (since April 2021)"
            if medicare
            else "a timed code belongs on one line per date"
        )
        yield _finding(
            "duplicate-timed-line",
            f"{ctx.where_all(indexes)} all bill {name}: {why}. The units already count them "
            f"as one line of {merged.minutes} minutes; merge them.",
            indexes,
            {"merge_lines": True, "lines": indexes},
            severity=Severity.ERROR if medicare else Severity.WARNING,
        )


def rule_units_override(ctx: RuleContext) -> Iterable[Finding]:
    rule_name = "CMS total-time" if ctx.units.rule == "cms" else "per-code"
    for index, line in enumerate(ctx.visit.lines):
        if line.units is None or line.units == ctx.computed_units[index]:
            continue
        if _untimed_over_one(ctx, index):
            continue  # untimed-units says it better
        computed = ctx.computed_units[index]
        yield _finding(
            "units-override",
            f"{ctx.where(index)}: {line.units} {_plural(line.units, 'unit')} entered by hand; "
            f"the {rule_name} rule gives {computed} (see the units explanation).",
            [index],
            {"set_units": None, "lines": [index]},
        )


def rule_timed_over_total(ctx: RuleContext) -> Iterable[Finding]:
    total = ctx.visit.total_treatment_minutes
    timed = ctx.units.total_timed_minutes
    if total is None or timed <= total:
        return
    indexes = [i for merged in ctx.units.lines if merged.timed for i in merged.sources]
    yield _finding(
        "timed-over-total",
        f"The timed codes add up to {timed} minutes, more than the total treatment time of "
        f"{total} minutes; correct the minutes or the total.",
        sorted(indexes),
    )


def rule_zero_units(ctx: RuleContext) -> Iterable[Finding]:
    cms = ctx.units.rule == "cms"
    for merged in ctx.units.lines:
        if not merged.timed or merged.units > 0:
            continue
        indexes = [i for i in merged.sources if ctx.visit.lines[i].units is None]
        if not indexes:
            continue
        if merged.minutes == 0:
            why = "no minutes are entered"
        elif cms:
            why = (
                f"its {merged.minutes} minutes earn no unit under the CMS rule (they still "
                f"count toward the {ctx.units.total_timed_minutes}-minute timed total)"
            )
        else:
            why = f"{merged.minutes} minutes earn no unit on their own (a unit needs 8)"
        yield _finding(
            "zero-units",
            f"{ctx.where_all(indexes)}: {why}; it is not billed, leave it off the claim or "
            "check the minutes.",
            indexes,
        )


def _code_needs_replacing(ctx: RuleContext, index: int) -> bool:
    """The line's code is malformed or deleted by the date of service: its own error says
    what to use, and a fee for it would be the wrong advice."""
    code = ctx.codes[index]
    entry = ctx.tables.deleted.get(code)
    deleted = entry is not None and entry.is_deleted_on(ctx.visit.date_of_service)
    return deleted or (ctx.procedures[index] is None and bool(code_format_problem(code)))


def rule_fee_missing(ctx: RuleContext) -> Iterable[Finding]:
    # A warning, not an error: some clinics record a bundled code (97010 on Medicare) at $0
    # on purpose. Lines billing no unit cost nothing either way, so they stay quiet.
    missing = [
        i
        for i, line in enumerate(ctx.visit.lines)
        if line.no_fee and ctx.billed_units[i] > 0 and not _code_needs_replacing(ctx, i)
    ]
    if not missing:
        return
    if len(missing) == 1:
        text = (
            f"{ctx.where_all(missing)} has no fee on file, so it is charged $0.00: add the fee "
            "to the fee schedule (Clinic > Fee schedule) or type it on the line."
        )
    else:
        text = (
            f"{ctx.where_all(missing)} have no fee on file, so they are charged $0.00: add "
            "the fees to the fee schedule (Clinic > Fee schedule) or type them on the lines."
        )
    yield _finding("fee-missing", text, missing)


# --- KX and the Medicare therapy thresholds ----------------------------------------------------


class _KxState:
    __slots__ = (
        "bucket",
        "year",
        "threshold",
        "review",
        "ytd",
        "known_total",
        "visit_known",
        "need",
        "unknown",
        "therapy",
    )

    def __init__(self, ctx: RuleContext) -> None:
        visit = ctx.visit
        self.bucket = KX_BUCKETS[visit.discipline]
        self.year = visit.date_of_service.year
        row = ctx.tables.kx_for_year(self.year)
        self.threshold: Money | None = row.kx if row else None
        self.review: Money | None = row.medical_review if row else None
        self.ytd: Money = visit.patient.ytd_allowed[self.bucket]
        self.therapy = [i for i in range(len(visit.lines)) if ctx.is_therapy(i)]
        self.need: list[int] = []
        self.unknown: list[int] = []
        running = self.ytd
        crossed = self.threshold is not None and running > self.threshold
        for index in self.therapy:
            allowed = visit.lines[index].allowed
            if allowed is None:
                self.unknown.append(index)
            else:
                running = running + allowed
                if self.threshold is not None and running > self.threshold:
                    crossed = True
            # KX goes on the line whose amount passes the threshold and on every later one.
            if crossed:
                self.need.append(index)
        self.known_total = running
        self.visit_known = running - self.ytd

    def sums(self) -> str:
        return (
            f"{self.ytd} allowed this year before this visit + {self.visit_known} on this "
            f"visit = {self.known_total}"
        )

    def unknown_note(self, ctx: RuleContext) -> str:
        if not self.unknown:
            return ""
        one = len(self.unknown) == 1
        return (
            f" {ctx.where_all(self.unknown)} {'has' if one else 'have'} no allowed amount, so "
            f"the total leaves {'it' if one else 'them'} out: enter the allowed "
            f"{'amount' if one else 'amounts'} to be sure."
        )

    @property
    def bucket_name(self) -> str:
        return BUCKET_NAMES.get(self.bucket, self.bucket)


def _kx_state(ctx: RuleContext) -> _KxState | None:
    if ctx._kx is False:
        visit = ctx.visit
        bucket = KX_BUCKETS.get(visit.discipline)
        usable = (
            visit.payer.tracks_kx
            and bucket is not None
            and visit.patient.ytd_allowed.get(bucket) is not None
        )
        ctx._kx = _KxState(ctx) if usable else None
    return ctx._kx  # type: ignore[return-value]


def rule_kx_threshold_unknown(ctx: RuleContext) -> Iterable[Finding]:
    state = _kx_state(ctx)
    if state is None or state.threshold is not None:
        return
    yield _finding(
        "kx-threshold-unknown",
        f"No Medicare therapy (KX) threshold is known for {state.year}: add the year's figure "
        "to kx_thresholds.csv so KX can be checked.",
    )


def rule_kx_required(ctx: RuleContext) -> Iterable[Finding]:
    state = _kx_state(ctx)
    if state is None or state.threshold is None:
        return
    missing = [
        i
        for i in state.need
        if KX_MODIFIER not in ctx.modifiers[i] and not (ctx.modifiers[i] & LIABILITY_MODIFIERS)
    ]
    if not missing:
        return
    yield _finding(
        "kx-required",
        f"{state.bucket_name} therapy for {state.year}: {state.sums()}, past the "
        f"{state.threshold} threshold. {ctx.where_all(missing)} {_need(missing)} KX, the "
        "therapist's attestation that the care is medically necessary (or GA with an ABN "
        f"if it is not).{state.unknown_note(ctx)}",
        missing,
        {"add_modifier": KX_MODIFIER, "lines": missing},
    )


def rule_kx_unneeded(ctx: RuleContext) -> Iterable[Finding]:
    state = _kx_state(ctx)
    if state is None or state.threshold is None:
        return
    need = set(state.need)
    extra = [i for i, mods in enumerate(ctx.modifiers) if KX_MODIFIER in mods and i not in need]
    if not extra:
        return
    yield _finding(
        "kx-unneeded",
        f"{ctx.where_all(extra)} {'has' if len(extra) == 1 else 'have'} KX, but "
        f"{state.bucket_name} therapy for {state.year} has not passed the {state.threshold} "
        f"threshold there ({state.sums()}).{state.unknown_note(ctx)}",
        extra,
        {"remove_modifier": KX_MODIFIER, "lines": extra},
    )


def _percent(value: float | Decimal) -> str:
    """Rounded down to a tenth, so 99.6% never shows as 100% and 10.4% not as 10%."""
    tenths = math.floor(value * 10)
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def rule_kx_approaching(ctx: RuleContext) -> Iterable[Finding]:
    state = _kx_state(ctx)
    if state is None or state.threshold is None:
        return
    total, threshold = state.known_total, state.threshold
    if total > threshold or total.amount < threshold.amount * KX_APPROACHING_SHARE:
        return
    share = _percent(total.amount * 100 / threshold.amount)
    yield _finding(
        "kx-approaching",
        f"{state.bucket_name} therapy for {state.year}: {state.sums()}, {share} of the "
        f"{threshold} threshold; lines past it will need KX.{state.unknown_note(ctx)}",
    )


def rule_medical_review_threshold(ctx: RuleContext) -> Iterable[Finding]:
    state = _kx_state(ctx)
    if state is None or state.review is None or state.known_total <= state.review:
        return
    yield _finding(
        "medical-review-threshold",
        f"{state.bucket_name} therapy for {state.year}: {state.sums()}, past the "
        f"{state.review} targeted medical review threshold; Medicare may review this "
        "patient's care, so the notes must show medical necessity.",
    )


# --- diagnoses ---------------------------------------------------------------------------------


def _pointing_at(ctx: RuleContext, letter: str) -> list[int]:
    return [
        i
        for i, line in enumerate(ctx.visit.lines)
        if letter in (p.strip().upper() for p in line.dx_pointers)
    ]


def rule_dx_missing(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    if not visit.diagnoses:
        yield _finding(
            "dx-missing",
            "The visit has no diagnosis: a claim needs at least one ICD-10-CM code.",
        )
        return
    bare = [i for i, line in enumerate(visit.lines) if not line.dx_pointers]
    if bare:
        fix = {"set_dx_pointers": ["A"], "lines": bare} if len(visit.diagnoses) == 1 else None
        yield _finding(
            "dx-missing",
            f"{ctx.where_all(bare)} {'points' if len(bare) == 1 else 'point'} at no diagnosis; "
            "every line needs at least one diagnosis pointer (A-L).",
            bare,
            fix,
        )


def _dx_findings(ctx: RuleContext, status: str, rule: str) -> Iterable[Finding]:
    if ctx.dx_check is None:
        return
    for position, code in enumerate(ctx.visit.diagnoses[:MAX_DIAGNOSES]):
        check = ctx.check_dx(code)
        if check is None or check.status != status:
            continue
        letter = DX_LETTERS[position]
        message = check.message.strip()
        if message and not message.endswith("."):
            message += "."
        yield _finding(
            rule,
            f"Diagnosis {letter} ({code}): {message}",
            _pointing_at(ctx, letter),
        )


def rule_dx_unknown(ctx: RuleContext) -> Iterable[Finding]:
    return _dx_findings(ctx, "unknown", "dx-unknown")


def rule_dx_not_billable(ctx: RuleContext) -> Iterable[Finding]:
    return _dx_findings(ctx, "not-billable", "dx-not-billable")


def rule_dx_pointer_invalid(ctx: RuleContext) -> Iterable[Finding]:
    count = min(len(ctx.visit.diagnoses), MAX_DIAGNOSES)
    valid_letters = DX_LETTERS[:count]
    for index, line in enumerate(ctx.visit.lines):
        seen: list[str] = []
        problems: list[str] = []
        for raw in line.dx_pointers:
            pointer = raw.strip().upper()
            if len(pointer) != 1 or pointer not in DX_LETTERS:
                problems.append(f"{raw!r} is not a pointer letter A-L")
            elif pointer not in valid_letters:
                have = f"A-{valid_letters[-1]}" if count > 1 else ("A" if count else "none")
                problems.append(f"{pointer} points at no diagnosis (the visit has {count}: {have})")
            elif pointer in seen:
                problems.append(f"{pointer} is given twice")
            else:
                seen.append(pointer)
        if not problems:
            continue
        fix = None
        if seen:
            fix = {"set_dx_pointers": seen[:MAX_POINTERS], "lines": [index]}
        elif count == 1:
            fix = {"set_dx_pointers": ["A"], "lines": [index]}
        yield _finding(
            "dx-pointer-invalid",
            f"{ctx.where(index)}: " + "; ".join(problems) + ".",
            [index],
            fix,
        )


def rule_too_many_diagnoses(ctx: RuleContext) -> Iterable[Finding]:
    count = len(ctx.visit.diagnoses)
    if count > MAX_DIAGNOSES:
        yield _finding(
            "too-many-diagnoses",
            f"The visit has {count} diagnoses; a claim holds at most {MAX_DIAGNOSES} (A-L). "
            "Keep the ones the lines point at.",
        )


def rule_too_many_pointers(ctx: RuleContext) -> Iterable[Finding]:
    for index, line in enumerate(ctx.visit.lines):
        if len(line.dx_pointers) > MAX_POINTERS:
            keep = [p.strip().upper() for p in line.dx_pointers[:MAX_POINTERS]]
            yield _finding(
                "too-many-pointers",
                f"{ctx.where(index)} points at {len(line.dx_pointers)} diagnoses "
                f"({', '.join(line.dx_pointers)}); a line holds at most {MAX_POINTERS}, "
                "the main one first.",
                [index],
                {"set_dx_pointers": keep, "lines": [index]},
            )


# --- plan of care, provider --------------------------------------------------------------------


def rule_plan_of_care_missing(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    if not visit.payer.is_medicare or visit.patient.plan_of_care is not None:
        return
    if ctx.has_evaluation():
        return  # the evaluation is where the plan of care is written
    yield _finding(
        "plan-of-care-missing",
        "No plan of care is recorded: Medicare pays therapy only under a certified plan of "
        "care; enter its start and certification dates.",
    )


def certified_through(start: date, cert_through: date | None) -> date:
    """The last day a plan of care covers: its certification date, or 90 calendar days
    counting the first treatment day when none is recorded."""
    return cert_through or start + timedelta(days=CERTIFICATION_DAYS - 1)


def rule_plan_of_care_expired(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    plan = visit.patient.plan_of_care
    if plan is None or ctx.has_evaluation():
        return
    day = visit.date_of_service
    last = certified_through(plan.start, plan.cert_through)
    if day < plan.start:
        yield _finding(
            "plan-of-care-expired",
            f"The date of service {day.isoformat()} is before the plan of care starts "
            f"({plan.start.isoformat()}).",
        )
    elif day > last:
        how = "" if plan.cert_through else f" ({CERTIFICATION_DAYS} days from its start)"
        yield _finding(
            "plan-of-care-expired",
            f"The plan of care was certified through {last.isoformat()}{how}; the date of "
            f"service {day.isoformat()} is after it. Recertify the plan (or re-evaluate) "
            "before billing.",
        )


def rule_progress_report_due(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    since = visit.patient.treatment_days_since_progress_report
    if not visit.payer.is_medicare or since is None:
        return
    day_number = since + 1
    if day_number >= PROGRESS_REPORT_DAYS:
        yield _finding(
            "progress-report-due",
            f"This is treatment day {day_number} since the last progress report: Medicare "
            f"wants a progress report at least every {PROGRESS_REPORT_DAYS} treatment days; "
            "write it at this visit.",
        )
    elif day_number >= PROGRESS_REPORT_NOTICE_FROM:
        yield _finding(
            "progress-report-due",
            f"This is treatment day {day_number} since the last progress report: one is due "
            f"by treatment day {PROGRESS_REPORT_DAYS}.",
            severity=Severity.INFO,
        )


def rule_npi_invalid(ctx: RuleContext) -> Iterable[Finding]:
    npi = ctx.visit.provider.npi
    if npi is None or not npi.strip():
        yield _finding(
            "npi-invalid",
            "The rendering provider has no NPI: a claim or superbill needs it.",
            severity=Severity.WARNING,
        )
        return
    problem = npi_problem(npi)
    if problem:
        yield _finding("npi-invalid", f"Rendering provider: {problem}.")


# --- the table ---------------------------------------------------------------------------------

Rule = Callable[[RuleContext], Iterable[Finding]]

# (id, usual severity, function). A few rules say something milder or stronger in a case the
# function documents (e.g. unknown-code is an error for a malformed code).
RULES: tuple[tuple[str, Severity, Rule], ...] = (
    ("unknown-code", Severity.WARNING, rule_unknown_code),
    ("deleted-code", Severity.ERROR, rule_deleted_code),
    ("future-date-of-service", Severity.WARNING, rule_future_date_of_service),
    ("medicare-replacement", Severity.ERROR, rule_medicare_replacement),
    ("bundled-code", Severity.WARNING, rule_bundled_code),
    ("therapy-modifier-missing", Severity.ERROR, rule_therapy_modifier_missing),
    ("therapy-modifier-mismatch", Severity.ERROR, rule_therapy_modifier_mismatch),
    ("assistant-modifier", Severity.ERROR, rule_assistant_modifier),
    ("telehealth-modifier", Severity.ERROR, rule_telehealth_modifier),
    ("too-many-modifiers", Severity.ERROR, rule_too_many_modifiers),
    ("ncci-pair", Severity.WARNING, rule_ncci_pair),
    ("mue-exceeded", Severity.ERROR, rule_mue_exceeded),
    ("one-evaluation-per-day", Severity.ERROR, rule_one_evaluation_per_day),
    ("untimed-units", Severity.ERROR, rule_untimed_units),
    ("addon-without-primary", Severity.ERROR, rule_addon_without_primary),
    ("duplicate-timed-line", Severity.ERROR, rule_duplicate_timed_line),
    ("units-override", Severity.WARNING, rule_units_override),
    ("timed-over-total", Severity.ERROR, rule_timed_over_total),
    ("zero-units", Severity.WARNING, rule_zero_units),
    ("fee-missing", Severity.WARNING, rule_fee_missing),
    ("kx-threshold-unknown", Severity.WARNING, rule_kx_threshold_unknown),
    ("kx-required", Severity.ERROR, rule_kx_required),
    ("kx-unneeded", Severity.WARNING, rule_kx_unneeded),
    ("kx-approaching", Severity.INFO, rule_kx_approaching),
    ("medical-review-threshold", Severity.INFO, rule_medical_review_threshold),
    ("dx-missing", Severity.ERROR, rule_dx_missing),
    ("dx-unknown", Severity.ERROR, rule_dx_unknown),
    ("dx-not-billable", Severity.ERROR, rule_dx_not_billable),
    ("dx-pointer-invalid", Severity.ERROR, rule_dx_pointer_invalid),
    ("too-many-diagnoses", Severity.ERROR, rule_too_many_diagnoses),
    ("too-many-pointers", Severity.ERROR, rule_too_many_pointers),
    ("plan-of-care-missing", Severity.WARNING, rule_plan_of_care_missing),
    ("plan-of-care-expired", Severity.ERROR, rule_plan_of_care_expired),
    ("progress-report-due", Severity.WARNING, rule_progress_report_due),
    ("npi-invalid", Severity.ERROR, rule_npi_invalid),
)
RULE_IDS: tuple[str, ...] = tuple(rule_id for rule_id, _, _ in RULES)
_DEFAULT_SEVERITY = {rule_id: severity for rule_id, severity, _ in RULES}
_RULE_ORDER = {rule_id: position for position, rule_id in enumerate(RULE_IDS)}


def unit_lines(visit: Visit, catalog: CatalogLike) -> list[UnitLine]:
    """The visit's lines as the units engine sees them: timed from the catalog (unknown codes
    untimed), lines with an assistant modifier kept apart as group "CO"/"CQ"."""
    lines = []
    for line in visit.lines:
        procedure = catalog.get(line.code)
        mods = {m.strip().upper() for m in line.modifiers}
        group = "CO" if "CO" in mods else "CQ" if "CQ" in mods else ""
        lines.append(
            UnitLine(
                code=normalize_code(line.code),
                minutes=line.minutes,
                timed=procedure is not None and procedure.is_timed,
                group=group,
            )
        )
    return lines


def check_visit(
    visit: Visit,
    *,
    catalog: CatalogLike | None = None,
    dx_check: DxChecker | None = None,
    tables: RuleTables | None = None,
    today: date | None = None,
) -> CheckResult:
    """Units (with the payer's unit rule) and every rule's findings for one visit: errors
    first, then warnings, then notes; within a severity in RULES order. Without `dx_check`
    the ICD-10-CM rules (dx-unknown, dx-not-billable) are skipped, and without `today`
    future-date-of-service. Raises
    otdesk.core.units.UnitsInputError for minutes the units engine cannot use."""
    if catalog is None:
        catalog = default_catalog()
    if tables is None:
        tables = RuleTables.shipped()
    units = compute_units(unit_lines(visit, catalog), visit.payer.unit_rule)
    ctx = RuleContext(visit, catalog, tables, dx_check, units, today)
    findings: list[Finding] = []
    for _rule_id, _severity, rule in RULES:
        findings.extend(rule(ctx))
    findings.sort(
        key=lambda f: (
            _SEVERITY_ORDER[f.severity],
            _RULE_ORDER.get(f.rule, len(_RULE_ORDER)),
            f.lines or (-1,),
        )
    )
    return CheckResult(units=units, findings=tuple(findings))
