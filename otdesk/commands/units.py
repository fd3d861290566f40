"""`otdesk units --rule cms|per-code CODE=MINUTES ... [--json]`."""

from __future__ import annotations

import argparse
import json
import re

from otdesk.commands import CliError
from otdesk.core.catalog import code_format_problem, default_catalog, normalize_code
from otdesk.core.numbers import NotAWholeNumberError, whole_number
from otdesk.core.units import (
    MAX_MINUTES,
    UnitLine,
    UnitRule,
    UnitsInputError,
    UnitsResult,
    compute_units,
    parse_rule,
)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    units = subparsers.add_parser(
        "units",
        parents=[common],
        help="turn minutes into billable units and explain the arithmetic",
        description="Units for one patient, one date of service, one discipline. "
        "Example: otdesk units --rule cms 97110=33 97140=7",
    )
    units.add_argument(
        "--rule",
        default=UnitRule.CMS.value,
        metavar="RULE",
        help="cms (Medicare 8-minute total-time rule, the default) or per-code",
    )
    units.add_argument("--json", action="store_true", help="print JSON")
    units.add_argument("items", nargs="*", metavar="CODE=MINUTES")
    units.set_defaults(run=run)


def parse_items(items: list[str]) -> list[UnitLine]:
    """CODE=MINUTES words into unit lines, checked against the procedure catalog (for a
    code billed per item, CODE=ITEMS: L3807=2 is two orthoses)."""
    if not items:
        raise CliError("Give at least one CODE=MINUTES item, e.g. 97110=33.")
    catalog = default_catalog()
    lines = []
    for item in items:
        code_text, sep, minutes_text = item.partition("=")
        if not sep:
            raise CliError(f"{item!r} is missing '=': write CODE=MINUTES, e.g. 97110=33.")
        code = normalize_code(code_text)
        problem = code_format_problem(code)
        if problem:
            raise CliError(problem)
        procedure = catalog.get(code)
        if procedure is None:
            raise CliError(f"Unknown code {code} in {item!r}: it is not in the procedure catalog.")
        minutes_text = minutes_text.strip()
        if re.fullmatch(r"-[0-9]+", minutes_text, re.ASCII):
            raise CliError(f"{item!r}: minutes cannot be negative.")
        try:
            minutes = whole_number(minutes_text)
        except NotAWholeNumberError as error:
            raise CliError(f"{item!r}: the minutes {error}.") from None
        if minutes > MAX_MINUTES:
            raise CliError(f"{item!r}: {minutes} minutes is more than a day ({MAX_MINUTES}).")
        if procedure.per_item:
            # an orthosis or a supply: the number is how many items, not minutes
            lines.append(UnitLine(code=code, minutes=0, timed=False, per_item=True, items=minutes))
            continue
        lines.append(UnitLine(code=code, minutes=minutes, timed=procedure.is_timed))
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        rule = parse_rule(args.rule)
        result = compute_units(parse_items(args.items), rule)
    except UnitsInputError as error:
        raise CliError(str(error)) from None
    if args.json:
        print(json.dumps(result.to_json()))
        return 0
    print_units(result)
    print()
    print(result.explanation)
    return 0


def print_units(result: UnitsResult, indent: str = "") -> None:
    """The units as a small table, one line per (merged) charge line, and the totals."""
    for line in result.lines:
        kind = "timed" if line.timed else "per item" if line.per_item else "untimed"
        name = f"{line.code}-{line.group}" if line.group else line.code
        word = "unit " if line.units == 1 else "units"
        print(f"{indent}{name:<9} {line.minutes:>4} min  {line.units:>2} {word}  ({kind})")
    print(f"Total timed minutes: {result.total_timed_minutes}; timed units: {result.total_units}")
