"""The demo clinic: an invented practice to try otdesk on (`otdesk demo`).

Everyone in it is invented ("Avery Demo", "Zoë Ng-Ødegård"); identifiers are made up and
only shaped like real ones (NPIs pass the check digit, member IDs look like MBIs). Dates
follow the clock: visits today (some finalized, some drafts) and over the past six weeks,
among them visits that raise each major finding: GO missing, 97140 with 97530 (NCCI pair),
KX threshold crossed, progress report due, assistant minutes without CO, a deleted code,
97014 for Medicare, a telehealth visit without its modifier.

Seeding goes through the services, like a person entering it, so the demo data is checked
and audited like any other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from otdesk.paths import cli_command
from otdesk.services.clinic import Clinic, database_path
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.errors import DemoRefusedError, FinalizeBlockedError
from otdesk.storage import schema as s
from otdesk.storage.database import open_database

DEMO_FLAG = "demo_clinic"
DEMO_USER = "otdesk-demo"


@dataclass(frozen=True, slots=True)
class DemoReport:
    path: Path
    today: date
    patients: int
    visits: int
    backup: Path | None  # the clinic data the demo replaced (with --force)
    replaced: str  # "new", "demo" or "clinic data"
    encrypted: bool = False
    # an encrypted demo made new: its recovery key (None: plain, or an earlier demo refilled)
    recovery_key: str | None = None


def is_demo(clinic: Clinic) -> bool:
    with clinic.db.read() as connection:
        return (
            connection.execute(select(s.meta.c.value).where(s.meta.c.key == DEMO_FLAG)).scalar()
            is not None
        )


def install_demo(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    clock: Clock | None = None,
    force: bool = False,
    path: Path | None = None,
    encrypted: bool = False,
) -> DemoReport:
    """Fill the database with the demo clinic. An empty database or an earlier demo is
    (re)filled; one holding clinic data is refused unless `force`, and then backed up
    (the backup is never pruned) before being replaced. A damaged or foreign file raises
    the storage error and is not touched.

    `encrypted` (what `otdesk demo` and the window make): the demo is an encrypted clinic
    whose administrator is DEMO_NAME with DEMO_PASSWORD (demo / demo, allowed for the demo
    alone: it holds invented people only); sign in with services.signin.sign_in. A plain
    demo (the default) is for the tests of the layers below the accounts."""
    clock = clock or SystemClock()
    database = path or database_path(data_dir)
    if encrypted:
        return _install_encrypted(database, clock, force)
    # Seeding makes some 500 small transactions: they are written with synchronous=NORMAL
    # (safe against a crash of the program, not of the computer), which takes seconds off.
    db = open_database(database, now=clock.now(), durable=False)
    with Clinic(db, clock=clock, user=DEMO_USER) as clinic:
        backup, demo, holds_data = _may_replace(clinic, clock, force)
        if holds_data or demo:
            clinic.db.reset()
        today = clock.now().date()
        patients, visits = _fill(clinic, today)
        replaced = "clinic data" if backup else "demo" if demo else "new"
        return DemoReport(clinic.db.path, today, patients, visits, backup, replaced)


def install_server_demo(
    address: str, *, desk_dir: Path, clock: Clock | None = None
) -> tuple[str, DemoReport]:
    """Fill the EMPTY database at `address` (a PostgreSQL server, issue 16) with the demo
    clinic, its administrator DEMO_NAME / DEMO_PASSWORD; returns the server (host:port/
    database) and the report. A database holding a clinic (the demo included: a server
    clinic is never emptied from a desk) or anything else is refused and not changed."""
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD
    from otdesk.storage.server import open_server

    clock = clock or SystemClock()
    db = open_server(address, desk_dir=desk_dir, create=True)
    with Clinic(db, clock=clock, user=DEMO_USER) as clinic:
        if not db.report.created:
            raise DemoRefusedError(
                f"The database {db.server} holds an otdesk clinic already; nothing was "
                "changed. The demo goes into an empty database of its own."
            )
        account = clinic.accounts.create_first_administrator(
            DEMO_NAME, "Demo administrator", DEMO_PASSWORD, demo=True
        )
        clinic.ctx.sign_in_as(account.person)
        today = clock.now().date()
        patients, visits = _fill(clinic, today)
        return db.server, DemoReport(db.path, today, patients, visits, None, "new")


def _may_replace(clinic: Clinic, clock: Clock, force: bool) -> tuple[Path | None, bool, bool]:
    """Whether the plain clinic open may become the demo: (the backup made of the clinic
    data it holds, whether it is an earlier demo, whether it holds data). Refuses clinic
    data without `force`."""
    counts = _counts(clinic)
    holds_data = any(counts.values())
    demo = is_demo(clinic)
    backup = None
    if holds_data and not demo:
        if not force:
            raise DemoRefusedError(
                f"{clinic.db.path} holds clinic data ({counts['patients']} patients, "
                f"{counts['visits']} visits) that is not the demo clinic; nothing was "
                "changed. Use another folder for the demo (`"
                + cli_command("demo", data_dir=clinic.db.path.parent / "demo")
                + "`), or replace the data with the demo clinic, after a backup that is "
                "kept (`" + cli_command("demo", "--force", data_dir=clinic.db.path.parent) + "`)."
            )
        backup = clinic.db.backup(now=clock.now(), reason="before-demo")
    return backup, demo, holds_data


def _fill(clinic: Clinic, today: date) -> tuple[int, int]:
    # Flag first: a seeding cut short still leaves a database known to be the demo.
    with clinic.db.write() as connection:
        connection.execute(
            insert(s.meta).values(key=DEMO_FLAG, value=f"seeded for {today.isoformat()}")
        )
    return seed(clinic, today)


def _install_encrypted(database: Path, clock: Clock, force: bool) -> DemoReport:
    from otdesk.services import signin
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD, SignInError
    from otdesk.storage.encrypt import clinic_state

    state = clinic_state(database)
    backup = None
    replaced = "new"
    recovery: str | None = None
    if state == "encrypted":
        # an earlier demo opens with the demo's password; anything else is a real clinic
        try:
            clinic = signin.sign_in(
                None, DEMO_NAME, DEMO_PASSWORD, path=database, clock=clock, durable=False
            )
        except SignInError:
            clinic = None
        if clinic is not None and not is_demo(clinic):
            clinic.close()
            clinic = None
        if clinic is None:
            raise DemoRefusedError(
                f"{database} is an encrypted clinic that is not the demo; nothing was changed. "
                "Use another folder for the demo (`"
                + cli_command("demo", data_dir=database.parent / "demo")
                + "`)."
            )
        replaced = "demo"
        with clinic:
            clinic.db.reset()
            clinic.ctx.sign_in_as(None)  # the reset emptied the accounts: set up anew
            clinic.accounts.create_first_administrator(
                DEMO_NAME, "Demo administrator", DEMO_PASSWORD, demo=True
            )
            return _seeded(clinic, clock, backup, replaced, None)
    if state == "plain":
        db = open_database(database, now=clock.now(), durable=False, daily_backup=False)
        with Clinic(db, clock=clock, user=DEMO_USER) as plain:
            backup, demo, holds_data = _may_replace(plain, clock, force)
        replaced = "clinic data" if backup else "demo" if demo else "new"
        for suffix in ("", "-wal", "-shm", "-journal"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    clinic, key = signin.create_clinic(
        None,
        DEMO_NAME,
        "Demo administrator",
        DEMO_PASSWORD,
        path=database,
        clock=clock,
        demo=True,
        durable=False,
    )
    recovery = str(key)
    with clinic:
        return _seeded(clinic, clock, backup, replaced, recovery)


def _seeded(
    clinic: Clinic, clock: Clock, backup: Path | None, replaced: str, recovery: str | None
) -> DemoReport:
    today = clock.now().date()
    patients, visits = _fill(clinic, today)
    return DemoReport(clinic.db.path, today, patients, visits, backup, replaced, True, recovery)


def _counts(clinic: Clinic) -> dict[str, int]:
    tables = {
        "patients": s.patients,
        "visits": s.visits,
        "providers": s.providers,
        "payers": s.payers,
        "fees": s.fee_schedule,
        "practice": s.practice,
    }
    with clinic.db.read() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(table)).scalar() or 0
            for name, table in tables.items()
        }


# --- the invented clinic -------------------------------------------------------------------

# code: (clinic charge, Medicare allowed, Medicaid allowed) per unit; invented round figures
# in the range of published fee schedules, not any payer's real amounts.
FEES: dict[str, tuple[str, str | None, str | None]] = {
    "97165": ("185.00", "104.50", "88.00"),
    "97166": ("185.00", "104.50", "88.00"),
    "97167": ("185.00", "104.50", "88.00"),
    "97168": ("120.00", "71.20", "60.00"),
    "97161": ("180.00", "101.00", "85.00"),
    "97110": ("62.00", "31.12", "26.00"),
    "97112": ("66.00", "35.60", "29.00"),
    "97140": ("58.00", "28.90", "24.00"),
    "97530": ("72.00", "36.30", "30.50"),
    "97535": ("68.00", "34.00", "28.50"),
    "97542": ("64.00", "31.00", "26.00"),
    "97760": ("78.00", "44.20", "37.00"),
    "97763": ("80.00", "45.90", "38.00"),
    "97129": ("60.00", "25.80", "21.00"),
    "97130": ("52.00", "24.70", "20.00"),
    "97150": ("40.00", "17.50", "14.00"),
    "97018": ("20.00", "4.30", None),
    "97010": ("15.00", None, None),
    "97014": ("25.00", None, "9.00"),
    "G0283": ("25.00", "9.80", "8.00"),
    "97035": ("28.00", "12.90", "10.00"),
}

PATIENTS = [
    # last, first, date of birth, sex, payer key, member id
    ("Ng-Ødegård", "Zoë", "1949-04-03", "F", "medicare", "1EG4-TE5-MK73"),
    ("Núñez", "José", "1947-11-21", "M", "medicare", "2FH5-UF6-NL84"),
    ("Demo", "Riley", "1952-06-30", "X", "medicare", "3GJ6-VG7-PM95"),
    ("Example", "Jordan", "1944-01-15", "M", "medicare", "4HK7-WH8-QN16"),
    ("Sample", "Morgan", "1950-09-09", "F", "medicare", "5JM8-XJ9-RP27"),
    ("Dubois-Demo", "Renée", "1956-02-28", "F", "medicare", "6KN9-YK1-TQ38"),
    ("Demo", "Łukasz", "1948-12-01", "M", "medicare", "7MP1-AM2-UR49"),
    ("Testcase", "Taylor", "1985-03-17", "F", "commercial", "EVG-100234"),
    ("Placeholder", "Sam", "1990-07-04", "M", "commercial", "EVG-100871"),
    ("Ó Demo", "Siobhán", "1979-10-31", "F", "commercial", "EVG-101502"),
    ("Example", "Priya", "1994-05-22", "F", "commercial", "EVG-102113"),
    ("Sample", "Dev", "2001-08-13", "M", "commercial", "EVG-102977"),
    ("Muñoz-Demo", "Inés", "2015-04-02", "F", "medicaid", "CMD-55501"),
    ("Demo", "Kai", "2017-11-11", "M", "medicaid", "CMD-55502"),
    ("Example", "Amara", "2012-01-25", "F", "medicaid", "CMD-55503"),
    ("Sample", "Noah", "1999-12-12", "M", "self-pay", ""),
    ("Testcase", "Lena", "1962-06-06", "F", "commercial", "EVG-103340"),
    ("Demo", "Mei", "1958-03-03", "F", "medicare", "8NQ2-BN3-VT51"),
    ("Example", "Omar", "1953-09-27", "M", "medicare", "9PR3-CP4-WU62"),
    ("Sample", "Grace", "1946-05-05", "F", "medicare", "1QT4-DQ5-XV73"),
]

# Patients insured through someone else's plan (first name: relationship, subscriber).
SUBSCRIBERS = {"Priya": ("spouse", "Rohan Example"), "Dev": ("child", "Jamie Sample")}

OT_NPI = "1234567893"
OTA_NPI = "1245319599"
PT_NPI = "1679576722"
GROUP_NPI = "1497758544"


def seed(clinic: Clinic, today: date) -> tuple[int, int]:
    """Enter the demo clinic; returns (patients, visits)."""
    c = clinic
    c.practice.save(
        name="Harbor Hands Occupational Therapy (Demo)",
        address1="100 Example Way",
        address2="Suite 200",
        city="Portland",
        state="OR",
        postal_code="97201-3344",  # claims need the billing provider's ZIP+4
        phone="503-555-0100",
        tin="12-3456789",
        group_npi=GROUP_NPI,
        taxonomy="225X00000X",
    )
    ot = c.providers.create(
        last_name="Demo",
        first_name="Avery",
        credentials="OTR/L",
        role="OT",
        npi=OT_NPI,
        license_number="OT-10001",
        license_state="OR",
        taxonomy="225X00000X",
    ).id
    ota = c.providers.create(
        last_name="Demo",
        first_name="Blake",
        credentials="COTA",
        role="OTA",
        npi=OTA_NPI,
        license_number="OTA-20002",
        license_state="OR",
        taxonomy="224Z00000X",
        supervisor_id=ot,
    ).id
    pt = c.providers.create(
        last_name="Example",
        first_name="Casey",
        credentials="DPT",
        role="PT",
        npi=PT_NPI,
        license_number="PT-30003",
        license_state="OR",
        taxonomy="225100000X",
    ).id
    payers = {
        "medicare": c.payers.create(
            name="Medicare Part B (Demo)", kind="medicare", unit_rule="cms", payer_code="MCRDEMO"
        ).id,
        "commercial": c.payers.create(
            name="Evergreen Health Plan (Demo)",
            kind="commercial",
            unit_rule="per-code",
            payer_code="EVGDEMO",
            therapy_modifiers_required=False,
        ).id,
        "medicaid": c.payers.create(
            name="Cascade Medicaid (Demo)",
            kind="medicaid",
            unit_rule="cms",
            payer_code="CMDDEMO",
            therapy_modifiers_required=True,
        ).id,
        "self-pay": c.payers.create(name="Self-pay", kind="self-pay", unit_rule="per-code").id,
    }
    for code, (charge, medicare, medicaid) in FEES.items():
        c.fees.add(code, charge=charge)
        if medicare:
            c.fees.add(code, allowed=medicare, payer_id=payers["medicare"])
        if medicaid:
            c.fees.add(code, allowed=medicaid, payer_id=payers["medicaid"])

    start = today - timedelta(days=45)
    patient_ids: list[int] = []
    for index, (last, first, born, sex, payer, member) in enumerate(PATIENTS):
        patient = c.patients.create(
            last_name=last,
            first_name=first,
            date_of_birth=born,
            sex=sex,
            address1=f"{200 + index * 7} Sample Street",
            city="Portland",
            state="OR",
            postal_code="97202",
            phone=f"503-555-01{index + 10:02d}",
        )
        patient_ids.append(patient.id)
        if payer != "self-pay":
            relationship, subscriber = SUBSCRIBERS.get(first, ("self", ""))
            c.patients.add_policy(
                patient.id,
                payer_id=payers[payer],
                member_id=member,
                relationship=relationship,
                subscriber_name=subscriber,
            )
        discipline = "PT" if index in (4, 16) else "OT"
        c.patients.add_plan_of_care(
            patient.id,
            discipline=discipline,
            start_date=start,
            certified_through=start + timedelta(days=89),
            last_progress_report=today - timedelta(days=12),
            referring_name="Dr. Rowan Example, MD",
            referring_npi=OT_NPI,
        )
    _claim_settings(c)
    demo = _Seeder(c, today, ot=ot, ota=ota, pt=pt)
    return len(patient_ids), demo.visits(patient_ids)


def _claim_settings(c: Clinic) -> None:
    """An invented clearinghouse, so Billing > Create claim file works in the demo (test
    files only: the usage indicator stays T)."""
    from otdesk.services.claims import ClaimService

    ClaimService(c.ctx).save_settings(
        submitter_name="Harbor Hands Occupational Therapy (Demo)",
        submitter_id="HHOTDEMO",
        submitter_qualifier="ZZ",
        contact_name="Avery Demo",
        contact_phone="503-555-0100",
        contact_email="billing@example.com",
        receiver_name="Example Clearinghouse (Demo)",
        receiver_id="EXCLEARDEMO",
        receiver_qualifier="ZZ",
        usage="T",
    )


@dataclass
class _Seeder:
    c: Clinic
    today: date
    ot: int
    ota: int
    pt: int
    count: int = 0
    slots: dict[date, int] = field(default_factory=dict)  # appointments given per day

    def visit(
        self,
        patient: int,
        day: date,
        lines: list[dict[str, Any]],
        *,
        provider: int | None = None,
        diagnoses: tuple[str, ...] = ("M62.81",),
        finalize: bool = True,
        pos: str = "11",
        payment: str | None = None,
    ) -> int:
        visit = self.c.visits.create(
            patient,
            provider_id=provider or self.ot,
            date_of_service=day,
            place_of_service=pos,
            total_treatment_minutes=sum(line.get("minutes", 0) for line in lines) or None,
            appointment_time=self._next_slot(day),
        )
        self.c.visits.set_diagnoses(visit.id, list(diagnoses))
        for line in lines:
            pointers = "A" if diagnoses else ""
            self.c.visits.add_line(visit.id, line.pop("code"), dx_pointers=pointers, **line)
        if payment:
            self.c.visits.record_payment(visit.id, payment, kind="copay", method="card")
        if finalize:
            try:
                self.c.visits.finalize(visit.id)
            except FinalizeBlockedError:
                self.c.visits.finalize(visit.id, override_reason="demo history")
        self.count += 1
        return visit.id

    def _next_slot(self, day: date) -> time:
        """The day's next appointment: from 8:00, every 30 minutes (wrapping at 17:30)."""
        taken = self.slots.get(day, 0)
        self.slots[day] = taken + 1
        minutes = 8 * 60 + (taken % 20) * 30
        return time(minutes // 60, minutes % 60)

    def visits(self, patients: list[int]) -> int:
        today = self.today
        go = ["GO"]
        routine = [
            [
                {"code": "97110", "minutes": 23, "modifiers": go},
                {"code": "97535", "minutes": 15, "modifiers": go},
            ],
            [
                {"code": "97530", "minutes": 30, "modifiers": go},
                {"code": "97112", "minutes": 15, "modifiers": go},
            ],
            [{"code": "97535", "minutes": 38, "modifiers": go}],
        ]
        # Past weeks: two visits a week for the first dozen patients, finalized.
        for week in range(1, 6):
            for index, patient in enumerate(patients[:12]):
                day = today - timedelta(days=7 * week + index % 5)
                if index in (4,):  # the PT patient
                    lines = [{"code": "97110", "minutes": 30, "modifiers": ["GP"]}]
                    self.visit(patient, day, lines, provider=self.pt)
                    continue
                self.visit(patient, day, [dict(line) for line in routine[(week + index) % 3]])

        zoe, jose, riley, jordan, morgan, renee, lukasz = patients[:7]
        taylor, sam, siobhan, priya, dev, ines, kai = patients[7:14]
        mei, omar, grace = patients[17:20]

        # Progress report due: Mei has 9 treatment days since her last report (12 days ago).
        for back in range(11, 2, -1):
            day = today - timedelta(days=back)
            self.visit(mei, day, [{"code": "97530", "minutes": 30, "modifiers": go}])
        # KX: Omar's allowed this year comes close to the threshold; today's visit crosses it.
        self._kx_history(omar)

        # Today, finalized: ordinary clean visits, one with a copay.
        self.visit(
            zoe,
            today,
            [
                {"code": "97110", "minutes": 33, "modifiers": go},
                {"code": "97535", "minutes": 7, "modifiers": go},
            ],
            payment="20.00",
        )
        self.visit(taylor, today, [{"code": "97530", "minutes": 40}], payment="35.00")
        self.visit(
            kai, today, [{"code": "97530", "minutes": 45, "modifiers": go}], diagnoses=("F82",)
        )
        self.visit(priya, today, [{"code": "97166", "minutes": 50}], diagnoses=("M79.641",))

        # Today, drafts raising each major finding:
        # GO missing (Medicare requires GO/GP/GN on every therapy line)
        self.visit(
            jose,
            today,
            [{"code": "97110", "minutes": 25}, {"code": "97535", "minutes": 15}],
            finalize=False,
        )
        # 97140 with 97530: an NCCI pair (modifier indicator 1)
        self.visit(
            riley,
            today,
            [
                {"code": "97140", "minutes": 15, "modifiers": go},
                {"code": "97530", "minutes": 15, "modifiers": go},
            ],
            finalize=False,
            diagnoses=("R26.89",),
        )
        # KX threshold crossed without KX
        self.visit(
            omar,
            today,
            [
                {"code": "97110", "minutes": 60, "modifiers": go},
                {"code": "97530", "minutes": 60, "modifiers": go},
            ],
            finalize=False,
        )
        # Progress report due (10th treatment day)
        self.visit(mei, today, [{"code": "97530", "minutes": 30, "modifiers": go}], finalize=False)
        # Assistant minutes: the COTA did 20 of 30 minutes; CO missing
        self.visit(
            jordan,
            today,
            [{"code": "97530", "minutes": 30, "assistant_minutes": 20, "modifiers": go}],
            finalize=False,
        )
        # An assistant's own visit without CO
        self.visit(
            lukasz,
            today,
            [{"code": "97535", "minutes": 30, "modifiers": go}],
            provider=self.ota,
            finalize=False,
        )
        # A deleted code (97003, replaced by 97165-97167 in 2017)
        self.visit(
            renee,
            today,
            [{"code": "97003", "minutes": 45, "modifiers": go}],
            finalize=False,
            diagnoses=("R27.9",),
        )
        # 97014 on a Medicare visit (Medicare wants G0283)
        self.visit(
            grace,
            today,
            [{"code": "97014", "modifiers": go}, {"code": "97110", "minutes": 30, "modifiers": go}],
            finalize=False,
        )
        # Telehealth from home without modifier 95
        self.visit(
            sam,
            today,
            [{"code": "97535", "minutes": 30}],
            pos="10",
            finalize=False,
            diagnoses=("R44.8",),
        )
        # Medicaid, pointer missing and no diagnosis
        self.visit(
            ines,
            today,
            [{"code": "97530", "minutes": 30, "modifiers": go}],
            finalize=False,
            diagnoses=(),
        )
        # Self-pay, fine as it is
        self.visit(patients[15], today, [{"code": "97110", "minutes": 30}], finalize=False)
        # Corrections, as a clinic has them: a voided visit, an amended one (version 2), and
        # a draft from last week nobody finalized.
        wrong = self.visit(siobhan, today - timedelta(days=3), [{"code": "97110", "minutes": 30}])
        self.c.visits.void(wrong, "entered for the wrong patient")
        first = self.visit(dev, today - timedelta(days=2), [{"code": "97530", "minutes": 25}])
        amended = self.c.visits.amend(first, "the therapist documented 38 minutes")
        self.c.visits.update_line(amended.lines[0].id, minutes=38)
        self.c.visits.update(amended.id, total_treatment_minutes=38)
        self.c.visits.finalize(amended.id)
        self.visit(
            morgan,
            today - timedelta(days=6),
            [{"code": "97110", "minutes": 40, "modifiers": ["GP"]}],
            provider=self.pt,
            finalize=False,
        )
        return self.count

    def _kx_history(self, patient: int) -> None:
        from otdesk.core.money import Money
        from otdesk.core.tables import RuleTables

        year_start = date(self.today.year, 1, 1)
        row = RuleTables.shipped().kx_for_year(self.today.year)
        threshold = row.kx if row and row.kx else Money("2480.00")
        # 97110 60 min + 97530 60 min = 8 units = 4 x 31.12 + 4 x 36.30 = 269.68 allowed;
        # stop below the threshold, less than one such visit (today's) away from it
        per_visit = Money("269.68")
        total = Money(0)
        back = 14
        while total + per_visit < threshold:
            day = self.today - timedelta(days=back)
            if day < year_start:
                break
            lines = [
                {"code": "97110", "minutes": 60, "modifiers": ["GO"]},
                {"code": "97530", "minutes": 60, "modifiers": ["GO"]},
            ]
            self.visit(patient, day, lines)
            total = total + per_visit
            back += 2
