"""`otdesk --smoke-test`: prove that an install or a frozen bundle works, end to end.

Runs offscreen (QT_QPA_PLATFORM=offscreen unless already set) in a temporary folder that
holds the database and the ICD-10-CM index cache; nothing of the user's is read or written.
Each step prints one line, "ok   <step>: <detail>" or "FAIL <step>: <why>"; a step that needs
an earlier one that failed prints "skip <step>: needs <step>". The last line says whether the
test passed; the exit code is 0 only when every step passed.

The shipped-files check compares the data/ and resources/ folders otdesk.paths finds with the
file list written into a bundle at build time (MANIFEST_NAME at the bundle's top, made by
make_manifest() from the source tree), so a file the spec failed to collect is named; from a
source checkout or a wheel it checks the files the code asks for by name (REQUIRED) and
every file present is readable.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

MANIFEST_NAME = "otdesk-manifest.json"
# Files the code opens by name through otdesk.paths (data_file / resource_file).
REQUIRED = {
    "data": (
        "procedures.csv",
        "modifiers.csv",
        "pos.csv",
        "ncci_ptp.csv",
        "mue.csv",
        "kx_thresholds.csv",
        "deleted_codes.csv",
    ),
    "resources": (
        "fonts/DejaVuSans.ttf",
        "fonts/DejaVuSans-Bold.ttf",
        "icons/otdesk.png",
    ),
}
SHIPPED_KINDS = ("data", "resources")
# Steps can be limited (packaging/build.py times the window start alone): a comma list of
# step keys in $OTDESK_SMOKE_STEPS; the steps they need run too.
STEPS_ENV = "OTDESK_SMOKE_STEPS"
# packaging/build.py times the window's start with this set to a data folder holding a
# clinic: the same entry point opens that clinic's window, prints "ready" once it is shown,
# and exits (no smoke steps run).
STARTUP_PROBE_ENV = "OTDESK_STARTUP_PROBE"
ICD_PROBE = "hand pain"
WINDOW_TIMEOUT_S = 120.0


class StepError(Exception):
    """A step's check did not hold; the message says what was found."""


# --- the file list ---------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _listing(folder: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            relative = path.relative_to(folder).as_posix()
            files[relative] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return files


def make_manifest(root: Path) -> dict[str, Any]:
    """The file list of a source tree's data/ and resources/ (relative path -> size and
    SHA-256), as the spec writes it into the bundle."""
    return {kind: _listing(Path(root) / kind) for kind in SHIPPED_KINDS}


def write_manifest(root: Path, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(make_manifest(root), indent=1, sort_keys=True), encoding="utf-8")
    return out


def bundle_dir() -> Path | None:
    """The folder of a PyInstaller bundle (sys._MEIPASS), or None when not frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Path(bundle) if bundle else None


def check_shipped_files() -> str:
    """Every shipped data file and resource is present, readable and (in a bundle) the one
    built into it. Raises StepError naming each missing or altered file."""
    from otdesk.paths import MissingResourceError, data_file, resource_file

    problems: list[str] = []
    bundle = bundle_dir()
    expected: dict[str, dict[str, Any]]
    if bundle is not None:
        manifest_path = bundle / MANIFEST_NAME
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            expected = {kind: dict(manifest[kind]) for kind in SHIPPED_KINDS}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise StepError(
                f"the bundle's file list {manifest_path} is missing or unreadable ({error})"
            ) from None
    else:
        expected = {kind: {} for kind in SHIPPED_KINDS}
    for kind in SHIPPED_KINDS:
        for name in REQUIRED[kind]:
            expected[kind].setdefault(name, {})
    finders = {"data": data_file, "resources": resource_file}
    checked = 0
    for kind in SHIPPED_KINDS:
        for name, facts in sorted(expected[kind].items()):
            try:
                path = finders[kind](name)
            except MissingResourceError as error:
                problems.append(f"missing {kind}/{name} ({error})")
                continue
            try:
                size = path.stat().st_size
                digest = _sha256(path) if facts.get("sha256") else ""
            except OSError as error:
                problems.append(f"unreadable {kind}/{name} ({error})")
                continue
            if "size" in facts and size != facts["size"]:
                problems.append(f"{kind}/{name} is {size} bytes, built with {facts['size']}")
            elif facts.get("sha256") and digest != facts["sha256"]:
                problems.append(f"{kind}/{name} differs from the file built into the bundle")
            elif size == 0 and name in REQUIRED[kind]:
                problems.append(f"{kind}/{name} is empty")
            checked += 1
    if problems:
        raise StepError("; ".join(problems))
    counts = ", ".join(f"{len(expected[kind])} {kind}" for kind in SHIPPED_KINDS)
    source = f"against {MANIFEST_NAME}" if bundle is not None else "by name"
    return f"{checked} files ({counts}) checked {source}"


# --- the steps ---------------------------------------------------------------------------------


@dataclass
class Context:
    """What the steps share: the temporary folder and what earlier steps made."""

    folder: Path
    data_dir: Path = field(init=False)
    cache_dir: Path = field(init=False)
    values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = self.folder / "data"
        self.cache_dir = self.folder / "cache"


class _Clock:
    """The computer's clock, usable both as a services Clock and as a widget callable."""

    def now(self) -> datetime:
        return datetime.now().astimezone()

    def __call__(self) -> datetime:
        return self.now()


def step_files(ctx: Context) -> str:
    return check_shipped_files()


def step_database(ctx: Context) -> str:
    """A plain clinic as an otdesk from before accounts made it (the encryption step
    encrypts it in place, as the first start after the upgrade does)."""
    from otdesk.services.clinic import Clinic

    with Clinic.open(ctx.folder / "plain", clock=_Clock()) as clinic:
        path = clinic.db.path
        if clinic.practice.get() is not None:
            raise StepError(f"the new database {path} is not empty")
    return f"created {path.name} in a temporary folder"


def _sign_in(ctx: Context, **options: Any) -> Any:
    """The demo clinic, signed in as its administrator (demo / demo)."""
    from otdesk.services import signin
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD

    return signin.sign_in(ctx.data_dir, DEMO_NAME, DEMO_PASSWORD, clock=_Clock(), **options)


def step_seed(ctx: Context) -> str:
    from otdesk.services.demo import install_demo

    report = install_demo(ctx.data_dir, clock=_Clock(), encrypted=True)
    if report.patients <= 0 or report.visits <= 0:
        raise StepError(f"the demo clinic has {report.patients} patients, {report.visits} visits")
    ctx.values["today"] = report.today
    ctx.values["recovery"] = report.recovery_key
    with _sign_in(ctx, daily_backup=False) as clinic:
        who = clinic.person.shown
    return f"{report.patients} patients, {report.visits} visits, encrypted; signed in as {who}"


def step_units(ctx: Context) -> str:
    from otdesk.core.visit import VisitStatus

    with _sign_in(ctx) as clinic:
        today = clinic.visits.day(ctx.values["today"])
        details = [clinic.visits.get(summary.id) for summary in today]
    with_lines = [d for d in details if d.lines]
    if not with_lines:
        raise StepError(f"none of today's {len(details)} demo visits has charge lines")
    flagged = [d for d in with_lines if d.findings]
    if not flagged:
        raise StepError(
            f"no finding on any of today's {len(with_lines)} demo visits (the demo raises some)"
        )
    visit = flagged[0]
    if visit.total_units <= 0 or visit.total_units != sum(line.units for line in visit.lines):
        raise StepError(
            f"visit {visit.id}: {visit.total_units} units in total, lines add up to "
            f"{sum(line.units for line in visit.lines)}"
        )
    ctx.values["visit_id"] = next(
        (d.id for d in with_lines if not d.errors and d.status == VisitStatus.FINALIZED),
        with_lines[0].id,
    )
    rules = ", ".join(sorted({f.rule for f in visit.findings}))
    return (
        f"visit {visit.id}: {_count(len(visit.lines), 'line')}, "
        f"{_count(visit.total_units, 'unit')}, {_count(len(visit.findings), 'finding')} ({rules})"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def step_superbill(ctx: Context) -> str:
    from otdesk.services.superbills import SuperbillService

    with _sign_in(ctx) as clinic:
        service = getattr(clinic, "superbills", None) or SuperbillService(clinic.ctx)
        pdf = service.render(ctx.values["visit_id"])
    if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-1024:]:
        raise StepError(f"the superbill is not a whole PDF ({len(pdf)} bytes)")
    if b"DejaVu" not in pdf:
        raise StepError("the superbill PDF does not embed the shipped DejaVu Sans font")
    out = ctx.folder / "superbill.pdf"
    out.write_bytes(pdf)
    ctx.values["pdf"] = pdf
    return f"visit {ctx.values['visit_id']}: {len(pdf):,} bytes of PDF"


def step_claims(ctx: Context) -> str:
    """Today's demo claims as an 837P file (kept in the data folder) and CMS-1500 forms."""
    from otdesk.services.claims import ClaimService
    from otdesk.services.cms1500 import Cms1500Service

    with _sign_in(ctx) as clinic:
        service = ClaimService(clinic.ctx)
        plan = service.plan(ctx.values["today"], ctx.values["today"])
        if not plan.ready:
            held = len(plan.held)
            raise StepError(f"none of today's demo visits is ready to claim ({held} held)")
        result = service.create_file(plan)
        forms = Cms1500Service(clinic.ctx).forms([plan.ready[0].visit_id], mode="form")
    text = result.text
    if not (text.startswith("ISA*") and "ST*837*" in text and text.rstrip().endswith("~")):
        raise StepError("the claim file is not an 837P interchange")
    if not result.file.path.is_file():
        raise StepError(f"the claim file was not kept at {result.file.path}")
    if not forms.pdf.startswith(b"%PDF-"):
        raise StepError("the CMS-1500 is not a PDF")
    return (
        f"{_count(result.file.claim_count, 'claim')} in one 837P file, "
        f"CMS-1500 {len(forms.pdf):,} bytes"
    )


def step_encryption(ctx: Context) -> str:
    """The plain clinic of an earlier otdesk encrypted in place with its first administrator
    (SQLCipher, Argon2id key slots at their production cost, AES-GCM), signed in to; a
    wrong password refused; the encrypted demo opened on its first screen with the key
    its password unwraps, backed up into an encrypted container, verified, and restored
    with its recovery key."""
    from otdesk.export.recovery_sheet import render_recovery_sheet
    from otdesk.services import maintenance, signin
    from otdesk.services.accounts import DEMO_NAME, SignInError
    from otdesk.services.first_screen import FirstScreen
    from otdesk.storage import containers, dialect, keys

    started = time.perf_counter()
    plain = ctx.folder / "plain"
    clinic, plain_recovery = signin.encrypt_existing(
        plain, "smoke", "smoke test password", clock=_Clock(), daily_backup=False
    )
    clinic.close()
    if dialect.is_plain_file(plain / "otdesk.db"):
        raise StepError("the clinic is still a plain SQLite file after encrypting it")
    with signin.sign_in(plain, "smoke", "smoke test password", daily_backup=False) as clinic:
        if clinic.person is None or clinic.person.name != "smoke":
            raise StepError("signing in to the clinic encrypted in place did not say who")
    try:
        signin.sign_in(ctx.data_dir, DEMO_NAME, "not the password", daily_backup=False)
    except SignInError:
        pass
    else:
        raise StepError("a wrong password opened the clinic")
    folder = ctx.data_dir
    today = ctx.values["today"]
    with _sign_in(ctx, daily_backup=False) as clinic:
        visits = clinic.visits.day(today)
        unlocked, person = clinic.db.key, clinic.person
    first = FirstScreen.open(folder, key=unlocked, person=person)
    if FirstScreen.open(folder, key=unlocked) is not None:
        raise StepError("the encrypted clinic's first screen shows visits before sign-in")
    if not visits or first is None or first.day(today) != visits:
        raise StepError(f"the encrypted clinic shows {len(visits)} visits today")
    backup = maintenance.backup_now(folder, clock=_Clock(), key=unlocked, person=person)
    if not containers.is_container(backup):
        raise StepError(f"the backup {backup.name} is not an encrypted container")
    checked = maintenance.backups(folder, key=unlocked, person=person)
    problems = [i.problem for i in checked if i.problem]
    if problems:
        raise StepError(f"an encrypted backup does not verify: {problems[0]}")
    recovery = ctx.values.get("recovery") or str(plain_recovery)
    maintenance.restore(
        backup,
        folder,
        clock=_Clock(),
        key=unlocked,
        unlock=keys.RecoveryUnlock(recovery),
        person=person,
    )
    with _sign_in(ctx, daily_backup=False) as clinic:
        if len(clinic.visits.day(today)) != len(visits):
            raise StepError("the clinic restored from its encrypted backup lost visits")
    sheet = render_recovery_sheet(recovery, practice_name="Smoke test", made_on=today)
    if not sheet.startswith(b"%PDF-"):
        raise StepError("the recovery sheet is not a PDF")
    took = time.perf_counter() - started
    return (
        f"encrypted in place and signed in, {_count(len(visits), 'visit')} today, backup "
        f"verified and restored with the recovery key ({took:.1f} s)"
    )


def step_server(ctx: Context) -> str:
    """The clinic-server driver is in the bundle: psycopg with its own libpq (the binary
    wheel's, not one the computer may lack), and SQLAlchemy's dialect for it. When a test
    server is given (OTDESK_TEST_POSTGRES_URL, as CI sets), a real connection to its admin
    database, which otdesk must refuse to use as a clinic, with its sentence."""
    import psycopg

    from otdesk.storage import server

    impl = psycopg.pq.__impl__
    if impl not in ("binary", "c"):
        raise StepError(f"psycopg runs its {impl} implementation: the bundle lacks its libpq")
    libpq = psycopg.pq.version()
    server.create_server_engine(server.server_url("postgresql://desk@127.0.0.1:1/clinic")).dispose()
    keeper = _keyring_backend()
    address = os.environ.get("OTDESK_TEST_POSTGRES_URL")
    if not address:
        return (
            f"psycopg {psycopg.__version__} ({impl}, libpq {libpq}); keyring: {keeper}; "
            "no test server given"
        )
    try:
        server.open_server(address, desk_dir=ctx.folder / "server-desk").close()
    except server.EmptyServerError:
        note = "its admin database refused as an empty clinic"
    except server.NotAClinicServerError:
        note = "its admin database refused as another program's"
    except server.ServerError as error:
        raise StepError(f"the test server did not answer: {error}") from None
    else:
        raise StepError("the test server's admin database was opened as a clinic")
    return (
        f"psycopg {psycopg.__version__} ({impl}, libpq {libpq}); keyring: {keeper}; "
        f"connected: {note}"
    )


# the keyring package's backend for each system (the one a desk keeps its password in)
KEYRING_BACKENDS = {"win32": "Windows", "darwin": "macOS"}
KEYRING_BACKEND_ELSEWHERE = "SecretService"


def _keyring_backend() -> str:
    """The keyring package finds its backends through its package metadata (entry points):
    a bundle without that metadata has none, and Connect to a clinic server could not keep
    the database password. The one for this system must be listed and load."""
    import importlib
    import importlib.metadata

    import keyring

    listed = {entry.name for entry in importlib.metadata.entry_points(group="keyring.backends")}
    wanted = KEYRING_BACKENDS.get(sys.platform, KEYRING_BACKEND_ELSEWHERE)
    if wanted not in listed:
        raise StepError(
            f"the keyring package lists no {wanted} backend (found: "
            f"{', '.join(sorted(listed)) or 'none'}): its metadata is missing from the bundle"
        )
    importlib.import_module(f"keyring.backends.{wanted}")
    chosen = keyring.get_keyring()
    return f"{wanted} backend in place, {type(chosen).__module__} in use here"


def step_icd(ctx: Context) -> str:
    from otdesk.core import icd

    source = icd.find_source()
    if source is None:
        raise StepError(
            f"the ICD-10-CM data files of the {icd.DATA_PACKAGE} package are not installed "
            "(in a bundle: the spec must collect them)"
        )
    started = time.perf_counter()
    index = icd.open_index()  # $OTDESK_CACHE_DIR points into the temporary folder
    built = time.perf_counter() - started
    try:
        found = index.search(ICD_PROBE)
    finally:
        index.close()
    if not found:
        raise StepError(f"searching the new index for {ICD_PROBE!r} found nothing")
    return f"release {source.release} built in {built:.1f} s; {ICD_PROBE!r} -> {found[0].code}"


# What Qt's offscreen platform says about itself on every window; other messages are shown.
_OFFSCREEN_NOTES = ("does not support propagateSizeHints",)


def _quiet_offscreen_notes() -> None:
    from PySide6.QtCore import qInstallMessageHandler

    def handler(kind: Any, context: Any, message: str) -> None:
        if not any(note in message for note in _OFFSCREEN_NOTES):
            print(f"qt: {message}", file=sys.stderr)

    qInstallMessageHandler(handler)


def step_window(ctx: Context) -> str:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from otdesk.ui import app as ui_app

    _quiet_offscreen_notes()
    application = ui_app.create_app([sys.argv[0]])
    clock = ui_app.SystemClock()
    settings = QSettings(str(ctx.folder / "settings.ini"), QSettings.Format.IniFormat)
    loader = ui_app.icd_loader if "icd" in ctx.values.get("passed", ()) else None
    # as `otdesk` starts once signed in: the first screen (read with the key the password
    # unwrapped), then the services on a worker thread
    window = _first_screen_window(ctx, clock, settings, loader)
    ctx.values["window"] = window
    if not window.isVisible():
        raise StepError("the main window is not visible after show()")
    rows = window.day.visits_model.rowCount()
    if rows <= 0:
        raise StepError("the day list shows no visit of the demo clinic")
    clinic = _wait_for_services(window, application)
    ctx.values["clinic"] = clinic
    note = "diagnosis search not started (the index step did not pass)"
    if loader is not None:
        # The window starts loading the index a moment after it is shown, on a worker.
        deadline = time.monotonic() + WINDOW_TIMEOUT_S
        worker = window.icd_worker()
        while (worker is None or not worker.done) and time.monotonic() < deadline:
            application.processEvents()
            time.sleep(0.01)
            worker = window.icd_worker()
        application.processEvents()
        if worker is None or not worker.done:
            raise StepError(f"the diagnosis index did not load within {WINDOW_TIMEOUT_S:.0f} s")
        if worker.error or clinic.ctx.icd is None:
            raise StepError(f"the diagnosis index failed to load: {worker.error}")
        note = "diagnosis search ready"
    QApplication.processEvents()
    return f"{window.windowTitle()!r}: {rows} visits today, {note}"


def _first_screen_window(ctx: Context, clock: Any, settings: Any, loader: Any) -> Any:
    from otdesk.services.first_screen import FirstScreen
    from otdesk.ui import app as ui_app

    clinic = _sign_in(ctx)  # the first screen is the signed-in person's
    first = FirstScreen.open(ctx.data_dir, key=clinic.db.key, person=clinic.person)
    if first is None:
        clinic.close()
        raise StepError("the window did not start on the first screen of the demo clinic")
    window = ui_app.build_window(
        None, clock, settings, loader, first_screen=first, clinic_folder=ctx.data_dir
    )
    window.show()
    window.load_clinic(lambda: clinic)
    return window


def _wait_for_services(window: Any, application: Any) -> Any:
    """The clinic the window's worker thread opened, once it has."""
    deadline = time.monotonic() + WINDOW_TIMEOUT_S
    while window.clinic is None and not window.open_failed and time.monotonic() < deadline:
        application.processEvents()
        time.sleep(0.01)
    if window.clinic is None:
        raise StepError("the clinic's services did not open behind the first screen")
    return window.clinic


def step_preview(ctx: Context) -> str:
    """The superbill read back and drawn by QtPdf, as the window's preview and printing do
    (QtPdf's PDF engine is a large native library: the bundle must carry all of it)."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage

    from otdesk.ui.superbill_preview import load_pdf

    document, buffer = load_pdf(ctx.values["pdf"])
    try:
        pages = document.pageCount()
        if pages < 1:
            raise StepError("QtPdf found no page in the superbill")
        image = document.render(0, QSize(425, 550))
        if image.isNull():
            raise StepError("QtPdf drew nothing for page 1")
        gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
        dark = sum(
            1
            for y in range(0, gray.height(), 5)
            for x in range(0, gray.width(), 5)
            if gray.pixelColor(x, y).value() < 128
        )
        if dark == 0:
            raise StepError("page 1 of the superbill came out blank")
    finally:
        document.close()
        buffer.close()
    return f"{_count(pages, 'page')}, page 1 drawn at {image.width()}x{image.height()}"


def step_close(ctx: Context) -> str:
    from PySide6.QtWidgets import QApplication

    window = ctx.values.pop("window")
    clinic = ctx.values.pop("clinic")
    closed = window.close()
    QApplication.processEvents()
    clinic.close()
    if not closed or window.isVisible():
        raise StepError("the main window refused to close")
    window.deleteLater()
    QApplication.processEvents()
    return "closed; settings saved"


@dataclass(frozen=True)
class Step:
    key: str
    name: str
    run: Callable[[Context], str]
    needs: tuple[str, ...] = ()


STEPS = (
    Step("files", "check shipped files", step_files),
    Step("database", "create temporary database", step_database),
    Step("seed", "seed demo clinic", step_seed, ("database",)),
    Step("units", "compute units and findings", step_units, ("seed",)),
    Step("superbill", "render superbill", step_superbill, ("units",)),
    Step("claims", "write 837P claim file and CMS-1500", step_claims, ("seed",)),
    Step("encryption", "encrypt, open, back up, verify, restore", step_encryption, ("seed",)),
    Step("server", "load the clinic-server driver", step_server),
    Step("icd", "build ICD-10-CM index", step_icd),
    Step("window", "open main window", step_window, ("seed",)),
    Step("preview", "preview superbill with QtPdf", step_preview, ("superbill", "window")),
    Step("close", "close main window", step_close, ("window",)),
)


def _selected(spec: str | None) -> list[Step]:
    if not spec:
        return list(STEPS)
    by_key = {step.key: step for step in STEPS}
    wanted: set[str] = set()
    pending = [key.strip() for key in spec.split(",") if key.strip()]
    unknown = [key for key in pending if key not in by_key]
    if unknown:
        raise SystemExit(
            f"otdesk: unknown smoke-test step {', '.join(unknown)} in ${STEPS_ENV} "
            f"(steps: {', '.join(by_key)})"
        )
    while pending:
        key = pending.pop()
        if key not in wanted:
            wanted.add(key)
            pending.extend(by_key[key].needs)
    return [step for step in STEPS if step.key in wanted]


def _reason(error: BaseException) -> str:
    if isinstance(error, StepError):
        return str(error)
    text = str(error) or "(no message)"
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return f"{type(error).__name__}: {text}{where}"


def run(out: Callable[[str], None] = print) -> int:
    """Run the steps; returns 0 when every step passed, 1 otherwise."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # A Windows console or CI log may not encode every name in the demo clinic: a step's
    # line must never fail for that.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
    steps = _selected(os.environ.get(STEPS_ENV))
    started = time.perf_counter()
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="otdesk-smoke-", ignore_cleanup_errors=True) as folder:
        ctx = Context(Path(folder))
        # The index is built into the temporary folder, never the user's cache.
        saved_cache = os.environ.get("OTDESK_CACHE_DIR")
        os.environ["OTDESK_CACHE_DIR"] = str(ctx.cache_dir)
        passed: list[str] = []
        ctx.values["passed"] = passed
        names = {step.key: step.name for step in STEPS}
        try:
            for step in steps:
                missing = [need for need in step.needs if need not in passed]
                if missing:
                    out(f"skip {step.name}: needs {', '.join(names[m] for m in missing)}")
                    failed.append(step.name)
                    continue
                try:
                    detail = step.run(ctx)
                except Exception as error:  # every failure is reported, none is fatal
                    out(f"FAIL {step.name}: {_reason(error)}")
                    failed.append(step.name)
                    continue
                passed.append(step.key)
                out(f"ok   {step.name}: {detail}")
        finally:
            _cleanup(ctx)
            if saved_cache is None:
                os.environ.pop("OTDESK_CACHE_DIR", None)
            else:
                os.environ["OTDESK_CACHE_DIR"] = saved_cache
    elapsed = time.perf_counter() - started
    if failed:
        out(f"smoke test FAILED at: {', '.join(failed)} ({elapsed:.1f} s)")
        return 1
    where = "frozen bundle" if getattr(sys, "frozen", False) else "source install"
    out(f"smoke test passed: {_count(len(steps), 'step')} in {elapsed:.1f} s ({where})")
    return 0


def _cleanup(ctx: Context) -> None:
    # A step that failed halfway may leave the window or the database open; close them so
    # the temporary folder can be removed (Windows refuses to delete open files).
    window = ctx.values.pop("window", None)
    if window is not None:
        with contextlib.suppress(Exception):  # best effort on the way out
            window.close()
    clinic = ctx.values.pop("clinic", None)
    if clinic is not None:
        with contextlib.suppress(Exception):
            clinic.close()


def startup_probe(data_dir: Path, out: Callable[[str], None] = print) -> int:
    """Start the window on an existing encrypted clinic folder as `otdesk` does and print
    "ready" once its first screen, the sign-in screen, is shown (what the person sees first;
    nothing heavy is loaded before it), then close. Used to time the start-up, frozen and
    not."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from otdesk.ui import app as ui_app
    from otdesk.ui.start_flow import StartFlow

    _quiet_offscreen_notes()
    application = ui_app.create_app([sys.argv[0]])
    clock = ui_app.SystemClock()
    settings = QSettings(str(data_dir / "probe-settings.ini"), QSettings.Format.IniFormat)

    def open_window(clinic: Any, note: str, **options: Any) -> Any:
        return ui_app.build_window(clinic, clock, settings, loader=None, title_note=note, **options)

    flow = StartFlow(data_dir, clock, settings, open_window, warm=None)
    try:
        if not flow.begin() or flow.sign_in_window is None:
            out("the window did not start on the sign-in screen")
            return 1
        application.processEvents()
        out("ready (sign-in screen shown)")
        sys.stdout.flush()
    finally:
        screen = flow.sign_in_window
        flow.finish()
        if screen is not None:
            screen.close()
    return 0


def main() -> int:
    probe = os.environ.get(STARTUP_PROBE_ENV)
    if probe:
        return startup_probe(Path(probe))
    return run()


if __name__ == "__main__":
    sys.exit(main())
