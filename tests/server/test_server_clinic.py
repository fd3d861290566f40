"""A clinic on a real PostgreSQL server (issue 16): opening, refusing what is not ours,
the services on it, errors that name the server and never its password."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from otdesk.services import Clinic, FixedClock
from otdesk.services.audit import check_records
from otdesk.storage import dialect, server
from tests.helpers.clinics import START, built_icd_index, seed_superbill_demo
from tests.helpers.postgres import fresh_database


@pytest.fixture
def url():
    with fresh_database() as address:
        yield address


def server_clinic(url, tmp_path, *, create=False) -> Clinic:
    db = server.open_server(url, desk_dir=tmp_path / "desk", create=create)
    clinic = Clinic(db, clock=FixedClock(START), user="frontdesk", icd=built_icd_index())
    return clinic


def test_an_empty_database_is_refused_unless_set_up(url, tmp_path):
    with pytest.raises(server.EmptyServerError, match="otdesk server init"):
        server.open_server(url, desk_dir=tmp_path)
    db = server.open_server(url, desk_dir=tmp_path, create=True)
    try:
        assert db.report.created
        assert db.check().ok
    finally:
        db.close()
    again = server.open_server(url, desk_dir=tmp_path)
    assert not again.report.created
    again.close()


def test_another_programs_database_is_left_as_it_was(url, tmp_path):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id integer primary key)"))
    with pytest.raises(server.NotAClinicServerError, match="invoices"):
        server.open_server(url, desk_dir=tmp_path, create=True)
    with engine.connect() as connection:
        names = set(
            connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='public'"))
            .scalars()
            .all()
        )
    engine.dispose()
    assert names == {"invoices"}


def test_the_services_work_on_the_server(url, tmp_path):
    clinic = server_clinic(url, tmp_path, create=True)
    try:
        demo = seed_superbill_demo(clinic)
        detail = clinic.visits.get(demo.visit)
        assert detail.status == "finalized"
        assert [line.code for line in detail.lines]
        amendment = clinic.visits.amend(demo.visit, "minutes were wrong")
        clinic.visits.update_line(amendment.lines[1].id, minutes=12, assistant_minutes=12)
        clinic.visits.finalize(amendment.id, override_reason="checked with the therapist")
        assert clinic.visits.get(demo.visit).status == "amended"
        report = check_records(clinic.db)
        assert report.ok, report.problems()
    finally:
        clinic.close()


def test_a_wrong_password_names_the_server_not_the_password(url, tmp_path):
    wrong = server.server_url(url).set(password="not-the-password")
    with pytest.raises(server.ServerRefusedError) as refused:
        server.open_server(wrong, desk_dir=tmp_path)
    assert "password is wrong" in str(refused.value)
    assert "not-the-password" not in str(refused.value)


def test_no_such_database_and_no_server(url, tmp_path):
    missing = server.server_url(url).set(database="no_such_clinic")
    with pytest.raises(server.ServerRefusedError, match="no database no_such_clinic"):
        server.open_server(missing, desk_dir=tmp_path)
    nobody = server.server_url(url).set(host="127.0.0.1", port=1)
    with pytest.raises(server.ServerUnavailableError, match="did not answer"):
        server.open_server(nobody, desk_dir=tmp_path)


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("sqlite:///x.db", "must start with postgresql://"),
        ("postgresql:///clinic", "names no host"),
        ("postgresql://desk@host", "names no database"),
        ("not a url", "not a database address"),
    ],
)
def test_a_malformed_address_says_which_part(address, says):
    with pytest.raises(server.ServerError, match=says):
        server.server_url(address)


def _two_desks(url, tmp_path):
    first = server_clinic(url, tmp_path / "one", create=True)
    second = server_clinic(url, tmp_path / "two")
    return first, second


def _draft_with_a_line(clinic, demo):
    draft = clinic.visits.create(demo.patient, provider_id=demo.ot, date_of_service="2026-03-03")
    clinic.visits.set_diagnoses(draft.id, ["M62.81"])
    clinic.visits.add_line(draft.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")
    return draft.id


def test_two_desks_finalizing_one_visit_give_one_finalized_visit_and_one_refusal(url, tmp_path):
    import threading

    from otdesk.services.errors import VisitNotEditableError

    one, two = _two_desks(url, tmp_path)
    try:
        demo = seed_superbill_demo(one)
        visit = _draft_with_a_line(one, demo)
        outcomes: dict[str, object] = {}
        start = threading.Barrier(2)

        def finalize(name, clinic):
            start.wait()
            try:
                clinic.visits.finalize(visit, override_reason="checked")
                outcomes[name] = "finalized"
            except Exception as error:  # noqa: BLE001 - the test records what each desk got
                outcomes[name] = error

        threads = [
            threading.Thread(target=finalize, args=(name, clinic))
            for name, clinic in (("one", one), ("two", two))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        results = sorted(outcomes.values(), key=str)
        assert results.count("finalized") == 1, outcomes
        refused = next(r for r in results if r != "finalized")
        assert isinstance(refused, VisitNotEditableError), refused
        assert "finalized" in str(refused)
        assert one.visits.get(visit).status == "finalized"
        finalized = [e for e in one.audit.visit_history(visit) if e.action == "visit.finalize"]
        assert len(finalized) == 1
    finally:
        one.close()
        two.close()


def test_a_desk_waiting_on_a_finalize_sees_it_and_refuses_clearly(url, tmp_path):
    import threading

    from sqlalchemy import update

    from otdesk.services.errors import VisitNotEditableError
    from otdesk.storage import schema as s

    one, two = _two_desks(url, tmp_path)
    try:
        demo = seed_superbill_demo(one)
        visit = _draft_with_a_line(one, demo)
        got: list[object] = []
        with one.db.write() as connection:
            # desk one is in the middle of finalizing (holds the row)
            connection.execute(
                s.visits.select().where(s.visits.c.id == visit).with_for_update()
            ).first()
            waiting = threading.Thread(target=lambda: got.append(_attempt(two, visit)), daemon=True)
            waiting.start()
            waiting.join(1.0)
            assert waiting.is_alive()  # desk two waits for the row instead of racing
            connection.execute(
                update(s.visits).where(s.visits.c.id == visit).values(status="finalized")
            )
        waiting.join(30)
        assert len(got) == 1 and isinstance(got[0], VisitNotEditableError), got
    finally:
        one.close()
        two.close()


def _attempt(clinic, visit):
    try:
        clinic.visits.finalize(visit, override_reason="checked")
    except Exception as error:  # noqa: BLE001
        return error
    return "finalized"


def test_a_desk_hears_the_other_desks_changes_and_not_its_own(url, tmp_path):
    one, two = _two_desks(url, tmp_path)
    listener = two.db.listen()
    try:
        assert listener.wait(0.2) == []  # connects and listens; nothing yet
        demo = seed_superbill_demo(one)
        heard = listener.wait(2.0)
        assert heard, "desk two heard nothing within 2 seconds"
        assert all(change.desk == one.db.desk for change in heard)
        assert ("visit", demo.visit) in {(c.entity, c.entity_id) for c in heard}
        two.visits.create(demo.patient, provider_id=demo.ot, date_of_service="2026-03-04")
        assert listener.wait(0.5) == []  # its own change is not news to it
        # a rolled-back change is never announced
        with pytest.raises(RuntimeError), one.db.write() as connection:
            one.ctx.audit(connection, "visit.note", "visit", demo.visit)
            raise RuntimeError("cut short")
        assert listener.wait(0.5) == []
        with one.db.write():  # the next transaction on that connection changes nothing
            pass
        assert listener.wait(0.5) == []
        # the notice goes with the audit tail's lock; without an audit entry, on its own
        with one.db.write() as connection:
            dialect.note_change(connection, "visit", demo.visit)
        assert [(c.entity, c.entity_id) for c in listener.wait(2.0)] == [("visit", demo.visit)]
    finally:
        listener.close()
        one.close()
        two.close()
