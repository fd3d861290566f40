"""The `otdesk` command. With no subcommand it opens the window (`otdesk --help` lists the
subcommands). Every subcommand lives in otdesk/commands/ and registers itself; errors go to
stderr as one sentence with a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import otdesk
from otdesk.commands import CliError
from otdesk.errors import UserError

# Each module has register(subparsers, common) and sets a `run(args) -> int` default.
COMMAND_MODULES = (
    "otdesk.commands.units",
    "otdesk.commands.codes",
    "otdesk.commands.npi",
    "otdesk.commands.icd",
    "otdesk.commands.rules",
    "otdesk.commands.ncci",
    "otdesk.commands.storage",
    "otdesk.commands.visits",
    "otdesk.commands.demo",
    "otdesk.commands.superbills",
    "otdesk.commands.claims",
    "otdesk.commands.people",
    "otdesk.commands.server",
)

EXIT_BAD_INPUT = 2
__all__ = ["EXIT_BAD_INPUT", "CliError", "build_parser", "main"]


class _VersionAction(argparse.Action):
    # Looks the version up only when asked: every start (the window's too) builds the parser.
    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        print(f"otdesk {otdesk.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        # SUPPRESS: the subcommand's copy of this option must not reset a value given
        # before the subcommand (`otdesk --data-dir X visits`).
        default=argparse.SUPPRESS,
        help="folder of the clinic database (default: the user data folder, or $OTDESK_DATA_DIR)",
    )
    # the clinic on a PostgreSQL server instead of the local file (issue 16)
    common.add_argument(
        "--database",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="the clinic on a PostgreSQL server, postgresql://USER@HOST:PORT/DATABASE "
        "(default: $OTDESK_DATABASE_URL, else the local clinic of --data-dir, which is then "
        "this desk's own folder); keep the server password in ~/.pgpass or $PGPASSWORD",
    )
    # who signs in, for the commands that read or write clinic data (commands.session)
    common.add_argument(
        "--user",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="who signs in (default: $OTDESK_USER); the password is asked for, or read from "
        "$OTDESK_PASSWORD",
    )
    parser = argparse.ArgumentParser(
        prog="otdesk",
        description="Charge entry, session timing, modifier checks and superbills "
        "for outpatient occupational therapy clinics.",
        parents=[common],
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="check that this install works end to end (offscreen, in a temporary folder; "
        "nothing of yours is touched), print one line per step and exit",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "data_dir"):
        args.data_dir = None
    if args.smoke_test:
        from otdesk import smoke

        return smoke.main()
    if not getattr(args, "run", None):
        # Qt is imported only here, so every other command starts without it.
        from otdesk.commands.session import server_address
        from otdesk.ui.app import run as open_window

        # --database / $OTDESK_DATABASE_URL: the window on that clinic server (issue 16);
        # a malformed address is told here, in one sentence, before any window opens
        address = server_address(args)
        if address:
            from otdesk.services.server_connection import ServerAddress

            try:
                ServerAddress.parse(address)
            except UserError as error:
                print(f"otdesk: {error}", file=sys.stderr)
                return EXIT_BAD_INPUT
        return open_window(args.data_dir, address)
    try:
        return int(args.run(args) or 0)
    except (CliError, UserError) as error:
        print(f"otdesk: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into `head`): not an error worth a traceback
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
