"""The base of every error whose message is written for the person using otdesk.

Kept in a module of its own, with no imports, so the command line can catch the errors of
the services, storage and export layers without importing those layers (SQLAlchemy alone
costs ~200 ms) for commands that never touch them."""


class UserError(Exception):
    """A refusal or problem whose str() is one or two sentences for the user."""
