"""packaging/windows/otdesk.iss, read as text (Inno Setup runs on Windows only): a per-user
install without admin rights that upgrades in place and never deletes the user data folder."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ISS = ROOT / "packaging" / "windows" / "otdesk.iss"


def sections() -> dict[str, list[str]]:
    """Lines of each [Section] (comments and blank lines left out); "" holds the preamble."""
    found: dict[str, list[str]] = {"": []}
    current = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            found.setdefault(current, [])
            continue
        found[current].append(line)
    return found


def setup_values() -> dict[str, str]:
    return dict(line.split("=", 1) for line in sections()["Setup"])


def entries(section: str) -> list[dict[str, str]]:
    """An entry line like `Name: "x"; Flags: y` as {"Name": "x", "Flags": "y"}."""
    parsed = []
    for line in sections().get(section, []):
        fields = {}
        for part in re.split(r";\s+(?=\w+:)", line):
            key, _, value = part.partition(":")
            fields[key.strip()] = value.strip().strip('"')
        parsed.append(fields)
    return parsed


def test_installs_per_user_without_administrator_rights():
    setup = setup_values()
    assert setup["PrivilegesRequired"] == "lowest"
    # no dialog offering an all-users (admin) install either
    assert "PrivilegesRequiredOverridesAllowed" not in setup
    # {autopf} is %LOCALAPPDATA%\Programs in a non-administrative install
    assert setup["DefaultDirName"].startswith("{autopf}\\")


def test_a_fixed_app_id_makes_a_new_version_replace_the_old_one():
    setup = setup_values()
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["UsePreviousAppDir"] == "yes"
    assert setup["AppVersion"] == "{#AppVersion}"


def test_start_menu_shortcut_and_an_optional_desktop_one():
    icons = entries("Icons")
    start_menu = [i for i in icons if i["Name"].startswith("{autoprograms}")]
    desktop = [i for i in icons if i["Name"].startswith("{autodesktop}")]
    assert start_menu and "Tasks" not in start_menu[0]
    assert desktop and desktop[0]["Tasks"] == "desktopicon"
    (task,) = [t for t in entries("Tasks") if t["Name"] == "desktopicon"]
    assert "unchecked" in task["Flags"]
    assert all(i["Filename"] == "{app}\\{#AppExe}" for i in icons)


def test_deletions_stay_inside_the_install_folder():
    for section in ("InstallDelete", "UninstallDelete"):
        for entry in entries(section):
            assert entry["Name"] == "{app}" or entry["Name"].startswith("{app}\\"), entry


def test_nothing_deletes_the_user_data_folder():
    text = ISS.read_text(encoding="utf-8")
    code = "\n".join(sections().get("Code", []))
    for call in ("DelTree", "DeleteFile", "RemoveDir", "Exec(", "ShellExec"):
        assert call not in code, call
    # the user data folder ({localappdata}\otdesk on Windows, from platformdirs) is only
    # ever named in the message saying it was kept
    mentions = [line for line in text.splitlines() if "{localappdata}" in line.lower()]
    assert len(mentions) == 1 and "ExpandConstant" in mentions[0]
    for constant in ("{userappdata}", "{commonappdata}", "{userdocs}", "{localappdata}\\otdesk\\"):
        assert all(constant not in line for line in sections().get("InstallDelete", []))
        assert all(constant not in line for line in sections().get("UninstallDelete", []))


def test_the_uninstaller_says_the_data_was_kept():
    messages = dict(line.split("=", 1) for line in sections()["CustomMessages"])
    assert "kept" in messages["DataKept"] and "%1" in messages["DataKept"]
    assert "usPostUninstall" in "\n".join(sections()["Code"])


def windows_path(path: Path) -> str:
    """path as the .iss names it: relative to packaging\\windows, with backslashes."""
    return "..\\..\\" + "\\".join(path.relative_to(ROOT).parts)


def test_paths_match_what_the_build_script_makes():
    spec = importlib.util.spec_from_file_location("build_script", ROOT / "packaging" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    text = ISS.read_text(encoding="utf-8")
    bundle = windows_path(build.DIST / "otdesk")
    # the spec renders the icons into <workpath>/<spec name>/icons
    icon = windows_path(build.WORK / "otdesk" / "otdesk" / "icons" / "otdesk.ico")
    assert f'#define BundleDir "{bundle}"' in text
    assert f'#define IconFile "{icon}"' in text
    source = next(e for e in entries("Files"))
    assert source["Source"] == "{#BundleDir}\\*"
    assert "recursesubdirs" in source["Flags"]
