"""Superbills: what one shows (gathered from storage through the other services), whether it
is complete enough to hand out, issuing it (the PDF's SHA-256 recorded with the version,
when and who, in the same transaction as the audit entry), batches of a date or date range,
the paper encounter form, and the clinic's superbill settings.

Previewing never records anything; a document is "issued" when it leaves the app: saved to
a file or sent to a printer. Void visits and replaced versions are never issued. A visit
with completeness problems is issued only with a reason ("Issue anyway"), which goes into
the audit log with the problems.

Settings (paper size, the out-of-network statement, favourite codes for the encounter form,
the practice logo, each provider's signature image) live in the database's key/value `meta`
table under "superbill.*" keys, so the window and the command line share them and backups
carry them.
"""

from __future__ import annotations

from otdesk.services import permissions
from otdesk.services.encounter_forms import EncounterForms, encounter_form_file_name
from otdesk.services.favourites import DEFAULT_FAVOURITES
from otdesk.services.superbill_batches import (
    BatchPlan,
    BatchResult,
    Progress,
    RenderedBatch,
    SkippedVisit,
    SuperbillBatches,
    batch_file_name,
)
from otdesk.services.superbill_issue import (
    Completeness,
    IncompleteSuperbillError,
    IssuedSuperbill,
    Prepared,
    SuperbillRefusedError,
    superbill_file_name,
    with_open_items,
)
from otdesk.services.superbill_settings import (
    KEEP,
    MAX_FAVOURITES,
    MAX_IMAGE_BYTES,
    MAX_STATEMENT,
    Image,
    SuperbillSettings,
)


class SuperbillService(SuperbillBatches, EncounterForms):
    """Every superbill use case over one clinic: the settings and images
    (superbill_settings), one visit's superbill (superbill_issue), batches
    (superbill_batches) and the encounter form (encounter_forms)."""


__all__ = [
    "DEFAULT_FAVOURITES",
    "MAX_FAVOURITES",
    "MAX_IMAGE_BYTES",
    "MAX_STATEMENT",
    "Image",
    "Progress",
    "KEEP",
    "BatchPlan",
    "BatchResult",
    "Completeness",
    "IncompleteSuperbillError",
    "IssuedSuperbill",
    "Prepared",
    "RenderedBatch",
    "SkippedVisit",
    "SuperbillRefusedError",
    "SuperbillService",
    "SuperbillSettings",
    "batch_file_name",
    "encounter_form_file_name",
    "superbill_file_name",
    "with_open_items",
]


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(SuperbillService)


# the roles of core.accounts, checked on every call (otdesk.services.permissions)
permissions.apply(SuperbillService)
