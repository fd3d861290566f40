"""`otdesk --smoke-test` from a source install, and a bundle missing a shipped file failing it
loudly (a PyInstaller bundle is imitated by pointing sys._MEIPASS at a copied folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from otdesk import smoke
from tests.cli_helpers import run_otdesk

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_smoke_test_passes_every_step_from_a_source_install(tmp_path):
    # A cache folder of the user's own is not touched: the index is built in a temp folder.
    user_cache = tmp_path / "user-cache"
    done = run_otdesk("--smoke-test", env={"OTDESK_CACHE_DIR": str(user_cache)})
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    step_lines = [line for line in lines if not line.startswith("smoke test")]
    assert [line.split(":")[0] for line in step_lines] == [
        f"ok   {step.name}" for step in smoke.STEPS
    ]
    assert lines[-1].startswith(f"smoke test passed: {len(smoke.STEPS)} steps")
    assert "(source install)" in lines[-1]
    assert not user_cache.exists() or not any(user_cache.iterdir())


def fake_bundle(tmp_path: Path, remove: str | None = None, manifest: bool = True) -> Path:
    """A folder laid out like the bundle's data/ and resources/, with the manifest the spec
    writes, then `remove` (e.g. "data/procedures.csv") deleted from it."""
    bundle = tmp_path / "bundle"
    for kind in smoke.SHIPPED_KINDS:
        shutil.copytree(ROOT / kind, bundle / kind)
    if manifest:
        smoke.write_manifest(ROOT, bundle / smoke.MANIFEST_NAME)
    if remove:
        (bundle / remove).unlink()
    return bundle


def run_in_bundle(bundle: Path, steps: str | None = "files") -> subprocess.CompletedProcess:
    code = textwrap.dedent(
        f"""
        import sys
        sys._MEIPASS = {str(bundle)!r}
        from otdesk.smoke import main
        sys.exit(main())
        """
    )
    env = dict(os.environ)
    env.pop(smoke.STEPS_ENV, None)
    if steps:
        env[smoke.STEPS_ENV] = steps
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=bundle.parent,
        timeout=300,
    )


def test_a_whole_bundle_passes_the_file_check(tmp_path):
    done = run_in_bundle(fake_bundle(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "against otdesk-manifest.json" in done.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "data/procedures.csv",
        "data/SOURCES.md",
        "resources/fonts/DejaVuSans.ttf",
        "resources/README.md",
    ],
)
def test_a_bundle_missing_a_shipped_file_fails_naming_it(tmp_path, missing):
    done = run_in_bundle(fake_bundle(tmp_path, remove=missing))
    assert done.returncode == 1
    fail = [line for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(fail) == 1
    assert fail[0].startswith("FAIL check shipped files: missing " + missing)
    assert done.stdout.splitlines()[-1].startswith("smoke test FAILED at: check shipped files")


def test_a_bundle_with_a_changed_file_fails_naming_it(tmp_path):
    bundle = fake_bundle(tmp_path)
    with open(bundle / "data" / "pos.csv", "a", encoding="utf-8") as handle:
        handle.write("99,Invented,added after the build\n")
    done = run_in_bundle(bundle)
    assert done.returncode == 1
    assert "data/pos.csv is " in done.stdout


def test_a_bundle_without_its_file_list_fails(tmp_path):
    done = run_in_bundle(fake_bundle(tmp_path, manifest=False))
    assert done.returncode == 1
    assert "FAIL check shipped files: the bundle's file list" in done.stdout
    assert smoke.MANIFEST_NAME in done.stdout


@pytest.mark.slow
def test_the_steps_after_a_missing_data_file_fail_too_and_nothing_passes_falsely(tmp_path):
    # The procedure catalog is gone: seeding the demo needs it, so the chain stops there.
    done = run_in_bundle(fake_bundle(tmp_path, remove="data/procedures.csv"), steps=None)
    assert done.returncode == 1
    by_step = {line[5:].split(":")[0]: line[:4] for line in done.stdout.splitlines()[:-1]}
    assert by_step["check shipped files"] == "FAIL"
    assert by_step["seed demo clinic"] == "FAIL"
    assert by_step["compute units and findings"] == "skip"
    assert by_step["render superbill"] == "skip"
    assert "procedures.csv" in done.stdout.split("seed demo clinic")[1].splitlines()[0]


def test_the_manifest_lists_every_file_of_the_source_tree():
    manifest = smoke.make_manifest(ROOT)
    for kind in smoke.SHIPPED_KINDS:
        on_disk = {
            p.relative_to(ROOT / kind).as_posix()
            for p in (ROOT / kind).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert set(manifest[kind]) == on_disk
        for name in smoke.REQUIRED[kind]:
            assert name in manifest[kind], f"{kind}/{name} is required but not in {kind}/"


def test_a_step_brings_the_steps_it_needs():
    keys = [step.key for step in smoke._selected("superbill")]
    assert keys == ["database", "seed", "units", "superbill"]
    assert [step.key for step in smoke._selected("")] == [step.key for step in smoke.STEPS]
    with pytest.raises(SystemExit, match="unknown smoke-test step nope"):
        smoke._selected("files,nope")
