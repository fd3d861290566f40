"""What "nothing changed" means for a folder of files."""

from __future__ import annotations

import hashlib
import os


def fingerprint(folder) -> dict[str, str]:
    """Every file under `folder` with its SHA-256."""
    found = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, folder)] = hashlib.sha256(handle.read()).hexdigest()
    return found
