"""Build the one-folder bundle from packaging/otdesk.spec, run its frozen smoke test, and print
the figures: its size against a bare PySide6 one-window bundle built with the same
PyInstaller in the same run (target <= 1.3x, for the crypto libraries of issue 15), and its
start-up against the unfrozen app's (target <= 1.1x, medians of several runs).

    python packaging/build.py               # needs: pip install -e ".[build]"
    python packaging/build.py --no-figures  # build and smoke test only
    python packaging/build.py --strict      # also fail when a figure misses its target

Writes dist/otdesk/ (and dist/otdesk.app on macOS); work files go to build/pyinstaller/.
Exits non-zero when the build or the frozen smoke test fails. Works on Linux, Windows and
macOS (the release workflow runs it on each).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "otdesk.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
# 1.2x until issue 15; SQLCipher, cryptography and argon2-cffi add about a tenth.
SIZE_TARGET = 1.3
START_TARGET = 1.1
STARTUP_PROBE_ENV = "OTDESK_STARTUP_PROBE"  # otdesk.smoke.STARTUP_PROBE_ENV
BARE_APP = """\
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.show()
app.processEvents()
print("ready", flush=True)
"""


def say(text: str) -> None:
    print(f"build: {text}", flush=True)


def qt_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra)
    return env


def pyinstaller(*args: str | Path) -> None:
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    subprocess.run([*command, *map(str, args)], check=True, cwd=ROOT, env=qt_env())


def frozen_executable(dist: Path = DIST, name: str = "otdesk") -> Path:
    """The bundle's console entry: otdesk-cli.exe on Windows, the .app's executable on
    macOS (what ships), dist/otdesk/otdesk on Linux."""
    if sys.platform == "win32":
        return dist / name / f"{name}-cli.exe"
    if sys.platform == "darwin" and (dist / f"{name}.app").is_dir():
        return dist / f"{name}.app" / "Contents" / "MacOS" / name
    return dist / name / name


def folder_size(folder: Path) -> int:
    """Bytes of every file under folder (symbolic links, as in macOS frameworks, not
    followed or counted)."""
    total = 0
    for directory, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(directory) / name
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def largest_parts(folder: Path, count: int = 8) -> list[tuple[str, int]]:
    inside = folder / "_internal" if (folder / "_internal").is_dir() else folder
    parts = []
    for entry in inside.iterdir():
        if entry.is_symlink():  # PyInstaller links some libraries to their real place
            continue
        size = folder_size(entry) if entry.is_dir() else entry.stat().st_size
        parts.append((entry.name, size))
    return sorted(parts, key=lambda part: -part[1])[:count]


def mb(size: float) -> str:
    return f"{size / 1_000_000:.1f} MB"


def build_bundle() -> float:
    started = time.perf_counter()
    pyinstaller("--clean", "--distpath", DIST, "--workpath", WORK / "otdesk", SPEC)
    return time.perf_counter() - started


def smoke_test(executable: Path) -> bool:
    say(f"frozen smoke test: {executable.relative_to(ROOT)} --smoke-test")
    done = subprocess.run([str(executable), "--smoke-test"], env=qt_env(), timeout=600)
    return done.returncode == 0


def build_bare(folder: Path) -> Path:
    script = folder / "bare.py"
    script.write_text(BARE_APP, encoding="utf-8")
    pyinstaller(
        "--onedir",
        "--distpath",
        folder / "dist",
        "--workpath",
        folder / "work",
        "--specpath",
        folder,
        script,
    )
    return folder / "dist" / "bare"


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (0 where unknown: Windows)."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_until_ready(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from launching command to its "ready" line, and the CPU seconds the whole
    run used (less sensitive to a busy machine than the wall clock)."""
    cpu = children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert process.stdout is not None
    elapsed = None
    for line in process.stdout:
        if line.startswith("ready") and elapsed is None:
            elapsed = time.perf_counter() - started
    if process.wait(timeout=120) != 0 or elapsed is None:
        raise SystemExit(f"build: {' '.join(command)} did not start (exit {process.returncode})")
    return elapsed, children_cpu() - cpu


def time_until_exit(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    cpu = children_cpu()
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, children_cpu() - cpu


# "frozen"/"unfrozen" -> (wall, cpu) median seconds, and "runs" -> how many of each
Figure = dict[str, Any]


def startup_figures(frozen: Path, runs: int, folder: Path) -> dict[str, Figure]:
    """Median seconds (wall clock and CPU), frozen and unfrozen, for the window start and
    the command line start. Runs alternate so both see the same machine load; one warm-up
    round of each is dropped."""
    data_dir = folder / "clinic"
    subprocess.run(
        [sys.executable, "-m", "otdesk", "--data-dir", str(data_dir), "demo"],
        check=True,
        env=qt_env(),
        stdout=subprocess.DEVNULL,
    )
    env = qt_env(**{STARTUP_PROBE_ENV: str(data_dir)})
    commands = {"frozen": [str(frozen)], "unfrozen": [sys.executable, "-m", "otdesk"]}
    names = {
        "window": "window start (the sign-in screen shown)",
        "cli": "command line start (otdesk --version)",
    }
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {
        name: {kind: [] for kind in commands} for name in names
    }
    for round_number in range(runs + 1):
        for kind, command in commands.items():
            window = time_until_ready([*command, "--smoke-test"], env)
            if round_number:  # the first round warms the file cache
                samples["window"][kind].append(window)
    # The command line start is short (about 0.1 s), so a busy machine moves it more: three
    # times the runs, frozen and unfrozen back to back.
    for round_number in range(3 * runs + 1):
        for kind, command in commands.items():
            cli = time_until_exit([*command, "--version"], qt_env())
            if round_number:
                samples["cli"][kind].append(cli)
    figures: dict[str, Figure] = {}
    for name, by_kind in samples.items():
        figure: Figure = {
            kind: (
                statistics.median(wall for wall, _ in values),
                statistics.median(cpu for _, cpu in values),
            )
            for kind, values in by_kind.items()
        }
        figure["runs"] = len(by_kind["frozen"])
        figures[names[name]] = figure
    return figures


def verdict(ratio: float, target: float) -> str:
    return "met" if ratio <= target else "NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-figures", action="store_true", help="build and smoke test only")
    parser.add_argument(
        "--figures-only", action="store_true", help="figures of the bundle already in dist/"
    )
    parser.add_argument("--runs", type=int, default=7, help="start-up runs of each (7)")
    parser.add_argument("--strict", action="store_true", help="fail when a target is missed")
    args = parser.parse_args(argv)

    import PyInstaller

    say(f"PyInstaller {PyInstaller.__version__}, Python {sys.version.split()[0]}, {sys.platform}")
    bundle = DIST / "otdesk"
    frozen = frozen_executable()
    if args.figures_only:
        if not frozen.is_file():
            say(f"{frozen} is missing: build first")
            return 1
        seconds = 0.0
    else:
        seconds = build_bundle()
        say(f"built {bundle.relative_to(ROOT)} in {seconds:.0f} s")
        if not smoke_test(frozen):
            say("the frozen smoke test FAILED")
            return 1
    if args.no_figures:
        return 0

    missed = []
    with tempfile.TemporaryDirectory(prefix="otdesk-build-") as temp:
        folder = Path(temp)
        say("building the bare PySide6 one-window bundle for comparison")
        started = time.perf_counter()
        bare = build_bare(folder)
        bare_seconds = time.perf_counter() - started
        ours, theirs = folder_size(bundle), folder_size(bare)
        ratio = ours / theirs
        print()
        print(f"bundle size     otdesk {mb(ours)}  bare PySide6 window {mb(theirs)}", end="")
        print(f"  ratio {ratio:.2f}x (target <= {SIZE_TARGET}x: {verdict(ratio, SIZE_TARGET)})")
        if ratio > SIZE_TARGET:
            missed.append("size")
        if not args.figures_only:
            print(f"                built in {seconds:.0f} s (bare: {bare_seconds:.0f} s)")
        print("largest parts   " + ", ".join(f"{n} {mb(s)}" for n, s in largest_parts(bundle)))
        for name, figure in startup_figures(frozen, args.runs, folder).items():
            (frozen_s, frozen_cpu), (unfrozen_s, unfrozen_cpu) = (
                figure["frozen"],
                figure["unfrozen"],
            )
            ratio = frozen_s / unfrozen_s
            cpu = f", CPU {frozen_cpu / unfrozen_cpu:.2f}x" if unfrozen_cpu > 0 else ""
            print(
                f"start-up        {name}: frozen {frozen_s * 1000:.0f} ms, unfrozen "
                f"{unfrozen_s * 1000:.0f} ms, ratio {ratio:.2f}x (target <= {START_TARGET}x: "
                f"{verdict(ratio, START_TARGET)}; medians of {figure['runs']}{cpu})"
            )
            if ratio > START_TARGET:
                missed.append(name)
        shutil.rmtree(folder / "clinic", ignore_errors=True)
    print()
    if missed and args.strict:
        say(f"targets missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
