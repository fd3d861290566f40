"""The favourite codes read on their own (as the window's start does) are the ones the
superbill settings keep."""

from __future__ import annotations

from otdesk.services.favourites import DEFAULT_FAVOURITES, favourite_codes
from otdesk.services.superbills import SuperbillService


def test_favourite_codes_are_the_superbill_settings_ones(clinic):
    service = SuperbillService(clinic.ctx)
    assert favourite_codes(clinic.ctx) == DEFAULT_FAVOURITES
    assert service.settings().favourite_codes == DEFAULT_FAVOURITES
    service.save_settings(favourite_codes="97530 97110 97010", paper="a4")
    assert favourite_codes(clinic.ctx) == ("97530", "97110", "97010")
    assert service.settings().favourite_codes == ("97530", "97110", "97010")
    service.save_settings(paper="letter")  # other settings leave them as they are
    assert favourite_codes(clinic.ctx) == ("97530", "97110", "97010")
