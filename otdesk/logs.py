"""otdesk.log: what support needs to find a fault, and no health information.

The file is readable by its owner only, from its first byte and after every rotation.
Errors are logged by type and place (file, line, function) with their message scrubbed:
anything shaped like a date, an account or member number, a name written "Last, First",
an e-mail address, a phone number or quoted text is replaced by a marker, because messages
can quote what a person typed.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
import traceback
from pathlib import Path
from types import TracebackType

LOG_NAME = "otdesk.log"
MAX_BYTES = 1_000_000
BACKUPS = 3

_CAP = "[A-ZÀ-ÖØ-Þ]"  # an upper-case Latin letter, accented ones included
_SCRUBBERS = (
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+-]+)?\b"), "[date]"),
    (re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b"), "[date]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"), "[phone]"),
    (re.compile(r"\"[^\"]*\"|'[^']*'|“[^”]*”|‘[^’]*’"), "[text]"),
    # "Núñez, José": a capitalised word, a comma, a capitalised word (and a middle name)
    (re.compile(rf"\b{_CAP}[\w'-]*,\s+{_CAP}[\w'-]*(?:\s+{_CAP}[\w'-]*)?"), "[name]"),
    # account numbers, member and policy ids: a token mixing letters and digits (A-1001,
    # 1EG4-TE5-MK73), or 6 digits or more
    (re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w]+(?:-[\w]+)+\b"), "[id]"),
    (re.compile(r"\b(?=\w*\d)(?=\w*[A-Za-z])\w{5,}\b"), "[id]"),
    (re.compile(r"\b\d{6,}\b"), "[number]"),
)


def scrub(text: str) -> str:
    """`text` with anything that could identify a patient replaced by a marker."""
    for pattern, marker in _SCRUBBERS:
        text = pattern.sub(marker, text)
    return text


def describe_error(error: BaseException) -> str:
    """An error as the log keeps it: its type, its scrubbed message and where it was
    raised (file, line and function of each frame; no values)."""
    kind = type(error)
    return describe_crash(kind, error.__traceback__, scrub(str(error)))


def describe_crash(
    kind: type[BaseException], tb: TracebackType | None, message: str | None = None
) -> str:
    """The error's type and where it happened, without any values: messages can carry
    names or dates of birth, and the log must not. `message` must already be scrubbed."""
    frames = traceback.extract_tb(tb)
    where = "\n".join(f"  {f.filename}:{f.lineno} in {f.name}" for f in frames)
    said = f": {message}" if message else ""
    return f"{kind.__module__}.{kind.__qualname__}{said}\n{where}"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are created owner-only (0600), the new one after a
    rotation included; a full disk stops the logging, never the program."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            os.chmod(self.baseFilename, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        # logging's default prints a traceback (with the record's arguments) to stderr
        pass

    def close(self) -> None:
        # the last flush of a log on a full disk fails: the program still closes
        with contextlib.suppress(OSError):
            super().close()


def setup_logging(folder: Path) -> Path:
    """Log to otdesk.log in `folder` (created owner-only), rotated at about 1 MB."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / LOG_NAME
    handler = PrivateRotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
