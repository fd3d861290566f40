"""The clinic server goes away in the middle of work and comes back (issue 16, item 5): a
save while it is down is refused with a sentence that says so, nothing half-saved; once
it is back the same desk saves again without being restarted, and hears the other desks
again."""

from __future__ import annotations

import pytest

from otdesk.services import Clinic, FixedClock
from otdesk.storage import server
from tests.helpers import postgres
from tests.helpers.clinics import START, built_icd_index, seed_superbill_demo


@pytest.fixture
def url():
    with postgres.fresh_database() as address:
        yield address


@pytest.mark.slow
def test_a_save_while_the_server_is_down_is_refused_and_works_once_it_is_back(url, tmp_path):
    postgres._server_dir()  # skips (or fails under CI) before anything is made
    db = server.open_server(url, desk_dir=tmp_path / "desk", create=True)
    clinic = Clinic(db, clock=FixedClock(START), user="frontdesk", icd=built_icd_index())
    listener = db.listen()
    try:
        demo = seed_superbill_demo(clinic)
        listener.wait(0.1)
        draft = clinic.visits.create(
            demo.patient, provider_id=demo.ot, date_of_service="2026-03-03"
        )
        postgres.stop_server()
        try:
            with pytest.raises(server.ServerUnavailableError, match="lost or it did not answer"):
                clinic.visits.add_line(draft.id, "97110", minutes=30, modifiers="GO")
            with pytest.raises(server.ServerUnavailableError, match="lost"):
                listener.wait(0.2)
        finally:
            postgres.start_server()
        # the same desk goes on: the pool replaces the dropped connections
        assert clinic.visits.get(draft.id).lines == ()
        detail = clinic.visits.add_line(draft.id, "97110", minutes=30, modifiers="GO")
        assert [line.code for line in detail.lines] == ["97110"]
        other = Clinic(server.open_server(url, desk_dir=tmp_path / "two"), clock=FixedClock(START))
        try:
            other.visits.update_line(detail.lines[0].id, minutes=31)
        finally:
            other.close()
        # the listener reconnects, says it may have missed notices, then hears the other desk
        assert [c.entity for c in listener.wait(0.5)] == ["*"]
        other = Clinic(server.open_server(url, desk_dir=tmp_path / "two"), clock=FixedClock(START))
        try:
            other.visits.update_line(detail.lines[0].id, minutes=32)
        finally:
            other.close()
        heard = listener.wait(2.0)
        assert ("visit", draft.id) in {(c.entity, c.entity_id) for c in heard}
    finally:
        listener.close()
        clinic.close()
