"""The defaults a visit already implies, which the window applies as lines are added and
shows as automatic until someone changes them:

- the therapy modifier of the visit's discipline (GO, GP, GN) on a therapy line when the
  payer wants one, and CO/CQ too when the rendering provider is an OT/PT assistant;
- diagnosis pointer A on every line while the visit has one diagnosis (a line added before
  any diagnosis is pointed at the first one when it comes);
- the total treatment time as the sum of the lines' minutes, until one is typed.

A line stores the automatic part: `auto_modifiers` (NULL once a person removed or replaced
one of them: the line is theirs, and the checks say if it is wrong) and `auto_pointers`.
The automatic modifiers follow the header (a PT visit's lines get GP instead of GO); what
a person typed is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from otdesk.core.catalog import Catalog, normalize_code
from otdesk.core.rules import ASSISTANT_MODIFIERS, THERAPY_MODIFIERS
from otdesk.core.visit import ASSISTANT_ROLES, MAX_DIAGNOSES, MAX_MODIFIERS
from otdesk.services import validate as v
from otdesk.services.findings import payer_of
from otdesk.storage.values import join_codes, split_codes


def default_modifiers(catalog: Catalog, code: str, row: Any) -> tuple[str, ...]:
    """The modifiers a line of `code` gets on the visit `row` (a findings.visit_row)."""
    procedure = catalog.get(code)
    if procedure is None or not procedure.disciplines:
        return ()
    if not payer_of(row).needs_therapy_modifiers:
        return ()
    found = []
    therapy = THERAPY_MODIFIERS.get(row.discipline)
    if therapy:
        found.append(therapy)
    assistant = ASSISTANT_MODIFIERS.get(row.discipline)
    if assistant and row.provider_role in ASSISTANT_ROLES:
        found.append(assistant)
    return tuple(found)


def default_pointers(diagnosis_count: int, current: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A while the visit has one diagnosis, none without any, else what the line has."""
    if diagnosis_count == 1:
        return ("A",)
    if diagnosis_count == 0:
        return ()
    return current


def line_defaults(
    catalog: Catalog, row: Any, code: str, diagnoses: list[str], fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields of a new line with the defaults for what the caller did not give."""
    out = dict(fields)
    if "modifiers" not in fields:
        modifiers = default_modifiers(catalog, normalize_code(code), row)
        out["modifiers"] = modifiers
        out["auto_modifiers"] = modifiers
    if "dx_pointers" not in fields:
        out["dx_pointers"] = default_pointers(len(diagnoses))
        out["auto_pointers"] = True
    return out


def markers_after_edit(before: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The markers after a person's edit of a line: removing or replacing an automatic
    modifier makes the line's modifiers theirs; new pointers make the pointers theirs."""
    out: dict[str, Any] = {}
    automatic = before.get("auto_modifiers")
    if "modifiers" in changes and "auto_modifiers" not in changes and automatic is not None:
        typed = set(v.modifiers(changes["modifiers"]))
        if not set(automatic) <= typed:
            out["auto_modifiers"] = None
    if "dx_pointers" in changes and "auto_pointers" not in changes and before.get("auto_pointers"):
        typed_pointers = v.pointers(changes["dx_pointers"], MAX_DIAGNOSES)
        if typed_pointers != tuple(before.get("dx_pointers") or ()):
            out["auto_pointers"] = False
    return out


def refreshed(catalog: Catalog, row: Any, line: Any, diagnosis_count: int) -> dict[str, Any]:
    """The column changes that bring a stored line's automatic parts up to date (empty
    when they are): stale automatic modifiers go, the ones now implied come first."""
    changes: dict[str, Any] = {}
    if line.auto_modifiers is not None:
        old_auto = split_codes(line.auto_modifiers)
        current = split_codes(line.modifiers)
        kept = [m for m in current if m not in old_auto]
        wanted = [m for m in default_modifiers(catalog, line.code, row) if m not in kept]
        wanted = wanted[: max(MAX_MODIFIERS - len(kept), 0)]
        modifiers = tuple(wanted) + tuple(m for m in current if m in kept)
        if modifiers != current:
            changes["modifiers"] = join_codes(modifiers)
        if tuple(wanted) != old_auto:
            changes["auto_modifiers"] = join_codes(wanted)
    if line.auto_pointers:
        current_pointers = split_codes(line.dx_pointers)
        wanted_pointers = default_pointers(diagnosis_count, current_pointers)
        if wanted_pointers != current_pointers:
            changes["dx_pointers"] = join_codes(wanted_pointers)
    return changes


def total_minutes(lines: Iterable[Any]) -> int | None:
    """The automatic total treatment time: the lines' minutes added (None for none)."""
    return sum(line.minutes for line in lines) or None


def stored_markers(value: Any) -> str | None:
    """auto_modifiers as stored: None (set by hand) or the modifiers joined."""
    if value is None:
        return None
    if isinstance(value, str):
        return join_codes(split_codes(value))
    return join_codes(v.modifiers(value))


def read_markers(stored: str | None) -> tuple[str, ...] | None:
    return None if stored is None else split_codes(stored)
