"""People and what they may do: roles, the permission each action needs, the password rules
(NIST SP 800-63B) and the pace of failed sign-ins. Plain data and functions; the services
enforce them (a refused action never reaches storage) and the window only hides what a
role cannot use.

The roles follow a small outpatient clinic's desks (HIPAA Security Rule, 45 CFR 164.312(a):
unique user identification and access by role):
- Administrator: everything, and alone the practice set-up, people, payers, fee schedule,
  imports, restores, settings and the audit log.
- Biller: every visit (finalize, amend, void), payments, superbills one at a time and in
  batches, exports and claims, patients' insurance.
- Front desk: patients, new visits and their charges (drafts of any provider), payments,
  one visit's superbill.
- Therapist: their own visits (the provider linked to their account): enter and finalize.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    BILLER = "biller"
    FRONT_DESK = "front-desk"
    THERAPIST = "therapist"

    @property
    def label(self) -> str:
        return ROLE_TITLES[self]


ROLE_TITLES = {
    Role.ADMINISTRATOR: "Administrator",
    Role.BILLER: "Biller",
    Role.FRONT_DESK: "Front desk",
    Role.THERAPIST: "Therapist",
}


class Permission(StrEnum):
    """One kind of action; its value is how a refusal names the action."""

    PRACTICE = "change the practice, providers or clinic codes"
    PEOPLE = "manage people's accounts"
    PAYERS = "change payers"
    FEES = "change the fee schedule"
    IMPORTS = "import NCCI, MUE or fee schedule files"
    RESTORE = "restore a backup"
    BACKUP = "make or check backups"
    SETTINGS = "change the superbill, claim or printer settings"
    AUDIT = "read the audit log"
    PATIENTS = "add or change patients"
    VISIT_NEW = "start a visit"
    VISIT_EDIT = "change a draft visit"
    EVERY_VISIT = "work on another provider's visits"
    FINALIZE = "finalize a visit"
    AMEND = "amend a visit"
    VOID = "void a visit"
    PAYMENTS = "record or remove payments"
    SUPERBILL = "print a superbill"
    BATCH_SUPERBILLS = "print the superbills of several visits"
    EXPORTS = "export visits"
    CLAIMS = "make claim files or CMS-1500 forms"


_ALL = frozenset(Permission)
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: _ALL,
    Role.BILLER: frozenset(
        {
            Permission.PATIENTS,
            Permission.VISIT_NEW,
            Permission.VISIT_EDIT,
            Permission.EVERY_VISIT,
            Permission.FINALIZE,
            Permission.AMEND,
            Permission.VOID,
            Permission.PAYMENTS,
            Permission.SUPERBILL,
            Permission.BATCH_SUPERBILLS,
            Permission.EXPORTS,
            Permission.CLAIMS,
            Permission.BACKUP,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            Permission.PATIENTS,
            Permission.VISIT_NEW,
            Permission.VISIT_EDIT,
            Permission.EVERY_VISIT,
            Permission.PAYMENTS,
            Permission.SUPERBILL,
        }
    ),
    Role.THERAPIST: frozenset(
        {Permission.VISIT_NEW, Permission.VISIT_EDIT, Permission.FINALIZE, Permission.SUPERBILL}
    ),
}


@dataclass(frozen=True, slots=True)
class Person:
    """Who is signed in: the account's name, how it is shown, its role, and for a
    therapist the provider whose visits are theirs."""

    name: str
    display_name: str
    role: Role
    provider_id: int | None = None

    def may(self, permission: Permission) -> bool:
        return permission in MATRIX[self.role]

    @property
    def shown(self) -> str:
        return f"{self.display_name} ({self.role.label})"


def roles_allowed(permission: Permission) -> list[Role]:
    return [role for role in Role if permission in MATRIX[role]]


def refusal(person: Person, permission: Permission) -> str:
    """The sentence a refused action gets: what was refused, the roles that may, and who
    is signed in ("To void a visit you need the Biller or Administrator role; Pat Lee is
    signed in as Front desk.")."""
    titles = [role.label for role in roles_allowed(permission)]
    needed = titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " or " + titles[-1]
    return (
        f"To {permission.value} you need the {needed} role; {person.display_name} is signed "
        f"in as {person.role.label}."
    )


def own_visit_refusal(person: Person) -> str:
    return (
        f"{person.display_name} is signed in as {person.role.label}: only their own visits "
        "(where they are the provider) can be opened or changed. A biller or the front desk "
        "can work on the others."
    )


# --- passwords (NIST SP 800-63B section 5.1.1.2) --------------------------------------------

MIN_LENGTH = 8
MAX_LENGTH = 128  # SP 800-63B: at least 64 characters must be allowed


def normalize_password(password: str) -> str:
    """The form a password is hashed and compared in (NFKC, as SP 800-63B recommends for
    Unicode), so the same password typed on another keyboard layout still matches."""
    return unicodedata.normalize("NFKC", password)


def password_problem(password: str, *, name: str = "", common: Iterable[str] = ()) -> str | None:
    """Why a new password is refused, or None. Length and the list of common passwords
    only: no rules about digits or symbols (SP 800-63B), spaces allowed."""
    text = normalize_password(password)
    if len(text) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters; a short sentence works well."
    if len(text) > MAX_LENGTH:
        return f"A password can have at most {MAX_LENGTH} characters."
    folded = text.casefold()
    if name and folded == name.casefold():
        return "A password cannot be the account's name."
    if folded in common or folded.strip() in common:
        return (
            "That password is on the list of the most common passwords, which are tried first "
            "by anyone guessing; choose another (a short sentence works well)."
        )
    if len(set(folded)) == 1:
        return "A password cannot be one character repeated."
    return None


# --- failed sign-ins ----------------------------------------------------------------------

FREE_TRIES = 5
MAX_DELAY_SECONDS = 300


def sign_in_delay(failures_in_a_row: int) -> int:
    """Seconds to wait before the next try after that many failures in a row: none for the
    first five, then 2, 4, 8 ... seconds, at most five minutes (SP 800-63B 5.2.2: limit
    failed attempts without locking the account out for good)."""
    if failures_in_a_row < FREE_TRIES:
        return 0
    return min(2 ** (failures_in_a_row - FREE_TRIES + 1), MAX_DELAY_SECONDS)


# --- the idle lock --------------------------------------------------------------------------

DEFAULT_LOCK_MINUTES = 10
LOCK_MINUTES_RANGE = (1, 60)
