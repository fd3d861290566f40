"""The one-file backup of an encrypted clinic: its key slots of the day and the SQLCipher
file, together, so a backup restores from one file with any password valid when it was
made, or the recovery key.

Layout (integers big-endian):

    8 bytes   MAGIC, b"OTDESKBK"
    2 bytes   format version (1)
    4 bytes   length N of the header
    N bytes   header: UTF-8 JSON {"made_at": ISO time, "revision": schema revision,
              "slots": the key file's content (otdesk.storage.keys), "payload_size": bytes,
              "payload_sha256": hex}
    the rest  the SQLCipher database file, byte for byte (encrypted; never decrypted here)

The header holds no patient data: the slots (wrapped keys, salts, Argon2 parameters and
the account names that have a slot), the schema revision and the time. The payload's
SHA-256 tells a truncated or altered file before SQLCipher is asked to read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from otdesk.storage.files import fsync_path
from otdesk.storage.keys import KeySlots

MAGIC = b"OTDESKBK"
VERSION = 1
_PREFIX = struct.Struct(">8sHI")
_MAX_HEADER = 1 << 20  # a header is a few KB; anything larger is not a container
_CHUNK = 1 << 20


class ContainerError(ValueError):
    """The file starts like a container but its header or payload is not whole; str() says
    what, in a few words."""


@dataclass(frozen=True, slots=True)
class ContainerHeader:
    made_at: datetime
    revision: str
    slots: KeySlots
    payload_offset: int
    payload_size: int
    payload_sha256: str


def is_container(path: Path) -> bool:
    """True when the file starts with the container's magic bytes."""
    with Path(path).open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def write_container(
    target: Path, payload: Path, *, slots: KeySlots, revision: str, made_at: datetime
) -> str:
    """Write the container `target` (which exists, empty and private) holding the SQLCipher
    file `payload` and its `slots`, and fsync it. Returns the payload's SHA-256."""
    digest = _sha256(payload)
    size = payload.stat().st_size
    header = json.dumps(
        {
            "made_at": made_at.isoformat(),
            "revision": revision,
            "slots": slots.to_json(),
            "payload_size": size,
            "payload_sha256": digest,
        },
        separators=(",", ":"),
    ).encode("utf-8")
    with target.open("r+b") as out, payload.open("rb") as source:
        out.truncate(0)
        out.write(_PREFIX.pack(MAGIC, VERSION, len(header)))
        out.write(header)
        shutil.copyfileobj(source, out, _CHUNK)
    fsync_path(target)
    return digest


def read_header(path: Path) -> ContainerHeader:
    """The header of the container at `path`. ContainerError when it is not whole."""
    path = Path(path)
    with path.open("rb") as handle:
        prefix = handle.read(_PREFIX.size)
        if len(prefix) < _PREFIX.size:
            raise ContainerError("it ends inside its header")
        magic, version, length = _PREFIX.unpack(prefix)
        if magic != MAGIC:
            raise ContainerError("it is not an otdesk backup")
        if version != VERSION:
            raise ContainerError(f"its format version {version} is newer than this otdesk")
        if length > _MAX_HEADER:
            raise ContainerError("its header is damaged")
        raw = handle.read(length)
    if len(raw) < length:
        raise ContainerError("it ends inside its header")
    try:
        data = json.loads(raw.decode("utf-8"))
        header = ContainerHeader(
            made_at=datetime.fromisoformat(str(data["made_at"])),
            revision=str(data["revision"]),
            slots=KeySlots.from_json(data["slots"]),
            payload_offset=_PREFIX.size + length,
            payload_size=int(data["payload_size"]),
            payload_sha256=str(data["payload_sha256"]),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise ContainerError(f"its header is damaged ({error})") from None
    actual = path.stat().st_size - header.payload_offset
    if actual != header.payload_size:
        raise ContainerError(
            f"it holds {actual} bytes of database where its header says {header.payload_size}"
            " (it was cut short or added to)"
        )
    return header


def payload_intact(path: Path, header: ContainerHeader) -> bool:
    """True when the database bytes are the ones sealed (their SHA-256)."""
    return _sha256(path, offset=header.payload_offset) == header.payload_sha256


def extract_payload(path: Path, header: ContainerHeader, target: Path) -> None:
    """Copy the SQLCipher file out of the container into `target` (which exists, empty
    and private), checking its SHA-256 on the way. ContainerError when it differs."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as source, target.open("r+b") as out:
        out.truncate(0)
        source.seek(header.payload_offset)
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != header.payload_sha256:
        raise ContainerError("its database bytes were changed or damaged after it was made")


def _sha256(path: Path, offset: int = 0) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        handle.seek(offset)
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
