"""The smaller packaging pieces: the icon renderer, the build script's helpers, the Qt run-time
hook, the release workflow and the CI step that builds the bundle."""

from __future__ import annotations

import importlib.util
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- icons ------------------------------------------------------------------------------------


def test_the_committed_png_is_the_svg_rendered():
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "icons.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ico_and_icns_hold_every_size(tmp_path):
    from PIL import Image

    done = subprocess.run(
        [sys.executable, str(PACKAGING / "icons.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    icons = load("icons", PACKAGING / "icons.py")
    with Image.open(tmp_path / "otdesk.ico") as ico:
        assert ico.info["sizes"] == {(s, s) for s in icons.ICO_SIZES}
    with Image.open(tmp_path / "otdesk.icns") as icns:
        assert (512, 512, 2) in icns.info["sizes"]  # the 1024 px retina image
    with Image.open(tmp_path / "otdesk.png") as png:
        assert png.size == (512, 512) and png.mode == "RGBA"
        assert png.getpixel((0, 0))[3] == 0  # transparent corners
        assert png.getpixel((256, 256))[3] == 255


# --- build.py helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def build():
    return load("build_script", PACKAGING / "build.py")


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", "dist/otdesk/otdesk"),
        ("win32", "dist/otdesk/otdesk-cli.exe"),
        ("darwin", "dist/otdesk.app/Contents/MacOS/otdesk"),
    ],
)
def test_the_smoke_test_runs_the_executable_that_ships(
    build, monkeypatch, tmp_path, platform, expected
):
    (tmp_path / "dist" / "otdesk.app").mkdir(parents=True)
    monkeypatch.setattr(sys, "platform", platform)
    found = build.frozen_executable(tmp_path / "dist")
    assert found.relative_to(tmp_path).as_posix() == expected


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges")
def test_folder_size_counts_linked_files_once(build, tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libQt6Core.so.6").write_bytes(b"x" * 1000)
    (tmp_path / "libQt6Core.so.6").symlink_to(tmp_path / "lib" / "libQt6Core.so.6")
    (tmp_path / "base_library.zip").write_bytes(b"y" * 24)
    assert build.folder_size(tmp_path) == 1024


def test_the_build_script_and_the_smoke_test_agree_on_the_probe(build):
    from otdesk import smoke

    assert build.STARTUP_PROBE_ENV == smoke.STARTUP_PROBE_ENV


# --- the Qt run-time hook -----------------------------------------------------------------


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_the_runtime_hook_points_qt_at_the_bundled_plugins(monkeypatch, tmp_path, platform):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.delenv("QT_PLUGIN_PATH", raising=False)
    modules_before = set(sys.modules)
    runpy.run_path(str(PACKAGING / "rthooks" / "pyi_rth_otdesk_qt.py"))
    if platform == "win32":
        assert os.environ["QT_PLUGIN_PATH"] == os.path.join(str(tmp_path), "PySide6", "plugins")
        assert os.environ["PATH"].startswith(str(tmp_path) + os.pathsep)
    else:
        expected = os.path.join(str(tmp_path), "PySide6", "Qt", "plugins")
        assert os.environ["QT_PLUGIN_PATH"] == expected
        assert os.environ["PATH"] == "/usr/bin"
    # the point of the hook: Qt is not loaded at start-up
    assert not {m for m in set(sys.modules) - modules_before if m.startswith("PySide6")}


# --- the release workflow and CI ----------------------------------------------------------


def test_the_release_workflow_builds_tests_and_uploads_on_each_system():
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    for runner in ("windows-latest", "macos-latest", "ubuntu-latest"):
        assert f"os: {runner}" in text
    for step in (
        "python -m pytest",
        "python packaging/build.py --no-figures",
        "packaging\\windows\\otdesk.iss",
        "packaging/macos/make_dmg.sh",
        "actions/upload-artifact@v4",
        "--smoke-test",
    ):
        assert step in text, step
    assert text.index("python -m pytest") < text.index("python packaging/build.py")
    try:
        import yaml
    except ImportError:
        return
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["build"]["steps"]
    assert steps[-1]["with"]["if-no-files-found"] == "error"


def test_ci_builds_the_bundle_after_the_tests_unless_skipped():
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    tests = text.index("python -m pytest")
    bundle = text.index("python packaging/build.py")
    assert tests < bundle
    assert "OTDESK_SKIP_BUNDLE" in text[tests:bundle]
