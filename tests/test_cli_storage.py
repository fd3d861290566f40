"""`otdesk demo`, `visits`, `export visits`, `backup`, `restore`, `check` from the command
line, against real database files."""

import argparse
import contextlib
import csv
import io
import json
import shutil
from datetime import date

import pytest

from otdesk import cli
from otdesk.commands.visits import export_actions
from otdesk.storage.migrations import HEAD_REVISION

from .cli_helpers import run_otdesk

TODAY = date.today().isoformat()
pytestmark = pytest.mark.usefixtures("demo_account")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "demo"
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = cli.main(["demo", "--data-dir", str(folder)])
    return folder, code, output.getvalue()


@pytest.fixture
def demo_dir(demo_run):
    return demo_run[0]


def test_demo_says_what_it_made(demo_run):
    _, code, out = demo_run
    assert code == 0
    assert "20 invented patients" in out and "otdesk visits --date" in out
    assert f"(today is {date.today():%m/%d/%Y})" in out  # as otdesk shows dates to people


@pytest.fixture
def data_dir(demo_dir, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(demo_dir, copy)
    return copy


def main(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_visits_of_a_day_as_json(demo_dir):
    done = run_otdesk("visits", "--date", TODAY, "--json", "--data-dir", str(demo_dir))
    assert done.returncode == 0, done.stderr
    visits = json.loads(done.stdout)
    assert len(visits) >= 10
    for visit in visits:
        assert {"id", "patient", "provider", "status", "total"} <= set(visit)
    assert {v["status"] for v in visits} == {"draft", "finalized"}
    assert any(v["patient"] == "Ng-Ødegård, Zoë" for v in visits)


def test_visits_as_a_table_and_bad_dates(data_dir, capsys):
    code, out, _ = main(capsys, "visits", "--date", TODAY, "--data-dir", str(data_dir))
    shown = date.today().strftime("%m/%d/%Y")
    assert code == 0 and "Núñez, José" in out and f"visits on {shown}" in out
    code, out, _ = main(capsys, "visits", "--date", "1999-01-01", "--data-dir", str(data_dir))
    assert code == 0 and "No visits on 01/01/1999" in out
    code, _, err = main(capsys, "visits", "--date", "2026-02-30", "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT and "'2026-02-30' is not a date" in err


def test_commands_without_a_database_say_so(tmp_path, capsys):
    for command in (["visits"], ["check"], ["backup"]):
        code, _, err = main(capsys, *command, "--data-dir", str(tmp_path / "none"))
        assert code == cli.EXIT_BAD_INPUT
        assert "no clinic database" in err and "otdesk demo" in err
    assert not (tmp_path / "none" / "otdesk.db").exists()


def test_export_visits_as_csv(data_dir, tmp_path, capsys):
    target = tmp_path / "visits.csv"
    code, out, _ = main(
        capsys,
        "export",
        "visits",
        "--from",
        "2000-01-01",
        "--to",
        TODAY,
        "--csv",
        str(target),
        "--data-dir",
        str(data_dir),
    )
    assert code == 0 and "Wrote" in out
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"visit_id", "patient", "code", "units", "charge", "visit_total"} <= set(rows[0])
    assert any(row["code"] == "97140" for row in rows)
    assert len({row["visit_id"] for row in rows}) >= 60
    code, _, err = main(
        capsys,
        "export",
        "visits",
        "--from",
        TODAY,
        "--to",
        "2000-01-01",
        "--csv",
        str(target),
        "--data-dir",
        str(data_dir),
    )
    assert code == cli.EXIT_BAD_INPUT and "before" in err


def test_backup_check_and_restore(data_dir, capsys):
    code, out, _ = main(capsys, "check", "--data-dir", str(data_dir))
    assert code == 0 and "Integrity: ok" in out
    assert f"Schema version: {HEAD_REVISION} (current)" in out
    code, out, _ = main(capsys, "backup", "--data-dir", str(data_dir))
    assert code == 0
    backup = out.split("Backup written: ")[1].strip()
    code, out, _ = main(capsys, "restore", backup, "--data-dir", str(data_dir))
    assert code == 0 and "Restored" in out and "kept as" in out
    code, out, _ = main(capsys, "check", "--json", "--data-dir", str(data_dir))
    report = json.loads(out)
    assert report["ok"] and report["schema"] == HEAD_REVISION and report["backups"] >= 2


def test_a_damaged_database_is_reported_with_the_backup_to_restore(data_dir, capsys):
    assert main(capsys, "backup", "--data-dir", str(data_dir))[0] == 0
    database = data_dir / "otdesk.db"
    size = database.stat().st_size
    with database.open("r+b") as handle:
        for offset in range(4096 * 3, size, 4096 * 2):
            handle.seek(offset + 8)
            handle.write(b"\xff" * 900)
    code, out, err = main(capsys, "check", "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT
    assert "DAMAGED" in out and "is damaged" in err
    code, _, err = main(capsys, "visits", "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT and str(database) in err
    # the command named is the one that works for this clinic: it restores this folder
    suggested = suggested_command(err)
    assert suggested[:2] == ["otdesk", "restore"] and suggested[-2:] == [
        "--data-dir",
        str(data_dir),
    ]
    code, out, _ = main(capsys, *suggested[1:])
    assert code == 0 and "Restored" in out
    code, out, _ = main(capsys, "check", "--data-dir", str(data_dir))
    assert code == 0 and "Integrity: ok" in out


def suggested_command(message: str) -> list[str]:
    """The command a message suggests between backquotes, split as a shell would."""
    import shlex

    return shlex.split(message.split("`")[1])


def test_restore_refuses_a_file_that_is_not_a_backup(data_dir, tmp_path, capsys):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database")
    code, _, err = main(capsys, "restore", str(bogus), "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT and "not an otdesk backup" in err


def test_demo_refuses_real_data_without_force(tmp_path, capsys):
    from otdesk.services import Clinic

    folder = tmp_path / "clinic"
    with Clinic.open(folder) as clinic:
        clinic.patients.create(last_name="Real", first_name="Person", date_of_birth="1970-01-01")
    code, _, err = main(capsys, "demo", "--data-dir", str(folder))
    assert code == cli.EXIT_BAD_INPUT and "--force" in err
    with Clinic.open(folder) as clinic:
        assert clinic.patients.search("real person")


def test_other_modules_can_add_export_actions():
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    first = export_actions(subparsers)
    first.add_parser("visits")
    again = export_actions(subparsers)
    assert again is first
    again.add_parser("superbills")
    assert parser.parse_args(["export", "superbills"]).export_command == "superbills"
    assert "export" in cli.build_parser().format_help()


def _suggested_command(message):
    """The command between backticks in a message, as words (it must work as printed)."""
    import re
    import shlex

    found = re.search(r"`(otdesk [^`]+)`", message)
    assert found, message
    return shlex.split(found.group(1))


def test_the_suggested_restore_command_restores_this_clinic(data_dir, capsys):
    database = data_dir / "otdesk.db"
    code, out, _ = main(capsys, "backup", "--data-dir", str(data_dir))
    assert code == 0
    database.write_bytes(b"")  # emptied by something else: damaged, not new
    code, _, err = main(capsys, "visits", "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT and "is empty (0 bytes)" in err
    words = _suggested_command(err)
    assert words[:3] == ["otdesk", "restore", "--latest"]
    assert words[3:] == ["--data-dir", str(data_dir.resolve())]
    code, out, err = main(capsys, *words[1:])
    assert code == 0, err
    assert "Restored" in out and database.stat().st_size > 0
    code, out, _ = main(capsys, "visits", "--json", "--data-dir", str(data_dir))
    assert code == 0


def test_backup_verify_names_each_backup_that_would_not_restore(data_dir, capsys):
    code, out, _ = main(capsys, "backup", "--data-dir", str(data_dir))
    good = out.split("Backup written: ")[1].strip()
    code, out, _ = main(capsys, "backup", "--verify", "--data-dir", str(data_dir))
    assert code == 0 and "can be restored" in out and " ok" in out and "visits" in out
    with open(good, "r+b") as handle:
        handle.truncate(0)
    code, out, err = main(capsys, "backup", "--verify", "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT
    assert "NOT USABLE: it is empty" in out and "cannot be restored" in err


def test_restore_needs_a_file_or_latest(data_dir, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["restore", "--data-dir", str(data_dir)])
    assert caught.value.code == 2
    assert "--latest" in capsys.readouterr().err


def _log(data_dir):
    """The audit log, oldest first, read as the maintenance context (not a session: a
    sign-in would write the kept entries itself)."""
    from otdesk.storage import audit_chain, keys
    from otdesk.storage.database import open_database

    database = data_dir / "otdesk.db"
    key = keys.unlock_database(database, keys.PasswordUnlock("demo", "demo"))
    with open_database(database, read_only=True, key=key) as db, db.read() as connection:
        rows = [dict(row._mapping) for row in connection.execute(_all_entries())]
    return rows, audit_chain.verify(rows)


def _all_entries():
    from sqlalchemy import select

    from otdesk.storage import schema

    return select(schema.audit_log).order_by(schema.audit_log.c.id)


def test_read_only_commands_work_while_another_program_is_writing(data_dir, tmp_path):
    """visits, export visits and check beside a program holding the write lock (BEGIN
    IMMEDIATE on a real connection, as a window saving does): each exits 0 with its output
    at once, its sign-in, sign-out and export record kept beside the database; the next
    write (another command, once the lock is gone) puts them into the chain in order, with
    their own times, and the chain verifies."""
    from otdesk.storage import dialect, keys, signin_record

    database = data_dir / "otdesk.db"
    before, _ = _log(data_dir)
    key = keys.unlock_database(database, keys.PasswordUnlock("demo", "demo"))
    writer = dialect.connect(database, key=key)
    writer.isolation_level = None
    try:
        writer.execute("BEGIN IMMEDIATE")  # holds the write lock
        writer.execute("INSERT INTO meta (key, value) VALUES ('uncommitted', 'x')")
        done = run_otdesk("visits", "--date", TODAY, "--json", "--data-dir", str(data_dir))
        assert done.returncode == 0, done.stderr
        assert len(json.loads(done.stdout)) >= 10
        out = tmp_path / "year.csv"
        done = run_otdesk(
            "export", "visits", "--from", f"{date.today().year}-01-01",
            "--to", f"{date.today().year}-12-31", "--csv", str(out), "--data-dir", str(data_dir),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert out.read_text().count("\n") > 10
        assert "Wrote " in done.stdout
        done = run_otdesk("check", "--data-dir", str(data_dir))
        assert done.returncode == 0, done.stderr
        assert "Integrity: ok" in done.stdout and "Records: ok" in done.stdout
        # nothing could be written meanwhile: every entry is kept, none lost
        kept = signin_record.pending(database)
        assert [e.action for e in kept] == [
            "signin", "signout", "signin", "export.visits", "signout", "signin", "signout",
        ]  # fmt: skip
        assert _log(data_dir)[0] == before
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # the lock is gone: the next command's own write puts the kept entries first
    done = run_otdesk("check", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    after, chain = _log(data_dir)
    assert chain.ok, chain.problem
    added = after[len(before) :]
    assert [e["action"] for e in added] == [
        "signin", "signout", "signin", "export.visits", "signout", "signin", "signout",
        "signin", "signout",
    ]  # fmt: skip
    assert [e["at"] for e in added[:7]] == [e.at for e in kept]  # their own times
    assert all(e["user"] == "demo" for e in added)
    assert json.loads(added[3]["after_json"])["file"] == "year.csv"
    assert signin_record.pending(database) == []
    assert "Records: ok" in done.stdout


def test_a_clinic_whose_header_was_destroyed_restores_from_its_backup(data_dir, capsys):
    """An encrypted clinic's first bytes overwritten is damage, not a wrong password (the
    password opened its key file): the suggested command restores it, the damaged file set
    aside."""
    database = data_dir / "otdesk.db"
    assert main(capsys, "backup", "--data-dir", str(data_dir))[0] == 0
    with database.open("r+b") as handle:
        handle.write(b"\x00" * 100)
    damaged = database.read_bytes()
    code, _, err = main(capsys, "visits", "--data-dir", str(data_dir))
    assert code == cli.EXIT_BAD_INPUT and "is damaged" in err, err
    assert "wrong password" not in err
    code, out, err = main(capsys, *suggested_command(err)[1:])
    assert code == 0, err
    assert "Restored" in out
    kept = [p for p in data_dir.iterdir() if p.name.startswith("otdesk.db.unusable-")]
    # the damaged file, and the key file that went with it
    assert damaged in [p.read_bytes() for p in kept]
    assert all(p.read_bytes() == damaged or b'"otdesk-keys"' in p.read_bytes() for p in kept)
    assert main(capsys, "check", "--data-dir", str(data_dir))[0] == 0
