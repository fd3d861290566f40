"""The clinic's favourite procedure codes: the code picker's buttons and the rows of the paper
encounter form. They are kept with the superbill settings, which SuperbillService reads and
changes; reading them here spares the window's start the superbill and export modules."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from otdesk.services.context import ServiceContext
from otdesk.storage import schema as s

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


def stored_settings(connection: Connection) -> dict[str, Any]:
    """The superbill settings as stored ({} before any is saved: the defaults apply)."""
    stored = connection.execute(select(s.meta.c.value).where(s.meta.c.key == SETTINGS_KEY)).scalar()
    return json.loads(stored) if stored else {}


def favourite_codes(ctx: ServiceContext) -> tuple[str, ...]:
    """The favourite codes in the clinic's order."""
    with ctx.db.read() as connection:
        values = stored_settings(connection)
    return tuple(values.get("favourite_codes", DEFAULT_FAVOURITES))
