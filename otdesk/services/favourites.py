"""The clinic's favourite procedure codes: the code picker's buttons and the rows of the paper
encounter form. They are kept with the superbill settings, which SuperbillService reads and
changes; reading them here spares the window's start the superbill and export modules, and
the first screen (otdesk.services.first_screen) reads them before SQLAlchemy has loaded."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from otdesk.services.context import ServiceContext

DEFAULT_FAVOURITES = (
    "97165",
    "97166",
    "97167",
    "97168",
    "97110",
    "97112",
    "97140",
    "97530",
    "97535",
    "97760",
    "97763",
    "97010",
    "97018",
)
# The meta row holding the superbill settings (JSON), favourite codes among them.
SETTINGS_KEY = "superbill.settings"


def parse_settings(stored: str | None) -> dict[str, Any]:
    """The superbill settings from their stored text ({} before any is saved: the defaults
    apply)."""
    return json.loads(stored) if stored else {}


def codes_in(settings: dict[str, Any]) -> tuple[str, ...]:
    """The favourite codes of the superbill settings, in the clinic's order."""
    return tuple(settings.get("favourite_codes", DEFAULT_FAVOURITES))


def stored_settings(connection: Connection) -> dict[str, Any]:
    """The superbill settings as stored ({} before any is saved: the defaults apply)."""
    from sqlalchemy import select

    from otdesk.storage import schema as s

    stored = connection.execute(select(s.meta.c.value).where(s.meta.c.key == SETTINGS_KEY)).scalar()
    return parse_settings(stored)


def favourite_codes(ctx: ServiceContext) -> tuple[str, ...]:
    """The favourite codes in the clinic's order."""
    with ctx.db.read() as connection:
        return codes_in(stored_settings(connection))
