"""Practice, providers and payers."""

import pytest

from otdesk.core.units import UnitRule
from otdesk.services import NotFoundError, ValidationError
from tests.helpers.clinics import OT_NPI


def test_practice_is_saved_and_changed_field_by_field(clinic):
    assert clinic.practice.get() is None
    clinic.practice.save(name="Harbor Hands OT", group_npi=OT_NPI, state="or", postal_code="97201")
    changed = clinic.practice.save(phone="503-555-0100")
    assert changed.name == "Harbor Hands OT" and changed.state == "OR"
    assert clinic.practice.get() == changed
    entries = clinic.audit.entries("practice")
    assert [e.action for e in entries] == ["practice.save", "practice.save"]
    assert entries[1].before["phone"] == "" and entries[1].after["phone"] == "503-555-0100"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("group_npi", "1234567890"),  # bad check digit
        ("tin", "12-34"),
        ("state", "Oregon"),
        ("postal_code", "9720"),
        ("taxonomy", "OT"),
        ("name", ""),
    ],
)
def test_bad_practice_details_are_refused_naming_the_field(clinic, field, value):
    clinic.practice.save(name="Harbor Hands OT")
    with pytest.raises(ValidationError) as caught:
        clinic.practice.save(**{field: value})
    assert caught.value.field == field
    assert clinic.practice.get().name == "Harbor Hands OT"


def test_providers(clinic, setup):
    ot = clinic.providers.get(setup.ot)
    ota = clinic.providers.get(setup.ota)
    assert ota.is_assistant and ota.supervisor_id == ot.id and ota.discipline == "OT"
    assert ot.display_name == "Avery Demo, OTR/L"
    with pytest.raises(ValidationError, match="check digit") as caught:
        clinic.providers.update(ot.id, npi="1234567890")
    assert caught.value.field == "npi"
    with pytest.raises(ValidationError) as caught:
        clinic.providers.create(last_name="X", first_name="Y", role="OTA", supervisor_id=ota.id)
    assert caught.value.field == "supervisor_id"
    with pytest.raises(ValidationError) as caught:
        clinic.providers.create(last_name="X", first_name="Y", role="doctor")
    assert caught.value.field == "role"
    moved = clinic.providers.update(ot.id, license_number="OT-1234", license_state="or")
    assert moved.license_state == "OR"
    clinic.providers.update(setup.pt, active=False)
    assert setup.pt not in [p.id for p in clinic.providers.list()]
    assert setup.pt in [p.id for p in clinic.providers.list(active_only=False)]
    with pytest.raises(NotFoundError):
        clinic.providers.get(999)


def test_payers(clinic, setup):
    medicare = clinic.payers.get(setup.medicare)
    assert medicare.unit_rule == "cms" and medicare.info().tracks_kx
    commercial = clinic.payers.get(setup.commercial)
    assert commercial.info().unit_rule is UnitRule.PER_CODE
    with pytest.raises(ValidationError) as caught:
        clinic.payers.create(name="medicare part b", kind="medicare")
    assert caught.value.field == "name"
    with pytest.raises(ValidationError) as caught:
        clinic.payers.create(name="Odd", kind="barter")
    assert caught.value.field == "kind"
    changed = clinic.payers.update(setup.commercial, therapy_modifiers_required=True)
    assert changed.info().needs_therapy_modifiers
    assert [p.name for p in clinic.payers.list()] == [
        "Evergreen Health",
        "Medicare Part B",
        "Self-pay",
    ]
