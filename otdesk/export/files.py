"""Writing documents to disk without ever leaving half a file: write a temporary file in the
same folder, flush it to disk, then rename it over the target."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from pathlib import Path

from otdesk.errors import UserError, disk_full_sentence, is_disk_full


class ExportError(UserError):
    """A document could not be made or written; the message says why in one sentence."""


class CancelledError(ExportError):
    """A batch was cancelled before it was finished; nothing was written."""

    def __init__(self) -> None:
        super().__init__("CancelledError; nothing was written.")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_file_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` whole or not at all. Raises ExportError naming the file."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ExportError(f"{target} is a folder; give a file name ending in .pdf.")
    if not folder.is_dir():
        raise ExportError(f"Cannot write {target}: the folder {folder} does not exist.")
    temp_name = None
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_name, target)
        temp_name = None
    except OSError as error:
        if is_disk_full(error):
            raise ExportError(
                disk_full_sentence(folder, f"{target.name} was not written (nothing was saved)")
            ) from error
        raise ExportError(f"Cannot write {target}: {_why(error)}.") from error
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
    return target


def _why(error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (the folder is read-only or the file is open elsewhere)"
    return error.strerror or str(error)
