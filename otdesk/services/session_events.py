"""What happens to a signed-in session in the window, for the audit log: the screen locked
(by itself after the idle minutes, or by the person), unlocked by the same person, another
person switching in at the lock screen, and signing out (45 CFR 164.312(b): audit controls,
and (a)(2)(iii): automatic logoff).

Also how long a name must wait before its next sign-in try, so the sign-in screen can say
so as soon as the fifth failure in a row is made, not only at the next try.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from otdesk.core.accounts import Person, sign_in_delay
from otdesk.storage import signin_record

# the audit log's action names; each entry's `after` names the person
LOCK = "session.lock"
UNLOCK = "session.unlock"
SWITCH = "session.switch"
SIGN_OUT = "session.signout"
ACTIONS = (LOCK, UNLOCK, SWITCH, SIGN_OUT)


def record(clinic: Any, action: str, *, idle: bool = False, previous: Person | None = None) -> None:
    """One audit entry for the signed-in person (clinic.person): `action` is one of
    ACTIONS; `idle` says the lock came after the idle minutes; `previous` is who was signed
    in before a switch."""
    if action not in ACTIONS:
        raise ValueError(f"not a session event: {action}")
    person = clinic.person
    after: dict[str, Any] = {"name": person.name if person is not None else None}
    if action == LOCK:
        after["idle"] = idle
    if previous is not None:
        after["from"] = previous.name
    with clinic.db.write() as connection:
        clinic.ctx.audit(connection, action, "account", None, after=after)


def sign_in_wait(database: Path, name: str, now: datetime) -> int:
    """Seconds `name` must wait before the next try (0: none), from the failed tries kept
    beside the database (storage.signin_record); the sign-in refuses an earlier try."""
    item = signin_record.load(Path(database)).of(str(name).strip().casefold())
    delay = sign_in_delay(item.in_a_row)
    if not delay or item.last_at is None:
        return 0
    left = (item.last_at - now).total_seconds() + delay
    return max(0, int(left + 0.999))
