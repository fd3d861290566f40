"""ICD-10-CM typeahead: the SQLite FTS5 index against a plain Python scan of the same rows.

Run by hand:  python benchmarks/icd_search.py [--rounds 200] [--scan-rounds 30] [--builds 1]

Builds the index in a temporary folder (timed), then times 27 queries a front desk person
would type, interleaved, and prints median and p99 per query in microseconds for both, with
the ratio. The scan matches every word in descriptions and inclusion terms only (no
vocabulary, narrowing or ranking rules), so "shared" is the share of its first 20 codes
that the index also lists: a sanity check, not an equality. Budgets (docs/architecture.md,
issue 11): p99 <= 5 ms per query for the index, index build <= 5 s.
Measured once beside it: importing the simple-icd-10-cm package itself costs about 1.5 s
and 190 MB, which is why otdesk.core.icd reads its data files without importing it.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from otdesk.core import icd  # noqa: E402

QUERIES = [
    "muscle weak",
    "lack of coord",
    "trigger fing",
    "carpal tun",
    "paralytic gait",
    "stroke",
    "autism",
    "developmental coordination disorder",
    "M62.8",
    "m628",
    "R26",
    "s72",
    "hemiplegia",
    "cerebral palsy",
    "rotator cuff tear",
    "frac dist radius",
    "osteoarthritis knee",
    "de quervain",
    "pain in right shoulder",
    "a",
    "frozen shoulder left",
    "CVA",
    "colles fracture right initial",
    "hemiplegia after stroke left dominant",
    "carpel tunnel right",
    "s/p TKA right",
    "boxers fracture right subsequent",
]
LIMIT = 20
BUDGET_P99_US = 5000.0
BUDGET_BUILD_S = 5.0
_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"[A-Z][0-9A-Z]{1,6}", re.ASCII)


class PythonScan:
    """The obvious implementation: keep every row in lists and scan them per keystroke
    (lowercase word-prefix tests by substring on a padded string, then sort the matches)."""

    def __init__(self, path: Path):
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT code, nodot, description, billable, terms FROM codes")
            self.rows = []
            for code, nodot, description, billable, terms in rows:
                in_description = " " + " ".join(_WORD.findall(description.lower()))
                everywhere = " " + " ".join(_WORD.findall(f"{description} {terms}".lower()))
                self.rows.append(
                    (code, nodot, description, bool(billable), in_description, everywhere)
                )

    def search(self, text: str, limit: int = LIMIT) -> list[str]:
        found: list[str] = []
        nodot = text.strip().upper().replace(".", "")
        if _CODE.fullmatch(nodot) and any(c.isdigit() for c in nodot):
            hits = [(len(r[1]), r[1], r[0]) for r in self.rows if r[1].startswith(nodot)]
            found = [code for _n, _c, code in sorted(hits)[:limit]]
        if len(found) < limit:
            words = [" " + w for w in _WORD.findall(text.lower())]
            if words:
                ranked = []
                for code, nodot, description, billable, in_desc, everywhere in self.rows:
                    if all(w in everywhere for w in words):
                        kind = 0 if all(w in in_desc for w in words) else 1
                        ranked.append(((not billable, kind, len(description), nodot), code))
                seen = set(found)
                for _key, code in sorted(ranked):
                    if len(found) >= limit:
                        break
                    if code not in seen:
                        found.append(code)
        return found


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_queries(search, rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {q: [] for q in QUERIES}
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for query in QUERIES:  # interleaved, so drift hits every query alike
            start = clock()
            search(query)
            timings[query].append((clock() - start) / 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="index rounds (default 200)")
    parser.add_argument(
        "--scan-rounds", type=int, default=30, help="Python scan rounds (default 30; slow)"
    )
    parser.add_argument("--builds", type=int, default=1, help="index builds to time")
    args = parser.parse_args()

    source = icd.find_source()
    if source is None:
        print("simple-icd-10-cm is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / icd.index_file_name(source.release)
        builds = []
        for _ in range(args.builds):
            start = time.perf_counter()
            icd.build_index(path, source=source)
            builds.append(time.perf_counter() - start)
        print(
            f"ICD-10-CM {source.release}: index build {statistics.median(builds):.2f} s "
            f"(median of {len(builds)}: {', '.join(f'{b:.2f}' for b in builds)}), "
            f"file {path.stat().st_size / 1e6:.1f} MB"
        )
        start = time.perf_counter()
        index = icd.open_index(path, build_if_missing=False, source=source)
        opened = time.perf_counter() - start
        start = time.perf_counter()
        scan = PythonScan(path)
        loaded = time.perf_counter() - start
        print(
            f"open index {opened * 1000:.1f} ms; load {len(scan.rows):,} rows for the scan "
            f"{loaded * 1000:.0f} ms\n"
        )

        def search_index(text: str) -> list[str]:
            return [d.code for d in index.search(text, LIMIT)]

        agree = {}
        for query in QUERIES:
            scanned = scan.search(query)
            agree[query] = len(set(scanned) & set(search_index(query))) / max(len(scanned), 1)
        fts = time_queries(search_index, args.rounds)
        plain = time_queries(scan.search, args.scan_rounds)
        index.close()

    header = (
        f"{'query':<37}{'hits':>5}  {'index med':>9} {'p99':>7}   "
        f"{'scan med':>9} {'p99':>7}  {'ratio':>6}  shared"
    )
    print(f"times in microseconds; index {args.rounds} rounds, scan {args.scan_rounds} rounds")
    print(header)
    print("-" * len(header))
    ratios = []
    for query in QUERIES:
        f_med, f_99 = statistics.median(fts[query]), percentile(fts[query], 0.99)
        p_med, p_99 = statistics.median(plain[query]), percentile(plain[query], 0.99)
        ratios.append(p_med / f_med)
        hits = len(scan.search(query))
        print(
            f"{query:<37}{hits:>5}  {f_med:>9.0f} {f_99:>7.0f}   {p_med:>9.0f} {p_99:>7.0f}"
            f"  {p_med / f_med:>5.0f}x  {agree[query]:>5.0%}"
        )
    all_fts = [t for times in fts.values() for t in times]
    all_plain = [t for times in plain.values() for t in times]
    worst = max(percentile(times, 0.99) for times in fts.values())
    print("-" * len(header))
    print(
        f"{'all queries':<37}{'':>5}  {statistics.median(all_fts):>9.0f} "
        f"{percentile(all_fts, 0.99):>7.0f}   {statistics.median(all_plain):>9.0f} "
        f"{percentile(all_plain, 0.99):>7.0f}  "
        f"{statistics.median(all_plain) / statistics.median(all_fts):>5.0f}x"
    )
    build = statistics.median(builds)
    print(
        f"\nmedian of per-query ratios: {statistics.median(ratios):.0f}x; "
        f"worst per-query index p99 {worst:.0f} us "
        f"({'within' if worst <= BUDGET_P99_US else 'OVER'} the {BUDGET_P99_US:.0f} us budget); "
        f"index build {build:.2f} s "
        f"({'within' if build <= BUDGET_BUILD_S else 'OVER'} the {BUDGET_BUILD_S:.0f} s budget)"
    )
    return 0 if worst <= BUDGET_P99_US and build <= BUDGET_BUILD_S else 1


if __name__ == "__main__":
    sys.exit(main())
