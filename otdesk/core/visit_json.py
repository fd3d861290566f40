"""The JSON shape of a visit (the input of `otdesk rules check`), read strictly.

    {"date_of_service": "2026-11-27",
     "payer": {"kind": "medicare", "unit_rule": "cms"},
     "discipline": "OT", "place_of_service": "11",
     "provider": {"role": "OT", "npi": "1234567893"},
     "total_treatment_minutes": 60,
     "lines": [{"code": "97530", "minutes": 30, "assistant_minutes": 0, "modifiers": ["GO"],
                "dx_pointers": ["A"], "units": null, "allowed": "104.00",
                "description": ""}],
     "diagnoses": ["M62.81"], "referring_npi": "1234567893",
     "patient": {"ytd_allowed": {"OT": "2400.00", "PT_SLP": "0.00"},
                 "treatment_days_since_progress_report": 3,
                 "plan_of_care": {"start": "2026-10-01", "cert_through": "2026-12-29"}}}

Required: date_of_service, payer.kind, discipline, lines (and code on each line). Everything
else may be left out (defaults: unit_rule from the payer kind's usual rule "cms",
place_of_service "11", no NPI, no total time, minutes 0, no modifiers or pointers, computed
units, unknown allowed amount, no patient history). payer may also carry
therapy_modifiers_required, ncci_applies, kx_tracked (true/false/null: null means the usual
for the payer kind) and telehealth_modifier (default "95", null for none).

Any problem raises VisitInputError with one sentence naming the field path
("lines[0].minutes: ..."); nothing is returned half-read. What the rules engine checks
(too many modifiers, pointers or diagnoses, a pointer past the last diagnosis, an invalid NPI,
an unlisted code without a description)
is left to it: those are findings, not input errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from otdesk.core.fixes import MAX_DESCRIPTION
from otdesk.core.money import Money, MoneyError
from otdesk.core.units import MAX_MINUTES, UnitRule
from otdesk.core.visit import (
    DISCIPLINES,
    DX_LETTERS,
    KX_BUCKETS,
    PAYER_KINDS,
    ROLES,
    ChargeLine,
    PatientContext,
    PayerInfo,
    PlanOfCare,
    ProviderInfo,
    Visit,
)

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_POS = re.compile(r"[0-9]{2}")
# ICD-10-CM: a letter, a digit, a digit or letter, then up to four more after an optional dot.
_DX = re.compile(r"([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{1,4})?")
MAX_LINES = 50
MAX_UNITS = 999
MAX_TREATMENT_DAYS = 10_000

VISIT_KEYS = {
    "date_of_service",
    "payer",
    "discipline",
    "place_of_service",
    "provider",
    "total_treatment_minutes",
    "lines",
    "diagnoses",
    "patient",
    "referring_npi",
}
PAYER_KEYS = {
    "kind",
    "unit_rule",
    "therapy_modifiers_required",
    "ncci_applies",
    "kx_tracked",
    "telehealth_modifier",
}
PROVIDER_KEYS = {"role", "npi"}
LINE_KEYS = {
    "code",
    "minutes",
    "assistant_minutes",
    "modifiers",
    "dx_pointers",
    "units",
    "allowed",
    "description",
}
PATIENT_KEYS = {"ytd_allowed", "treatment_days_since_progress_report", "plan_of_care"}
PLAN_KEYS = {"start", "cert_through"}
BUCKETS = tuple(sorted(set(KX_BUCKETS.values())))


class VisitInputError(ValueError):
    """The visit JSON is not usable; the message names the field."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}" if path else problem)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _object(value: object, path: str, allowed: set[str], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, Mapping):
        raise VisitInputError(path or "visit", f"must be an object, not {_type_name(value)}.")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise VisitInputError(
            where, f"unknown key; the keys here are {', '.join(sorted(allowed))}."
        )
    for key in required:
        if key not in value:
            where = f"{path}.{key}" if path else key
            raise VisitInputError(where, "is required.")
    return dict(value)


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise VisitInputError(path, f"must be a string, not {_type_name(value)}.")
    return value.strip()


def _choice(value: object, path: str, choices: tuple[str, ...], upper: bool = False) -> str:
    text = _string(value, path)
    text = text.upper() if upper else text.lower()
    if text not in choices:
        raise VisitInputError(path, f"{text!r} is not one of {', '.join(choices)}.")
    return text


def _date(value: object, path: str) -> date:
    text = _string(value, path)
    if not _DATE.fullmatch(text):
        raise VisitInputError(path, f"{text!r} is not a date written YYYY-MM-DD.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise VisitInputError(path, f"{text} is not a real date.") from None


def _whole(value: object, path: str, low: int, high: int, what: str = "a whole number") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        shown = value if isinstance(value, int | float) else _type_name(value)
        raise VisitInputError(path, f"must be {what}, not {shown}.")
    if not low <= value <= high:
        raise VisitInputError(path, f"{value} is out of range ({low} to {high}).")
    return value


def _bool_or_null(value: object, path: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise VisitInputError(path, f"must be true, false or null, not {_type_name(value)}.")


def _money(value: object, path: str) -> Money:
    if isinstance(value, float):
        raise VisitInputError(
            path, f'write amounts as strings like "104.00", not the number {value}.'
        )
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise VisitInputError(path, f'must be an amount like "104.00", not {_type_name(value)}.')
    try:
        amount = Money(value.strip() if isinstance(value, str) else value)
    except MoneyError as error:
        raise VisitInputError(path, f"{error}.") from None
    if amount.amount < 0:
        raise VisitInputError(path, f"{value} is negative.")
    return amount


def _list(value: object, path: str) -> list:
    if not isinstance(value, list):
        raise VisitInputError(path, f"must be a list, not {_type_name(value)}.")
    return value


def _payer(value: object) -> PayerInfo:
    data = _object(value, "payer", PAYER_KEYS, ("kind",))
    kind = _choice(data["kind"], "payer.kind", PAYER_KINDS)
    rule = UnitRule.CMS
    if "unit_rule" in data:
        rule = UnitRule(
            _choice(data["unit_rule"], "payer.unit_rule", tuple(r.value for r in UnitRule))
        )
    telehealth: str | None = "95"
    if "telehealth_modifier" in data and data["telehealth_modifier"] is not None:
        telehealth = _string(data["telehealth_modifier"], "payer.telehealth_modifier").upper()
        if not _MODIFIER.fullmatch(telehealth):
            raise VisitInputError(
                "payer.telehealth_modifier", f"{telehealth!r} is not a 2-character modifier."
            )
    elif "telehealth_modifier" in data:
        telehealth = None
    return PayerInfo(
        kind=kind,
        unit_rule=rule,
        therapy_modifiers_required=_bool_or_null(
            data.get("therapy_modifiers_required"), "payer.therapy_modifiers_required"
        ),
        ncci_applies=_bool_or_null(data.get("ncci_applies"), "payer.ncci_applies"),
        kx_tracked=_bool_or_null(data.get("kx_tracked"), "payer.kx_tracked"),
        telehealth_modifier=telehealth,
    )


def _provider(value: object) -> ProviderInfo:
    data = _object(value, "provider", PROVIDER_KEYS, ("role",))
    role = _choice(data["role"], "provider.role", ROLES, upper=True)
    npi = data.get("npi")
    if npi is not None:
        npi = _string(npi, "provider.npi") or None
    return ProviderInfo(role=role, npi=npi)


def _line(value: object, index: int) -> ChargeLine:
    from otdesk.core.catalog import code_format_problem, normalize_code

    path = f"lines[{index}]"
    data = _object(value, path, LINE_KEYS, ("code",))
    code = normalize_code(_string(data["code"], f"{path}.code"))
    problem = code_format_problem(code)
    if problem:
        raise VisitInputError(f"{path}.code", problem[0].lower() + problem[1:])
    minutes = _whole(data.get("minutes", 0), f"{path}.minutes", 0, MAX_MINUTES)
    assistant_path = f"{path}.assistant_minutes"
    assistant = _whole(data.get("assistant_minutes", 0), assistant_path, 0, MAX_MINUTES)
    if assistant > minutes:
        raise VisitInputError(
            assistant_path,
            f"{assistant} is more than the line's {minutes} minutes.",
        )
    modifiers = []
    for position, item in enumerate(_list(data.get("modifiers", []), f"{path}.modifiers")):
        where = f"{path}.modifiers[{position}]"
        modifier = _string(item, where).upper()
        if not _MODIFIER.fullmatch(modifier):
            raise VisitInputError(where, f"{modifier!r} is not a 2-character modifier.")
        if modifier in modifiers:
            raise VisitInputError(where, f"{modifier} is given twice.")
        modifiers.append(modifier)
    pointers = []
    for position, item in enumerate(_list(data.get("dx_pointers", []), f"{path}.dx_pointers")):
        where = f"{path}.dx_pointers[{position}]"
        pointer = _string(item, where).upper()
        if len(pointer) != 1 or pointer not in DX_LETTERS:
            raise VisitInputError(
                where, f"{pointer!r} is not a diagnosis pointer; use a letter A to L."
            )
        pointers.append(pointer)
    units = data.get("units")
    if units is not None:
        units = _whole(units, f"{path}.units", 0, MAX_UNITS, "a whole number or null")
    allowed = data.get("allowed")
    if allowed is not None:
        allowed = _money(allowed, f"{path}.allowed")
    description = ""
    if data.get("description") is not None:
        description = " ".join(_string(data["description"], f"{path}.description").split())
        if len(description) > MAX_DESCRIPTION:
            raise VisitInputError(
                f"{path}.description",
                f"{len(description)} characters; a line's description takes at most "
                f"{MAX_DESCRIPTION}.",
            )
    return ChargeLine(
        code=code,
        minutes=minutes,
        assistant_minutes=assistant,
        modifiers=tuple(modifiers),
        dx_pointers=tuple(pointers),
        units=units,
        allowed=allowed,
        description=description,
    )


def _diagnosis(value: object, path: str) -> str:
    text = _string(value, path).upper()
    match = _DX.fullmatch(text)
    if not match:
        raise VisitInputError(path, f"{text!r} is not an ICD-10-CM code (e.g. M62.81).")
    return match.group(1) + ("." + match.group(2) if match.group(2) else "")


def _patient(value: object) -> PatientContext:
    data = _object(value, "patient", PATIENT_KEYS)
    ytd: dict[str, Money] = {}
    if data.get("ytd_allowed") is not None:
        amounts = _object(data["ytd_allowed"], "patient.ytd_allowed", set(BUCKETS))
        for bucket, amount in amounts.items():
            ytd[bucket] = _money(amount, f"patient.ytd_allowed.{bucket}")
    days = data.get("treatment_days_since_progress_report")
    if days is not None:
        days = _whole(days, "patient.treatment_days_since_progress_report", 0, MAX_TREATMENT_DAYS)
    plan = None
    if data.get("plan_of_care") is not None:
        raw = _object(data["plan_of_care"], "patient.plan_of_care", PLAN_KEYS, ("start",))
        start = _date(raw["start"], "patient.plan_of_care.start")
        through = None
        if raw.get("cert_through") is not None:
            through = _date(raw["cert_through"], "patient.plan_of_care.cert_through")
            if through < start:
                raise VisitInputError(
                    "patient.plan_of_care.cert_through",
                    f"{through.isoformat()} is before the start {start.isoformat()}.",
                )
        plan = PlanOfCare(start=start, cert_through=through)
    return PatientContext(
        ytd_allowed=ytd, treatment_days_since_progress_report=days, plan_of_care=plan
    )


def visit_from_json(data: object) -> Visit:
    """A Visit from parsed JSON (see the module docstring for the shape). Raises
    VisitInputError naming the field for anything missing, unknown or impossible."""
    top = _object(data, "", VISIT_KEYS, ("date_of_service", "payer", "discipline", "lines"))
    day = _date(top["date_of_service"], "date_of_service")
    payer = _payer(top["payer"])
    discipline = _choice(top["discipline"], "discipline", DISCIPLINES, upper=True)
    place = "11"
    if top.get("place_of_service") is not None:
        place = _string(top["place_of_service"], "place_of_service")
        if not _POS.fullmatch(place):
            raise VisitInputError(
                "place_of_service", f"{place!r} is not a 2-digit place of service (e.g. 11)."
            )
    provider = _provider(top["provider"]) if top.get("provider") is not None else ProviderInfo()
    total = top.get("total_treatment_minutes")
    if total is not None:
        total = _whole(total, "total_treatment_minutes", 0, MAX_MINUTES, "a whole number or null")
    raw_lines = _list(top["lines"], "lines")
    if not raw_lines:
        raise VisitInputError("lines", "the visit needs at least one line.")
    if len(raw_lines) > MAX_LINES:
        raise VisitInputError(
            "lines", f"{len(raw_lines)} lines; a visit holds at most {MAX_LINES}."
        )
    lines = tuple(_line(item, index) for index, item in enumerate(raw_lines))
    diagnoses = tuple(
        _diagnosis(item, f"diagnoses[{i}]")
        for i, item in enumerate(_list(top.get("diagnoses", []), "diagnoses"))
    )
    patient = _patient(top["patient"]) if top.get("patient") is not None else PatientContext()
    referring = None
    if top.get("referring_npi") is not None:
        referring = _string(top["referring_npi"], "referring_npi") or None
    return Visit(
        date_of_service=day,
        payer=payer,
        discipline=discipline,
        place_of_service=place,
        provider=provider,
        total_treatment_minutes=total,
        lines=lines,
        diagnoses=diagnoses,
        patient=patient,
        referring_npi=referring,
    )


def visit_to_json(visit: Visit) -> dict[str, Any]:
    """The JSON shape of a visit (visit_from_json reads it back to an equal Visit)."""
    payer = visit.payer
    patient = visit.patient
    plan = patient.plan_of_care
    return {
        "date_of_service": visit.date_of_service.isoformat(),
        "payer": {
            "kind": payer.kind,
            "unit_rule": str(payer.unit_rule),
            "therapy_modifiers_required": payer.therapy_modifiers_required,
            "ncci_applies": payer.ncci_applies,
            "kx_tracked": payer.kx_tracked,
            "telehealth_modifier": payer.telehealth_modifier,
        },
        "discipline": visit.discipline,
        "place_of_service": visit.place_of_service,
        "provider": {"role": visit.provider.role, "npi": visit.provider.npi},
        "total_treatment_minutes": visit.total_treatment_minutes,
        "lines": [
            {
                "code": line.code,
                "minutes": line.minutes,
                "assistant_minutes": line.assistant_minutes,
                "modifiers": list(line.modifiers),
                "dx_pointers": list(line.dx_pointers),
                "units": line.units,
                "allowed": line.allowed.to_json() if line.allowed is not None else None,
                "description": line.description,
            }
            for line in visit.lines
        ],
        "diagnoses": list(visit.diagnoses),
        "referring_npi": visit.referring_npi,
        "patient": {
            "ytd_allowed": {
                bucket: amount.to_json() for bucket, amount in patient.ytd_allowed.items()
            },
            "treatment_days_since_progress_report": patient.treatment_days_since_progress_report,
            "plan_of_care": None
            if plan is None
            else {
                "start": plan.start.isoformat(),
                "cert_through": plan.cert_through.isoformat() if plan.cert_through else None,
            },
        },
    }
