"""The command line on a clinic server (issue 16), run as a user would, in real processes
against the real PostgreSQL test server: `--database URL` for the data commands, signing in
against the server's accounts, `server init`, `server move`, `demo`, `backup --out`,
`check`, the faults told in one sentence (exit 2), and two desks at once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from otdesk.services.demo import install_server_demo
from tests.cli_helpers import TESTER, run_otdesk
from tests.helpers import postgres

pytestmark = pytest.mark.server

DEMO = {"OTDESK_USER": "demo", "OTDESK_PASSWORD": "demo"}
NO_URL_ENV = {"OTDESK_DATABASE_URL": ""}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """A server database holding the demo clinic, copied for each test (seeding it takes
    seconds)."""
    url, name = postgres.template_database("otdesk_cli_demo")
    try:
        install_server_demo(url, desk_dir=tmp_path_factory.mktemp("seeding-desk"))
        yield name
    finally:
        postgres.drop_database(name)


@pytest.fixture
def demo_url(demo_template):
    with postgres.fresh_database("otdesk_cli", template=demo_template) as url:
        yield url


@pytest.fixture
def empty_url():
    with postgres.fresh_database("otdesk_cli_empty") as url:
        yield url


def _plain(url: str) -> str:
    """The address as a person writes it (postgresql://...)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _password(url: str) -> str:
    return make_url(url).password or ""


def _one_sentence(result, *words: str, secret: str = "") -> str:
    assert result.returncode == 2, result.stderr + result.stdout
    message = result.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, message
    if secret:
        assert secret not in message and secret not in result.stdout
    return message


def _visits(url: str, desk, day: str | None = None, **env: str):
    args = ["visits", "--database", _plain(url), "--data-dir", str(desk), "--json"]
    if day:
        args += ["--date", day]
    result = run_otdesk(*args, env={**NO_URL_ENV, **DEMO, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _audit_actions(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(text("SELECT action FROM audit_log ORDER BY id")).scalars()
            )
    finally:
        engine.dispose()


# --- server init -------------------------------------------------------------------------


def test_server_init_makes_the_clinic_and_the_desk_role_then_a_desk_signs_in(empty_url, tmp_path):
    role = f"otdesk_desk_{os.getpid()}"
    result = run_otdesk(
        "server",
        "init",
        "--database",
        _plain(empty_url),
        "--admin",
        "Avery",
        "--display-name",
        "Avery Admin",
        "--create-role",
        role,
        "--data-dir",
        str(tmp_path / "it-desk"),
        env={
            **NO_URL_ENV,
            "OTDESK_PASSWORD": TESTER["OTDESK_PASSWORD"],
            "OTDESK_ROLE_PASSWORD": "desk-pw-4821",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "avery is its administrator" in result.stdout
    assert f"The desks connect as {role}" in result.stdout
    assert _password(empty_url) not in result.stdout
    # a desk connects as the desk role (its password from PGPASSWORD, not the address)
    server = make_url(empty_url)
    desk_address = f"postgresql://{role}@{server.host}:{server.port}/{server.database}"
    env = {
        **NO_URL_ENV,
        "PGPASSWORD": "desk-pw-4821",
        "OTDESK_USER": "avery",
        "OTDESK_PASSWORD": TESTER["OTDESK_PASSWORD"],
    }
    listed = run_otdesk(
        "people", "list", "--database", desk_address, "--data-dir", str(tmp_path / "desk1"), env=env
    )
    assert listed.returncode == 0, listed.stderr
    assert "avery" in listed.stdout and "Avery Admin" in listed.stdout
    # a wrong password is refused, recorded in this desk's folder, then in the audit log
    wrong = run_otdesk(
        "people",
        "list",
        "--database",
        desk_address,
        "--data-dir",
        str(tmp_path / "desk1"),
        env={**env, "OTDESK_PASSWORD": "not the password"},
    )
    _one_sentence(wrong, "not right")
    assert list((tmp_path / "desk1" / "servers").glob("*/otdesk.signin"))
    again = run_otdesk(
        "people", "list", "--database", desk_address, "--data-dir", str(tmp_path / "desk1"), env=env
    )
    assert again.returncode == 0, again.stderr
    actions = _audit_actions(empty_url)
    assert "server.init" in actions
    assert actions[-5:] == ["signin", "signout", "signin.failed", "signin", "signout"]


def test_server_init_refuses_a_database_holding_a_clinic_or_another_programs_tables(
    demo_url, empty_url, tmp_path
):
    env = {**NO_URL_ENV, "OTDESK_PASSWORD": TESTER["OTDESK_PASSWORD"]}
    args = ("--admin", "avery", "--data-dir", str(tmp_path))
    held = run_otdesk("server", "init", "--database", _plain(demo_url), *args, env=env)
    _one_sentence(held, "holds an otdesk clinic already", secret=_password(demo_url))
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id integer primary key)"))
    engine.dispose()
    other = run_otdesk("server", "init", "--database", _plain(empty_url), *args, env=env)
    _one_sentence(other, "not an otdesk clinic's", "invoices")
    engine = create_engine(empty_url)
    with engine.connect() as connection:
        tables = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    engine.dispose()
    assert tables == {"invoices"}  # left as it was


# --- demo, data commands, check, backup --------------------------------------------------


def test_demo_fills_an_empty_server_database_once(empty_url, tmp_path):
    made = run_otdesk(
        "demo", "--database", _plain(empty_url), "--data-dir", str(tmp_path), env=NO_URL_ENV
    )
    assert made.returncode == 0, made.stderr
    assert "invented patients" in made.stdout and "demo" in made.stdout
    assert _password(empty_url) not in made.stdout
    today = _visits(empty_url, tmp_path / "desk")
    assert len(today) >= 10 and {v["status"] for v in today} >= {"draft", "finalized"}
    again = run_otdesk(
        "demo", "--database", _plain(empty_url), "--data-dir", str(tmp_path), env=NO_URL_ENV
    )
    _one_sentence(again, "holds an otdesk clinic already")


def test_the_database_address_comes_from_the_environment_too(demo_url, tmp_path):
    result = run_otdesk(
        "visits",
        "--json",
        "--data-dir",
        str(tmp_path),
        env={**DEMO, "OTDESK_DATABASE_URL": _plain(demo_url)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)  # the demo's visits of today, from the server
    # and no local clinic was made in the desk folder
    assert not (tmp_path / "otdesk.db").exists()


def test_check_on_a_server_verifies_schema_triggers_and_audit_chain(demo_url, tmp_path):
    args = ("check", "--database", _plain(demo_url), "--data-dir", str(tmp_path))
    good = run_otdesk(*args, "--json", env={**NO_URL_ENV, **DEMO})
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert (
        report["ok"] and report["records"]["ok"] and report["schema"] == report["schema_expected"]
    )
    assert report["records"]["audit_entries"] > 100
    assert _password(demo_url) not in good.stdout
    # the database's owner drops a protecting trigger: check says so (exit 2)
    engine = create_engine(demo_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    engine.dispose()
    altered = run_otdesk(*args, env={**NO_URL_ENV, **DEMO})
    assert "Records: ALTERED" in altered.stdout
    _one_sentence(altered, "changed outside otdesk", "audit_log_append_only")


def test_check_on_a_server_notices_a_rewritten_audit_entry(demo_url, tmp_path):
    engine = create_engine(demo_url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE audit_log SET action = 'nothing' WHERE id = 5"))
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    engine.dispose()
    result = run_otdesk(
        "check",
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(tmp_path),
        env={**NO_URL_ENV, **DEMO},
    )
    _one_sentence(result, "changed outside otdesk")


def test_backup_of_a_server_clinic_restores_onto_a_desk(demo_url, tmp_path):
    on_server = _visits(demo_url, tmp_path / "desk")
    made = run_otdesk(
        "backup",
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(tmp_path / "desk"),
        "--out",
        str(tmp_path / "out"),
        env={**NO_URL_ENV, **DEMO},
    )
    assert made.returncode == 0, made.stderr
    (backup,) = (tmp_path / "out").glob("otdesk-server-*.db")
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    assert "backup" in _audit_actions(demo_url)
    restored = run_otdesk(
        "restore", str(backup), "--data-dir", str(tmp_path / "single"), env={**NO_URL_ENV, **DEMO}
    )
    assert restored.returncode == 0, restored.stderr
    listed = run_otdesk(
        "visits", "--json", "--data-dir", str(tmp_path / "single"), env={**NO_URL_ENV, **DEMO}
    )
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == on_server


def test_backup_and_check_of_a_server_clinic_are_an_administrators(demo_url, tmp_path):
    add = run_otdesk(
        "people",
        "add",
        "frontdesk",
        "--display-name",
        "Front Desk",
        "--role",
        "front-desk",
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(tmp_path),
        env={**NO_URL_ENV, **DEMO, "OTDESK_NEW_PASSWORD": "front desk password 1"},
    )
    assert add.returncode == 0, add.stderr
    front = {"OTDESK_USER": "frontdesk", "OTDESK_PASSWORD": "front desk password 1"}
    backup = run_otdesk(
        "backup",
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(tmp_path),
        "--out",
        str(tmp_path / "out"),
        env={**NO_URL_ENV, **front},
    )
    _one_sentence(backup)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    listed = _visits(demo_url, tmp_path, **front)  # reading the day is a front desk's work
    assert listed


# --- server move -------------------------------------------------------------------------


def test_server_move_copies_the_local_clinic_and_keeps_the_file(empty_url, tmp_path):
    local = tmp_path / "desk"
    made = run_otdesk("demo", "--data-dir", str(local), env=NO_URL_ENV)
    assert made.returncode == 0, made.stderr
    before = run_otdesk("visits", "--json", "--data-dir", str(local), env={**NO_URL_ENV, **DEMO})
    assert before.returncode == 0, before.stderr
    moved = run_otdesk(
        "server",
        "move",
        "--database",
        _plain(empty_url),
        "--data-dir",
        str(local),
        env={**NO_URL_ENV, **DEMO},
    )
    assert moved.returncode == 0, moved.stderr
    assert "visits" in moved.stdout and "charge_lines" in moved.stdout
    assert "each checked (row count and checksum)" in moved.stdout
    assert not (local / "otdesk.db").exists()
    (aside,) = local.glob("moved-to-server-*")
    assert not (local / "otdesk.keys").exists() and (aside / "otdesk.keys").exists()
    # the set-aside clinic still opens, as it was, from its own folder
    kept = run_otdesk("visits", "--json", "--data-dir", str(aside), env={**NO_URL_ENV, **DEMO})
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout) == json.loads(before.stdout)
    assert _password(empty_url) not in moved.stdout
    after = _visits(empty_url, local)
    assert after == json.loads(before.stdout)
    actions = _audit_actions(empty_url)
    assert actions[-3:] == ["server.move", "signin", "signout"]
    # moving again: the server database holds the clinic now
    again = run_otdesk(
        "server",
        "move",
        "--database",
        _plain(empty_url),
        "--data-dir",
        str(local),
        env={**NO_URL_ENV, **DEMO},
    )
    _one_sentence(again)


def test_server_move_is_an_administrators(empty_url, tmp_path):
    from tests.cli_helpers import demo_clinic

    local = tmp_path / "desk"
    assert run_otdesk("demo", "--data-dir", str(local), env=NO_URL_ENV).returncode == 0
    with demo_clinic(local) as clinic:
        clinic.accounts.add("casey", "Casey Biller", "biller", "biller password 77")
    moved = run_otdesk(
        "server",
        "move",
        "--database",
        _plain(empty_url),
        "--data-dir",
        str(local),
        env={**NO_URL_ENV, "OTDESK_USER": "casey", "OTDESK_PASSWORD": "biller password 77"},
    )
    _one_sentence(moved, "not an administrator")
    assert (local / "otdesk.db").exists()


# --- faults: one sentence, exit 2 --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_faults_are_one_sentence_naming_the_server_never_its_password(
    demo_url, empty_url, tmp_path
):
    address = make_url(_plain(demo_url))
    secret = address.password or ""
    env = {**NO_URL_ENV, **DEMO}
    desk = ("--data-dir", str(tmp_path))

    def visits(url) -> str:
        return run_otdesk("visits", "--database", str(url), *desk, env=env)

    shown = lambda u: u.render_as_string(hide_password=False)  # noqa: E731
    lost = visits(shown(address.set(port=_free_port())))
    _one_sentence(lost, "did not answer", "127.0.0.1", secret=secret)
    wrong = visits(shown(address.set(password="not-the-password-xyz")))
    _one_sentence(wrong, "password is wrong", secret="not-the-password-xyz")
    missing = visits(shown(address.set(database="otdesk_no_such_db")))
    _one_sentence(missing, "has no database otdesk_no_such_db", secret=secret)
    empty = visits(_plain(empty_url))
    _one_sentence(empty, "is empty", "otdesk server init", secret=_password(empty_url))
    engine = create_engine(demo_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    newer = visits(_plain(demo_url))
    _one_sentence(newer, "newer version of otdesk", secret=secret)
    bad = visits("mysql://somewhere/clinic")
    _one_sentence(bad, "postgresql://")


# --- two desks at once -------------------------------------------------------------------

DESK_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from otdesk import single_instance
    from otdesk.services.server_signin import sign_in_server

    address, desk = sys.argv[1], Path(sys.argv[2])
    lock = single_instance.acquire(desk)  # as the window does, on this desk's folder
    clinic = sign_in_server(address, "demo", "demo", desk_dir=desk)
    print("open", flush=True)
    sys.stdin.readline()  # the other desk lists meanwhile
    patient = clinic.patients.search("Sample")[0].patient
    provider = clinic.providers.list()[0]
    visit = clinic.visits.create(patient.id, provider_id=provider.id)
    clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers=["GO"])
    print(f"added {visit.id}", flush=True)
    sys.stdin.readline()
    clinic.close()
    lock.release()
    """
)


def test_two_desks_work_on_one_server_clinic_at_once(demo_url, tmp_path):
    """Two real processes, two desk folders, one clinic: desk 1 holds its desk lock and its
    clinic open and adds a visit while desk 2 lists the day; desk 2 sees it at once. The
    one-window lock is per desk: desk 1's folder is refused to a second copy, desk 2's not."""
    address = _plain(demo_url)
    desk1, desk2 = tmp_path / "desk1", tmp_path / "desk2"
    with subprocess.Popen(
        [sys.executable, "-c", DESK_SCRIPT, address, str(desk1)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **NO_URL_ENV},
    ) as first:
        try:
            _two_desks(first, demo_url, desk1, desk2)
        finally:
            if first.poll() is None:
                first.kill()


def _two_desks(first, demo_url, desk1, desk2) -> None:
    today = date.today().isoformat()
    assert first.stdout.readline().strip() == "open", first.stderr.read()
    before = _visits(demo_url, desk2, today)
    # the lock on desk 1's folder is held; desk 2's folder is free
    held = run_otdesk("demo", "--data-dir", str(desk1), env=NO_URL_ENV)
    _one_sentence(held, "already open")
    first.stdin.write("\n")
    first.stdin.flush()
    added = first.stdout.readline().strip()
    assert added.startswith("added "), added + first.stderr.read()
    visit_id = int(added.split()[1])
    after = _visits(demo_url, desk2, today)
    assert visit_id not in {v["id"] for v in before}
    assert {v["id"] for v in after} == {v["id"] for v in before} | {visit_id}
    (new,) = [v for v in after if v["id"] == visit_id]
    assert new["status"] == "draft" and new["patient"].startswith("Sample")
    first.stdin.write("\n")
    first.stdin.flush()
    assert first.wait(timeout=60) == 0, first.stderr.read()


def test_grant_role_makes_the_desk_role_and_gives_back_its_rights(demo_url, tmp_path):
    role = f"otdesk_grant_{os.getpid()}"
    owner = {**NO_URL_ENV, **DEMO}
    args = (
        "server",
        "grant-role",
        role,
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(tmp_path),
    )
    made = run_otdesk(*args, env={**owner, "OTDESK_ROLE_PASSWORD": "grant-pw-5531"})
    assert made.returncode == 0, made.stderr
    assert f"Made the login role {role}" in made.stdout
    server = make_url(demo_url)
    desk = f"postgresql://{role}@{server.host}:{server.port}/{server.database}"
    desk_env = {**NO_URL_ENV, **DEMO, "PGPASSWORD": "grant-pw-5531"}

    def listed():
        return run_otdesk(
            "visits", "--database", desk, "--data-dir", str(tmp_path / "d"), env=desk_env
        )

    assert listed().returncode == 0
    engine = create_engine(demo_url)
    with engine.begin() as connection:  # as after an upgrade that made a table anew
        connection.execute(text(f"REVOKE ALL ON visits FROM {role}"))
    engine.dispose()
    _one_sentence(listed(), "lacks the rights")
    again = run_otdesk(*args, env=owner)  # the role exists: no password asked
    assert again.returncode == 0, again.stderr
    assert f"Gave the login role {role}" in again.stdout
    assert listed().returncode == 0
    assert "server.grant" in _audit_actions(demo_url)


def test_read_only_commands_beside_a_desk_holding_the_audit_log(demo_url, tmp_path):
    """On a server a reader needs no lock (MVCC); the audit log's tail is the one thing a
    read-only command's session waits for, and only briefly: with another desk's
    transaction holding it, visits, export visits and check exit 0, their entries kept in
    this desk's folder for this server, and the desk's next write puts them into the chain
    in order with their own times."""
    from otdesk.storage import audit_chain, dialect, signin_record

    desk = tmp_path / "desk"
    env = {**NO_URL_ENV, **DEMO}
    where = ["--database", _plain(demo_url), "--data-dir", str(desk)]
    before = len(_audit_actions(demo_url))
    engine = create_engine(demo_url)
    try:
        with engine.connect() as other:
            other.execute(text(f"SELECT pg_advisory_xact_lock({dialect.AUDIT_TAIL_LOCK})"))
            assert _visits(demo_url, desk)  # today's visits
            out = tmp_path / "visits.csv"
            year = date.today().year
            done = run_otdesk(
                "export", "visits", "--from", f"{year}-01-01", "--to", f"{year}-12-31",
                "--csv", str(out), *where, env=env,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert out.read_text().count("\n") > 10
            done = run_otdesk("check", *where, env=env)
            assert done.returncode == 0, done.stderr
            assert "Records: ok" in done.stdout
            (record,) = (desk / "servers").glob("*/otdesk.signin")
            kept = signin_record.pending(record.with_name("clinic-server"))
            assert [e.action for e in kept] == [
                "signin", "signout", "signin", "export.visits", "signout", "signin", "signout",
            ]  # fmt: skip
            assert len(_audit_actions(demo_url)) == before
            other.rollback()
        assert _visits(demo_url, desk)  # its sign-in is a write: the kept entries go first
        with engine.connect() as connection:
            rows = [
                dict(row._mapping)
                for row in connection.execute(text("SELECT * FROM audit_log ORDER BY id"))
            ]
    finally:
        engine.dispose()
    added = rows[before:]
    assert [r["action"] for r in added][:7] == [e.action for e in kept]
    assert [r["at"].replace(tzinfo=None) for r in added[:7]] == [
        e.at.astimezone(UTC).replace(tzinfo=None) for e in kept
    ]
    assert audit_chain.verify(rows).ok
    assert signin_record.pending(record.with_name("clinic-server")) == []


# --- shared rule tables ------------------------------------------------------------------


def test_an_mue_import_at_one_desk_is_shared_and_rules_share_sends_the_kx_file(demo_url, tmp_path):
    from pathlib import Path

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "ncci"
    desk = tmp_path / "desk one"
    imported = run_otdesk(
        "mue",
        "import",
        str(fixtures / "mue_practitioner.csv"),
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(desk),
        env={**NO_URL_ENV, **DEMO},
    )
    assert imported.returncode == 0, imported.stderr
    assert "Shared with every desk of the clinic server: mue.csv." in imported.stdout
    (desk / "kx_thresholds.csv").write_text(
        "year,kx_threshold,medical_review_threshold,source\n2027,2550.00,3000.00,clinic\n"
    )
    shared = run_otdesk(
        "rules",
        "share",
        "--database",
        _plain(demo_url),
        "--data-dir",
        str(desk),
        env={**NO_URL_ENV, **DEMO},
    )
    assert shared.returncode == 0, shared.stderr
    assert "kx_thresholds.csv" in shared.stdout
    assert "rules.share" in _audit_actions(demo_url)
    _visits(demo_url, tmp_path / "desk two")  # another desk signs in and reads its day
    engine = create_engine(demo_url)
    try:
        with engine.connect() as connection:
            names = {row[0] for row in connection.execute(text("SELECT name FROM reference_files"))}
    finally:
        engine.dispose()
    assert names == {"mue.csv", "kx_thresholds.csv"}


def test_rules_share_on_a_clinic_file_says_it_is_for_a_server(tmp_path):
    result = run_otdesk("rules", "share", "--data-dir", str(tmp_path), env=NO_URL_ENV)
    assert result.returncode == 2
    assert "`rules share` is for a clinic server" in result.stderr
    assert "Traceback" not in result.stderr
