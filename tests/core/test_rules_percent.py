from decimal import Decimal

from otdesk.core.rules import _percent


def test_percent_never_rounds_up_past_a_limit():
    assert _percent(Decimal("2470") * 100 / Decimal("2480")) == "99.5%"
    assert _percent(10.4) == "10.4%"
    assert _percent(10.04) == "10%"
    assert _percent(100) == "100%"
