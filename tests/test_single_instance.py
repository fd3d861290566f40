"""One otdesk per data folder: a second copy is refused with a message naming the first, a
copy that died without letting go does not block the next one, and folders are independent.
The second copy is a real second process, as it would be at the front desk."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from otdesk import single_instance
from otdesk.single_instance import LOCK_NAME, AlreadyOpenError, Holder

SECOND_COPY = textwrap.dedent(
    """
    import os, sys
    from otdesk import single_instance
    try:
        lock = single_instance.acquire(sys.argv[1])
    except single_instance.AlreadyOpenError as error:
        print(error)
        sys.exit(3)
    print("locked", flush=True)
    if sys.argv[2] == "die":
        os._exit(0)  # no clean-up: as if the program crashed or was killed
    lock.release()
    """
)


def second_copy(folder: Path, then: str = "release") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SECOND_COPY, str(folder), then],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_copy_is_refused_and_told_where_the_first_runs(tmp_path):
    with single_instance.acquire(tmp_path) as lock:
        assert lock.held
        assert (tmp_path / LOCK_NAME).is_file()
        if os.name == "posix":
            assert (tmp_path / LOCK_NAME).stat().st_mode & 0o777 == 0o600
        done = second_copy(tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    message = done.stdout.strip()
    assert message.startswith(f"otdesk is already open for the clinic data in {tmp_path}")
    assert f"process {os.getpid()}" in message
    assert "on this computer" in message
    assert "nothing was opened here" in message


def test_the_next_copy_gets_in_once_the_first_lets_go(tmp_path):
    lock = single_instance.acquire(tmp_path)
    lock.release()
    assert not lock.held
    assert not (tmp_path / LOCK_NAME).exists()
    done = second_copy(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "locked"


def test_a_lock_left_by_a_copy_that_died_is_taken_over(tmp_path):
    done = second_copy(tmp_path, then="die")
    assert done.stdout.strip() == "locked"
    assert (tmp_path / LOCK_NAME).is_file()  # left behind
    with single_instance.acquire(tmp_path) as lock:
        assert lock.held


@pytest.mark.skipif(sys.platform == "win32", reason="Windows keeps a held lock file unwritable")
def test_a_lock_held_all_day_does_not_go_stale(tmp_path):
    # QLockFile's default would treat a lock older than 30 s as stale and let a second
    # copy in; an hour-old lock of a live process must still refuse.
    with single_instance.acquire(tmp_path):
        hour_ago = (tmp_path / LOCK_NAME).stat().st_mtime - 3600
        os.utime(tmp_path / LOCK_NAME, (hour_ago, hour_ago))
        done = second_copy(tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr


def test_data_folders_are_locked_separately(tmp_path):
    clinic, other = tmp_path / "clinic", tmp_path / "other"
    with single_instance.acquire(clinic):
        done = second_copy(other)
    assert done.returncode == 0, done.stdout + done.stderr
    assert clinic.is_dir()


def test_within_one_process_a_folder_is_locked_once(tmp_path):
    with single_instance.acquire(tmp_path), pytest.raises(AlreadyOpenError):
        single_instance.acquire(tmp_path)


def test_a_lock_from_another_computer_says_how_to_clear_it(tmp_path):
    error = AlreadyOpenError(tmp_path, Holder(4242, "FRONTDESK-2", "otdesk.exe"), "THIS-PC")
    message = str(error)
    assert "on the computer FRONTDESK-2" in message
    assert str(tmp_path / LOCK_NAME) in message
    assert "Close otdesk there first" in message


@pytest.mark.parametrize("command", [["demo"], ["restore", "backup.db"]])
def test_demo_and_restore_wait_for_the_open_window(tmp_path, command):
    data = tmp_path / "clinic"
    (tmp_path / "backup.db").write_bytes(b"not used: refused before it is read")
    with single_instance.acquire(data):
        done = subprocess.run(
            [sys.executable, "-m", "otdesk", *command, "--data-dir", str(data)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "otdesk is already open" in done.stderr
    assert done.stdout == ""
    assert not (data / "otdesk.db").exists()


def test_the_window_is_refused_while_another_copy_has_the_folder(tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from otdesk.ui import app as ui_app

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(ui_app, "setup_logging", lambda: None)
    with single_instance.acquire(tmp_path):
        assert ui_app.run(str(tmp_path)) == 1
    assert len(shown) == 1 and "already open" in shown[0]
    assert not (tmp_path / "otdesk.db").exists()
