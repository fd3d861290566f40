"""`otdesk codes search TEXT [--limit N] [--json]`, `otdesk codes show CODE [--json]`, and
the clinic's own codes: `otdesk codes add CODE --label ... --kind timed|untimed|item
[--discipline OT] [--fee 85.00]`, `otdesk codes clinic [--json]`, `otdesk codes remove CODE`.

Search and show cover the clinic's own codes and fee-schedule codes too when the data
folder holds a clinic database (none is made for them)."""

from __future__ import annotations

import argparse
import json
import sys

from otdesk.commands import CliError
from otdesk.core.catalog import (
    BillingKind,
    Catalog,
    Procedure,
    code_format_problem,
    default_catalog,
    normalize_code,
)
from otdesk.core.dates import shown
from otdesk.core.visit import DISCIPLINES
from otdesk.errors import UserError
from otdesk.paths import found_database

EXIT_NO_MATCH = 1
MAX_LIMIT = 1000

_KIND_WORDS = {
    BillingKind.TIMED: "timed",
    BillingKind.UNTIMED: "untimed",
    BillingKind.ADDON: "add-on",
    BillingKind.ITEM: "item",
}
CLINIC_KINDS = ("timed", "untimed", "item")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    codes = subparsers.add_parser("codes", help="look up procedure (CPT/HCPCS) codes")
    codes_sub = codes.add_subparsers(dest="codes_command", metavar="ACTION", required=True)

    search = codes_sub.add_parser(
        "search",
        parents=[common],
        help="find codes by number, shorthand or words",
        description="Find procedure codes by number (97110, 971), shorthand "
        "(ther ex, ta, e-stim) or words from the label. Best match first.",
    )
    search.add_argument("text", nargs="+", metavar="TEXT", help="what to look for")
    search.add_argument(
        "--limit", default="20", metavar="N", help="show at most N matches (default 20)"
    )
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(run=run_search)

    show = codes_sub.add_parser("show", parents=[common], help="show one code's details")
    show.add_argument("code", help="the procedure code, e.g. 97110 or G0283")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=run_show)

    add = codes_sub.add_parser(
        "add",
        parents=[common],
        help="add a code the catalog lacks as one of the clinic's own codes",
        description="Add a well-formed CPT/HCPCS code that otdesk's catalog lacks (a payer's "
        "own code, an L-code) as a clinic code: it is then searched and billed like the "
        "catalog's codes. Give the label in your own plain words.",
    )
    add.add_argument("code", help="the code, e.g. 98975 or a payer's own code")
    add.add_argument("--label", required=True, help="what it is, in plain words")
    add.add_argument(
        "--kind",
        required=True,
        choices=CLINIC_KINDS,
        help="timed (15-minute units from the minutes), untimed (1 unit per visit) or item "
        "(1 unit per item supplied)",
    )
    add.add_argument(
        "--discipline",
        action="append",
        choices=DISCIPLINES,
        metavar="OT|PT|SLP",
        help="the discipline it belongs to (gets GO/GP/GN); repeat for several; none: not "
        "a therapy service",
    )
    add.add_argument("--fee", metavar="AMOUNT", help="the clinic's charge per unit, e.g. 85.00")
    add.set_defaults(run=run_add)

    listing = codes_sub.add_parser("clinic", parents=[common], help="list the clinic's codes")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_clinic_list)

    remove = codes_sub.add_parser(
        "remove",
        parents=[common],
        help="remove a clinic code (visits that bill it keep it)",
    )
    remove.add_argument("code", help="the clinic code to remove")
    remove.set_defaults(run=run_remove)


def _parse_limit(text: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise CliError(f"--limit must be a whole number from 1 to {MAX_LIMIT}, not {text!r}.")
    return int(value)


def _kind_word(procedure: Procedure) -> str:
    return "deleted" if procedure.deleted else _KIND_WORDS[procedure.kind]


def run_search(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    limit = _parse_limit(args.limit)
    if not any(char.isalnum() for char in text):
        raise CliError("Give some text to search for, e.g. 'ther ex' or 97110.")
    matches = _catalog(args).search(text, limit=limit)
    if args.json:
        rows = [
            {
                "code": p.code,
                "label": p.label,
                "kind": p.kind.value,
                "category": p.category,
            }
            for p in matches
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not matches:
        print(f"No procedure code matches {text!r}.", file=sys.stderr)
        return EXIT_NO_MATCH
    for p in matches:
        print(f"{p.code:<6}  {_kind_word(p):<7}  {p.label}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    code = normalize_code(args.code)
    problem = code_format_problem(code)
    if problem:
        raise CliError(problem)
    catalog = _catalog(args)
    procedure = catalog.get(code)
    if procedure is None:
        raise CliError(unknown_code_message(code, catalog, args.data_dir))
    if args.json:
        print(
            json.dumps(
                {
                    "code": procedure.code,
                    "label": procedure.label,
                    "kind": procedure.kind.value,
                    "category": procedure.category,
                    "primary": procedure.primary,
                    "disciplines": sorted(procedure.disciplines),
                    "synonyms": list(procedure.synonyms),
                    "deleted": procedure.deleted,
                    "effective_from": procedure.effective_from.isoformat()
                    if procedure.effective_from
                    else None,
                },
                indent=2,
            )
        )
        return 0
    print(f"{procedure.code}  {procedure.label}")
    if procedure.deleted:
        print("  status:      DELETED: not billable for current dates of service")
    print(f"  category:    {procedure.category}")
    print(f"  billing:     {_billing_text(procedure)}")
    disciplines = ", ".join(sorted(procedure.disciplines)) or "none (not a therapy code)"
    print(f"  disciplines: {disciplines}")
    if procedure.synonyms:
        print(f"  shorthand:   {', '.join(procedure.synonyms)}")
    if procedure.effective_from:
        print(f"  in effect:   from {shown(procedure.effective_from)}")
    return 0


def unknown_code_message(code: str, catalog, data_dir: str | None = None) -> str:
    """ "Code 97410 is not in otdesk's procedure catalog. Did you mean 97140 (...)? ..." with
    the exact command that adds it as a clinic code."""
    from otdesk.paths import cli_command

    add = cli_command(
        "codes", "add", code, "--label", "WORDS", "--kind", "timed", data_dir=data_dir
    )
    return (
        f"Code {code} is not in otdesk's procedure catalog or the clinic's codes."
        f"{catalog.did_you_mean(code)} If it is right, add it as a clinic code with `{add}` "
        "(WORDS: what it is, in your own words; --kind untimed or item if it is not billed "
        "by the minute)."
    )


def _billing_text(procedure: Procedure) -> str:
    if procedure.kind is BillingKind.TIMED:
        return "timed: 15-minute units"
    if procedure.kind is BillingKind.ADDON:
        return (
            f"timed add-on: 15-minute units, only with {procedure.primary} "
            "on the same date of service"
        )
    if procedure.kind is BillingKind.ITEM:
        return "per item: units are the items supplied (1 unless entered), not minutes"
    return "untimed: 1 unit per service, whatever the minutes"


def _catalog(args: argparse.Namespace) -> Catalog:
    """The shipped catalog, with the clinic's own and fee-schedule codes when there is a
    clinic database: a plain one (from before accounts) is read as it is; an encrypted one
    when someone signs in (--user or $OTDESK_USER), else the shipped catalog alone (looking
    up a code needs no account)."""
    from otdesk.commands.session import Session, server_address, user_name
    from otdesk.storage.encrypt import clinic_state

    if server_address(args) is not None:
        if not user_name(args):
            return default_catalog()
        with Session(args, daily_backup=False) as clinic:
            return clinic.codes.search_catalog()
    path = found_database(args.data_dir)
    if path is None:
        return default_catalog()
    if clinic_state(path) == "encrypted":
        if not user_name(args):
            return default_catalog()
        with Session(args, database=path, daily_backup=False) as clinic:
            return clinic.codes.search_catalog()
    with _open(path) as clinic:
        return clinic.codes.search_catalog()


def _open(path):  # -> Clinic
    from otdesk.services import Clinic

    try:
        return Clinic.open(path=path, daily_backup=False)
    except UserError as error:
        raise CliError(str(error)) from None


def _clinic(args: argparse.Namespace):  # -> Session (a signed-in clinic)
    from otdesk.commands.session import Session

    try:
        return Session(args)
    except UserError as error:
        raise CliError(str(error)) from None


def run_add(args: argparse.Namespace) -> int:
    with _clinic(args) as clinic:
        try:
            code = clinic.codes.add(
                args.code,
                label=args.label,
                kind=args.kind,
                disciplines=args.discipline or [],
                fee=args.fee,
            )
        except UserError as error:
            raise CliError(str(error)) from None
    where = ", ".join(code.disciplines) or "not a therapy service"
    fee = f", {args.fee} per unit" if args.fee else ""
    print(f"Added clinic code {code.code}: {code.label} ({code.kind}; {where}{fee}).")
    return 0


def run_clinic_list(args: argparse.Namespace) -> int:
    with _clinic(args) as clinic:
        codes = clinic.codes.list()
    if args.json:
        rows = [
            {
                "code": c.code,
                "label": c.label,
                "kind": c.kind,
                "disciplines": list(c.disciplines),
                "used": c.used,
            }
            for c in codes
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not codes:
        print("The clinic has no codes of its own yet.")
    for c in codes:
        where = ", ".join(c.disciplines) or "not therapy"
        print(f"{c.code:<6}  {c.kind:<7}  {where:<11}  {c.label}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with _clinic(args) as clinic:
        try:
            deleted = clinic.codes.remove(args.code)
        except UserError as error:
            raise CliError(str(error)) from None
    code = normalize_code(args.code)
    if deleted:
        print(f"Removed clinic code {code}.")
    else:
        print(f"Removed clinic code {code} from the list; the visits that bill it keep it.")
    return 0
