"""Alembic environment: migrations run on the connection that `upgrade_schema` passes in."""

from __future__ import annotations

from alembic import context

from api.access_log import metadata as access_log_metadata
from api.users import metadata as users_metadata
from projections.tables import metadata as read_model_metadata

# For `alembic revision --autogenerate`: every table Foresight manages (the event store's
# own tables belong to the eventsourcing library and are not migrated here).
target_metadata = [read_model_metadata, users_metadata, access_log_metadata]


def _foresight_table(name: str | None, type_: str, parent_names: object) -> bool:
    """Autogenerate looks at Foresight's tables only (and at everything that is not a table)."""
    return type_ != "table" or (
        name is not None and name.startswith(("rm_", "foresight_users", "foresight_access_log"))
    )


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=_foresight_table,
)
with context.begin_transaction():
    context.run_migrations()
