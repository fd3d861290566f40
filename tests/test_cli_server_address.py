"""--database on the command line without a server (these need no PostgreSQL): a malformed
address (for the commands and the window), options that belong to the other kind of
clinic."""

from __future__ import annotations

from tests.cli_helpers import run_otdesk

NO_URL = {"OTDESK_DATABASE_URL": "", "OTDESK_USER": "ada", "OTDESK_PASSWORD": "a long password 1"}


def _refused(result, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, message


def test_an_address_that_is_not_postgresql_is_refused_before_a_password(tmp_path):
    for address, words in (
        ("mysql://host/clinic", ("must start with postgresql://", "mysql://")),
        ("postgresql:///clinic", ("names no host",)),
        ("postgresql://host", ("names no database",)),
    ):
        result = run_otdesk(
            "visits",
            "--database",
            address,
            "--data-dir",
            str(tmp_path),
            env={**NO_URL, "OTDESK_PASSWORD": ""},
        )
        _refused(result, *words)


def test_the_window_refuses_a_malformed_server_address_before_it_opens(tmp_path):
    given = run_otdesk(
        "--database", "postgresql://u:pw-9981@host", "--data-dir", str(tmp_path), env=NO_URL
    )
    _refused(given, "names no database")
    assert "pw-9981" not in given.stderr
    from_env = run_otdesk(
        "--data-dir",
        str(tmp_path),
        env={**NO_URL, "OTDESK_DATABASE_URL": "mysql://host/clinic"},
    )
    _refused(from_env, "must start with postgresql://")
    assert not (tmp_path / "otdesk.db").exists()


def test_server_commands_need_an_address_and_local_options_stay_local(tmp_path):
    _refused(
        run_otdesk("server", "init", "--admin", "ada", "--data-dir", str(tmp_path), env=NO_URL),
        "--database",
    )
    _refused(
        run_otdesk(
            "backup", "--out", str(tmp_path / "out"), "--data-dir", str(tmp_path), env=NO_URL
        ),
        "--out is for a clinic on a server",
    )
    _refused(
        run_otdesk(
            "restore",
            "--latest",
            "--database",
            "postgresql://h/c",
            "--data-dir",
            str(tmp_path),
            env=NO_URL,
        ),
        "server's own tools",
    )
    _refused(
        run_otdesk(
            "encrypt",
            "--admin",
            "ada",
            "--database",
            "postgresql://h/c",
            "--data-dir",
            str(tmp_path),
            env=NO_URL,
        ),
        "not encrypted by otdesk",
    )
