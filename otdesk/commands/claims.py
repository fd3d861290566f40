"""`otdesk export claims`, `otdesk export cms1500`, `otdesk export cms1500-alignment`,
`otdesk claims ...` (files, what a file holds, a visit's claim status, the payer's claim
number), `otdesk claim-settings` and `otdesk cms1500-calibration`.

A claim with problems (the visit's rule errors, or the claim checks: NPI, ZIP+4, payer ID,
pointers...) is held back and listed; --send-anyway REASON (--print-anyway for paper) takes
it too, and the reason goes into the audit log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from otdesk.commands import CliError
from otdesk.commands.visits import export_actions, open_clinic
from otdesk.errors import UserError

SETTING_OPTIONS = (
    ("submitter_name", "the clinic's name as the clearinghouse knows it"),
    ("submitter_id", "the submitter ID the clearinghouse gave you (ISA06, GS02)"),
    ("submitter_qualifier", "its ISA05 qualifier (ZZ unless told otherwise)"),
    ("contact_name", "who the clearinghouse calls about a file"),
    ("contact_phone", "their phone (10 digits)"),
    ("contact_email", "their email"),
    ("receiver_name", "the clearinghouse's name"),
    ("receiver_id", "its receiver ID (ISA08, GS03)"),
    ("receiver_qualifier", "its ISA07 qualifier (ZZ unless told otherwise)"),
)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    actions = export_actions(subparsers)
    claims = actions.add_parser(
        "claims",
        parents=[common],
        help="write the 837P claim file of a date range or one visit",
        description="Write one 837P (005010X222A1) file with the claims the finalized visits "
        "need: originals, replacements of amended visits, voids. Visits already in a file are "
        "left out unless --resend is given. The file is also kept in the data folder.",
    )
    which = claims.add_mutually_exclusive_group(required=True)
    which.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first date of service")
    which.add_argument("--visit", type=int, metavar="ID", help="one visit")
    claims.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last date (with --from)")
    claims.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    claims.add_argument("--send-anyway", metavar="REASON", help="also the claims held back")
    claims.add_argument("--resend", metavar="REASON", help="also visits already in a file")
    claims.set_defaults(run=run_claims)

    forms = actions.add_parser(
        "cms1500",
        parents=[common],
        help="write CMS-1500 (02/12) paper claim forms as PDF",
        description="The CMS-1500 forms of one visit or of a day's finalized visits: the whole "
        "form (--mode form, plain paper) or the data only (--mode data, pre-printed red forms; "
        "--printer applies that printer's calibration).",
    )
    which = forms.add_mutually_exclusive_group(required=True)
    which.add_argument("--visit", type=int, metavar="ID", help="one visit")
    which.add_argument("--date", metavar="YYYY-MM-DD", help="every claimable visit of a day")
    forms.add_argument("--out", required=True, metavar="FILE.pdf", help="the file to write")
    forms.add_argument("--mode", choices=("form", "data"), default="form")
    forms.add_argument("--printer", metavar="NAME", help="use this printer's calibration")
    forms.add_argument("--print-anyway", metavar="REASON", help="also the claims held back")
    forms.set_defaults(run=run_cms1500)

    alignment = actions.add_parser(
        "cms1500-alignment",
        parents=[common],
        help="write the CMS-1500 alignment test page",
        description="A page of Xs where boxes 1, 2, 24A, 24J and 33a print: print it on a red "
        "form, measure how far off they are, and save that with cms1500-calibration.",
    )
    alignment.add_argument("--out", required=True, metavar="FILE.pdf")
    alignment.add_argument("--printer", metavar="NAME", help="with this printer's calibration")
    alignment.set_defaults(run=run_alignment)

    tracking = subparsers.add_parser(
        "claims",
        parents=[common],
        help="claim files and claim status",
        description="List the claim files, show what one holds, a visit's claim status, or "
        "enter the payer's claim number (replacements and voids send it).",
    )
    what = tracking.add_subparsers(dest="claims_command", metavar="WHAT", required=True)
    files = what.add_parser("files", parents=[common], help="every claim file, newest first")
    files.add_argument("--json", action="store_true")
    files.set_defaults(run=run_files)
    show = what.add_parser("show", parents=[common], help="the claims in one file")
    show.add_argument("file_id", type=int, metavar="FILE_ID")
    show.add_argument("--json", action="store_true")
    show.set_defaults(run=run_show)
    status = what.add_parser("status", parents=[common], help="a visit's claim status")
    status.add_argument("--visit", type=int, required=True, metavar="ID")
    status.set_defaults(run=run_status)
    number = what.add_parser("payer-number", parents=[common], help="the payer's claim number")
    number.add_argument("claim_id", type=int, metavar="CLAIM_ID", help="from `claims show`")
    number.add_argument("number", metavar="NUMBER", help="the payer's number ('' removes it)")
    number.set_defaults(run=run_payer_number)

    settings = subparsers.add_parser(
        "claim-settings",
        parents=[common],
        help="show or change the claim settings and payers' IDs",
        description="Show the claim settings, or change them (only the options given), and "
        "a payer's payer ID and claim filing indicator (--payer with --payer-id / --filing).",
    )
    for name, words in SETTING_OPTIONS:
        settings.add_argument("--" + name.replace("_", "-"), dest=name, metavar="TEXT", help=words)
    settings.add_argument("--usage", choices=("test", "production"), help="ISA15: T or P")
    settings.add_argument("--payer", type=int, metavar="ID", help="the payer to change")
    settings.add_argument("--payer-id", metavar="CODE", help="its electronic payer ID")
    settings.add_argument("--filing", metavar="CODE", help="its claim filing indicator (MB, CI...)")
    settings.set_defaults(run=run_settings)

    calibration = subparsers.add_parser(
        "cms1500-calibration",
        parents=[common],
        help="show or set a printer's CMS-1500 calibration",
        description="Offsets in hundredths of an inch (positive: right, down) and a scale in "
        "percent, applied to every data-only CMS-1500 printed on that printer.",
    )
    calibration.add_argument("--printer", required=True, metavar="NAME")
    calibration.add_argument("--right", type=int, metavar="N", help="-100 to 100")
    calibration.add_argument("--down", type=int, metavar="N", help="-100 to 100")
    calibration.add_argument("--scale", type=int, metavar="PERCENT", help="90 to 110")
    calibration.set_defaults(run=run_calibration)


# --- runs ----------------------------------------------------------------------------------


def run_claims(args: argparse.Namespace) -> int:
    folder = Path(args.out).parent
    if not folder.is_dir():
        raise CliError(f"Cannot write {args.out}: the folder {folder} does not exist.")
    with open_clinic(args) as clinic:
        from otdesk.services.claims import ClaimService

        service = ClaimService(clinic.ctx)
        try:
            if args.visit is not None:
                if args.end:
                    raise CliError("--to goes with --from, not with --visit.")
                plan = service.plan(visit_id=args.visit, resend=bool(args.resend))
            else:
                plan = service.plan(args.start, args.end or args.start, resend=bool(args.resend))
            for skipped in plan.skipped:
                print(f"Skipped visit {skipped.visit_id}: {skipped.reason}.", file=sys.stderr)
            _list_held(plan.held, bool(args.send_anyway))
            result = service.create_file(
                plan,
                override_reason=args.send_anyway,
                resend_reason=args.resend,
                out=args.out,
            )
        except UserError as error:
            raise CliError(str(error)) from None
    for pending in result.claims:
        for note in pending.notes:
            print(f"Visit {pending.visit_id}: {note}.", file=sys.stderr)
    kinds = _count_kinds(result.claims)
    file = result.file
    print(
        f"Wrote claim file {file.id} (interchange {file.interchange_control}, "
        f"{'test' if file.usage == 'T' else 'production'}) to {args.out}: {kinds}, total "
        f"{file.total}; {len(result.held)} held back. Kept as {file.path}; SHA-256 "
        f"{file.sha256}."
    )
    return 0


def run_cms1500(args: argparse.Namespace) -> int:
    with open_clinic(args) as clinic:
        from otdesk.services.cms1500 import Cms1500Service, write_forms

        service = Cms1500Service(clinic.ctx)
        try:
            visits = [args.visit] if args.visit is not None else service.day_visits(args.date)
            paper = service.forms(
                visits, mode=args.mode, printer=args.printer, reason=args.print_anyway
            )
            for skipped in paper.skipped:
                print(f"Skipped: {skipped}.", file=sys.stderr)
            _list_held(paper.held, False, word="print")
            name = write_forms(args.out, paper.pdf)
            service.record(
                paper,
                how="file",
                file_name=name,
                reason=args.print_anyway,
                mode=args.mode,
                printer=args.printer,
            )
        except UserError as error:
            raise CliError(_held_message(error, "print")) from None
    from otdesk.export.cms1500 import form_count

    pages = sum(form_count(p.claim) for p in paper.claims)
    print(
        f"Wrote {len(paper.claims)} CMS-1500 claim{'s' if len(paper.claims) != 1 else ''} "
        f"({pages} form{'s' if pages != 1 else ''}, {args.mode} mode) to {args.out}; "
        f"{len(paper.held)} held back."
    )
    return 0


def run_alignment(args: argparse.Namespace) -> int:
    from otdesk.export import write_file_atomic

    with open_clinic(args) as clinic:
        from otdesk.services.cms1500 import Cms1500Service

        try:
            write_file_atomic(args.out, Cms1500Service(clinic.ctx).alignment_page(args.printer))
        except UserError as error:
            raise CliError(str(error)) from None
    print(f"Wrote the CMS-1500 alignment test page to {args.out}.")
    return 0


def run_files(args: argparse.Namespace) -> int:
    with open_clinic(args) as clinic:
        from otdesk.services.claims import ClaimService

        files = ClaimService(clinic.ctx).files()
    if args.json:
        print(json.dumps([_file_json(f) for f in files], indent=2))
        return 0
    if not files:
        print("No claim files yet.")
    for f in files:
        print(
            f"{f.id:>4}  {f.created_at.astimezone():%m/%d/%Y %H:%M}  interchange "
            f"{f.interchange_control:09d}  {'test' if f.usage == 'T' else 'prod'}  "
            f"{f.claim_count:>3} claims  {str(f.total):>11}  {f.file_name}"
        )
    return 0


def run_show(args: argparse.Namespace) -> int:
    with open_clinic(args) as clinic:
        from otdesk.services.claims import ClaimService

        service = ClaimService(clinic.ctx)
        try:
            service.file(args.file_id)
        except UserError as error:
            raise CliError(str(error)) from None
        records = service.claims_in(args.file_id)
    if args.json:
        print(json.dumps([_record_json(r) for r in records], indent=2))
        return 0
    for r in records:
        print(
            f"claim {r.id:>5}  visit {r.visit_id:>5} v{r.version}  {r.date_of_service}  "
            f"{r.account_number:<10} {r.payer_name:<30} {r.frequency:<11} {str(r.total):>10}"
            + (f"  payer no. {r.payer_claim_number}" if r.payer_claim_number else "")
        )
    return 0


def run_status(args: argparse.Namespace) -> int:
    with open_clinic(args) as clinic:
        from otdesk.services.claims import ClaimService

        try:
            status = ClaimService(clinic.ctx).status(args.visit)
        except UserError as error:
            raise CliError(str(error)) from None
    print(f"Visit {args.visit}: {status.text}.")
    return 0


def run_payer_number(args: argparse.Namespace) -> int:
    with open_clinic(args) as clinic:
        from otdesk.services.claims import ClaimService

        try:
            record = ClaimService(clinic.ctx).set_payer_claim_number(args.claim_id, args.number)
        except UserError as error:
            raise CliError(str(error)) from None
    shown = record.payer_claim_number or "(none)"
    print(f"Claim {record.id} (visit {record.visit_id}): payer's claim number {shown}.")
    return 0


def run_settings(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = {
        name: getattr(args, name) for name, _ in SETTING_OPTIONS if getattr(args, name) is not None
    }
    if args.usage:
        changes["usage"] = "T" if args.usage == "test" else "P"
    if (args.payer_id is not None or args.filing is not None) and args.payer is None:
        raise CliError("--payer-id and --filing need --payer ID (see the list below).")
    with open_clinic(args) as clinic:
        from otdesk.services.claims import ClaimService, filing_indicator

        service = ClaimService(clinic.ctx)
        try:
            if changes:
                service.save_settings(**changes)
            if args.payer is not None:
                service.set_payer(args.payer, payer_code=args.payer_id, filing=args.filing)
        except UserError as error:
            raise CliError(str(error)) from None
        settings = service.settings()
        payers = [p for p in clinic.payers.list() if p.kind != "self-pay"]
    for name, _words in SETTING_OPTIONS:
        print(f"{name.replace('_', ' ').capitalize()}: {getattr(settings, name) or '-'}")
    print(f"Usage: {'test (T)' if settings.usage == 'T' else 'production (P)'}")
    for problem in settings.problems():
        print(f"  Missing: {problem.split(': ', 1)[1]}", file=sys.stderr)
    print("Payers (id, payer ID, claim filing indicator):")
    for payer in payers:
        print(f"  {payer.id:>3}  {payer.name:<32} {payer.payer_code or '-':<12} "
              f"{filing_indicator(payer)}")  # fmt: skip
    return 0


def run_calibration(args: argparse.Namespace) -> int:
    with open_clinic(args) as clinic:
        from otdesk.services.cms1500 import Cms1500Service

        service = Cms1500Service(clinic.ctx)
        try:
            current = service.calibration(args.printer)
            if args.right is not None or args.down is not None or args.scale is not None:
                current = service.save_calibration(
                    args.printer,
                    right=args.right if args.right is not None else current.right,
                    down=args.down if args.down is not None else current.down,
                    scale_percent=args.scale if args.scale is not None else current.scale_percent,
                )
        except UserError as error:
            raise CliError(str(error)) from None
    print(
        f"{current.printer}: {current.right / 100:+.2f} in right, {current.down / 100:+.2f} in "
        f"down, scale {current.scale_percent}%."
    )
    return 0


# --- helpers -------------------------------------------------------------------------------


def _list_held(held: Any, anyway: bool, word: str = "send") -> None:
    for pending in held:
        lead = "Sending anyway" if anyway else "Held back"
        listed = "\n    - ".join(pending.problems)
        print(
            f"{lead}: visit {pending.visit_id} ({pending.account_number}, "
            f"{pending.date_of_service}):\n    - {listed}",
            file=sys.stderr,
        )
    if held and not anyway:
        print(
            f"Fix the visits held back, or add --{word}-anyway REASON (kept in the audit log).",
            file=sys.stderr,
        )


def _held_message(error: Exception, word: str) -> str:
    problems = getattr(error, "problems", None)
    if not problems:
        return str(error)
    listed = "\n  - ".join(problems)
    return (
        f"The claim of visit {error.visit_id} is held back; nothing was written:\n  - {listed}\n"  # type: ignore[attr-defined]
        f"Fix these, or add --{word}-anyway REASON (recorded in the audit log)."
    )


def _count_kinds(claims: Any) -> str:
    from otdesk.export.claim_model import FREQUENCIES

    counts: dict[str, int] = {}
    for pending in claims:
        kind = FREQUENCIES[pending.frequency_code]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in counts.items())


def _file_json(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "interchange_control": f.interchange_control,
        "usage": f.usage,
        "file": f.file_name,
        "path": str(f.path),
        "sha256": f.sha256,
        "claims": f.claim_count,
        "total": f.total.to_json(),
        "created_at": f.created_at.isoformat(),
        "created_by": f.created_by,
        "resend_reason": f.resend_reason,
    }


def _record_json(r: Any) -> dict[str, Any]:
    return {
        "claim_id": r.id,
        "visit_id": r.visit_id,
        "version": r.version,
        "date_of_service": r.date_of_service.isoformat(),
        "account_number": r.account_number,
        "payer": r.payer_name,
        "frequency": r.frequency,
        "patient_control_number": r.patient_control_number,
        "total": r.total.to_json(),
        "lines": r.line_count,
        "payer_claim_number": r.payer_claim_number,
    }
