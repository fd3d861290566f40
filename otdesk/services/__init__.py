"""Use cases over the clinic database (open a day, save a line, finalize, amend, import...).
The window and the command line call only these; results are plain dataclasses."""

from otdesk.services.clinic import Clinic, database_path
from otdesk.services.clock import Clock, FixedClock, SystemClock
from otdesk.services.errors import (
    DemoRefusedError,
    FinalizeBlockedError,
    ImportRejectedError,
    NotFoundError,
    ServiceError,
    ValidationError,
    VisitNotEditableError,
)

__all__ = [
    "Clinic",
    "Clock",
    "DemoRefusedError",
    "FinalizeBlockedError",
    "FixedClock",
    "ImportRejectedError",
    "NotFoundError",
    "ServiceError",
    "SystemClock",
    "ValidationError",
    "VisitNotEditableError",
    "database_path",
]
