"""Undo and redo of a draft: the window keeps a visit's state before and after each change
(otdesk.services.visit_state) and hands two of them back; restore puts back the header
fields, lines and diagnoses that differ between them, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from otdesk.services import findings as fx
from otdesk.services import validate as v
from otdesk.services import visit_detail as vd
from otdesk.services.errors import (
    ValidationError,
)
from otdesk.services.visit_detail import VisitDetail
from otdesk.services.visit_edits import (
    VisitEdits,
    line_values,
    renumber,
    store_diagnoses,
)
from otdesk.services.visit_state import VisitState
from otdesk.storage import schema as s
from otdesk.storage.values import inserted_id


class VisitUndo(VisitEdits):
    def restore(
        self,
        visit_id: int,
        target: VisitState,
        base: VisitState,
        *,
        action: str = "undo",
        expected_version: int | None = None,
    ) -> VisitDetail:
        """Undo (or redo) one change: where the visit went from `base` to `target` (two
        states of otdesk.services.visit_state), it is put back at `target`: the header
        fields, lines and diagnoses that differ between the two, and nothing else. A line
        `target` has and `base` lacks is added again under its old id when it is free."""
        if target.visit_id != visit_id or base.visit_id != visit_id:
            raise ValidationError("visit", "This change belongs to another visit.")
        with self.ctx.db.write() as connection:
            row = vd.draft_row(connection, visit_id, expected_version)
            header = {k: value for k, value in target.header().items() if base.header()[k] != value}
            if header:
                self._update_header(connection, row, header)
                row = vd.get_row(connection, visit_id)
            if target.diagnoses != base.diagnoses:
                self._write_diagnoses(connection, row, target.diagnoses)
            self._restore_lines(connection, row, target, base)
            self._touch(connection, visit_id)
            self.ctx.audit(
                connection, f"visit.{action}", "visit", visit_id, after={"action": action}
            )
            return vd.recompute(self.ctx, connection, visit_id)

    def _write_diagnoses(self, connection: Connection, row: Any, codes: Sequence[str]) -> None:
        """The diagnoses exactly as given (undo puts the pointers back itself)."""
        cleaned = [v.dx_code(code) for code in codes]
        v.max_diagnoses(len(cleaned))
        old = fx.diagnosis_codes(connection, row.id)
        store_diagnoses(connection, row.id, cleaned)
        self.ctx.audit(connection, "diagnoses.set", "visit", row.id, before=old, after=cleaned)

    def _restore_lines(
        self, connection: Connection, row: Any, target: VisitState, base: VisitState
    ) -> None:
        cl = s.charge_lines
        current = {line.id: line for line in fx.line_rows(connection, row.id)}
        before = {line.id: line for line in base.lines}
        after = {line.id: line for line in target.lines}
        for line_id in before.keys() - after.keys():
            if line_id in current:
                line = current.pop(line_id)
                self._remove_line(connection, line)
                self.ctx.audit(
                    connection,
                    "line.remove",
                    "visit",
                    row.id,
                    before={"line_id": line.id, "position": line.position, **line_values(line)},
                )
        ids: dict[int, int] = {}  # a line's id in `target` -> its id now
        for wanted in target.lines:
            old = before.get(wanted.id)
            if old is not None:
                if wanted.id not in current:
                    continue  # removed meanwhile: nothing to put back
                ids[wanted.id] = wanted.id
                if wanted != old:
                    values, was = wanted.values(), old.values()
                    changes = {k: value for k, value in values.items() if was[k] != value}
                    changes["auto_modifiers"] = wanted.auto_modifiers
                    changes["auto_pointers"] = wanted.auto_pointers
                    self._update_line(connection, wanted.id, changes)
                continue
            values = self._clean_line(connection, row, {**wanted.values()}, None)
            free = connection.execute(select(cl.c.id).where(cl.c.id == wanted.id)).first() is None
            position = len(fx.line_rows(connection, row.id))
            line_id = inserted_id(
                connection.execute(
                    insert(cl).values(
                        **({"id": wanted.id} if free else {}),
                        visit_id=row.id,
                        position=position,
                        **values,
                    )
                )
            )
            ids[wanted.id] = line_id
            self.ctx.audit(
                connection,
                "line.add",
                "visit",
                row.id,
                after={"line_id": line_id, "position": position, **values},
            )
        now = [line.id for line in fx.line_rows(connection, row.id)]
        placed = [ids[line.id] for line in target.lines if ids.get(line.id) in now]
        order = placed + [line_id for line_id in now if line_id not in placed]
        if order != now:
            renumber(connection, order)
