"""Alembic environment: migrations run on the connection `api.migrations.runner.upgrade_schema` passes in."""

from __future__ import annotations

from alembic import context

from api.access_log import metadata as access_log_metadata
from api.users import metadata as users_metadata
from projections.tables import metadata as read_model_metadata

# For `alembic revision --autogenerate`: every table Foresight manages (the event store's
# own tables belong to the eventsourcing library and are not migrated here).
target_metadata = [read_model_metadata, users_metadata, access_log_metadata]

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=lambda name, type_, parent: (
        type_ != "table" or name.startswith(("rm_", "foresight_users", "foresight_access_log"))
    ),
)
with context.begin_transaction():
    context.run_migrations()
