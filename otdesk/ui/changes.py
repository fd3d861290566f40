"""The window's one change broadcast: every action that stored something reports what it
changed, and whatever shows that data (the day list, the open visit, the codes searched,
the title, the favourites) refreshes from the report alone, never by hand after a dialog.

A report names entity kinds with the ids changed, in the audit log's words ("visit",
"patient", "provider", "payer", "practice", "fee", "fee_schedule", "clinic_code",
"account", ...), the same (entity, entity_id) pairs a clinic server's change notices carry
(otdesk.storage.server.Change); an id of None means "some of that kind", and the kind "*"
means "anything: refresh everything shown". So another desk's notices can be fed into the
same broadcast (Changes.of_pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal, Slot

EVERYTHING = "*"


@dataclass(frozen=True, slots=True)
class Changes:
    """What one action (or one batch of notices) changed: (entity kind, id or None)."""

    pairs: frozenset[tuple[str, int | None]]
    # who reported it (the visit controller for its own saves: it shows the visit already);
    # None for a dialog's report or another desk's notices
    origin: object = field(default=None, compare=False)

    @classmethod
    def of(cls, *kinds: str, origin: object = None, **ids: Iterable[int]) -> Changes:
        """Changes.of("fee_schedule") (some of a kind) or Changes.of(visit=[12])."""
        pairs = {(kind, None) for kind in kinds}
        pairs |= {(kind, int(one)) for kind, many in ids.items() for one in many}
        return cls(frozenset(pairs), origin)

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[str, int | None]]) -> Changes:
        """From (entity, entity_id) pairs, as a clinic server's notices give them."""
        return cls(frozenset((str(kind), one) for kind, one in pairs))

    def touches(self, *kinds: str) -> bool:
        return any(kind == EVERYTHING or kind in kinds for kind, _ in self.pairs)

    def touches_one(self, kind: str, entity_id: int) -> bool:
        """Whether the record `kind` `entity_id` may have changed."""
        return any(
            k == EVERYTHING or (k == kind and one in (None, entity_id)) for k, one in self.pairs
        )


class ChangeBus(QObject):
    """changed(Changes) after every report; the window's parts listen to it."""

    changed = Signal(object)

    def report(self, changes: Changes) -> None:
        if changes.pairs:
            self.changed.emit(changes)


class ChangeLink(QObject):
    """A dialog's end of the broadcast. report() says what the dialog stored (the dialog is
    the origin); refresh(changes) runs when another part's report (or another desk's
    notice) touches one of `kinds` (no kinds: any report). A child of the dialog, so it
    stops listening when the dialog goes; with no bus (a dialog on its own) it does
    nothing."""

    def __init__(
        self,
        owner: QObject,
        bus: ChangeBus | None,
        kinds: Iterable[str],
        refresh: Callable[[Changes], None],
    ) -> None:
        super().__init__(owner)
        self._owner = owner
        self._bus = bus
        self.kinds = tuple(kinds)
        self._refresh = refresh
        if bus is not None:
            bus.changed.connect(self._heard)

    def report(self, *kinds: str, **ids: Iterable[int]) -> None:
        if self._bus is not None:
            self._bus.report(Changes.of(*kinds, origin=self._owner, **ids))

    @Slot(object)
    def _heard(self, changes: Changes) -> None:
        if changes.origin is self._owner:
            return
        is_shown = getattr(self._owner, "isVisible", None)
        if is_shown is not None and not is_shown():
            return  # closed, waiting to be deleted: nothing to read again for
        if not self.kinds or changes.touches(*self.kinds):
            self._refresh(changes)
