"""Triggers that make a table append-only: UPDATE and DELETE (and TRUNCATE) are refused.

One definition for every append-only table (stored events, their index, the access log)
on both backends.
"""

from __future__ import annotations

REFUSE_FUNCTION = "foresight_refuse_change"


def trigger_names(table: str, dialect: str) -> tuple[str, ...]:
    names = (f"{table}_refuse_update", f"{table}_refuse_delete")
    # TRUNCATE skips row triggers on PostgreSQL; SQLite has no TRUNCATE.
    return (*names, f"{table}_refuse_truncate") if dialect == "postgresql" else names


def sqlite_trigger_statements(table: str) -> list[str]:
    refuse_update, refuse_delete = trigger_names(table, "sqlite")
    return [
        f"CREATE TRIGGER IF NOT EXISTS {refuse_update} BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER IF NOT EXISTS {refuse_delete} BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


def postgres_refuse_function_body() -> str:
    """The body of the refusing function (`verify` checks it was not replaced by a no-op)."""
    return " BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END "


def postgres_trigger_statements(table: str, schema: str = "public") -> list[str]:
    """The refusing function (shared by every table) and the three triggers of `table`."""
    refuse_update, refuse_delete, refuse_truncate = trigger_names(table, "postgresql")
    function = f'"{schema}".{REFUSE_FUNCTION}()'
    statements = [
        f"CREATE OR REPLACE FUNCTION {function} RETURNS trigger LANGUAGE plpgsql "
        f"AS $${postgres_refuse_function_body()}$$",
    ]
    for name, operation, granularity in (
        (refuse_update, "UPDATE", "ROW"),
        (refuse_delete, "DELETE", "ROW"),
        (refuse_truncate, "TRUNCATE", "STATEMENT"),
    ):
        statements.append(
            f'CREATE OR REPLACE TRIGGER "{name}" BEFORE {operation} ON "{schema}"."{table}" '
            f"FOR EACH {granularity} EXECUTE FUNCTION {function}"
        )
    return statements


def trigger_statements(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return postgres_trigger_statements(table)
    return sqlite_trigger_statements(table)
