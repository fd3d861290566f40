"""Signing in on the command line: every command that reads or writes clinic data opens the
clinic as a person (`--user NAME` or $OTDESK_USER), with the password typed at the prompt
or, for scripts, taken from $OTDESK_PASSWORD. A wrong or missing password is one sentence
and exit 2; the failed try is kept and paced like the window's (services.signin).

A clinic from before accounts (plain, not encrypted) is not opened here: the one command
that encrypts it (`otdesk encrypt --admin NAME`) is named instead.

With `--database URL` (or $OTDESK_DATABASE_URL) the clinic is the one on that PostgreSQL
server (issue 16): the person signs in against the server's accounts
(services.server_signin), and --data-dir is this desk's own folder (its files, the pacing
of failed sign-ins). The address's password, when it holds one, is never printed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from otdesk.commands import CliError
from otdesk.paths import cli_command

USER_ENV = "OTDESK_USER"
PASSWORD_ENV = "OTDESK_PASSWORD"
NEW_PASSWORD_ENV = "OTDESK_NEW_PASSWORD"
DATABASE_ENV = "OTDESK_DATABASE_URL"


def server_address(args: argparse.Namespace) -> str | None:
    """The clinic server's address of --database / $OTDESK_DATABASE_URL, or None: the clinic
    is the local file of --data-dir."""
    given = getattr(args, "database", None) or os.environ.get(DATABASE_ENV) or None
    return given.strip() if given and given.strip() else None


def desk_dir(args: argparse.Namespace) -> Path:
    """This desk's own folder (--data-dir, $OTDESK_DATA_DIR or the user data folder)."""
    from otdesk.paths import user_data_dir

    return user_data_dir(getattr(args, "data_dir", None))


def user_name(args: argparse.Namespace) -> str | None:
    return getattr(args, "user", None) or os.environ.get(USER_ENV) or None


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def password_for(name: str) -> str:
    """The password: $OTDESK_PASSWORD, else typed at the terminal (not echoed)."""
    given = os.environ.get(PASSWORD_ENV)
    if given:  # set and not empty
        return given
    if not _interactive():
        raise CliError(
            f"No password for {name}: run the command in a terminal to type it, or set "
            f"{PASSWORD_ENV} (see the README on what that costs)."
        )
    try:
        return getpass.getpass(f"Password for {name}: ")
    except EOFError:
        raise CliError(f"No password for {name} was typed.") from None


def new_password(what: str, *, env: str = NEW_PASSWORD_ENV, prompt: str | None = None) -> str:
    """A new password for `what` (an account, a server's login role): $`env` (by default
    $OTDESK_NEW_PASSWORD), else typed twice at the terminal after `prompt`."""
    given = os.environ.get(env)
    if given:
        return given
    if not _interactive():
        raise CliError(
            f"No new password for {what}: run the command in a terminal to type it, or set {env}."
        )
    try:
        first = getpass.getpass(f"{prompt or f'New password for {what}'}: ")
        second = getpass.getpass("The same password again: ")
    except EOFError:
        raise CliError(f"No new password for {what} was typed.") from None
    if first != second:
        raise CliError("The two passwords typed differ; nothing was changed.")
    return first


def database_of(args: argparse.Namespace) -> Path:
    """The clinic database of --data-dir, which must exist (StorageError naming how to make
    one otherwise)."""
    from otdesk.services.maintenance import existing_database

    return existing_database(args.data_dir)


def refuse_plain(database: Path) -> None:
    """A plain clinic (from before accounts) is encrypted first: say how, exactly."""
    from otdesk.storage.encrypt import clinic_state

    if clinic_state(database) == "plain":
        command = cli_command("encrypt", "--admin", "NAME", data_dir=database.parent)
        raise CliError(
            f"The clinic in {database.parent} is from before accounts (not encrypted yet): "
            f"give it its first administrator and encrypt it once with `{command}` (NAME is "
            "the administrator's sign-in name; the command asks for a new password)."
        )


def sign_in(
    args: argparse.Namespace,
    *,
    database: Path | None = None,
    daily_backup: bool = True,
    read_only: bool = False,
) -> tuple[Any, str]:
    """The clinic of --data-dir, opened as the person of --user / $OTDESK_USER (a Clinic,
    otdesk.services.clinic, signed in), and the password that opened it. CliError for no
    name, no password, a wrong one, or a plain clinic not encrypted yet. `read_only`: for
    a command that only reads; it works while another program holds the write lock (its
    session's audit entries are then kept aside: ServiceContext.audit_alone)."""
    from otdesk.services import signin
    from otdesk.services.accounts import SignInError

    address = server_address(args) if database is None else None
    if address is not None:
        return _sign_in_server(args, address, read_only=read_only)
    database = database or database_of(args)
    refuse_plain(database)
    name, password = _who(args)
    try:
        clinic = signin.sign_in(
            None, name, password, path=database, daily_backup=daily_backup, read_only=read_only
        )
    except SignInError as error:
        raise CliError(str(error)) from None
    return clinic, password


def _sign_in_server(
    args: argparse.Namespace, address: str, *, read_only: bool = False
) -> tuple[Any, str]:
    from otdesk.services.accounts import SignInError
    from otdesk.services.server_signin import sign_in_server
    from otdesk.storage.server import server_url

    server_url(address)  # a malformed address is told before any password is asked for
    name, password = _who(args)
    try:
        clinic = sign_in_server(
            address, name, password, desk_dir=desk_dir(args), read_only=read_only
        )
    except SignInError as error:
        raise CliError(str(error)) from None
    return clinic, password


def _who(args: argparse.Namespace) -> tuple[str, str]:
    """The name of --user / $OTDESK_USER and that person's password (asked for)."""
    name = user_name(args)
    if not name:
        raise CliError(
            f"Sign in to use the clinic's data: give --user NAME (or set {USER_ENV}); the "
            "password is asked for."
        )
    return name, password_for(name)


class Session:
    """A signed-in clinic for one command: `with Session(args) as clinic:`; at the end the
    sign-out is recorded and the clinic closed. `read_only`: see sign_in()."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        database: Path | None = None,
        daily_backup: bool = True,
        read_only: bool = False,
    ) -> None:
        self.clinic, self.password = sign_in(
            args, database=database, daily_backup=daily_backup, read_only=read_only
        )

    def __enter__(self) -> Any:
        return self.clinic

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        from otdesk.services import signin

        try:
            signin.sign_out(self.clinic)
        finally:
            self.clinic.close()


def signed_in_person(
    args: argparse.Namespace,
    *,
    damaged_ok: bool = False,
    lost_ok: bool = False,
    read_only: bool = False,
) -> tuple[Any, Any, str, str]:
    """For the maintenance commands (backup, restore, check): sign in, note who, the
    database key and the password (a restore opens an encrypted backup with it), record
    the sign-out and close again (the maintenance functions open the file themselves).
    Returns (person, key, password, name).

    `damaged_ok` (check, restore): when the clinic database itself cannot be read (the
    case a restore is for), the person's role cannot be read either; the password must
    then unwrap the clinic's key from the person's slot in the key file (only enabled
    accounts of this clinic have one), and person is None (see otdesk.services.
    maintenance: the restore is recorded under `name`). `lost_ok` (restore): the same when
    the database file is gone; without its key file too, the password must then open the
    backup itself (its own key slots). `read_only` (check): see sign_in()."""
    from otdesk.paths import database_path
    from otdesk.storage.errors import UnusableDatabaseError

    if lost_ok and not database_path(args.data_dir).is_file():
        return _key_only(args)
    try:
        session = Session(args, daily_backup=False, read_only=read_only)
    except UnusableDatabaseError:
        if not damaged_ok:
            raise
        return _key_only(args)
    with session as clinic:
        return clinic.person, clinic.db.key, session.password, clinic.person.name


def _key_only(args: argparse.Namespace) -> tuple[Any, Any, str, str]:
    from otdesk.paths import database_path
    from otdesk.services.accounts import WRONG_NAME_OR_PASSWORD, account_name
    from otdesk.storage import keys
    from otdesk.storage.errors import KeyFileError, WrongKeyError

    database = database_path(args.data_dir)
    name = user_name(args)
    if not name:
        raise CliError(f"Say who you are: give --user NAME (or set {USER_ENV}).")
    typed = account_name(name)
    password = password_for(typed)
    if not keys.key_file_path(database).is_file():
        return None, None, password, typed  # the backup's own slots check the password
    try:
        key = keys.unlock_database(database, keys.PasswordUnlock(typed, password))
    except (WrongKeyError, KeyFileError):
        raise CliError(WRONG_NAME_OR_PASSWORD) from None
    return None, key, password, typed


T = TypeVar("T")

# How long a long command waits for a lost clinic server before its one more try.
RECONNECT_WAIT_SECONDS = 3.0


def once_more_if_lost(action: Callable[[], T], what: str) -> T:
    """`action()`, tried once more when the clinic server was lost in the middle of it
    (a restart, a network drop: ServerUnavailableError, nothing of it stored): a batch of
    superbills or an export is then not simply lost. A second loss is told as it is."""
    from otdesk.services.errors import ServerUnavailableError

    try:
        return action()
    except ServerUnavailableError:
        print(
            f"The connection to the clinic server was lost while writing {what}; nothing of "
            f"it was kept. Trying once more in {RECONNECT_WAIT_SECONDS:.0f} seconds...",
            file=sys.stderr,
        )
        time.sleep(RECONNECT_WAIT_SECONDS)
        return action()
