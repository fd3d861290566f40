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
