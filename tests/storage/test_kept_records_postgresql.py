"""The PostgreSQL form of the finalized-record triggers and the append-only audit log,
on a real server: plain SQL cannot rewrite a finalized visit, its lines, diagnoses or
payments, while voiding, amending and drafts still work."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text

from otdesk.storage import dialect, migrations
from tests.helpers.postgres import fresh_database

SEED = [
    "INSERT INTO patients (id, account_number, last_name, first_name, date_of_birth, name_key, "
    "created_at) VALUES (1, 'A-1', 'Demo', 'Kai', '1950-01-01', 'demo kai', now())",
    "INSERT INTO providers (id, last_name, first_name, role) VALUES (1, 'Demo', 'Avery', 'OT')",
    "INSERT INTO visit_chains (id, created_at) VALUES (1, now()), (2, now())",
    "INSERT INTO visits (id, chain_id, patient_id, provider_id, date_of_service, status, "
    "created_at, created_by, updated_at, updated_by) VALUES "
    "(1, 1, 1, 1, '2026-03-02', 'draft', now(), 'x', now(), 'x'), "
    "(2, 2, 1, 1, '2026-03-02', 'draft', now(), 'x', now(), 'x')",
    "INSERT INTO charge_lines (visit_id, position, code, minutes) VALUES (1, 0, '97110', 30), "
    "(2, 0, '97110', 30)",
    "INSERT INTO visit_diagnoses (visit_id, position, code) VALUES (1, 0, 'M62.81')",
    "INSERT INTO payments (id, chain_id, kind, amount_cents, method, received_on, created_at, "
    "created_by) VALUES (1, 1, 'copay', 2000, 'card', '2026-03-02', now(), 'x')",
    "UPDATE visits SET status = 'finalized' WHERE id = 1",
]

REWRITES = [
    "UPDATE visits SET total_charge_cents = 1 WHERE id = 1",
    "UPDATE visits SET status = 'draft' WHERE id = 1",
    "UPDATE visits SET void_reason = 'sneaky' WHERE id = 1",
    "DELETE FROM visits WHERE id = 1",
    "UPDATE charge_lines SET minutes = 99 WHERE visit_id = 1",
    "UPDATE charge_lines SET visit_id = 1 WHERE visit_id = 2",
    "DELETE FROM charge_lines WHERE visit_id = 1",
    "INSERT INTO charge_lines (visit_id, position, code) VALUES (1, 9, '97530')",
    "UPDATE visit_diagnoses SET code = 'R26.89' WHERE visit_id = 1",
    "DELETE FROM visit_diagnoses WHERE visit_id = 1",
    "UPDATE payments SET amount_cents = 1",
    "DELETE FROM payments",
    "UPDATE audit_log SET reason = 'x'",
    "DELETE FROM audit_log",
]


@pytest.fixture(scope="module")
def server_database():
    with fresh_database() as url:
        engine = create_engine(url)
        dialect.configure_engine(engine)
        with engine.connect() as connection:
            migrations.upgrade(connection)
            for statement in SEED:
                connection.execute(text(statement))
            connection.execute(
                text(
                    'INSERT INTO audit_log (id, at, "user", action, entity) '
                    "VALUES (1, now(), 'x', 'visit.finalize', 'visit')"
                )
            )
            connection.commit()
        yield engine
        engine.dispose()


@pytest.mark.parametrize("statement", REWRITES)
def test_plain_sql_cannot_rewrite_a_finalized_visit_on_the_server(server_database, statement):
    with server_database.connect() as connection:
        with pytest.raises(exc.DBAPIError, match="kept|append-only"):
            connection.execute(text(statement))
        connection.rollback()


def test_voiding_and_changing_a_draft_still_work_on_the_server(server_database):
    with server_database.connect() as connection:
        connection.execute(text("UPDATE charge_lines SET minutes = 40 WHERE visit_id = 2"))
        connection.execute(
            text("UPDATE visits SET status = 'void', void_reason = 'not seen' WHERE id = 1")
        )
        assert connection.execute(text("SELECT status FROM visits WHERE id = 1")).scalar() == "void"
        connection.rollback()
