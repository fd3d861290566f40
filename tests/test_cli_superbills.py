"""`otdesk export superbill|superbills|encounter-form` and `otdesk superbill-settings`
through the real entry point, on a clinic database seeded through the services."""

from __future__ import annotations

import hashlib

import pytest

from otdesk.export import sha256
from otdesk.services.superbills import SuperbillService
from tests.cli_helpers import TESTER, encrypt_for_cli, run_otdesk, signed_in_clinic
from tests.export.helpers import page_texts, pdf_text, refinalized
from tests.helpers.clinics import finalized_visit, open_clinic, seed_superbill_demo


@pytest.fixture(scope="module")
def icd_cache(tmp_path_factory):
    """The real ICD-10-CM index where the command looks for it ($OTDESK_CACHE_DIR)."""
    from otdesk.core import icd

    folder = tmp_path_factory.mktemp("icd-cache")
    source = icd.find_source()
    icd.open_index(folder / icd.index_file_name(source.release), source=source).close()
    return folder


@pytest.fixture
def clinic_dir(tmp_path):
    folder = tmp_path / "data"
    clinic = open_clinic(folder)
    demo = seed_superbill_demo(clinic)
    clinic.close()
    encrypt_for_cli(folder)
    return folder, demo


def otdesk(clinic_dir, icd_cache, *args):
    folder, _ = clinic_dir
    env = {"OTDESK_CACHE_DIR": str(icd_cache), **TESTER}
    return run_otdesk(*args, "--data-dir", str(folder), env=env)


def reopen(folder):
    from otdesk.services import FixedClock
    from tests.helpers.clinics import START, built_icd_index

    clinic = signed_in_clinic(folder, clock=FixedClock(START))
    clinic.ctx.icd = built_icd_index()
    return clinic, SuperbillService(clinic.ctx)


def test_one_superbill(clinic_dir, icd_cache, tmp_path):
    folder, demo = clinic_dir
    out = tmp_path / "visit.pdf"
    done = otdesk(
        clinic_dir, icd_cache, "export", "superbill", "--visit", str(demo.visit), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    document = out.read_bytes()
    assert sha256(document) in done.stdout
    assert "1 page" in done.stdout
    text = " ".join(pdf_text(document).split())
    assert "A M62.81 Muscle weakness (generalized)" in text
    assert "Ng-Ødegård, Zoë" in text
    clinic, service = reopen(folder)
    try:
        history = service.history(demo.visit)
    finally:
        clinic.close()
    assert [(h.sha256, h.file_name) for h in history] == [(sha256(document), "visit.pdf")]


def test_an_incomplete_superbill_needs_issue_anyway(clinic_dir, icd_cache, tmp_path):
    folder, demo = clinic_dir
    clinic, _ = reopen(folder)
    clinic.practice.save(tin="")
    visit = refinalized(clinic, demo.visit)
    clinic.close()
    out = tmp_path / "visit.pdf"
    args = ("export", "superbill", "--visit", str(visit), "--out", str(out))
    done = otdesk(clinic_dir, icd_cache, *args)
    assert done.returncode == 2
    assert "the practice has no TIN" in done.stderr
    assert "--issue-anyway" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
    done = otdesk(clinic_dir, icd_cache, *args, "--issue-anyway", "TIN on its way")
    assert done.returncode == 0, done.stderr
    clinic, _ = reopen(folder)
    try:
        entries = [e for e in clinic.audit.visit_history(visit) if e.action == "superbill.issue"]
    finally:
        clinic.close()
    assert entries[-1].reason == "TIN on its way"


def test_a_void_visit_and_a_bad_path_are_refused_in_one_sentence(clinic_dir, icd_cache, tmp_path):
    folder, demo = clinic_dir
    done = otdesk(
        clinic_dir,
        icd_cache,
        "export",
        "superbill",
        "--visit",
        str(demo.visit),
        "--out",
        str(tmp_path / "no" / "x.pdf"),
    )
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    clinic, _ = reopen(folder)
    clinic.visits.void(demo.visit, "duplicate")
    clinic.close()
    done = otdesk(
        clinic_dir,
        icd_cache,
        "export",
        "superbill",
        "--visit",
        str(demo.visit),
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert done.returncode == 2
    assert "void" in done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_a_day_into_one_file_and_a_range_into_a_folder(clinic_dir, icd_cache, tmp_path):
    folder, demo = clinic_dir
    clinic, _ = reopen(folder)
    finalized_visit(clinic, demo.other_patient, demo.ot, day="2026-03-03")
    draft = clinic.visits.create(
        demo.other_patient,
        provider_id=demo.ot,
        date_of_service="2026-03-02",
        total_treatment_minutes=20,
    )
    clinic.visits.set_diagnoses(draft.id, ["M62.81"])
    clinic.visits.add_line(draft.id, "97110", minutes=20, modifiers=["GO"], dx_pointers=["A"])
    clinic.close()
    out = tmp_path / "day.pdf"
    done = otdesk(
        clinic_dir, icd_cache, "export", "superbills", "--date", "2026-03-02", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert "Wrote 1 superbill" in done.stdout
    assert len(page_texts(out.read_bytes())) == 1
    done = otdesk(
        clinic_dir,
        icd_cache,
        "export",
        "superbills",
        "--date",
        "2026-03-02",
        "--out",
        str(out),
        "--include-drafts",
    )
    assert done.returncode == 0, done.stderr
    pages = page_texts(out.read_bytes())
    assert len(pages) == 2 and "DRAFT" in " ".join(pages)
    target = tmp_path / "folder"
    target.mkdir()
    done = otdesk(
        clinic_dir,
        icd_cache,
        "export",
        "superbills",
        "--date",
        "2026-03-02",
        "--to",
        "2026-03-03",
        "--dir",
        str(target),
    )
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in target.iterdir())
    assert len(names) == 2
    assert names[0].startswith("superbill_2026-03-02_A-1001_visit")
    assert names[1].startswith("superbill_2026-03-03_A-1002_visit")


def test_a_day_without_visits_says_so(clinic_dir, icd_cache, tmp_path):
    done = otdesk(
        clinic_dir,
        icd_cache,
        "export",
        "superbills",
        "--date",
        "2026-05-01",
        "--out",
        str(tmp_path / "x.pdf"),
    )
    assert done.returncode == 2
    assert "No superbill to issue for 05/01/2026" in done.stderr


def test_settings_and_the_encounter_form(clinic_dir, icd_cache, tmp_path):
    done = otdesk(
        clinic_dir, icd_cache, "superbill-settings", "--paper", "a4", "--favourites", "97165 97530"
    )
    assert done.returncode == 0, done.stderr
    assert "Paper: a4" in done.stdout
    assert "Encounter form codes: 97165 97530" in done.stdout
    out = tmp_path / "form.pdf"
    done = otdesk(
        clinic_dir,
        icd_cache,
        "export",
        "encounter-form",
        "--patient",
        "A-1002",
        "--date",
        "2026-03-09",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(pdf_text(out.read_bytes()).split())
    assert "Núñez, José" in text and "Date of service 03/09/2026" in text
    assert "☐ 97165" in text and "☐ 97530" in text and "97110" not in text
    # the form written (the patient's name on it) is in the audit log
    clinic, _ = reopen(clinic_dir[0])
    with clinic:
        log = clinic.audit.entries(limit=100_000)
    (entry,) = [e for e in log if e.action == "encounter_form.print"]
    assert entry.entity == "patient" and entry.user == "tester"
    assert entry.after["how"] == "file" and entry.after["file"] == "form.pdf"
    assert entry.after["date"] == "2026-03-09"
    assert entry.after["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_without_a_database_the_message_says_how_to_make_one(tmp_path, icd_cache):
    done = run_otdesk(
        "export",
        "superbill",
        "--visit",
        "1",
        "--out",
        str(tmp_path / "x.pdf"),
        "--data-dir",
        str(tmp_path / "none"),
    )
    assert done.returncode == 2
    assert "no clinic database" in done.stderr.lower()
