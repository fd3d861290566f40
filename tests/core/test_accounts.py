"""Roles, the permission matrix, the password rules of NIST SP 800-63B and the pace of
failed sign-ins: plain data and functions."""

import pytest

from otdesk.core.accounts import (
    MATRIX,
    Permission,
    Person,
    Role,
    password_problem,
    refusal,
    roles_allowed,
    sign_in_delay,
)

COMMON = {"password", "12345678", "iloveyou", "sunshine1"}


def test_the_administrator_may_do_everything_and_each_role_what_the_issue_lists():
    assert MATRIX[Role.ADMINISTRATOR] == frozenset(Permission)
    front = Person("pat", "Pat Lee", Role.FRONT_DESK)
    biller = Person("bo", "Bo Ames", Role.BILLER)
    therapist = Person("ava", "Avery Demo", Role.THERAPIST, provider_id=3)
    assert front.may(Permission.PATIENTS) and front.may(Permission.VISIT_NEW)
    assert front.may(Permission.PAYMENTS) and front.may(Permission.SUPERBILL)
    for denied in (Permission.FINALIZE, Permission.VOID, Permission.AMEND, Permission.FEES,
                   Permission.PEOPLE, Permission.RESTORE, Permission.EXPORTS):  # fmt: skip
        assert not front.may(denied)
    billing = (Permission.EVERY_VISIT, Permission.AMEND, Permission.VOID, Permission.EXPORTS,
               Permission.BATCH_SUPERBILLS, Permission.FINALIZE)  # fmt: skip
    for allowed in billing:
        assert biller.may(allowed)
    assert not biller.may(Permission.PEOPLE) and not biller.may(Permission.RESTORE)
    assert therapist.may(Permission.FINALIZE) and not therapist.may(Permission.EVERY_VISIT)
    assert not therapist.may(Permission.PATIENTS)
    # only the administrator manages the practice, people, payers, fees, imports, restores
    for admin_only in (Permission.PRACTICE, Permission.PEOPLE, Permission.PAYERS,
                       Permission.FEES, Permission.IMPORTS, Permission.RESTORE,
                       Permission.AUDIT, Permission.SETTINGS):  # fmt: skip
        assert roles_allowed(admin_only) == [Role.ADMINISTRATOR]


def test_a_refusal_names_the_action_the_roles_and_who_is_signed_in():
    front = Person("pat", "Pat Lee", Role.FRONT_DESK)
    assert refusal(front, Permission.VOID) == (
        "To void a visit you need the Administrator or Biller role; Pat Lee is signed in as "
        "Front desk."
    )
    assert refusal(front, Permission.FEES) == (
        "To change the fee schedule you need the Administrator role; Pat Lee is signed in as "
        "Front desk."
    )


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8 characters"),
        ("1234567", "at least 8 characters"),
        ("password", "most common passwords"),
        ("PassWord", "most common passwords"),
        ("12345678", "most common passwords"),
        ("aaaaaaaaaa", "one character repeated"),
        ("x" * 129, "at most 128"),
        ("avery.demo", "the account's name"),
    ],
)
def test_a_password_is_refused_for_length_commonness_or_the_name_only(password, problem):
    found = password_problem(password, name="Avery.Demo", common=COMMON)
    assert found is not None and problem in found


@pytest.mark.parametrize(
    "password", ["correct horse battery", "abcdefgh", "ALLCAPSNODIGITS", "naïve café 2026"]
)
def test_no_composition_rules(password):
    assert password_problem(password, name="pat", common=COMMON) is None


def test_unicode_is_compared_in_one_form():
    composed, decomposed = "caf\u00e9caf\u00e9", "cafe\u0301cafe\u0301"
    assert password_problem(decomposed, common={composed}) is not None


def test_failed_sign_ins_slow_down_after_five_in_a_row():
    assert [sign_in_delay(n) for n in range(0, 5)] == [0, 0, 0, 0, 0]
    assert [sign_in_delay(n) for n in range(5, 10)] == [2, 4, 8, 16, 32]
    assert sign_in_delay(40) == 300
