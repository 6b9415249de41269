"""Synthetic multi-agency cases for benchmarks and tests: realistic shapes, reproducible by seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

AGENCIES = ("police", "school", "health", "social_care", "housing", "probation")
ENTRY_TYPES = (
    ("contact_received", 14),
    ("note_added", 30),
    ("child_seen", 12),
    ("child_voice_recorded", 5),
    ("action_taken", 8),
    ("document_attached", 3),
)
# Case sizes: a median of about 120 events, from a short contact to years of work.
MIN_CASE_EVENTS, MAX_CASE_EVENTS = 8, 5_000
SIGNIFICANCE = (("routine", 70), ("significant", 25), ("key", 5))
SUMMARIES = (
    "Home visit; children seen, house cold and little food",
    "School reports attendance below 80% this half term",
    "GP appointment missed for the second time",
    "Police attended a report of shouting at the address",
    "Mother says she is struggling with the baby's feeding",
    "Child said she was worried about her mum",
    "Health visitor notes bruising on the forearm, explanation consistent",
    "Housing officer reports damp and overcrowding",
)


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in choices], [weight for _, weight in choices])[0]


def _uuid(rng: random.Random) -> str:
    return str(UUID(int=rng.getrandbits(128), version=4))


def generate_case(
    rng: random.Random, case_id: str, events: int, start: datetime | None = None
) -> list[dict[str, Any]]:
    """One case of about `events` events, in recording order, with every invariant respected.

    Agencies record with delays (source_recorded_at), share some entries, correct and
    retract a few; social care assesses, holds strategy discussions and conferences, runs
    plans naming the children, and records decisions.
    """
    start = start or datetime(2021, 1, 4, 9, 0, tzinfo=timezone.utc)
    # Spread the case over about three years, whatever its size.
    mean_step_hours = max(1, 3 * 365 * 24 // max(events, 1))
    children = [f"{case_id}-c{index}" for index in range(1, rng.randint(1, 3) + 1)]
    people = [*children, f"{case_id}-a1"]
    clock = start
    out: list[dict[str, Any]] = []
    entries: list[tuple[str, str]] = []  # (event_id, agency)
    retracted: set[str] = set()
    plan_open: str | None = None
    plan_count = 0
    assessment_open: str | None = None
    assessment_count = 0

    def base(kind: str, agency: str, occurred: datetime, known: datetime) -> dict[str, Any]:
        return {
            "event_id": _uuid(rng),
            "type": kind,
            "case_id": case_id,
            "occurred_at": occurred.isoformat(timespec="minutes"),
            "source_recorded_at": known.isoformat(timespec="minutes"),
            "agency": agency,
            "recorded_by": f"{agency}-{rng.randint(1, 40)}",
            "data": {},
        }

    for person in people:
        raw = base("person_added", "social_care", clock, clock)
        raw["occurred_at"] = clock.date().isoformat()
        raw["data"] = {"person_id": person, "role": "adult" if person.endswith("a1") else "child"}
        out.append(raw)

    while len(out) < events:
        clock += timedelta(hours=rng.randint(1, 2 * mean_step_hours), minutes=rng.randint(0, 59))
        roll = rng.random()
        agency = rng.choice(AGENCIES)
        known = clock
        occurred = clock - timedelta(hours=rng.choice((0, 0, 1, 4, 24, 72, 24 * 30)))
        live = [entry for entry in entries if entry[0] not in retracted]
        if roll < 0.05 and live:
            target, _ = rng.choice(live)
            raw = base("entry_corrected", "social_care", known, known)
            raw["data"] = {"target_event_id": target, "reason": "corrected on review",
                           "changes": {"summary": rng.choice(SUMMARIES) + " (corrected)"}}
        elif roll < 0.07 and live:
            target, _ = rng.choice(live)
            raw = base("entry_retracted", "social_care", known, known)
            raw["data"] = {"target_event_id": target, "reason": "recorded on the wrong case"}
            retracted.add(target)
        elif roll < 0.13 and live:
            shared = rng.sample(live, k=min(len(live), rng.randint(1, 3)))
            owner = shared[0][1]
            addressee = rng.choice([a for a in AGENCIES if a != owner])
            raw = base("information_shared", owner, known, known)
            raw["data"] = {"to_agency": addressee, "event_ids": [event_id for event_id, _ in shared],
                           "basis": "legal_duty"}
        elif roll < 0.16 and live:
            raw = base("decision_made", "social_care", known, known)
            raw["data"] = {
                "decision": rng.choice(("Single assessment", "No further action",
                                        "Strategy discussion", "Child in need plan")),
                "rationale": "Information to date",
                "information_relied_on": [event_id for event_id, _ in rng.sample(live, k=min(2, len(live)))],
                "urgency": rng.choice(("routine", "urgent")),
            }
        elif roll < 0.175:
            if plan_open is None:
                plan_count += 1
                plan_open = f"{case_id}-P{plan_count}"
                raw = base("plan_started", "social_care", known, known)
                kind = rng.choice(("child_in_need", "child_protection"))
                raw["data"] = {"plan_id": plan_open, "kind": kind,
                               "review_due": (known + timedelta(days=90)).date().isoformat()}
                if kind == "child_protection":
                    raw["data"]["category"] = rng.choice(("NEG", "PHY", "EMO", "SAB", "MUL"))
            elif rng.random() < 0.5:
                raw = base("plan_reviewed", "social_care", known, known)
                raw["data"] = {"plan_id": plan_open, "progress": "Some progress"}
            else:
                raw = base("plan_ended", "social_care", known, known)
                raw["data"] = {"plan_id": plan_open, "reason": "Progress sustained"}
                plan_open = None
            raw["subjects"] = children
        elif roll < 0.185:
            raw = base("assessment_started" if assessment_open is None else "assessment_completed",
                       "social_care", occurred, known)
            if assessment_open is None:
                assessment_count += 1
                assessment_open = f"{case_id}-A{assessment_count}"
                raw["data"] = {"assessment_id": assessment_open, "kind": "single"}
            else:
                raw["data"] = {"assessment_id": assessment_open, "outcome": "Child in need",
                               "factors": rng.sample(("2A", "3A", "4A", "6A", "21"), k=2)}
                assessment_open = None
            raw["subjects"] = children
        elif roll < 0.19:
            raw = base(rng.choice(("strategy_discussion_held", "conference_held")),
                       "social_care", occurred, known)
            if raw["type"] == "conference_held":
                raw["data"] = {"kind": rng.choice(("initial", "review")),
                               "outcome": rng.choice(("child_protection_plan", "no_plan"))}
            else:
                raw["data"] = {"agencies": ["police", "health", "school"],
                               "outcome": rng.choice(("section_47", "no_further_action"))}
            raw["subjects"] = children
        else:
            kind = _weighted(rng, ENTRY_TYPES)
            raw = base(kind, agency, occurred, known)
            raw["summary"] = rng.choice(SUMMARIES)
            raw["significance"] = _weighted(rng, SIGNIFICANCE)
            raw["subjects"] = rng.sample(children, k=1)
            if kind == "child_voice_recorded":
                raw["data"] = {"words": "I don't like it when they shout"}
            elif kind == "action_taken":
                raw["data"] = {"description": "Referral to family support", "status": "done"}
            elif kind == "document_attached":
                raw["data"] = {"name": "letter.pdf", "sha256": f"{rng.getrandbits(256):064x}"}
            elif kind == "contact_received":
                raw["data"] = {"contact_kind": "concern", "source_agency": agency,
                               "outcome": rng.choice(("no_further_action", "assessment"))}
            entries.append((raw["event_id"], agency))
        out.append(raw)
    return out


def realistic_case_size(rng: random.Random) -> int:
    """Events in one case: most families have tens to a few hundred, a few have thousands."""
    return max(MIN_CASE_EVENTS, min(MAX_CASE_EVENTS, round(rng.lognormvariate(4.8, 0.9))))


def generate_cases(
    cases: int, events_per_case: int | None = None, seed: int = 1
) -> Iterator[list[dict[str, Any]]]:
    """`cases` synthetic cases, one list of raw events per case; the same seed, the same cases.

    Without `events_per_case` each case's size is drawn from `realistic_case_size`.
    """
    rng = random.Random(seed)
    for index in range(cases):
        size = events_per_case or realistic_case_size(rng)
        yield generate_case(rng, f"SYN-{seed}-{index:06d}", size)
