"""Properties of "as known at T" over generated multi-agency cases, against a plain reference
fold."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from api.bootstrap import bootstrap
from api.settings import Settings
from events.envelope import parse_event
from events.recorded import RecordedEvent
from projections import tables
from projections.batch_writes import REBUILD_CHUNK
from projections.fold import ChronologyEntry, knowledge_times
from projections.fold import chronology as fold_chronology
from replay.queries import CaseQueries, ChronologyFilter
from tests.conftest import StoreMaker
from tests.reference_model import as_seen, chronology_as_known_at

AGENCIES = ("police", "school", "health", "social_care")
START = datetime(2023, 1, 2, 9, 0, tzinfo=UTC)
CASE = "FAM-P"


@dataclass
class Story:
    """A generated case, as raw events in recording order, split into append batches."""

    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    retracted: set[str] = field(default_factory=set)
    all_ids: list[str] = field(default_factory=list)
    # event id -> the agency that recorded it, and the entry it is about (itself, or the
    # entry an amendment amends)
    agency_of: dict[str, str] = field(default_factory=dict)
    entry_of: dict[str, str] = field(default_factory=dict)


def _id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


EVERY_KIND = ("entry", "entry", "entry", "correct", "retract", "mark", "share")
# Stories where entries are shared and then amended often, to exercise what follows a share.
SHARED_AND_AMENDED = ("entry", "entry", "correct", "retract", "mark", "share", "share", "share")


@st.composite
def stories(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = EVERY_KIND,
    entry_types: tuple[str, ...] = ("note_added", "contact_received", "child_seen"),
    days: int = 400,
) -> Story:
    """A case recorded over `days` days, its entries of `entry_types`, its events of `kinds`."""
    story = Story()
    person = {
        "event_id": _id(0),
        "type": "person_added",
        "case_id": CASE,
        "occurred_at": "2023-01-01",
        "agency": "social_care",
        "source_recorded_at": START.isoformat(),
        "data": {"person_id": "c1", "role": "child"},
    }
    pending = [person]
    story.all_ids.append(_id(0))
    story.agency_of[_id(0)] = "social_care"
    story.entry_of[_id(0)] = _id(0)
    for index in range(1, draw(st.integers(min_value=3, max_value=16)) + 1):
        kind = draw(st.sampled_from(kinds))
        live = [event_id for event_id in story.entries if event_id not in story.retracted]
        if not live:
            kind = "entry"
        known = START + timedelta(
            days=draw(st.integers(min_value=0, max_value=days)),
            minutes=draw(st.integers(min_value=0, max_value=1439)),
        )
        agency = draw(st.sampled_from(AGENCIES))
        raw: dict[str, Any] = {
            "event_id": _id(index),
            "case_id": CASE,
            "agency": agency,
            "source_recorded_at": known.isoformat(),
            "occurred_at": known.isoformat(),
        }
        if kind == "entry":
            occurred = known - timedelta(
                days=draw(st.integers(min_value=0, max_value=min(60, days)))
            )
            raw.update(
                type=draw(st.sampled_from(entry_types)),
                occurred_at=occurred.date().isoformat()
                if draw(st.booleans())
                else occurred.isoformat(),
                summary=f"entry {index}",
                significance=draw(st.sampled_from(["routine", "significant", "key"])),
                subjects=["c1"] if draw(st.booleans()) else [],
            )
            if raw["type"] == "decision_made":
                raw["data"] = {"decision": f"decision {index}"}
            story.entries.append(raw["event_id"])
        elif kind == "correct":
            target = draw(st.sampled_from(live))
            if draw(st.booleans()):  # mostly by the entry's own agency, as the API insists
                raw["agency"] = story.agency_of[target]
            changes: dict[str, Any] = {"summary": f"corrected by {index}"}
            if draw(st.booleans()):
                changes["occurred_at"] = (
                    (known - timedelta(days=draw(st.integers(0, 90)))).date().isoformat()
                )
            if draw(st.booleans()):
                changes["significance"] = draw(st.sampled_from(["routine", "significant", "key"]))
            raw.update(
                type="entry_corrected",
                data={
                    "target_event_id": target,
                    "changes": changes,
                    "reason": "typo",
                },
            )
            story.corrections.append(raw["event_id"])
        elif kind == "retract":
            candidates = live + [c for c in story.corrections if c not in story.retracted]
            target = draw(st.sampled_from(candidates))
            if draw(st.booleans()):
                raw["agency"] = story.agency_of[story.entry_of[target]]
            raw.update(type="entry_retracted", data={"target_event_id": target, "reason": "wrong"})
            story.retracted.add(target)
        elif kind == "mark":
            raw.update(
                type="marked_significant",
                data={
                    "target_event_id": draw(st.sampled_from(live)),
                    "significance": draw(st.sampled_from(["routine", "significant", "key"])),
                },
            )
        else:
            shared = draw(
                st.lists(
                    st.sampled_from(story.all_ids) | st.sampled_from(story.entries),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
            raw.update(
                type="information_shared",
                data={
                    "to_agency": draw(st.sampled_from([a for a in AGENCIES if a != raw["agency"]])),
                    "event_ids": shared,
                },
            )
        story.all_ids.append(raw["event_id"])
        story.agency_of[raw["event_id"]] = raw["agency"]
        target = raw.get("data", {}).get("target_event_id")
        story.entry_of[raw["event_id"]] = story.entry_of[target] if target else raw["event_id"]
        pending.append(raw)
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            story.batches.append(pending)
            pending = []
    if pending:
        story.batches.append(pending)
    return story


@dataclass
class Loaded:
    events: list[RecordedEvent]
    queries: CaseQueries
    runner: Any


@contextmanager
def loaded_story(story: Story, fresh_store: StoreMaker) -> Iterator[Loaded]:
    """The story appended batch by batch to a fresh store, the read models kept after each batch."""
    with fresh_store() as url:
        settings_ = Settings(db_url=url)
        foresight = bootstrap(settings_)
        service, runner = foresight.service, foresight.runner
        try:
            for batch in story.batches:
                service.append([parse_event(raw) for raw in batch])
                runner.catch_up()
            yield Loaded(
                service.case_events(CASE),
                CaseQueries(runner.views.engine, runner.views.log),
                runner,
            )
        finally:
            runner.views.engine.dispose()
            service.close()


def moments(events: list[RecordedEvent]) -> list[datetime | None]:
    """Times worth asking about: each known_at, just before and after it, and now."""
    found: list[datetime | None] = [None]
    for event in events:
        found += [
            event.known_at,
            event.known_at - timedelta(microseconds=1),
            event.known_at + timedelta(seconds=1),
        ]
    return found


PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(story=stories(), data=st.data())
def test_the_read_models_answer_as_the_reference_fold_at_any_time_for_any_agency(
    story, data, fresh_store
):
    """Read-model chronology as known at T (to the record or an agency) equals the plain fold;
    so do the raw log known at T and the events learned between two times."""
    with loaded_story(story, fresh_store) as loaded:
        times = data.draw(st.lists(st.sampled_from(moments(loaded.events)), min_size=4, max_size=8))
        for as_known_at in times:
            for agency in (None, *AGENCIES):
                expected = chronology_as_known_at(loaded.events, as_known_at, agency)
                from_read_models = loaded.queries.chronology(
                    CASE, as_known_at=as_known_at, agency=agency
                )
                folded = fold_chronology(loaded.events, as_known_at=as_known_at, agency=agency)
                assert [as_seen(e) for e in from_read_models] == expected, (as_known_at, agency)
                assert [as_seen(e) for e in folded] == expected, (as_known_at, agency)
                known = knowledge_times(loaded.events, agency)
                raw_log = loaded.queries.events(CASE, as_known_at=as_known_at, agency=agency)
                assert [event.position for event in raw_log] == [
                    event.position
                    for event in loaded.events
                    if event.event_id in known
                    and (as_known_at is None or known[event.event_id] <= as_known_at)
                ], (as_known_at, agency)
        since, until = sorted(
            data.draw(
                st.lists(
                    st.sampled_from([m for m in moments(loaded.events) if m]),
                    min_size=2,
                    max_size=2,
                )
            )
        )
        for agency in (None, *AGENCIES):
            known = knowledge_times(loaded.events, agency)
            learned = loaded.queries.changes(CASE, since=since, until=until, agency=agency)
            expected_events = [
                event
                for event in loaded.events
                if event.event_id in known and since < known[event.event_id] <= until
            ]
            expected_events.sort(key=lambda event: (known[event.event_id], event.position))
            assert [event.position for event in learned] == [
                event.position for event in expected_events
            ], (since, until, agency)


@PROPERTY_SETTINGS
@given(story=stories())
def test_as_known_now_equals_the_live_projection_and_the_latest_time(story, fresh_store):
    """Asking about now, and about the last moment anything became known, give the same answer."""
    with loaded_story(story, fresh_store) as loaded:
        latest = max(event.known_at for event in loaded.events)
        now = [as_seen(e) for e in loaded.queries.chronology(CASE)]
        assert now == [as_seen(e) for e in loaded.queries.chronology(CASE, as_known_at=latest)]
        assert now == chronology_as_known_at(loaded.events, None)


@PROPERTY_SETTINGS
@given(story=stories(), chunk_size=st.sampled_from([1, 2, 3, 5, REBUILD_CHUNK]))
def test_rebuilding_from_the_log_gives_the_incrementally_kept_read_models(
    story, chunk_size, fresh_store
):
    """The bulk rebuild reproduces, row for row, what catch-up kept batch by batch: in one
    chunk, and in chunks that split the story elsewhere than its append batches did."""
    with loaded_story(story, fresh_store) as loaded:
        before = dump(loaded.runner.views.engine)
        loaded.runner.rebuild(chunk_size=chunk_size)
        assert dump(loaded.runner.views.engine) == before


@PROPERTY_SETTINGS
@given(story=stories(), data=st.data())
def test_knowledge_only_grows_with_time(story, data, fresh_store):
    """Whatever is known at T1 is still known at any later T2, retracted or not."""
    with loaded_story(story, fresh_store) as loaded:
        first, second = sorted(
            data.draw(
                st.lists(
                    st.sampled_from([m for m in moments(loaded.events) if m]),
                    min_size=2,
                    max_size=2,
                )
            )
        )
        for agency in (None, *AGENCIES):
            everything = ChronologyFilter(include_retracted=True)
            earlier = {
                e.event_id
                for e in loaded.queries.chronology(
                    CASE, as_known_at=first, agency=agency, where=everything
                )
            }
            later = {
                e.event_id
                for e in loaded.queries.chronology(
                    CASE, as_known_at=second, agency=agency, where=everything
                )
            }
            assert earlier <= later
        raw_earlier = {e.event_id for e in loaded.queries.events(CASE, as_known_at=first)}
        raw_later = {e.event_id for e in loaded.queries.events(CASE, as_known_at=second)}
        assert raw_earlier <= raw_later


@PROPERTY_SETTINGS
@given(story=stories())
def test_a_correction_or_retraction_known_after_t_never_shows_at_t(story, fresh_store):
    """At any time before an amendment became known, no entry carries it or is retracted by it."""
    with loaded_story(story, fresh_store) as loaded:
        for amendment in loaded.events:
            if amendment.type not in ("entry_corrected", "entry_retracted", "marked_significant"):
                continue
            before = amendment.known_at - timedelta(microseconds=1)
            shown = loaded.queries.chronology(
                CASE, as_known_at=before, where=ChronologyFilter(include_retracted=True)
            )
            for entry in shown:
                assert amendment.event_id not in {a.event_id for a in entry.amendments}
                if amendment.type == "entry_retracted" and str(entry.event_id) == str(
                    amendment.data["target_event_id"]
                ):
                    assert not entry.retracted


def _shared_to(events: list[RecordedEvent], agency: str, event: RecordedEvent) -> list[datetime]:
    """When each share of `event` addressed to `agency` let it know the event."""
    return [
        max(share.known_at, event.known_at)
        for share in events
        if share.type == "information_shared"
        and share.data["to_agency"] == agency
        and str(event.event_id) in {str(shared) for shared in share.data["event_ids"]}
    ]


def _views_at(
    loaded: Loaded, as_known_at: datetime, agency: str
) -> list[dict[str, ChronologyEntry]]:
    """What the agency sees at T, retracted entries included: from the read models and from
    the direct fold, by event id."""
    everything = ChronologyFilter(include_retracted=True)
    return [
        {str(entry.event_id): entry for entry in entries}
        for entries in (
            loaded.queries.chronology(
                CASE, as_known_at=as_known_at, agency=agency, where=everything
            ),
            fold_chronology(
                loaded.events, as_known_at=as_known_at, agency=agency, include_retracted=True
            ),
        )
    ]


@PROPERTY_SETTINGS
@given(story=stories(SHARED_AND_AMENDED), data=st.data())
def test_corrections_and_retractions_by_the_owner_follow_the_entry_marks_stay(
    story, data, fresh_store
):
    """SPEC section 2: an entry its own agency retracted by T is never shown as live at T to an
    agency it was shared with; a correction by its own agency known by T shows at T wherever
    the entry was shared by T; a mark by another agency never reaches the owner unshared."""
    with loaded_story(story, fresh_store) as loaded:
        events = loaded.events
        by_id = {str(event.event_id): event for event in events}
        times = data.draw(
            st.lists(st.sampled_from([m for m in moments(events) if m]), min_size=3, max_size=6)
        )
        for as_known_at in times:
            for agency in AGENCIES:
                live = loaded.queries.chronology(CASE, as_known_at=as_known_at, agency=agency)
                for entry in live:
                    recalled = [
                        event
                        for event in events
                        if event.type == "entry_retracted"
                        and str(event.data["target_event_id"]) == str(entry.event_id)
                        and event.agency == entry.agency
                        and event.known_at <= as_known_at
                    ]
                    assert not recalled, (entry.event_id, agency, as_known_at)
                for seen in _views_at(loaded, as_known_at, agency):
                    for amendment in events:
                        if amendment.type not in ("entry_corrected", "marked_significant"):
                            continue
                        target = by_id[str(amendment.data["target_event_id"])]
                        entry = seen.get(str(target.event_id))
                        shares = _shared_to(events, agency, target)
                        if any(when <= as_known_at for when in shares):
                            assert entry is not None, (target.event_id, agency, as_known_at)
                        if entry is None:
                            continue
                        carried = amendment.event_id in {a.event_id for a in entry.amendments}
                        undone = any(
                            event.type == "entry_retracted"
                            and str(event.data["target_event_id"]) == str(amendment.event_id)
                            and event.known_at <= as_known_at
                            for event in events
                        )
                        by_owner = amendment.agency == target.agency
                        if amendment.type == "entry_corrected" and by_owner:
                            if amendment.known_at <= as_known_at and not undone:
                                assert carried, (amendment.event_id, agency, as_known_at)
                        elif agency == target.agency and amendment.agency != agency:
                            # Someone else's mark (or correction) reaches the owner only shared.
                            told = any(
                                when <= as_known_at
                                for when in _shared_to(events, agency, amendment)
                            )
                            if not undone:
                                assert carried == told, (amendment.event_id, as_known_at)


def dump(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, in a stable order, for comparison."""
    found = {}
    with engine.connect() as connection:
        for table in tables.READ_MODEL_TABLES:
            rows = connection.execute(select(table)).all()
            found[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return found
