"""Claims: the claim a visit needs, its checks, the 837P file (validated by pyx12), the
control numbers, the kept file and the tracking."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from otdesk.core.money import Money
from otdesk.export.claim_model import ClaimLine
from otdesk.export.files import ExportError
from otdesk.services.claims import (
    ClaimService,
    ClaimSettingsError,
    NothingToClaimError,
    claim_problems,
    split_name,
)
from otdesk.services.errors import ValidationError
from otdesk.storage import schema as s
from tests.helpers.claims import CLAIM_SETTINGS, finalized_visit, make_billable
from tests.helpers.x12 import pyx12_errors

GO = ["GO"]


@pytest.fixture
def claims(clinic, setup) -> ClaimService:
    return make_billable(clinic, setup)


def _segments(text: str, name: str) -> list[list[str]]:
    return [
        line.rstrip("~").split("*") for line in text.splitlines() if line.startswith(name + "*")
    ]


def _file(claims: ClaimService, **plan):
    result = claims.create_file(claims.plan("2026-03-01", "2026-03-31", **plan))
    assert pyx12_errors(result.text) == []
    return result


# --- the file ------------------------------------------------------------------------------


def test_a_clean_visit_becomes_a_valid_837p_with_every_loop(clinic, setup, claims):
    visit = finalized_visit(
        clinic,
        setup,
        [{"code": "97110", "minutes": 33, "modifiers": GO}, {"code": "97535", "minutes": 7,
          "modifiers": GO}],
        diagnoses=("M62.81", "R26.89"),
    )  # fmt: skip
    clinic.visits.record_payment(visit, "20.00")
    result = _file(claims)
    text = result.text
    assert text.startswith("ISA*00*          *00*          *ZZ*HHOT01         *ZZ*EXCLEAR        *")
    isa = text.splitlines()[0].split("*")
    assert isa[13] == "000000001" and isa[15] == "T"
    assert _segments(text, "GS")[0][8] == "005010X222A1"
    billing = _segments(text, "NM1")[2]
    assert billing[1:3] == ["85", "2"] and billing[-1] == "1234567893"
    assert ["N4", "PORTLAND", "OR", "972013344"] in _segments(text, "N4")
    assert ["REF", "EI", "123456789"] in _segments(text, "REF")
    assert ["PRV", "BI", "PXC", "225X00000X"] in _segments(text, "PRV")
    sbr = _segments(text, "SBR")[0]
    assert sbr[1:3] == ["P", "18"] and sbr[-1] == "MB"
    subscriber = next(n for n in _segments(text, "NM1") if n[1] == "IL")
    assert subscriber[3:5] == ["NUNEZ", "JOSE"] and subscriber[-1] == "1EG4TE5MK73"
    assert ["DMG", "D8", "19480714", "M"] in _segments(text, "DMG")
    payer = next(n for n in _segments(text, "NM1") if n[1] == "PR")
    assert payer[-2:] == ["PI", "MCR01"]
    (clm,) = _segments(text, "CLM")
    detail = clinic.visits.get(visit)
    assert clm[1] == f"{detail.chain_id}V1"
    assert clm[2] == "185" and Money("185.00") == detail.total  # 2 x 60 + 1 x 65
    assert clm[5] == "11:B:1"
    assert ["AMT", "F5", "20"] in _segments(text, "AMT")
    assert _segments(text, "HI") == [["HI", "ABK:M6281", "ABF:R2689"]]
    referring = next(n for n in _segments(text, "NM1") if n[1] == "DN")
    assert referring[3:5] == ["DEMO", "ROWAN"] and referring[-1] == "1234567893"
    rendering = next(n for n in _segments(text, "NM1") if n[1] == "82")
    assert rendering[3:5] == ["DEMO", "AVERY"]
    sv1 = _segments(text, "SV1")
    assert [line[1] for line in sv1] == ["HC:97110:GO", "HC:97535:GO"]
    assert [line[3:5] for line in sv1] == [["UN", "2"], ["UN", "1"]]
    assert sum(Money(line[2]) for line in sv1) == Money(clm[2])
    assert [d[3] for d in _segments(text, "DTP")] == ["20260302", "20260302"]
    controls = [r[2] for r in _segments(text, "REF") if r[1] == "6R"]
    assert len(controls) == len(set(controls)) == 2
    assert result.file.claim_count == 1 and result.file.total == Money("185.00")


def test_edge_cases_each_pass_pyx12(clinic, setup, claims):
    """Four modifiers, twelve diagnoses, CO and KX lines, telehealth, an assistant's visit."""
    twelve = ("M62.81", "R26.89", "R27.9", "R44.8", "R26.1", "F82", "M79.641", "M25.511",
              "M25.512", "M62.838", "R29.898", "Z74.09")  # fmt: skip
    finalized_visit(
        clinic,
        setup,
        [
            {"code": "97530", "minutes": 30, "assistant_minutes": 30,
             "modifiers": ["GO", "CO", "KX", "59"], "dx_pointers": "ABCD"},
            {"code": "97110", "minutes": 15, "modifiers": ["GO", "KX"], "dx_pointers": "L"},
        ],
        diagnoses=twelve,
        provider=setup.ota,
        override="testing the edge",
    )  # fmt: skip
    finalized_visit(
        clinic,
        setup,
        [{"code": "97535", "minutes": 30, "modifiers": ["GO", "95"]}],
        day="2026-03-03",
        place_of_service="10",
    )
    plan = claims.plan("2026-03-01", "2026-03-31")
    result = claims.create_file(plan, override_reason="edge cases on purpose")
    assert pyx12_errors(result.text) == []
    text = result.text
    sv1 = [line[1] for line in _segments(text, "SV1")]
    assert "HC:97530:GO:CO:KX:59" in sv1 and "HC:97110:GO:KX" in sv1
    (hi, _) = _segments(text, "HI")
    assert len(hi) == 13 and hi[12] == "ABF:Z7409"
    assert [line[7] for line in _segments(text, "SV1")][:2] == ["1:2:3:4", "12"]
    assert [c[5] for c in _segments(text, "CLM")] == ["11:B:1", "10:B:1"]
    # the assistant's visit is billed under the supervising OT
    renderers = [n[-1] for n in _segments(text, "NM1") if n[1] == "82"]
    assert renderers == ["1234567893", "1234567893"]


def test_a_patient_who_is_not_the_subscriber_gets_a_patient_loop(clinic, setup, claims):
    child = clinic.patients.create(
        last_name="Sample", first_name="Kai", date_of_birth="2017-11-11", sex="M",
        address1="9 Sample Street", city="Portland", state="OR", postal_code="97202",
    )  # fmt: skip
    clinic.patients.add_policy(
        child.id,
        payer_id=setup.commercial,
        member_id="EVG-100234",
        group_number="G-77",
        relationship="child",
        subscriber_name="Sample, Jamie R",
    )
    finalized_visit(clinic, setup, [{"code": "97530", "minutes": 30}], patient=child.id)
    text = _file(claims).text
    assert _segments(text, "HL")[1][1:] == ["2", "1", "22", "1"]
    assert _segments(text, "HL")[2][1:] == ["3", "2", "23", "0"]
    sbr = _segments(text, "SBR")[0]
    assert sbr[1:4] == ["P", "", "G-77"] and sbr[-1] == "CI"
    subscriber = next(n for n in _segments(text, "NM1") if n[1] == "IL")
    assert subscriber[3:6] == ["SAMPLE", "JAMIE", "R"]
    assert _segments(text, "PAT") == [["PAT", "19"]]
    patient = next(n for n in _segments(text, "NM1") if n[1] == "QC")
    assert patient[3:5] == ["SAMPLE", "KAI"]
    assert _segments(text, "DMG") == [["DMG", "D8", "20171111", "M"]]  # the patient's only


def test_an_unlisted_code_carries_its_description(clinic, setup, claims):
    finalized_visit(
        clinic,
        setup,
        [{"code": "97139", "minutes": 15, "modifiers": GO, "description": "Scar massage; wax"}],
        override="unlisted code",
    )
    text = _file(
        claims,
    ).text
    assert [line[1] for line in _segments(text, "SV1")] == ["HC:97139:GO::::SCAR MASSAGE; WAX"]


def test_a_replacement_and_a_void_follow_the_claimed_visit(clinic, setup, claims):
    visit = finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    first = _file(claims)
    (record,) = claims.claims_in(first.file.id)
    claims.set_payer_claim_number(record.id, "ICN-2026-0001")
    amended = clinic.visits.amend(visit, "documented 45 minutes")
    clinic.visits.update_line(amended.lines[0].id, minutes=45)
    clinic.visits.update(amended.id, total_treatment_minutes=45)
    clinic.visits.finalize(amended.id)
    assert "replacement" in claims.status(amended.id).text
    second = _file(claims)
    (clm,) = _segments(second.text, "CLM")
    assert clm[1].endswith("V2") and clm[5] == "11:B:7" and clm[2] == "180"
    assert ["REF", "F8", "ICN-2026-0001"] in _segments(second.text, "REF")
    assert claims.status(visit).state == "replaced"
    assert claims.status(amended.id).state == "claimed"
    clinic.visits.void(amended.id, "wrong patient")
    third = _file(claims)
    (clm,) = _segments(third.text, "CLM")
    assert clm[5] == "11:B:8" and clm[1].endswith("V2")
    assert ["REF", "F8", "ICN-2026-0001"] in _segments(third.text, "REF")
    assert claims.status(amended.id).state == "voided"
    assert [r.frequency_code for r in claims.history(visit)] == ["1", "7", "8"]
    with pytest.raises(NothingToClaimError):
        claims.create_file(claims.plan("2026-03-01", "2026-03-31"))


def test_a_void_without_the_payer_number_is_sent_with_a_note(clinic, setup, claims):
    visit = finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    _file(claims)
    clinic.visits.void(visit, "entered twice")
    plan = claims.plan("2026-03-01", "2026-03-31")
    (pending,) = plan.pending
    assert pending.frequency_code == "8" and pending.ready
    assert any("payer's claim number" in note for note in pending.notes)
    text = _file(claims).text
    assert not [r for r in _segments(text, "REF") if r[1] == "F8"]


def test_a_void_never_claimed_and_self_pay_and_drafts_are_not_claimed(clinic, setup, claims):
    void = finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    clinic.visits.void(void, "oops")
    self_pay = clinic.patients.create(
        last_name="Pay", first_name="Self", date_of_birth="1990-01-01"
    )
    finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30}], patient=self_pay.id)
    clinic.visits.create(setup.patient, provider_id=setup.ot, date_of_service="2026-03-04")
    plan = claims.plan("2026-03-01", "2026-03-31")
    assert plan.pending == ()
    reasons = sorted(s.reason for s in plan.skipped)
    assert reasons == [
        "it is self-pay (no payer to claim from)",
        "it is void and was never claimed",
    ]


# --- checks --------------------------------------------------------------------------------


def test_claim_checks_hold_a_visit_back_with_reasons(clinic, setup, claims):
    clinic.practice.save(postal_code="97201")
    clinic.payers.update(setup.medicare, payer_code="")
    clinic.patients.update_plan_of_care(setup.plan, referring_npi="")
    finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    plan = claims.plan("2026-03-01", "2026-03-31")
    (held,) = plan.held
    text = " | ".join(held.problems)
    assert "ZIP code (97201) needs all 9 digits" in text
    assert "Medicare Part B has no payer ID" in text
    assert "certifying physician" in text
    with pytest.raises(NothingToClaimError, match="1 held back"):
        claims.create_file(plan)


def test_the_visit_s_rule_errors_hold_it_back_until_overridden(clinic, setup, claims):
    visit = finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30}], override="later")
    plan = claims.plan("2026-03-01", "2026-03-31")
    (held,) = plan.held
    assert any("therapy-modifier" in p or "GO" in p for p in held.problems)
    result = claims.create_file(plan, override_reason="payer does not want GO here")
    assert pyx12_errors(result.text) == []
    with clinic.db.read() as connection:
        entry = connection.execute(
            select(s.audit_log).where(s.audit_log.c.action == "claim_file.create")
        ).one()
        stored = connection.execute(select(s.claims.c.override_reason)).scalar()
    assert "payer does not want GO here" in entry.reason
    assert json.loads(entry.after_json)["claims"][0]["sent_anyway"] == list(held.problems)
    assert stored == "payer does not want GO here"
    assert claims.status(visit).state == "claimed"


def test_model_level_checks_npi_pointers_and_counts(clinic, setup, claims):
    finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    (pending,) = claims.plan("2026-03-01", "2026-03-31").pending
    claim = pending.claim
    assert claim_problems(claim) == []
    line = claim.lines[0]
    broken = replace(
        claim,
        billing=replace(claim.billing, npi="1234567890"),
        diagnoses=tuple(f"R26.{n}" for n in range(13)),
        lines=(replace(line, pointers=(1, 14)),)
        + tuple(replace(line, number=n, pointers=()) for n in range(2, 52)),
    )
    text = " | ".join(claim_problems(broken))
    assert "group NPI: NPI 1234567890 has a wrong check digit" in text
    assert "13 diagnoses; at most 12" in text
    assert "51 service lines; at most 50" in text
    assert "Line 1 (97110) points to a diagnosis the claim does not have" in text
    assert "Line 2 (97110) points to no diagnosis" in text
    five = replace(claim, lines=(replace(line, modifiers=("GO", "CO", "KX", "59", "XU")),))
    assert any("5 modifiers" in p for p in claim_problems(five))
    unlisted = replace(claim, lines=(ClaimLine(1, "97139", ("GO",), Money("50.00"), 1, (1,),
                       date(2026, 3, 2), "1-1"),))  # fmt: skip
    assert any("unlisted code" in p for p in claim_problems(unlisted))


# --- control numbers, the kept file, tracking ---------------------------------------------


def test_control_numbers_are_never_reused_and_the_file_is_kept_owner_only(clinic, setup, claims):
    finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    first = _file(claims)
    finalized_visit(
        clinic, setup, [{"code": "97535", "minutes": 30, "modifiers": GO}], day="2026-03-05"
    )
    second = _file(claims)
    assert (first.file.interchange_control, second.file.interchange_control) == (1, 2)
    st = [seg[2] for seg in _segments(first.text + second.text, "ST")]
    assert len(set(st)) == len(st) == 2
    kept = second.file.path
    assert kept.read_text() == second.text
    assert kept.parent.name == "claims" and kept.parent.parent == clinic.db.path.parent
    if os.name == "posix":
        assert kept.stat().st_mode & 0o777 == 0o600
        assert kept.parent.stat().st_mode & 0o777 == 0o700
    import hashlib

    with clinic.db.read() as connection:
        entries = connection.execute(
            select(s.audit_log.c.after_json).where(s.audit_log.c.action == "claim_file.create")
        ).scalars()
        digests = [json.loads(entry)["sha256"] for entry in entries]
    assert digests[-1] == hashlib.sha256(kept.read_bytes()).hexdigest() == second.file.sha256
    assert [f.id for f in claims.files()] == [second.file.id, first.file.id]


def test_a_refused_file_uses_no_control_number(clinic, setup, claims):
    finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    claims.save_settings(receiver_id="")
    with pytest.raises(ClaimSettingsError, match="receiver ID is missing"):
        claims.create_file(claims.plan("2026-03-01", "2026-03-31"))
    assert claims.files() == []
    assert not (clinic.db.path.parent / "claims").exists() or not list(
        (clinic.db.path.parent / "claims").iterdir()
    )
    claims.save_settings(receiver_id="EXCLEAR")
    assert _file(claims).file.interchange_control == 1


def test_the_copy_goes_where_asked_and_a_failed_copy_says_where_the_file_is(
    clinic, setup, claims, tmp_path
):
    finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    out = tmp_path / "upload.837"
    result = claims.create_file(claims.plan("2026-03-01", "2026-03-31"), out=out)
    assert out.read_text() == result.text == result.file.path.read_text()
    finalized_visit(
        clinic, setup, [{"code": "97535", "minutes": 30, "modifiers": GO}], day="2026-03-06"
    )
    with pytest.raises(ExportError, match=r"Claim file 2 was written and kept as .*claims"):
        claims.create_file(
            claims.plan("2026-03-01", "2026-03-31"), out=tmp_path / "missing" / "x.837"
        )
    assert [f.id for f in claims.files()] == [2, 1]
    assert claims.files()[0].path.is_file()


def test_a_visit_goes_in_one_file_unless_resent_on_purpose(clinic, setup, claims):
    visit = finalized_visit(clinic, setup, [{"code": "97110", "minutes": 30, "modifiers": GO}])
    first = _file(claims)
    status = claims.status(visit)
    assert status.state == "claimed"
    assert re.fullmatch(rf"In claim file {first.file.id} on \d\d/\d\d/\d{{4}}", status.text)
    again = claims.plan("2026-03-01", "2026-03-31")
    assert again.pending == ()
    assert "already in claim file" in again.skipped[0].reason
    resend = claims.plan(visit_id=visit, resend=True)
    with pytest.raises(ValidationError, match="give a reason"):
        claims.create_file(resend)
    result = claims.create_file(resend, resend_reason="clearinghouse lost it")
    assert pyx12_errors(result.text) == []
    assert _segments(result.text, "CLM")[0][5] == "11:B:1"
    assert claims.file(result.file.id).resend_reason == "clearinghouse lost it"
    assert len(claims.history(visit)) == 2


def test_settings_are_checked_and_audited(clinic, setup, claims):
    assert claims.settings().submitter_id == CLAIM_SETTINGS["submitter_id"]
    with pytest.raises(ValidationError, match="Contact phone"):
        claims.save_settings(contact_phone="555")
    with pytest.raises(ValidationError, match="Usage"):
        claims.save_settings(usage="X")
    with pytest.raises(ValidationError, match="letters, digits"):
        claims.save_settings(submitter_id="A*B")
    saved = claims.save_settings(usage="p", receiver_qualifier="30")
    assert (saved.usage, saved.receiver_qualifier) == ("P", "30")
    payer = claims.set_payer(setup.commercial, payer_code="EVG02", filing="BL")
    assert (payer.payer_code, payer.claim_filing_indicator) == ("EVG02", "BL")
    with pytest.raises(ValidationError, match="filing indicator"):
        claims.set_payer(setup.commercial, filing="QQ")


def test_names_typed_in_one_box_are_split():
    assert split_name("Dr. Rowan Example, MD") == split_name("Rowan Example") != split_name("")
    assert split_name("Dr. Rowan Example, MD").last == "Example"
    name = split_name("Example, Rowan J.")
    assert (name.last, name.first, name.middle) == ("Example", "Rowan", "J")
    name = split_name("Mary Ann de la Cruz")
    assert (name.last, name.first) == ("Cruz", "Mary")


def test_the_demo_clinic_s_finalized_visits_pass_pyx12(tmp_path):
    from otdesk.services import Clinic, FixedClock
    from otdesk.services.demo import install_demo

    clock = FixedClock(
        __import__("datetime").datetime(2026, 3, 2, 17, 0, tzinfo=__import__("datetime").UTC)
    )
    report = install_demo(tmp_path / "demo", clock=clock)
    with Clinic.open(tmp_path / "demo", clock=clock, daily_backup=False) as clinic:
        claims = ClaimService(clinic.ctx)
        day = claims.plan(report.today, report.today)
        assert day.ready, "the demo's finalized visits of today are claimable"
        today = claims.create_file(day)
        assert pyx12_errors(today.text) == []
        weeks = claims.plan(report.today - timedelta(days=60), report.today)
        result = claims.create_file(weeks)
        assert pyx12_errors(result.text) == []
        assert result.file.claim_count > 40
        both = today.text + result.text
        assert {"MB", "CI", "MC"} <= {seg[-1] for seg in _segments(both, "SBR")}
        assert _segments(both, "PAT"), "a demo patient is insured through someone else"
