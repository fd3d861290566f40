"""future-date-of-service (issue 12): a visit dated after today warns; today and the past
do not; without a today (the JSON of `rules check`) the rule stays silent."""

from datetime import date

from otdesk.core.rules import check_visit, replacement_codes
from otdesk.core.tables import RuleTables
from otdesk.core.visit import ChargeLine, Severity, Visit

TODAY = date(2026, 3, 2)


def _rules(day, today):
    visit = Visit(date_of_service=day, lines=(ChargeLine("97110", minutes=15),))
    return {f.rule: f for f in check_visit(visit, today=today).findings}


def test_a_visit_dated_tomorrow_warns_with_the_date_and_the_days():
    found = _rules(date(2026, 3, 5), TODAY)["future-date-of-service"]
    assert found.severity is Severity.WARNING
    assert "03/05/2026" in found.message and "3 days in the future" in found.message


def test_today_and_the_past_are_quiet_and_no_today_is_quiet():
    assert "future-date-of-service" not in _rules(TODAY, TODAY)
    assert "future-date-of-service" not in _rules(date(2026, 2, 27), TODAY)
    assert "future-date-of-service" not in _rules(date(2030, 1, 1), None)


def test_replacement_codes_of_a_deleted_code_follow_the_chain():
    tables = RuleTables.shipped()
    assert replacement_codes("97003", TODAY, tables) == ["97165", "97166", "97167"]
    assert replacement_codes("97532", TODAY, tables) == ["97129"]
    assert replacement_codes("97110", TODAY, tables) == []
