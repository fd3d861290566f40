"""A real PostgreSQL server for the tests that run on both engines.

`.ci/run` starts a throwaway cluster (.ci/postgres.sh) and sets OTDESK_TEST_POSTGRES_URL
(a superuser URL on localhost) and OTDESK_TEST_POSTGRES_DIR (its folder, for the tests that
stop and start it). Locally, set them to use a server of your own; without them the
PostgreSQL tests are skipped, saying so, except under CI (CI set), where a missing server
fails them: the server run must not silently disappear.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

URL_ENV = "OTDESK_TEST_POSTGRES_URL"
DIR_ENV = "OTDESK_TEST_POSTGRES_DIR"


def server_url() -> str:
    """The test server's superuser URL (postgresql+psycopg://...), or skip / fail."""
    url = os.environ.get(URL_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but no PostgreSQL server was given ({URL_ENV})")
        pytest.skip(f"no PostgreSQL server: set {URL_ENV} to run the server tests")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextmanager
def fresh_database(prefix: str = "otdesk_test", *, template: str | None = None) -> Iterator[str]:
    """An empty database on the test server (or a copy of the database `template`),
    dropped afterwards; yields its URL."""
    url, name = _create(f"{prefix}_{secrets.token_hex(4)}", template)
    try:
        yield url
    finally:
        drop_database(name)


def template_database(prefix: str) -> tuple[str, str]:
    """A new empty database meant to be copied by fresh_database(template=...): its URL
    and its name. The caller drops it (drop_database) when done."""
    return _create(f"{prefix}_{secrets.token_hex(4)}", None)


def drop_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _create(name: str, template: str | None) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    admin_url = server_url()
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    finally:
        admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def stop_server() -> None:
    """Stop the test server (fast shutdown: connections are cut, as in a crash or a
    restart). Needs OTDESK_TEST_POSTGRES_DIR (.ci/postgres.sh's folder)."""
    _pg_ctl("stop", "-m", "fast")


def start_server() -> None:
    """Start the test server stopped by stop_server() again, on the same port."""
    from sqlalchemy.engine import make_url

    folder = _server_dir()
    port = make_url(server_url()).port
    _pg_ctl(
        "start",
        "-l",
        f"{folder}/server.log",
        "-o",
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off",
    )


def _server_dir() -> str:
    folder = os.environ.get(DIR_ENV)
    if not folder:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {DIR_ENV} (the test server's folder) is not")
        pytest.skip(f"set {DIR_ENV} to run the tests that stop and start the server")
    return folder


def _pg_ctl(*args: str) -> None:
    import glob
    import shutil
    import subprocess

    folder = _server_dir()
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")) or [shutil.which("pg_ctl")]
    command = [found[-1] or "pg_ctl", "-D", f"{folder}/data", "-w", *args]
    if os.geteuid() == 0:  # the cluster belongs to the postgres user (.ci/postgres.sh)
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
