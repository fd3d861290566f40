"""`otdesk people add|disable|enable|reset-password|list` (administrators) and
`otdesk encrypt --admin NAME` (a clinic from before accounts gets its first administrator,
its recovery key, and is encrypted in place)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from otdesk.commands import CliError
from otdesk.commands.session import Session, database_of, new_password, password_for
from otdesk.paths import cli_command

ROLE_CHOICES = ("admin", "biller", "front-desk", "therapist")
SHEET_NAME = "otdesk-recovery-sheet.pdf"


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    people = subparsers.add_parser(
        "people",
        parents=[common],
        help="the clinic's accounts: add, disable, enable, reset a password, list",
        description="Manage who may sign in (administrators only). New passwords are typed "
        "twice at the prompt, or read from $OTDESK_NEW_PASSWORD; they need at least 8 "
        "characters and must not be on the list of common passwords.",
    )
    what = people.add_subparsers(dest="people_command", metavar="WHAT", required=True)

    add = what.add_parser("add", parents=[common], help="add an account")
    add.add_argument("name", help="the sign-in name (letters, digits, . _ -), e.g. pat.lee")
    add.add_argument("--display-name", required=True, metavar="TEXT", help='e.g. "Pat Lee"')
    add.add_argument("--role", required=True, choices=ROLE_CHOICES)
    add.add_argument(
        "--provider", type=int, metavar="ID", help="a therapist's provider id (their visits)"
    )
    add.set_defaults(run=run_add)

    disable = what.add_parser("disable", parents=[common], help="disable an account")
    disable.add_argument("name")
    disable.add_argument("--reason", default="", metavar="TEXT", help="kept in the audit log")
    disable.set_defaults(run=run_disable)

    enable = what.add_parser(
        "enable", parents=[common], help="enable a disabled account with a new password"
    )
    enable.add_argument("name")
    enable.set_defaults(run=run_enable)

    reset = what.add_parser("reset-password", parents=[common], help="set a new password")
    reset.add_argument("name")
    reset.set_defaults(run=run_reset)

    listing = what.add_parser("list", parents=[common], help="every account")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=run_list)

    encrypt = subparsers.add_parser(
        "encrypt",
        parents=[common],
        help="give a clinic from before accounts its first administrator and encrypt it",
        description="For a clinic made before otdesk had accounts (its database a plain "
        "file): make its first administrator (the password is typed twice, or read from "
        "$OTDESK_NEW_PASSWORD), encrypt the database and its backups in place, and print the "
        "recovery key once, also written as a recovery sheet (PDF) to print and lock away.",
    )
    encrypt.add_argument("--admin", required=True, metavar="NAME", help="the sign-in name")
    encrypt.add_argument("--display-name", metavar="TEXT", help="how the name is shown")
    encrypt.add_argument(
        "--sheet",
        metavar="FILE.pdf",
        help=f"where to write the recovery sheet (default: {SHEET_NAME} in the current folder)",
    )
    encrypt.add_argument(
        "--delete-plain-backups",
        action="store_true",
        help="delete the old plain backups instead of encrypting them",
    )
    encrypt.set_defaults(run=run_encrypt)


# --- people ------------------------------------------------------------------------------


def _role(choice: str) -> str:
    return "administrator" if choice == "admin" else choice


def _with_new_password(args: argparse.Namespace, change: Callable[[Any, str], Any]) -> Any:
    """Sign in, check the person may look after accounts (before the new password is
    asked for, so a refusal costs no typing), ask for the new password of `args.name`
    and make `change(clinic, password)`; returns what it returns (the Account)."""
    with Session(args) as clinic:
        clinic.ctx.require(_people())
        return change(clinic, new_password(args.name))


def run_add(args: argparse.Namespace) -> int:
    account = _with_new_password(
        args,
        lambda clinic, password: clinic.accounts.add(
            args.name, args.display_name, _role(args.role), password, provider_id=args.provider
        ),
    )
    print(f"Added {account.name} ({account.display_name}, {account.role.label}).")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    with Session(args) as clinic:
        account = clinic.accounts.disable(args.name, args.reason)
    print(f"Disabled {account.name}: it can no longer sign in, and its password opens nothing.")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    account = _with_new_password(
        args, lambda clinic, password: clinic.accounts.enable(args.name, password)
    )
    print(f"Enabled {account.name} with the new password.")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    account = _with_new_password(
        args, lambda clinic, password: clinic.accounts.reset_password(args.name, password)
    )
    print(f"Set a new password for {account.name}.")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with Session(args) as clinic:
        # the service shows names to anyone (the lock screen); the listing is the people's
        clinic.ctx.require(_people())
        accounts = clinic.accounts.list()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": a.name,
                        "display_name": a.display_name,
                        "role": str(a.role),
                        "provider_id": a.provider_id,
                        "disabled": a.disabled,
                    }
                    for a in accounts
                ],
                ensure_ascii=False,
            )
        )
        return 0
    for a in accounts:
        state = "  disabled" if a.disabled else ""
        provider = f"  provider {a.provider_id}" if a.provider_id else ""
        print(f"{a.name:<20}  {a.display_name:<28.28}  {a.role.label:<13}{provider}{state}")
    return 0


def _people():  # -> Permission; asked before the new password, so a refusal costs no typing
    from otdesk.core.accounts import Permission

    return Permission.PEOPLE


# --- encrypt -----------------------------------------------------------------------------


def run_encrypt(args: argparse.Namespace) -> int:
    from otdesk.commands.session import server_address
    from otdesk.export import write_file_atomic
    from otdesk.export.recovery_sheet import render_recovery_sheet
    from otdesk.services import Clinic, signin
    from otdesk.storage.encrypt import clinic_state

    if server_address(args) is not None:
        raise CliError(
            "A clinic on a server is not encrypted by otdesk: its accounts' passwords are the "
            "proof of who signs in, and the server's TLS and disks protect it (README, "
            '"A clinic server"). Nothing was changed.'
        )
    database = database_of(args)
    if clinic_state(database) != "plain":
        raise CliError(
            f"The clinic in {database.parent} is encrypted already; sign in to it "
            f"(`{cli_command('people', 'list', '--user', args.admin, data_dir=database.parent)}`"
            " lists its accounts)."
        )
    sheet = Path(args.sheet or SHEET_NAME).absolute()
    if sheet.parent.resolve() == database.parent.resolve():
        raise CliError(
            f"Write the recovery sheet outside the clinic's folder {database.parent} (--sheet): "
            "kept beside the files, it would open them for anyone who copies the folder."
        )
    if not sheet.parent.is_dir():
        raise CliError(f"Cannot write {sheet}: the folder {sheet.parent} does not exist.")
    with Clinic.open(path=database, daily_backup=False) as plain:
        first = plain.accounts.count() == 0
    password = new_password(args.admin) if first else password_for(args.admin)
    clinic, recovery = signin.encrypt_existing(
        None,
        args.admin,
        password,
        display_name=args.display_name or "",
        path=database,
        plain_backups="delete" if args.delete_plain_backups else "encrypt",
        daily_backup=False,
    )
    try:
        practice = clinic.practice.get()
        pdf = render_recovery_sheet(
            str(recovery), practice_name=practice.name if practice else "", made_on=date.today()
        )
        write_file_atomic(sheet, pdf)
        signin.sign_out(clinic)
    finally:
        clinic.close()
    print(f"Encrypted the clinic in {database.parent}; {args.admin} is its administrator.")
    print(f"Recovery key (shown this once): {recovery}")
    print(
        f"The recovery sheet is {sheet}: print it, lock it away, and delete the file. With "
        "every password and this key lost, the clinic's data cannot be opened by anyone."
    )
    return 0
