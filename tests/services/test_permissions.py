"""The roles, enforced in the services (issue 15 item 2): every public method of every
service checks what it needs; each role a permission leaves out is refused with the
sentence naming the role needed; therapists see and change their own visits only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from otdesk.core.accounts import MATRIX, Permission, Person, Role, refusal
from otdesk.services import maintenance, permissions
from otdesk.services.clinic import Clinic
from otdesk.services.clock import FixedClock
from otdesk.services.demo import install_demo
from otdesk.services.errors import PermissionDeniedError
from otdesk.services.superbills import SuperbillService
from otdesk.services.timers import TimerService
from tests.helpers.clinics import open_clinic

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
PEOPLE = {
    Role.ADMINISTRATOR: Person("ada", "Ada Admin", Role.ADMINISTRATOR),
    Role.BILLER: Person("bo", "Bo Ames", Role.BILLER),
    Role.FRONT_DESK: Person("pat", "Pat Lee", Role.FRONT_DESK),
    Role.THERAPIST: Person("avery", "Avery Demo", Role.THERAPIST, provider_id=1),
}


def _cases() -> list[tuple[str, str, Permission, Role]]:
    """(service class, method, permission, a role without it) for every refusal the table
    makes."""
    classes = {cls.__name__: cls for cls in permissions.service_classes()}
    cases = []
    for class_name, methods in permissions.TABLE.items():
        assert class_name in classes, f"{class_name} is in the table but is no service class"
        for method, needs in methods.items():
            if needs.permission is None:
                continue
            for role in Role:
                if needs.permission not in MATRIX[role]:
                    cases.append((class_name, method, needs.permission, role))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roles") / "demo"
    install_demo(folder, clock=FixedClock(NOW))
    return folder


@pytest.fixture
def clinic(demo, tmp_path):
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(demo, folder)
    opened = open_clinic(folder, FixedClock(NOW), user=None)
    yield opened
    opened.close()


def _service(clinic, class_name):
    cls = next(c for c in permissions.service_classes() if c.__name__ == class_name)
    return cls(clinic.ctx)


def test_every_public_method_of_every_service_is_in_the_table_and_guarded():
    classes = permissions.service_classes()
    names = {cls.__name__ for cls in classes}
    assert {"VisitService", "SuperbillService", "ClaimService", "AccountService"} <= names
    missing, stale, unguarded = [], [], []
    for cls in classes:
        listed = permissions.TABLE.get(cls.__name__, {})
        public = permissions.public_methods(cls)
        missing += [f"{cls.__name__}.{m}" for m in public if m not in listed]
        stale += [f"{cls.__name__}.{m}" for m in listed if m not in public]
        unguarded += [f"{cls.__name__}.{m}" for m in public if permissions.needs_of(cls, m) is None]
    assert missing == [], "add these to otdesk.services.permissions.TABLE"
    assert stale == [], "these are in the table but no longer in the service"
    assert unguarded == [], "call permissions.apply(...) at the end of their module"


def test_the_table_follows_the_matrix_of_the_issue():
    table = permissions.TABLE
    assert table["VisitService"]["void"].permission is Permission.VOID
    assert table["VisitService"]["amend"].permission is Permission.AMEND
    assert table["VisitService"]["finalize"].permission is Permission.FINALIZE
    assert table["PayerService"]["create"].permission is Permission.PAYERS
    assert table["FeeScheduleService"]["add"].permission is Permission.FEES
    assert table["FeeScheduleService"]["import_csv"].permission is Permission.IMPORTS
    assert table["SuperbillService"]["issue_batch"].permission is Permission.BATCH_SUPERBILLS
    assert table["ClaimService"]["create_file"].permission is Permission.CLAIMS
    assert table["AuditService"]["entries"].permission is Permission.AUDIT


@pytest.mark.parametrize(
    ("class_name", "method", "permission", "role"),
    CASES,
    ids=[f"{c}.{m}-{r.value}" for c, m, _, r in CASES],
)
def test_a_role_without_the_permission_is_refused_naming_the_role(
    clinic, class_name, method, permission, role
):
    person = PEOPLE[role]
    clinic.sign_in_as(person)
    service = _service(clinic, class_name)
    with pytest.raises(PermissionDeniedError) as refused:
        getattr(service, method)()  # refused before the arguments are even looked at
    assert str(refused.value) == refusal(person, permission)
    assert "you need the" in str(refused.value) and role.label in str(refused.value)


@pytest.mark.parametrize("role", list(Role))
def test_a_role_with_the_permission_gets_past_the_check(clinic, role):
    """The check refuses only the roles the matrix leaves out: a role that has the
    permission reaches the method (which then wants its arguments)."""
    clinic.sign_in_as(PEOPLE[role])
    for class_name, methods in permissions.TABLE.items():
        service = _service(clinic, class_name)
        for method, needs in methods.items():
            if needs.permission is None or needs.permission not in MATRIX[role]:
                continue
            if needs.visit is None and method not in {"export_csv", "import_csv"}:
                continue  # without arguments some would do real work; these do not
            with pytest.raises(Exception) as stopped:
                getattr(service, method)()
            assert not isinstance(stopped.value, PermissionDeniedError), (class_name, method)


def test_the_front_desk_works_on_every_visit_but_cannot_void_amend_or_export(clinic):
    clinic.sign_in_as(PEOPLE[Role.FRONT_DESK])
    today = clinic.visits.day(NOW.date())
    assert len({v.provider_id for v in today}) > 1  # everyone's visits
    finalized = next(v for v in today if v.status == "finalized")
    draft = next(v for v in today if v.status == "draft")
    clinic.visits.update(draft.id, total_treatment_minutes=40)  # a change: allowed
    clinic.patients.update(draft.patient_id, phone="5035550142")
    clinic.sign_in_as(None)
    changed = clinic.audit.entries(limit=100_000)[-1]
    clinic.sign_in_as(PEOPLE[Role.FRONT_DESK])
    assert (changed.action, changed.user) == ("patient.update", "pat")  # in the person's name
    pdf = SuperbillService(clinic.ctx).render(finalized.id)  # inner calls are not re-checked
    assert pdf.startswith(b"%PDF-")
    with pytest.raises(
        PermissionDeniedError, match="To void a visit you need the Administrator or Biller role"
    ):
        clinic.visits.void(finalized.id, "entered twice")
    with pytest.raises(PermissionDeniedError, match="To amend a visit you need"):
        clinic.visits.amend(finalized.id, "wrong code")
    with pytest.raises(PermissionDeniedError, match="To finalize a visit you need"):
        clinic.visits.finalize(draft.id)


def test_a_therapist_sees_and_changes_only_their_own_visits(clinic):
    everyone = clinic.visits.day(NOW.date())
    providers = {v.provider_id for v in everyone}
    own_id = next(iter(sorted(providers)))
    therapist = Person("avery", "Avery Demo", Role.THERAPIST, provider_id=own_id)
    own = [v for v in everyone if v.provider_id == own_id]
    others = [v for v in everyone if v.provider_id != own_id]
    assert own and others
    clinic.sign_in_as(therapist)

    assert [v.id for v in clinic.visits.day(NOW.date())] == [v.id for v in own]
    assert all(v.provider_id == own_id for v in clinic.visits.between(NOW.date(), NOW.date()))
    patient = others[0].patient_id
    mine = {v.id for v in clinic.visits.for_patient(patient)}
    clinic.sign_in_as(None)
    history = clinic.visits.for_patient(patient)
    clinic.sign_in_as(therapist)
    assert mine == {v.id for v in history if v.provider_id == own_id}
    assert len(history) > len(mine)

    assert clinic.visits.get(own[0].id).provider_id == own_id
    other = next(v for v in others if v.status == "draft")
    other_detail = None
    clinic.sign_in_as(None)
    other_detail = clinic.visits.get(other.id)
    clinic.sign_in_as(therapist)
    only_own = "only their own visits"
    for attempt in (
        lambda: clinic.visits.get(other.id),
        lambda: clinic.visits.versions(other.id),
        lambda: clinic.visits.update(other.id, total_treatment_minutes=30),
        lambda: clinic.visits.add_line(other.id, "97110"),
        lambda: clinic.visits.finalize(other.id),
        lambda: clinic.audit.visit_history(other.id),
        lambda: SuperbillService(clinic.ctx).render(other.id),
        lambda: clinic.visits.create(
            other.patient_id, provider_id=other.provider_id, date_of_service=NOW.date()
        ),
    ):
        with pytest.raises(PermissionDeniedError, match=only_own):
            attempt()
    if other_detail.lines:
        line = other_detail.lines[0].id
        with pytest.raises(PermissionDeniedError, match=only_own):
            clinic.visits.update_line(line, minutes=20)
        with pytest.raises(PermissionDeniedError, match=only_own):
            TimerService(clinic.ctx).start(line)

    own_draft = next(v for v in own if v.status == "draft")
    changed = clinic.visits.update(own_draft.id, total_treatment_minutes=45)
    assert changed.total_treatment_minutes == 45
    made = clinic.visits.create(own[0].patient_id, provider_id=own_id, date_of_service=NOW.date())
    assert made.provider_id == own_id
    with pytest.raises(PermissionDeniedError, match="To void a visit you need"):
        clinic.visits.void(own[0].id, "no")


def test_maintenance_needs_the_backup_and_restore_roles(tmp_path):
    from tests.helpers.keys import write_test_keys

    folder = tmp_path / "clinic"
    folder.mkdir()
    made = write_test_keys(folder / "otdesk.db")
    key = made.key
    clock = FixedClock(NOW)
    Clinic.open(folder, clock=clock, key=key, daily_backup=False).close()
    for role in (Role.FRONT_DESK, Role.THERAPIST):
        person = PEOPLE[role]
        for call in (
            lambda p=person: maintenance.backup_now(folder, clock=clock, key=key, person=p),
            lambda p=person: maintenance.backups(folder, key=key, person=p),
            lambda p=person: maintenance.check(folder, key=key, person=p),
        ):
            with pytest.raises(PermissionDeniedError, match="To make or check backups you need"):
                call()
    biller = PEOPLE[Role.BILLER]
    backup = maintenance.backup_now(folder, clock=clock, key=key, person=biller)
    assert _actions_by(folder, key, clock)[-1] == ("backup", "bo")
    with pytest.raises(
        PermissionDeniedError, match="To restore a backup you need the Administrator role"
    ):
        maintenance.restore(backup, folder, clock=clock, key=key, person=biller)
    report = maintenance.restore(
        backup,
        folder,
        clock=clock,
        key=key,
        unlock=made.unlock(),
        person=PEOPLE[Role.ADMINISTRATOR],
    )
    # the restored clinic is the backup's (made before its own entry) plus the restore
    assert _actions_by(folder, report.key or key, clock)[-1] == ("restore", "ada")


def _actions_by(folder, key, clock):
    from otdesk.services.audit import AuditService

    with Clinic.open(folder, clock=clock, key=key, daily_backup=False) as clinic:
        entries = AuditService(clinic.ctx).entries(limit=100)
    return [(e.action, e.user) for e in sorted(entries, key=lambda e: e.id)]
