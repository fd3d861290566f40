"""`otdesk codes search TEXT [--limit N] [--json]` and `otdesk codes show CODE [--json]`."""

from __future__ import annotations

import argparse
import json
import sys

from otdesk.cli import CliError
from otdesk.core.catalog import (
    BillingKind,
    Procedure,
    code_format_problem,
    default_catalog,
    normalize_code,
)

EXIT_NO_MATCH = 1
MAX_LIMIT = 1000

_KIND_WORDS = {
    BillingKind.TIMED: "timed",
    BillingKind.UNTIMED: "untimed",
    BillingKind.ADDON: "add-on",
    BillingKind.ITEM: "item",
}


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
    matches = default_catalog().search(text, limit=limit)
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
    catalog = default_catalog()
    procedure = catalog.get(code)
    if procedure is None:
        raise CliError(unknown_code_message(code, catalog))
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
        print(f"  in effect:   from {procedure.effective_from.isoformat()}")
    return 0


def unknown_code_message(code: str, catalog) -> str:
    """ "Code 97410 is not in otdesk's procedure catalog. Did you mean 97140 (...)? ..." """
    return (
        f"Code {code} is not in otdesk's procedure catalog.{catalog.did_you_mean(code)} "
        "Try `otdesk codes search`, or add it as a clinic's custom code."
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
