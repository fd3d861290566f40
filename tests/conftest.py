import os

# Qt runs without a screen in tests; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from otdesk.storage import keys  # noqa: E402

# Key slots made by the tests derive in microseconds instead of a quarter second. An
# explicit call here, never a setting or an environment variable a shipped build reads.
keys.use_test_cost()


@pytest.fixture
def test_keys():
    """A database key, a recovery key and slots with one account (helpers/keys.py)."""
    from tests.helpers.keys import new_keys

    return new_keys()
