"""The services of one open clinic database, in one object the window and the command line
hold: Clinic.open(data_dir) ... clinic.close()."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from otdesk.core.accounts import Person
from otdesk.paths import database_path
from otdesk.services.accounts import AccountService
from otdesk.services.audit import AuditService
from otdesk.services.clinic_codes import ClinicCodeService
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.context import ServiceContext, os_user
from otdesk.services.fees import FeeScheduleService
from otdesk.services.patients import PatientService
from otdesk.services.setup import PayerService, PracticeService, ProviderService
from otdesk.services.shared_tables import EveryMinute, is_shared
from otdesk.services.timers import TimerService
from otdesk.services.visits import VisitService
from otdesk.storage.database import Database, open_database
from otdesk.storage.keys import DatabaseKey

__all__ = ["Clinic", "database_path"]


class Clinic:
    """Every service over one database. Build with Clinic.open(); close() when done."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock | None = None,
        user: str | None = None,
        icd: Any = None,
        catalog: Any = None,
        tables: Any = None,
    ) -> None:
        self.db = db
        self.ctx = ServiceContext(
            db=db,
            clock=clock or SystemClock(),
            user=user or os_user(),
            tables_dir=db.path.parent,
            icd=icd,
            catalog_override=catalog,
            tables_override=tables,
        )
        self.practice = PracticeService(self.ctx)
        self.providers = ProviderService(self.ctx)
        self.payers = PayerService(self.ctx)
        self.fees = FeeScheduleService(self.ctx)
        self.codes = ClinicCodeService(self.ctx)
        self.patients = PatientService(self.ctx)
        self.visits = VisitService(self.ctx)
        self.timers = TimerService(self.ctx)
        self.audit = AuditService(self.ctx)
        self.accounts = AccountService(self.ctx)
        if is_shared(self.ctx) and tables is None:
            # the desks of a server check visits against the same imported rule tables
            self.ctx.refresh_tables = EveryMinute(self.ctx)

    # The documents' services load at their first use (the day's work needs none of them
    # at start, and they bring the document modules): a deliberate lazy import.
    @cached_property
    def superbills(self) -> Any:
        """SuperbillService: superbills, their settings and the favourite codes, batches,
        the encounter form."""
        from otdesk.services.superbills import SuperbillService

        return SuperbillService(self.ctx)

    @cached_property
    def claims(self) -> Any:
        """ClaimService: the 837P claims and the claim settings."""
        from otdesk.services.claims import ClaimService

        return ClaimService(self.ctx)

    @cached_property
    def paper_claims(self) -> Any:
        """Cms1500Service: the CMS-1500 paper claim form."""
        from otdesk.services.cms1500 import Cms1500Service

        return Cms1500Service(self.ctx)

    @property
    def person(self) -> Person | None:
        """Who is signed in (None: the maintenance context; see ServiceContext.person)."""
        return self.ctx.person

    def sign_in_as(self, person: Person | None) -> None:
        self.ctx.sign_in_as(person)

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        clock: Clock | None = None,
        path: Path | None = None,
        daily_backup: bool = True,
        read_only: bool = False,
        key: DatabaseKey | None = None,
        durable: bool = True,
        **options: Any,
    ) -> Clinic:
        """Open (creating if needed) the clinic database in `data_dir`, or at `path`.
        Raises the otdesk.storage errors for a foreign, damaged, locked or wrongly keyed
        file. `key` is the database key unwrapped at sign-in (otdesk.storage.keys.
        unlock_database); None opens a plain clinic not encrypted yet (the path the first
        account's setup still needs, see README "Clinic data"). `daily_backup=False` skips
        the first-open-of-the-day backup (scripts, tests); `read_only` is for commands that
        only read: they work beside a writer; `durable=False` is for seeding the demo (see
        otdesk.storage.database.open_database)."""
        clock = clock or SystemClock()
        db = open_database(
            path or database_path(data_dir),
            now=clock.now(),
            daily_backup=daily_backup,
            read_only=read_only,
            key=key,
            durable=durable,
        )
        return cls(db, clock=clock, **options)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Clinic:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
