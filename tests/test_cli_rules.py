"""`otdesk rules check` and `otdesk rules list` through the real entry point."""

from __future__ import annotations

import copy
import json

import pytest

from otdesk.core.rules import RULE_IDS
from tests.cli_helpers import run_otdesk
from tests.core.test_visit_json import ISSUE_EXAMPLE


@pytest.fixture(scope="module")
def icd_cache(tmp_path_factory):
    """A real ICD-10-CM index, built once for this module into a private cache folder."""
    from otdesk.core import icd

    source = icd.find_source()
    if source is None:
        pytest.skip("simple-icd-10-cm is not installed")
    folder = tmp_path_factory.mktemp("icd-cache")
    icd.open_index(folder / icd.index_file_name(source.release), source=source).close()
    return folder


@pytest.fixture
def env(icd_cache, tmp_path):
    return {"OTDESK_CACHE_DIR": str(icd_cache), "OTDESK_DATA_DIR": str(tmp_path / "data")}


UNITS_TEXT = "explanation"


def visit(**changes):
    data = copy.deepcopy(ISSUE_EXAMPLE)
    data.update(changes)
    return data


def lines(*specs):
    return [
        {"code": code, "minutes": minutes, "modifiers": list(mods), "dx_pointers": ["A"]}
        for code, minutes, *mods in specs
    ]


def check(tmp_path, data, *args, env=None):
    env = env or {"OTDESK_DATA_DIR": str(tmp_path / "data")}
    path = tmp_path / "visit.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return run_otdesk("rules", "check", str(path), *args, env=env)


def test_the_issue_example_as_json(tmp_path, env):
    done = check(tmp_path, visit(), "--json", env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"units", "findings"}
    assert set(data["units"]) == {
        "rule",
        "total_timed_minutes",
        "total_units",
        "lines",
        "explanation",
    }
    assert data["units"]["total_units"] == 2
    assert [f["rule"] for f in data["findings"]] == ["kx-required"]
    finding = data["findings"][0]
    assert set(finding) == {"rule", "severity", "message", "lines", "fix"}
    assert finding["severity"] == "error"
    assert finding["fix"] == {"add_modifier": "KX", "lines": [0]}


def test_seed_pair_suggests_xu_and_exits_0(tmp_path, env):
    data = visit(lines=lines(("97140", 15, "GO"), ("97530", 30, "GO")))
    data["patient"]["ytd_allowed"] = {"OT": "100.00"}
    done = check(tmp_path, data, "--json", env=env)
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["rule"], f["fix"]) for f in findings] == [
        ("ncci-pair", {"add_modifier": "XU", "lines": [1]})
    ]


def test_text_output_groups_findings_and_labels_fixes(tmp_path, env):
    data = visit(
        lines=lines(("97140", 15, "GO"), ("97530", 30, "GO"), ("97014", 0, "GO")),
        diagnoses=["R26"],
    )
    data["patient"]["treatment_days_since_progress_report"] = 7
    done = check(tmp_path, data, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Units (cms rule):")
    assert "CMS total-time rule: 45 timed minutes -> 3 units." in out
    assert out.index("Errors (") < out.index("Warnings (") < out.index("Notes (")
    assert "[medicare-replacement] Line 3 (97014)" in out
    assert "fix: Change line 3 (97014) to G0283" in out
    assert "fix: Add XU to line 2 (97530)" in out
    # the real ICD-10-CM index: R26 is a category
    assert "[dx-not-billable] Diagnosis A (R26)" in out
    assert "R26.89" in out


def test_real_index_flags_an_unknown_diagnosis(tmp_path, env):
    done = check(tmp_path, visit(diagnoses=["M62.81", "M62.999"]), "--json", env=env)
    rules = [f["rule"] for f in json.loads(done.stdout)["findings"]]
    assert "dx-unknown" in rules and "dx-not-billable" not in rules


def test_no_icd_skips_the_diagnosis_code_checks(tmp_path):
    done = check(tmp_path, visit(diagnoses=["R26"]), "--json", "--no-icd")
    assert done.returncode == 0, done.stderr
    assert "dx-not-billable" not in done.stdout


def test_a_clean_visit_says_so(tmp_path, env):
    data = visit()
    data["lines"][0]["modifiers"] = ["GO", "KX"]
    done = check(tmp_path, data, env=env)
    assert done.returncode == 0, done.stderr
    assert "No findings" in done.stdout


def test_reads_standard_input(tmp_path):
    done = run_otdesk(
        "rules",
        "check",
        "-",
        "--json",
        "--no-icd",
        stdin=json.dumps(visit()),
        env={"OTDESK_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["findings"][0]["rule"] == "kx-required"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "is not JSON"),
        (json.dumps(visit(colour="red")), "colour: unknown key"),
        (json.dumps(visit(date_of_service="2026-02-30")), "date_of_service: 2026-02-30 is not a"),
        (json.dumps({k: v for k, v in visit().items() if k != "lines"}), "lines: is required"),
        (json.dumps(visit(lines=lines(("9753", 30)))), "lines[0].code:"),
        (
            json.dumps(visit(lines=[{"code": "97530", "dx_pointers": ["Z"]}])),
            "lines[0].dx_pointers[0]:",
        ),
        (json.dumps([1, 2]), "visit: must be an object"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, content, words):
    done = check(tmp_path, content, "--no-icd")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("otdesk: ")
    assert words in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_missing_file_is_exit_2(tmp_path):
    done = run_otdesk("rules", "check", str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_rules_list():
    done = run_otdesk("rules", "list", "--json")
    assert done.returncode == 0, done.stderr
    rules = json.loads(done.stdout)
    assert {"rule": "ncci-pair", "severity": "warning"} in rules
    assert [r["rule"] for r in rules] == list(RULE_IDS)
    # issue 11's rules are listed with their usual severity
    for rule, severity in (
        ("code-not-yet-effective", "error"),
        ("unlisted-description", "error"),
        ("day-over-24-hours", "error"),
        ("referring-provider", "warning"),
        ("dx-excludes1", "warning"),
        ("future-date-of-service", "warning"),
    ):
        assert {"rule": rule, "severity": severity} in rules


def test_building_the_parser_leaves_the_rules_icd_and_ncci_modules_unloaded():
    """Every start (the window's too) builds the whole parser; the rules engine, its tables,
    the NCCI importers and the ICD index code are imported only when their command runs."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from otdesk.cli import build_parser\n"
        "build_parser()\n"
        "lazy = ('otdesk.core.rules', 'otdesk.core.tables', 'otdesk.core.ncci',\n"
        "        'otdesk.core.icd', 'otdesk.core.fixes', 'otdesk.core.visit_json')\n"
        "print([m for m in lazy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_line_description_in_the_visit_json_silences_the_unlisted_rule(tmp_path):
    data = visit(lines=[{**lines(("97139", 15, "GO"))[0]}])
    done = check(tmp_path, data, "--json", "--no-icd")
    assert "unlisted-description" in [f["rule"] for f in json.loads(done.stdout)["findings"]]
    data["lines"][0]["description"] = "Fluidotherapy to the right hand"
    done = check(tmp_path, data, "--json", "--no-icd")
    assert "unlisted-description" not in [f["rule"] for f in json.loads(done.stdout)["findings"]]
