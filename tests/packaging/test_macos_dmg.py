"""packaging/macos/make_dmg.sh run against a stand-in app bundle, with hdiutil, codesign,
xcrun and file replaced by scripts that log their arguments: what it does unsigned, signed,
and signed and notarized. (The real tools exist only on macOS; the release workflow runs
the script there and smoke-tests the app inside the .dmg.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("bash") is None, reason="needs bash"
)

STUBS = {
    # hdiutil create ... -srcfolder DIR ... -ov OUT: note what the image would hold, write OUT
    "hdiutil": """\
echo "hdiutil $*" >> "$LOG"
if [ "$1" = create ]; then
    while [ $# -gt 0 ]; do
        case "$1" in -srcfolder) src="$2"; shift;; esac
        last="$1"; shift
    done
    ls -A "$src" | sed 's/^/staged /' >> "$LOG"
    [ -L "$src/Applications" ] && echo "staged link $(readlink "$src/Applications")" >> "$LOG"
    echo dmg > "$last"
fi
""",
    "codesign": 'echo "codesign $*" >> "$LOG"\n',
    "xcrun": 'echo "xcrun $*" >> "$LOG"\n',
    "file": """\
case "$2" in *.dylib|*/MacOS/otdesk) echo "Mach-O 64-bit dynamically linked shared library";;
*) echo "ASCII text";; esac
""",
}


@pytest.fixture
def checkout(tmp_path):
    """A copy of the files the script uses, a stand-in otdesk.app and the stub tools."""
    top = tmp_path / "repo"
    (top / "packaging" / "macos").mkdir(parents=True)
    for name in ("make_dmg.sh", "entitlements.plist"):
        shutil.copy(ROOT / "packaging" / "macos" / name, top / "packaging" / "macos" / name)
    shutil.copy(ROOT / "pyproject.toml", top / "pyproject.toml")
    contents = top / "dist" / "otdesk.app" / "Contents"
    (contents / "MacOS").mkdir(parents=True)
    (contents / "Frameworks").mkdir()
    (contents / "Resources").mkdir()
    app = contents / "MacOS" / "otdesk"
    app.write_text('#!/bin/sh\necho "app $*" >> "$LOG"\n')
    app.chmod(0o755)
    (contents / "Frameworks" / "libQt6Core.dylib").write_text("binary")
    (contents / "Resources" / "data.csv").write_text("data")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/usr/bin/env bash\n" + body)
        (stubs / name).chmod(0o755)
    return top, stubs, tmp_path / "calls.log"


def run(checkout, **env):
    top, stubs, log = checkout
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OTDESK_") and key != "LOG"
    }
    environment.update(PATH=f"{stubs}{os.pathsep}{os.environ['PATH']}", LOG=str(log), **env)
    done = subprocess.run(
        ["bash", str(top / "packaging" / "macos" / "make_dmg.sh")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


def dmg_name() -> str:
    arch = subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip()
    return f"dist/installer/otdesk-{VERSION}-macos-{arch}.dmg"


def test_unsigned_makes_a_dmg_with_the_app_and_an_applications_link(checkout):
    done, calls = run(checkout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OTDESK_CODESIGN_IDENTITY is not set" in done.stdout
    assert not [c for c in calls if c.startswith(("codesign", "xcrun", "app"))]
    create = next(c for c in calls if c.startswith("hdiutil create"))
    assert f"-volname otdesk {VERSION}" in create
    assert "-format UDZO" in create and create.endswith(dmg_name())
    assert {"staged otdesk.app", "staged Applications", "staged link /Applications"} <= set(calls)
    assert f"hdiutil verify {dmg_name()}" in calls
    top = checkout[0]
    assert (top / dmg_name()).is_file()


def test_signed_signs_inside_out_and_smoke_tests_the_signed_app(checkout):
    identity = "Developer ID Application: Example Clinic Software (ABCDE12345)"
    done, calls = run(checkout, OTDESK_CODESIGN_IDENTITY=identity)
    assert done.returncode == 0, done.stdout + done.stderr
    signs = [c for c in calls if c.startswith("codesign --force")]
    signed = [c.rsplit(" ", 1)[-1] for c in signs]
    assert signed[-1] == dmg_name()
    assert signed[-2] == "dist/otdesk.app"  # the app after everything inside it
    inside = set(signed[:-2])
    assert inside == {
        "dist/otdesk.app/Contents/Frameworks/libQt6Core.dylib",
        "dist/otdesk.app/Contents/MacOS/otdesk",
    }
    for call in signs[:-1]:
        assert "--options runtime" in call and "--timestamp" in call
        assert f"--sign {identity}" in call
    assert not any("--deep" in c for c in calls)
    assert "app --smoke-test" in calls
    assert calls.index("app --smoke-test") < next(
        i for i, c in enumerate(calls) if c.startswith("hdiutil create")
    )
    assert "no notary credentials" in done.stdout
    assert not [c for c in calls if c.startswith("xcrun")]


def test_notarized_with_a_keychain_profile(checkout):
    done, calls = run(
        checkout,
        OTDESK_CODESIGN_IDENTITY="Developer ID Application: X (ABCDE12345)",
        OTDESK_NOTARY_PROFILE="otdesk-notary",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"xcrun notarytool submit {dmg_name()} --keychain-profile otdesk-notary --wait" in calls
    assert f"xcrun stapler staple {dmg_name()}" in calls


def test_notarized_with_an_apple_id(checkout):
    done, calls = run(
        checkout,
        OTDESK_CODESIGN_IDENTITY="Developer ID Application: X (ABCDE12345)",
        OTDESK_NOTARY_APPLE_ID="it@example.org",
        OTDESK_NOTARY_TEAM_ID="ABCDE12345",
        OTDESK_NOTARY_PASSWORD="abcd-efgh-ijkl-mnop",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    submit = next(c for c in calls if c.startswith("xcrun notarytool submit"))
    assert "--apple-id it@example.org --team-id ABCDE12345 --password abcd-efgh-ijkl-mnop" in submit


def test_notary_credentials_without_an_identity_are_not_used(checkout):
    done, calls = run(checkout, OTDESK_NOTARY_PROFILE="otdesk-notary")
    assert done.returncode == 0
    assert not [c for c in calls if c.startswith(("xcrun", "codesign"))]


def test_a_missing_app_is_refused(checkout):
    shutil.rmtree(checkout[0] / "dist" / "otdesk.app")
    done, calls = run(checkout)
    assert done.returncode == 1
    assert "dist/otdesk.app is missing; run python packaging/build.py first" in done.stderr
    assert calls == []
