"""Subcommands of the `otdesk` command line, one module each (see otdesk.cli).

CliError is here, not in otdesk.cli, so a subcommand imports it without importing the
module that imports the subcommands (tests/storage/test_import_cycles.py)."""


class CliError(Exception):
    """A problem with what the user asked for; its message is shown as is."""
