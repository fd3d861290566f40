"""`otdesk ncci import FILE...` and `otdesk mue import FILE`: load the CMS quarterly
practitioner PTP and MUE files into the clinic's data folder, where they replace the
starter tables otdesk ships."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from otdesk.commands import CliError
from otdesk.paths import user_data_dir

# Every start builds the whole parser: otdesk.core.ncci (sqlite3, csv) is imported only when
# an import runs.


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    ncci = subparsers.add_parser("ncci", help="NCCI procedure-to-procedure (PTP) edits")
    ncci_sub = ncci.add_subparsers(dest="ncci_command", metavar="ACTION", required=True)
    ptp = ncci_sub.add_parser(
        "import",
        parents=[common],
        help="import the CMS quarterly practitioner PTP file(s)",
        description="Read the CMS quarterly practitioner PTP edit files (tab-separated text "
        "or CSV, as downloaded and unzipped from cms.gov) and make them the clinic's PTP "
        "table. CMS splits the edits into several files by code range: give them all in "
        "one import. A malformed file is rejected whole and the table in force stays.",
    )
    ptp.add_argument("files", nargs="+", metavar="FILE", help="CMS practitioner PTP file")
    ptp.set_defaults(run=run_ncci_import)

    mue = subparsers.add_parser("mue", help="Medically Unlikely Edits (MUE)")
    mue_sub = mue.add_subparsers(dest="mue_command", metavar="ACTION", required=True)
    mue_import = mue_sub.add_parser(
        "import",
        parents=[common],
        help="import the CMS quarterly practitioner MUE file",
        description="Read the CMS practitioner services MUE file (CSV or tab-separated "
        "text) and make it the clinic's MUE table. A malformed file is rejected whole and "
        "the table in force stays.",
    )
    mue_import.add_argument("file", metavar="FILE", help="CMS practitioner MUE file")
    mue_import.set_defaults(run=run_mue_import)


def _existing(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        raise CliError(f"{name}: no such file.")
    return path


def _rejected(error: Exception) -> str:
    return f"{str(error).rstrip('.')}; nothing was imported and the previous table stays in force."


def _importer(args: argparse.Namespace):  # -> Session | None
    """The tables change the clinic's rules: once the folder holds a clinic, importing
    them is an administrator's (Permission.IMPORTS), signed in like every data command."""
    from otdesk.commands.session import Session, server_address
    from otdesk.core.accounts import Permission
    from otdesk.paths import database_path

    if server_address(args) is None and not database_path(args.data_dir).is_file():
        return None
    session = Session(args, daily_backup=False)
    try:
        session.clinic.ctx.require(Permission.IMPORTS)
    except BaseException:
        session.close()
        raise
    return session


def _record(session, action: str, summary: object, share: list[str]) -> None:
    """The import in the audit log; on a clinic server the imported file goes into the
    clinic database too, for every desk (services.shared_tables)."""
    if session is None:
        return
    try:
        clinic = session.clinic
        with clinic.db.write() as connection:
            clinic.ctx.audit(connection, action, "rules", None, after={"summary": str(summary)})
        _share(clinic, share)
    finally:
        session.close()


def _share(clinic, names: list[str]) -> None:
    from otdesk.services import shared_tables

    shared = shared_tables.publish(clinic.ctx, names)
    if shared:
        print(f"Shared with every desk of the clinic server: {', '.join(shared)}.")


def run_ncci_import(args: argparse.Namespace) -> int:
    from otdesk.core.ncci import TableError, import_ptp_files

    paths = [_existing(name) for name in args.files]
    session = _importer(args)
    try:
        summary = import_ptp_files(paths, user_data_dir(args.data_dir), date.today())
    except TableError as error:
        if session is not None:
            session.close()
        raise CliError(_rejected(error)) from None
    print(summary.describe())
    _record(session, "import.ncci", summary.describe(), ["ncci_ptp.sqlite3"])
    return 0


def run_mue_import(args: argparse.Namespace) -> int:
    from otdesk.core.ncci import TableError, import_mue_file

    path = _existing(args.file)
    session = _importer(args)
    try:
        summary = import_mue_file(path, user_data_dir(args.data_dir))
    except TableError as error:
        if session is not None:
            session.close()
        raise CliError(_rejected(error)) from None
    print(summary.describe())
    _record(session, "import.mue", summary.describe(), ["mue.csv"])
    return 0


def run_share(args: argparse.Namespace) -> int:
    """`otdesk rules share`: this desk's kx_thresholds.csv and deleted_codes.csv to every
    desk of the clinic server."""
    from otdesk.commands.session import server_address
    from otdesk.core.tables import DELETED_FILE_NAME, KX_FILE_NAME, RuleTables

    if server_address(args) is None:
        raise CliError(
            "This clinic is a file on this computer: its tables are already the clinic's. "
            "`rules share` is for a clinic server (--database or OTDESK_DATABASE_URL)."
        )
    folder = user_data_dir(args.data_dir)
    present = [name for name in (KX_FILE_NAME, DELETED_FILE_NAME) if (folder / name).is_file()]
    if not present:
        raise CliError(f"There is no {KX_FILE_NAME} or {DELETED_FILE_NAME} in {folder} to share.")
    try:
        RuleTables.load(folder).describe()  # a malformed file is refused before it spreads
    except ValueError as error:
        raise CliError(f"{error}; nothing was shared.") from None
    session = _importer(args)
    try:
        _share(session.clinic, present)
    finally:
        session.close()
    return 0
