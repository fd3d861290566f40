"""The Alembic migrations build exactly the schema in otdesk.storage.schema, from an empty
database, and Alembic is imported only when a migration is due."""

import subprocess
import sys
import textwrap

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from otdesk.storage import dialect, migrations
from otdesk.storage.schema import metadata


def _engine(path):
    engine = create_engine(dialect.sqlite_url(path))
    dialect.configure_engine(engine)
    return engine


def test_head_constant_matches_the_migration_files():
    assert migrations.script_head() == migrations.HEAD_REVISION
    assert migrations.KNOWN_REVISIONS[-1] == migrations.HEAD_REVISION


def test_migrating_an_empty_database_gives_the_declared_schema(tmp_path):
    engine = _engine(tmp_path / "empty.db")
    try:
        with engine.connect() as connection:
            migrations.upgrade(connection)
            connection.commit()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            marked, _tables = dialect.file_marker(connection)
            triggers = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
            trigger_names = set(triggers)
    finally:
        engine.dispose()
    assert differences == []
    assert revision == migrations.HEAD_REVISION
    assert marked
    assert trigger_names == dialect.protecting_triggers("sqlite")
    assert {"audit_log_no_update", "audit_log_no_delete", "visits_kept_update"} <= trigger_names


def test_downgrade_to_nothing_and_back(tmp_path):
    engine = _engine(tmp_path / "updown.db")
    try:
        with engine.connect() as connection:
            migrations.upgrade(connection)
            connection.commit()
        from alembic import command

        with engine.connect() as connection:
            command.downgrade(migrations.alembic_config(connection), "base")
            connection.commit()
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) == {"alembic_version"}
            migrations.upgrade(connection)
            connection.commit()
        with engine.connect() as connection:
            assert "visits" in inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_normal_open_does_not_import_alembic(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from otdesk.storage import open_database
        path = Path({str(tmp_path / "otdesk.db")!r})
        open_database(path).close()          # creates and migrates: imports Alembic
        first = "alembic" in sys.modules
        for name in [m for m in sys.modules if m == "alembic" or m.startswith("alembic.")]:
            del sys.modules[name]
        open_database(path).close()          # up to date: must not import it again
        print(first, "alembic" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "False"]


def test_a_0001_database_with_payers_takes_the_claims_migration(tmp_path):
    """0004 adds the claim tables and the payers' filing indicator to a clinic in use; the
    payers (which visits point to) are kept."""
    engine = _engine(tmp_path / "old.db")
    try:
        with engine.connect() as connection:
            migrations.upgrade(connection, "0001")
            connection.execute(
                text(
                    "INSERT INTO payers (name, payer_code, kind, unit_rule, active) "
                    "VALUES ('Medicare', 'MCR01', 'medicare', 'cms', 1)"
                )
            )
            connection.commit()
        with engine.connect() as connection:
            migrations.upgrade(connection)
            connection.commit()
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT name, payer_code, claim_filing_indicator FROM payers")
            ).one()
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert tuple(row) == ("Medicare", "MCR01", None)
    assert {"claim_settings", "claim_counters", "claim_files", "claims"} <= tables
    assert "printer_calibrations" in tables


def test_0003_gives_existing_visits_the_time_they_were_started(tmp_path):
    """An 0001 database with a visit: after the upgrade its appointment time is the local
    time its chain was created (what the day list showed before), its lines stay "set by
    hand" (no automatic markers) and the new tables and columns are there."""
    from datetime import UTC, datetime

    engine = _engine(tmp_path / "old.db")
    started = datetime(2026, 3, 2, 14, 5, 30)  # stored naive UTC
    try:
        with engine.connect() as connection:
            migrations.upgrade(connection, "0001")
            for statement in (
                "INSERT INTO patients (id, account_number, last_name, first_name, "
                "date_of_birth, name_key, created_at) VALUES "
                "(1, 'A-1', 'Doe', 'Jo', '1950-01-01', 'doe jo', '2026-01-01 00:00:00')",
                "INSERT INTO providers (id, last_name, first_name, role) "
                "VALUES (1, 'K', 'D', 'OT')",
                f"INSERT INTO visit_chains (id, created_at) VALUES (1, '{started}')",
                "INSERT INTO visits (id, chain_id, patient_id, provider_id, date_of_service, "
                "created_at, created_by, updated_at, updated_by) VALUES (1, 1, 1, 1, "
                f"'2026-03-02', '{started}', 'x', '{started}', 'x')",
                "INSERT INTO charge_lines (visit_id, position, code, modifiers) "
                "VALUES (1, 0, '97110', 'GO')",
            ):
                connection.execute(text(statement))
            connection.commit()
            migrations.upgrade(connection)
            connection.commit()
            visit = connection.execute(
                text("SELECT appointment_time, total_time_auto FROM visits")
            ).one()
            line = connection.execute(
                text("SELECT auto_modifiers, auto_pointers, modifiers FROM charge_lines")
            ).one()
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    local = started.replace(tzinfo=UTC).astimezone()
    assert visit.appointment_time.startswith(f"{local:%H:%M}")
    assert visit.total_time_auto == 0
    assert (line.auto_modifiers, line.auto_pointers, line.modifiers) == (None, 0, "GO")
    assert "clinic_codes" in tables


def test_the_migrations_give_the_declared_schema_and_triggers_on_postgresql():
    from tests.helpers.postgres import fresh_database

    with fresh_database() as url:
        engine = create_engine(url)
        dialect.configure_engine(engine)
        try:
            with engine.connect() as connection:
                migrations.upgrade(connection)
                connection.commit()
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                differences = compare_metadata(context, metadata)
                revision = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
                triggers = dialect.trigger_names(connection)
        finally:
            engine.dispose()
    assert differences == []
    assert revision == migrations.HEAD_REVISION
    assert triggers == dialect.protecting_triggers("postgresql")


_AT_0006 = (
    "INSERT INTO patients (id, account_number, last_name, first_name, "
    "date_of_birth, name_key, created_at) VALUES "
    "(1, 'A-1', 'Doe', 'Jo', '1950-01-01', 'doe jo', '2026-01-01 00:00:00')",
    "INSERT INTO providers (id, last_name, first_name, role) VALUES (1, 'K', 'D', 'OT')",
    "INSERT INTO visit_chains (id, created_at) VALUES (1, '2026-03-02 09:00:00')",
    "INSERT INTO visit_chains (id, created_at) VALUES (2, '2026-03-02 09:00:00')",
    *(
        "INSERT INTO visits (id, chain_id, patient_id, provider_id, date_of_service, "
        f"created_at, created_by, updated_at, updated_by) VALUES ({n}, {n}, 1, 1, "
        "'2026-03-02', '2026-03-02 09:00:00', 'x', '2026-03-02 09:00:00', 'x')"
        for n in (1, 2)
    ),
    *(
        "INSERT INTO charge_lines (id, visit_id, position, code, minutes, modifiers) "
        f"VALUES ({n}, {n}, 0, '97110', 23, 'GO')"
        for n in (1, 2)
    ),
    "UPDATE visits SET status = 'finalized' WHERE id = 1",
    "INSERT INTO line_timers (line_id, visit_id, started_at, accumulated_seconds) "
    "VALUES (2, 2, '2026-03-02 09:05:00', 60)",
)


def _upgrade_from_0006(connection):
    """A clinic at 0006 with a finalized visit and a draft whose timer runs, upgraded;
    returns what the test compares."""
    migrations.upgrade(connection, "0006")
    for statement in _AT_0006:
        connection.execute(text(statement))
    connection.commit()
    migrations.upgrade(connection)
    connection.commit()
    visits = connection.execute(
        text("SELECT id, status, edit_version FROM visits ORDER BY id")
    ).all()
    lines = connection.execute(text("SELECT id, minutes FROM charge_lines ORDER BY id")).all()
    timer = connection.execute(
        text("SELECT line_id, accumulated_seconds, started_by, desk FROM line_timers")
    ).one()
    triggers = dialect.trigger_names(connection)
    # the new column is compared like every other: a finalized visit's stays as it was
    refused = False
    try:
        with connection.begin_nested():
            connection.execute(text("UPDATE visits SET edit_version = 9 WHERE id = 1"))
    except Exception as error:  # noqa: BLE001 - either engine's refusal
        refused = "finalized visit is kept" in str(error)
    connection.execute(text("UPDATE visits SET edit_version = 2 WHERE id = 2"))
    connection.commit()
    return visits, lines, timer, triggers, refused


def _expected_after_0007(visits, lines, timer, refused):
    assert [tuple(v) for v in visits] == [(1, "finalized", 1), (2, "draft", 1)]
    assert [tuple(line) for line in lines] == [(1, 23), (2, 23)]
    assert tuple(timer) == (2, 60, "", "")
    assert refused


def test_0007_keeps_the_clinic_and_its_triggers_on_sqlite(tmp_path):
    engine = _engine(tmp_path / "at0006.db")
    try:
        with engine.connect() as connection:
            visits, lines, timer, triggers, refused = _upgrade_from_0006(connection)
    finally:
        engine.dispose()
    _expected_after_0007(visits, lines, timer, refused)
    assert triggers == dialect.protecting_triggers("sqlite")


def test_0007_keeps_the_clinic_and_its_triggers_on_postgresql():
    from tests.helpers.postgres import fresh_database

    with fresh_database() as url:
        engine = create_engine(url)
        dialect.configure_engine(engine)
        try:
            with engine.connect() as connection:
                visits, lines, timer, triggers, refused = _upgrade_from_0006(connection)
        finally:
            engine.dispose()
    _expected_after_0007(visits, lines, timer, refused)
    assert triggers == dialect.protecting_triggers("postgresql")
