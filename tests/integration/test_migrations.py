"""Alembic migrations create and upgrade Foresight's tables on both backends."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from api.access_log import metadata as access_log_metadata
from api.bootstrap import bootstrap, build_engine
from api.migrations.runner import alembic_config, current_revision, head_revision, upgrade_schema
from api.settings import Settings
from api.users import add_user
from api.users import metadata as users_metadata
from projections.encrypted_columns import CIPHERTEXT_MARK
from projections.stored_log import StoredLog
from projections.tables import metadata as read_model_metadata
from tests.property.test_replay_properties import dump

MANAGED = (read_model_metadata, users_metadata, access_log_metadata)


def test_a_new_store_is_migrated_to_the_head_and_matches_the_table_definitions(db_url: str) -> None:
    """After opening, the store is at the newest revision and autogenerate finds nothing to
    change."""
    engine = build_engine(Settings(db_url=db_url))
    assert head_revision() is not None
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = [
            difference
            for metadata in MANAGED
            for difference in compare_metadata(context, metadata)
            if _concerns(difference, metadata)
        ]
    assert differences == []
    engine.dispose()


def _concerns(difference: Any, metadata: Any) -> bool:
    """Whether a difference is about a table of `metadata` (each sees the others' as extra)."""
    if isinstance(difference, list):
        return any(_concerns(item, metadata) for item in difference)
    kind, subject = difference[0], difference[1]
    if kind == "remove_table":
        return subject.name in metadata.tables
    if kind == "remove_index":
        return subject.table.name in metadata.tables
    return True


def test_downgrading_to_nothing_and_upgrading_again_gives_the_same_tables(db_url: str) -> None:
    engine = build_engine(Settings(db_url=db_url))
    before = sorted(inspect(engine).get_table_names())
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert not {"rm_events", "foresight_users", "foresight_access_log"} & set(
        inspect(engine).get_table_names()
    )
    upgrade_schema(engine)
    assert sorted(inspect(engine).get_table_names()) == before
    engine.dispose()


def test_a_store_made_before_migrations_existed_is_adopted_with_its_rows(db_url: str) -> None:
    """Tables created by create_all (the first releases) are kept, rows and all, and stamped."""
    engine = create_engine(db_url)
    for metadata in MANAGED:
        metadata.create_all(engine)
    add_user(engine, "sw-old", "practitioner", "social_care")
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM foresight_users")).scalars().all() == [
            "sw-old"
        ]
    engine.dispose()


def _open_store(db_url: str, results: Any) -> None:
    try:
        build_engine(Settings(db_url=db_url)).dispose()
        results.put("ok")
    except Exception as error:  # noqa: BLE001 - reported to the test
        results.put(repr(error))


def test_several_processes_opening_a_new_store_at_once_all_succeed(db_url: str) -> None:
    """Workers starting together race to migrate: each one ends with the store at the head."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_open_store, args=(db_url, results)) for _ in range(4)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert outcomes == ["ok"] * 4
    assert current_revision(create_engine(db_url)) == head_revision()


def _projected_store(db_url: str) -> tuple[Any, dict[str, list[tuple[Any, ...]]]]:
    """A store with two interleaved cases (shares, amendments) projected: its read-model
    engine and every read-model row."""
    from tests.integration.test_projection_resume import fill_interleaved

    settings = Settings(db_url=db_url)
    fill_interleaved(settings, cases=2, events_per_case=60)
    runner = bootstrap(settings).runner
    runner.catch_up()
    return runner.views.engine, dump(runner.views.engine)


def _projected_store_at_0010(db_url: str) -> tuple[Any, dict[str, list[tuple[Any, ...]]]]:
    """`_projected_store`, taken down to revision 0010 with the rows it kept (each event
    copied in `rm_events.content`, as 0010 kept them)."""
    engine, kept = _projected_store(db_url)
    foresight = bootstrap(Settings(db_url=db_url))
    _back_at_0010(engine, foresight.runner.views.log, lambda event: event.model_dump_json())
    foresight.service.close()
    return engine, kept


def test_the_read_models_keep_their_rows_when_rekeyed_by_position_and_back(db_url: str) -> None:
    """Revision 0005 copies knowledge, entry states and their subjects into tables keyed by
    log position; going down to 0004 and up again gives back the same rows."""
    engine, kept = _projected_store_at_0010(db_url)

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
    columns = {column["name"] for column in inspect(engine).get_columns("rm_knowledge")}
    assert "event_id" in columns
    assert "position" not in columns
    with engine.connect() as connection:
        # Revision 0006 went down first: the record's and the recording agency's rows are back.
        assert connection.execute(text("SELECT count(*) FROM rm_knowledge")).scalar() == (
            2 * len(kept["rm_events"]) + len(kept["rm_knowledge"])
        )

    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    assert dump(engine) == kept


def test_going_below_0006_puts_back_the_knowledge_and_agency_states_it_leaves_out(
    db_url: str,
) -> None:
    """Revision 0006 keeps no knowledge rows the raw log holds and stores an agency's entry
    states once when they are the whole record's; down to 0005 they are rows of their own
    again (as 0005's projection wrote them), and up again the rows are the lean ones."""
    engine, kept = _projected_store_at_0010(db_url)

    def count(sql: str) -> int:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()

    stood_for = count("SELECT count(*) FROM rm_entry_states WHERE also_for IS NOT NULL")
    subjects_stood_for = count(
        "SELECT count(*) FROM rm_state_subjects s JOIN rm_entry_states e ON e.position = "
        "s.position AND e.viewer = s.viewer AND e.known_from = s.known_from "
        "WHERE e.also_for IS NOT NULL"
    )
    assert stood_for > 0, "the case needs shares and lean states"
    assert kept["rm_knowledge"], "the case needs shares and lean states"

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005")
    assert count("SELECT count(*) FROM rm_knowledge") == (
        2 * len(kept["rm_events"]) + len(kept["rm_knowledge"])
    )
    assert count(
        "SELECT count(*) FROM rm_knowledge k JOIN rm_events e ON e.position = "
        "k.position WHERE k.viewer IN ('*', e.agency) AND k.known_from = e.known_at"
    ) == 2 * len(kept["rm_events"])
    assert count("SELECT count(*) FROM rm_entry_states") == len(kept["rm_entry_states"]) + stood_for
    assert count("SELECT count(*) FROM rm_state_subjects") == (
        len(kept["rm_state_subjects"]) + subjects_stood_for
    )

    upgrade_schema(engine)
    assert dump(engine) == kept


REVISION_0010_EVENT_COLUMNS = (
    "position, event_id, case_id, version, type, agency, target_event_id, "
    "occurred_sort, recorded_at, known_at"
)


def _back_at_0010(engine: Any, log: StoredLog, content_of: Callable[[Any], str]) -> None:
    """Take the store down to revision 0010 and put back its read-model rows as 0010 kept
    them: the same rows, each event with its copy in `rm_events.content`."""
    names = [
        table.name for table in read_model_metadata.sorted_tables if table.name != "rm_rebuilds"
    ]
    with engine.begin() as connection:
        for name in names:
            connection.execute(text(f"CREATE TABLE kept_{name} AS SELECT * FROM {name}"))
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0010")
    with engine.begin() as connection:
        for name in names:
            if name == "rm_events":
                connection.execute(
                    text(
                        f"INSERT INTO rm_events ({REVISION_0010_EVENT_COLUMNS}, content) "
                        f"SELECT {REVISION_0010_EVENT_COLUMNS}, '' FROM kept_rm_events"
                    )
                )
            else:
                connection.execute(text(f"INSERT INTO {name} SELECT * FROM kept_{name}"))
            connection.execute(text(f"DROP TABLE kept_{name}"))
        positions = connection.execute(text("SELECT position FROM rm_events")).scalars().all()
        connection.execute(
            text("UPDATE rm_events SET content = :content WHERE position = :position"),
            [
                {"position": event.position, "content": content_of(event)}
                for event in log.events_at(list(positions))
            ],
        )


def test_revision_0011_fills_the_audit_columns_from_the_copies_it_drops(db_url: str) -> None:
    """A store at revision 0010 (each event copied as JSON in `rm_events.content`) upgraded:
    the copies go, and the audit's columns hold what the projection writes (every read-model
    row equal to before)."""
    engine, kept = _projected_store_at_0010(db_url)
    assert "content" in {column["name"] for column in inspect(engine).get_columns("rm_events")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rm_events")).scalar() == len(
            kept["rm_events"]
        )

    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    assert "content" not in {column["name"] for column in inspect(engine).get_columns("rm_events")}
    assert dump(engine) == kept


def test_revision_0011_empties_encrypted_read_models_and_the_log_rebuilds_them(
    db_url: str,
) -> None:
    """Ciphertext in `content` cannot be read in SQL: the upgrade empties the read models
    (tracking too), and catching up builds the same rows again from the log. Going down to
    0010 empties them as well."""
    engine, kept = _projected_store(db_url)
    foresight = bootstrap(Settings(db_url=db_url))
    _back_at_0010(engine, foresight.runner.views.log, lambda event: CIPHERTEXT_MARK + "c2VjcmV0")

    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    assert all(rows == [] for rows in dump(engine).values())
    reopened = bootstrap(Settings(db_url=db_url))
    reopened.runner.catch_up()
    assert dump(engine) == kept

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0010")
    assert set(row_counts(engine).values()) == {0}
    assert "content" in {column["name"] for column in inspect(engine).get_columns("rm_events")}
    upgrade_schema(engine)
    reopened.runner.projection.forget_cached_cases()
    reopened.runner.catch_up()
    assert dump(engine) == kept
    foresight.service.close()
    reopened.service.close()


def row_counts(engine: Any) -> dict[str, int]:
    """How many rows each read model holds, whatever its columns."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(text(f"SELECT count(*) FROM {table.name}")).scalar()
            for table in read_model_metadata.sorted_tables
        }
