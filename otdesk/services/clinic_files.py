"""What the window needs to know about a clinic's files before (or beside) the services
that open them: whether the database is missing, plain or encrypted, and the ways a key is
unlocked (a password, the recovery key, the key already open). The window takes these from
here, never from otdesk.storage (tests/storage/test_layering.py). No SQLAlchemy loads."""

from __future__ import annotations

from otdesk.storage.encrypt import clinic_state
from otdesk.storage.keys import KeyUnlock, PasswordUnlock, RecoveryUnlock

__all__ = ["KeyUnlock", "PasswordUnlock", "RecoveryUnlock", "clinic_state"]
