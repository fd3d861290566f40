"""Accounts on the command line (issue 15 items 3, 9, 11, 12): signing in with --user /
OTDESK_USER and the password from OTDESK_PASSWORD or the prompt, wrong passwords, `otdesk
people`, `otdesk encrypt` for a clinic from before accounts, the encrypted demo with
demo / demo, and what the audit log records."""

from __future__ import annotations

import io
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from otdesk import cli
from otdesk.core.accounts import sign_in_delay
from otdesk.services import Clinic, FixedClock, signin
from otdesk.storage import signin_record
from tests.cli_helpers import demo_clinic, run_otdesk

TODAY = date.today().isoformat()


@pytest.fixture(scope="module")
def demo_made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("people") / "demo"
    done = run_otdesk("demo", "--data-dir", str(folder))
    return folder, done


@pytest.fixture
def demo_dir(demo_made, tmp_path):
    copy = tmp_path / "demo"
    shutil.copytree(demo_made[0], copy)
    return copy


def _env(**values):
    return {"OTDESK_USER": "", "OTDESK_PASSWORD": "", "OTDESK_NEW_PASSWORD": "", **values}


def _clean(monkeypatch):
    for name in ("OTDESK_USER", "OTDESK_PASSWORD", "OTDESK_NEW_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def _audit(folder):
    with demo_clinic(folder) as clinic:
        clinic.sign_in_as(None)  # read by the maintenance context
        return [(e.action, e.user, e.after) for e in clinic.audit.entries(limit=10_000)]


def test_the_demo_is_encrypted_and_opens_with_demo_demo(demo_made):
    folder, done = demo_made
    assert done.returncode == 0, done.stderr
    assert "sign in as demo with the password demo" in done.stdout
    assert "OTDESK_USER=demo OTDESK_PASSWORD=demo otdesk visits --date" in done.stdout
    assert "recovery key" in done.stdout.lower()
    listed = run_otdesk(
        "visits", "--date", TODAY, "--json", "--data-dir", str(folder),
        env=_env(OTDESK_USER="demo", OTDESK_PASSWORD="demo"),
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "Ng-Ødegård, Zoë" in listed.stdout


def test_neither_the_demo_nor_its_backup_shows_a_table_or_a_name_to_plain_sqlite(demo_dir):
    backup = run_otdesk(
        "backup", "--data-dir", str(demo_dir), env=_env(OTDESK_USER="demo", OTDESK_PASSWORD="demo")
    )
    assert backup.returncode == 0, backup.stderr
    files = [demo_dir / "otdesk.db", *sorted((demo_dir / "backups").iterdir())]
    assert len(files) >= 2
    for path in files:
        data = path.read_bytes()
        for secret in ("Ng-Ødegård".encode(), "Núñez".encode(), b"CREATE TABLE", b"visits"):
            assert secret not in data, (path.name, secret)
        plain = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            with pytest.raises(sqlite3.DatabaseError):
                plain.execute("SELECT name FROM sqlite_master").fetchall()
        finally:
            plain.close()


def test_data_commands_need_an_account_and_a_right_password(demo_dir):
    where = ("--data-dir", str(demo_dir))
    nobody = run_otdesk("visits", "--date", TODAY, *where, env=_env(), stdin="")
    assert nobody.returncode == 2 and "--user NAME" in nobody.stderr
    no_password = run_otdesk("visits", *where, env=_env(OTDESK_USER="demo"), stdin="")
    assert no_password.returncode == 2 and "OTDESK_PASSWORD" in no_password.stderr
    for user, password in (("demo", "not it"), ("nobody", "demo")):
        wrong = run_otdesk("visits", "--user", user, *where, env=_env(OTDESK_PASSWORD=password))
        assert wrong.returncode == 2
        assert wrong.stderr.strip() == "otdesk: The name or the password is not right."
        assert "Traceback" not in wrong.stderr
    record = signin_record.load(demo_dir / "otdesk.db")
    assert record.of("demo").in_a_row == 1 and record.of("nobody").in_a_row == 1
    for _ in range(4):
        run_otdesk("visits", "--user", "demo", *where, env=_env(OTDESK_PASSWORD="no"))
    last = signin_record.load(demo_dir / "otdesk.db").of("demo")
    assert last.in_a_row == 5
    # the pause holds, even for the right password (checked at a fixed moment just after)
    with pytest.raises(signin.SignInPausedError):
        signin.sign_in(
            demo_dir, "demo", "demo", clock=FixedClock(last.last_at + timedelta(seconds=1))
        )
    paced = run_otdesk("visits", "--user", "demo", *where, env=_env(OTDESK_PASSWORD="demo"))
    if paced.returncode == 2:
        assert "wait" in paced.stderr and "seconds" in paced.stderr
    else:  # a machine so slow that the command started after the pause had run out
        waited = datetime.now(UTC) - last.last_at
        assert waited >= timedelta(seconds=sign_in_delay(5)), paced.stderr
    # commands that need no clinic data need no account
    for command in (
        ["units", "97110=33"],
        ["codes", "show", "97110"],
        ["npi", "check", "1234567893"],
    ):
        done = run_otdesk(*command, *where, env=_env())
        assert done.returncode == 0, (command, done.stderr)


def test_the_password_is_asked_for_at_the_terminal(demo_dir, monkeypatch, capsys):
    import getpass

    from otdesk.commands import session

    _clean(monkeypatch)
    asked = []
    monkeypatch.setattr(session, "_interactive", lambda: True)
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or "demo")
    code = cli.main(["visits", "--date", TODAY, "--user", "demo", "--data-dir", str(demo_dir)])
    assert code == 0, capsys.readouterr().err
    assert asked == ["Password for demo: "]


def test_people_add_list_disable_enable_reset_and_roles(demo_dir, monkeypatch, capsys):
    _clean(monkeypatch)
    where = ["--data-dir", str(demo_dir)]
    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    monkeypatch.setenv("OTDESK_NEW_PASSWORD", "password")  # on the common list
    code = cli.main(
        ["people", "add", "pat", "--display-name", "Pat Lee", "--role", "front-desk", *where]
    )
    assert code == 2 and "most common passwords" in capsys.readouterr().err
    monkeypatch.setenv("OTDESK_NEW_PASSWORD", "front desk mornings")
    assert (
        cli.main(
            ["people", "add", "pat", "--display-name", "Pat Lee", "--role", "front-desk", *where]
        )
        == 0
    )
    assert "Added pat (Pat Lee, Front desk)." in capsys.readouterr().out
    assert cli.main(["people", "list", *where]) == 0
    listing = capsys.readouterr().out
    assert "pat" in listing and "Front desk" in listing and "demo" in listing

    # the front desk may list visits but not manage people, nor restore
    monkeypatch.setenv("OTDESK_USER", "pat")
    monkeypatch.setenv("OTDESK_PASSWORD", "front desk mornings")
    assert cli.main(["visits", "--date", TODAY, *where]) == 0
    capsys.readouterr()
    code = cli.main(["people", "add", "bo", "--display-name", "Bo", "--role", "biller", *where])
    err = capsys.readouterr().err
    assert (
        code == 2 and "you need the Administrator role; Pat Lee is signed in as Front desk" in err
    )
    assert cli.main(["backup", *where]) == 2
    assert "To make or check backups you need" in capsys.readouterr().err
    assert cli.main(["people", "list", *where]) == 2
    assert "To manage people's accounts you need" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "export",
                "visits",
                "--from",
                TODAY,
                "--to",
                TODAY,
                "--csv",
                str(demo_dir.parent / "v.csv"),
                *where,
            ]
        )
        == 2
    )
    assert "To export visits you need" in capsys.readouterr().err

    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    monkeypatch.setenv("OTDESK_NEW_PASSWORD", "a new morning sentence")
    assert cli.main(["people", "reset-password", "pat", *where]) == 0
    assert cli.main(["people", "disable", "pat", "--reason", "left the clinic", *where]) == 0
    assert cli.main(["people", "disable", "demo", *where]) == 2
    assert "last administrator" in capsys.readouterr().err
    monkeypatch.setenv("OTDESK_USER", "pat")
    monkeypatch.setenv("OTDESK_PASSWORD", "a new morning sentence")
    assert cli.main(["visits", *where]) == 2
    assert "The name or the password is not right." in capsys.readouterr().err
    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    assert cli.main(["people", "enable", "pat", *where]) == 0
    with signin.sign_in(demo_dir, "pat", "a new morning sentence", daily_backup=False) as clinic:
        assert clinic.person.display_name == "Pat Lee"

    actions = [(action, user) for action, user, _ in _audit(demo_dir)]
    for expected in (
        ("account.add", "demo"),
        ("account.password_reset", "demo"),
        ("account.disable", "demo"),
        ("account.enable", "demo"),
        ("signin", "pat"),
        ("signout", "pat"),
        ("signin.failed", "pat"),  # in the name that was tried, at its own time
    ):
        assert expected in actions, expected


def test_exports_backups_and_restores_are_in_the_audit_log_with_who(
    demo_dir, monkeypatch, capsys, tmp_path
):
    _clean(monkeypatch)
    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    where = ["--data-dir", str(demo_dir)]
    out = tmp_path / "visits.csv"
    assert (
        cli.main(["export", "visits", "--from", TODAY, "--to", TODAY, "--csv", str(out), *where])
        == 0
    )
    assert cli.main(["backup", *where]) == 0
    entries = _audit(demo_dir)
    exported = next(after for action, user, after in entries if action == "export.visits")
    assert exported["file"] == "visits.csv" and exported["visits"] > 0
    assert ("backup", "demo") in [(a, u) for a, u, _ in entries]
    capsys.readouterr()
    assert cli.main(["restore", "--latest", *where]) == 0
    assert ("restore", "demo") in [(a, u) for a, u, _ in _audit(demo_dir)]


def test_lock_unlock_and_a_switch_of_person_are_recorded(demo_dir):
    with demo_clinic(demo_dir) as clinic:
        clinic.accounts.add("pat", "Pat Lee", "front-desk", "front desk mornings")
        signin.record_lock(clinic)
        with pytest.raises(signin.SignInError):
            signin.check_password(clinic, "pat", "wrong")
        person = signin.check_password(clinic, "pat", "front desk mornings")
        signin.record_unlock(clinic, person)
        assert clinic.person.name == "pat"
        signin.sign_out(clinic)
        assert clinic.person is None
    entries = [(a, u, after) for a, u, after in _audit(demo_dir)]
    tail = [(a, u) for a, u, _ in entries][-8:]
    assert ("lock", "demo") in tail and ("unlock.failed", "demo") in tail
    assert ("unlock", "pat") in tail and ("signout", "pat") in tail
    unlock = next(after for a, _, after in entries if a == "unlock")
    assert unlock == {"name": "pat", "switched_from": "demo"}


def test_a_plain_clinic_is_refused_with_the_command_that_encrypts_it(tmp_path, monkeypatch, capsys):
    _clean(monkeypatch)
    folder = tmp_path / "old"
    with Clinic.open(folder, daily_backup=False) as clinic:
        clinic.practice.save(name="Harbor OT")
        patient = clinic.patients.create(
            last_name="Quillfeather", first_name="Tamsin", date_of_birth="1961-02-03", sex="F"
        )
    assert patient.id
    code = cli.main(["visits", "--data-dir", str(folder), "--user", "ada"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"otdesk encrypt --admin NAME --data-dir {folder}" in err
    assert "Traceback" not in err

    sheet = tmp_path / "sheet.pdf"
    monkeypatch.setenv("OTDESK_NEW_PASSWORD", "harbor front office")
    code = cli.main(
        ["encrypt", "--admin", "ada", "--display-name", "Ada Admin", "--sheet", str(sheet),
         "--data-dir", str(folder)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    recovery = out.split("Recovery key (shown this once): ")[1].split()[0]
    assert len(recovery.split("-")) == 8 and str(sheet) in out
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.read_bytes())).pages)
    assert recovery.split("-")[0] in text
    assert b"Quillfeather" not in (folder / "otdesk.db").read_bytes()
    monkeypatch.setenv("OTDESK_USER", "ada")
    monkeypatch.setenv("OTDESK_PASSWORD", "harbor front office")
    assert cli.main(["people", "list", "--data-dir", str(folder)]) == 0
    assert "Ada Admin" in capsys.readouterr().out
    # the sheet is refused inside the clinic's folder (it would open the files beside it)
    assert cli.main(["encrypt", "--admin", "ada", "--data-dir", str(folder)]) == 2
    assert "encrypted already" in capsys.readouterr().err


@pytest.mark.parametrize("lost", [("otdesk.db",), ("otdesk.db", "otdesk.keys")])
def test_a_lost_clinic_is_restored_with_a_password_of_the_backup_s_day(
    demo_dir, monkeypatch, capsys, lost
):
    _clean(monkeypatch)
    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    where = ["--data-dir", str(demo_dir)]
    assert cli.main(["backup", *where]) == 0
    backup = capsys.readouterr().out.split("Backup written: ")[1].strip()
    for name in lost:
        (demo_dir / name).unlink()
    monkeypatch.setenv("OTDESK_PASSWORD", "not it")
    assert cli.main(["restore", backup, *where]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (demo_dir / "otdesk.db").exists()
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    assert cli.main(["restore", backup, *where]) == 0, capsys.readouterr().err
    assert cli.main(["visits", "--date", TODAY, "--json", *where]) == 0
    assert "Ng-Ødegård, Zoë" in capsys.readouterr().out
    assert ("restore", "demo") in [(a, u) for a, u, _ in _audit(demo_dir)]


def test_importing_ncci_tables_into_a_clinic_needs_an_administrator(demo_dir):
    from pathlib import Path

    table = Path(__file__).parent / "fixtures" / "ncci" / "ptp_practitioner.txt"
    where = ("--data-dir", str(demo_dir))
    with demo_clinic(demo_dir) as clinic:
        clinic.accounts.add("bo", "Bo Ames", "biller", "billing all day long")
    refused = run_otdesk(
        "ncci", "import", str(table), *where,
        env=_env(OTDESK_USER="bo", OTDESK_PASSWORD="billing all day long"),
    )  # fmt: skip
    assert refused.returncode == 2
    assert "To import NCCI, MUE or fee schedule files you need the Administrator role" in (
        refused.stderr
    )
    done = run_otdesk(
        "ncci", "import", str(table), *where, env=_env(OTDESK_USER="demo", OTDESK_PASSWORD="demo")
    )
    assert done.returncode == 0, done.stderr
    assert ("import.ncci", "demo") in [(a, u) for a, u, _ in _audit(demo_dir)]


def test_the_demo_is_made_again_in_place_and_a_real_clinic_is_never_replaced(
    tmp_path, monkeypatch, capsys
):
    from tests.cli_helpers import encrypt_for_cli

    _clean(monkeypatch)
    folder = tmp_path / "demo"
    assert cli.main(["demo", "--data-dir", str(folder)]) == 0
    with demo_clinic(folder) as clinic:
        clinic.accounts.add("pat", "Pat Lee", "front-desk", "front desk mornings")
    assert cli.main(["demo", "--data-dir", str(folder)]) == 0  # a fresh demo, same folder
    assert "sign in as demo" in capsys.readouterr().out
    with demo_clinic(folder) as clinic:
        assert [a.name for a in clinic.accounts.list()] == ["demo"]
        assert clinic.visits.day(date.today())

    real = tmp_path / "real"
    with Clinic.open(real, daily_backup=False) as clinic:
        clinic.practice.save(name="Harbor OT")
    encrypt_for_cli(real)
    before = (real / "otdesk.db").read_bytes()
    for extra in ([], ["--force"]):
        assert cli.main(["demo", *extra, "--data-dir", str(real)]) == 2
        err = capsys.readouterr().err
        assert "is an encrypted clinic that is not the demo; nothing was changed" in err
    assert (real / "otdesk.db").read_bytes() == before


def test_a_damaged_clinic_is_restored_only_by_an_administrator_of_the_backup(
    demo_dir, monkeypatch, capsys
):
    _clean(monkeypatch)
    with demo_clinic(demo_dir) as clinic:
        clinic.accounts.add("pat", "Pat Lee", "front-desk", "front desk mornings")
    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    where = ["--data-dir", str(demo_dir)]
    assert cli.main(["backup", *where]) == 0
    capsys.readouterr()
    database = demo_dir / "otdesk.db"
    database.write_bytes(b"")  # emptied: damaged, the roles cannot be read from it
    monkeypatch.setenv("OTDESK_USER", "pat")
    monkeypatch.setenv("OTDESK_PASSWORD", "front desk mornings")
    assert cli.main(["restore", "--latest", *where]) == 2
    assert "To restore a backup you need the Administrator role; Pat Lee is signed in as" in (
        capsys.readouterr().err
    )
    assert database.read_bytes() == b""
    monkeypatch.setenv("OTDESK_USER", "demo")
    monkeypatch.setenv("OTDESK_PASSWORD", "demo")
    assert cli.main(["restore", "--latest", *where]) == 0
    assert ("restore", "demo") in [(a, u) for a, u, _ in _audit(demo_dir)]


def test_the_recovery_key_restores_a_lost_clinic_without_any_account(tmp_path, monkeypatch, capsys):
    _clean(monkeypatch)
    folder = tmp_path / "demo"
    assert cli.main(["demo", "--data-dir", str(folder)]) == 0
    recovery = capsys.readouterr().out.split("Its recovery key: ")[1].split()[0]
    with demo_clinic(folder) as clinic:
        backup = clinic.db.backup(now=clinic.ctx.now(), reason="manual")
    for name in ("otdesk.db", "otdesk.keys"):
        (folder / name).unlink()
    where = ["--data-dir", str(folder)]
    assert cli.main(["restore", str(backup), "--recovery-key", "ABCDE-" * 7 + "ABCDE", *where]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert cli.main(["restore", str(backup), "--recovery-key", recovery, *where]) == 0
    entries = _audit(folder)
    assert ("restore", "recovery key") in [(a, u) for a, u, _ in entries]
