"""The generated authority's looked-after children and core groups: present, in order, and
accepted by the case's invariants."""

from __future__ import annotations

from collections import Counter
from datetime import date

from api.samples.generator import HOME_POSTCODES, NEIGHBOURING_POSTCODES, generate_authority
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


def test_looked_after_children_have_a_home_a_social_worker_and_reviews() -> None:
    """Each looked-after child's first placement records the family's full home postcode and
    every placement a full one elsewhere (own provision, PR1, inside Leeds); a social worker
    is allocated the day care starts; the care plan's reviews say how each child took part,
    PN0 exactly when under 4; the referral's need is an SSDA903 one (N1-N8)."""
    families = generate_authority(150, year=2026, seed=7)
    looked_after = [f for f in families if any(e["type"] == "placement_started" for e in f)]
    assert len(looked_after) > 5
    for family in looked_after:
        born = {
            e["data"]["person_id"]: date.fromisoformat(e["data"]["date_of_birth"])
            for e in family
            if e["type"] == "person_added" and "date_of_birth" in e["data"]
        }
        placements = [e for e in family if e["type"] == "placement_started"]
        first_day = min(_day(e) for e in placements)
        homes = {e["data"]["home_postcode"] for e in placements if e["data"]["reason"] == "S"}
        assert len(homes) == 1
        assert homes <= set(HOME_POSTCODES)
        for placement in placements:
            data = placement["data"]
            assert data["postcode"] in {*HOME_POSTCODES, *NEIGHBOURING_POSTCODES} - homes
            assert data["provider"] != "PR1" or data["postcode"] in HOME_POSTCODES
        allocated = [e for e in family if e["type"] == "worker_allocated"]
        assert allocated
        assert min(_day(e) for e in allocated) == first_day
        [need] = [e["data"]["primary_need"] for e in family if e["type"] == "contact_received"]
        assert need not in ("N0", "N9")
        reviews = [e for e in family if e["type"] == "plan_reviewed"]
        assert reviews
        for review in reviews:
            [child] = review["subjects"]
            age = _day(review).year - born[child].year
            if (_day(review).month, _day(review).day) < (born[child].month, born[child].day):
                age -= 1
            assert (review["data"]["participation"] == "PN0") == (age < 4)
