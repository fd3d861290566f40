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

from pathlib import Path

from otdesk.services.accounts import SignInError
from otdesk.services.clinic import Clinic
from otdesk.services.clock import Clock, SystemClock
from otdesk.services.signin import SignInPausedError, _failed, _succeeded, _wait
from otdesk.storage import signin_record
from otdesk.storage.server import open_server
from otdesk.storage.server import record_place as server_record_place
from otdesk.storage.server import server_url as parse_server_url


def record_place(desk_dir: Path, address: str) -> Path:
    """The stand-in 'database path' whose neighbour holds this server's sign-in record on
    this desk (storage.server.record_place)."""
    return server_record_place(desk_dir, parse_server_url(address))


def sign_in_server(
    address: str,
    name: str,
    password: str,
    *,
    desk_dir: Path,
    clock: Clock | None = None,
    read_only: bool = False,
) -> Clinic:
    """The server clinic at `address`, opened for this desk (`desk_dir`: its own files) and
    signed in as `name`. Raises SignInError (wrong name or password, a disabled account,
    SignInPausedError) and closes the connection again, or the storage.server errors of a
    server that cannot be reached, refuses the login, is empty or not an otdesk clinic.
    `read_only`: for a command that only reads (its audit entries wait for a lock only
    briefly, see ServiceContext.audit_alone)."""
    clock = clock or SystemClock()
    typed = str(name).strip().casefold()
    place = record_place(desk_dir, address)
    record = signin_record.load(place)
    wait = _wait(record.of(typed), clock.now())
    if wait:
        raise SignInPausedError(typed, wait)
    db = open_server(address, desk_dir=Path(desk_dir))
    db.read_only = read_only
    clinic = Clinic(db, clock=clock)
    try:
        person = clinic.accounts.authenticate(typed, password)
    except SignInError:
        clinic.close()
        _failed(place, typed, clock.now())
        raise
    except BaseException:
        clinic.close()
        raise
    _succeeded(clinic, place, person, "signin")
    return clinic
