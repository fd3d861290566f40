"""The claim commands through the real entry point, on the demo clinic (made once, copied
per test): the 837P file validated by pyx12, held-back claims, CMS-1500 forms in both modes
with a printer's calibration, settings and tracking."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from otdesk.export import sha256
from otdesk.export.cms1500 import cell
from tests.cli_helpers import demo_clinic, run_otdesk
from tests.helpers.claims import demo_template
from tests.helpers.x12 import pyx12_errors

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
TODAY = "2026-03-02"


@pytest.fixture(scope="module")
def _demo(tmp_path_factory):
    return demo_template(tmp_path_factory, encrypted=True)


@pytest.fixture
def data(_demo, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(_demo, folder)
    return folder


pytestmark = pytest.mark.usefixtures("demo_account")


def otdesk(data, *args):
    return run_otdesk(*args, "--data-dir", str(data))


def test_a_day_of_the_demo_clinic_exports_as_an_837p_pyx12_accepts(data, tmp_path):
    out = tmp_path / "day.837"
    done = otdesk(data, "export", "claims", "--from", TODAY, "--to", TODAY, "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert pyx12_errors(text) == []
    assert sha256(out.read_bytes()) in done.stdout
    assert "originals" in done.stdout and "test)" in done.stdout
    kept = next((data / "claims").iterdir())
    assert kept.read_bytes() == out.read_bytes()
    again = otdesk(data, "export", "claims", "--from", TODAY, "--out", str(tmp_path / "x.837"))
    assert again.returncode == 2
    assert "No visit is ready for a claim file" in again.stderr
    assert "already in claim file 1" in again.stderr
    assert "Traceback" not in again.stderr
    listed = otdesk(data, "claims", "files", "--json")
    (entry,) = json.loads(listed.stdout)
    assert entry["sha256"] == sha256(out.read_bytes()) and entry["claims"] >= 3


def test_a_held_back_visit_is_listed_and_sent_only_with_a_reason(data, tmp_path):
    with demo_clinic(data) as clinic:
        clinic.practice.save(postal_code="97201")
        visit = next(v.id for v in clinic.visits.day(TODAY) if v.status == "finalized")
    out = tmp_path / "one.837"
    held = otdesk(data, "export", "claims", "--visit", str(visit), "--out", str(out))
    assert held.returncode == 2
    assert "Held back: visit" in held.stderr and "ZIP+4" in held.stderr
    assert "--send-anyway REASON" in held.stderr
    assert not out.exists()
    sent = otdesk(
        data, "export", "claims", "--visit", str(visit), "--out", str(out),
        "--send-anyway", "clearinghouse fixes the ZIP",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert pyx12_errors(out.read_text()) == []
    status = otdesk(data, "claims", "status", "--visit", str(visit))
    assert "In claim file 1 on" in status.stdout
    shown = otdesk(data, "claims", "show", "1", "--json")
    (claim,) = json.loads(shown.stdout)
    numbered = otdesk(data, "claims", "payer-number", str(claim["claim_id"]), "ICN-55")
    assert "ICN-55" in numbered.stdout
    resend = otdesk(
        data, "export", "claims", "--visit", str(visit), "--out", str(tmp_path / "again.837"),
        "--resend", "lost by the clearinghouse", "--send-anyway", "still the ZIP",
    )  # fmt: skip
    assert resend.returncode == 0, resend.stderr


def test_cms1500_forms_in_both_modes_with_the_printer_s_calibration(data, tmp_path):
    form = tmp_path / "form.pdf"
    done = otdesk(data, "export", "cms1500", "--date", TODAY, "--out", str(form))
    assert done.returncode == 0, done.stderr
    assert len(PdfReader(io.BytesIO(form.read_bytes())).pages) >= 3
    setting = otdesk(
        data, "cms1500-calibration", "--printer", "Front desk", "--right", "10", "--down", "-5"
    )
    assert "+0.10 in right, -0.05 in down" in setting.stdout
    plain, moved = tmp_path / "plain.pdf", tmp_path / "moved.pdf"
    with demo_clinic(data) as clinic:
        visit = next(v.id for v in clinic.visits.day(TODAY) if v.status == "finalized")
    for out, extra in ((plain, ()), (moved, ("--printer", "Front desk"))):
        made = otdesk(
            data, "export", "cms1500", "--visit", str(visit), "--mode", "data", "--out", str(out),
            *extra,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    first = _first_text(plain.read_bytes())
    second = _first_text(moved.read_bytes())
    assert first[0] == second[0]
    assert second[1] - first[1] == pytest.approx(7.2, abs=0.01)
    assert second[2] - first[2] == pytest.approx(3.6, abs=0.01)
    assert (first[1], first[2]) == cell(41, 2)  # the payer's name, top right
    page = otdesk(data, "export", "cms1500-alignment", "--out", str(tmp_path / "a.pdf"))
    assert page.returncode == 0
    bad = otdesk(data, "cms1500-calibration", "--printer", "Front desk", "--scale", "150")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_claim_settings_and_payer_ids(data):
    shown = otdesk(data, "claim-settings")
    assert "Receiver id: EXCLEARDEMO" in shown.stdout and "MCRDEMO" in shown.stdout
    changed = otdesk(data, "claim-settings", "--usage", "production", "--payer", "2",
                     "--payer-id", "EVG77", "--filing", "BL")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "production (P)" in changed.stdout and "EVG77" in changed.stdout
    assert " BL" in changed.stdout
    bad = otdesk(data, "claim-settings", "--contact-phone", "555")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "10 digits" in bad.stderr


def _first_text(pdf: bytes) -> tuple[str, float, float]:
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip() and not found:
            found.append((text.strip(), round(tm[4], 2), round(tm[5], 2)))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found[0]
