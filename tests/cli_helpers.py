"""Run the real `otdesk` entry point in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys


def run_otdesk(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd=None,
    timeout: float = 120,
):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "otdesk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
