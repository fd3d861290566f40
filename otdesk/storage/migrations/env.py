"""Alembic's environment: always given a connection by otdesk.storage.migrations.upgrade."""

from __future__ import annotations

from alembic import context

from otdesk.storage.dialect import WRITE_OPTION
from otdesk.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "otdesk migrations run from code: use otdesk.storage.migrations.upgrade(connection)"
    )

context.configure(
    connection=connection.execution_options(**{WRITE_OPTION: True}),
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
