"""The audit log as Clinic > Audit log reads it: filtered by person, days and patient, only
for administrators, exported as CSV (and the export recorded); the session events of the
window (lock, unlock, switch, sign out) and the wait a name has after failed sign-ins."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest

from otdesk.core.accounts import Person, Role
from otdesk.services import audit_log as a
from otdesk.services import session_events
from otdesk.services.accounts import SignInError
from otdesk.services.errors import PermissionDeniedError, ValidationError
from otdesk.services.signin import sign_in
from tests.helpers.clinics import ADMIN_PASSWORD as PASSWORD
from tests.helpers.clinics import encrypted_clinic


@pytest.fixture
def audited(tmp_path, clock):
    """An encrypted clinic where Ada added Pat on the first day, and Pat added two
    patients and a visit on the second; Ada is signed in. (clinic, the ids)"""
    made, _recovery = encrypted_clinic(tmp_path / "clinic", clock)
    made.practice.save(name="Harbor Hands OT")
    ot = made.providers.create(last_name="Demo", first_name="Avery", role="OT", npi="1234567893")
    clock.advance(days=1)
    made.sign_in_as(Person("pat", "Pat Lee", Role.FRONT_DESK))
    rivera = made.patients.create(last_name="Rivera", first_name="Ana", date_of_birth="1950-04-12")
    olsen = made.patients.create(last_name="Olsen", first_name="Bo", date_of_birth="1988-09-30")
    visit = made.visits.create(rivera.id, provider_id=ot.id)
    made.visits.add_line(visit.id, "97110", minutes=20)
    made.sign_in_as(Person("ada", "Ada Admin", Role.ADMINISTRATOR))
    yield made, {"rivera": rivera.id, "olsen": olsen.id, "visit": visit.id}
    made.close()


@pytest.fixture
def clinic(audited):
    return audited[0]


@pytest.fixture
def ids(audited):
    return audited[1]


def test_filters_by_person_days_and_patient(clinic, ids):
    everything = a.entries(clinic.ctx)
    assert everything[0].id > everything[-1].id  # newest first
    by_pat = a.entries(clinic.ctx, a.AuditFilter(person="pat"))
    assert by_pat and {e.user for e in by_pat} == {"pat"}
    assert "patient.create" in {e.action for e in by_pat}

    first_day = a.entries(clinic.ctx, a.AuditFilter(start=date(2026, 3, 2), end=date(2026, 3, 2)))
    assert "account.add" in {e.action for e in first_day}
    assert "patient.create" not in {e.action for e in first_day}
    second_day = a.entries(clinic.ctx, a.AuditFilter(start=date(2026, 3, 3)))
    assert "patient.create" in {e.action for e in second_day}
    assert "account.add" not in {e.action for e in second_day}

    rivera = a.entries(clinic.ctx, a.AuditFilter(patient_id=ids["rivera"]))
    kinds = {(e.entity, e.entity_id) for e in rivera}
    assert ("patient", ids["rivera"]) in kinds
    assert ("visit", ids["visit"]) in kinds
    assert ("patient", ids["olsen"]) not in kinds
    olsen = a.entries(clinic.ctx, a.AuditFilter(patient_id=ids["olsen"]))
    assert {e.entity_id for e in olsen} == {ids["olsen"]}
    assert set(a.people(clinic.ctx)) >= {"ada", "pat"}


def test_days_the_wrong_way_round_are_refused(clinic):
    with pytest.raises(ValidationError, match="before the first day"):
        a.entries(clinic.ctx, a.AuditFilter(start=date(2026, 3, 5), end=date(2026, 3, 1)))


def test_only_an_administrator_reads_the_log(clinic):
    clinic.sign_in_as(Person("pat", "Pat Lee", Role.FRONT_DESK))
    with pytest.raises(PermissionDeniedError, match="Administrator role"):
        a.entries(clinic.ctx)
    with pytest.raises(PermissionDeniedError):
        a.people(clinic.ctx)


def test_the_csv_has_every_matching_entry_and_the_export_is_recorded(clinic, tmp_path):
    path = tmp_path / "audit.csv"
    count = a.export_csv(clinic.ctx, a.AuditFilter(person="pat"), path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == count > 0
    assert list(rows[0]) == list(a.CSV_HEADER)
    assert {row["who"] for row in rows} == {"pat"}
    assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)  # oldest first
    assert path.stat().st_mode & 0o077 == 0
    newest = a.entries(clinic.ctx)[0]
    assert (newest.action, newest.user) == ("audit.export", "ada")
    assert f"rows={count}" in newest.details
    assert all(row["what"] == a.action_label(row["action"]) for row in rows)


def test_session_events_name_the_person(clinic):
    session_events.record(clinic, session_events.LOCK, idle=True)
    previous = clinic.person
    clinic.sign_in_as(Person("pat", "Pat Lee", Role.FRONT_DESK))
    session_events.record(clinic, session_events.SWITCH, previous=previous)
    session_events.record(clinic, session_events.SIGN_OUT)
    clinic.sign_in_as(previous)
    found = [(e.action, e.user, e.after_json) for e in a.entries(clinic.ctx)[:3]]
    assert found[2][:2] == ("session.lock", "ada") and '"idle": true' in found[2][2]
    assert found[1][:2] == ("session.switch", "pat") and '"from": "ada"' in found[1][2]
    assert found[0][:2] == ("session.signout", "pat")
    with pytest.raises(ValueError):
        session_events.record(clinic, "session.nap")


def test_details_show_moments_as_the_window_does():
    entry = a.LogEntry(
        1, datetime(2026, 3, 2, tzinfo=UTC), "ada", "signin.failed", "account", None, None,
        '{"at": "2026-03-02T15:04:05+00:00", "name": "ada"}', None,
    )  # fmt: skip
    shown = datetime(2026, 3, 2, 15, 4, 5, tzinfo=UTC).astimezone().strftime("%m/%d/%Y %H:%M:%S")
    assert entry.details == f"after: at={shown}, name=ada"


def test_the_wait_after_five_failures_is_known_at_once(clinic, clock):
    folder = clinic.db.path.parent
    database = clinic.db.path
    clinic.close()
    for _ in range(4):
        with pytest.raises(SignInError):
            sign_in(folder, "ada", "not the password", clock=clock)
    assert session_events.sign_in_wait(database, "ada", clock.now()) == 0
    with pytest.raises(SignInError):
        sign_in(folder, "ada", "not the password", clock=clock)
    assert session_events.sign_in_wait(database, " ADA ", clock.now()) == 2
    clock.advance(seconds=1)
    assert session_events.sign_in_wait(database, "ada", clock.now()) == 1
    clock.advance(seconds=1)
    assert session_events.sign_in_wait(database, "ada", clock.now()) == 0
    sign_in(folder, "ada", PASSWORD, clock=clock, daily_backup=False).close()


def _recorded_actions():
    """Every action code the package records: the literal first argument after the
    connection of each ServiceContext.audit call (or first of audit_alone, and of the
    helpers that pass theirs through), read from the source."""
    import ast
    import re
    from pathlib import Path

    import otdesk

    code = re.compile(r"[a-z_0-9]+(\.[a-z_0-9]+)*")
    bare = {"backup", "restore", "lock", "unlock", "signin", "signout"}
    found = set()
    for path in Path(otdesk.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name not in ("audit", "audit_alone", "_record", "_set_password", "_succeeded"):
                continue
            for arg in node.args[:4]:
                text = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(text, str) and code.fullmatch(text) and ("." in text or text in bare):
                    found.add(text)
    return found


def test_every_action_recorded_has_plain_words():
    from otdesk.services import session_events
    from otdesk.services.encounter_forms import FORM_PRINTED

    recorded = _recorded_actions()
    assert {"visit.finalize", "signin", "export.visits", "line.update"} <= recorded
    # the codes made by name: undo and redo, the superbill's images, the window's session
    recorded |= {"visit.undo", "visit.redo", "superbill.logo", "superbill.signature"}
    recorded |= set(session_events.ACTIONS) | {FORM_PRINTED, "signin.failed"}
    missing = sorted(recorded - set(a.ACTION_LABELS))
    assert missing == []
    assert all(label[0].isupper() and "." not in label for label in a.ACTION_LABELS.values())


def test_an_action_is_shown_in_words_and_its_code_kept():
    assert a.action_label("visit.finalize") == "Visit finalized"
    assert a.action_label("signin.failed") == "Sign-in failed (wrong name or password)"
    assert a.action_label("thing.do_this") == "Thing: do this"  # one an older otdesk wrote
    entry = a.LogEntry(
        1, datetime(2026, 3, 2, tzinfo=UTC), "ada", "visit.void", "visit", 7, None, None, None
    )
    assert entry.what == "Visit voided" and entry.action == "visit.void"
