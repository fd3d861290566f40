"""`otdesk backup`, `otdesk restore FILE`, `otdesk check`: looking after the clinic database."""

from __future__ import annotations

import argparse
import json

from otdesk.commands import CliError
from otdesk.commands.session import Session, server_address, signed_in_person
from otdesk.paths import cli_command


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    backup = subparsers.add_parser(
        "backup",
        parents=[common],
        help="back up the clinic database now",
        description="Copy the clinic database into the backups folder beside it (the app also "
        "makes one at the first start of each day and before each upgrade; the newest 14 "
        "are kept).",
    )
    backup.add_argument(
        "--out",
        metavar="DIR",
        help="with --database: the folder for the backup of the server clinic (an encrypted "
        "one-file copy, opened with the password of the administrator making it)",
    )
    backup.add_argument(
        "--verify",
        action="store_true",
        help="check every backup (make none): date, size, visits, and whether it restores",
    )
    backup.set_defaults(run=run_backup)

    restore = subparsers.add_parser(
        "restore",
        parents=[common],
        help="replace the clinic database with a backup",
        description="Replace the clinic database with a backup file. The backup is checked "
        "first, on a copy (it must be a whole otdesk database this version can open); the "
        "database it replaces is kept (backed up, or set aside when damaged).",
    )
    which = restore.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "file", nargs="?", help="the backup file, e.g. backups/otdesk-20260302-081500-daily.db"
    )
    which.add_argument(
        "--latest", action="store_true", help="the newest backup that passes its checks"
    )
    restore.add_argument(
        "--recovery-key",
        metavar="KEY",
        help="restore with the recovery key, which needs no account (default: sign in; your "
        "password, as it was when the backup was made, opens the backup)",
    )
    restore.set_defaults(run=run_restore)

    check = subparsers.add_parser(
        "check",
        parents=[common],
        help="check the clinic database's integrity and schema version",
        description="Run SQLite's full integrity check on the clinic database (read-only) and "
        "show its schema version and backups. Exits non-zero when something is wrong.",
    )
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(run=run_check)


def run_backup(args: argparse.Namespace) -> int:
    from otdesk.services import maintenance

    if server_address(args) is not None:
        return _backup_server(args)
    if args.out:
        raise CliError(
            "--out is for a clinic on a server (--database); a desk's backups go into the "
            "backups folder beside its clinic."
        )
    if args.verify:
        return _verify_backups(args)
    person, key, _, _ = signed_in_person(args)
    path = maintenance.backup_now(args.data_dir, key=key, person=person)
    print(f"Backup written: {path}")
    return 0


def _backup_server(args: argparse.Namespace) -> int:
    from pathlib import Path

    from otdesk.core.accounts import Permission
    from otdesk.services.server_setup import backup_server

    if args.verify:
        raise CliError(
            "--verify checks a desk's own backups; with --database, restore the server backup "
            "onto a desk (`otdesk restore FILE --data-dir DIR`) to check it."
        )
    if not args.out:
        raise CliError("Say where the backup of the server clinic goes: --out DIR.")
    session = Session(args, daily_backup=False)
    with session as clinic:
        clinic.ctx.require(Permission.BACKUP)
        name = clinic.person.name
        made = backup_server(clinic.db, Path(args.out), name=name, password=session.password)
        with clinic.db.write() as connection:
            clinic.ctx.audit(connection, "backup", "database", None, after={"file": made.name})
    print(f"Backup of the server clinic written: {made}")
    print(
        f"It opens with the password of {name} as it is today: restore it onto a "
        "desk with `otdesk restore FILE --data-dir DIR`, and from there onto a server with "
        "`otdesk server move`."
    )
    return 0


def _verify_backups(args: argparse.Namespace) -> int:
    from otdesk.services import maintenance

    person, key, _, _ = signed_in_person(args)
    infos = maintenance.backups(args.data_dir, key=key, person=person)
    if not infos:
        raise CliError("There are no backups yet; `otdesk backup` makes one.")
    bad = 0
    for info in infos:
        taken = info.backup.taken_at.strftime("%m/%d/%Y %H:%M")  # as the window shows it
        state = "ok" if info.problem is None else f"NOT USABLE: {info.problem}"
        if info.problem is None and info.locked:
            state = "whole, encrypted: opens with a password of its day (contents not checked)"
        visits = "" if info.visits is None else f", {info.visits} visits"
        print(f"{info.backup.path.name}  {taken}  {_size(info.size)}{visits}  {state}")
        bad += info.problem is not None
    if bad:
        raise CliError(f"{bad} of {len(infos)} backups cannot be restored (listed above).")
    print(f"All {len(infos)} backups can be restored.")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from otdesk import single_instance
    from otdesk.paths import user_data_dir
    from otdesk.services import maintenance

    # Not under an open window: it would go on showing the data that was replaced.
    from otdesk.storage import keys

    if server_address(args) is not None:
        raise CliError(
            "A clinic on a server is restored with the server's own tools (pg_restore, or "
            "its point-in-time recovery); an otdesk backup is restored onto a desk "
            "(without --database) and moved from there with `otdesk server move`. Nothing "
            "was changed."
        )
    with single_instance.acquire(user_data_dir(args.data_dir)):
        if args.recovery_key:
            report = _restore_with_recovery_key(args)
        else:
            person, key, password, name = signed_in_person(args, damaged_ok=True, lost_ok=True)
            report = maintenance.restore(
                None if args.latest else args.file,
                args.data_dir,
                key=key,
                person=person,
                user=name,
                unlock=keys.PasswordUnlock(name, password),
            )
    print(f"Restored {report.database} from {report.restored_from}.")
    if report.safety_copy is not None:
        print(f"The database it replaced is kept as {report.safety_copy}.")
    return 0


def _restore_with_recovery_key(args: argparse.Namespace):  # -> RestoreReport
    """The emergency way: the recovery key opens everything, so it needs no account. It
    unwraps the clinic's own key too (when its key file is there) and opens the backup."""
    from otdesk.paths import database_path
    from otdesk.services import maintenance
    from otdesk.storage import keys

    unlock = keys.RecoveryUnlock(args.recovery_key)
    database = database_path(args.data_dir)
    key = None
    if keys.key_file_path(database).is_file():
        key = keys.unlock_database(database, unlock)
    return maintenance.restore(
        None if args.latest else args.file,
        args.data_dir,
        key=key,
        unlock=unlock,
        user="recovery key",
        recovery=True,
    )


def run_check(args: argparse.Namespace) -> int:
    from otdesk.services import maintenance

    if server_address(args) is not None:
        return _check_server(args)
    person, key, _, _ = signed_in_person(args, damaged_ok=True, read_only=True)
    health = maintenance.check(args.data_dir, key=key, person=person)
    report = health.check
    newest = health.backups[0].path if health.backups else None
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(report.path),
                    "ok": health.ok,
                    "integrity": list(report.problems) or ["ok"],
                    "schema": report.revision,
                    "schema_expected": report.head,
                    "size": report.size,
                    "backups": len(health.backups),
                    "newest_backup": str(newest) if newest else None,
                    "records": None
                    if health.records is None
                    else {
                        "ok": health.records.ok,
                        "audit_entries": health.records.chain.entries,
                        "first_bad_entry": health.records.chain.first_bad_id,
                        "problems": health.records.problems(),
                    },
                }
            )
        )
    else:
        print(f"Clinic database: {report.path} ({_size(report.size)})")
        if report.problems:
            print("Integrity: DAMAGED")
            for problem in report.problems[:10]:
                print(f"  {problem}")
        else:
            print("Integrity: ok")
        state = "current" if report.revision == report.head else f"this otdesk uses {report.head}"
        print(f"Schema version: {report.revision or 'none'} ({state})")
        if health.records is not None:
            records = health.records
            if records.ok:
                print(
                    f"Records: ok (audit log of {records.chain.entries} entries intact, "
                    "finalized visits protected)"
                )
            else:
                print("Records: ALTERED")
                for problem in records.problems():
                    print(f"  {problem}")
        if newest:
            print(f"Backups: {len(health.backups)}, newest {newest}")
        else:
            print("Backups: none yet")
    if report.problems:
        command = cli_command("restore", "--latest", data_dir=report.path.parent)
        advice = f" Restore the newest good backup with `{command}`." if newest else ""
        raise CliError(f"The clinic database {report.path} is damaged.{advice}")
    if health.records is not None and not health.records.ok:
        raise CliError(
            f"The records in {report.path} were changed outside otdesk: "
            + "; ".join(health.records.problems())
            + ". Keep this file for investigation; a backup from before the change can be "
            "restored."
        )
    if report.revision != report.head:
        raise CliError(
            f"The clinic database has schema {report.revision}; this otdesk uses {report.head} "
            "(it is upgraded when the app opens it)."
        )
    return 0


def _check_server(args: argparse.Namespace) -> int:
    from otdesk.core.accounts import Permission
    from otdesk.services.audit import check_records

    with Session(args, daily_backup=False, read_only=True) as clinic:
        clinic.ctx.require(Permission.BACKUP)
        report = clinic.db.check()
        records = check_records(clinic.db)
        server = clinic.db.server
    if args.json:
        print(
            json.dumps(
                {
                    "server": server,
                    "ok": records.ok and report.revision == report.head,
                    "schema": report.revision,
                    "schema_expected": report.head,
                    "records": {
                        "ok": records.ok,
                        "audit_entries": records.chain.entries,
                        "first_bad_entry": records.chain.first_bad_id,
                        "problems": records.problems(),
                    },
                }
            )
        )
    else:
        print(f"Clinic server: {server}")
        state = "current" if report.revision == report.head else f"this otdesk uses {report.head}"
        print(f"Schema version: {report.revision or 'none'} ({state})")
        if records.ok:
            print(
                f"Records: ok (audit log of {records.chain.entries} entries intact, "
                "finalized visits protected)"
            )
        else:
            print("Records: ALTERED")
            for problem in records.problems():
                print(f"  {problem}")
        print("Backups: the server's own (pg_dump, point-in-time recovery); otdesk backup --out")
    if not records.ok:
        raise CliError(
            f"The records on {server} were changed outside otdesk: "
            + "; ".join(records.problems())
            + ". Keep the database as it is for investigation; a backup from before the "
            "change can be restored."
        )
    if report.revision != report.head:
        raise CliError(
            f"The clinic on {server} has schema {report.revision}; this otdesk uses "
            f"{report.head} (it is upgraded when a desk with this version opens it)."
        )
    return 0


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(size // 1024, 1)} KB"
