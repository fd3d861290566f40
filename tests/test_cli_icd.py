"""`otdesk icd search|show|index` through the real entry point, as a script or a person
would run it. The index is the session's prebuilt one, copied into a private cache folder
named by $OTDESK_CACHE_DIR."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from otdesk.commands.icd import _ProgressBar
from otdesk.core import icd
from tests.cli_helpers import run_otdesk
from tests.core.test_icd import shared_index_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder holding a copy of the session's index (the commands only read it)."""
    built = shared_index_file(tmp_path_factory)
    folder = tmp_path_factory.mktemp("icd-cli-cache")
    shutil.copyfile(built, folder / built.name)
    return folder


def otdesk_icd(*args: str, cache: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_otdesk("icd", *args, stdin=stdin, env={icd.CACHE_DIR_ENV: str(cache)}, cwd=REPO)


def assert_one_sentence_error(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("otdesk: ")
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]


def test_search_json(cache):
    done = otdesk_icd("search", "muscle", "weak", "--json", cache=cache)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # the index was there: nothing built
    results = json.loads(done.stdout)
    assert results[0] == {
        "code": "M62.81",
        "description": "Muscle weakness (generalized)",
        "billable": True,
    }
    for item in results:
        assert set(item) == {"code", "description", "billable"}
        assert isinstance(item["billable"], bool)
        assert len(item["code"]) == 3 or item["code"][3] == "."


def test_search_code_prefix_json_with_limit(cache):
    done = otdesk_icd("search", "r26", "--limit", "3", "--json", cache=cache)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"code": "R26", "description": "Abnormalities of gait and mobility", "billable": False},
        {"code": "R26.0", "description": "Ataxic gait", "billable": True},
        {"code": "R26.1", "description": "Paralytic gait", "billable": True},
    ]


def test_search_as_text(cache):
    done = otdesk_icd("search", "lack of coord", cache=cache)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[0] == "R27.9"  # the vocabulary term "lack of coordination"
    assert any(line.startswith("R27 ") and line.endswith("(not billable)") for line in lines)


def test_search_without_matches(cache):
    done = otdesk_icd("search", "zzqxv", cache=cache)
    assert done.returncode == 0
    assert "No ICD-10-CM code matches" in done.stdout
    done = otdesk_icd("search", "zzqxv", "--json", cache=cache)
    assert json.loads(done.stdout) == []


def test_search_stdin_answers_each_line_as_it_comes(cache):
    """A script writes a query, reads the answer, then writes the next."""
    env = dict(os.environ, **{icd.CACHE_DIR_ENV: str(cache)})
    process = subprocess.Popen(
        [sys.executable, "-m", "otdesk", "icd", "search", "--stdin", "--json", "--limit", "5"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    try:
        assert process.stdin and process.stdout
        process.stdin.write("paralytic gait\n")
        process.stdin.flush()
        first = json.loads(process.stdout.readline())
        assert first[0]["code"] == "R26.1"
        process.stdin.write('R26 "(*\n')  # hostile text still gets an answer line
        process.stdin.flush()
        assert isinstance(json.loads(process.stdout.readline()), list)
        process.stdin.write("m628\n")
        process.stdin.close()
        third = json.loads(process.stdout.readline())
        assert [item["code"] for item in third][:2] == ["M62.8", "M62.81"]
        assert process.stdout.read() == ""
        assert process.wait(30) == 0
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def test_search_stdin_needs_json_and_no_text(cache):
    assert_one_sentence_error(otdesk_icd("search", "--stdin", cache=cache, stdin="a\n"), "--json")
    assert_one_sentence_error(otdesk_icd("search", "gait", "--stdin", "--json", cache=cache))


def test_search_needs_text(cache):
    assert_one_sentence_error(otdesk_icd("search", cache=cache))


def test_show_a_billable_code_with_inclusion_terms(cache):
    done = otdesk_icd("show", "i639", cache=cache)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("I63.9  Cerebral infarction, unspecified\n")
    assert "Billable: yes" in out
    assert "Stroke NOS" in out
    assert "2026-04" in out


def test_show_a_category_lists_its_billable_codes(cache):
    done = otdesk_icd("show", "R26", cache=cache)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Billable: no, a category" in out
    listed = re.findall(r"^\s+(R26\.\d+)\s", out, flags=re.MULTILINE)
    assert listed == ["R26.0", "R26.1", "R26.2", "R26.81", "R26.89", "R26.9"]


def test_show_a_big_category_says_how_many_more(cache):
    done = otdesk_icd("show", "S72", cache=cache)
    assert done.returncode == 0, done.stderr
    assert "... and 2,436 more" in done.stdout


def test_show_an_unknown_code_is_an_error(cache):
    assert_one_sentence_error(otdesk_icd("show", "X99.99", cache=cache), "X99.99", "not an")


def test_index_reports_a_current_index(cache):
    done = otdesk_icd("index", cache=cache)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "98,186 codes, 74,719 billable" in done.stdout


@pytest.mark.slow
def test_a_missing_index_is_built_first_with_one_progress_line(tmp_path):
    done = otdesk_icd("search", "stroke", "--json", cache=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "I63.9" in [item["code"] for item in json.loads(done.stdout)]
    # not a terminal: no bar, one line at the end
    assert re.fullmatch(
        r"Building the ICD-10-CM 2026-04 index: done in \d+\.\d s\.\n", done.stderr
    ), done.stderr
    built = tmp_path / icd.index_file_name("2026-04")
    assert built.is_file()
    if os.name == "posix":
        assert built.stat().st_mode & 0o777 == 0o600
    again = otdesk_icd("show", "R26.1", cache=tmp_path)
    assert again.returncode == 0 and again.stderr == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal():
    stream = FakeTerminal()
    bar = _ProgressBar(stream, "2026-04")
    for done in (0, 1, 250, 251, 500, 1000):
        bar(done, 1000)
    bar.finish()
    text = stream.getvalue()
    frames = text.split("\r")[1:]
    assert frames[0].startswith("Building the ICD-10-CM 2026-04 index [")
    assert frames[0].endswith("   0%")
    assert [frame[-4:] for frame in frames[:-1]] == ["  0%", " 25%", " 50%", "100%"]
    assert frames[-1].startswith("Building the ICD-10-CM 2026-04 index: done in ")
    assert text.endswith("\n") and text.count("\n") == 1


def test_progress_bar_elsewhere_prints_one_line_and_nothing_without_a_build():
    stream = io.StringIO()
    bar = _ProgressBar(stream, "2026-04")
    bar.finish()
    assert stream.getvalue() == ""
    for done in range(0, 1001, 100):
        bar(done, 1000)
    bar.finish()
    assert stream.getvalue().startswith("Building the ICD-10-CM 2026-04 index: done in ")
    assert stream.getvalue().count("\n") == 1


def test_the_help_names_the_cache_folder_variable_the_index_reads():
    # otdesk.commands.icd keeps its own copy so that building the parser does not import
    # otdesk.core.icd; the two must agree.
    from otdesk.commands import icd as icd_command

    assert icd_command._CACHE_DIR_ENV == icd.CACHE_DIR_ENV
    done = run_otdesk("icd", "--help")
    assert done.returncode == 0
    assert f"${icd.CACHE_DIR_ENV}" in done.stdout
