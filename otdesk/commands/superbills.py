"""`otdesk export superbill|superbills|encounter-form` and `otdesk superbill-settings`.

Every superbill written here is recorded as issued (version, SHA-256 of the file, when, who).
A superbill with completeness problems (missing NPI, TIN, member ID, diagnosis, pointer,
place of service, or open error findings) is written only with --issue-anyway REASON, and
the reason goes into the audit log.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from otdesk.commands import CliError
from otdesk.commands.visits import export_actions, open_clinic
from otdesk.core.dates import shown
from otdesk.errors import UserError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    actions = export_actions(subparsers)
    one = actions.add_parser(
        "superbill",
        parents=[common],
        help="write the superbill of one visit as PDF",
        description="Write the superbill of one visit (the version given) as a PDF and record "
        "it as issued. A draft is watermarked DRAFT; a void or replaced version is refused.",
    )
    one.add_argument("--visit", type=int, required=True, metavar="ID", help="the visit's id")
    one.add_argument("--out", required=True, metavar="FILE.pdf", help="the file to write")
    _common_options(one)
    one.set_defaults(run=run_superbill)

    many = actions.add_parser(
        "superbills",
        parents=[common],
        help="write the superbills of a date or date range",
        description="Write the superbills of every finalized visit of a date (or from --date "
        "to --to) into one PDF (--out) or one file per visit (--dir; file names hold the date, "
        "account number and visit number, never the patient's name).",
    )
    many.add_argument("--date", required=True, metavar="YYYY-MM-DD", help="the (first) date")
    many.add_argument("--to", metavar="YYYY-MM-DD", help="the last date of a range")
    where = many.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", metavar="FILE.pdf", help="one PDF with every superbill")
    where.add_argument("--dir", metavar="DIR", help="one PDF per visit in this folder")
    many.add_argument(
        "--include-drafts",
        action="store_true",
        help="also the visits not finalized yet (watermarked DRAFT)",
    )
    _common_options(many)
    many.set_defaults(run=run_superbills)

    form = actions.add_parser(
        "encounter-form",
        parents=[common],
        help="write a blank encounter form for a patient and date",
        description="The paper form filled in during a session: the patient and date printed, "
        "the clinic's favourite codes with check boxes, minutes and units left blank.",
    )
    form.add_argument("--patient", required=True, metavar="ACCOUNT", help="account number or id")
    form.add_argument("--date", metavar="YYYY-MM-DD", help="date of service (default: today)")
    form.add_argument("--provider", type=int, metavar="ID", help="print this provider's details")
    form.add_argument("--out", required=True, metavar="FILE.pdf", help="the file to write")
    form.add_argument("--paper", choices=("letter", "a4"), help="paper size (default: setting)")
    form.set_defaults(run=run_encounter_form)

    settings = subparsers.add_parser(
        "superbill-settings",
        parents=[common],
        help="show or change the superbill settings",
        description="Show the superbill settings, or change them: paper size, the "
        "out-of-network statement, the encounter form's codes, the logo, signature images.",
    )
    settings.add_argument("--paper", choices=("letter", "a4"))
    settings.add_argument("--out-of-network", choices=("on", "off"), help="print the statement")
    settings.add_argument("--out-of-network-text", metavar="TEXT", help="its wording")
    settings.add_argument(
        "--favourites", metavar="CODES", help='encounter form codes, e.g. "97165 97110 97530"'
    )
    logo = settings.add_mutually_exclusive_group()
    logo.add_argument("--logo", metavar="FILE", help="practice logo (PNG or JPEG)")
    logo.add_argument("--no-logo", action="store_true", help="remove the logo")
    settings.add_argument(
        "--signature",
        nargs=2,
        metavar=("PROVIDER_ID", "FILE"),
        help="a provider's signature image (PNG or JPEG; FILE '-' removes it)",
    )
    settings.set_defaults(run=run_settings)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--paper", choices=("letter", "a4"), help="paper size (default: setting)")
    parser.add_argument(
        "--issue-anyway",
        metavar="REASON",
        help="write it even when the completeness check finds problems (the reason is "
        "recorded in the audit log)",
    )


def run_superbill(args: argparse.Namespace) -> int:

    from otdesk.services.superbills import IncompleteSuperbillError

    with _service(args) as service:
        try:
            issued, document = service.issue(
                args.visit, out=args.out, reason=args.issue_anyway, paper=args.paper
            )
        except IncompleteSuperbillError as error:
            raise CliError(_incomplete(error.visit_id, error.problems)) from None
    pages = _page_count(document)
    print(
        f"Wrote the superbill of visit {issued.visit_id} (version {issued.version}, {pages} "
        f"page{'s' if pages != 1 else ''}) to {args.out}; recorded as issued, "
        f"SHA-256 {issued.sha256}."
    )
    return 0


def run_superbills(args: argparse.Namespace) -> int:

    from otdesk.commands.session import once_more_if_lost

    with _service(args) as service:
        plan = None

        def batch() -> Any:
            nonlocal plan
            plan = service.plan_batch(args.date, args.to, include_drafts=args.include_drafts)
            if args.dir and not Path(args.dir).is_dir():
                raise CliError(f"{args.dir} is not a folder.")
            return service.issue_batch(
                plan,
                out=args.out,
                folder=args.dir,
                reason=args.issue_anyway,
                paper=args.paper,
            )

        try:
            result = once_more_if_lost(batch, "the superbills")
        except UserError as error:
            if plan_skips := _skips_of(plan):
                print(plan_skips, file=sys.stderr)
            raise CliError(str(error)) from None
    for skipped in result.skipped:
        print(
            f"Skipped visit {skipped.visit_id} (account {skipped.account_number}, "
            f"{shown(skipped.date_of_service)}): {'; '.join(skipped.reasons)}.",
            file=sys.stderr,
        )
    where = args.out or args.dir
    count = len(result.issued)
    print(
        f"Wrote {count} superbill{'s' if count != 1 else ''} to {where} "
        f"({len(result.files)} file{'s' if len(result.files) != 1 else ''}); "
        f"{len(result.skipped)} skipped."
    )
    if result.skipped and not args.issue_anyway:
        print(
            "Fix the skipped visits, or add --issue-anyway REASON to write them too.",
            file=sys.stderr,
        )
    return 0


def run_encounter_form(args: argparse.Namespace) -> int:
    from otdesk.export import write_file_atomic

    with _service(args) as service:
        patient_id = _patient_id(service, args.patient)
        document = service.encounter_form(
            patient_id, args.date, provider_id=args.provider, paper=args.paper
        )
        write_file_atomic(args.out, document)
        service.record_encounter_form(
            patient_id, args.date, document, how="file", file_name=args.out
        )
    print(f"Wrote the encounter form to {args.out}.")
    return 0


def run_settings(args: argparse.Namespace) -> int:
    changes: dict[str, object] = {}
    if args.paper:
        changes["paper"] = args.paper
    if args.out_of_network:
        changes["out_of_network"] = args.out_of_network == "on"
    if args.out_of_network_text is not None:
        changes["out_of_network_text"] = args.out_of_network_text
    if args.favourites is not None:
        changes["favourite_codes"] = args.favourites
    with _service(args) as service:
        if changes:
            service.save_settings(**changes)
        if args.logo or args.no_logo:
            service.set_logo(None if args.no_logo else args.logo)
        if args.signature:
            provider, image = args.signature
            try:
                provider_id = int(provider)
            except ValueError:
                raise CliError(f"{provider!r} is not a provider id.") from None
            service.set_signature(provider_id, None if image == "-" else image)
        settings = service.settings()
    print(f"Paper: {settings.paper}")
    print(f"Out-of-network statement: {'on' if settings.out_of_network else 'off'}")
    print(f"  {settings.out_of_network_text}")
    print(f"Encounter form codes: {' '.join(settings.favourite_codes)}")
    print(f"Logo: {'set' if settings.has_logo else 'none'}")
    return 0


# --- helpers -----------------------------------------------------------------------------------


class _Opened:
    """The clinic and its superbill service, closed at the end of a `with`."""

    def __init__(self, args: argparse.Namespace) -> None:
        from otdesk.services.superbills import SuperbillService

        self.session = open_clinic(args)
        self.clinic = self.session.clinic
        self.clinic.ctx.icd = _icd_index()
        self.service = SuperbillService(self.clinic.ctx)

    def __enter__(self):  # -> SuperbillService
        return self.service

    def __exit__(self, *exc_info: object) -> None:
        self.session.close()


def _service(args: argparse.Namespace) -> _Opened:
    return _Opened(args)


def _icd_index():
    """The ICD-10-CM index for the diagnoses' descriptions (built on first use, as the
    rules command does); None when it cannot be had: the codes are printed without words."""
    from otdesk.core import icd

    try:
        if not icd.index_is_current():
            print("Building the ICD-10-CM index (first use, a few seconds)...", file=sys.stderr)
        return icd.open_index()
    except Exception as error:  # the superbill is still useful without the descriptions
        print(f"Diagnosis descriptions left out: {error}", file=sys.stderr)
        return None


def _incomplete(visit_id: int, problems: tuple[str, ...]) -> str:
    listed = "\n  - ".join(problems)
    return (
        f"The superbill of visit {visit_id} is incomplete; nothing was written:\n  - {listed}\n"
        "Fix these, or add --issue-anyway REASON (recorded in the audit log)."
    )


def _skips_of(plan: object) -> str:
    incomplete = getattr(plan, "incomplete", ()) + getattr(plan, "refused", ())
    return "\n".join(
        f"Visit {p.data.visit_id} ({p.data.patient.account_number}): "
        + "; ".join(
            (p.completeness.refused,) if p.completeness.refused else p.completeness.problems
        )
        for p in incomplete
    )


def _page_count(document: bytes) -> int:
    # each page object ReportLab writes holds "/Type /Page" and a newline (the page tree
    # holds "/Type /Pages")
    return document.count(b"/Type /Page\n") or 1


def _patient_id(service, text: str) -> int:  # service: SuperbillService
    found = [
        m.patient
        for m in service.patients.search(text, include_inactive=True)
        if m.matched_on == "account_number"
    ]
    if found:
        return found[0].id
    if text.isdigit():
        return int(text)
    raise CliError(f"No patient has the account number {text!r}.")
