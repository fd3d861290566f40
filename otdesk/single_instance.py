"""One otdesk window per clinic data folder.

SQLite's locking keeps the database file whole when two programs write to it, but two
otdesk windows on the same clinic would each show a day list and a visit the other has
since changed, and a restore or a demo reset in one would pull the data from under the
other. So the first copy to open a data folder holds a lock on it (otdesk.lock in that
folder) until it closes; a second copy is refused with a message saying where the first one
runs, and changes nothing.

The lock is a QLockFile (QtCore only, no QApplication needed): it records the process id
and the computer's name. A lock left behind by a copy that crashed or was killed is noticed
(no such process on this computer) and taken over. Locks never expire by age: a window left
open all day keeps its lock. A lock taken on another computer (a data folder on a network
share) cannot be checked from here; the message says so and how to clear it.

Usage (otdesk/ui/app.py, before the clinic database is opened):

    try:
        lock = single_instance.acquire(paths.user_data_dir(data_dir))
    except single_instance.AlreadyOpenError as error:
        QMessageBox.information(None, "otdesk is already open", str(error))
        return 1
    try:
        ...  # open the clinic and run the window
    finally:
        lock.release()
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otdesk.errors import DiskFullError, UserError, is_disk_full

LOCK_NAME = "otdesk.lock"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a lock, as the lock file says (pid 0 and empty names when unreadable)."""

    pid: int
    hostname: str
    appname: str


class AlreadyOpenError(UserError):
    """Another otdesk has this data folder open; the message is for the person at the desk."""

    def __init__(self, folder: Path, holder: Holder, this_host: str) -> None:
        self.folder = folder
        self.holder = holder
        same_host = not holder.hostname or holder.hostname == this_host
        if same_host:
            where = "on this computer"
            if holder.pid:
                where += f" (program {holder.appname or 'otdesk'}, process {holder.pid})"
            advice = (
                "Switch to that window (look in the taskbar or the Dock), or close it and "
                "open otdesk again."
            )
        else:
            where = f"on the computer {holder.hostname}"
            advice = (
                f"Close otdesk there first. If {holder.hostname} stopped without closing "
                f"otdesk, delete the file {folder / LOCK_NAME} and open otdesk again."
            )
        super().__init__(
            f"otdesk is already open for the clinic data in {folder}, {where}. Only one "
            f"window at a time may use it, so nothing was opened here. {advice}"
        )


class InstanceLock:
    """The held lock; release() (or leaving a `with` block) lets the next copy in."""

    def __init__(self, lock: Any, path: Path) -> None:
        self._lock = lock
        self.path = path

    @property
    def held(self) -> bool:
        return self._lock is not None and self._lock.isLocked()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def acquire(folder: str | os.PathLike[str], wait_ms: int = 0) -> InstanceLock:
    """Lock the data folder for this process (creating the folder if needed), waiting up to
    wait_ms for another copy to let go. Raises AlreadyOpenError naming the holder."""
    from PySide6.QtCore import QLockFile, QSysInfo

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if is_disk_full(error):
            raise DiskFullError(folder, "otdesk did not open") from None
        raise UserError(f"otdesk cannot use the folder {folder}: {error.strerror}.") from None
    path = folder / LOCK_NAME
    lock = QLockFile(str(path))
    # Never stale by age (the default is 30 s): only a holder that is gone frees the lock.
    lock.setStaleLockTime(0)
    if lock.tryLock(wait_ms):
        if os.name == "posix":
            path.chmod(0o600)  # like every file in the data folder: owner only
        return InstanceLock(lock, path)
    if lock.error() != QLockFile.LockError.LockFailedError:
        # QLockFile gives no errno: a full disk is the usual reason a lock file cannot be
        # written where the folder exists and is ours.
        if _nearly_full(folder):
            raise DiskFullError(folder, "otdesk did not open")
        raise UserError(
            f"otdesk could not create its lock file {path} ({lock.error().name}); check that "
            "the folder is yours and writable. Nothing was opened."
        )
    raise AlreadyOpenError(folder, _holder(lock), QSysInfo.machineHostName())


def _nearly_full(folder: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(folder).free < 64 * 1024
    except OSError:
        return False


def _holder(lock: Any) -> Holder:
    info = lock.getLockInfo()
    # PySide6 6.12 returns (pid, hostname, appname); some versions put a success flag first
    if isinstance(info, tuple) and len(info) == 4:
        info = info[1:] if info[0] else ()
    if isinstance(info, tuple) and len(info) == 3:
        pid, hostname, appname = info
        return Holder(int(pid or 0), str(hostname or ""), str(appname or ""))
    return Holder(0, "", "")
