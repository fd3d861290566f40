"""One-line summaries and fix buttons of findings (issue 12, item 8)."""

from datetime import date

from otdesk.core.rules import check_visit
from otdesk.core.tables import RuleTables
from otdesk.core.visit import ChargeLine, Finding, PayerInfo, Severity, Visit
from otdesk.services.finding_words import describe

DAY = date(2026, 3, 2)
TABLES = RuleTables.shipped()


def _views(*lines, **visit):
    found = Visit(date_of_service=DAY, lines=tuple(lines), diagnoses=("M62.81",), **visit)
    check = check_visit(found, tables=TABLES)
    codes = [line.code for line in found.lines]
    return {view.finding.rule: view for view in describe(check.findings, codes, DAY, TABLES)}


def test_a_code_pair_reads_as_in_the_issue():
    views = _views(
        ChargeLine("97140", 15, modifiers=("GO",), dx_pointers=("A",)),
        ChargeLine("97530", 15, modifiers=("GO",), dx_pointers=("A",)),
    )
    view = views["ncci-pair"]
    assert view.summary == "97140 + 97530: code pair, add XU to line 2"
    assert [(c.button, c.label) for c in view.fixes] == [("Add XU", "Add XU to line 2 (97530)")]


def test_a_deleted_code_offers_each_replacement():
    views = _views(ChargeLine("97003", 45, modifiers=("GO",), dx_pointers=("A",)))
    view = views["deleted-code"]
    assert [c.button for c in view.fixes] == [
        "Change to 97165",
        "Change to 97166",
        "Change to 97167",
    ]
    assert view.summary == "97003: deleted code, use 97165 or 97166 or 97167"
    assert view.fixes[1].fix == {"replace_code": "97166", "lines": [0]}


def test_findings_without_lines_or_fix_and_unknown_rules_still_read_plainly():
    views = _views(ChargeLine("97110", 15, dx_pointers=("A",)), payer=PayerInfo(kind="medicare"))
    assert views["therapy-modifier-missing"].summary == (
        "97110: therapy modifier missing, add GO to line 1"
    )
    assert views["plan-of-care-missing"].summary == "No plan of care"
    odd = Finding(
        "some-new-rule", Severity.WARNING, "Line 1 (97110): the moon is full; wait.", (0,)
    )
    (view,) = describe([odd], ["97110"], DAY, TABLES)
    assert view.summary == "97110: the moon is full" and view.fixes == ()
    for view in views.values():
        assert "finding" not in view.summary.lower()
