import json

import pytest

from tests.cli_helpers import run_otdesk


def test_units_json_has_the_documented_shape():
    done = run_otdesk("units", "--rule", "cms", "97110=33", "97140=7", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["rule"] == "cms"
    assert data["total_timed_minutes"] == 40
    assert data["total_units"] == 3
    assert data["lines"] == [
        {"code": "97110", "minutes": 33, "units": 2, "timed": True, "per_item": False},
        {"code": "97140", "minutes": 7, "units": 1, "timed": True, "per_item": False},
    ]
    assert "The 1 unit left goes to 97140" in data["explanation"]
    assert set(data) == {"rule", "total_timed_minutes", "total_units", "lines", "explanation"}


def test_units_merges_duplicates_and_counts_only_timed_units():
    done = run_otdesk(
        "units", "--rule", "per-code", "97165=45", "97110=10", "97530=20", "97110=10", "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [(ln["code"], ln["minutes"], ln["units"], ln["timed"]) for ln in data["lines"]] == [
        ("97165", 45, 1, False),
        ("97110", 20, 1, True),
        ("97530", 20, 1, True),
    ]
    assert data["total_units"] == 2
    assert data["total_timed_minutes"] == 40
    assert "entered on 2 lines" in data["explanation"]


def test_units_text_output_explains():
    done = run_otdesk("units", "97110=33", "97140=7")
    assert done.returncode == 0, done.stderr
    assert "40 timed minutes -> 3 units" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["97110=-5"], "negative"),
        (["97110=12.5"], "whole number"),
        (["97110=2000"], "more than a day"),
        (["97110"], "missing '='"),
        (["97999=10"], "Unknown code 97999"),
        (["ABC=10"], "ABC"),
        ([], "at least one"),
        (["--rule", "medicaid", "97110=10"], "Unknown units rule 'medicaid'"),
    ],
)
def test_units_bad_input_is_one_sentence_on_stderr(args, words):
    done = run_otdesk("units", *args)
    assert done.returncode != 0
    assert done.stdout == ""
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_npi_check():
    good = run_otdesk("npi", "check", "1234567893")
    assert good.returncode == 0 and "valid" in good.stdout
    bad = run_otdesk("npi", "check", "1234567890")
    assert bad.returncode != 0 and bad.stdout == ""
    assert "check digit" in bad.stderr


def test_help_lists_the_commands():
    # `otdesk` alone opens the window; the help stays one flag away.
    done = run_otdesk("--help")
    assert done.returncode == 0
    assert "usage: otdesk" in done.stdout
    assert "units" in done.stdout


def test_data_dir_before_or_after_the_subcommand(tmp_path):
    from otdesk.cli import build_parser

    parser = build_parser()
    before = parser.parse_args(["--data-dir", str(tmp_path), "npi", "check", "1234567893"])
    after = parser.parse_args(["npi", "check", "1234567893", "--data-dir", str(tmp_path)])
    assert before.data_dir == after.data_dir == str(tmp_path)


def test_commands_that_need_no_database_do_not_load_it():
    """Every start builds the whole parser; SQLAlchemy, Qt and ReportLab must wait until a
    command needs them (they cost hundreds of milliseconds)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from otdesk.cli import main\n"
        "main(['units', '97110=33'])\n"
        "heavy = ('sqlalchemy', 'PySide6', 'reportlab', 'alembic')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_item_code_takes_a_count_not_minutes(capsys):
    from otdesk.cli import main

    assert main(["units", "97760=25", "L3807=2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total_timed_minutes"] == 25
    assert data["lines"][1] == {
        "code": "L3807",
        "minutes": 0,
        "units": 2,
        "timed": False,
        "per_item": True,
    }
