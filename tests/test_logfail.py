"""The logfail fixture (tests/helpers/logfail.py) fails a test on an otdesk warning or error
it did not expect, and only then: run on small test files of their own (pytester)."""

from __future__ import annotations

import pytest

PLUGIN = 'pytest_plugins = ["tests.helpers.logfail"]\n'
# the inner tests log as otdesk does; this test's own logfail sees their records too
INNER = pytest.mark.expect_log("otdesk.inner", "WARNING")


def _run(pytester, body: str):
    pytester.makeini("[pytest]\nmarkers =\n    expect_log: as in pyproject.toml\n")
    pytester.makeconftest(PLUGIN)
    pytester.makepyfile(test_inner="import logging\nimport pytest\n\n" + body)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider")


@INNER
def test_an_unexpected_warning_or_error_fails_the_test(pytester):
    result = _run(
        pytester,
        """
def test_warns():
    logging.getLogger("otdesk.inner").warning("a warning nobody expected")

def test_errors_from_a_thread():
    import threading
    done = threading.Thread(target=lambda: logging.getLogger("otdesk.inner.x").error("boom"))
    done.start()
    done.join()

def test_info_is_fine():
    logging.getLogger("otdesk.inner").info("just so you know")

def test_other_loggers_are_not_ours():
    logging.getLogger("somebody.else").error("not otdesk")
""",
    )
    # the test's body passes; its teardown fails it, and so the run
    result.assert_outcomes(passed=4, errors=2)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*WARNING otdesk.inner: a warning nobody expected*", "*ERROR otdesk.inner.x: boom*"]
    )


@INNER
def test_what_a_test_expects_does_not_fail_it(pytester):
    result = _run(
        pytester,
        """
@pytest.mark.expect_log("otdesk.inner", "WARNING")
def test_marked():
    logging.getLogger("otdesk.inner.child").error("expected, and worse than asked")

def test_said_inside(logfail):
    logfail.expect("otdesk.inner", "ERROR")
    logging.getLogger("otdesk.inner").error("expected")
    assert [r.getMessage() for r in logfail.records] == ["expected"]

@pytest.mark.expect_log("otdesk.inner", "ERROR")
def test_a_weaker_record_than_expected_still_fails():
    logging.getLogger("otdesk.inner").warning("only a warning")

@pytest.mark.expect_log("otdesk.inner.one", "WARNING")
def test_another_logger_still_fails():
    logging.getLogger("otdesk.inner.two").warning("elsewhere")
""",
    )
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        ["*WARNING otdesk.inner: only a warning*", "*WARNING otdesk.inner.two: elsewhere*"]
    )
    result.stdout.no_fnmatch_line("*worse than asked*")
