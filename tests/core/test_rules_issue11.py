"""Issue 11 (rules and catalog): each defect's test fails on the code before the fix; each
new rule fires and stays quiet."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from otdesk.core.catalog import default_catalog
from otdesk.core.fixes import apply_fix
from otdesk.core.money import Money
from otdesk.core.rules import article, check_visit
from otdesk.core.visit import PayerInfo, PlanOfCare, ProviderInfo, Severity
from tests.helpers.fakes import clean_visit, commercial, found, line, patient, rules_of

# --- 6. articles and near-miss codes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("PTA", "a"),
        ("PT", "a"),
        ("OTA", "an"),
        ("OT", "an"),
        ("SLP", "an"),
        ("SLPA", "an"),
        ("assistant", "an"),
        ("therapist", "a"),
        ("", "a"),
    ],
)
def test_article_follows_how_the_word_is_read(word, expected):
    assert article(word) == expected


def test_a_pta_provider_is_not_an_pta():
    visit = clean_visit(
        discipline="PT",
        provider=ProviderInfo(role="PTA", npi="1234567893"),
        lines=(line("97110", 30, "GP", allowed="90.00"),),
    )
    [finding] = found(visit, "assistant-modifier")
    assert "the provider is a PTA" in finding.message
    assert "an PTA" not in finding.message


def test_unknown_code_one_slip_from_a_catalog_code_suggests_it():
    visit = clean_visit(lines=(line("97410", 30, "GO"),))
    [finding] = found(visit, "unknown-code")
    assert "Did you mean 97140" in finding.message


def test_near_misses_are_swaps_then_single_changes_and_never_the_code_itself():
    catalog = default_catalog()
    assert [p.code for p in catalog.near_misses("97410")][0] == "97140"
    assert "97140" not in [p.code for p in catalog.near_misses("97140")]
    assert catalog.near_misses("12345") == []
    assert catalog.did_you_mean("12345") == ""
