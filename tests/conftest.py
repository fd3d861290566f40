import os

# Qt runs without a screen in tests; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from otdesk.storage import keys  # noqa: E402

# Key slots made by the tests derive in microseconds instead of a quarter second. An
# explicit call here, never a setting or an environment variable a shipped build reads.
keys.use_test_cost()

# helpers/logfail.py: any otdesk warning or error fails the test that did not expect it;
# helpers/clinics.py: the one way to build a test clinic, and its fixtures (clock, ...)
pytest_plugins = ["tests.helpers.logfail", "tests.helpers.clinics", "pytester"]


@pytest.fixture
def test_keys():
    """A database key, a recovery key and slots with one account (helpers/keys.py)."""
    from tests.helpers.keys import new_keys

    return new_keys()


# The demo clinic's administrator (otdesk demo makes it; services.accounts.DEMO_NAME).
DEMO_ACCOUNT = {"OTDESK_USER": "demo", "OTDESK_PASSWORD": "demo"}


@pytest.fixture
def demo_account(monkeypatch):
    """The command line signs in as the demo's administrator: in this process and in the
    `otdesk` subprocesses the tests start (they inherit the environment)."""
    for name, value in DEMO_ACCOUNT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OTDESK_NEW_PASSWORD", raising=False)
    return DEMO_ACCOUNT
