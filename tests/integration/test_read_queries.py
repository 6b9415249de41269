"""Bitemporal read queries over the read models on real SQLite files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest

from api.bootstrap import bootstrap
from api.samples.demo import DEMO_CASE, demo_case_events, demo_id
from api.settings import Settings
from events.envelope import parse_event
from events.timepoints import parse_instant, start_of
from projections.fold import ChronologyEntry
from replay.queries import CaseQueries, ChronologyFilter

SECOND_CASE = "FAM-2"
PLAN_CASE = "FAM-P"
BST = timezone(timedelta(hours=1))


def hand_id(case_id: str, name: str) -> str:
    """A fixed event id for each hand-built event."""
    return str(uuid5(NAMESPACE_URL, f"urn:foresight:test:{case_id}:{name}"))


def raw_event(
    case_id: str,
    name: str,
    type: str,
    occurred_at: str,
    source_recorded_at: str,
    agency: str = "social_care",
    **fields: Any,
) -> dict[str, Any]:
    """One raw hand-built event, known from `source_recorded_at`."""
    return {
        "event_id": hand_id(case_id, name),
        "type": type,
        "case_id": case_id,
        "occurred_at": occurred_at,
        "agency": agency,
        "recorded_by": f"{agency}-1",
        "source_recorded_at": source_recorded_at,
        **fields,
    }


def second_case_events() -> list[dict[str, Any]]:
    """FAM-2: another family's case that also names the child 'ava' (and a child 'bo')."""

    def ev(name: str, kind: str, occurred: str, known: str, **fields: Any) -> dict[str, Any]:
        return raw_event(SECOND_CASE, name, kind, occurred, known, **fields)

    return [
        ev("opened", "case_opened", "2023-11-01", "2023-11-01"),
        ev(
            "ava",
            "person_added",
            "2023-11-01",
            "2023-11-01",
            data={"person_id": "ava", "role": "child"},
        ),
        ev(
            "bo",
            "person_added",
            "2023-11-01",
            "2023-11-01",
            data={"person_id": "bo", "role": "child"},
        ),
        ev(
            "contact",
            "contact_received",
            "2023-11-20T10:00:00Z",
            "2023-11-20T12:00:00Z",
            agency="school",
            summary="School raised a concern about Ava",
            subjects=["ava"],
            data={"contact_kind": "concern"},
        ),
        ev(
            "ava-note",
            "note_added",
            "2024-01-20T09:00:00Z",
            "2024-01-20T10:00:00Z",
            summary="Ava visited her aunt",
            subjects=["ava"],
        ),
        ev(
            "wrong-child",
            "note_added",
            "2024-01-21T09:00:00Z",
            "2024-01-21T10:00:00Z",
            summary="Child seen at the library",
            subjects=["ava"],
        ),
        ev(
            "wrong-child-corrected",
            "entry_corrected",
            "2024-01-28T10:00:00Z",
            "2024-01-28T10:00:00Z",
            data={
                "target_event_id": hand_id(SECOND_CASE, "wrong-child"),
                "changes": {"subjects": ["bo"]},
                "reason": "It was Bo, not Ava",
            },
        ),
        ev(
            "bo-note",
            "note_added",
            "2024-03-03",
            "2024-03-03",
            summary="Bo at nursery",
            subjects=["bo"],
        ),
    ]


def plan_case_events() -> list[dict[str, Any]]:
    """FAM-P: a child protection plan for 'noor', reviewed late and then ended, then early help."""

    def ev(name: str, kind: str, occurred: str, known: str, **fields: Any) -> dict[str, Any]:
        return raw_event(PLAN_CASE, name, kind, occurred, known, **fields)

    return [
        ev("opened", "case_opened", "2023-01-02", "2023-01-02"),
        ev(
            "noor",
            "person_added",
            "2023-01-02",
            "2023-01-02",
            data={"person_id": "noor", "role": "child"},
        ),
        ev(
            "cp-start",
            "plan_started",
            "2023-02-01",
            "2023-02-01",
            subjects=["noor"],
            data={
                "plan_id": "P-1",
                "kind": "child_protection",
                "category": "NEG",
                "goals": ["Regular meals"],
                "review_due": "2023-05-01",
            },
        ),
        # The first review was held nine days late.
        ev(
            "cp-review",
            "plan_reviewed",
            "2023-05-10",
            "2023-05-10",
            subjects=["noor"],
            data={"plan_id": "P-1", "progress": "Meals regular", "next_review_due": "2023-11-10"},
        ),
        # Ended on 30 September, recorded only on 2 October.
        ev(
            "cp-end",
            "plan_ended",
            "2023-09-30",
            "2023-10-02",
            subjects=["noor"],
            data={"plan_id": "P-1", "reason": "Risk reduced"},
        ),
        ev(
            "eh-start",
            "plan_started",
            "2023-10-05",
            "2023-10-05",
            subjects=["noor"],
            data={"plan_id": "EH-1", "kind": "early_help"},
        ),
    ]


def load(settings: Settings, batches: list[list[dict[str, Any]]]) -> tuple[Any, Any]:
    """Append each batch and bring the read models up to date after each (incremental path)."""
    foresight = bootstrap(settings)
    service, runner = foresight.service, foresight.runner
    for batch in batches:
        service.append([parse_event(raw) for raw in batch])
        runner.catch_up()
    return service, runner


def demo_in_batches(size: int = 4) -> list[list[dict[str, Any]]]:
    """The demo case cut into small batches, as agencies' imports would arrive."""
    raw = demo_case_events()
    return [raw[start : start + size] for start in range(0, len(raw), size)]


@pytest.fixture(scope="module")
def queries(store_url: Callable[[], str]) -> Iterator[CaseQueries]:
    """The demo case, FAM-2 and FAM-P in one store, projected incrementally."""
    settings = Settings(db_url=store_url())
    service, runner = load(settings, [*demo_in_batches(), second_case_events(), plan_case_events()])
    yield CaseQueries(runner.views.engine, runner.views.log)
    runner.views.engine.dispose()
    service.close()


_DEMO_EVENT_NAMES = [
    "opened",
    "ava",
    "leo",
    "sam",
    "jay",
    "school-hungry",
    "hv-visit",
    "police-notification",
    "decision-assess",
    "assessment-1",
    "ava-voice",
    "school-shares",
    "ava-seen",
    "health-shares",
    "strategy",
    "decision-s47",
    "s47",
    "ava-seen-corrected",
    "police-earlier",
    "wrong-case-note",
    "wrong-case-retracted",
    "assessment-1-done",
    "s47-done",
    "icpc",
    "cp-plan",
    "hv-marked",
    "da-referral",
    "review-1",
    "allocate-sw-jones",
    "allocate-pc-1234",
    "allocate-dsl-patel",
    "allocate-hv-okafor",
    "oversight-assess",
]
_HAND_NAMES = {
    SECOND_CASE: [
        "opened",
        "ava",
        "bo",
        "contact",
        "ava-note",
        "wrong-child",
        "wrong-child-corrected",
        "bo-note",
    ],
    PLAN_CASE: ["opened", "noor", "cp-start", "cp-review", "cp-end", "eh-start"],
}
_NAME_OF = {
    **{demo_id(name): name for name in _DEMO_EVENT_NAMES},
    **{
        hand_id(case_id, name): f"{case_id}:{name}"
        for case_id, hand_names in _HAND_NAMES.items()
        for name in hand_names
    },
}


def name_of(event_id: UUID | str) -> str:
    """A readable name for an event id: the demo's own name, or 'CASE:name' for hand-built ones."""
    return _NAME_OF.get(str(event_id), str(event_id))


def names(entries: list[ChronologyEntry] | list[Any]) -> list[str]:
    """The readable names of entries or recorded events, in their order."""
    return [name_of(entry.event_id) for entry in entries]


def at(text: str) -> datetime:
    """An "as known at" instant (a date means the end of that local day)."""
    return parse_instant(text)


def test_the_demo_names_cover_every_demo_event() -> None:
    """The readable names used in these tests are exactly the loaded events, in their order."""
    assert [demo_id(name) for name in _DEMO_EVENT_NAMES] == [
        raw["event_id"] for raw in demo_case_events()
    ]
    assert [hand_id(SECOND_CASE, name) for name in _HAND_NAMES[SECOND_CASE]] == [
        raw["event_id"] for raw in second_case_events()
    ]
    assert [hand_id(PLAN_CASE, name) for name in _HAND_NAMES[PLAN_CASE]] == [
        raw["event_id"] for raw in plan_case_events()
    ]


# -- chronology: as known at, by agency ------------------------------------------------------


def test_the_chronology_is_ordered_by_occurrence_with_dates_at_the_start_of_their_day(
    queries: CaseQueries,
) -> None:
    """Entries are in occurred order; a date-only entry sorts before timed entries of its day."""
    entries = queries.chronology(DEMO_CASE)
    keys = [(start_of(entry.occurred_at), entry.position) for entry in entries]
    assert keys == sorted(keys)
    order = names(entries)
    assert order.index("cp-plan") < order.index("icpc")  # 14 Feb (date) before 14 Feb 10:00
    assert order.index("assessment-1") < order.index("decision-assess")
    assert order[:3] == ["school-hungry", "police-earlier", "hv-visit"]


def test_a_date_only_source_record_is_known_from_the_end_of_that_local_day(
    queries: CaseQueries,
) -> None:
    """The police record entered on 2 February is unknown at 23:00Z that day, known at its end."""
    late_evening = datetime(2024, 2, 2, 23, 0, tzinfo=UTC)
    before = names(queries.chronology(DEMO_CASE, as_known_at=late_evening))
    after = names(queries.chronology(DEMO_CASE, as_known_at=at("2024-02-02")))
    assert "police-earlier" not in before
    assert "police-earlier" in after


def test_an_agency_sees_only_its_own_entries_and_those_shared_with_it(queries: CaseQueries) -> None:
    """Social care on 24 January 18:00Z knows Ava's words, not the school note or health visit."""
    when = datetime(2024, 1, 24, 18, 0, tzinfo=UTC)
    social_care = names(queries.chronology(DEMO_CASE, as_known_at=when, agency="social_care"))
    record = names(queries.chronology(DEMO_CASE, as_known_at=when))
    assert "ava-voice" in social_care
    assert "school-shares" in social_care
    assert "school-hungry" not in social_care
    assert "hv-visit" not in social_care
    assert {"school-hungry", "hv-visit"} <= set(record)
    later = names(queries.chronology(DEMO_CASE, as_known_at=at("2024-01-25"), agency="social_care"))
    assert "hv-visit" in later
    assert "school-hungry" not in later


def test_an_agency_name_is_matched_case_insensitively(queries: CaseQueries) -> None:
    """agency='Social_Care' gives the same chronology as agency='social_care'."""
    assert names(queries.chronology(DEMO_CASE, agency="Social_Care")) == names(
        queries.chronology(DEMO_CASE, agency="social_care")
    )


def test_a_correction_shows_only_from_when_it_became_known(queries: CaseQueries) -> None:
    """ava-seen reads 'school' as known on 31 January, the corrected place from 1 February."""
    before = queries.entry(DEMO_CASE, demo_id("ava-seen"), as_known_at=at("2024-01-31"))
    after = queries.entry(DEMO_CASE, demo_id("ava-seen"), as_known_at=at("2024-02-01"))
    assert before is not None
    assert after is not None
    assert before.data["where"] == "school"
    assert before.corrected is False
    assert after.data["where"] == "home, with Sam in the next room"
    assert after.corrected is True
    assert [amendment.type for amendment in after.amendments] == ["entry_corrected"]
    assert after.amendments[0].previous == {"data": {"where": "school"}}


def test_an_entry_is_not_there_before_it_was_known(queries: CaseQueries) -> None:
    """entry() gives None for an event not yet known at T."""
    assert queries.entry(DEMO_CASE, demo_id("police-earlier"), as_known_at=at("2024-02-01")) is None
    assert (
        queries.entry(
            DEMO_CASE, demo_id("hv-visit"), as_known_at=at("2024-01-20"), agency="social_care"
        )
        is None
    )


# -- chronology filters ---------------------------------------------------------------------


def test_min_significance_key_gives_only_key_entries_as_known_at_t(queries: CaseQueries) -> None:
    """hv-visit is key for the record only once health's mark is known (end of 15 February)."""
    key = ChronologyFilter(min_significance="key")
    noon = datetime(2024, 2, 15, 12, 0, tzinfo=UTC)
    before_mark = queries.chronology(DEMO_CASE, as_known_at=noon, where=key)
    after_mark = queries.chronology(DEMO_CASE, as_known_at=at("2024-02-16"), where=key)
    assert names(before_mark) == ["decision-assess", "ava-voice", "decision-s47", "cp-plan", "icpc"]
    assert names(after_mark) == [
        "hv-visit",
        "decision-assess",
        "ava-voice",
        "decision-s47",
        "cp-plan",
        "icpc",
    ]
    assert all(entry.significance == "key" for entry in before_mark + after_mark)


def test_the_health_mark_never_makes_the_visit_key_for_social_care(queries: CaseQueries) -> None:
    """Health's mark was never shared, so social care sees hv-visit as 'significant'."""
    key = ChronologyFilter(min_significance="key")
    assert "hv-visit" not in names(queries.chronology(DEMO_CASE, agency="social_care", where=key))
    visit = queries.entry(DEMO_CASE, demo_id("hv-visit"), agency="social_care")
    assert visit is not None
    assert visit.significance == "significant"


def test_min_significance_significant_includes_key_entries(queries: CaseQueries) -> None:
    """'significant' as a minimum keeps significant and key entries and drops routine ones."""
    entries = queries.chronology(DEMO_CASE, where=ChronologyFilter(min_significance="significant"))
    assert {entry.significance for entry in entries} == {"significant", "key"}
    expected = {"school-hungry", "police-notification", "decision-assess", "strategy"}
    assert expected <= set(names(entries))
    assert "ava-seen" not in names(entries)


def test_the_types_filter_keeps_only_the_named_types(queries: CaseQueries) -> None:
    """types=('child_seen',) gives the two visits; with a second type, those entries too."""
    seen = queries.chronology(DEMO_CASE, where=ChronologyFilter(types=("child_seen",)))
    assert names(seen) == ["hv-visit", "ava-seen"]
    two = queries.chronology(
        DEMO_CASE, where=ChronologyFilter(types=("child_seen", "child_voice_recorded"))
    )
    assert names(two) == ["hv-visit", "ava-voice", "ava-seen"]


def test_the_subject_filter_keeps_entries_naming_that_person(queries: CaseQueries) -> None:
    """subject='leo' gives exactly the entries that name Leo, in occurred order."""
    entries = queries.chronology(DEMO_CASE, where=ChronologyFilter(subject="leo"))
    assert names(entries) == [
        "hv-visit",
        "police-notification",
        "assessment-1",
        "decision-assess",
        "health-shares",
        "s47",
        "strategy",
        "decision-s47",
        "s47-done",
        "assessment-1-done",
        "cp-plan",
        "icpc",
        "review-1",
    ]
    assert all("leo" in entry.subjects for entry in entries)


def test_occurred_from_and_to_bound_valid_time_inclusively(queries: CaseQueries) -> None:
    """From 22 January 10:30Z to 24 January 15:30Z gives Ava's words, the share and the visit."""
    window = ChronologyFilter(
        occurred_from=datetime(2024, 1, 22, 10, 30, tzinfo=UTC),
        occurred_to=datetime(2024, 1, 24, 15, 30, tzinfo=UTC),
    )
    assert names(queries.chronology(DEMO_CASE, where=window)) == [
        "ava-voice",
        "school-shares",
        "ava-seen",
    ]


def test_occurred_bounds_with_another_offset_are_compared_as_instants(queries: CaseQueries) -> None:
    """Bounds of 10:45+01:00 and 12:00+01:00 (09:45Z, 11:00Z) keep 10:30Z and drop 11:15Z."""
    window = ChronologyFilter(
        occurred_from=datetime(2024, 1, 22, 10, 45, tzinfo=BST),
        occurred_to=datetime(2024, 1, 22, 12, 0, tzinfo=BST),
    )
    assert names(queries.chronology(DEMO_CASE, where=window)) == ["ava-voice"]


def test_filters_combine(queries: CaseQueries) -> None:
    """subject, significance, types and a valid-time window together narrow to one entry."""
    where = ChronologyFilter(
        subject="ava",
        min_significance="key",
        types=("decision_made",),
        occurred_from=datetime(2024, 1, 20, tzinfo=UTC),
    )
    assert names(queries.chronology(DEMO_CASE, where=where)) == ["decision-s47"]


# -- retractions ------------------------------------------------------------------------------


def test_a_retracted_note_is_hidden_once_its_retraction_is_known(queries: CaseQueries) -> None:
    """The wrong-case note shows on 5 February and is gone from the end of 6 February."""
    noon_5th = datetime(2024, 2, 5, 12, 0, tzinfo=UTC)
    on_5th = names(queries.chronology(DEMO_CASE, as_known_at=noon_5th))
    on_7th = names(queries.chronology(DEMO_CASE, as_known_at=at("2024-02-07")))
    assert "wrong-case-note" in on_5th
    assert "wrong-case-note" not in on_7th
    assert "wrong-case-note" not in names(queries.chronology(DEMO_CASE))


def test_include_retracted_shows_the_note_flagged_only_after_its_retraction_was_known(
    queries: CaseQueries,
) -> None:
    """With include_retracted the note is flagged retracted only after 6 February."""
    shown = ChronologyFilter(include_retracted=True)

    def note(as_known_at: datetime | None) -> ChronologyEntry:
        found = [
            entry
            for entry in queries.chronology(DEMO_CASE, as_known_at=as_known_at, where=shown)
            if str(entry.event_id) == demo_id("wrong-case-note")
        ]
        assert len(found) == 1
        return found[0]

    assert note(datetime(2024, 2, 5, 12, 0, tzinfo=UTC)).retracted is False
    assert note(datetime(2024, 2, 6, 22, 0, tzinfo=UTC)).retracted is False
    assert note(at("2024-02-07")).retracted is True
    current = note(None)
    assert current.retracted is True
    assert [amendment.type for amendment in current.amendments] == ["entry_retracted"]
    unflagged = [
        entry
        for entry in queries.chronology(DEMO_CASE, where=shown)
        if str(entry.event_id) != demo_id("wrong-case-note")
    ]
    assert not any(entry.retracted for entry in unflagged)


# -- a person's own chronology across cases -----------------------------------------------


def test_a_persons_chronology_spans_every_case_that_names_them_in_occurred_order(
    queries: CaseQueries,
) -> None:
    """Ava's chronology interleaves FAM-2 and FAM-0042 entries by when they happened."""
    entries = queries.person_chronology("ava")
    assert names(entries) == [
        "FAM-2:contact",
        "school-hungry",
        "police-notification",
        "assessment-1",
        "decision-assess",
        "FAM-2:ava-note",
        "ava-voice",
        "school-shares",
        "ava-seen",
        "s47",
        "strategy",
        "decision-s47",
        "s47-done",
        "assessment-1-done",
        "cp-plan",
        "icpc",
        "review-1",
    ]
    assert {entry.case_id for entry in entries} == {DEMO_CASE, SECOND_CASE}
    keys = [(start_of(entry.occurred_at), entry.position) for entry in entries]
    assert keys == sorted(keys)


def test_a_persons_chronology_follows_a_correction_of_subjects(queries: CaseQueries) -> None:
    """A note about 'ava' corrected on 28 January to name 'bo' leaves Ava's chronology from then."""
    wrong = "FAM-2:wrong-child"
    assert wrong in names(queries.person_chronology("ava", as_known_at=at("2024-01-27")))
    assert wrong not in names(queries.person_chronology("ava"))
    assert names(queries.person_chronology("bo")) == [wrong, "FAM-2:bo-note"]
    assert names(queries.person_chronology("bo", as_known_at=at("2024-01-27"))) == []


def test_a_persons_chronology_as_known_to_one_agency(queries: CaseQueries) -> None:
    """To the school, Ava's chronology is its own records in both cases."""
    entries = queries.person_chronology("ava", agency="school")
    assert names(entries) == ["FAM-2:contact", "school-hungry", "ava-voice", "school-shares"]


def test_a_persons_chronology_as_known_at_t(queries: CaseQueries) -> None:
    """As known on 21 January, Ava's chronology stops before her words of 22 January."""
    entries = names(queries.person_chronology("ava", as_known_at=at("2024-01-21")))
    assert entries[-2:] == ["FAM-2:ava-note", "FAM-2:wrong-child"]
    assert "ava-voice" not in entries


# -- plans ---------------------------------------------------------------------------------


def plan_ids(plans: list[Any]) -> list[str]:
    """The plan ids of a plans answer."""
    return [plan.plan_id for plan in plans]


def test_no_plan_is_known_before_the_conference(queries: CaseQueries) -> None:
    """On 1 March, as known on 10 February, the case has no plan."""
    assert queries.plans(DEMO_CASE, on=date(2024, 3, 1), as_known_at=at("2024-02-10")) == []


def test_the_plan_known_on_1_march_shows_its_first_review_due(queries: CaseQueries) -> None:
    """On 1 March, as known on 1 March, CP-0042-1 is active with review due 14 May, not overdue."""
    [plan] = queries.plans(DEMO_CASE, on=date(2024, 3, 1), as_known_at=at("2024-03-01"))
    assert plan.plan_id == "CP-0042-1"
    assert plan.kind == "child_protection"
    assert plan.category == "EMO"
    assert plan.started_on == date(2024, 2, 14)
    assert plan.ended_on is None
    assert plan.review_due == date(2024, 5, 14)
    assert plan.review_overdue is False
    assert plan.last_review is None
    assert plan.reviews == 0
    assert len(plan.goals) == 3
    assert set(plan.subjects) == {"ava", "leo"}


def test_the_review_due_date_follows_what_was_known(queries: CaseQueries) -> None:
    """On 1 June: due 14 May and overdue as known on 1 March; due 10 November after the review."""
    [then] = queries.plans(DEMO_CASE, on=date(2024, 6, 1), as_known_at=at("2024-03-01"))
    [now] = queries.plans(DEMO_CASE, on=date(2024, 6, 1))
    assert then.review_due == date(2024, 5, 14)
    assert then.review_overdue is True
    assert now.review_due == date(2024, 11, 10)
    assert now.review_overdue is False
    assert now.reviews == 1
    assert now.last_review is not None
    assert now.last_review["event_id"] == demo_id("review-1")
    assert now.last_review["progress"].startswith("Jay attending programme")


def test_a_review_is_not_overdue_on_its_due_date_and_is_the_day_after(queries: CaseQueries) -> None:
    """As known on 1 March: not overdue on 14 May, overdue on 15 May; as known now, in December."""
    known = at("2024-03-01")
    [on_due] = queries.plans(DEMO_CASE, on=date(2024, 5, 14), as_known_at=known)
    [day_after] = queries.plans(DEMO_CASE, on=date(2024, 5, 15), as_known_at=known)
    assert on_due.review_overdue is False
    assert day_after.review_overdue is True
    [december] = queries.plans(DEMO_CASE, on=date(2024, 12, 1))
    assert december.review_overdue is True


def test_a_plan_is_not_active_before_it_started(queries: CaseQueries) -> None:
    """On 13 February, as known now, CP-0042-1 (started 14 February) is not active."""
    assert queries.plans(DEMO_CASE, on=date(2024, 2, 13)) == []
    assert plan_ids(queries.plans(DEMO_CASE, on=date(2024, 2, 14))) == ["CP-0042-1"]


def test_a_plan_ended_on_a_date_is_not_active_after_it(queries: CaseQueries) -> None:
    """P-1 ended on 30 September, so it is not active on 1 October; early help is from 5 October."""
    assert queries.plans(PLAN_CASE, on=date(2023, 10, 1)) == []
    assert plan_ids(queries.plans(PLAN_CASE, on=date(2023, 10, 5))) == ["EH-1"]
    [during] = queries.plans(PLAN_CASE, on=date(2023, 9, 1))
    assert during.plan_id == "P-1"
    assert during.ended_on == date(2023, 9, 30)


def test_a_plan_end_recorded_late_counts_only_from_when_it_was_known(queries: CaseQueries) -> None:
    """As known on 1 October the end (recorded 2 October) is unknown, so P-1 is still active."""
    [plan] = queries.plans(PLAN_CASE, on=date(2023, 10, 1), as_known_at=at("2023-10-01"))
    assert plan.plan_id == "P-1"
    assert plan.ended_on is None
    assert plan.review_due == date(2023, 11, 10)
    assert plan.review_overdue is False


def test_a_review_is_overdue_when_known_only_from_the_plan_start(queries: CaseQueries) -> None:
    """On 5 May 2023, as known on 5 May, P-1's review (due 1 May) is overdue."""
    [plan] = queries.plans(PLAN_CASE, on=date(2023, 5, 5), as_known_at=at("2023-05-05"))
    assert plan.review_due == date(2023, 5, 1)
    assert plan.review_overdue is True


def test_a_late_review_does_not_undo_the_overdue_state_before_it_was_held(
    queries: CaseQueries,
) -> None:
    """On 5 May 2023, as known now, P-1's review (due 1 May, held 10 May) was overdue then.

    The plan as it stood on 5 May (valid time) had no review yet: a review held on 10 May
    cannot be its last review nor move its due date on 5 May, whatever we know now.
    """
    [plan] = queries.plans(PLAN_CASE, on=date(2023, 5, 5))
    assert plan.review_due == date(2023, 5, 1)
    assert plan.review_overdue is True
    assert plan.last_review is None
    assert plan.reviews == 0


def test_person_plans_lists_every_plan_naming_the_child(queries: CaseQueries) -> None:
    """Noor has the ended child protection plan and the early help plan; Ava has the demo's plan."""
    assert [plan["plan_id"] for plan in queries.person_plans("noor")] == ["P-1", "EH-1"]
    assert [plan["plan_id"] for plan in queries.person_plans("ava")] == ["CP-0042-1"]
    assert queries.person_plans("ava", as_known_at=at("2024-02-10")) == []


# -- person status --------------------------------------------------------------------------


def test_ava_is_on_a_plan_on_1_march_as_known_now_but_not_as_known_on_1_february(
    queries: CaseQueries,
) -> None:
    """Signposting follows knowledge time: the plan of 14 February was unknown on 1 February."""
    now = queries.person_status("ava", on=date(2024, 3, 1))
    then = queries.person_status("ava", on=date(2024, 3, 1), as_known_at=at("2024-02-01"))
    assert now.on_child_protection_plan is True
    assert now.has_been_on_child_protection_plan is True
    assert then.on_child_protection_plan is False
    assert then.has_been_on_child_protection_plan is False
    assert now.looked_after is False
    assert now.has_been_looked_after is False


def test_a_child_whose_plan_ended_has_been_but_is_not_on_a_plan(queries: CaseQueries) -> None:
    """On 1 December 2023 Noor is no longer on the plan that ended on 30 September, but has been."""
    status = queries.person_status("noor", on=date(2023, 12, 1))
    assert status.on_child_protection_plan is False
    assert status.has_been_on_child_protection_plan is True
    assert [(p.kind, p.started_on, p.ended_on) for p in status.periods] == [
        ("child_protection", date(2023, 2, 1), date(2023, 9, 30))
    ]


def test_signposting_says_when_and_whom_to_contact_and_nothing_more(queries: CaseQueries) -> None:
    """Ava's status names the plan's dates, social care and its allocated team; not the plan's
    id, goals, category or reviews, which are for those who know the plan."""
    status = queries.person_status("ava", on=date(2024, 6, 1))
    [period] = status.periods
    assert period.model_dump() == {
        "kind": "child_protection",
        "started_on": date(2024, 2, 14),
        "ended_on": None,
        "contact": {"agency": "social_care", "team": "Child protection team"},
    }
    before_allocation = queries.person_status(
        "ava", on=date(2024, 6, 1), as_known_at=at("2024-05-01")
    )
    assert before_allocation.periods[0].contact.team is None
    text = status.model_dump_json()
    for detail in ("CP-0042-1", "EMO", "goals", "review", "category", "event_id"):
        assert detail not in text, detail


def test_a_plan_is_known_to_an_agency_only_as_its_entries_are(queries: CaseQueries) -> None:
    """Social care sees its plan; police and school, never sent the plan's entries, see none."""
    assert plan_ids(queries.plans(DEMO_CASE, on=date(2024, 6, 1), agency="social_care")) == [
        "CP-0042-1"
    ]
    assert queries.plans(DEMO_CASE, on=date(2024, 6, 1), agency="police") == []
    assert queries.plans(DEMO_CASE, on=date(2024, 6, 1), agency="school") == []


def test_a_child_has_not_been_on_a_plan_before_it_started(queries: CaseQueries) -> None:
    """On 15 January 2023 Noor had not yet been on a plan (it started 1 February)."""
    status = queries.person_status("noor", on=date(2023, 1, 15))
    assert status.on_child_protection_plan is False
    assert status.has_been_on_child_protection_plan is False


def test_a_childs_status_follows_a_late_recorded_plan_end(queries: CaseQueries) -> None:
    """On 1 October, as known on 1 October, Noor is still on the plan; as known now she is not."""
    assert (
        queries.person_status(
            "noor", on=date(2023, 10, 1), as_known_at=at("2023-10-01")
        ).on_child_protection_plan
        is True
    )
    assert queries.person_status("noor", on=date(2023, 10, 1)).on_child_protection_plan is False


# -- decisions ------------------------------------------------------------------------------


def test_the_decisions_register_lists_both_decisions_in_order(queries: CaseQueries) -> None:
    """The register holds decision-assess then decision-s47, with rationale and information."""
    register = queries.decisions(DEMO_CASE)
    assert names(register) == ["decision-assess", "decision-s47"]
    first, second = register
    assert first.data["rationale"] == "One police notification, no injuries seen, mother engaging"
    assert first.data["information_relied_on"] == [demo_id("police-notification")]
    assert second.data["rationale"] == "Ava's account of domestic abuse, Leo's faltering growth"
    assert second.data["information_relied_on"] == [
        demo_id("ava-voice"),
        demo_id("hv-visit"),
        demo_id("police-notification"),
    ]
    assert all(entry.type == "decision_made" for entry in register)


def test_the_decisions_register_as_known_at_t_and_to_an_agency(queries: CaseQueries) -> None:
    """On 20 January only the first decision was known; the school never knew either."""
    assert names(queries.decisions(DEMO_CASE, as_known_at=at("2024-01-20"))) == ["decision-assess"]
    assert queries.decisions(DEMO_CASE, agency="school") == []
    assert names(queries.decisions(DEMO_CASE, agency="social_care")) == [
        "decision-assess",
        "decision-s47",
    ]


# -- changes --------------------------------------------------------------------------------


def test_changes_list_exactly_what_became_known_in_the_window(queries: CaseQueries) -> None:
    """31 January to 6 February: a correction, a late police record, a note and its retraction."""
    changes = queries.changes(DEMO_CASE, since=at("2024-01-31"), until=at("2024-02-06"))
    assert names(changes) == [
        "ava-seen-corrected",
        "police-earlier",
        "wrong-case-note",
        "wrong-case-retracted",
    ]


def test_changes_to_one_agency_leave_out_what_it_did_not_know(queries: CaseQueries) -> None:
    """For social care the same window leaves out the police record."""
    changes = queries.changes(
        DEMO_CASE, since=at("2024-01-31"), until=at("2024-02-06"), agency="social_care"
    )
    assert names(changes) == ["ava-seen-corrected", "wrong-case-note", "wrong-case-retracted"]


def test_changes_to_an_agency_include_what_was_shared_with_it(queries: CaseQueries) -> None:
    """On the morning of 25 January social care learned the health visit with the share."""
    since = datetime(2024, 1, 24, 18, 0, tzinfo=UTC)
    until = datetime(2024, 1, 25, 10, 0, tzinfo=UTC)
    assert names(queries.changes(DEMO_CASE, since=since, until=until, agency="social_care")) == [
        "hv-visit",
        "health-shares",
    ]
    assert names(queries.changes(DEMO_CASE, since=since, until=until)) == ["health-shares"]


def test_the_changes_window_excludes_since_and_includes_until(queries: CaseQueries) -> None:
    """An event known exactly at `since` is left out; one known exactly at `until` is in."""
    correction = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
    assert "ava-seen-corrected" not in names(queries.changes(DEMO_CASE, since=correction))
    assert names(
        queries.changes(DEMO_CASE, since=correction - timedelta(minutes=1), until=correction)
    ) == ["ava-seen-corrected"]


def test_changes_without_until_run_to_now(queries: CaseQueries) -> None:
    """Since 1 May: the plan review of 10 May, the allocations of 13 May and the oversight
    of 20 May."""
    assert names(queries.changes(DEMO_CASE, since=at("2024-05-01"))) == [
        "review-1",
        "allocate-sw-jones",
        "allocate-pc-1234",
        "allocate-dsl-patel",
        "allocate-hv-okafor",
        "oversight-assess",
    ]


# -- the raw log ----------------------------------------------------------------------------


def test_the_raw_log_as_known_at_t_holds_events_known_by_then_in_recording_order(
    queries: CaseQueries,
) -> None:
    """As known at the end of 15 January the log holds the eight events known by then."""
    events = queries.events(DEMO_CASE, as_known_at=at("2024-01-15"))
    assert names(events) == [
        "opened",
        "ava",
        "leo",
        "sam",
        "jay",
        "school-hungry",
        "hv-visit",
        "police-notification",
    ]
    positions = [event.position for event in events]
    assert positions == sorted(positions)
    assert all(event.known_at <= at("2024-01-15") for event in events)


def test_the_raw_log_now_holds_every_event_including_amendments(queries: CaseQueries) -> None:
    """As known now the log holds all 33 demo events, in recording order."""
    assert names(queries.events(DEMO_CASE)) == _DEMO_EVENT_NAMES


def test_the_raw_log_drops_a_retracted_event_only_once_its_retraction_is_known(
    queries: CaseQueries,
) -> None:
    """include_retracted=False hides the note from the end of 6 February, but not on the 5th."""
    on_5th = names(
        queries.events(
            DEMO_CASE,
            as_known_at=datetime(2024, 2, 5, 12, 0, tzinfo=UTC),
            include_retracted=False,
        )
    )
    now = names(queries.events(DEMO_CASE, include_retracted=False))
    assert "wrong-case-note" in on_5th
    assert "wrong-case-note" not in now
    assert "wrong-case-retracted" in now


def test_the_raw_log_to_one_agency_holds_its_own_and_shared_events(queries: CaseQueries) -> None:
    """To social care on 24 January 18:00Z: no school note, no health visit, but Ava's words."""
    events = names(
        queries.events(
            DEMO_CASE,
            as_known_at=datetime(2024, 1, 24, 18, 0, tzinfo=UTC),
            agency="social_care",
        )
    )
    assert "school-hungry" not in events
    assert "hv-visit" not in events
    assert "ava-voice" in events
    assert "school-shares" in events
    assert "ava-seen" in events


# -- incremental equals rebuilt -------------------------------------------------------------


def test_read_models_kept_incrementally_answer_as_a_rebuild_does(db_url: str) -> None:
    """Loading the demo batch by batch, then rebuilding, gives the same answers."""
    settings = Settings(db_url=db_url)
    service, runner = load(settings, [*demo_in_batches(3), second_case_events()])
    queries = CaseQueries(runner.views.engine, runner.views.log)
    moments: list[datetime | None] = [
        None,
        at("2024-01-16"),
        at("2024-01-25"),
        at("2024-02-02"),
        at("2024-02-15"),
    ]

    def answers() -> list[Any]:
        found: list[Any] = []
        for moment in moments:
            for agency in (None, "social_care", "health", "school", "police"):
                found.append(queries.chronology_json(DEMO_CASE, as_known_at=moment, agency=agency))
            found.append(
                [
                    p.model_dump()
                    for p in queries.plans(DEMO_CASE, on=date(2024, 6, 1), as_known_at=moment)
                ]
            )
            ava = queries.person_chronology("ava", as_known_at=moment)
            found.append([entry.model_dump() for entry in ava])
        return found

    incremental = answers()
    runner.rebuild()
    try:
        assert answers() == incremental
    finally:
        runner.views.engine.dispose()
        service.close()
