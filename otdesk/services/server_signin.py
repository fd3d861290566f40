"""Signing in to a clinic kept on a PostgreSQL server (issue 16).

A server clinic has no key file: the server's own login (its role and password, TLS) lets
the desk reach the data, and the person's Argon2 hash in the accounts table is the proof of
who they are. Failed tries are kept and paced as for a clinic file (storage.signin_record),
in the desk's own folder, one record per server (a failure on the server must not end up in
the audit log of a local clinic in the same folder, nor the other way round), and copied
into the server's audit log at the next successful sign-in.

Kept apart from services.signin, which signs in to clinic files.
"""

from __future__ import annotations

import re
from pathlib import Path

from otdesk.services.accounts import SignInError
from otdesk.services.clinic import Clinic
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.signin import SignInPausedError, _failed, _succeeded, _wait
from otdesk.storage import signin_record
from otdesk.storage.server import SERVER_PLACEHOLDER, describe, open_server
from otdesk.storage.server import server_url as parse_server_url

# Under the desk folder: one subfolder per server for its sign-in record.
SERVERS_DIRNAME = "servers"


def record_place(desk_dir: Path, address: str) -> Path:
    """The stand-in 'database path' whose neighbour holds this server's sign-in record on
    this desk (storage.signin_record keeps its file beside the database)."""
    url = parse_server_url(address)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", describe(url).replace(":", "_").replace("/", "_"))
    servers = Path(desk_dir) / SERVERS_DIRNAME
    folder = servers / slug
    for made in (Path(desk_dir), servers, folder):
        made.mkdir(exist_ok=True, mode=0o700)
    return folder / SERVER_PLACEHOLDER


def sign_in_server(
    address: str,
    name: str,
    password: str,
    *,
    desk_dir: Path,
    clock: Clock | None = None,
) -> Clinic:
    """The server clinic at `address`, opened for this desk (`desk_dir`: its own files) and
    signed in as `name`. Raises SignInError (wrong name or password, a disabled account,
    SignInPausedError) and closes the connection again, or the storage.server errors of a
    server that cannot be reached, refuses the login, is empty or not an otdesk clinic."""
    clock = clock or SystemClock()
    typed = str(name).strip().casefold()
    place = record_place(desk_dir, address)
    record = signin_record.load(place)
    wait = _wait(record.of(typed), clock.now())
    if wait:
        raise SignInPausedError(typed, wait)
    db = open_server(address, desk_dir=Path(desk_dir))
    clinic = Clinic(db, clock=clock)
    try:
        person = clinic.accounts.authenticate(typed, password)
    except SignInError:
        clinic.close()
        _failed(place, record, typed, clock.now())
        raise
    except BaseException:
        clinic.close()
        raise
    _succeeded(clinic, place, record, person, "signin")
    return clinic
