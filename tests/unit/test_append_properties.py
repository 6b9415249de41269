"""Properties of the write side: ordering, arrival-order independence, idempotency, atomicity,
amendments."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import CaseNotFound, DomainError, EventIdConflict
from domain.service import CaseService
from events.envelope import EventEnvelope, InvalidEventError
from events.timepoints import Timepoint, format_timepoint, parse_timepoint, start_of
from projections.fold import ChronologyEntry, chronology
from projections.store.integrity import verify_store
from tests.conftest import event
from tests.fakes import in_memory_case_service

CASE = "FAM-1"
OTHER_CASE = "FAM-2"
CHILD = "child-1"
AGENCIES = ("police", "school", "health", "social_care")
ENTRY_TYPES = ("note_added", "contact_received", "child_seen")
SIGNIFICANCES = ("routine", "significant", "key")
WORDS = ("bruise", "absent", "visit", "shouting", "hungry", "happy", "late", "quiet", "seen")

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# -- building blocks -------------------------------------------------------------------------


@contextmanager
def fresh_service() -> Iterator[CaseService]:
    """A write side over its own new in-memory store (hypothesis examples share no fixtures)."""
    service = in_memory_case_service()
    try:
        yield service
    finally:
        service.close()


@st.composite
def occurred_ats(draw: st.DrawFn) -> str:
    """A time in 2023-2024: a date, a datetime with an offset, or a local datetime."""
    day = draw(st.dates(date(2023, 1, 1), date(2024, 12, 31)))
    shape = draw(st.sampled_from(("date", "offset", "local")))
    if shape == "date":
        return day.isoformat()
    moment = datetime.combine(
        day, time(draw(st.integers(3, 23)), draw(st.integers(0, 59)), draw(st.integers(0, 59)))
    )
    if shape == "local":  # read in Europe/London; 03:00-23:59 always exists there
        return moment.isoformat()
    offset = draw(st.sampled_from(("+00:00", "+01:00", "-05:00", "+05:30")))
    return moment.isoformat() + offset


@st.composite
def entries(draw: st.DrawFn, case_id: str = CASE, *, subject: bool = True) -> EventEnvelope:
    """One chronology entry of the case, with a fixed event_id."""
    event_type = draw(st.sampled_from(ENTRY_TYPES))
    data: dict[str, Any] = {}
    if event_type == "contact_received":
        data = {"contact_kind": draw(st.sampled_from(("referral", "concern", "notification")))}
    elif event_type == "child_seen":
        data = {"seen_alone": draw(st.booleans())}
    return event(
        event_type,
        case_id=case_id,
        event_id=str(draw(st.uuids(version=4))),
        occurred_at=draw(occurred_ats()),
        agency=draw(st.sampled_from(AGENCIES)),
        significance=draw(st.sampled_from(SIGNIFICANCES)),
        summary=" ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))),
        subjects=[CHILD] if subject and draw(st.booleans()) else [],
        data=data,
    )


def person(case_id: str = CASE, occurred_at: str = "2023-01-01") -> EventEnvelope:
    """The child of the case, added first."""
    return event(
        "person_added",
        case_id=case_id,
        event_id=str(uuid.uuid4()),
        occurred_at=occurred_at,
        subjects=[CHILD],
        data={"person_id": CHILD, "role": "child", "name": "Ava"},
    )


def unique_ids(envelopes: Sequence[EventEnvelope]) -> bool:
    return len({envelope.event_id for envelope in envelopes}) == len(envelopes)


@dataclass
class GeneratedCase:
    """A person_added child, then 1..15 entries."""

    child: EventEnvelope
    entries: list[EventEnvelope]

    @property
    def all(self) -> list[EventEnvelope]:
        return [self.child, *self.entries]


@st.composite
def cases(draw: st.DrawFn, max_entries: int = 15) -> GeneratedCase:
    child = person(occurred_at=draw(occurred_ats()))
    listed = draw(st.lists(entries(), min_size=1, max_size=max_entries).filter(unique_ids))
    return GeneratedCase(child, listed)


@st.composite
def chunkings(draw: st.DrawFn, items: Sequence[Any]) -> list[list[Any]]:
    """The items split, in order, into 1..len(items) consecutive batches."""
    if len(items) <= 1:
        return [list(items)]
    cuts = sorted(draw(st.sets(st.integers(1, len(items) - 1))))
    bounds = [0, *cuts, len(items)]
    return [list(items[start:end]) for start, end in itertools.pairwise(bounds)]


def append_batches(service: CaseService, batches: Sequence[Sequence[EventEnvelope]]) -> None:
    for batch in batches:
        service.append(list(batch))


def content(entries_: Sequence[ChronologyEntry]) -> list[list[tuple[Any, ...]]]:
    """A chronology's content, ignoring store facts; entries at the same instant as a multiset."""
    grouped = itertools.groupby(entries_, key=lambda entry: start_of(entry.occurred_at))
    return [
        sorted(
            (
                str(entry.event_id),
                format_timepoint(entry.occurred_at),
                entry.type,
                entry.summary,
                entry.agency,
                entry.significance,
                entry.subjects,
            )
            for entry in group
        )
        for _, group in grouped
    ]


# -- (a) ordering ----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(case=cases(), data=st.data())
def test_the_chronology_is_ordered_by_occurred_at_then_position_for_any_arrival_order(
    case: GeneratedCase, data: st.DataObject
) -> None:
    """Whatever order and batching events arrive in, the chronology is sorted by when they
    happened, ties by recording."""
    arrival = [case.child, *data.draw(st.permutations(case.entries), label="arrival")]
    batches = data.draw(chunkings(arrival), label="batches")
    with fresh_service() as service:
        append_batches(service, batches)
        events = service.case_events(CASE)
        entries_ = chronology(events)

    assert [event_.version for event_ in events] == list(range(1, len(arrival) + 1))
    assert [event_.event_id for event_ in events] == [envelope.event_id for envelope in arrival]
    keys = [(start_of(entry.occurred_at), entry.position) for entry in entries_]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    # An independent oracle: sort what was sent by occurred_at, ties by arrival.
    expected = sorted(
        range(len(arrival)), key=lambda index: (start_of(arrival[index].occurred_at), index)
    )
    assert [entry.event_id for entry in entries_] == [arrival[index].event_id for index in expected]


# -- (b) arrival-order independence ----------------------------------------------------------


@PROPERTY_SETTINGS
@given(case=cases(), data=st.data())
def test_two_arrival_orders_of_the_same_events_give_the_same_chronology(
    case: GeneratedCase, data: st.DataObject
) -> None:
    """The same events appended in two permutations give the same chronology content, overall
    and per agency."""
    views: list[dict[str | None, list[list[tuple[Any, ...]]]]] = []
    for label in ("first", "second"):
        arrival = [case.child, *data.draw(st.permutations(case.entries), label=f"{label} order")]
        batches = data.draw(chunkings(arrival), label=f"{label} batches")
        with fresh_service() as service:
            append_batches(service, batches)
            events = service.case_events(CASE)
        views.append(
            {agency: content(chronology(events, agency=agency)) for agency in (None, *AGENCIES)}
        )

    assert views[0] == views[1]
    assert sum(len(group) for group in views[0][None]) == len(case.all)


# -- (c) idempotent retries ------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(case=cases(), data=st.data())
def test_retrying_any_subset_of_stored_events_writes_nothing(
    case: GeneratedCase, data: st.DataObject
) -> None:
    """A client retry of any subset, in any order and batching, returns the stored events and
    adds none."""
    with fresh_service() as service:
        append_batches(service, data.draw(chunkings(case.all), label="original batches"))
        before = service.case_events(CASE)
        stored = {event_.event_id: event_ for event_ in before}
        subset = data.draw(
            st.lists(st.sampled_from(case.all), min_size=1, unique_by=lambda e: e.event_id),
            label="retried",
        )
        for batch in data.draw(chunkings(subset), label="retry batches"):
            outcome = service.append(batch)
            assert outcome.new_count == 0
            assert not outcome.created
            assert [stored_.event_id for stored_ in outcome.events] == [e.event_id for e in batch]
            assert list(outcome.events) == [stored[envelope.event_id] for envelope in batch]
        after = service.case_events(CASE)
        assert after == before
        assert service.case_version(CASE) == len(case.all)
        assert verify_store(service).ok


@PROPERTY_SETTINGS
@given(case=cases(max_entries=8), fresh=st.lists(entries(), min_size=1, max_size=5), data=st.data())
def test_a_batch_mixing_retries_and_new_events_writes_only_the_new_ones_once(
    case: GeneratedCase,
    fresh: list[EventEnvelope],
    data: st.DataObject,
) -> None:
    """A batch of some already-stored and some new events writes each new event exactly once."""
    if not unique_ids(case.all + fresh):
        return
    with fresh_service() as service:
        service.append(case.all)
        retried = data.draw(
            st.lists(st.sampled_from(case.all), unique_by=lambda e: e.event_id), label="retried"
        )
        batch = data.draw(st.permutations(retried + fresh), label="mixed batch")
        outcome = service.append(batch)
        assert outcome.new_count == len(fresh)
        assert [stored.event_id for stored in outcome.events] == [e.event_id for e in batch]
        again = service.append(batch)
        assert again.new_count == 0
        assert again.events == outcome.events
        events = service.case_events(CASE)
    ids = [event_.event_id for event_ in events]
    assert len(ids) == len(set(ids)) == len(case.all) + len(fresh)
    assert [event_.version for event_ in events] == list(range(1, len(ids) + 1))


@PROPERTY_SETTINGS
@given(case=cases(max_entries=8), fresh=st.lists(entries(), min_size=0, max_size=3), data=st.data())
def test_a_retry_with_changed_content_is_refused_and_writes_nothing_of_its_batch(
    case: GeneratedCase,
    fresh: list[EventEnvelope],
    data: st.DataObject,
) -> None:
    """Reusing a stored event_id for other content is an EventIdConflict, and no other event of
    the batch is written."""
    if not unique_ids(case.all + fresh):
        return
    with fresh_service() as service:
        service.append(case.all)
        before = service.case_events(CASE)
        original = data.draw(st.sampled_from(case.entries), label="altered")
        altered = original.model_copy(update={"summary": f"{original.summary} (edited)"})
        batch = data.draw(st.permutations([altered, *fresh]), label="batch")
        with pytest.raises(EventIdConflict) as refused:
            service.append(batch)
        assert refused.value.field.endswith("event_id")
        assert service.case_events(CASE) == before
        assert not service.index.locate(str(envelope.event_id) for envelope in fresh)


# -- (d) atomicity ---------------------------------------------------------------------------


def invalid_events() -> st.SearchStrategy[EventEnvelope]:
    """Events that parse but that the case must refuse."""
    unknown = str(uuid.UUID(int=7))
    return st.sampled_from(
        [
            event("plan_ended", data={"plan_id": "plan-never-started"}),
            event("plan_reviewed", data={"plan_id": "plan-never-started"}),
            event("assessment_completed", data={"assessment_id": "never-started"}),
            event("note_added", subjects=["a-stranger"], summary="names nobody known"),
            event("entry_retracted", data={"target_event_id": unknown, "reason": "wrong case"}),
            event("marked_significant", data={"target_event_id": unknown, "significance": "key"}),
            event("person_added", data={"person_id": CHILD, "role": "child"}),
            event("note_added", occurred_at="2099-01-01", summary="far in the future"),
        ]
    ).map(lambda envelope: envelope.model_copy(update={"event_id": uuid.uuid4()}))


@PROPERTY_SETTINGS
@given(
    case=cases(max_entries=10),
    other=st.lists(entries(OTHER_CASE, subject=False), max_size=3).filter(unique_ids),
    bad=invalid_events(),
    existing=st.booleans(),
    data=st.data(),
)
def test_a_batch_with_one_refused_event_anywhere_writes_none_of_the_batch(
    case: GeneratedCase,
    other: list[EventEnvelope],
    bad: EventEnvelope,
    existing: bool,
    data: st.DataObject,
) -> None:
    """One refused event at any position, even with other cases in the batch, leaves every case
    as it was."""
    if not unique_ids(case.all + other):
        return
    with fresh_service() as service:
        if existing:
            split = data.draw(st.integers(1, len(case.all) - 1), label="already stored")
            stored, pending = case.all[:split], case.all[split:]
            service.append(stored)
        else:
            stored, pending = [], case.all
        before = service.case_events(CASE) if stored else None
        valid = pending + other
        position = data.draw(st.integers(0, len(valid)), label="bad position")
        batch = [*valid[:position], bad, *valid[position:]]

        with pytest.raises((DomainError, InvalidEventError)) as refused:
            service.append(batch)

        blamed = {position}
        if bad.type == "person_added" and case.child in batch:
            # Two person_added for one child: whichever comes second is the refused one.
            blamed.add(max(position, batch.index(case.child)))
        refusal = refused.value
        assert isinstance(refusal, (DomainError, InvalidEventError))
        assert refusal.errors[0].field.split(".")[0] in {str(index) for index in blamed}
        if before is None:
            assert not service.case_exists(CASE)
            with pytest.raises(CaseNotFound):
                service.case_events(CASE)
        else:
            assert service.case_events(CASE) == before
            assert service.case_version(CASE) == len(stored)
        assert not service.case_exists(OTHER_CASE)
        assert not service.index.locate(str(envelope.event_id) for envelope in batch)

        # Nothing of the refused batch lingers: the valid rest appends cleanly afterwards.
        if valid:
            outcome = service.append(valid)
            assert outcome.new_count == len(valid)
        events = service.case_events(CASE)
        assert [event_.version for event_ in events] == list(range(1, len(case.all) + 1))
        assert [event_.event_id for event_ in events] == [
            envelope.event_id for envelope in case.all
        ]
        assert verify_store(service).ok


# -- corrections, retractions and marks as known at T ------------------------------------------

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@dataclass
class ModelEntry:
    """What the chronology should show for one entry, before any amendment."""

    event_id: uuid.UUID
    position: int
    occurred_at: Timepoint
    summary: str | None
    significance: str


@dataclass
class Amendment:
    event_id: uuid.UUID
    kind: str
    target: uuid.UUID
    known_at: datetime
    changes: dict[str, Any] = field(default_factory=dict)


def expected_chronology(
    base: dict[uuid.UUID, ModelEntry],
    amendments: list[Amendment],
    cutoff: datetime,
    include_retracted: bool = False,
) -> list[tuple[Any, ...]]:
    """The chronology a reader at `cutoff` should see, computed without the fold."""
    if cutoff < T0:
        return []
    known = [amendment for amendment in amendments if amendment.known_at <= cutoff]
    withdrawn = {amendment.target for amendment in known if amendment.kind == "entry_retracted"}
    state: dict[uuid.UUID, dict[str, Any]] = {
        event_id: {
            "occurred_at": entry.occurred_at,
            "summary": entry.summary,
            "significance": entry.significance,
            "corrected": False,
        }
        for event_id, entry in base.items()
    }
    for amendment in known:
        if amendment.event_id in withdrawn or amendment.kind == "entry_retracted":
            continue
        target = state[amendment.target]
        if amendment.kind == "entry_corrected":
            target.update(amendment.changes)
            target["corrected"] = True
        else:
            target["significance"] = amendment.changes["significance"]
    rows = [
        (
            (start_of(values["occurred_at"]), base[event_id].position),
            (
                str(event_id),
                format_timepoint(values["occurred_at"]),
                values["summary"],
                values["significance"],
                values["corrected"],
                event_id in withdrawn,
            ),
        )
        for event_id, values in state.items()
        if include_retracted or event_id not in withdrawn
    ]
    return [row for _, row in sorted(rows)]


def shown(entries_: Sequence[ChronologyEntry]) -> list[tuple[Any, ...]]:
    return [
        (
            str(entry.event_id),
            format_timepoint(entry.occurred_at),
            entry.summary,
            entry.significance,
            entry.corrected,
            entry.retracted,
        )
        for entry in entries_
    ]


@st.composite
def amendment_for(
    draw: st.DrawFn,
    base: dict[uuid.UUID, ModelEntry],
    amendments: list[Amendment],
    known_at: datetime,
) -> tuple[EventEnvelope, Amendment] | None:
    """A correction, mark or retraction that the case as recorded so far must accept."""
    withdrawn = {
        amendment.target for amendment in amendments if amendment.kind == "entry_retracted"
    }
    live_entries = sorted(set(base) - withdrawn)
    retractable = live_entries + [
        amendment.event_id
        for amendment in amendments
        if amendment.kind != "entry_retracted" and amendment.event_id not in withdrawn
    ]
    kinds = ["entry_retracted"] if retractable else []
    if live_entries:
        kinds += ["entry_corrected", "entry_corrected", "marked_significant"]
    if not kinds:
        return None
    kind = draw(st.sampled_from(kinds))
    event_id = draw(st.uuids(version=4))
    agency = draw(st.sampled_from(AGENCIES))
    if kind == "entry_retracted":
        target = draw(st.sampled_from(retractable))
        data: dict[str, Any] = {"target_event_id": str(target), "reason": "recorded in error"}
        model = Amendment(event_id, kind, target, known_at)
    elif kind == "marked_significant":
        target = draw(st.sampled_from(live_entries))
        significance = draw(st.sampled_from(SIGNIFICANCES))
        data = {"target_event_id": str(target), "significance": significance}
        model = Amendment(event_id, kind, target, known_at, {"significance": significance})
    else:
        target = draw(st.sampled_from(live_entries))
        fields = draw(
            st.sets(st.sampled_from(("occurred_at", "summary", "significance")), min_size=1)
        )
        sent: dict[str, Any] = {}
        if "occurred_at" in fields:
            sent["occurred_at"] = draw(occurred_ats())
        if "summary" in fields:
            sent["summary"] = "corrected: " + " ".join(
                draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3))
            )
        if "significance" in fields:
            sent["significance"] = draw(st.sampled_from(SIGNIFICANCES))
        changes = dict(sent)
        if "occurred_at" in changes:
            changes["occurred_at"] = parse_timepoint(changes["occurred_at"])
        data = {"target_event_id": str(target), "changes": sent, "reason": "wrong detail"}
        model = Amendment(event_id, kind, target, known_at, changes)
    envelope = event(
        kind,
        event_id=str(event_id),
        agency=agency,
        occurred_at=known_at.date().isoformat(),
        data=data,
    )
    return envelope, model


@PROPERTY_SETTINGS
@given(case=cases(max_entries=8), count=st.integers(1, 8), data=st.data())
def test_corrections_retractions_and_marks_change_the_chronology_only_from_when_they_are_known(
    case: GeneratedCase, count: int, data: st.DataObject
) -> None:
    """Each amendment recorded at T_k leaves every view before T_k as it was and shows in every
    view from T_k on."""
    with fresh_service() as service:
        outcome = service.append(case.all, recorded_at=T0)
        base = {
            stored.event_id: ModelEntry(
                stored.event_id,
                stored.position,
                stored.occurred_at,
                stored.summary,
                stored.significance,
            )
            for stored in outcome.events
        }
        amendments: list[Amendment] = []
        for step in range(1, count + 1):
            known_at = T0 + timedelta(days=step, minutes=data.draw(st.integers(0, 600)))
            drawn = data.draw(amendment_for(base, amendments, known_at), label=f"amendment {step}")
            if drawn is None:
                break
            envelope, model = drawn
            service.append([envelope], recorded_at=known_at)
            amendments.append(model)
        events = service.case_events(CASE)
        assert verify_store(service).ok

    cutoffs = [T0 - TICK, T0] + [
        moment
        for amendment in amendments
        for moment in (amendment.known_at - TICK, amendment.known_at)
    ]
    for cutoff in cutoffs:
        for include_retracted in (False, True):
            assert shown(
                chronology(events, as_known_at=cutoff, include_retracted=include_retracted)
            ) == expected_chronology(base, amendments, cutoff, include_retracted), (
                f"as known at {cutoff.isoformat()}"
            )
    # Just before an amendment is known, the view is the one of the previous known time.
    previous = T0
    for amendment in amendments:
        assert shown(chronology(events, as_known_at=amendment.known_at - TICK)) == shown(
            chronology(events, as_known_at=previous)
        )
        previous = amendment.known_at
    # Without a cutoff the chronology is the one known after the last amendment.
    latest = amendments[-1].known_at if amendments else T0
    assert shown(chronology(events)) == expected_chronology(base, amendments, latest)
