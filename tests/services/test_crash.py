"""Killed mid-save: a child process saves visits in a loop and is killed with SIGKILL at
random moments, again and again. Afterwards the file passes SQLite's integrity check and
holds every visit whose save had returned (the child prints its id after the commit)."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from otdesk.services import Clinic

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)"),
]

CHILD = textwrap.dedent(
    """
    import sys
    from otdesk.services import Clinic

    with Clinic.open(sys.argv[1], user="crash-test") as clinic:
        providers = clinic.providers.list()
        provider = providers[0].id if providers else clinic.providers.create(
            last_name="Demo", first_name="Avery", role="OT", npi="1234567893").id
        found = clinic.patients.search("crash demo")
        patient = found[0].patient.id if found else clinic.patients.create(
            last_name="Demo", first_name="Crash", date_of_birth="1950-01-01").id
        print("ready", flush=True)
        n = 0
        while True:
            n += 1
            visit = clinic.visits.create(patient, provider_id=provider)
            visit = clinic.visits.add_diagnosis(visit.id, "M62.81")
            visit = clinic.visits.add_line(
                visit.id, "97110", minutes=30, modifiers="GO", dx_pointers="A")
            if n % 2:
                visit = clinic.visits.finalize(visit.id, override_reason="crash test")
            print(visit.id, visit.status, flush=True)
    """
)
KILLS = 5


def _run_and_kill(folder, delay, saves_first=0):
    """Run the child and SIGKILL it: `delay` seconds after it starts, or, with
    `saves_first`, once that many saves have returned and then `delay` seconds more (the
    kill lands among saves however slow the machine is)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    before = []
    try:
        if saves_first:
            assert child.stdout.readline() == "ready\n", child.stderr.read()
            while len(before) < saves_first:
                line = child.stdout.readline()
                assert line, child.stderr.read()
                before.append(line)
        time.sleep(delay)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        out, _err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    saved = {}
    for line in [*before, *out.splitlines(keepends=True)]:
        if line.endswith("\n") and line[0].isdigit():
            visit_id, status = line.split()
            saved[int(visit_id)] = status
    return saved


def test_visits_whose_save_returned_survive_sigkill(tmp_path):
    folder = tmp_path / "data"
    rng = random.Random(20260302)
    saved: dict[int, str] = {}
    # the first kill may land while the database is being created and migrated
    _run_and_kill(folder, rng.uniform(0.0, 0.4))
    for _ in range(KILLS):
        saved.update(_run_and_kill(folder, rng.uniform(0.0, 0.05), saves_first=rng.randint(1, 3)))
    assert len(saved) >= KILLS  # the kills did land among saves

    path = folder / "otdesk.db"
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = dict(raw.execute("SELECT id, status FROM visits"))
        lines = dict(raw.execute("SELECT visit_id, count(*) FROM charge_lines GROUP BY visit_id"))
    finally:
        raw.close()
    for visit_id, status in saved.items():
        assert stored.get(visit_id) == status, visit_id
        assert lines.get(visit_id) == 1, visit_id
    with Clinic.open(folder) as clinic:  # opens cleanly (quick check) and reads them
        assert clinic.visits.get(max(saved)).lines[0].code == "97110"
