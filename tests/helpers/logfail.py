"""Any WARNING or worse that otdesk logs during a test fails it, as qutebrowser's
`logfail` does: a warning in the log is either a fault of the code (it logged wrongly, or
logged what it should not: the log must never carry patient data) or something the test
provoked on purpose, and then the test says so:

    @pytest.mark.expect_log("otdesk.ui.worker", "WARNING")

(the logger named or one of its children, at that level or worse; several marks allowed),
or, inside the test, `logfail.expect("otdesk.ui.worker", "WARNING")`. An expected record
that never came does not fail the test; `logfail.records` has what was caught.

Records are caught by a handler on the `otdesk` logger itself, so they are seen whatever
the root logger, pytest's caplog or otdesk.logs.setup_logging do, and from worker threads.
"""

from __future__ import annotations

import logging
import threading

import pytest

LOGGER = "otdesk"
FAILS_AT = logging.WARNING


class LogFail(logging.Handler):
    """Keeps the otdesk records at WARNING or worse; unexpected() lists those no
    expectation covers."""

    def __init__(self) -> None:
        super().__init__(level=FAILS_AT)
        self.records: list[logging.LogRecord] = []
        self._expected: list[tuple[str, int]] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.records.append(record)

    def expect(self, logger: str, level: str | int = "WARNING") -> None:
        """Records from `logger` (or below it) at `level` or worse do not fail the test."""
        number = level if isinstance(level, int) else logging.getLevelName(level.upper())
        if not isinstance(number, int):
            raise ValueError(f"expect_log: {level!r} is not a logging level")
        self._expected.append((logger, number))

    def _covered(self, record: logging.LogRecord) -> bool:
        return any(
            (record.name == name or record.name.startswith(name + ".")) and record.levelno >= level
            for name, level in self._expected
        )

    def unexpected(self) -> list[logging.LogRecord]:
        with self._guard:
            return [record for record in self.records if not self._covered(record)]

    def report(self) -> str:
        lines = [
            f"{r.levelname} {r.name}: {r.getMessage()}".splitlines()[0] for r in self.unexpected()
        ]
        return (
            "otdesk logged at WARNING or worse (mark the test "
            '@pytest.mark.expect_log("<logger>", "<level>") if it means to):\n  '
            + "\n  ".join(lines)
        )

    def install(self) -> None:
        logger = logging.getLogger(LOGGER)
        logger.addHandler(self)
        # a test that quieted the logger (or the root) would hide the records from us
        self._level = logger.level
        if logger.getEffectiveLevel() > FAILS_AT:
            logger.setLevel(FAILS_AT)

    def uninstall(self) -> None:
        logger = logging.getLogger(LOGGER)
        logger.removeHandler(self)
        logger.setLevel(self._level)


# --- the pytest side: an autouse fixture and the expect_log mark -------------------------
# (a plugin module: tests/conftest.py loads it with pytest_plugins)


@pytest.fixture(autouse=True)
def logfail(request):
    """Fails the test on any otdesk record at WARNING or worse it did not expect."""
    handler = LogFail()
    for mark in request.node.iter_markers("expect_log"):
        handler.expect(*mark.args, **mark.kwargs)
    handler.install()
    try:
        yield handler
    finally:
        handler.uninstall()
    if handler.unexpected():
        pytest.fail(handler.report(), pytrace=False)
