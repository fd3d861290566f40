import os
import stat

import pytest

from otdesk import paths


def test_data_files_are_found():
    assert paths.data_file("procedures.csv").read_text(encoding="utf-8").startswith("code,")


def test_missing_data_file_names_it():
    with pytest.raises(paths.MissingResourceError, match="no-such.csv"):
        paths.data_file("no-such.csv")


def test_bundle_folder_wins_and_a_broken_bundle_is_named(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "procedures.csv").write_text("code,x\n")
    monkeypatch.setattr(paths.sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.data_file("procedures.csv") == tmp_path / "data" / "procedures.csv"
    with pytest.raises(paths.MissingResourceError, match="modifiers.csv"):
        paths.data_file("modifiers.csv")


def test_user_data_dir_override_order(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "env"))
    assert paths.user_data_dir() == tmp_path / "env"
    assert paths.user_data_dir(tmp_path / "flag") == tmp_path / "flag"
    if os.name == "posix":
        mode = stat.S_IMODE((tmp_path / "flag").stat().st_mode)
        assert mode == 0o700


def test_resources_are_found():
    assert "resource_file" in paths.resource_file("README.md").read_text(encoding="utf-8")
    with pytest.raises(paths.MissingResourceError, match="icon.png"):
        paths.resource_file("icon.png")
