"""packaging/otdesk.spec, executed as PyInstaller would but with PyInstaller's build classes
replaced by recorders: what it asks for on Linux, Windows and macOS, and its Qt filters.
Runs without PyInstaller installed (its hook helpers are stubbed too)."""

from __future__ import annotations

import sys
import tomllib
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "otdesk.spec"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# What PyInstaller's hooks would hand the spec (bundle path, source, kind)
SAMPLE_BINARIES = [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/x/libqoffscreen.so", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", "/x/libqwayland.so", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqlinuxfb.so", "/x/libqlinuxfb.so", "BINARY"),
    ("PySide6/Qt/plugins/wayland-shell-integration/libxdg.so", "/x/libxdg.so", "BINARY"),
    ("PySide6/Qt/plugins/egldeviceintegrations/libegl.so", "/x/libegl.so", "BINARY"),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", "/x/libqopenssl.so", "BINARY"),
    ("PySide6/Qt/plugins/imageformats/libqico.so", "/x/libqico.so", "BINARY"),
    ("PySide6/Qt/plugins/imageformats/libqtiff.so", "/x/libqtiff.so", "BINARY"),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/x/libqgtk3.so", "BINARY"),
    ("PySide6/Qt/plugins/styles/libqmacstyle.dylib", "/x/libqmacstyle.dylib", "BINARY"),
    ("PySide6/Qt/plugins/platforms/darwin/libqdarwin.dylib", "/x/libqdarwin.dylib", "BINARY"),
    ("PySide6\\plugins\\platforms\\qwindows.dll", "C:\\x\\qwindows.dll", "BINARY"),
    ("PySide6\\plugins\\platforms\\qdirect2d.dll", "C:\\x\\qdirect2d.dll", "BINARY"),
    ("PySide6/Qt/lib/libQt6Core.so.6", "/x/libQt6Core.so.6", "BINARY"),
    ("libpython3.11.so.1.0", "/x/libpython3.11.so.1.0", "BINARY"),
    ("PySide6\\opengl32sw.dll", "C:\\x\\opengl32sw.dll", "BINARY"),
]
SAMPLE_DATAS = [
    ("PySide6/Qt/translations/qtbase_de.qm", "/x/qtbase_de.qm", "DATA"),
    ("PySide6\\translations\\qt_fr.qm", "C:\\x\\qt_fr.qm", "DATA"),
    ("PySide6/Qt/qml/QtQuick/qmldir", "/x/qmldir", "DATA"),
    ("certifi/cacert.pem", "/x/cacert.pem", "DATA"),
]
SAMPLE_SCRIPTS = [
    ("pyiboot01_bootstrap", "/x/boot.py", "PYSOURCE"),
    ("pyi_rth_pyside6", "/x/pyi_rth_pyside6.py", "PYSOURCE"),
    ("pyi_rth_otdesk_qt", "/x/pyi_rth_otdesk_qt.py", "PYSOURCE"),
    ("pyi_rth_inspect", "/x/pyi_rth_inspect.py", "PYSOURCE"),
    ("pyi_rth_multiprocessing", "/x/pyi_rth_multiprocessing.py", "PYSOURCE"),
    ("launch", "/x/launch.py", "PYSOURCE"),
]


class Recorder:
    """Stands in for one of PyInstaller's build classes and remembers its arguments."""

    made: list[Recorder] = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        Recorder.made.append(self)


class FakeAnalysis(Recorder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.binaries = list(SAMPLE_BINARIES)
        self.datas = [(dest, src, "DATA") for src, dest in kwargs["datas"]] + SAMPLE_DATAS
        self.scripts = list(SAMPLE_SCRIPTS)
        self.pure = []


class FakeQtLibraryInfo:
    def collect_plugins(self, plugin_type):
        names = {
            "platforms": ["libqxcb.so", "libqwayland-egl.so", "libqoffscreen.so", "libqvnc.so"],
            "imageformats": ["libqico.so", "libqtiff.so", "libqwebp.so", "libqsvg.so"],
            "generic": ["libqevdevkeyboardplugin.so"],
            "styles": ["libqmacstyle.dylib"],
            "platforms/darwin": ["libqdarwin.dylib"],
        }[plugin_type]
        target = f"PySide6/Qt/plugins/{plugin_type}"
        return [(f"/qt/plugins/{plugin_type}/{name}", target) for name in names]


def stub_pyinstaller(monkeypatch):
    """PyInstaller's modules the spec imports, replaced by small fakes."""
    hooks = types.ModuleType("PyInstaller.utils.hooks")
    hooks.collect_data_files = lambda package: [
        (f"/site/{package}/data/code-list.txt", f"{package}/data")
    ]
    hooks.collect_submodules = lambda package: [package, f"{package}.commands.demo"]
    qt = types.ModuleType("PyInstaller.utils.hooks.qt")
    qt.QtLibraryInfo = FakeQtLibraryInfo
    hooks.qt = qt
    versioninfo = types.ModuleType("PyInstaller.utils.win32.versioninfo")
    for name in (
        "VSVersionInfo",
        "FixedFileInfo",
        "StringFileInfo",
        "StringTable",
        "StringStruct",
        "VarFileInfo",
        "VarStruct",
    ):
        setattr(versioninfo, name, type(name, (), {"__init__": Recorder.__init__}))
    modules = {
        "PyInstaller": types.ModuleType("PyInstaller"),
        "PyInstaller.utils": types.ModuleType("PyInstaller.utils"),
        "PyInstaller.utils.hooks": hooks,
        "PyInstaller.utils.hooks.qt": qt,
        "PyInstaller.utils.win32": types.ModuleType("PyInstaller.utils.win32"),
        "PyInstaller.utils.win32.versioninfo": versioninfo,
    }
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(FakeQtLibraryInfo, "collect_plugins", FakeQtLibraryInfo.collect_plugins)


def run_spec(monkeypatch, tmp_path, platform=None):
    stub_pyinstaller(monkeypatch)
    if platform:
        monkeypatch.setattr(sys, "platform", platform)
    # the spec renders the icons in a subprocess; here an empty stand-in is enough
    monkeypatch.setattr("subprocess.run", lambda *a, **k: None)
    Recorder.made = []
    namespace = {
        "SPECPATH": str(SPEC.parent),
        "DISTPATH": str(tmp_path / "dist"),
        "workpath": str(tmp_path / "work"),
        "Analysis": FakeAnalysis,
        "PYZ": type("PYZ", (Recorder,), {}),
        "EXE": type("EXE", (Recorder,), {}),
        "COLLECT": type("COLLECT", (Recorder,), {}),
        "BUNDLE": type("BUNDLE", (Recorder,), {}),
    }
    exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    made = {}
    for recorder in Recorder.made:
        made.setdefault(type(recorder).__name__, []).append(recorder)
    return namespace, made


def test_name_and_version_come_from_pyproject(monkeypatch, tmp_path):
    namespace, made = run_spec(monkeypatch, tmp_path)
    assert namespace["APP_NAME"] == PYPROJECT["name"] == "otdesk"
    assert namespace["VERSION"] == PYPROJECT["version"]
    assert made["COLLECT"][0].kwargs["name"] == "otdesk"


def test_data_resources_migrations_and_the_manifest_go_to_their_bundle_paths(monkeypatch, tmp_path):
    _, made = run_spec(monkeypatch, tmp_path)
    datas = made["FakeAnalysis"][0].kwargs["datas"]
    where = {Path(src).resolve(): dest for src, dest in datas}
    for kind in ("data", "resources"):
        for path in (ROOT / kind).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                expected = Path(kind, path.parent.relative_to(ROOT / kind)).as_posix()
                assert where.get(path.resolve()) == expected, path
    migrations = ROOT / "otdesk" / "storage" / "migrations"
    assert where[(migrations / "env.py").resolve()] == "otdesk/storage/migrations"
    for version in (migrations / "versions").glob("*.py"):
        assert where[version.resolve()] == "otdesk/storage/migrations/versions"
    manifest = tmp_path / "work" / "otdesk-manifest.json"
    assert where[manifest.resolve()] == "."
    assert manifest.is_file()
    assert ("/site/simple_icd_10_cm/data/code-list.txt", "simple_icd_10_cm/data") in datas


def test_the_icd_package_and_the_command_modules_are_bundled(monkeypatch, tmp_path):
    _, made = run_spec(monkeypatch, tmp_path)
    analysis = made["FakeAnalysis"][0].kwargs
    assert "simple_icd_10_cm" in analysis["hiddenimports"]
    assert "otdesk.commands.demo" in analysis["hiddenimports"]
    assert analysis["pathex"] == [str(ROOT)]
    for module in ("PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "tkinter"):
        assert module in analysis["excludes"]


def test_unused_qt_plugins_translations_and_qml_are_left_out(monkeypatch, tmp_path):
    _, made = run_spec(monkeypatch, tmp_path)
    analysis = made["FakeAnalysis"][0]
    kept = {dest for dest, _src, _kind in analysis.binaries}
    assert kept == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/imageformats/libqico.so",
        "PySide6/Qt/plugins/styles/libqmacstyle.dylib",
        "PySide6/Qt/plugins/platforms/darwin/libqdarwin.dylib",
        "PySide6\\plugins\\platforms\\qwindows.dll",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "libpython3.11.so.1.0",
    }
    data_dests = {dest for dest, _src, _kind in analysis.datas}
    assert "certifi/cacert.pem" in data_dests
    assert not any("translations" in d or "/qml/" in d for d in data_dests)


def test_the_qt_hook_collects_only_the_kept_plugins(monkeypatch, tmp_path):
    # Filtering in the hook keeps out the libraries a dropped plugin would drag in.
    run_spec(monkeypatch, tmp_path)
    info = FakeQtLibraryInfo()
    names = {Path(src).name for src, _ in info.collect_plugins("platforms")}
    assert names == {"libqxcb.so", "libqoffscreen.so"}
    names = {Path(src).name for src, _ in info.collect_plugins("imageformats")}
    assert names == {"libqico.so", "libqsvg.so"}
    assert info.collect_plugins("generic") == []
    assert len(info.collect_plugins("styles")) == 1
    assert len(info.collect_plugins("platforms/darwin")) == 1


def test_pyinstallers_eager_qt_runtime_hook_is_replaced_by_ours(monkeypatch, tmp_path):
    _, made = run_spec(monkeypatch, tmp_path)
    analysis = made["FakeAnalysis"][0]
    names = [name for name, _src, _kind in analysis.scripts]
    assert names == ["pyiboot01_bootstrap", "pyi_rth_otdesk_qt", "pyi_rth_inspect", "launch"]
    hooks = analysis.kwargs["runtime_hooks"]
    assert [Path(h).name for h in hooks] == ["pyi_rth_otdesk_qt.py"]
    assert Path(hooks[0]).is_file()


def test_otdesk_never_imports_multiprocessing():
    # The spec drops PyInstaller's multiprocessing run-time hook (12 ms at every start);
    # without it, child processes started through multiprocessing misbehave when frozen.
    for path in (ROOT / "otdesk").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in ("multiprocessing", "ProcessPoolExecutor"):
            assert word not in text, (
                f"{path.relative_to(ROOT)} uses {word}: keep pyi_rth_multiprocessing in "
                "packaging/otdesk.spec (DROPPED_RUNTIME_HOOKS)"
            )


def test_linux_one_console_executable(monkeypatch, tmp_path):
    _, made = run_spec(monkeypatch, tmp_path, platform="linux")
    (exe,) = made["EXE"]
    assert exe.kwargs["name"] == "otdesk"
    assert exe.kwargs["console"] is True
    assert exe.kwargs["upx"] is False
    assert "BUNDLE" not in made


def test_windows_window_and_command_line_executables(monkeypatch, tmp_path):
    _, made = run_spec(monkeypatch, tmp_path, platform="win32")
    window, cli = made["EXE"]
    assert (window.kwargs["name"], window.kwargs["console"]) == ("otdesk", False)
    assert (cli.kwargs["name"], cli.kwargs["console"]) == ("otdesk-cli", True)
    for exe in (window, cli):
        assert exe.kwargs["icon"].endswith("otdesk.ico")
        assert exe.kwargs["version"] is not None
    assert "BUNDLE" not in made
    collect = made["COLLECT"][0]
    assert collect.args[:2] == (window, cli)


def test_macos_app_bundle_identity_and_info_plist(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PySide6", types.SimpleNamespace(__version__="6.12.0"))
    namespace, made = run_spec(monkeypatch, tmp_path, platform="darwin")
    (exe,) = made["EXE"]
    assert exe.kwargs["console"] is False
    assert exe.kwargs["icon"].endswith("otdesk.icns")
    (bundle,) = made["BUNDLE"]
    assert bundle.kwargs["name"] == "otdesk.app"
    assert bundle.kwargs["bundle_identifier"] == namespace["BUNDLE_ID"] == "org.otdesk.otdesk"
    assert bundle.kwargs["version"] == PYPROJECT["version"]
    plist = bundle.kwargs["info_plist"]
    assert plist["NSHighResolutionCapable"] is True
    assert plist["CFBundleName"] == plist["CFBundleDisplayName"] == "otdesk"
    assert plist["CFBundleShortVersionString"] == PYPROJECT["version"]
    assert plist["CFBundleVersion"] == PYPROJECT["version"]
    assert plist["LSMinimumSystemVersion"] == "14.4"
    assert bundle.args == (made["COLLECT"][0],)


@pytest.mark.parametrize(
    ("qt", "macos"), [("6.12.0", "14.4"), ("6.13.1", "14.4"), ("6.10.2", "13.0"), ("6.8.3", "12.0")]
)
def test_the_oldest_macos_follows_the_bundled_qt(monkeypatch, tmp_path, qt, macos):
    namespace, _ = run_spec(monkeypatch, tmp_path)
    monkeypatch.setitem(sys.modules, "PySide6", types.SimpleNamespace(__version__=qt))
    assert namespace["macos_min_version"]() == macos


def test_windows_version_resource_has_four_numbers(monkeypatch, tmp_path):
    namespace, _ = run_spec(monkeypatch, tmp_path)
    info = namespace["windows_version_info"]()
    fixed = info.kwargs["ffi"]
    assert len(fixed.kwargs["filevers"]) == 4
    assert fixed.kwargs["filevers"][:3] == tuple(map(int, PYPROJECT["version"].split(".")[:3]))
