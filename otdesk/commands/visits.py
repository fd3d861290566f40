"""`otdesk visits --date D [--json]` and `otdesk export visits --from D --to D --csv FILE`.

`otdesk export` is a group of actions; other modules add theirs through export_actions()
(e.g. `export superbills`)."""

from __future__ import annotations

import argparse
import json
from datetime import date

from otdesk.commands import CliError
from otdesk.core.dates import shown
from otdesk.core.money import Money
from otdesk.core.visit import VisitStatus

_EXPORT_ACTIONS = "_otdesk_export_actions"


def export_actions(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The subparsers of `otdesk export`, made on first use: call it from any command
    module's register() and add an action, e.g. export_actions(subparsers).add_parser(
    "superbills", parents=[common], ...)."""
    export = subparsers.choices.get("export")
    if export is None:
        export = subparsers.add_parser(
            "export",
            help="write clinic data to files (visits as CSV, ...)",
            description="Write clinic data to files.",
        )
        actions = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
        setattr(export, _EXPORT_ACTIONS, actions)
    return getattr(export, _EXPORT_ACTIONS)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    visits = subparsers.add_parser(
        "visits",
        parents=[common],
        help="list the visits of a day",
        description="List the visits of a date of service (the newest version of each), with "
        "patient, provider, payer, status and total.",
    )
    visits.add_argument("--date", metavar="YYYY-MM-DD", help="the date of service (default: today)")
    visits.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list; each visit has id, patient, provider, payer, status, total, ...",
    )
    visits.set_defaults(run=run_visits)

    export = export_actions(subparsers).add_parser(
        "visits",
        parents=[common],
        help="write the visits of a date range as CSV (one row per charge line)",
        description="Write the visits from --from to --to (inclusive) as a CSV file, one row "
        "per charge line, for a spreadsheet or a billing service.",
    )
    export.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD")
    export.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD")
    export.add_argument(
        "--csv", dest="csv", required=True, metavar="FILE", help="the file to write"
    )
    export.set_defaults(run=run_export_visits)


def run_visits(args: argparse.Namespace) -> int:
    from otdesk.services.validate import date_value

    day = args.date or date.today().isoformat()
    with open_clinic(args, read_only=True) as clinic:
        found = clinic.visits.day(day)
    if args.json:
        print(json.dumps([summary.to_json() for summary in found], ensure_ascii=False))
        return 0
    when = shown(date_value(day, "date"))  # read already by day(): a real date
    if not found:
        print(f"No visits on {when}.")
        return 0
    for s in found:
        flags = ""
        if s.error_count:
            flags = f"{s.error_count} error{'s' if s.error_count > 1 else ''}"
        print(
            f"{s.id:>6}  {s.status:<9}  {s.patient_name:<28.28}  {s.provider_name:<24.24}  "
            f"{s.payer_name:<24.24}  {str(s.total):>10}  {flags}"
        )
    total = sum((s.total for s in found if s.status != VisitStatus.VOID), Money(0))
    print(f"{len(found)} visits on {when}; total {total}")
    return 0


def run_export_visits(args: argparse.Namespace) -> int:
    from otdesk.services.validate import date_value

    with open_clinic(args, read_only=True) as clinic:
        try:
            from otdesk.commands.session import once_more_if_lost

            count = once_more_if_lost(
                lambda: clinic.visits.export_csv(args.csv, args.start, args.end), "the visits"
            )
        except OSError as error:
            raise CliError(f"Cannot write {args.csv}: {error.strerror}.") from None
    start, end = (shown(date_value(d, "date")) for d in (args.start, args.end))
    print(f"Wrote {count} visits ({start} to {end}) to {args.csv}.")
    return 0


def open_clinic(args: argparse.Namespace, *, read_only: bool = False):  # -> Session
    """The clinic of --data-dir (it must exist already), signed in as --user (see
    otdesk.commands.session). Use it in a `with`: the sign-out is recorded and the clinic
    closes at its end. `read_only`: the command only reads: it makes no daily backup, and
    works while another program holds the write lock (its sign-in, sign-out and export
    record are then kept aside for the next write: ServiceContext.audit_alone)."""
    from otdesk.commands.session import Session

    return Session(args, daily_backup=not read_only, read_only=read_only)
