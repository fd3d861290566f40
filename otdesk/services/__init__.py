"""Use cases over the clinic database (open a day, save a line, finalize, amend, import...).
The window and the command line call only these; results are plain dataclasses.

The names below load on first use, so the modules the window's first screen needs
(summaries, first_screen) come without SQLAlchemy.
"""

from __future__ import annotations

from otdesk.lazy_names import module_getattr

_FROM = {
    "Clinic": "clinic",
    "database_path": "clinic",
    "Clock": "clock",
    "FixedClock": "clock",
    "SystemClock": "clock",
    "DemoRefusedError": "errors",
    "FinalizeBlockedError": "errors",
    "ImportRejectedError": "errors",
    "NotFoundError": "errors",
    "ServiceError": "errors",
    "ValidationError": "errors",
    "VisitNotEditableError": "errors",
}

__all__ = sorted(_FROM)

__getattr__ = module_getattr(__name__, _FROM)
