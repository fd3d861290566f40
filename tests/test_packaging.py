"""The wheel carries data/ and resources/, and the installed command works outside the
source tree."""

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "otdesk").rglob("__init__.py")
    }
    # every folder of shipped files too: setuptools only ships a listed folder's files
    for top, name in (("data", "otdesk._data"), ("resources", "otdesk._resources")):
        found |= {
            ".".join((name, *folder.relative_to(ROOT / top).parts))
            for folder in (ROOT / top).rglob("*")
            if folder.is_dir() and "__pycache__" not in folder.parts
        }
    assert found - listed == set(), "add these to [tool.setuptools] packages"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the wheel and install it (no dependencies: they are in this venv) elsewhere."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    wheel = next(work.glob("otdesk-*.whl"))
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return wheel, target


def test_wheel_contains_the_reference_data(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("procedures.csv", "modifiers.csv", "pos.csv"):
        assert f"otdesk/_data/{data}" in names
    assert "otdesk/_resources/README.md" in names
    assert "otdesk/_resources/fonts/DejaVuSans.ttf" in names
    assert "otdesk/_resources/icons/otdesk.png" in names


def test_installed_commands_work_outside_the_source_tree(installed, tmp_path):
    _, target = installed
    env = dict(os.environ, PYTHONPATH=str(target))

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "otdesk", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import otdesk, otdesk.paths as p; "
            "print(otdesk.__file__); print(p.data_file('procedures.csv'))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    module_file, data_path = where.stdout.split()
    assert Path(module_file).is_relative_to(target)
    assert Path(data_path).is_relative_to(target)

    units = run("units", "97110=33", "97140=7", "--json")
    assert units.returncode == 0, units.stderr
    assert '"total_units": 3' in units.stdout
    codes = run("codes", "search", "ionto", "--json")
    assert codes.returncode == 0, codes.stderr
    assert '"97033"' in codes.stdout
