"""`otdesk icd search|show|index`: look up ICD-10-CM diagnosis codes.

The index lives in the cache folder ($OTDESK_CACHE_DIR when set, else the user cache folder)
and is built on first use from the simple-icd-10-cm package, with progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, TextIO

from otdesk.commands import CliError

if TYPE_CHECKING:
    from otdesk.core import icd

# Every start builds the whole parser: otdesk.core.icd (sqlite3, XML parser) is imported
# only when an icd command runs.
_CACHE_DIR_ENV = "OTDESK_CACHE_DIR"  # otdesk.core.icd.CACHE_DIR_ENV

_SHOW_CHILDREN = 30
_BAR_WIDTH = 30


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "icd",
        help="search and check ICD-10-CM diagnosis codes",
        description=f"ICD-10-CM diagnosis codes. The search index is kept in the cache folder "
        f"(${_CACHE_DIR_ENV} when set) and built on first use.",
    )
    actions = parser.add_subparsers(dest="icd_command", metavar="ACTION", required=True)

    search = actions.add_parser(
        "search",
        parents=[common],
        help="find codes by code prefix or by words of the description",
        description='Find codes: a code or its start ("M62.8", "r26") lists codes starting '
        'with it; words ("muscle weak") list codes with a word starting with each.',
    )
    search.add_argument("text", nargs="*", help="what to look for (several words are joined)")
    search.add_argument("--limit", type=_positive_int, default=20, help="at most N (default 20)")
    search.add_argument("--json", action="store_true", help="print a JSON list")
    search.add_argument(
        "--stdin",
        action="store_true",
        help="read one query per line from stdin; write one JSON list per line (needs --json)",
    )
    search.set_defaults(run=run_search)

    show = actions.add_parser(
        "show",
        parents=[common],
        help="show one code: description, billable or not, inclusion terms",
    )
    show.add_argument("code", help='the code, with or without the dot ("M62.81", "m6281")')
    show.set_defaults(run=run_show)

    index = actions.add_parser(
        "index", parents=[common], help="build the search index now (or check it is current)"
    )
    index.add_argument(
        "--rebuild", action="store_true", help="build it again even when it is current"
    )
    index.set_defaults(run=run_index)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# --- search -----------------------------------------------------------------------------------


def run_search(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    if args.stdin:
        if text:
            raise CliError("Give the search text as an argument or with --stdin, not both.")
        if not args.json:
            raise CliError("--stdin writes one JSON list per line; add --json.")
        with _open_index() as index:
            for line in iter(sys.stdin.readline, ""):
                results = index.search(line.rstrip("\r\n"), args.limit)
                print(json.dumps(_as_json(results)), flush=True)
        return 0
    if not text:
        raise CliError("Give the text to search for (a code or words), or --stdin.")
    with _open_index() as index:
        results = index.search(text, args.limit)
    if args.json:
        print(json.dumps(_as_json(results), indent=2))
    elif not results:
        print(f"No ICD-10-CM code matches {text!r}.")
    else:
        for found in results:
            print(_line(found))
    return 0


def _as_json(results: list[icd.Diagnosis]) -> list[dict[str, object]]:
    return [{"code": d.code, "description": d.description, "billable": d.billable} for d in results]


def _line(found: icd.Diagnosis) -> str:
    mark = "" if found.billable else "  (not billable)"
    return f"{found.code:<9}{found.description}{mark}"


# --- show -------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    with _open_index() as index:
        found = index.get(args.code)
        if found is None:
            raise CliError(index.validate(args.code).message)
        count = 0 if found.billable else index.count_billable_children(found.code)
        print(f"{found.code}  {found.description}")
        if found.billable:
            print("Billable: yes")
        else:
            kind = "category" if len(found.code) == 3 else "subcategory"
            print(f"Billable: no, a {kind}; bill one of the {count:,} billable codes under it")
        terms = index.inclusion_terms(found.code)
        if terms:
            print("Inclusion terms:")
            for term in terms:
                print(f"  {term}")
        if not found.billable:
            print("Billable codes:")
            for child in index.billable_children(found.code, _SHOW_CHILDREN):
                print(f"  {_line(child)}")
            if count > _SHOW_CHILDREN:
                print(f"  ... and {count - _SHOW_CHILDREN:,} more")
        print(f"ICD-10-CM release {index.release}")
    return 0


# --- index ------------------------------------------------------------------------------------


def run_index(args: argparse.Namespace) -> int:
    from otdesk.core import icd

    source = icd.find_source()
    if args.rebuild:
        if source is None:
            raise CliError(
                "The ICD-10-CM data package simple-icd-10-cm is not installed; "
                "install it to build the diagnosis index."
            )
        bar = _ProgressBar(sys.stderr, source.release)
        try:
            icd.build_index(progress=bar, source=source)
        except (icd.IcdError, OSError) as error:
            raise _cli_error(error) from None
        bar.finish()
    with _open_index(source) as index:
        print(
            f"ICD-10-CM {index.release} index: {index.code_count:,} codes, "
            f"{index.billable_count:,} billable, in {index.path}"
        )
    return 0


# --- opening with progress ----------------------------------------------------------------------


def _open_index(source: icd.IcdSource | None = None) -> icd.IcdIndex:
    """The index, built first (progress on stderr) when missing or out of date."""
    from otdesk.core import icd

    source = source or icd.find_source()
    bar = _ProgressBar(sys.stderr, source.release if source else "")
    try:
        index = icd.open_index(progress=bar, source=source)
    except (icd.IcdError, OSError) as error:
        raise _cli_error(error) from None
    bar.finish()
    return index


def _cli_error(error: Exception) -> CliError:
    from otdesk.core.icd import IcdError

    if isinstance(error, IcdError):
        text = str(error)
        return CliError(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."))
    assert isinstance(error, OSError)
    where = f" ({error.filename})" if error.filename else ""
    return CliError(f"Cannot build the ICD-10-CM index: {error.strerror or error}{where}.")


class _ProgressBar:
    """progress(done, total) for a build: a bar redrawn on a terminal, otherwise nothing until
    a single line at the end. Does nothing when no build happens."""

    def __init__(self, stream: TextIO, release: str):
        self.stream = stream
        self.label = f"Building the ICD-10-CM {release} index".replace("  ", " ")
        self.tty = _isatty(stream)
        self.started: float | None = None
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if self.started is None:
            self.started = time.perf_counter()
        if not self.tty or total <= 0:
            return
        percent = min(100, done * 100 // total)
        if percent == self.shown:
            return
        self.shown = percent
        filled = _BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {percent:3d}%")
        self.stream.flush()

    def finish(self) -> None:
        if self.started is None:
            return
        seconds = time.perf_counter() - self.started
        line = f"{self.label}: done in {seconds:.1f} s."
        self.stream.write(
            f"\r{line:<{len(self.label) + _BAR_WIDTH + 8}}\n" if self.tty else line + "\n"
        )
        self.stream.flush()
        self.started = None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
