"""Issuing superbills on a real clinic database: the completeness check and "issue anyway"
with its audit record, the SHA-256 record of every issued document, refusals, batches by
date and range (one file or one per visit, drafts when asked, cancel), and settings."""

from __future__ import annotations

import pytest

from otdesk.export import CancelledError, ExportError, sha256
from otdesk.services import ServiceError, ValidationError
from otdesk.services.superbills import (
    IncompleteSuperbillError,
    SuperbillRefusedError,
    SuperbillService,
    superbill_file_name,
)
from tests.export.helpers import flat, page_texts, pdf_pages, pdf_text, refinalized, tiny_png
from tests.helpers.clinics import built_icd_index, finalized_visit, open_clinic


@pytest.fixture
def clinic(superbill_clinic):
    return superbill_clinic


@pytest.fixture
def service(clinic):
    return SuperbillService(clinic.ctx)


def test_issuing_writes_the_file_and_records_its_hash(clinic, demo, service, tmp_path):
    out = tmp_path / "sb.pdf"
    issued, document = service.issue(demo.visit, out=out)
    assert out.read_bytes() == document
    assert issued.sha256 == sha256(out.read_bytes())
    assert (issued.visit_id, issued.version, issued.file_name) == (demo.visit, 1, "sb.pdf")
    assert issued.issued_by == "frontdesk"
    assert issued.issued_at == clinic.ctx.now()
    assert service.history(demo.visit) == [issued]
    entry = [e for e in clinic.audit.visit_history(demo.visit) if e.action == "superbill.issue"]
    assert len(entry) == 1
    assert entry[0].after["sha256"] == issued.sha256
    assert entry[0].after["version"] == 1
    assert entry[0].reason is None


def test_the_completeness_check_lists_what_is_missing(clinic, demo, service):
    assert service.check(demo.visit).ok
    clinic.practice.save(tin="", group_npi="")
    clinic.providers.update(demo.ota, npi="")
    policy = clinic.patients.policies(demo.other_patient)[0]
    clinic.patients.update_policy(policy.id, member_id="X")
    draft = clinic.visits.create(demo.other_patient, provider_id=demo.ota)
    clinic.visits.add_line(draft.id, "97110", minutes=20, modifiers=["GO", "CO"])
    problems = " | ".join(service.check(draft.id).problems)
    assert "the rendering provider (Blake Demo, COTA/L) has no NPI" in problems
    assert "the practice has no group NPI" in problems
    assert "the practice has no TIN" in problems
    assert "no diagnosis" in problems
    clinic.visits.set_diagnoses(draft.id, ["M62.81"])
    problems = " | ".join(service.check(draft.id).problems)
    assert "no diagnosis pointer on line 1" in problems
    # a visit billed to a payer without the patient's policy has no member ID
    clinic.visits.update(draft.id, policy_id=None)
    assert "no member ID for Evergreen Health" in " | ".join(service.check(draft.id).problems)


def test_open_error_findings_are_listed(clinic, demo, service):
    draft = clinic.visits.create(demo.patient, provider_id=demo.ot)
    clinic.visits.set_diagnoses(draft.id, ["M62.81"])
    clinic.visits.add_line(draft.id, "97110", minutes=20, dx_pointers=["A"])  # no GO
    found = service.check(draft.id)
    assert any(p.startswith("still to fix:") and "GO" in p for p in found.problems)


def test_issue_anyway_needs_a_reason_and_records_it(clinic, demo, service, tmp_path):
    clinic.practice.save(tin="")
    visit = refinalized(clinic, demo.visit)
    out = tmp_path / "sb.pdf"
    with pytest.raises(IncompleteSuperbillError, match="the practice has no TIN"):
        service.issue(visit, out=out)
    assert not out.exists()
    assert service.history(visit) == []
    issued, _ = service.issue(visit, out=out, reason="Patient needs it today; TIN to follow")
    entry = [e for e in clinic.audit.visit_history(visit) if e.action == "superbill.issue"]
    assert entry[-1].reason == "Patient needs it today; TIN to follow"
    assert entry[-1].after["issued_anyway"] == ["the practice has no TIN"]
    assert entry[-1].after["sha256"] == issued.sha256


def test_void_and_replaced_versions_are_never_issued(clinic, demo, service, tmp_path):
    amendment = clinic.visits.amend(demo.visit, "minutes were wrong")
    clinic.visits.update_line(amendment.lines[1].id, minutes=12, assistant_minutes=12)
    clinic.visits.finalize(amendment.id)
    with pytest.raises(SuperbillRefusedError, match="replaced by a newer version"):
        service.issue(demo.visit, out=tmp_path / "old.pdf", reason="any")
    assert "REPLACED" in pdf_text(service.render(demo.visit))
    text = flat(pdf_text(service.issue(amendment.id, out=tmp_path / "new.pdf")[1]))
    assert "AMENDED (replaces version 1)" in text
    assert "Reason: minutes were wrong" in text
    assert f"Visit {amendment.id} · version 2" in text
    clinic.visits.void(amendment.id, "entered for the wrong patient")
    with pytest.raises(SuperbillRefusedError, match="void"):
        service.issue(amendment.id, out=tmp_path / "void.pdf", reason="any")
    assert not (tmp_path / "void.pdf").exists() and not (tmp_path / "old.pdf").exists()


def test_a_draft_is_watermarked_and_a_visit_without_services_is_refused(clinic, demo, service):
    draft = clinic.visits.create(demo.patient, provider_id=demo.ot, total_treatment_minutes=20)
    with pytest.raises(SuperbillRefusedError, match="no services"):
        service.issue(draft.id, reason="any")
    clinic.visits.set_diagnoses(draft.id, ["M62.81"])
    clinic.visits.add_line(draft.id, "97110", minutes=20, modifiers=["GO"], dx_pointers=["A"])
    issued, document = service.issue(draft.id, how="print")
    assert "DRAFT" in pdf_text(document)
    assert issued.file_name == ""


def test_no_practice_gives_a_clear_message(tmp_path):
    clinic = open_clinic(tmp_path / "empty", icd=built_icd_index())
    try:
        ot = clinic.providers.create(last_name="Demo", first_name="Avery", role="OT")
        patient = clinic.patients.create(
            last_name="Núñez", first_name="José", date_of_birth="1948-07-14"
        )
        visit = clinic.visits.create(patient.id, provider_id=ot.id)
        with pytest.raises(SuperbillRefusedError, match="practice is not set up"):
            SuperbillService(clinic.ctx).render(visit.id)
    finally:
        clinic.close()


def test_an_unwritable_path_records_nothing(demo, service, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        service.issue(demo.visit, out=tmp_path / "missing" / "sb.pdf")
    assert service.history(demo.visit) == []


@pytest.fixture
def day(clinic, demo):
    """03/02: the demo visit and two more finalized, a draft and a void one; 03/03: one."""
    second = finalized_visit(clinic, demo.other_patient, demo.ot)
    third = finalized_visit(clinic, demo.patient, demo.ot, day="2026-03-03")
    draft = clinic.visits.create(demo.other_patient, provider_id=demo.ot)
    clinic.visits.add_line(draft.id, "97110", minutes=20)
    void = finalized_visit(clinic, demo.other_patient, demo.ota)
    clinic.visits.void(void, "duplicate")
    return {"finalized": [demo.visit, second], "next_day": third, "draft": draft.id, "void": void}


def test_a_day_batch_into_one_pdf(clinic, service, day, tmp_path):
    plan = service.plan_batch("2026-03-02")
    assert sorted(p.data.visit_id for p in plan.ready) == sorted(day["finalized"])
    assert plan.incomplete == () and plan.refused == ()
    seen = []
    out = tmp_path / "day.pdf"
    result = service.issue_batch(plan, out=out, progress=lambda d, t: seen.append((d, t)))
    assert result.files == (out,)
    pages = page_texts(out.read_bytes())
    assert len(pages) == 2
    assert all("Page 1 of 1" in page for page in pages)
    assert "Ng-Ødegård, Zoë" in pages[0] and "Núñez, José" in pages[1]
    digest = sha256(out.read_bytes())
    assert {(i.visit_id, i.sha256, i.file_name) for i in result.issued} == {
        (visit, digest, "day.pdf") for visit in day["finalized"]
    }
    assert seen[-1] == (2, 2)


def test_drafts_only_when_asked_and_watermarked(clinic, service, day, tmp_path):
    plan = service.plan_batch("2026-03-02", include_drafts=True)
    assert day["draft"] in [p.data.visit_id for p in plan.incomplete]  # no diagnosis
    result = service.issue_batch(plan, out=tmp_path / "a.pdf")
    assert [s.visit_id for s in result.skipped] == [day["draft"]]
    assert "no diagnosis" in result.skipped[0].reasons
    result = service.issue_batch(plan, out=tmp_path / "b.pdf", reason="drafts for the therapist")
    texts = page_texts((tmp_path / "b.pdf").read_bytes())
    assert len(texts) == 3
    assert sum("DRAFT" in text for text in texts) == 1
    record = [i for i in result.issued if i.visit_id == day["draft"]]
    assert len(record) == 1


def test_a_range_batch_one_file_per_visit_named_without_patient_names(service, day, tmp_path):
    plan = service.plan_batch("2026-03-02", "2026-03-03")
    folder = tmp_path / "out"
    folder.mkdir()
    result = service.issue_batch(plan, folder=folder)
    names = sorted(path.name for path in folder.iterdir())
    assert len(names) == 3
    assert names == sorted(superbill_file_name(p.data) for p in plan.ready)
    for name in names:
        assert name.startswith("superbill_2026-03-0") and name.endswith("_v1.pdf")
        assert not any(part in name for part in ("Ng", "Ødegård", "Núñez", "José"))
    assert any("A-1001_visit" in name for name in names)
    for issued in result.issued:
        assert issued.sha256 == sha256((folder / issued.file_name).read_bytes())
        assert len(pdf_pages((folder / issued.file_name).read_bytes())) == 1


def test_a_cancelled_batch_writes_and_records_nothing(service, day, tmp_path):
    plan = service.plan_batch("2026-03-02", "2026-03-03")
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2

    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(CancelledError):
        service.issue_batch(plan, folder=folder, cancelled=cancelled)
    calls.clear()
    with pytest.raises(CancelledError):
        service.issue_batch(plan, out=tmp_path / "all.pdf", cancelled=cancelled)
    assert list(folder.iterdir()) == []
    assert not (tmp_path / "all.pdf").exists()
    for prepared in plan.ready:
        assert service.history(prepared.data.visit_id) == []


def test_an_empty_batch_says_so(service, day):
    plan = service.plan_batch("2026-04-01")
    with pytest.raises(ServiceError, match="No superbill to issue for 04/01/2026"):
        service.issue_batch(plan, out="x.pdf")


def test_settings_round_trip_and_reach_the_document(clinic, demo, service):
    assert service.settings().paper == "letter"
    service.save_settings(
        paper="A4", out_of_network=True, out_of_network_text="Paid in full; reimburse me."
    )
    settings = service.settings()
    assert (settings.paper, settings.out_of_network) == ("a4", True)
    document = service.render(demo.visit)
    assert round(float(pdf_pages(document)[0].mediabox.width)) == 595
    assert "Paid in full; reimburse me." in pdf_text(document)
    with pytest.raises(ValidationError, match="Paper"):
        service.save_settings(paper="legal")
    with pytest.raises(ValidationError, match="Favourite codes"):
        service.save_settings(favourite_codes=["97110", "nonsense!"])
    assert any(e.action == "superbill.settings" for e in clinic.audit.entries("practice"))


def test_images_must_be_png_or_jpeg(demo, service, tmp_path):
    bad = tmp_path / "logo.gif"
    bad.write_bytes(b"GIF89a....")
    with pytest.raises(ValidationError, match="not a PNG or JPEG"):
        service.set_logo(bad)
    with pytest.raises(ValidationError, match="cannot be read"):
        service.set_logo(tmp_path / "missing.png")
    service.set_logo(tiny_png())
    assert service.settings().has_logo
    assert service.logo() == tiny_png()


def test_save_all_changes_settings_logo_and_signatures_in_one_go(clinic, demo, service, tmp_path):
    service.set_signature(demo.ot, tiny_png())
    logo = tmp_path / "logo.png"
    logo.write_bytes(tiny_png(120, 40))
    saved = service.save_all(
        {"paper": "a4", "out_of_network": True, "out_of_network_text": "Paid in full."},
        logo=logo,
        signatures={demo.ota: tiny_png(160, 30), demo.ot: None},
    )
    assert (saved.paper, saved.out_of_network, saved.out_of_network_text) == (
        "a4",
        True,
        "Paid in full.",
    )
    assert service.logo() == tiny_png(120, 40)
    assert service.signature(demo.ota) == tiny_png(160, 30)
    assert service.signature(demo.ot) is None
    # KEEP (the default) leaves the logo alone; no settings given leaves them alone
    service.save_all(signatures={demo.ot: tiny_png()})
    assert service.logo() == tiny_png(120, 40) and service.settings().paper == "a4"
    service.save_all(logo=None)
    assert service.logo() is None and not service.settings().has_logo


def test_save_all_writes_nothing_when_any_part_is_refused(clinic, demo, service, tmp_path):
    bad = tmp_path / "logo.gif"
    bad.write_bytes(b"GIF89a....")
    entries = len(clinic.audit.entries())
    with pytest.raises(ValidationError, match="not a PNG or JPEG"):
        service.save_all({"paper": "a4"}, logo=bad)
    with pytest.raises(ValidationError, match="Paper"):
        service.save_all({"paper": "legal"}, signatures={demo.ot: tiny_png()})
    with pytest.raises(ValidationError, match="too large"):
        service.save_all({"paper": "a4"}, signatures={demo.ot: b"\x89PNG\r\n\x1a\n" * 300_000})
    assert service.settings().paper == "letter"
    assert service.logo() is None and service.signature(demo.ot) is None
    assert len(clinic.audit.entries()) == entries


def test_check_image_says_why_and_stores_nothing(service, tmp_path):
    bad = tmp_path / "scan.bmp"
    bad.write_bytes(b"BM....")
    with pytest.raises(ValidationError, match="scan.bmp is not a PNG or JPEG image"):
        service.check_image(bad, "logo")
    good = tmp_path / "logo.png"
    good.write_bytes(tiny_png())
    assert service.check_image(good) == tiny_png()
    assert service.logo() is None


def test_the_statement_keeps_its_line_breaks_on_the_superbill(demo, service):
    saved = service.save_settings(
        out_of_network=True,
        out_of_network_text="  Paid in full   at the visit.\n\n\nPlease reimburse the patient.\n",
    )
    assert saved.out_of_network_text == "Paid in full at the visit.\nPlease reimburse the patient."
    lines = pdf_text(service.render(demo.visit)).splitlines()
    assert "Paid in full at the visit." in lines
    assert "Please reimburse the patient." in lines
    with pytest.raises(ValidationError, match="too long"):
        service.save_settings(out_of_network_text="word " * 200)
    assert service.save_settings(out_of_network_text=" \n ").out_of_network_text.startswith(
        "The patient has paid"
    )


def test_a_superbill_and_an_encounter_form_are_read_in_one_transaction(
    clinic, demo, service, monkeypatch
):
    """One snapshot: a change saved while a batch is gathered cannot mix into one page."""
    settings = service.settings()
    opened = []
    read = clinic.db.read

    def counted():
        opened.append(1)
        return read()

    monkeypatch.setattr(clinic.db, "read", counted)
    prepared = service.prepare(demo.visit, settings)
    assert prepared.data.visit_id == demo.visit and prepared.data.lines
    assert len(opened) == 1
    opened.clear()
    visit = clinic.visits.get(demo.visit)
    opened.clear()
    form = service.encounter_form(visit.patient_id, provider_id=visit.provider_id)
    assert form.startswith(b"%PDF")
    assert len(opened) == 2  # the settings, then everything else


def test_a_blank_total_treatment_time_is_missing(clinic, demo, service):
    draft = clinic.visits.create(demo.patient, provider_id=demo.ot)
    clinic.visits.set_diagnoses(draft.id, ["M62.81"])
    clinic.visits.add_line(draft.id, "97110", minutes=20, modifiers=["GO"], dx_pointers=["A"])
    assert "no total treatment time" in service.check(draft.id).problems
    clinic.visits.update(draft.id, total_treatment_minutes=20)
    assert "no total treatment time" not in service.check(draft.id).problems


def test_a_superbill_issued_anyway_says_so_on_it(clinic, demo, service, tmp_path):
    draft = clinic.visits.create(demo.patient, provider_id=demo.ot, total_treatment_minutes=20)
    clinic.visits.add_line(draft.id, "97110", minutes=20, modifiers=["GO"])
    assert service.check(draft.id).problems  # no diagnosis
    _, document = service.issue(draft.id, reason="referral on its way", out=tmp_path / "a.pdf")
    assert "Issued with open items: referral on its way" in flat(pdf_text(document))
    # the preview shows it the same way before it is printed; a complete one never does
    preview = service.render(draft.id, issued_anyway="referral on its way")
    assert "Issued with open items: referral on its way" in flat(pdf_text(preview))
    complete = service.render(demo.visit, issued_anyway="no reason needed")
    assert "Issued with open items" not in flat(pdf_text(complete))


def test_sex_insured_birth_date_prior_authorization_and_onset_are_printed(clinic, demo, service):
    before = flat(pdf_text(service.render(demo.visit)))
    assert "Prior authorization" not in before and "Onset date" not in before
    assert "05/09/1951 · Female" in before  # the patient's sex beside the birth date
    # the policy is the patient's own: the insured's birth date is the patient's
    assert "Zoë Ng-Ødegård · born 05/09/1951" in before
    clinic.patients.update_plan_of_care(
        demo.plan, onset_date="2026-01-20", prior_authorization="PA-55812"
    )
    after = flat(pdf_text(service.render(demo.visit)))
    assert "Onset date 01/20/2026" in after
    assert "Prior authorization PA-55812" in after


def test_the_encounter_form_names_the_subscriber_as_the_superbill_does(clinic, demo, service):
    from otdesk.services.patients import PatientService

    policy = PatientService(clinic.ctx).policies(demo.patient)[0]
    clinic.patients.update_policy(policy.id, subscriber_name="")  # self: the patient
    superbill = flat(pdf_text(service.render(demo.visit)))
    form = flat(pdf_text(service.encounter_form(demo.patient, "2026-03-02")))
    expected = "Subscriber Zoë Ng-Ødegård · born 05/09/1951"
    assert expected in superbill and expected in form
