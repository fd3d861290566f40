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


def demo_clinic(folder, **options):
    """The encrypted demo clinic in `folder` (made by `otdesk demo` or install_demo(...,
    encrypted=True)), open in this process and signed in as its administrator."""
    from otdesk.services import signin
    from otdesk.services.accounts import DEMO_NAME, DEMO_PASSWORD

    options.setdefault("daily_backup", False)
    return signin.sign_in(folder, DEMO_NAME, DEMO_PASSWORD, **options)


# An administrator for the clinics the tests make through the services (plain, then
# encrypted as `otdesk encrypt` does) and reach through the command line.
TESTER = {"OTDESK_USER": "tester", "OTDESK_PASSWORD": "a long test password"}


def encrypt_for_cli(folder, **options):
    """Give the plain clinic in `folder` its administrator `tester` and encrypt it (the
    command line opens encrypted clinics only); returns the recovery key."""
    from otdesk.services import signin

    clinic, recovery = signin.encrypt_existing(
        folder,
        TESTER["OTDESK_USER"],
        TESTER["OTDESK_PASSWORD"],
        display_name="Test administrator",
        daily_backup=False,
        **options,
    )
    clinic.close()
    return recovery


def signed_in_clinic(folder, **options):
    """The clinic encrypt_for_cli made, open in this process as `tester`."""
    from otdesk.services import signin

    options.setdefault("daily_backup", False)
    return signin.sign_in(folder, TESTER["OTDESK_USER"], TESTER["OTDESK_PASSWORD"], **options)
