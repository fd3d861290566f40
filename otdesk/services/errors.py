"""Errors the services raise. Every message is a sentence for the user; when a field is at
fault, `field` names it (the UI highlights it) and the message names it too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from otdesk.errors import UserError

# The clinic database's own errors, for the window: it takes them from here, never from
# otdesk.storage (tests/storage/test_layering.py). They keep their kinds (damaged, emptied,
# encrypted without its key, a full disk, a wrong key) because the damaged screen and the
# health check answer each in its own words. otdesk.storage.errors is light (no SQLAlchemy).
from otdesk.storage.errors import (
    BackupError,
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    EmptyDatabaseError,
    EmptyServerError,
    EncryptedDatabaseError,
    EncryptionError,
    KeyFileError,
    NotAClinicServerError,
    NotAnOtdeskDatabaseError,
    PlainDatabaseError,
    RecoveryKeyFormatError,
    SchemaTooNewError,
    ServerError,
    ServerRefusedError,
    ServerUnavailableError,
    StorageError,
    UnusableDatabaseError,
    WrongKeyError,
)

if TYPE_CHECKING:
    from otdesk.core.visit import Finding


class ServiceError(UserError):
    """A request the services refused; nothing was changed."""


class ValidationError(ServiceError):
    """A value that cannot be stored, e.g. an impossible date or an NPI with a bad check
    digit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class PermissionDeniedError(ServiceError):
    """The signed-in person's role does not allow this; the message names the role needed."""


class NotFoundError(ServiceError):
    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"There is no {entity} {entity_id}.")
        self.entity = entity
        self.entity_id = entity_id


class VisitNotEditableError(ServiceError):
    """The visit is finalized, void or superseded: amend it instead."""


class StaleVisitError(ServiceError):
    """A change made on an older version of a visit than the stored one: another desk
    changed it since it was read. Nothing was written; the newer data is kept, and the
    desk shows the visit again as stored."""

    def __init__(self, visit_id: int, changed_by: str) -> None:
        super().__init__(f"Visit {visit_id} was changed at another desk by {changed_by}; reloaded.")
        self.visit_id = visit_id
        self.changed_by = changed_by


class TimerTakenError(ServiceError):
    """A running timer another person started at another desk: pausing or stopping it
    takes it over, which is asked for (take_over=True)."""


class FinalizeBlockedError(ServiceError):
    """Error findings stop the visit from being finalized (unless overridden with a reason)."""

    def __init__(self, visit_id: int, errors: Sequence[Finding]) -> None:
        listed = "; ".join(f.message.rstrip(".") for f in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        super().__init__(
            f"Visit {visit_id} has {len(errors)} {'error' if len(errors) == 1 else 'errors'} "
            f"to fix: {listed}{more}. Fix them, or finalize with a reason for the override."
        )
        self.visit_id = visit_id
        self.errors = tuple(errors)


class ImportRejectedError(ValidationError):
    """A CSV file refused as a whole; `row` is its row number (the header is row 1), or None
    for a problem with the file itself."""

    def __init__(self, path: object, row: int | None, field: str, reason: str) -> None:
        where = f"row {row}" if row is not None else "the file"
        super().__init__(field, f"{path}: {where}: {reason} Nothing was imported.")
        self.row = row
        self.reason = reason


class DemoRefusedError(ServiceError):
    """The database holds real clinic data and --force was not given."""


__all__ = [
    "BackupError",
    "CorruptDatabaseError",
    "DatabaseLockedError",
    "DemoRefusedError",
    "DiskFullError",
    "EmptyDatabaseError",
    "EmptyServerError",
    "EncryptedDatabaseError",
    "EncryptionError",
    "FinalizeBlockedError",
    "ImportRejectedError",
    "KeyFileError",
    "NotAClinicServerError",
    "NotAnOtdeskDatabaseError",
    "NotFoundError",
    "PermissionDeniedError",
    "PlainDatabaseError",
    "RecoveryKeyFormatError",
    "SchemaTooNewError",
    "ServerError",
    "ServerRefusedError",
    "ServerUnavailableError",
    "ServiceError",
    "StaleVisitError",
    "TimerTakenError",
    "StorageError",
    "UnusableDatabaseError",
    "ValidationError",
    "WrongKeyError",
]
