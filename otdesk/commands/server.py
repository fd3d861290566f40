"""`otdesk server init` and `otdesk server move`: a clinic on a PostgreSQL server (issue 16).

init makes the clinic in an empty database (the schema and its first administrator, and,
with --create-role, the login role the desks use); move copies this desk's local clinic
into an empty database. The other commands reach a server clinic with --database URL."""

from __future__ import annotations

import argparse

from otdesk.commands import CliError

ROLE_PASSWORD_ENV = "OTDESK_ROLE_PASSWORD"


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    server = subparsers.add_parser(
        "server",
        help="set up a clinic on a PostgreSQL server, or move this desk's clinic onto one",
        description="A clinic kept on a PostgreSQL server, for several desks at once "
        '(README, "A clinic server"). Every other command reaches it with --database URL.',
    )
    actions = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        parents=[common],
        help="make the clinic in an empty database, with its first administrator",
        description="Make the clinic's tables in the EMPTY database of --database (connect "
        "as the database's owner) and its first administrator; a database that holds "
        "anything else is refused and left as it was. The administrator's password is asked "
        "for twice (or read from $OTDESK_PASSWORD).",
    )
    init.add_argument("--admin", required=True, metavar="NAME", help="the administrator's name")
    init.add_argument(
        "--display-name", metavar="TEXT", help="the administrator's name as shown (default: NAME)"
    )
    init.add_argument(
        "--create-role",
        metavar="ROLE",
        help="also make (or update) the login role the desks connect as, with only the rights "
        "otdesk needs (no superuser, cannot change the audit log); its password is asked for "
        f"twice (or read from ${ROLE_PASSWORD_ENV})",
    )
    init.set_defaults(run=run_init)

    move = actions.add_parser(
        "move",
        parents=[common],
        help="copy this desk's local clinic into an empty server database",
        description="Copy the whole local clinic of --data-dir into the EMPTY database of "
        "--database: every table with its ids, the audit log intact, then checked table by "
        "table (row count and checksum). Sign in to the local clinic as an administrator "
        "(--user). The local file is backed up first and then set aside, renamed, so no one "
        "goes on working in it by mistake.",
    )
    move.set_defaults(run=run_move)

    grant = actions.add_parser(
        "grant-role",
        parents=[common],
        help="give the desks' login role its rights (again, after an upgrade), or make it",
        description="Give the login role ROLE the rights otdesk's desks need on every clinic "
        "table (read and write the rows, add to the audit log; nothing more), for instance "
        "after an upgrade of otdesk added tables. Connect as the database's owner and sign "
        "in as an administrator (--user). A role that does not exist yet is made; its "
        f"password is then asked for twice (or read from ${ROLE_PASSWORD_ENV}).",
    )
    grant.add_argument("role", metavar="ROLE", help="the login role, e.g. otdesk_desk")
    grant.set_defaults(run=run_grant_role)


def _address(args: argparse.Namespace) -> str:
    from otdesk.commands.session import DATABASE_ENV, server_address
    from otdesk.storage.server import server_url

    address = server_address(args)
    if address is None:
        raise CliError(
            f"Say which server database: give --database postgresql://USER@HOST:PORT/DATABASE "
            f"(or set {DATABASE_ENV})."
        )
    server_url(address)  # a malformed address is told before any password is asked for
    return address


def _new_secret(env: str, prompt: str, what: str) -> str:
    from otdesk.commands.session import new_password

    return new_password(what, env=env, prompt=prompt)


def run_init(args: argparse.Namespace) -> int:
    from otdesk.commands.session import PASSWORD_ENV, desk_dir
    from otdesk.services.server_setup import init_server
    from otdesk.storage.server import describe, server_url

    address = _address(args)
    password = _new_secret(
        PASSWORD_ENV, f"New password for {args.admin}", f"the administrator {args.admin}"
    )
    role_password = None
    if args.create_role:
        role_password = _new_secret(
            ROLE_PASSWORD_ENV,
            f"New password for the login role {args.create_role}",
            f"the login role {args.create_role}",
        )
    report = init_server(
        address,
        desk_dir=desk_dir(args),
        admin=args.admin,
        password=password,
        display_name=args.display_name or "",
        create_role=args.create_role,
        role_password=role_password,
    )
    print(f"Made the clinic on {report.server}; {report.administrator} is its administrator.")
    if report.role:
        url = server_url(address)
        print(
            f"The desks connect as {report.role}: --database postgresql://{report.role}@"
            f"{url.host}:{url.port or 5432}/{url.database} (keep its password in each desk's "
            "pgpass file or the PGPASSWORD variable, not in the address)."
        )
    else:
        where = describe(server_url(address))
        print(f"Connect each desk with --database and the address of {where}.")
    return 0


def run_move(args: argparse.Namespace) -> int:
    from otdesk import single_instance
    from otdesk.commands.session import database_of, sign_in
    from otdesk.core.accounts import Role
    from otdesk.paths import user_data_dir
    from otdesk.services import signin
    from otdesk.services.server_setup import move_to_server, record_move

    address = _address(args)
    # Not under an open window: the local file is set aside at the end.
    with single_instance.acquire(user_data_dir(args.data_dir)):
        local = database_of(args)
        clinic, _ = sign_in(args, database=local, daily_backup=False)
        try:
            person = clinic.person
            key = clinic.db.key
            signin.sign_out(clinic)
        finally:
            clinic.close()
        if person is None or person.role is not Role.ADMINISTRATOR:
            raise CliError(
                f"{person.name if person else 'Nobody'} is not an administrator; an "
                "administrator moves the clinic onto a server. Nothing was copied."
            )
        report = move_to_server(address, args.data_dir, desk_dir=local.parent, key=key)
        record_move(address, report, person=person, desk_dir=local.parent)
    width = max(len(t.table) for t in report.tables)
    for table in report.tables:
        print(f"  {table.table:<{width}}  {table.rows:>8} rows")
    print(
        f"Moved the clinic to {report.server}: {report.rows} rows in {len(report.tables)} "
        "tables, each checked (row count and checksum)."
    )
    print(f"The local clinic was backed up to {report.backup}.")
    print(f"The local file was set aside as {report.kept_aside}.")
    print("From now on, use --database with the server's address at this desk.")
    return 0


def run_grant_role(args: argparse.Namespace) -> int:
    from otdesk.commands.session import Session
    from otdesk.core.accounts import Role
    from otdesk.services.server_setup import grant_desk_rights, grant_desk_role, role_exists

    _address(args)
    with Session(args, daily_backup=False) as clinic:
        person = clinic.person
        if person is None or person.role is not Role.ADMINISTRATOR:
            raise CliError(
                f"{person.name if person else 'Nobody'} is not an administrator; an "
                "administrator gives the desks' role its rights. Nothing was changed."
            )
        with clinic.db.translate_errors(), clinic.db.read() as connection:
            exists = role_exists(connection, args.role)
        password = None
        if not exists:
            password = _new_secret(
                ROLE_PASSWORD_ENV,
                f"New password for the login role {args.role}",
                f"the login role {args.role}",
            )
        with clinic.db.translate_errors(), clinic.db.write() as connection:
            if password is None:
                grant_desk_rights(connection, args.role)
            else:
                grant_desk_role(connection, args.role, password)
            clinic.ctx.audit(connection, "server.grant", "clinic", None, after={"role": args.role})
        server = clinic.db.server
    made = "Made the login role" if password else "Gave the login role"
    print(f"{made} {args.role} the rights otdesk's desks need on {server}.")
    return 0
