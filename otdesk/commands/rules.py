"""`otdesk rules check VISIT.json [--json] [--no-icd]` and `otdesk rules list`."""

from __future__ import annotations

import argparse
import json
import sys

from otdesk.commands import CliError
from otdesk.commands.units import print_units

# Every start builds the whole parser: the rules engine, its tables and the visit JSON reader
# are imported only when a rules command runs.

MAX_VISIT_BYTES = 1_000_000
# By Severity value, most serious first.
_HEADINGS = {"error": "Errors", "warning": "Warnings", "info": "Notes"}


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rules = subparsers.add_parser("rules", help="check a visit's charges before billing")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = rules_sub.add_parser(
        "check",
        parents=[common],
        help="units and findings for one visit described in a JSON file",
        description="Compute the units and run every billing rule on one visit. The exit "
        "code is 0 even when there are findings; 2 means the file could not be used.",
    )
    check.add_argument("visit", metavar="VISIT.json", help="the visit as JSON ('-': stdin)")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument(
        "--no-icd",
        action="store_true",
        help="skip the ICD-10-CM checks (dx-unknown, dx-not-billable, dx-excludes1)",
    )
    check.set_defaults(run=run_check)
    listing = rules_sub.add_parser("list", parents=[common], help="list the rule ids")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    share = rules_sub.add_parser(
        "share",
        parents=[common],
        help="share this desk's KX and deleted-code tables with every desk of a clinic server",
        description="On a clinic server, write this desk's kx_thresholds.csv and "
        "deleted_codes.csv (from --data-dir) into the clinic database; every desk then "
        "checks visits against them. Imported NCCI and MUE tables are shared at import.",
    )
    share.set_defaults(run=_run_share)


def read_visit_file(name: str):
    """The Visit in a JSON file ('-' for stdin); CliError with one sentence otherwise."""
    from otdesk.core.visit_json import VisitInputError, visit_from_json

    label = "standard input" if name == "-" else name
    try:
        if name == "-":
            text = sys.stdin.read(MAX_VISIT_BYTES + 1)
        else:
            with open(name, encoding="utf-8-sig") as file:
                text = file.read(MAX_VISIT_BYTES + 1)
    except FileNotFoundError:
        raise CliError(f"{label}: no such file.") from None
    except UnicodeDecodeError:
        raise CliError(f"{label} is not UTF-8 text.") from None
    except OSError as error:
        raise CliError(f"{label} cannot be read ({error.strerror}).") from None
    if len(text) > MAX_VISIT_BYTES:
        raise CliError(f"{label} is larger than a visit file can be ({MAX_VISIT_BYTES:,} bytes).")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{label} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    try:
        return visit_from_json(data)
    except VisitInputError as error:
        raise CliError(f"{label}: {error}") from None


def _dx_checker(args: argparse.Namespace):
    if args.no_icd:
        return None, None
    from otdesk.core import icd

    try:
        if not icd.index_is_current():
            print("Building the ICD-10-CM index (first use, a few seconds)...", file=sys.stderr)
        index = icd.open_index()
    except icd.IcdError as error:
        raise CliError(
            f"The ICD-10-CM index is not available ({error}); use --no-icd to skip the "
            "diagnosis code checks."
        ) from None
    return index.validate, index


def run_check(args: argparse.Namespace) -> int:
    from otdesk.core.fixes import fix_label
    from otdesk.core.rules import check_visit
    from otdesk.core.tables import RuleTables, TableError
    from otdesk.core.units import UnitsInputError
    from otdesk.paths import user_data_dir

    visit = read_visit_file(args.visit)
    try:
        tables = RuleTables.load(user_data_dir(args.data_dir))
    except TableError as error:
        raise CliError(str(error)) from None
    dx_check, index = _dx_checker(args)
    try:
        result = check_visit(visit, dx_check=dx_check, tables=tables)
    except (UnitsInputError, TableError) as error:
        raise CliError(str(error)) from None
    finally:
        if index is not None:
            index.close()
    if args.json:
        print(json.dumps(result.to_json()))
        return 0
    units = result.units
    print(f"Units ({units.rule} rule):")
    print_units(units, indent="  ")
    print(units.explanation)
    print()
    if not result.findings:
        print("No findings: the charges pass every rule.")
        return 0
    for severity, heading in _HEADINGS.items():
        found = [f for f in result.findings if f.severity == severity]
        if not found:
            continue
        print(f"{heading} ({len(found)}):")
        for finding in found:
            print(f"  [{finding.rule}] {finding.message}")
            if finding.fix:
                print(f"      fix: {fix_label(finding.fix, visit)}")
        print()
    return 0


def _run_share(args: argparse.Namespace) -> int:
    from otdesk.commands.ncci import run_share

    return run_share(args)


def run_list(args: argparse.Namespace) -> int:
    from otdesk.core.rules import RULES

    if args.json:
        print(json.dumps([{"rule": rule_id, "severity": str(sev)} for rule_id, sev, _ in RULES]))
        return 0
    for rule_id, severity, _ in RULES:
        print(f"{rule_id:<26} {severity}")
    return 0
