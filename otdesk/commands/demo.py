"""`otdesk demo [--force]`: fill the data folder with an invented demo clinic."""

from __future__ import annotations

import argparse

from otdesk.core.dates import shown


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = subparsers.add_parser(
        "demo",
        parents=[common],
        help="make a demo clinic with invented patients and visits",
        description="Fill the clinic database with an invented demo clinic: a practice, three "
        "providers, four payers, a fee schedule, 20 patients and visits today and over the "
        "past weeks (some raising each major finding). Running it again makes a fresh demo. "
        "The demo is encrypted, with the administrator demo, password demo. A database holding "
        "real clinic data is refused unless --force is given; it is then backed up first "
        "(that backup is never pruned); an encrypted clinic that is not the demo is always "
        "refused. Tip: use --data-dir to keep the demo apart from your clinic. With --database "
        "URL it fills an EMPTY PostgreSQL database with the demo clinic instead (a server "
        "database holding anything is refused).",
    )
    demo.add_argument(
        "--force",
        action="store_true",
        help="replace clinic data with the demo (after a backup)",
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from otdesk.commands.session import server_address

    address = server_address(args)
    if address is not None:
        return _run_on_server(args, address)
    from otdesk import single_instance
    from otdesk.paths import user_data_dir
    from otdesk.services.demo import install_demo

    # Not under an open window: a reseed replaces everything it shows.
    with single_instance.acquire(user_data_dir(args.data_dir)):
        report = install_demo(args.data_dir, force=args.force, encrypted=True)
    print(
        f"Demo clinic written to {report.path}: {report.patients} invented patients, "
        f"{report.visits} visits (today is {shown(report.today)})."
    )
    if report.backup is not None:
        print(f"The clinic data it replaced was backed up to {report.backup}.")
    from otdesk.paths import cli_command
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD

    print(
        f"It is encrypted; sign in as {DEMO_NAME} with the password {DEMO_PASSWORD} (the demo "
        "alone has so simple a password: everyone in it is invented)."
    )
    if report.recovery_key:
        print(f"Its recovery key: {report.recovery_key}")
    command = cli_command("visits", "--date", report.today.isoformat(), data_dir=report.path.parent)
    print(f"Try: OTDESK_USER={DEMO_NAME} OTDESK_PASSWORD={DEMO_PASSWORD} {command}")
    return 0


def _run_on_server(args: argparse.Namespace, address: str) -> int:
    from otdesk.commands import CliError
    from otdesk.commands.session import desk_dir
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD
    from otdesk.services.demo import install_server_demo

    if args.force:
        raise CliError(
            "A clinic on a server is never replaced from a desk: --force does not apply with "
            "--database. Give the demo an empty database of its own."
        )
    where, report = install_server_demo(address, desk_dir=desk_dir(args))
    print(
        f"Demo clinic written to the server database {where}: {report.patients} invented "
        f"patients, {report.visits} visits (today is {shown(report.today)})."
    )
    print(
        f"Sign in as {DEMO_NAME} with the password {DEMO_PASSWORD} (the demo alone has so "
        "simple a password: everyone in it is invented)."
    )
    return 0
