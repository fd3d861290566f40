"""The clinic's superbill settings and images: paper size, the out-of-network statement,
favourite codes for the encounter form, the practice logo and each provider's signature
image. They live in the database's key/value `meta` table under "superbill.*" keys, so the
window and the command line share them and backups carry them."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from otdesk.core.catalog import code_format_problem, normalize_code
from otdesk.export.model import (
    DEFAULT_OUT_OF_NETWORK_TEXT,
    PAPERS,
)
from otdesk.services import permissions
from otdesk.services import validate as v
from otdesk.services.context import ServiceContext
from otdesk.services.errors import ValidationError
from otdesk.services.favourites import DEFAULT_FAVOURITES, SETTINGS_KEY, codes_in, stored_settings
from otdesk.services.setup import ProviderService
from otdesk.storage import schema as s

MAX_FAVOURITES = 30

MAX_IMAGE_BYTES = 2_000_000

MAX_STATEMENT = 600  # characters of the out-of-network statement

LOGO_KEY = "superbill.logo"

SIGNATURE_KEY = "superbill.signature.{}"

# A logo or signature: the image's bytes or the file holding it.
Image = bytes | str | os.PathLike[str]


class Keep(Enum):
    KEEP = "keep"


KEEP = Keep.KEEP  # save_all(logo=KEEP): leave the stored logo as it is


@dataclass(frozen=True, slots=True)
class SuperbillSettings:
    paper: str = "letter"
    out_of_network: bool = False
    out_of_network_text: str = DEFAULT_OUT_OF_NETWORK_TEXT
    favourite_codes: tuple[str, ...] = DEFAULT_FAVOURITES
    has_logo: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "paper": self.paper,
            "out_of_network": self.out_of_network,
            "out_of_network_text": self.out_of_network_text,
            "favourite_codes": list(self.favourite_codes),
        }


class SuperbillSettingsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.providers = ProviderService(ctx)

    def settings(self) -> SuperbillSettings:
        with self.ctx.db.read() as connection:
            values = stored_settings(connection)
            has_logo = read_meta(connection, LOGO_KEY) is not None
        return SuperbillSettings(
            paper=values.get("paper", "letter"),
            out_of_network=bool(values.get("out_of_network", False)),
            out_of_network_text=values.get("out_of_network_text", DEFAULT_OUT_OF_NETWORK_TEXT),
            favourite_codes=codes_in(values),
            has_logo=has_logo,
        )

    def save_settings(self, **changes: Any) -> SuperbillSettings:
        """Change paper ("letter" or "a4"), out_of_network (print the statement or not),
        out_of_network_text (its wording; line breaks are kept), favourite_codes (the
        encounter form's codes, in order)."""
        before, values = self._settings_values(changes)
        with self.ctx.db.write() as connection:
            self._write_settings(connection, before, values)
        return self.settings()

    def save_all(
        self,
        changes: Mapping[str, Any] | None = None,
        *,
        logo: Image | None | Keep = KEEP,
        signatures: Mapping[int, Image | None] | None = None,
    ) -> SuperbillSettings:
        """The settings (as save_settings), the logo and providers' signature images changed
        together in one transaction, all or nothing (the window's Save). `logo` KEEP leaves
        the logo as it is, None removes it; `signatures` maps provider ids to an image or
        None (removed). Every value and image is checked before anything is written."""
        prepared = self._settings_values(changes) if changes else None
        new_logo = None if logo is None or logo is KEEP else read_image(logo, "logo")
        new_signatures: dict[int, bytes | None] = {}
        for provider_id, image in (signatures or {}).items():
            self.providers.get(provider_id)
            new_signatures[provider_id] = (
                read_image(image, "signature") if image is not None else None
            )
        with self.ctx.db.write() as connection:
            if prepared is not None:
                self._write_settings(connection, *prepared)
            if logo is not KEEP:
                write_image(self.ctx, connection, LOGO_KEY, new_logo, "logo", "practice", 1)
            for provider_id, data in new_signatures.items():
                key = SIGNATURE_KEY.format(provider_id)
                write_image(self.ctx, connection, key, data, "signature", "provider", provider_id)
        return self.settings()

    def check_image(self, image: Image, what: str = "logo") -> bytes:
        """The image's bytes if it can be a logo or signature (a PNG or JPEG file of at most
        MAX_IMAGE_BYTES); ValidationError saying why not otherwise. Nothing is stored."""
        return read_image(image, what)

    def _settings_values(self, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the settings before, the settings after `changes`), checked."""
        known = {"paper", "out_of_network", "out_of_network_text", "favourite_codes"}
        unknown = set(changes) - known
        if unknown:
            raise ValidationError(
                sorted(unknown)[0], f"Unknown superbill setting(s): {sorted(unknown)}."
            )
        before = self.settings().to_json()
        values = dict(before)
        if "paper" in changes:
            values["paper"] = v.choice(str(changes["paper"]).lower(), "paper", PAPERS)
        if "out_of_network" in changes:
            if not isinstance(changes["out_of_network"], bool):
                raise ValidationError("out_of_network", "Out of network must be yes or no.")
            values["out_of_network"] = changes["out_of_network"]
        if "out_of_network_text" in changes:
            values["out_of_network_text"] = statement_text(changes["out_of_network_text"])
        if "favourite_codes" in changes:
            values["favourite_codes"] = self._clean_favourites(changes["favourite_codes"])
        return before, values

    def _write_settings(
        self, connection: Connection, before: dict[str, Any], values: dict[str, Any]
    ) -> None:
        write_meta(connection, SETTINGS_KEY, json.dumps(values, sort_keys=True))
        self.ctx.audit(connection, "superbill.settings", "practice", 1, before=before, after=values)

    def _clean_favourites(self, codes: Any) -> list[str]:
        if isinstance(codes, str):
            codes = codes.replace(";", ",").replace(" ", ",").split(",")
        cleaned: list[str] = []
        for raw in codes:
            if not str(raw).strip():
                continue
            problem = code_format_problem(str(raw))
            if problem:
                raise ValidationError("favourite_codes", f"Favourite codes: {problem}")
            code = normalize_code(str(raw))
            if code not in cleaned:
                cleaned.append(code)
        if len(cleaned) > MAX_FAVOURITES:
            raise ValidationError(
                "favourite_codes", f"Favourite codes: at most {MAX_FAVOURITES} fit on the form."
            )
        return cleaned

    def set_logo(self, image: Image | None) -> None:
        """The practice logo printed in the superbill header (PNG or JPEG); None removes it."""
        self._store_image(LOGO_KEY, image, "logo", "practice", 1)

    def logo(self) -> bytes | None:
        with self.ctx.db.read() as connection:
            return stored_image(connection, LOGO_KEY)

    def set_signature(self, provider_id: int, image: Image | None) -> None:
        """A provider's signature image, printed on finalized superbills instead of a blank
        signature line; None removes it."""
        self.providers.get(provider_id)
        self._store_image(
            SIGNATURE_KEY.format(provider_id), image, "signature", "provider", provider_id
        )

    def signature(self, provider_id: int) -> bytes | None:
        with self.ctx.db.read() as connection:
            return stored_image(connection, SIGNATURE_KEY.format(provider_id))

    def _store_image(
        self,
        key: str,
        image: Image | None,
        what: str,
        entity: str,
        entity_id: int,
    ) -> None:
        data = read_image(image, what) if image is not None else None
        with self.ctx.db.write() as connection:
            write_image(self.ctx, connection, key, data, what, entity, entity_id)


def statement_text(value: Any) -> str:
    """The out-of-network wording: its line breaks kept (a paragraph a line), spaces within
    a line tidied, blank lines dropped; the standard wording when it is left empty."""
    if value is not None and not isinstance(value, str):
        raise ValidationError("out_of_network_text", "The out-of-network statement must be text.")
    lines = (" ".join(line.split()) for line in (value or "").splitlines())
    cleaned = "\n".join(line for line in lines if line)
    if len(cleaned) > MAX_STATEMENT:
        raise ValidationError(
            "out_of_network_text",
            f"The out-of-network statement is too long ({len(cleaned)} characters; at most "
            f"{MAX_STATEMENT}).",
        )
    return cleaned or DEFAULT_OUT_OF_NETWORK_TEXT


def read_meta(connection: Connection, key: str) -> str | None:
    return connection.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar()


def write_meta(connection: Connection, key: str, value: str) -> None:
    connection.execute(delete(s.meta).where(s.meta.c.key == key))
    connection.execute(insert(s.meta).values(key=key, value=value))


def write_image(
    ctx: ServiceContext,
    connection: Connection,
    key: str,
    data: bytes | None,
    what: str,
    entity: str,
    entity_id: int,
) -> None:
    if data is None:
        connection.execute(delete(s.meta).where(s.meta.c.key == key))
    else:
        write_meta(connection, key, base64.b64encode(data).decode("ascii"))
    ctx.audit(
        connection,
        f"superbill.{what}",
        entity,
        entity_id,
        after={"bytes": len(data)} if data else None,
    )


def stored_image(connection: Connection, key: str) -> bytes | None:
    stored = read_meta(connection, key)
    return base64.b64decode(stored) if stored else None


def read_image(image: Image, what: str) -> bytes:
    if isinstance(image, bytes):
        data = image
        name = f"The {what}"
    else:
        path = Path(image)
        name = str(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise ValidationError(what, f"{name} cannot be read ({error.strerror}).") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(
            what, f"{name} is too large ({len(data):,} bytes; at most {MAX_IMAGE_BYTES:,})."
        )
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise ValidationError(what, f"{name} is not a PNG or JPEG image.")
    return data


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(SuperbillSettingsService)
