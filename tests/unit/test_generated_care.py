"""The generated authority's looked-after children and core groups: present, in order, and
accepted by the case's invariants."""

from __future__ import annotations

from collections import Counter
from datetime import date

from api.samples.generator import generate_authority
from domain.service import CaseService
from events.envelope import parse_event
from events.timepoints import local_date, parse_timepoint


def _day(event: dict[str, object]) -> date:
    return local_date(parse_timepoint(event["occurred_at"]))


def test_some_children_become_looked_after_and_core_groups_follow_conferences() -> None:
    """Legal status, placements (some moves, some ends of care), missing episodes and core
    groups appear; each core group falls on or after its case's initial conference."""
    families = generate_authority(150, year=2026, seed=7)
    types = Counter(event["type"] for family in families for event in family)
    for kind in (
        "legal_status_changed",
        "placement_started",
        "placement_ended",
        "missing_episode_recorded",
        "core_group_held",
    ):
        assert types[kind] > 0, kind
    reasons = Counter(
        event["data"]["reason"]
        for family in families
        for event in family
        if event["type"] == "placement_ended"
    )
    assert reasons["X1"] > 0
    assert sum(reasons.values()) > reasons["X1"]
    for family in families:
        initial = [
            _day(event)
            for event in family
            if event["type"] == "conference_held" and event["data"]["kind"] == "initial"
        ]
        for event in family:
            if event["type"] == "core_group_held":
                assert any(held <= _day(event) for held in initial)


def test_the_generated_authority_keeps_every_invariant_and_is_the_same_for_a_seed(
    service: CaseService,
) -> None:
    """Every family is accepted as generated (a placement ends once, after its start; a
    missing episode ends after it starts); the same seed gives the same events."""
    families = generate_authority(80, year=2025, seed=3)
    assert families == generate_authority(80, year=2025, seed=3)
    for family in families:
        outcome = service.append([parse_event(event) for event in family])
        assert outcome.new_count == len(family)
