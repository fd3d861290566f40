"""Two desks editing the same draft on a real PostgreSQL server (issue 16): each change
carries the version it was made on; the desk whose change was made on an older version is
refused, naming the person at the other desk, and succeeds once it has reloaded."""

from __future__ import annotations

import threading

import pytest

from otdesk.services import Clinic, FixedClock
from otdesk.services.errors import StaleVisitError
from otdesk.storage import server
from tests.helpers.clinics import START, built_icd_index, seed_superbill_demo
from tests.helpers.postgres import fresh_database


@pytest.fixture
def desks(tmp_path):
    with fresh_database() as url:
        opened = []
        for name, user, create in (("one", "frontdesk", True), ("two", "biller", False)):
            db = server.open_server(url, desk_dir=tmp_path / name, create=create)
            clinic = Clinic(db, clock=FixedClock(START), user=user, icd=built_icd_index())
            opened.append(clinic)
        try:
            yield opened
        finally:
            for clinic in opened:
                clinic.close()


def _draft(clinic, demo):
    visit = clinic.visits.create(demo.patient, provider_id=demo.ot, date_of_service="2026-03-03")
    visit = clinic.visits.set_diagnoses(visit.id, ["M62.81"])
    return clinic.visits.add_line(visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")


def test_the_second_desks_stale_change_is_refused_then_made_after_reloading(desks):
    one, two = desks
    assert one.db.desk != two.db.desk
    demo = seed_superbill_demo(one)
    shown_at_one = _draft(one, demo)
    shown_at_two = two.visits.get(shown_at_one.id)  # both desks show the same version
    assert shown_at_two.edit_version == shown_at_one.edit_version
    line = shown_at_one.lines[0].id

    one.visits.update_line(line, minutes=38, expected_version=shown_at_one.edit_version)
    with pytest.raises(StaleVisitError) as refused:
        two.visits.update_line(line, minutes=20, expected_version=shown_at_two.edit_version)
    assert str(refused.value) == (
        f"Visit {shown_at_one.id} was changed at another desk by frontdesk; reloaded."
    )
    kept = one.visits.get(shown_at_one.id)
    assert kept.lines[0].minutes == 38  # desk one's change kept

    reloaded = two.visits.get(shown_at_one.id)
    assert reloaded == kept
    after = two.visits.update_line(
        line, assistant_minutes=10, expected_version=reloaded.edit_version
    )
    assert (after.lines[0].minutes, after.lines[0].assistant_minutes) == (38, 10)
    assert one.visits.get(shown_at_one.id).updated_by == "biller"
    # and now desk one holds the older version
    with pytest.raises(StaleVisitError, match="by biller"):
        one.visits.update(kept.id, total_treatment_minutes=45, expected_version=kept.edit_version)


def test_two_desks_saving_on_one_version_at_once_give_one_save_and_one_refusal(desks):
    """Both desks send a change made on the same version at the same moment: the row lock
    puts them one after the other, and the second finds the version moved on."""
    one, two = desks
    demo = seed_superbill_demo(one)
    shown = _draft(one, demo)
    line = shown.lines[0].id
    results: dict[str, object] = {}
    ready = threading.Barrier(2)

    def save(name, clinic, minutes):
        ready.wait()
        try:
            results[name] = clinic.visits.update_line(
                line, minutes=minutes, expected_version=shown.edit_version
            )
        except StaleVisitError as error:
            results[name] = error

    threads = [
        threading.Thread(target=save, args=("one", one, 25)),
        threading.Thread(target=save, args=("two", two, 40)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [name for name, got in results.items() if isinstance(got, StaleVisitError)]
    assert len(refused) == 1, results
    saved = "two" if refused == ["one"] else "one"
    stored = one.visits.get(shown.id)
    assert stored.lines[0].minutes == {"one": 25, "two": 40}[saved]
    assert stored.edit_version == shown.edit_version + 1
    assert str(results[refused[0]]).endswith(
        f"by {'frontdesk' if saved == 'one' else 'biller'}; reloaded."
    )
