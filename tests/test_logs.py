"""otdesk.log is owner-only from its first byte and after rotating, and what it keeps of an
error carries no patient identifiers."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from otdesk import logs

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


@pytest.fixture
def log_file(tmp_path):
    path = logs.setup_logging(tmp_path / "logs")
    yield path
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "baseFilename", None) == str(path):
            root.removeHandler(handler)
            handler.close()


@pytest.mark.expect_log("otdesk.test_logs", "WARNING")
@posix_only
def test_the_log_and_its_rotations_are_owner_only(log_file):
    logger = logging.getLogger("otdesk.test_logs")
    logger.warning("first line")
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
    for _ in range(logs.MAX_BYTES // 100 + 50):  # past one rotation
        logger.warning("x" * 100)
    rotated = sorted(log_file.parent.iterdir())
    assert len(rotated) >= 2
    for path in rotated:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Visit 12 of Núñez, José (A-1001)", "Visit 12 of", ("Núñez", "José", "A-1001")),
        ("born 1948-07-14 and seen 03/02/2026", "born", ("1948", "03/02/2026")),
        ("member 1EG4-TE5-MK73 group GRP55", "member", ("1EG4", "MK73", "GRP55")),
        ("patient 'Jane Roe' phone 503-555-0100", "patient", ("Jane", "Roe", "555-0100")),
        ("write jo.roe@example.org", "write", ("jo.roe", "example.org")),
        ("Cannot write superbills-A-1001-20260302.pdf", "Cannot write", ("A-1001",)),
    ],
)
def test_scrub_removes_what_could_identify_a_patient(text, kept, gone):
    scrubbed = logs.scrub(text)
    assert kept in scrubbed
    for word in gone:
        assert word not in scrubbed, scrubbed


def test_an_error_is_described_by_type_place_and_scrubbed_message():
    try:
        raise ValueError("Núñez, José (A-1001) born 1948-07-14")
    except ValueError as error:
        described = logs.describe_error(error)
    assert described.startswith("builtins.ValueError: [name]")
    assert "test_an_error_is_described_by_type_place_and_scrubbed_message" in described
    for word in ("Núñez", "A-1001", "1948"):
        assert word not in described
