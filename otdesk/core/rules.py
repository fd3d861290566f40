"""The rules engine: a visit in, its units and a list of findings out.

Each rule is a small function `(RuleContext) -> Iterable[Finding]`; RULES lists them with
their stable ids and usual severity. A finding names the codes and the 1-based line numbers a
person sees ("Line 2 (97530)"); Finding.lines holds 0-based indexes. A fix is data (see
otdesk.core.fixes): the engine suggests, it never changes the visit.

Facts come from DOMAIN.md: units (section 1), modifiers and KX (2), NCCI/MUE (3), deleted
codes (4), diagnoses (6), plan of care (7). Year-dependent figures come from the data files
through RuleTables, chosen by the date of service.

Why one module over 800 lines: every rule reads the same RuleContext and the helpers beside
it, and RULES at the end is the one table of them all, in the order findings are sorted; a
person checking a rule reads it next to its neighbours. The sections (codes, modifiers,
NCCI and MUE, units, KX, diagnoses, plan of care) are the seams of a split should it grow.
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
from otdesk.core.units import (
    MAX_MINUTES,
    UNIT_MINUTES,
    AssistantSplit,
    UnitLine,
    UnitsResult,
    assistant_split,
    compute_units,
    units_per_line,
)
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
# From this date of service the 10% standard applies to each 15-minute unit of a timed code
# (CMS CY2022 Physician Fee Schedule final rule); before it, to the service's minutes.
ASSISTANT_PER_UNIT_FROM = date(2022, 1, 1)
# Distinct-service modifiers, in the order the finding offers them (X modifiers preferred).
DISTINCT_MODIFIERS = ("XU", "XS", "XE", "XP", "59")
# Chosen instead of KX when the therapist does not attest medical necessity.
LIABILITY_MODIFIERS = frozenset({"GA", "GY", "GZ"})
TELEHEALTH_POS = {"02": "telehealth outside the home", "10": "telehealth in the home"}
EVALUATION_CATEGORY = "evaluation"
# Visits where a plan of care is written: OT/PT evaluations and SLP evaluations (several SLP
# evaluation codes may be billed on one date, so one-evaluation-per-day counts only the first).
PLAN_WRITING_CATEGORIES = frozenset({EVALUATION_CATEGORY, "speech-language evaluation"})
# 97039, 97139, 97799: the claim needs the service described in words (DOMAIN.md section 5).
UNLISTED_CATEGORY = "unlisted"
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

    def did_you_mean(self, code: str) -> str: ...


class DxCheckLike(Protocol):
    status: str
    message: str
    children: Any


DxChecker = Callable[[str], DxCheckLike]


def counts_toward_kx(procedure: Procedure | None) -> bool:
    """A therapy service (a catalog code with disciplines, not billed per item): it takes a
    therapy modifier and counts toward the Medicare therapy (KX) threshold."""
    return (
        procedure is not None
        and bool(procedure.disciplines)
        and procedure.kind is not BillingKind.ITEM
    )


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
        "catalog",
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
        self.catalog = catalog
        self.today = today
        self.tables = tables
        self.dx_check = dx_check
        self.units = units
        self.codes = tuple(normalize_code(line.code) for line in visit.lines)
        self.procedures = tuple(catalog.get(code) for code in self.codes)
        self.modifiers = tuple(
            frozenset(m.strip().upper() for m in line.modifiers) for line in visit.lines
        )
        self.computed_units, self.billed_units = units_per_line(
            units, [line.units for line in visit.lines]
        )
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

    def is_therapy_service(self, index: int) -> bool:
        """A therapy code billed as a service (not an item such as an orthosis or a supply):
        it takes GO/GP/GN, CO/CQ and counts toward the KX threshold."""
        return counts_toward_kx(self.procedures[index])

    def has_evaluation(self) -> bool:
        return any(p is not None and p.category in PLAN_WRITING_CATEGORIES for p in self.procedures)

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


# Letters whose spoken names begin with a vowel sound ("an F", "an SLP", "an MRI").
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")


def article(word: str) -> str:
    """ "a" or "an" for `word` as it is read aloud: initialisms letter by letter ("an OTA",
    "a PTA", "an SLP", "an SLPA"), other words by their first letter ("an assistant")."""
    if not word:
        return "a"
    if len(word) > 1 and word.isupper():
        return "an" if word[0] in _VOWEL_SOUND_LETTERS else "a"
    return "an" if word[0].lower() in "aeiou" else "a"


def _a(word: str) -> str:
    """ "an OT", "a PT", "an SLP", "a PTA", "an OTA"."""
    return f"{article(word)} {word}"


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
                "is counted as untimed (1 unit) and the catalog's checks cannot cover it."
                + ctx.catalog.did_you_mean(ctx.codes[index]),
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


def _predecessors(code: str, day: date, tables: RuleTables) -> list[str]:
    """Codes still valid on `day` that the deleted-codes table says `code` replaced."""
    return sorted(
        entry.code
        for entry in tables.deleted.values()
        if code in entry.replacements and not entry.is_deleted_on(day)
    )


def rule_code_not_yet_effective(ctx: RuleContext) -> Iterable[Finding]:
    day = ctx.visit.date_of_service
    for index, procedure in enumerate(ctx.procedures):
        if procedure is None or procedure.in_effect_on(day):
            continue
        start = procedure.effective_from
        assert start is not None
        code = procedure.code
        message = (
            f"{ctx.where(index)}: {code} came into effect on {start.isoformat()} and is not "
            f"valid for a date of service of {day.isoformat()}"
        )
        earlier = _predecessors(code, day, ctx.tables)
        fix = None
        if earlier:
            message += f"; on that date bill {_or_list(earlier)}"
            if len(earlier) == 1:
                fix = {"replace_code": earlier[0], "lines": [index]}
        yield _finding("code-not-yet-effective", message + ".", [index], fix)


def rule_unlisted_description(ctx: RuleContext) -> Iterable[Finding]:
    for index, procedure in enumerate(ctx.procedures):
        if procedure is None or procedure.category != UNLISTED_CATEGORY:
            continue
        if ctx.visit.lines[index].description.strip():
            continue
        yield _finding(
            "unlisted-description",
            f"{ctx.where(index)}: {procedure.code} is an unlisted code, so its number says "
            "nothing of the service: type what was done (e.g. the modality or technique) as "
            "the line's description; the claim carries it and payers deny the line without "
            "it.",
            [index],
            {"set_description": None, "lines": [index]},
        )


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
        i
        for i in range(len(visit.lines))
        if ctx.is_therapy_service(i) and not (ctx.modifiers[i] & therapy)
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
        return True, f"the provider is {_a(role)}, so all of it is the assistant's"
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
        if not ctx.is_therapy_service(index) and wanted not in mods:
            continue
        if mods & (set(ASSISTANT_MODIFIERS.values()) - {wanted}):
            continue  # the other discipline's modifier: swapped first (above)
        split = _unit_split(ctx, index, wanted)
        if split is not None and 0 < split.with_modifier < split.units:
            if visit.payer.needs_therapy_modifiers or wanted in mods:
                yield _split_finding(ctx, index, wanted, split)
            continue
        if split is not None:
            needed = split.with_modifier > 0
            reason = f"per 15-minute unit (CMS, since 2022): {split.explanation}"
        else:
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
            + f". A service done in whole or in part (more than 10% of its minutes, of each "
            f"15-minute unit for a timed code) by an assistant takes {wanted}.",
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


def _unit_split(ctx: RuleContext, index: int, modifier: str) -> AssistantSplit | None:
    """The per-unit CO/CQ allocation of a timed line that is its code's only line, for a
    date of service since the CY2022 rule; None where the per-service 10% test applies
    instead (untimed codes, earlier dates, an assistant as the provider, a code on several
    lines, whose units the units engine already shares out)."""
    visit = ctx.visit
    procedure = ctx.procedures[index]
    if (
        procedure is None
        or not procedure.is_timed
        or visit.date_of_service < ASSISTANT_PER_UNIT_FROM
        or visit.provider.is_assistant
        or ctx.codes.count(ctx.codes[index]) > 1
    ):
        return None
    line = visit.lines[index]
    assistant = line.assistant_minutes
    if not assistant and modifier in ctx.modifiers[index]:
        assistant = line.minutes  # a line marked CO/CQ without a split is the assistant's
    units = ctx.computed_units[index]
    if units <= 0 or assistant <= 0:
        return None
    if assistant >= line.minutes:
        # every minute is the assistant's: nothing to split off, every unit takes it
        return assistant_split(units, 0, max(assistant, units * UNIT_MINUTES), modifier)
    return assistant_split(units, line.minutes - assistant, assistant, modifier)


def _split_finding(ctx: RuleContext, index: int, modifier: str, split: AssistantSplit) -> Finding:
    line = ctx.visit.lines[index]
    code = ctx.codes[index]
    assistant = line.assistant_minutes
    with_units, without = split.with_modifier, split.without_modifier
    return _finding(
        "assistant-modifier",
        f"{ctx.where(index)}: per 15-minute unit (CMS, since 2022): {split.explanation} "
        f"The claim needs {code} on two lines: {with_units} {_plural(with_units, 'unit')} "
        f"with {modifier} (the assistant's {assistant} min) and {without} "
        f"{_plural(without, 'unit')} without (the therapist's {line.minutes - assistant} "
        "min); split the line.",
        [index],
        {"split_assistant": modifier, "units": [with_units, without], "lines": [index]},
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
        and not procedure.per_item  # an item's units are the items entered
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


def rule_day_over_24_hours(ctx: RuleContext) -> Iterable[Finding]:
    lines = ctx.visit.lines
    total = sum(line.minutes for line in lines)
    if total <= MAX_MINUTES:
        return
    hours, minutes = divmod(total, 60)
    yield _finding(
        "day-over-24-hours",
        f"The lines add up to {total} minutes ({hours} h {minutes:02d} min) on "
        f"{ctx.visit.date_of_service.isoformat()}, more than the {MAX_MINUTES} minutes of a "
        "day: a minutes figure is mistyped; correct it.",
        [i for i, line in enumerate(lines) if line.minutes > 0],
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


class _Bucket:
    """One KX bucket's sums on this visit: OT, or PT and SLP together."""

    __slots__ = ("bucket", "ytd", "running", "lines", "need", "unknown")

    def __init__(self, bucket: str, ytd: Money) -> None:
        self.bucket = bucket
        self.ytd = ytd
        self.running = ytd
        self.lines: list[int] = []
        self.need: list[int] = []
        self.unknown: list[int] = []

    @property
    def name(self) -> str:
        return BUCKET_NAMES.get(self.bucket, self.bucket)

    @property
    def visit_known(self) -> Money:
        return self.running - self.ytd

    def sums(self) -> str:
        return (
            f"{self.ytd} allowed this year before this visit + {self.visit_known} on this "
            f"visit = {self.running}"
        )


def line_kx_bucket(modifiers: frozenset[str], discipline: str) -> str | None:
    """The KX bucket a line counts toward: its own therapy modifier's (GO -> OT; GP, GN ->
    PT and SLP), else the visit's discipline's (Pub 100-04 ch. 5 section 10.3)."""
    for modifier, bucket in _MODIFIER_BUCKETS:
        if modifier in modifiers:
            return bucket
    return KX_BUCKETS.get(discipline)


_MODIFIER_BUCKETS = tuple(
    (THERAPY_MODIFIERS[discipline], KX_BUCKETS[discipline]) for discipline in ("OT", "PT", "SLP")
)


class _KxState:
    """Each line's allowed amount added to the bucket of its own therapy modifier, in the
    order entered; a bucket's lines need KX from the one whose amount passes the threshold."""

    __slots__ = ("year", "threshold", "review", "buckets", "need")

    def __init__(self, ctx: RuleContext) -> None:
        visit = ctx.visit
        self.year = visit.date_of_service.year
        row = ctx.tables.kx_for_year(self.year)
        self.threshold: Money | None = row.kx if row else None
        self.review: Money | None = row.medical_review if row else None
        ytd = visit.patient.ytd_allowed
        buckets: dict[str, _Bucket] = {}
        for index in range(len(visit.lines)):
            if not ctx.is_therapy_service(index):
                continue
            key = line_kx_bucket(ctx.modifiers[index], visit.discipline)
            if key is None or ytd.get(key) is None:
                continue
            bucket = buckets.get(key)
            if bucket is None:
                bucket = buckets[key] = _Bucket(key, ytd[key])
            bucket.lines.append(index)
            allowed = visit.lines[index].allowed
            if allowed is None:
                bucket.unknown.append(index)
            else:
                bucket.running = bucket.running + allowed
            # KX goes on the line whose amount passes the threshold and on every later one.
            if self.threshold is not None and bucket.running > self.threshold:
                bucket.need.append(index)
        if not buckets:
            key = KX_BUCKETS.get(visit.discipline)
            if key is not None and ytd.get(key) is not None:
                buckets[key] = _Bucket(key, ytd[key])
        self.buckets = [buckets[key] for key in sorted(buckets)]
        self.need = sorted(i for bucket in self.buckets for i in bucket.need)

    def passed(self, bucket: _Bucket) -> bool:
        return self.threshold is not None and bucket.running > self.threshold

    def sums(self) -> str:
        """ "OT: $2,400.00 ... = $2,550.00, past it; PT and SLP: ... = $90.00, below it"."""
        parts = []
        for bucket in self.buckets:
            state = "past it" if self.passed(bucket) else "not past it"
            parts.append(f"{bucket.name}: {bucket.sums()}, {state}")
        return "; ".join(parts)

    def unknown_note(self, ctx: RuleContext, buckets: Sequence[_Bucket] | None = None) -> str:
        unknown = sorted(i for b in (buckets or self.buckets) for i in b.unknown)
        if not unknown:
            return ""
        one = len(unknown) == 1
        return (
            f" {ctx.where_all(unknown)} {'has' if one else 'have'} no allowed amount, so "
            f"the total leaves {'it' if one else 'them'} out: enter the allowed "
            f"{'amount' if one else 'amounts'} to be sure."
        )


def _kx_state(ctx: RuleContext) -> _KxState | None:
    if ctx._kx is False:
        visit = ctx.visit
        state = _KxState(ctx) if visit.payer.tracks_kx and visit.patient.ytd_allowed else None
        ctx._kx = state if state is not None and state.buckets else None
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
        f"Medicare therapy threshold for {state.year} ({state.threshold} per bucket): "
        f"{state.sums()}. {ctx.where_all(missing)} {_need(missing)} KX, the therapist's "
        "attestation that the care is medically necessary (or GA with an ABN if it is "
        f"not).{state.unknown_note(ctx)}",
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
        f"{ctx.where_all(extra)} {'has' if len(extra) == 1 else 'have'} KX, but its "
        f"therapy bucket has not passed the {state.threshold} threshold for {state.year} "
        f"there ({state.sums()}).{state.unknown_note(ctx)}",
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
    threshold = state.threshold
    for bucket in state.buckets:
        total = bucket.running
        if total > threshold or total.amount < threshold.amount * KX_APPROACHING_SHARE:
            continue
        share = _percent(total.amount * 100 / threshold.amount)
        yield _finding(
            "kx-approaching",
            f"{bucket.name} therapy for {state.year}: {bucket.sums()}, {share} of the "
            f"{threshold} threshold; lines past it will need KX."
            f"{state.unknown_note(ctx, [bucket])}",
            bucket.lines,
        )


def rule_medical_review_threshold(ctx: RuleContext) -> Iterable[Finding]:
    state = _kx_state(ctx)
    if state is None or state.review is None:
        return
    for bucket in state.buckets:
        if bucket.running <= state.review:
            continue
        yield _finding(
            "medical-review-threshold",
            f"{bucket.name} therapy for {state.year}: {bucket.sums()}, past the "
            f"{state.review} targeted medical review threshold; Medicare may review this "
            "patient's care, so the notes must show medical necessity.",
            bucket.lines,
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


def rule_dx_excludes1(ctx: RuleContext) -> Iterable[Finding]:
    """Two diagnoses the tabular list marks Excludes1 (ICD-10-CM guidelines I.A.12.a: "not
    coded here", not reported together unless the conditions are unrelated), e.g. G81.91
    hemiplegia with I69.351 hemiplegia following a stroke. The notes come with each
    diagnosis's check (IcdIndex.validate); a checker without them (a simple fake, or one
    made before the notes were kept) stays silent."""
    if ctx.dx_check is None:
        return
    known: list[tuple[int, str, Sequence[Any]]] = []
    for position, code in enumerate(ctx.visit.diagnoses[:MAX_DIAGNOSES]):
        check = ctx.check_dx(code)
        if check is None or check.status == "unknown":
            continue
        shown = str(getattr(check, "code", "") or code.strip().upper())
        known.append((position, shown, getattr(check, "excludes1", None) or ()))
    for first, (pos_a, code_a, notes_a) in enumerate(known):
        for pos_b, code_b, notes_b in known[first + 1 :]:
            if code_a == code_b:
                continue
            found = next((n for n in notes_a if n.covers(code_b)), None)
            holder_code = code_a
            if found is None:
                found = next((n for n in notes_b if n.covers(code_a)), None)
                holder_code = code_b
            if found is None:
                continue
            a, b = DX_LETTERS[pos_a], DX_LETTERS[pos_b]
            title = f" ({found.title})" if found.title else ""
            lines = sorted(set(_pointing_at(ctx, a)) | set(_pointing_at(ctx, b)))
            yield _finding(
                "dx-excludes1",
                f"Diagnoses {a} ({code_a}) and {b} ({code_b}) are not coded together: the "
                f"ICD-10-CM tabular list at {found.holder}{title}, which covers "
                f"{holder_code}, says Excludes1: {found.note}. Keep the one that describes "
                "the patient's condition (both only when the two conditions are unrelated).",
                lines,
            )


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
    """The last day a plan of care covers: its certification date, but never past 90
    calendar days counting the first treatment day (an initial certification covers at
    most 90 days; Benefit Policy Manual ch. 15, section 220.1.2)."""
    cap = start + timedelta(days=CERTIFICATION_DAYS - 1)
    return min(cert_through, cap) if cert_through else cap


def certification_warning(start: date, cert_through: date | None) -> str | None:
    """A sentence when a typed certification end reaches past the 90 days a certification
    covers (start + 89 days), else None."""
    if cert_through is None:
        return None
    cap = start + timedelta(days=CERTIFICATION_DAYS - 1)
    if cert_through <= cap:
        return None
    return (
        f"Certified through {cert_through.isoformat()} is more than {CERTIFICATION_DAYS} "
        f"days from the start ({start.isoformat()}): a certification covers at most "
        f"{CERTIFICATION_DAYS} days, through {cap.isoformat()}; visits after that need a "
        "recertification."
    )


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
        if plan.cert_through is None:
            how = f" ({CERTIFICATION_DAYS} days from its start)"
        elif plan.cert_through > last:
            how = (
                f": it is typed as certified through {plan.cert_through.isoformat()}, but a "
                f"certification covers at most {CERTIFICATION_DAYS} days from its start "
                f"({plan.start.isoformat()})"
            )
        else:
            how = ""
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


def rule_referring_provider(ctx: RuleContext) -> Iterable[Finding]:
    visit = ctx.visit
    if not visit.payer.is_medicare:
        return
    if not any(ctx.is_therapy_service(i) for i in range(len(visit.lines))):
        return
    npi = (visit.referring_npi or "").strip()
    if not npi:
        yield _finding(
            "referring-provider",
            "No referring or certifying physician NPI: a Medicare therapy claim names the "
            "physician or practitioner who certified the plan of care (CMS-1500 box 17b, "
            "837P loop 2310A). Enter the referring provider's NPI on the plan of care.",
        )
        return
    problem = npi_problem(npi)
    if problem:
        yield _finding(
            "referring-provider",
            f"Referring provider: {problem}; the claim would be rejected.",
            severity=Severity.ERROR,
        )


# --- the table ---------------------------------------------------------------------------------

Rule = Callable[[RuleContext], Iterable[Finding]]

# (id, usual severity, function). A few rules say something milder or stronger in a case the
# function documents (e.g. unknown-code is an error for a malformed code).
RULES: tuple[tuple[str, Severity, Rule], ...] = (
    ("unknown-code", Severity.WARNING, rule_unknown_code),
    ("deleted-code", Severity.ERROR, rule_deleted_code),
    ("code-not-yet-effective", Severity.ERROR, rule_code_not_yet_effective),
    ("unlisted-description", Severity.ERROR, rule_unlisted_description),
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
    ("day-over-24-hours", Severity.ERROR, rule_day_over_24_hours),
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
    ("dx-excludes1", Severity.WARNING, rule_dx_excludes1),
    ("dx-pointer-invalid", Severity.ERROR, rule_dx_pointer_invalid),
    ("too-many-diagnoses", Severity.ERROR, rule_too_many_diagnoses),
    ("too-many-pointers", Severity.ERROR, rule_too_many_pointers),
    ("plan-of-care-missing", Severity.WARNING, rule_plan_of_care_missing),
    ("plan-of-care-expired", Severity.ERROR, rule_plan_of_care_expired),
    ("progress-report-due", Severity.WARNING, rule_progress_report_due),
    ("npi-invalid", Severity.ERROR, rule_npi_invalid),
    ("referring-provider", Severity.WARNING, rule_referring_provider),
)
RULE_IDS: tuple[str, ...] = tuple(rule_id for rule_id, _, _ in RULES)
_DEFAULT_SEVERITY = {rule_id: severity for rule_id, severity, _ in RULES}
_RULE_ORDER = {rule_id: position for position, rule_id in enumerate(RULE_IDS)}


def unit_lines(visit: Visit, catalog: CatalogLike) -> list[UnitLine]:
    """The visit's lines as the units engine sees them: timed from the catalog (unknown codes
    untimed), lines with an assistant modifier kept apart as group "CO"/"CQ" (all of such a
    line's minutes are the assistant's unless its assistant minutes say otherwise; all of
    every line's when the provider is an assistant), items with the count entered."""
    lines = []
    everything_assisted = visit.provider.is_assistant
    for line in visit.lines:
        procedure = catalog.get(line.code)
        mods = {m.strip().upper() for m in line.modifiers}
        group = "CO" if "CO" in mods else "CQ" if "CQ" in mods else ""
        per_item = procedure is not None and procedure.per_item
        assistant = line.assistant_minutes
        if everything_assisted or (group and not assistant):
            assistant = line.minutes
        lines.append(
            UnitLine(
                code=normalize_code(line.code),
                minutes=line.minutes,
                timed=procedure is not None and procedure.is_timed,
                group=group,
                assistant_minutes=assistant,
                per_item=per_item,
                items=line.units if per_item else None,
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
    units: UnitsResult | None = None,
) -> CheckResult:
    """Units (with the payer's unit rule) and every rule's findings for one visit: errors
    first, then warnings, then notes; within a severity in RULES order. Without `dx_check`
    the ICD-10-CM rules (dx-unknown, dx-not-billable, dx-excludes1) are skipped, and without
    `today` future-date-of-service. `units` are the visit's units when the caller has
    computed them already (compute_units of unit_lines(visit, catalog) with the payer's
    rule); else they are computed here. Raises
    otdesk.core.units.UnitsInputError for minutes the units engine cannot use."""
    if catalog is None:
        catalog = default_catalog()
    if tables is None:
        tables = RuleTables.shipped()
    if units is None:
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
