"""`otdesk codes search|show`, run through the real entry point (python -m otdesk)."""

from __future__ import annotations

import json
import subprocess

import pytest

from otdesk.cli import main
from tests.cli_helpers import run_otdesk


def otdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return run_otdesk(*args, timeout=60)


def test_search_json_through_the_entry_point():
    result = otdesk("codes", "search", "ther ex", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    assert all(set(row) == {"code", "label", "kind", "category"} for row in rows)
    assert all(isinstance(value, str) for row in rows for value in row.values())
    assert rows[0]["code"] == "97110"
    assert rows[0]["kind"] == "timed"
    assert rows[0]["category"] == "therapeutic procedure"


def test_search_text_through_the_entry_point():
    result = otdesk("codes", "search", "ta")
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0].split()
    assert first[:2] == ["97530", "timed"]


def test_no_match_in_text_mode_goes_to_stderr_with_exit_1():
    result = otdesk("codes", "search", "xyzzy")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "No procedure code matches 'xyzzy'."


def test_no_match_in_json_mode_is_an_empty_list():
    result = otdesk("codes", "search", "xyzzy", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("codes", "show", "97410"), "97410 is not in otdesk's procedure catalog"),
        (("codes", "show", "9711"), "'9711' is not a procedure code"),
        (("codes", "search", "--limit", "0", "ta"), "--limit must be a whole number"),
        (("codes", "search", "--", "--"), "Give some text to search for"),
    ],
)
def test_bad_input_is_one_sentence_on_stderr(args, message):
    result = otdesk(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# The remaining cases run main() in-process: same code path, without a new interpreter each.


def test_search_words_may_be_separate_arguments(capsys):
    assert main(["codes", "search", "ther", "ex", "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("97110")


def test_deleted_codes_say_deleted(capsys):
    assert main(["codes", "search", "97003"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.split()[:2] == ["97003", "deleted"]
    assert "97165" in line  # the label names the replacement


def test_search_json_limit(capsys):
    assert main(["codes", "search", "eval", "--json", "--limit", "3"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["code"] for row in rows] == ["97161", "97162", "97163"]


def test_show_text(capsys):
    assert main(["codes", "show", "97130"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("97130  Cognitive function intervention")
    assert "add-on" in out and "97129" in out


def test_show_deleted_and_lower_case(capsys):
    assert main(["codes", "show", "g0515"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("G0515")
    assert "DELETED" in out


def test_show_json(capsys):
    assert main(["codes", "show", "97110", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "97110"
    assert data["kind"] == "timed"
    assert data["primary"] is None
    assert data["deleted"] is False
    assert "ther ex" in data["synonyms"]
    assert data["disciplines"] == ["OT", "PT"]


@pytest.mark.parametrize("limit", ["abc", "-1", "1001", "1.5"])
def test_bad_limits(capsys, limit):
    assert main(["codes", "search", "ta", f"--limit={limit}"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--limit" in captured.err


def test_show_a_transposed_code_suggests_the_one_meant(capsys):
    # The seed page's "Apply 97410 Properly" means 97140: two digits swapped.
    assert main(["codes", "show", "97410"]) == 2
    err = capsys.readouterr().err
    assert "97410 is not in otdesk's procedure catalog" in err
    assert "Did you mean 97140" in err
    assert err.index("97140") < err.index("97010")  # the swap before one changed digit


def test_show_a_code_one_digit_off_suggests_its_neighbours(capsys):
    assert main(["codes", "show", "G0238"]) == 2
    assert "Did you mean G0283" in capsys.readouterr().err


def test_show_a_code_far_from_any_suggests_nothing(capsys):
    assert main(["codes", "show", "12345"]) == 2
    err = capsys.readouterr().err
    assert "Did you mean" not in err and "otdesk codes add 12345" in err


def test_show_an_orthosis_is_billed_per_item(capsys):
    assert main(["codes", "show", "L3807"]) == 0
    out = capsys.readouterr().out
    assert "per item" in out and "orthosis" in out


def test_show_json_gives_the_effective_date(capsys):
    assert main(["codes", "show", "97165", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["effective_from"] == "2017-01-01"
    assert main(["codes", "show", "97110", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["effective_from"] is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("fees", "92612"), ("mbs", "92611"), ("speech", "92507"), ("mallet splint", "L3927")],
)
def test_new_codes_are_found_by_shorthand(capsys, text, code):
    assert main(["codes", "search", text, "--json"]) == 0
    assert code in [row["code"] for row in json.loads(capsys.readouterr().out)]


def test_clinic_codes_are_added_listed_searched_and_removed(tmp_path, capsys, monkeypatch):
    from otdesk.services import Clinic
    from tests.cli_helpers import TESTER, encrypt_for_cli, signed_in_clinic

    folder = tmp_path / "clinic"
    Clinic.open(folder).close()
    encrypt_for_cli(folder)
    for name, value in TESTER.items():
        monkeypatch.setenv(name, value)
    where = ["--data-dir", str(folder)]
    assert main(["codes", "show", "98975", *where]) == 2
    err = capsys.readouterr().err
    assert "otdesk codes add 98975 --label WORDS --kind timed --data-dir" in err
    assert (
        main(
            ["codes", "add", "98975", "--label", "Remote monitoring set-up", "--kind", "timed"]
            + ["--discipline", "SLP", "--fee", "80.00", *where]
        )
        == 0
    )
    assert "Added clinic code 98975: Remote monitoring set-up (timed; SLP, 80.00 per unit)." in (
        capsys.readouterr().out
    )
    assert main(["codes", "search", "remote monit", "--json", *where]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {
        "code": "98975",
        "label": "Remote monitoring set-up",
        "kind": "timed",
        "category": "clinic code",
    }
    assert main(["codes", "clinic", "--json", *where]) == 0
    assert [row["code"] for row in json.loads(capsys.readouterr().out)] == ["98975"]
    # the format check of the CPT/HCPCS categories still applies; a catalog code is refused
    assert main(["codes", "add", "9250", "--label", "x", "--kind", "timed", *where]) == 2
    assert "not a procedure code" in capsys.readouterr().err
    assert main(["codes", "add", "97110", "--label", "x", "--kind", "item", *where]) == 2
    assert "in the catalog already" in capsys.readouterr().err
    assert main(["codes", "remove", "98975", *where]) == 0
    assert "Removed clinic code 98975." in capsys.readouterr().out
    with signed_in_clinic(folder) as clinic:
        assert clinic.codes.list() == []
    # looking a code up needs no account: without one, the shipped catalog answers
    monkeypatch.delenv("OTDESK_USER")
    assert main(["codes", "show", "97110", *where]) == 0


def test_codes_add_needs_an_existing_clinic(tmp_path, capsys):
    code = main(
        ["codes", "add", "92507", "--label", "x", "--kind", "timed"]
        + ["--data-dir", str(tmp_path / "none")]
    )
    assert code == 2 and "There is no clinic database" in capsys.readouterr().err
    assert not (tmp_path / "none" / "otdesk.db").exists()
