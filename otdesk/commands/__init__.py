"""Subcommands of the `otdesk` command line, one module each (see otdesk.cli)."""
