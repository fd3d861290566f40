"""Finalized records are kept by the database itself, not only by the services: plain SQL
on the file cannot change or delete a finalized visit, its lines, diagnoses or payments;
and the audit log is a hash chain that `otdesk check` walks, naming the first entry that
does not fit."""

from __future__ import annotations

import sqlite3

import pytest

from otdesk import cli
from otdesk.core.money import Money
from otdesk.services import maintenance
from tests.helpers.clinics import TODAY

# About the SQLite file (plain sqlite3 on it, maintenance.check); the same triggers on
# PostgreSQL are tested in tests/storage/test_kept_records_postgresql.py.
pytestmark = pytest.mark.usefixtures("sqlite_only")


def _finalized(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, date_of_service=TODAY)
    clinic.visits.add_diagnosis(visit.id, "R26.89")
    clinic.visits.add_line(visit.id, "97110", minutes=33, modifiers="GO", dx_pointers="A")
    visit = clinic.visits.add_line(visit.id, "97535", minutes=7, modifiers="GO", dx_pointers="A")
    visit = clinic.visits.record_payment(visit.id, "20.00", method="card")
    return clinic.visits.finalize(visit.id)


def _raw(clinic):
    connection = sqlite3.connect(clinic.db.path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


REWRITES = [
    "UPDATE visits SET total_charge_cents = 1 WHERE id = {visit}",
    "UPDATE visits SET date_of_service = '2026-01-01' WHERE id = {visit}",
    "UPDATE visits SET status = 'draft' WHERE id = {visit}",
    "UPDATE visits SET void_reason = 'sneaky' WHERE id = {visit}",
    "DELETE FROM visits WHERE id = {visit}",
    "UPDATE charge_lines SET minutes = 99 WHERE visit_id = {visit}",
    "UPDATE charge_lines SET visit_id = {visit} WHERE id = -1 OR visit_id = {visit}",
    "DELETE FROM charge_lines WHERE visit_id = {visit}",
    "INSERT INTO charge_lines (visit_id, position, code) VALUES ({visit}, 9, '97530')",
    "UPDATE visit_diagnoses SET code = 'M62.81' WHERE visit_id = {visit}",
    "DELETE FROM visit_diagnoses WHERE visit_id = {visit}",
    "INSERT INTO visit_diagnoses (visit_id, position, code) VALUES ({visit}, 5, 'M62.81')",
    "UPDATE payments SET amount_cents = 1",
    "DELETE FROM payments",
]


@pytest.mark.parametrize("statement", REWRITES)
def test_plain_sql_cannot_rewrite_a_finalized_visit(clinic, setup, statement):
    done = _finalized(clinic, setup)
    before = clinic.visits.get(done.id)
    raw = _raw(clinic)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="kept"):
            raw.execute(statement.format(visit=done.id))
    finally:
        raw.close()
    after = clinic.visits.get(done.id)
    assert (after.status, after.lines, after.diagnoses, after.paid) == (
        before.status,
        before.lines,
        before.diagnoses,
        before.paid,
    )


def test_void_amend_and_payment_removal_still_work_and_are_kept(clinic, setup):
    done = _finalized(clinic, setup)
    amendment = clinic.visits.amend(done.id, "wrong minutes")
    amendment = clinic.visits.update_line(amendment.lines[0].id, minutes=38)
    # a payment taken by mistake on a finalized visit: its removal is recorded, not deleted
    after = clinic.visits.remove_payment(amendment.payments[0].id, "charged twice")
    assert after.paid == Money(0)
    [summary] = clinic.visits.day(TODAY)
    assert summary.paid == Money(0)
    raw = _raw(clinic)
    try:
        assert raw.execute("SELECT count(*) FROM payments").fetchone()[0] == 1
        (reason,) = raw.execute("SELECT reason FROM payment_removals").fetchone()
        assert reason == "charged twice"
        with pytest.raises(sqlite3.DatabaseError, match="kept"):
            raw.execute("DELETE FROM payment_removals")
    finally:
        raw.close()
    final = clinic.visits.finalize(amendment.id)
    assert clinic.visits.get(done.id).status == "amended"
    voided = clinic.visits.void(final.id, "patient was not seen")
    assert voided.status == "void"
    raw = _raw(clinic)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="kept"):
            raw.execute(f"UPDATE visits SET status = 'finalized' WHERE id = {final.id}")
        with pytest.raises(sqlite3.DatabaseError, match="kept"):
            raw.execute(f"UPDATE visits SET void_reason = 'other' WHERE id = {final.id}")
    finally:
        raw.close()


def test_a_draft_with_a_removed_payment_can_still_be_thrown_away(clinic, setup):
    visit = clinic.visits.create(setup.patient, provider_id=setup.ot, date_of_service=TODAY)
    visit = clinic.visits.record_payment(visit.id, "15.00")
    visit = clinic.visits.remove_payment(visit.payments[0].id, "wrong patient")
    clinic.visits.delete_draft(visit.id)
    assert clinic.visits.day(TODAY) == []


def _check(capsys, clinic):
    """`otdesk check` on the clinic, encrypted first as `otdesk encrypt` does (the command
    line opens encrypted clinics only; what was done to the plain file is carried over)."""
    from tests.cli_helpers import TESTER, encrypt_for_cli

    folder = clinic.db.path.parent
    clinic.close()
    encrypt_for_cli(folder)
    with pytest.MonkeyPatch.context() as env:
        for name, value in TESTER.items():
            env.setenv(name, value)
        code = cli.main(["check", "--data-dir", str(folder)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_audit_chain_of_a_clinic_verifies(clinic, setup, capsys):
    _finalized(clinic, setup)
    report = maintenance.check(clinic.db.path.parent)
    assert report.ok and report.records.chain.entries > 10
    code, out, _ = _check(capsys, clinic)
    assert code == 0 and "Records: ok" in out


def _tamper(clinic, *statements):
    """What someone with the file and an SQLite tool could do: drop the protecting triggers
    and edit rows."""
    raw = _raw(clinic)
    try:
        for statement in statements:
            raw.execute(statement)
    finally:
        raw.close()


@pytest.mark.parametrize(
    ("statements", "names"),
    [
        (
            ["DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET user = 'x' WHERE id = 5"],
            "audit entry 5 was changed",
        ),
        (
            ["DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE id = 4"],
            "audit entry 5 does not follow entry 3",
        ),
        (
            [
                "DROP TRIGGER audit_log_no_update",
                "UPDATE audit_log SET id = id + 1000 WHERE id = 6",
                "INSERT INTO audit_log (id, at, user, action, entity, prev_hash, entry_hash) "
                "SELECT 6, at, user, 'visit.void', entity, prev_hash, entry_hash FROM "
                "audit_log WHERE id = 1006",
            ],
            "audit entry 6 was changed",
        ),
    ],
    ids=["edited", "removed", "forged"],
)
def test_a_tampered_audit_log_is_named_by_check(clinic, setup, capsys, statements, names):
    _finalized(clinic, setup)
    _tamper(clinic, *statements)
    code, out, err = _check(capsys, clinic)
    assert code == cli.EXIT_BAD_INPUT
    assert "Records: ALTERED" in out and names in out
    assert "changed outside otdesk" in err


def test_check_says_when_the_protecting_triggers_are_gone(clinic, setup, capsys):
    _finalized(clinic, setup)
    _tamper(clinic, "DROP TRIGGER visits_kept_update")
    code, out, _ = _check(capsys, clinic)
    assert code == cli.EXIT_BAD_INPUT and "visits_kept_update" in out
