"""dx-excludes1: two diagnoses of a visit that the tabular list marks Excludes1 (ICD-10-CM
Official Guidelines I.A.12.a), with the notes the real index keeps and with hand-made ones."""

from __future__ import annotations

import pytest

from otdesk.core import icd
from otdesk.core.icd_notes import Excludes1Note, code_refs
from otdesk.core.rules import RULES, check_visit
from otdesk.core.visit import Severity
from tests.core.test_icd import shared_index_file
from tests.helpers.fakes import FakeDx, FakeDxCheck, clean_visit, line


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    opened = icd.open_index(shared_index_file(tmp_path_factory), build_if_missing=False)
    yield opened
    opened.close()


def excludes1(visit, dx_check):
    return [f for f in check_visit(visit, dx_check=dx_check).findings if f.rule == "dx-excludes1"]


def test_the_rule_is_a_warning_next_to_the_other_diagnosis_rules():
    ids = [rule_id for rule_id, _severity, _rule in RULES]
    assert ids.index("dx-excludes1") == ids.index("dx-not-billable") + 1
    assert dict((rule_id, sev) for rule_id, sev, _ in RULES)["dx-excludes1"] == Severity.WARNING


def test_hemiplegia_with_hemiplegia_after_a_stroke(index):
    visit = clean_visit(
        diagnoses=("G81.91", "I69.351"),
        lines=(
            line("97530", 30, "GO", dx_pointers=("A",)),
            line("97110", 30, "GO", dx_pointers=("B",)),
        ),
    )
    (finding,) = excludes1(visit, index.validate)
    assert finding.severity == Severity.WARNING
    assert finding.lines == (0, 1)
    assert "Diagnoses A (G81.91) and B (I69.351)" in finding.message
    assert "G81 (Hemiplegia and hemiparesis)" in finding.message
    assert "hemiplegia and hemiparesis due to sequela of cerebrovascular disease" in finding.message
    assert "(I69.05-, I69.15-, I69.25-, I69.35-, I69.85-, I69.95-)" in finding.message
    assert finding.fix is None


def test_the_pair_is_found_whichever_comes_first(index):
    # the note is G81's; listing the I69 code first changes nothing but the letters
    visit = clean_visit(diagnoses=("I69.351", "M62.81", "G81.91"))
    (finding,) = excludes1(visit, index.validate)
    assert "Diagnoses A (I69.351) and C (G81.91)" in finding.message
    assert "which covers G81.91" in finding.message
    assert finding.lines == (0, 1)  # both lines point at A


@pytest.mark.parametrize(
    ("first", "second", "holder"),
    [
        ("F82", "R27.9", "F82"),  # DCD excludes lack of coordination (R27.-)
        ("G81.90", "G80.2", "G81"),  # hemiplegia excludes congenital cerebral palsy (G80.-)
        ("I63.9", "S06.9X0A", "I60-I69"),  # a block's note: cerebrovascular vs trauma (S06.-)
    ],
)
def test_notes_of_codes_parents_and_blocks(index, first, second, holder):
    (finding,) = excludes1(clean_visit(diagnoses=(first, second)), index.validate)
    assert f"at {holder} " in finding.message
    assert first in finding.message and second in finding.message


@pytest.mark.parametrize(
    "diagnoses",
    [
        ("M62.81", "R26.89"),  # the seed's codes go together
        ("R26.1", "R27.9", "R44.8", "M62.81"),
        ("I69.351", "I69.391"),  # hemiplegia and dysphagia after the same stroke
        ("G81.91",),
        ("G81.91", "G81.91"),
    ],
)
def test_codes_that_go_together_are_silent(index, diagnoses):
    assert excludes1(clean_visit(diagnoses=diagnoses), index.validate) == []


def test_an_unknown_code_is_left_to_dx_unknown(index):
    findings = check_visit(clean_visit(diagnoses=("G81.91", "I69.999")), dx_check=index.validate)
    assert "dx-excludes1" not in {f.rule for f in findings.findings}
    assert "dx-unknown" in {f.rule for f in findings.findings}


def test_a_category_is_checked_too(index):
    # I69.35 is not billable (dx-not-billable says so) and still excluded by G81
    rules = {
        f.rule
        for f in check_visit(
            clean_visit(diagnoses=("G81.9", "I69.35")), dx_check=index.validate
        ).findings
    }
    assert {"dx-excludes1", "dx-not-billable"} <= rules


def test_without_the_icd_check_the_rule_is_silent():
    assert excludes1(clean_visit(diagnoses=("G81.91", "I69.351")), None) == []


def test_a_checker_without_notes_is_silent():
    # FakeDx's checks carry no Excludes1 notes (like any checker made before them)
    dx = FakeDx(valid=("G81.91", "I69.351"))
    assert excludes1(clean_visit(diagnoses=("G81.91", "I69.351")), dx) == []


def test_each_pair_is_one_finding_with_the_first_note_that_names_it():
    notes = {
        "A00.0": (
            Excludes1Note("A00", "Cholera", "thing one (B01.-)", code_refs("(B01.-)")),
            Excludes1Note("A00", "Cholera", "thing two (B01.1)", code_refs("(B01.1)")),
        ),
        "B01.1": (Excludes1Note("B01", "Varicella", "cholera (A00.-)", code_refs("(A00.-)")),),
    }

    def dx(code):
        return FakeDxCheck(code, "valid", f"{code} is billable.", [], notes.get(code, ()))

    visit = clean_visit(
        diagnoses=("A00.0", "B01.1", "C00.0"),
        lines=(line("97530", 30, "GO", dx_pointers=("C",)),),
    )
    (finding,) = excludes1(visit, dx)
    assert "thing one (B01.-)" in finding.message
    assert finding.lines == ()  # no line points at A or B
