"""A finding's fix applied to a draft: the core says what the fix does to the visit
(otdesk.core.fixes); this applies it as the line edits a person would make, in one
transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, insert

from otdesk.core.fixes import FixError, apply_fix, fix_kind, fix_label
from otdesk.core.visit import ChargeLine
from otdesk.services import findings as fx
from otdesk.services import visit_detail as vd
from otdesk.services.errors import (
    ValidationError,
)
from otdesk.services.visit_detail import VisitDetail
from otdesk.services.visit_edits import (
    VisitEdits,
    line_values,
    renumber,
)
from otdesk.storage import schema as s
from otdesk.storage.values import from_cents, inserted_id, split_codes


class VisitFixes(VisitEdits):
    def apply_fix(
        self, visit_id: int, fix: Mapping[str, Any], *, expected_version: int | None = None
    ) -> VisitDetail:
        """Apply a finding's fix as the line edits a person would make, in one transaction
        (audited as one "visit.fix" entry with the fix, and an entry per edited line)."""
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            lines = fx.line_rows(connection, visit_id)
            ev = fx.evaluate(
                self.ctx, connection, row, lines, fx.diagnosis_codes(connection, visit_id)
            )
            try:
                fixed = apply_fix(ev.visit, fix)
            except FixError as error:
                raise ValidationError("fix", str(error)) from None
            indexes = list(fix.get("lines") or [])
            kind = fix_kind(fix)
            removed: set[int] = set()
            if kind == "remove_line":
                removed = set(indexes)
            elif kind == "merge_lines":
                removed = set(indexes[1:])
            kept = [line for index, line in enumerate(lines) if index not in removed]
            added: list[tuple[int, ChargeLine]] = []
            if kind == "split_assistant":
                # the assistant's part is a new line just after the one split
                added = [(indexes[0] + 1, fixed.lines[indexes[0] + 1])]
            old_of = [
                new
                for position, new in enumerate(fixed.lines)
                if position not in {at for at, _ in added}
            ]
            if len(kept) != len(old_of):
                raise ValidationError("fix", "The fix does not match the visit's lines.")
            self.ctx.audit(connection, "visit.fix", "visit", visit_id, after=dict(fix))
            for line, new in zip(kept, old_of, strict=True):
                changes: dict[str, Any] = {}
                if new.code != line.code:
                    changes["code"] = new.code
                if new.minutes != line.minutes:
                    changes["minutes"] = new.minutes
                if new.assistant_minutes != line.assistant_minutes:
                    changes["assistant_minutes"] = new.assistant_minutes
                if tuple(new.modifiers) != split_codes(line.modifiers):
                    changes["modifiers"] = new.modifiers
                if tuple(new.dx_pointers) != split_codes(line.dx_pointers):
                    changes["dx_pointers"] = new.dx_pointers
                if new.units != line.units_override:
                    changes["units_override"] = new.units
                    if new.units is not None:
                        changes["override_reason"] = f"applied fix: {_fix_words(fix)}"
                if new.description != line.description:
                    changes["description"] = new.description
                if changes:
                    self._update_line(connection, line.id, changes)
            for position, new in added:
                self._insert_line(connection, row, position, new, lines[indexes[0]])
            for index in sorted(removed, reverse=True):
                line = self._line(connection, lines[index].id)
                self._remove_line(connection, line)
                self.ctx.audit(
                    connection,
                    "line.remove",
                    "visit",
                    visit_id,
                    before={"line_id": line.id, "position": line.position, **line_values(line)},
                )
            self._touch(connection, visit_id)
            return vd.recompute(self.ctx, connection, visit_id)

    def _insert_line(
        self, connection: Connection, row: Any, position: int, new: ChargeLine, like: Any
    ) -> None:
        """A line made by a fix (the assistant's part of a split line) at `position`, with
        the fee typed on the line it came from."""
        values = self._clean_line(
            connection,
            row,
            {
                "code": new.code,
                "minutes": new.minutes,
                "assistant_minutes": new.assistant_minutes,
                "modifiers": new.modifiers,
                "dx_pointers": new.dx_pointers,
                "description": new.description,
                "fee": from_cents(like.fee_cents) if like.fee_entered else None,
            },
            None,
        )
        ids = [item.id for item in fx.line_rows(connection, row.id)]
        line_id = inserted_id(
            connection.execute(
                insert(s.charge_lines).values(visit_id=row.id, position=len(ids), **values)
            )
        )
        ids.insert(position, line_id)
        renumber(connection, ids)
        self.ctx.audit(
            connection,
            "line.add",
            "visit",
            row.id,
            after={"line_id": line_id, "position": position, **values},
        )


def _fix_words(fix: Mapping[str, Any]) -> str:
    try:
        return fix_label(fix)
    except Exception:
        return str(dict(fix))
