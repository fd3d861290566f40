"""The one way an error reaches the person in the window.

present(): a UserError (a refused value, a locked database, a full disk; the services'
error types, otdesk.services.errors) shows its own sentence beside what the person touched
(`beside`, e.g. the status line or a dialog's message), or in a box when nothing is given
(damage met by the visit controller takes the damage path, ui.health_check). Anything else
is a fault: it goes to the crash handler (sys.excepthook, installed by ui.app: logged
without patient data, the "Something went wrong" dialog, or a UserError's own sentence when
one escaped). Code that meets errors catches UserError only.

outcome_of() is the one place that catches everything: where work crosses to another
thread (ui.worker, the sign-in's runners), the error is carried back to the thread that
presents it, never dropped there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from otdesk.errors import UserError


def present(
    parent: QWidget | None, error: BaseException, beside: Callable[[str], None] | None = None
) -> None:
    """Say `error` to the person: a UserError's sentence beside what they touched (or in a
    box), anything else through the crash handler."""
    if not isinstance(error, UserError):
        sys.excepthook(type(error), error, error.__traceback__)
        return
    if beside is not None:
        beside(str(error))
    else:
        QMessageBox.warning(parent, "otdesk could not finish that step", str(error))


def outcome_of(job: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """(job's result, None), or (None, the error it raised): for a thread boundary, where the
    error is handed back to be presented on the window's thread."""
    try:
        return job(), None
    except Exception as error:  # carried back and presented, not swallowed
        return None, error
