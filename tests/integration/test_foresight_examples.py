"""Worked foresight examples on real SQLite files: the demo case and a small hand-built case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest

from api.bootstrap import bootstrap
from api.samples.demo import DEMO_CASE, demo_case_events, demo_id
from api.settings import Settings
from domain.errors import CaseNotFound
from events.envelope import parse_event
from events.timepoints import start_of
from replay.foresight import (
    ForesightEntry,
    ForesightView,
    NotADecision,
    OrderUncertainEntry,
    foresight_view,
)
from replay.queries import CaseQueries

HAND_CASE = "FAM-FS"


def hand_id(name: str) -> str:
    """A fixed event id for each event of the hand-built case."""
    return str(uuid5(NAMESPACE_URL, f"urn:foresight:test:{HAND_CASE}:{name}"))


def hand_event(
    name: str,
    type: str,
    occurred_at: str,
    agency: str,
    source_recorded_at: str,
    **fields: Any,
) -> dict[str, Any]:
    """One raw event of the hand-built case, known from `source_recorded_at`."""
    return {
        "event_id": hand_id(name),
        "type": type,
        "case_id": HAND_CASE,
        "occurred_at": occurred_at,
        "agency": agency,
        "recorded_by": f"{agency}-1",
        "source_recorded_at": source_recorded_at,
        **fields,
    }


def hand_case_events() -> list[dict[str, Any]]:
    """A summer case (BST), so that "the end of the local day" is 22:59:59.999999Z."""
    kit = {"subjects": ["kit"]}
    return [
        hand_event("opened", "case_opened", "2024-07-01", "social_care", "2024-07-01T08:00:00Z"),
        hand_event(
            "kit",
            "person_added",
            "2024-07-01",
            "social_care",
            "2024-07-01T08:00:00Z",
            data={"person_id": "kit", "role": "child"},
        ),
        hand_event(
            "hv-note",
            "child_seen",
            "2024-07-01T09:00:00Z",
            "health",
            "2024-07-01T09:30:00Z",
            summary="Kit seen at clinic, bruise on arm",
            significance="significant",
            data={"where": "clinic"},
            **kit,
        ),
        hand_event(
            "sc-note",
            "note_added",
            "2024-07-01T10:00:00Z",
            "social_care",
            "2024-07-01T10:05:00Z",
            summary="Call with grandmother",
            **kit,
        ),
        hand_event(
            "sc-visit",
            "child_seen",
            "2024-07-01T11:00:00Z",
            "social_care",
            "2024-07-01T11:30:00Z",
            summary="Kit seen",
            data={"where": "school"},
            **kit,
        ),
        hand_event(
            "sc-visit-corrected",
            "entry_corrected",
            "2024-07-01T12:00:00Z",
            "social_care",
            "2024-07-01T12:00:00Z",
            data={
                "target_event_id": hand_id("sc-visit"),
                "changes": {"data": {"where": "home"}},
                "reason": "Wrong place",
            },
        ),
        # Dated by day only, but recorded at 14:00Z that day: the cutoff is 14:00Z.
        hand_event(
            "decision-day",
            "decision_made",
            "2024-07-02",
            "social_care",
            "2024-07-02T14:00:00Z",
            summary="Home visit within a week",
            significance="key",
            data={"decision": "Home visit within a week"},
            **kit,
        ),
        hand_event(
            "sc-evening",
            "child_seen",
            "2024-07-02T16:00:00Z",
            "social_care",
            "2024-07-02T16:30:00Z",
            summary="Kit seen at home",
            data={"where": "home"},
            **kit,
        ),
        # 22:30 BST on 3 July, known 23:30 BST on 3 July: before the end of that local day.
        hand_event(
            "sc-late-evening",
            "note_added",
            "2024-07-03T21:30:00Z",
            "social_care",
            "2024-07-03T22:30:00Z",
            summary="Grandmother called back",
            **kit,
        ),
        # 00:30 BST on 4 July: the next local day, after the end-of-day cutoff of 3 July.
        hand_event(
            "sc-after-midnight",
            "note_added",
            "2024-07-03T23:00:00Z",
            "social_care",
            "2024-07-03T23:30:00Z",
            summary="Out-of-hours call",
            **kit,
        ),
        # Dated by day only, recorded three days later: the cutoff is the end of 3 July (BST).
        hand_event(
            "decision-late",
            "decision_made",
            "2024-07-03",
            "social_care",
            "2024-07-06T10:00:00Z",
            summary="Strategy discussion",
            significance="key",
            data={"decision": "Hold a strategy discussion"},
            **kit,
        ),
        hand_event(
            "health-shares",
            "information_shared",
            "2024-07-04T09:00:00Z",
            "health",
            "2024-07-04T09:00:00Z",
            summary="Clinic visit shared",
            data={"to_agency": "social_care", "event_ids": [hand_id("hv-note")]},
        ),
        hand_event(
            "sc-note-retracted",
            "entry_retracted",
            "2024-07-05T12:00:00Z",
            "social_care",
            "2024-07-05T12:00:00Z",
            data={"target_event_id": hand_id("sc-note"), "reason": "Wrong family"},
        ),
        hand_event(
            "police-late",
            "contact_received",
            "2024-06-28T22:00:00Z",
            "police",
            "2024-07-10T09:00:00Z",
            summary="Earlier call-out entered late",
            significance="significant",
            data={"contact_kind": "notification"},
            **kit,
        ),
    ]


@pytest.fixture(scope="module")
def queries(store_url: Callable[[], str]) -> Iterator[CaseQueries]:
    """The demo case and the hand-built case, stored once and projected."""
    settings = Settings(db_url=store_url())
    foresight = bootstrap(settings)
    service = foresight.service
    service.append([parse_event(raw) for raw in demo_case_events()])
    service.append([parse_event(raw) for raw in hand_case_events()])
    runner = foresight.runner
    runner.catch_up()
    yield CaseQueries(runner.views.engine, runner.views.log)
    runner.views.engine.dispose()
    service.close()


@pytest.fixture(scope="module")
def assess(queries: CaseQueries) -> ForesightView:
    """The foresight view of the demo's first decision (single assessment)."""
    return foresight_view(queries, DEMO_CASE, demo_id("decision-assess"))


@pytest.fixture(scope="module")
def s47(queries: CaseQueries) -> ForesightView:
    """The foresight view of the demo's second decision (section 47 enquiries)."""
    return foresight_view(queries, DEMO_CASE, demo_id("decision-s47"))


def ids(group: list[ForesightEntry]) -> list[str]:
    """The event ids of a foresight group, in its order."""
    return [str(item.entry.event_id) for item in group]


def find(view: ForesightView, event_id: str) -> tuple[str, ForesightEntry] | None:
    """The group an event is in, and its foresight entry, or None if in no group."""
    found = [
        (name, item)
        for name in ("known_to_decider", "held_elsewhere", "learned_later", "order_uncertain")
        for item in getattr(view, name)
        if str(item.entry.event_id) == event_id
    ]
    assert len(found) <= 1, f"{event_id} is in more than one group: {[name for name, _ in found]}"
    return found[0] if found else None


def group_of(view: ForesightView, event_id: str) -> str | None:
    """The name of the group an event is in, or None."""
    found = find(view, event_id)
    return found[0] if found else None


def utc(text: str) -> datetime:
    """An aware UTC instant from ISO text."""
    return datetime.fromisoformat(text).astimezone(UTC)


# -- the demo's first decision -------------------------------------------------------------


def test_the_first_decision_is_cut_off_at_its_occurred_time(assess: ForesightView) -> None:
    """decision-assess occurred 11:00Z and was recorded 11:30Z, so the cutoff is 11:00Z."""
    assert assess.cutoff == utc("2024-01-16T11:00:00+00:00")
    assert assess.deciding_agency == "social_care"
    assert str(assess.decision.event_id) == demo_id("decision-assess")


def test_the_school_note_and_unshared_health_visit_were_held_elsewhere(
    assess: ForesightView,
) -> None:
    """The school's hunger note and the health visit (shared on 25 January) were held elsewhere."""
    assert group_of(assess, demo_id("school-hungry")) == "held_elsewhere"
    assert group_of(assess, demo_id("hv-visit")) == "held_elsewhere"
    assert set(ids(assess.held_elsewhere)) == {demo_id("school-hungry"), demo_id("hv-visit")}


def test_the_police_notification_was_known_to_the_first_decider(assess: ForesightView) -> None:
    """The police notification recorded by social care was known to social care at 11:00."""
    assert group_of(assess, demo_id("police-notification")) == "known_to_decider"
    item = find(assess, demo_id("police-notification"))[1]  # type: ignore[index]
    assert not item.changed_later
    assert not item.retracted_later
    assert item.now is None


def test_the_late_police_record_was_learned_later_by_the_first_decision(
    assess: ForesightView,
) -> None:
    """The police call-out of 5 January, recorded on 2 February, is the only entry learned later."""
    assert ids(assess.learned_later) == [demo_id("police-earlier")]


def test_no_decision_appears_in_its_own_foresight_view(
    assess: ForesightView, s47: ForesightView
) -> None:
    """A decision is in none of its own groups."""
    assert group_of(assess, demo_id("decision-assess")) is None
    assert group_of(s47, demo_id("decision-s47")) is None


def test_entries_known_only_after_the_first_cutoff_and_occurring_after_it_are_in_no_group(
    assess: ForesightView,
) -> None:
    """Events after the decision (11:00) and known after it belong to no group."""
    for name in ("ava-voice", "ava-seen", "decision-s47", "cp-plan"):
        assert group_of(assess, demo_id(name)) is None, name


def test_the_assessment_dated_only_to_the_decisions_day_is_order_uncertain(
    assess: ForesightView,
) -> None:
    """The assessment started on 16 January (no time), recorded at 12:00: it may have started
    before the 11:00 decision or after it. Had it come first it was learned later."""
    group, item = find(assess, demo_id("assessment-1"))  # type: ignore[misc]
    assert group == "order_uncertain"
    assert isinstance(item, OrderUncertainEntry)
    assert item.would_join == "learned_later"
    assert [str(entry.entry.event_id) for entry in assess.order_uncertain] == [
        demo_id("assessment-1")
    ]


def test_no_amending_event_appears_as_an_entry_in_any_group(
    assess: ForesightView, s47: ForesightView
) -> None:
    """Corrections, marks and retractions are applied to entries, never listed as entries."""
    for view in (assess, s47):
        for name in ("ava-seen-corrected", "wrong-case-retracted", "hv-marked"):
            assert group_of(view, demo_id(name)) is None, name


# -- the demo's second decision ------------------------------------------------------------


def test_the_second_decision_is_cut_off_at_its_occurred_time(s47: ForesightView) -> None:
    """decision-s47 occurred 15:00Z and was recorded 15:30Z, so the cutoff is 15:00Z."""
    assert s47.cutoff == utc("2024-01-26T15:00:00+00:00")


def test_the_shared_health_visit_was_known_to_the_second_decider_as_it_stood(
    s47: ForesightView,
) -> None:
    """hv-visit, shared on 25 January, was known as 'significant'; the later mark is flagged."""
    group, item = find(s47, demo_id("hv-visit"))  # type: ignore[misc]
    assert group == "known_to_decider"
    assert item.entry.significance == "significant"
    assert item.changed_later is True
    assert item.retracted_later is False
    assert item.now is not None
    assert item.now.significance == "key"


def test_the_child_seen_entry_appears_uncorrected_with_its_correction_flagged(
    s47: ForesightView,
) -> None:
    """ava-seen stood with where='school' at the cutoff; the 1 February correction is `now`."""
    group, item = find(s47, demo_id("ava-seen"))  # type: ignore[misc]
    assert group == "known_to_decider"
    assert item.entry.data["where"] == "school"
    assert item.entry.corrected is False
    assert item.changed_later is True
    assert item.now is not None
    assert item.now.data["where"] == "home, with Sam in the next room"
    assert item.now.corrected is True


def test_the_school_note_is_still_held_elsewhere_at_the_second_decision(s47: ForesightView) -> None:
    """The school's hunger note was never shared, so it is held elsewhere again (and alone)."""
    assert ids(s47.held_elsewhere) == [demo_id("school-hungry")]


def test_the_second_decider_knew_the_childs_words_the_first_decision_and_the_strategy_meeting(
    s47: ForesightView,
) -> None:
    """Ava's words (shared by school), the first decision and the strategy discussion were known."""
    known = set(ids(s47.known_to_decider))
    for name in (
        "ava-voice",
        "school-shares",
        "decision-assess",
        "strategy",
        "police-notification",
        "health-shares",
    ):
        assert demo_id(name) in known, name


def test_the_late_police_record_was_learned_later_by_the_second_decision(
    s47: ForesightView,
) -> None:
    """The police call-out of 5 January, known 2 February, was learned after the second decision."""
    assert ids(s47.learned_later) == [demo_id("police-earlier")]


def test_the_wrong_case_note_is_in_no_group_of_either_decision(
    assess: ForesightView, s47: ForesightView
) -> None:
    """The note (occurred 5 February, retracted 6 February) happened after both decisions."""
    assert group_of(assess, demo_id("wrong-case-note")) is None
    assert group_of(s47, demo_id("wrong-case-note")) is None


def test_each_group_is_in_occurred_order(s47: ForesightView, assess: ForesightView) -> None:
    """Every group lists its entries in the order they happened."""
    for view in (assess, s47):
        for group in (view.known_to_decider, view.held_elsewhere, view.learned_later):
            keys = [(start_of(item.entry.occurred_at), item.entry.position) for item in group]
            assert keys == sorted(keys)


def test_a_foresight_view_serialises_to_json(s47: ForesightView) -> None:
    """The view round-trips through JSON (the API and CLI send it that way)."""
    again = ForesightView.model_validate_json(s47.model_dump_json())
    assert ids(again.known_to_decider) == ids(s47.known_to_decider)
    assert again.cutoff == s47.cutoff


# -- refusals ------------------------------------------------------------------------------


def test_an_event_that_is_not_a_decision_is_refused(queries: CaseQueries) -> None:
    """Asking for the foresight view of a child_seen entry raises NotADecision."""
    with pytest.raises(NotADecision):
        foresight_view(queries, DEMO_CASE, demo_id("ava-seen"))


def test_an_unknown_event_id_is_refused_as_not_a_decision(queries: CaseQueries) -> None:
    """An event id the case has never held raises NotADecision."""
    with pytest.raises(NotADecision):
        foresight_view(queries, DEMO_CASE, str(uuid4()))


def test_a_decision_of_another_case_is_refused(queries: CaseQueries) -> None:
    """A decision of FAM-FS asked about under FAM-0042 is not a decision of FAM-0042."""
    with pytest.raises(NotADecision):
        foresight_view(queries, DEMO_CASE, hand_id("decision-day"))


def test_an_unknown_case_is_refused(queries: CaseQueries) -> None:
    """A case the store has never held raises CaseNotFound."""
    with pytest.raises(CaseNotFound):
        foresight_view(queries, "FAM-NOPE", demo_id("decision-assess"))


# -- the hand-built case ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def day_decision(queries: CaseQueries) -> ForesightView:
    """A decision dated 2 July only, recorded at 14:00Z that day."""
    return foresight_view(queries, HAND_CASE, hand_id("decision-day"))


@pytest.fixture(scope="module")
def late_decision(queries: CaseQueries) -> ForesightView:
    """A decision dated 3 July only, recorded on 6 July."""
    return foresight_view(queries, HAND_CASE, hand_id("decision-late"))


def test_a_date_only_decision_recorded_that_day_is_cut_off_when_recorded(
    day_decision: ForesightView,
) -> None:
    """The end of 2 July is after the decision's known_at (14:00Z), so the cutoff is 14:00Z."""
    assert day_decision.cutoff == utc("2024-07-02T14:00:00+00:00")


def test_a_date_only_decision_recorded_later_is_cut_off_at_the_end_of_its_local_day(
    late_decision: ForesightView,
) -> None:
    """Recorded on 6 July, a decision of 3 July is cut off at 23:59:59.999999 BST on 3 July."""
    assert late_decision.cutoff == utc("2024-07-03T22:59:59.999999+00:00")


def test_entries_known_before_the_end_of_the_local_day_are_known_and_after_it_are_not(
    late_decision: ForesightView,
) -> None:
    """Known at 23:30 BST on 3 July: known (though, on the decision's own day, it may have come
    after a decision dated by day only: order uncertain, would have been known); known at
    00:30 BST on 4 July: in no group."""
    group, item = find(late_decision, hand_id("sc-late-evening"))  # type: ignore[misc]
    assert group == "order_uncertain"
    assert isinstance(item, OrderUncertainEntry)
    assert item.would_join == "known_to_decider"
    assert group_of(late_decision, hand_id("sc-evening")) == "known_to_decider"
    assert group_of(late_decision, hand_id("sc-after-midnight")) is None


def test_an_entry_known_after_a_same_day_cutoff_is_not_known_to_the_decider(
    day_decision: ForesightView,
) -> None:
    """Kit seen at 16:00Z on the decision's day, recorded 16:30Z, is after the 14:00Z cutoff."""
    assert group_of(day_decision, hand_id("sc-evening")) is None
    assert group_of(day_decision, hand_id("sc-note")) == "known_to_decider"


def test_an_entry_shared_to_the_decider_only_after_the_cutoff_was_held_elsewhere(
    day_decision: ForesightView, late_decision: ForesightView
) -> None:
    """Health's clinic note, shared with social care on 4 July, was held elsewhere at both."""
    for view in (day_decision, late_decision):
        assert ids(view.held_elsewhere) == [hand_id("hv-note")]
        assert hand_id("hv-note") not in ids(view.known_to_decider)
        item = view.held_elsewhere[0]
        assert item.changed_later is False
        assert item.retracted_later is False


def test_the_sharing_event_after_the_cutoff_is_in_no_group(
    day_decision: ForesightView, late_decision: ForesightView
) -> None:
    """The information_shared event of 4 July happened after both decisions."""
    for view in (day_decision, late_decision):
        assert group_of(view, hand_id("health-shares")) is None


def test_an_entry_retracted_after_the_cutoff_is_shown_with_retracted_later(
    day_decision: ForesightView, late_decision: ForesightView
) -> None:
    """The note retracted on 5 July stays in known_to_decider, flagged retracted_later."""
    for view in (day_decision, late_decision):
        group, item = find(view, hand_id("sc-note"))  # type: ignore[misc]
        assert group == "known_to_decider"
        assert item.retracted_later is True
        assert item.entry.retracted is False
        assert item.entry.summary == "Call with grandmother"
        assert item.now is None


def test_an_earlier_incident_recorded_late_by_another_agency_was_learned_later(
    day_decision: ForesightView, late_decision: ForesightView
) -> None:
    """The police call-out of 28 June, recorded on 10 July, was learned after both decisions."""
    for view in (day_decision, late_decision):
        assert ids(view.learned_later) == [hand_id("police-late")]
        assert view.learned_later[0].entry.agency == "police"


def test_a_correction_known_before_the_cutoff_is_applied_and_not_flagged(
    day_decision: ForesightView, late_decision: ForesightView
) -> None:
    """sc-visit, corrected on 1 July, appears corrected to both deciders, not changed later."""
    for view in (day_decision, late_decision):
        group, item = find(view, hand_id("sc-visit"))  # type: ignore[misc]
        assert group == "known_to_decider"
        assert item.entry.data["where"] == "home"
        assert item.entry.corrected is True
        assert item.changed_later is False
        assert item.now is None


def test_the_earlier_decision_is_known_to_the_later_one(late_decision: ForesightView) -> None:
    """decision-day (known 2 July 14:00Z) is known to the decider of 3 July."""
    assert group_of(late_decision, hand_id("decision-day")) == "known_to_decider"
