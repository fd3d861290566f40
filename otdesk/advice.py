"""The commands otdesk suggests, written exactly as they work for the clinic in use: a
suggestion that restores into another folder than the one that is damaged is worse than
none. Light on purpose (no storage or Qt imports): the command line and the window both use
it while reporting a failure."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from otdesk.paths import DATA_DIR_ENV, default_data_dir


def otdesk_command(*words: str, data_dir: str | os.PathLike[str] | None = None) -> str:
    """`otdesk WORDS...`, with `--data-dir DIR` whenever the clinic is not in the default
    folder (given with --data-dir or $OTDESK_DATA_DIR), quoted for the shell in use."""
    folder = _chosen_folder(data_dir)
    parts = ["otdesk", *words]
    if folder is not None:
        parts += ["--data-dir", str(folder)]
    return " ".join(_quote(part) for part in parts)


def restore_advice(data_dir: str | os.PathLike[str] | None = None) -> str:
    """The sentence that tells how to restore the newest good backup of this clinic."""
    command = otdesk_command("restore", "--latest", data_dir=data_dir)
    return (
        f"Restore the newest good backup with `{command}`, or in the window with "
        "Clinic > Backups... > Restore."
    )


def _chosen_folder(data_dir: str | os.PathLike[str] | None) -> Path | None:
    chosen = data_dir or os.environ.get(DATA_DIR_ENV)
    if not chosen:
        return None
    folder = Path(chosen).expanduser().resolve()
    try:
        if folder == default_data_dir().resolve():
            return None
    except OSError:
        pass
    return folder


def _quote(word: str) -> str:
    if os.name == "nt":
        return f'"{word}"' if any(c in word for c in ' &()^%!"') else word
    return shlex.quote(word)
