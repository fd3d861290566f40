"""`otdesk ncci import` and `otdesk mue import` through the real entry point."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.cli_helpers import run_otdesk
from tests.core.test_visit_json import ISSUE_EXAMPLE

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ncci"


def test_ncci_import_prints_a_summary_and_writes_a_private_table(tmp_path):
    done = run_otdesk(
        "ncci", "import", str(FIXTURES / "ptp_practitioner.txt"), "--data-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert "Imported 7 PTP edits from ptp_practitioner.txt" in done.stdout
    assert "effective dates 1996-01-01 to 2022-01-01" in done.stdout
    table = tmp_path / "ncci_ptp.sqlite3"
    assert table.is_file()
    if os.name == "posix":
        assert stat.S_IMODE(table.stat().st_mode) == 0o600


def test_a_malformed_ptp_file_is_rejected_and_the_previous_table_stays(tmp_path):
    good = run_otdesk(
        "ncci", "import", str(FIXTURES / "ptp_practitioner.txt"), "--data-dir", str(tmp_path)
    )
    assert good.returncode == 0, good.stderr
    before = (tmp_path / "ncci_ptp.sqlite3").read_bytes()
    done = run_otdesk(
        "ncci", "import", str(FIXTURES / "ptp_bad_date.txt"), "--data-dir", str(tmp_path)
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "ptp_bad_date.txt, line 7:" in done.stderr
    assert "previous table stays in force" in done.stderr
    assert done.stderr.count("\n") == 1
    assert (tmp_path / "ncci_ptp.sqlite3").read_bytes() == before


def test_mue_import_good_and_bad(tmp_path):
    done = run_otdesk(
        "mue", "import", str(FIXTURES / "mue_practitioner.csv"), "--data-dir", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    assert "Imported 5 MUE values" in done.stdout
    before = (tmp_path / "mue.csv").read_bytes()
    bad = run_otdesk(
        "mue", "import", str(FIXTURES / "mue_bad_value.txt"), "--data-dir", str(tmp_path)
    )
    assert bad.returncode == 2
    assert "line 5: MUE value 'four'" in bad.stderr
    assert (tmp_path / "mue.csv").read_bytes() == before


def test_missing_file_is_exit_2(tmp_path):
    done = run_otdesk("ncci", "import", str(tmp_path / "nope.txt"), "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_rules_check_uses_the_imported_tables(tmp_path):
    data_dir = str(tmp_path / "data")
    for command, name in (("ncci", "ptp_practitioner.txt"), ("mue", "mue_practitioner.csv")):
        done = run_otdesk(command, "import", str(FIXTURES / name), "--data-dir", data_dir)
        assert done.returncode == 0, done.stderr
    visit = dict(ISSUE_EXAMPLE)
    visit["lines"] = [
        {"code": "97032", "minutes": 15, "modifiers": ["GO"], "dx_pointers": ["A"]},
        {"code": "G0283", "minutes": 0, "modifiers": ["GO"], "dx_pointers": ["A"], "units": 2},
        {"code": "97014", "minutes": 0, "modifiers": ["GO"], "dx_pointers": ["A"]},
    ]
    visit["patient"] = {"plan_of_care": {"start": "2026-10-01"}}
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(visit))
    done = run_otdesk("rules", "check", str(path), "--json", "--no-icd", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    rules = {f["rule"]: f for f in json.loads(done.stdout)["findings"]}
    assert rules["ncci-pair"]["severity"] == "error"  # imported indicator 0 edit
    assert rules["mue-exceeded"]["lines"] == [1]  # G0283: 2 units, MUE 1
