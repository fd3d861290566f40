"""A desk's connection to a clinic server (issue 16): the address the window remembers,
the database password kept in the operating system's keyring, and the test a person runs
before connecting.

The address (host, port, database, user, TLS mode) is not a secret and this computer's
settings keep it; the database password never goes there: the `keyring` package keeps it
in Windows Credential Manager, the macOS Keychain or the Secret Service, under the address.
An address given as a URL with its password in it (--database, OTDESK_DATABASE_URL) is used
as it is and nothing is stored; libpq's own ~/.pgpass and PGPASSWORD work as well.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otdesk.services.clinic import Clinic
from otdesk.services.clock import Clock
from otdesk.services.errors import (
    ServerError,
    ServerUnavailableError,
    ServiceError,
    ValidationError,
)

# libpq's sslmode values a person chooses from (README, "A clinic server": TLS).
TLS_MODES = ("disable", "prefer", "require", "verify-full")
DEFAULT_TLS = "prefer"
DEFAULT_PORT = 5432
KEYRING_SERVICE = "otdesk clinic server"


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where a clinic server is and who this desk logs in as; never the password."""

    host: str
    database: str
    user: str
    port: int = DEFAULT_PORT
    tls: str = DEFAULT_TLS

    def checked(self) -> ServerAddress:
        """The address with its parts trimmed; ValidationError names the part at fault."""
        host, database, user = self.host.strip(), self.database.strip(), self.user.strip()
        if not host:
            raise ValidationError("host", "Type the server's host name or address.")
        if any(c in host for c in "/@ ?#"):
            raise ValidationError("host", f"The host {host!r} is not a host name or address.")
        try:
            port = int(self.port)
        except (TypeError, ValueError):
            raise ValidationError("port", "The port is a number, usually 5432.") from None
        if not 1 <= port <= 65535:
            raise ValidationError("port", f"The port {port} is not 1 to 65535 (usually 5432).")
        if not database:
            raise ValidationError("database", "Type the name of the clinic's database.")
        if not user:
            raise ValidationError("user", "Type the user this desk connects as.")
        if self.tls not in TLS_MODES:
            raise ValidationError(
                "tls", f"The TLS mode must be one of {', '.join(TLS_MODES)} (not {self.tls!r})."
            )
        return ServerAddress(host, database, user, port, self.tls)

    def url(self, password: str | None = None) -> str:
        """postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE?sslmode=MODE."""
        who = urllib.parse.quote(self.user, safe="")
        if password:
            who += ":" + urllib.parse.quote(password, safe="")
        host = f"[{self.host}]" if ":" in self.host else self.host
        database = urllib.parse.quote(self.database, safe="")
        return f"postgresql://{who}@{host}:{self.port}/{database}?sslmode={self.tls}"

    @property
    def text(self) -> str:
        """The address as remembered and shown: the URL without a password."""
        return self.url()

    @property
    def place(self) -> str:
        """host:port/database, for sentences."""
        return f"{self.host}:{self.port}/{self.database}"

    @property
    def keyring_name(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    @classmethod
    def parse(cls, text: str) -> ServerAddress:
        """From a postgresql:// URL (a password in it is left out); ServerError says what
        is wrong with it."""
        from otdesk.storage.server import server_url

        url = server_url(text)
        tls = str(url.query.get("sslmode") or DEFAULT_TLS)
        return cls(
            host=str(url.host),
            database=str(url.database),
            user=str(url.username or ""),
            port=int(url.port or DEFAULT_PORT),
            tls=tls if tls in TLS_MODES else DEFAULT_TLS,
        )


def url_has_password(text: str) -> bool:
    from otdesk.storage.server import server_url

    return bool(server_url(text).password)


# --- the keyring ----------------------------------------------------------------------------


def _keyring():  # type: ignore[no-untyped-def]
    import keyring

    return keyring


def _keyring_refused(error: Exception) -> ServiceError:
    return ServiceError(
        "This computer's keyring (Credential Manager, Keychain or the Secret Service) did not "
        f"keep the password ({type(error).__name__}); the password was not stored. Give the "
        'password in ~/.pgpass instead (README, "A clinic server").'
    )


def store_password(address: ServerAddress, password: str) -> None:
    """Keep the database password in the operating system's keyring, under the address."""
    try:
        _keyring().set_password(KEYRING_SERVICE, address.keyring_name, password)
    except Exception as error:  # any backend's own error: a sentence, nothing stored
        raise _keyring_refused(error) from None


def stored_password(address: ServerAddress) -> str | None:
    """The keyring's password for the address, or None (none kept, or no keyring here:
    then libpq's ~/.pgpass or PGPASSWORD may still give one)."""
    try:
        return _keyring().get_password(KEYRING_SERVICE, address.keyring_name)
    except Exception:  # no usable keyring: the connection tries without a password
        return None


def forget_password(address: ServerAddress) -> None:
    # nothing kept, or no keyring: nothing to forget
    with contextlib.suppress(Exception):
        _keyring().delete_password(KEYRING_SERVICE, address.keyring_name)


def connect_url(text: str) -> str:
    """The address to connect with: a URL that names its password as it is, else the
    URL with the keyring's password for it (when one is kept)."""
    if url_has_password(text):
        return text
    password = stored_password(ServerAddress.parse(text))
    if not password:
        return text
    from otdesk.storage.server import server_url

    url = server_url(text).set(password=password)
    return url.render_as_string(hide_password=False)


# --- testing and using it -------------------------------------------------------------------


def check_connection(address: ServerAddress, password: str, *, desk_dir: Path) -> str:
    """Connect once and say what was found there ("the clinic Sunrise OT"); raises the
    storage errors' sentences: a wrong password (ServerRefusedError), a host that does not
    answer (ServerUnavailableError), an empty database or another program's."""
    from otdesk.storage.server import open_server

    address = address.checked()
    try:
        db = open_server(address.url(password or None), desk_dir=desk_dir)
    except ServerUnavailableError:
        raise ServerUnavailableError(
            f"No clinic server answered at {address.host}:{address.port}: check the host name "
            "and the port, that the server is running, and that this computer may reach it "
            "(a firewall, the network)."
        ) from None
    with Clinic(db) as clinic:
        practice = clinic.practice.get()
    name = practice.name if practice is not None else "a clinic with no practice set up yet"
    return f"Connected to {address.place}: {name}."


def sign_in(
    text: str, name: str, password: str, *, desk_dir: Path, clock: Clock | None = None
) -> Clinic:
    """Sign in to the server clinic at the address `text` (its database password from the
    URL, the keyring, or libpq's own ~/.pgpass / PGPASSWORD)."""
    from otdesk.services.server_signin import sign_in_server

    try:
        return sign_in_server(connect_url(text), name, password, desk_dir=desk_dir, clock=clock)
    except ServerUnavailableError:
        address = ServerAddress.parse(text)
        raise ServerUnavailableError(
            f"The clinic server {address.place} did not answer; check the network and that "
            "the server is running, then sign in again."
        ) from None


def sign_in_wait_for(text: str, desk_dir: Path) -> Path:
    """Where this desk keeps the failed sign-in tries of that server (services.
    session_events.sign_in_wait reads it)."""
    from otdesk.services.server_signin import record_place

    return record_place(desk_dir, text)


def desk_folder_of(text: str, desk_dir: Path) -> Path:
    """The desk's own folder for that server: the window's settings for the clinic (the
    day shown, the practice's name for the sign-in screen) are kept there."""
    return sign_in_wait_for(text, desk_dir).parent


# --- a signed-in desk on a server -----------------------------------------------------------


def on_server(clinic: Clinic) -> bool:
    return hasattr(clinic.db, "listen")


def listener_of(clinic: Clinic) -> Any:
    """A listener for the other desks' changes (storage.server.ChangeListener: wait(timeout)
    -> [Change(entity, entity_id)], ServerUnavailableError while the server is away; close()
    it), or None for a clinic in a local file."""
    listen = getattr(clinic.db, "listen", None)
    return listen() if listen is not None else None


def address_of(clinic: Clinic) -> str:
    """host:port/database of a server clinic, "" for a local one."""
    return str(getattr(clinic.db, "server", ""))


def address_text_of(clinic: Clinic) -> str:
    """The postgresql:// address of a server clinic without its password (for a command
    to copy into a message), "" for a local one."""
    url = getattr(clinic.db, "url", None)
    if url is None:
        return ""
    return ServerAddress.parse(url.render_as_string(hide_password=False)).text


__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_TLS",
    "KEYRING_SERVICE",
    "TLS_MODES",
    "ServerAddress",
    "ServerError",
    "address_of",
    "address_text_of",
    "check_connection",
    "connect_url",
    "desk_folder_of",
    "forget_password",
    "listener_of",
    "on_server",
    "sign_in",
    "sign_in_wait_for",
    "store_password",
    "stored_password",
]
