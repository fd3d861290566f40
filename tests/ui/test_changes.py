"""The window's one change broadcast (otdesk.ui.changes): what a dialog or another desk
changed is reported once, and the day list, the open visit and the title refresh from the
report alone."""

from __future__ import annotations

from otdesk.core.catalog import default_catalog
from otdesk.storage.server import Change
from otdesk.ui.changes import Changes
from otdesk.ui.main_window import MainWindow


def test_changes_name_kinds_and_ids_as_the_server_notices_do():
    one = Changes.of(visit=[12])
    assert one.touches("visit") and not one.touches("patient")
    assert one.touches_one("visit", 12) and not one.touches_one("visit", 13)
    assert Changes.of("visit").touches_one("visit", 13)  # some visits: maybe this one
    notices = [Change("desk-2", "patient", 4), Change("desk-2", "visit", None)]
    fed = Changes.of_pairs((c.entity, c.entity_id) for c in notices)
    assert fed == Changes.of("visit", patient=[4])
    everything = Changes.of_pairs([("*", None)])
    assert everything.touches("fee_schedule") and everything.touches_one("visit", 1)


def test_a_renamed_practice_keeps_the_demo_note_in_the_title(qtbot, clinic, clock, settings):
    window = MainWindow(clinic, default_catalog(), clock, settings, title_note=" (demo clinic)")
    qtbot.addWidget(window)
    assert window.windowTitle() == "Harbor Hand & OT — otdesk (demo clinic)"
    clinic.practice.save(name="Bayside Hand Therapy")
    window.changes.report(Changes.of("practice"))
    assert window.windowTitle() == "Bayside Hand Therapy — otdesk (demo clinic)"


def test_the_day_and_the_open_visit_refresh_from_a_report(qtbot, clinic, clock, settings, seeded):
    window = MainWindow(clinic, default_catalog(), clock, settings)
    qtbot.addWidget(window)
    visit = clinic.visits.create(seeded["ana"].id, provider_id=seeded["ot"].id)
    assert window.day.visits_model.records() == []  # not reported yet
    window.changes.report(Changes.of(visit=[visit.id]))
    assert [v.id for v in window.day.visits_model.records()] == [visit.id]

    window.controller.open(visit.id)
    clinic.visits.add_line(visit.id, "97110")  # as another desk would
    assert window.controller.visit.lines == ()
    window.changes.report(Changes.of_pairs([("visit", visit.id)]))
    assert [line.code for line in window.controller.visit.lines] == ["97110"]
    assert window.day.visits_model.records()[0].total == window.controller.visit.total

    clinic.patients.update(seeded["ana"].id, last_name="Rivers")
    window.changes.report(Changes.of(patient=[seeded["ana"].id]))
    assert "Rivers" in window.day.visits_model.records()[0].patient_name
