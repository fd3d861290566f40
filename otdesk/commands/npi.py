"""`otdesk npi check NUMBER`."""

from __future__ import annotations

import argparse

from otdesk.commands import CliError
from otdesk.core.npi import npi_problem


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    npi = subparsers.add_parser("npi", help="check a National Provider Identifier")
    npi_sub = npi.add_subparsers(dest="npi_command", metavar="ACTION", required=True)
    check = npi_sub.add_parser("check", parents=[common], help="check an NPI's check digit")
    check.add_argument("number", help="the 10-digit NPI")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    problem = npi_problem(args.number)
    if problem:
        raise CliError(problem + ".")
    print(f"NPI {args.number.strip()} is valid.")
    return 0
