"""What each service call needs: one table from every public method of every service class
to the Permission it needs (core.accounts.MATRIX says which roles have it), applied to the
classes themselves, so the roles hold for every call however the service was built
(through Clinic, or SuperbillService(clinic.ctx) as the window and the commands do).

Why one table rather than a check in each method: the services are being reshaped often,
and a method missing here is caught by a test (tests/services/test_permissions.py walks
every service class) instead of silently running unchecked.

Only the outermost call is checked: a service calling another (SuperbillService reading a
visit through VisitService) does so on behalf of the call already allowed. The signed-in
person is the one of the service's ServiceContext; None is the maintenance context
(seeding, set-up, tests of the layers below), which is refused nothing.

Therapists work on their own visits only: where a method names a visit (its id, a line's id,
a payment's id) the visit's provider must be the one linked to the account
(accounts.provider_id), a new visit is theirs, and lists of visits keep only theirs.
Everyone with Permission.EVERY_VISIT (biller, front desk, administrator) is not limited so.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from otdesk.core.accounts import Permission, Person, own_visit_refusal, refusal
from otdesk.services.errors import PermissionDeniedError
from otdesk.storage import schema as s

# The ids of the ServiceContexts whose call is under way in this thread (or task).
_inside: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar(
    "otdesk_service_call", default=frozenset()
)


@dataclass(frozen=True, slots=True)
class Needs:
    """What one method needs. `permission` None: anyone signed in. `visit`: the argument
    naming a visit a therapist must own ("visit_id", "line_id", "payment_id"), or
    "provider_id" (the provider a new visit or form is for); `own_results`: a list of
    visits, of which a therapist sees their own only."""

    permission: Permission | None
    visit: str | None = None
    own_results: bool = False


ANYONE = Needs(None)


def _n(permission: Permission | None, visit: str | None = None, own: bool = False) -> Needs:
    return Needs(permission, visit, own)


P = Permission
# class name -> method -> what it needs. Keep it in step with the services: the test named
# above fails when a public method is missing or a listed one no longer exists.
TABLE: dict[str, dict[str, Needs]] = {
    "AccountService": {
        # names and roles (no passwords): the lock screen and the audit log's filter show them
        "list": ANYONE,
        "get": ANYONE,
        "count": ANYONE,
        # sign-in and the lock screen check a name and password while someone (or no one)
        # is signed in: the password is the proof
        "verify_sign_in": ANYONE,
        "authenticate": ANYONE,
        "create_first_administrator": ANYONE,  # refused once any account exists
        "add": _n(P.PEOPLE),
        "update": _n(P.PEOPLE),
        "disable": _n(P.PEOPLE),
        "enable": _n(P.PEOPLE),
        "reset_password": _n(P.PEOPLE),
        "change_own_password": ANYONE,
        "lock_minutes": ANYONE,
        "set_lock_minutes": _n(P.PEOPLE),
    },
    "AuditService": {
        "entries": _n(P.AUDIT),
        "visit_history": _n(None, "visit_id"),
    },
    # the parts other services are built from (or call), guarded the same way when used
    # on their own
    "ClaimSettingsService": {
        "settings": _n(P.CLAIMS),
        "save_settings": _n(P.SETTINGS),
        "set_payer": _n(P.PAYERS),
    },
    "SuperbillSettingsService": {
        "settings": ANYONE,
        "save_settings": _n(P.SETTINGS),
        "save_all": _n(P.SETTINGS),
        "check_image": ANYONE,
        "set_logo": _n(P.SETTINGS),
        "logo": ANYONE,
        "set_signature": _n(P.SETTINGS),
        "signature": ANYONE,
    },
    "PaymentService": {
        "record": _n(P.PAYMENTS, "visit_id"),
        "remove": _n(P.PAYMENTS, "payment_id"),
    },
    "ClaimService": {
        "settings": _n(P.CLAIMS),
        "save_settings": _n(P.SETTINGS),
        "set_payer": _n(P.PAYERS),
        "plan": _n(P.CLAIMS),
        "claim_for": _n(P.CLAIMS),
        "create_file": _n(P.CLAIMS),
        "files": _n(P.CLAIMS),
        "file": _n(P.CLAIMS),
        "claims_in": _n(P.CLAIMS),
        "history": _n(None, "visit_id"),
        "status": _n(None, "visit_id"),
        "set_payer_claim_number": _n(P.CLAIMS),
    },
    "ClinicCodeService": {
        "list": ANYONE,
        "get": ANYONE,
        "add": _n(P.PRACTICE),
        "update": _n(P.PRACTICE),
        "remove": _n(P.PRACTICE),
        "search_catalog": ANYONE,
    },
    "Cms1500Service": {
        "calibration": _n(P.CLAIMS),
        "save_calibration": _n(P.SETTINGS),
        "alignment_page": _n(P.CLAIMS),
        "forms": _n(P.CLAIMS),
        "day_visits": _n(P.CLAIMS),
        "record": _n(P.CLAIMS),
    },
    "FeeScheduleService": {
        "add": _n(P.FEES),
        "update": _n(P.FEES),
        "remove": _n(P.FEES),
        "list": ANYONE,
        "quote": ANYONE,
        "import_csv": _n(P.IMPORTS),
        "export_csv": _n(P.EXPORTS),
    },
    "PatientService": {
        "create": _n(P.PATIENTS),
        "update": _n(P.PATIENTS),
        "get": ANYONE,
        "search": ANYONE,
        "add_policy": _n(P.PATIENTS),
        "update_policy": _n(P.PATIENTS),
        "remove_policy": _n(P.PATIENTS),
        "policies": ANYONE,
        "add_plan_of_care": _n(P.PATIENTS),
        "update_plan_of_care": _n(P.PATIENTS),
        "record_progress_report": _n(P.PATIENTS),
        "plans_of_care": ANYONE,
        "import_csv": _n(P.IMPORTS),
        "export_csv": _n(P.EXPORTS),
    },
    "PracticeService": {
        "get": ANYONE,
        "save": _n(P.PRACTICE),
    },
    "ProviderService": {
        "create": _n(P.PRACTICE),
        "update": _n(P.PRACTICE),
        "get": ANYONE,
        "list": ANYONE,
    },
    "PayerService": {
        "create": _n(P.PAYERS),
        "update": _n(P.PAYERS),
        "get": ANYONE,
        "list": ANYONE,
    },
    "SuperbillService": {
        "settings": ANYONE,
        "save_settings": _n(P.SETTINGS),
        "save_all": _n(P.SETTINGS),
        "check_image": ANYONE,
        "set_logo": _n(P.SETTINGS),
        "logo": ANYONE,
        "set_signature": _n(P.SETTINGS),
        "signature": ANYONE,
        "prepare": _n(P.SUPERBILL, "visit_id"),
        "data": _n(P.SUPERBILL, "visit_id"),
        "check": _n(P.SUPERBILL, "visit_id"),
        "render": _n(P.SUPERBILL, "visit_id"),
        "issue": _n(P.SUPERBILL, "visit_id"),
        "history": _n(None, "visit_id"),
        "batch_visits": _n(P.BATCH_SUPERBILLS),
        "plan_batch": _n(P.BATCH_SUPERBILLS),
        "issue_batch": _n(P.BATCH_SUPERBILLS),
        "render_batch": _n(P.BATCH_SUPERBILLS),
        "record_printed": _n(P.BATCH_SUPERBILLS),
        "encounter_form": _n(P.SUPERBILL, "provider_id"),
        "record_encounter_form": _n(P.SUPERBILL),
    },
    "TimerService": {
        "start": _n(P.VISIT_EDIT, "line_id"),
        "switch": _n(P.VISIT_EDIT, "line_id"),
        "pause": _n(P.VISIT_EDIT, "line_id"),
        "stop": _n(P.VISIT_EDIT, "line_id"),
        "take_over": _n(P.VISIT_EDIT, "line_id"),
        "states": _n(None, "visit_id"),
    },
    "VisitService": {
        "day": _n(None, own=True),
        "between": _n(None, own=True),
        "for_patient": _n(None, own=True),
        "versions": _n(None, "visit_id"),
        "get": _n(None, "visit_id"),
        "create": _n(P.VISIT_NEW, "provider_id"),
        "update": _n(P.VISIT_EDIT, "visit_id"),
        "delete_draft": _n(P.VISIT_EDIT, "visit_id"),
        "add_line": _n(P.VISIT_EDIT, "visit_id"),
        "update_line": _n(P.VISIT_EDIT, "line_id"),
        "remove_line": _n(P.VISIT_EDIT, "line_id"),
        "move_line": _n(P.VISIT_EDIT, "line_id"),
        "set_diagnoses": _n(P.VISIT_EDIT, "visit_id"),
        "add_diagnosis": _n(P.VISIT_EDIT, "visit_id"),
        "remove_diagnosis": _n(P.VISIT_EDIT, "visit_id"),
        "restore": _n(P.VISIT_EDIT, "visit_id"),
        "apply_fix": _n(P.VISIT_EDIT, "visit_id"),
        "finalize": _n(P.FINALIZE, "visit_id"),
        "void": _n(P.VOID, "visit_id"),
        "amend": _n(P.AMEND, "visit_id"),
        "record_payment": _n(P.PAYMENTS, "visit_id"),
        "remove_payment": _n(P.PAYMENTS, "payment_id"),
        "export_csv": _n(P.EXPORTS),
    },
}


def public_methods(cls: type) -> list[str]:
    """The methods a caller may use: plain functions defined in the class, not _private
    (properties, static and class methods are not service calls)."""
    names: dict[str, None] = {}
    # a service built from parts (SuperbillService from its settings, issuing, batches and
    # forms; VisitService from its edits, undo and fixes): their methods are its methods
    for part in cls.__mro__:
        if part is object or not part.__module__.startswith("otdesk.services"):
            continue
        for name, value in vars(part).items():
            if not name.startswith("_") and inspect.isfunction(value):
                names.setdefault(name)
    return list(names)


def service_classes() -> list[type]:
    """Every service class: a class named ...Service defined in a module of
    otdesk.services (every module is imported, so a new one is found too)."""
    import importlib
    import pkgutil

    import otdesk.services as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and name.endswith("Service")
                and (value.__module__ == module.__name__)
            ):
                found.append(value)
    return found


# --- enforcing ---------------------------------------------------------------------------


def check(person: Person | None, permission: Permission | None) -> None:
    """Refuse (PermissionDeniedError, naming the role needed) when `person`'s role does not
    allow `permission`; anyone signed in may do what needs None; no one signed in (the
    maintenance context) is refused nothing."""
    if person is not None and permission is not None and not person.may(permission):
        raise PermissionDeniedError(refusal(person, permission))


def _limited(person: Person | None) -> bool:
    return person is not None and not person.may(Permission.EVERY_VISIT)


def _provider_of(ctx: Any, kind: str, value: Any) -> int | None:
    """The provider of the visit `value` names (a visit, line or payment id), None when
    there is no such visit (the method then says so itself)."""
    visits = s.visits
    if kind == "visit_id":
        query = select(visits.c.provider_id).where(visits.c.id == value)
    elif kind == "line_id":
        lines = s.charge_lines
        query = (
            select(visits.c.provider_id)
            .join(lines, lines.c.visit_id == visits.c.id)
            .where(lines.c.id == value)
        )
    elif kind == "payment_id":
        payments = s.payments
        query = (
            select(visits.c.provider_id)
            .join(payments, payments.c.visit_id == visits.c.id)
            .where(payments.c.id == value)
        )
    else:  # TABLE names only the kinds above
        raise ValueError(kind)
    with ctx.db.read() as connection:
        return connection.execute(query).scalar()


def _check_own(ctx: Any, needs: Needs, bound: inspect.BoundArguments) -> None:
    person = ctx.person
    value = bound.arguments.get(needs.visit or "")
    if needs.visit == "provider_id":
        if value is not None and value != person.provider_id:
            raise PermissionDeniedError(own_visit_refusal(person))
        return
    if value is None:
        return
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        return  # the method refuses a malformed id in its own words
    provider = _provider_of(ctx, str(needs.visit), wanted)
    if provider is not None and provider != person.provider_id:
        raise PermissionDeniedError(own_visit_refusal(person))


def _own_only(person: Person, result: Any) -> Any:
    if isinstance(result, list):
        return [item for item in result if getattr(item, "provider_id", None) == person.provider_id]
    return result


def guarded(method: Callable[..., Any], needs: Needs) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        ctx = self.ctx
        inside = _inside.get()
        person = ctx.person
        if person is None or id(ctx) in inside:
            return method(self, *args, **kwargs)
        check(person, needs.permission)
        if needs.visit and _limited(person):
            _check_own(ctx, needs, signature.bind(self, *args, **kwargs))
        token = _inside.set(inside | {id(ctx)})
        try:
            result = method(self, *args, **kwargs)
        finally:
            _inside.reset(token)
        if needs.own_results and _limited(person):
            return _own_only(person, result)
        return result

    call.__otdesk_needs__ = needs  # type: ignore[attr-defined]
    return call


def needs_of(cls: type, name: str) -> Needs | None:
    """What the (applied) method needs, or None when it is not guarded."""
    return getattr(vars(cls).get(name), "__otdesk_needs__", None)


def apply(*classes: type) -> None:
    """Guard every method TABLE lists on these classes (once; applying again changes
    nothing). Each service module calls it for its classes at its end."""
    for cls in classes:
        for name, needs in TABLE.get(cls.__name__, {}).items():
            method = inspect.getattr_static(cls, name, None)  # its own, or a part's
            # static methods touch no data (and take no self to find the person by)
            if not inspect.isfunction(method) or needs_of(cls, name) is not None:
                continue
            setattr(cls, name, guarded(method, needs))
