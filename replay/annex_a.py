"""Ofsted's Annex A lists 1-8 (ILACS) as rows, projected from chronologies as known at T.

Pure: it reads each case's chronology (entries as known at some time, to the record or to one
agency, corrections applied, retractions left out) and says which row each fact gives. Columns
follow Ofsted's Annex A template as encoded by Social Finance's `liia-tools`
(`liiatools/annex_a_pipeline/spec/Annex_A_schema.yml`); values use the template's drop-down
labels ("b) Female", "q) 6: Police", "N1 - Abuse or neglect"). A column the event vocabulary
cannot answer stays blank and is listed in `BLANK_COLUMNS` with the reason, never guessed.

Dates are local calendar dates of `occurred_at`. The period [`period_from`, `period_to`] is
inclusive at both ends; ages are whole years on `period_to`, and the "last 12 months"
counts are of the twelve months up to and including `period_to` (the date the lists are for).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, get_args

from events.codes import STILL_LOOKED_AFTER, Ethnicity
from events.timepoints import local_date, parse_timepoint
from events.vocabulary import ALLOCATION_TYPES, CARE_TYPES
from projections.fold import ChronologyEntry
from replay.looked_after import care_periods
from replay.queries import CaseQueries
from replay.referrals import is_referral
from replay.timeliness import add_months

Cell = str | int | date | None

IDENTITY = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)")
DISABILITY = "Does the Child have a Disability"
ALLOCATED = ("Allocated Team", "Allocated Worker")


# List 8 columns, filled from legal status, placements and missing episodes where recorded.
_LEGAL_STATUS = ("Start date of current legal status", "Child's Legal Status")
_CARE_RECORD = (
    "What is the permanence plan for this child?",
    "Date of Last IRO Visit / Contact to the Child",
    "Date of Last Health Assessment",
    "Date of Last Dental Check",
    "Number of Placements in the Last 12 months",
)
_PLACEMENT = (
    "Start Date of Most Recent Placement",
    "Placement Type",
    "Placement Provider",
    "Placement postcode",
    "URN of Placement",
    "Placement Location",
    "LA of Placement",
    "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
    "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
    "Was the child offered a Return Interview after their last missing episode (Y/N)?",
    "Did the child accept a Return Interview after their last missing episode (Y/N)?",
)
EMERGENCY_PROTECTION = (
    "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months "
    "(Y/N)"
)


@dataclass(frozen=True)
class ListSpec:
    """One Annex A list: its sheet name, CSV file stem and columns in the template's order."""

    number: int
    sheet: str
    stem: str
    columns: tuple[str, ...]


LISTS: tuple[ListSpec, ...] = (
    ListSpec(
        1, "List 1 Contacts", "list_1_contacts", (*IDENTITY, "Date of Contact", "Contact Source")
    ),
    ListSpec(
        2,
        "List 2 Early help",
        "list_2_early_help",
        (
            *IDENTITY,
            "Assessment start date",
            "Assessment completion date",
            "Organisation completing assessment",
        ),
    ),
    ListSpec(
        3,
        "List 3 Referrals",
        "list_3_referrals",
        (
            *IDENTITY,
            "Date of referral",
            "Referral Source",
            "Referral NFA?",
            "Number of Referrals in Last 12 Months",
            *ALLOCATED,
        ),
    ),
    ListSpec(
        4,
        "List 4 Assessments",
        "list_4_assessments",
        (
            *IDENTITY,
            DISABILITY,
            "Continuous Assessment Start Date",
            "Child Seen During Continuous Assessment",
            "Continuous Assessment Date of Authorisation",
            "Was the child assessed as requiring LA children's social care support?",
            *ALLOCATED,
        ),
    ),
    ListSpec(
        5,
        "List 5 Section 47",
        "list_5_section_47",
        (
            *IDENTITY,
            DISABILITY,
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "Was an Initial Child Protection Conference deemed unnecessary?",
            "Date of Initial Child Protection Conference",
            "Did the Initial Child Protection Conference Result in a Child Protection Plan",
            "Number of Section 47 Enquiries in the last 12 months",
            "Number of ICPCs in the last 12 months",
            *ALLOCATED,
        ),
    ),
    ListSpec(
        6,
        "List 6 Children in need",
        "list_6_children_in_need",
        (
            *IDENTITY,
            DISABILITY,
            "CIN Start Date",
            "Primary Need Code",
            "Date Child Was Last Seen",
            "CIN Closure Date",
            "Reason for Closure",
            "Case Status",
            *ALLOCATED,
        ),
    ),
    ListSpec(
        7,
        "List 7 Child protection",
        "list_7_child_protection",
        (
            *IDENTITY,
            DISABILITY,
            "Child Protection Plan Start Date",
            "Initial Category of Abuse",
            "Latest Category of Abuse",
            "Date of the Last Statutory Visit",
            "Was the Child Seen Alone?",
            "Date of latest review conference",
            "Child Protection Plan End Date",
            EMERGENCY_PROTECTION,
            "Number of Previous Child Protection Plans",
            *ALLOCATED,
        ),
    ),
    ListSpec(
        8,
        "List 8 Children looked after",
        "list_8_children_looked_after",
        (
            *IDENTITY,
            "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
            DISABILITY,
            "Date Started to be Looked After",
            "Child's Category of Need",
            (
                "Is this a second or subsequent period of being a Looked After Child within the "
                "last 12 months (Y/N)"
            ),
            *_LEGAL_STATUS,
            "Date of Latest Statutory Review",
            "Date of Last Social Work Visit",
            *_CARE_RECORD,
            "Date Ceased to be Looked After",
            "Reason Ceased to be Looked After",
            *_PLACEMENT,
            *ALLOCATED,
        ),
    ),
)

_NO_CARE_RECORD = "the vocabulary has no permanence plan, IRO, health or dental events"
_NO_LOCATION = "placements record a partial postcode, not whether it is inside the authority"
# Columns the event vocabulary cannot answer: always blank, never inferred.
BLANK_COLUMNS: dict[str, str] = {
    "Was the child assessed as requiring LA children's social care support?": (
        "`assessment_completed.outcome` is free text, not a coded answer"
    ),
    "Was an Initial Child Protection Conference deemed unnecessary?": (
        "no event records that a conference was judged unnecessary; answered 'b) No' only "
        "when an initial conference is recorded, blank otherwise"
    ),
    "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)": (
        "`person_added` has no UASC field"
    ),
    **dict.fromkeys(_CARE_RECORD[:4], _NO_CARE_RECORD),
    "Placement Location": _NO_LOCATION,
    "LA of Placement": _NO_LOCATION,
    "Did the child accept a Return Interview after their last missing episode (Y/N)?": (
        "`missing_episode_recorded` records whether a return interview was offered, not "
        "whether it was accepted"
    ),
}
# Read from the record, but only for the reporting agency when one is named (else any agency).
ALLOCATION_NOTE = (
    "Allocated Team and Worker: the workers allocated to the row's case on the last day of the "
    "period (worker_allocated), by the reporting agency when one is named; several are joined "
    "with '; '. Child's Legal Status, placements and missing episodes: from legal_status_changed, "
    "placement_started/ended and missing_episode_recorded; list 8 has a row per looked_after "
    "plan and per period of care read from legal status and placements with no such plan."
)

YES, NO, UNKNOWN = "a) Yes", "b) No", "c) Unknown"
GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded"}
ETHNICITY = {
    code: f"{letter}) {code}"
    for letter, code in zip("abcdefghijklmnopqrst", get_args(Ethnicity), strict=True)
}
SOURCE = {
    "1A": "a) 1A: Individual",
    "1B": "b) 1B: Individual",
    "1C": "c) 1C: Individual",
    "1D": "d) 1D: Individual",
    "2A": "e) 2A: Schools",
    "2B": "f) 2B: Education services",
    "3A": "g) 3A: Health services",
    "3B": "h) 3B: Health services",
    "3C": "i) 3C: Health services",
    "3D": "j) 3D: Health services",
    "3E": "k) 3E: Health services",
    "3F": "l) 3F: Health services",
    "4": "m) 4: Housing",
    "5A": "n) 5A: LA services",
    "5B": "o) 5B: LA services",
    "5C": "p) 5C: LA services",
    "5D": "p1) 5D: LA services",
    "6": "q) 6: Police",
    "7": "r) 7: Other legal agency",
    "8": "s) 8: Other",
    "9": "t) 9: Anonymous",
    "10": "u) 10: Unknown",
}
NEED = {
    "N0": "N0 - Not stated",
    "N1": "N1 - Abuse or neglect",
    "N2": "N2 - Child's disability",
    "N3": "N3 - Parental disability or illness",
    "N4": "N4 - Family in acute stress",
    "N5": "N5 - Family dysfunction",
    "N6": "N6 - Socially unacceptable behaviour",
    "N7": "N7 - Low income",
    "N8": "N8 - Absent parenting",
    "N9": "N9 - Cases other than children in need",
}
CLOSURE = {
    "RC1": "RC1 - Adopted",
    "RC2": "RC2 - Died",
    "RC3": "RC3 - Child arrangements order",
    "RC4": "RC4 - Special guardianship order",
    "RC5": "RC5 - Transferred to services of another local authority",
    "RC6": "RC6 - Transferred to adult social care services",
    "RC7": "RC7 - Services ceased for any other reason, including child no longer in need",
    "RC8": "RC8 - Case closed after assessment, no further action",
    "RC9": "RC9 - Case closed after assessment, referred to early help",
}
ABUSE = {
    "NEG": "a) Neglect",
    "PHY": "b) Physical abuse",
    "SAB": "c) Sexual abuse",
    "EMO": "d) Emotional abuse",
    "MUL": "e) Multiple/not recommended",
}
# The template's drop-down labels for the SSDA903 codes (codes it has no label for, newer than
# it, are shown as the bare code).
LEGAL_STATUS = {
    "C1": "C1: ICO",
    "C2": "C2: FCO",
    "D1": "D1: Freeing order",
    "E1": "E1: Placement order",
    "J1": "J1: Remanded to LA or youth detention",
    "J2": "J2: LA accommodation under PACE",
    "J3": "J3: Youth rehabilitation order",
    "L1": "L1: Police protection LA accommodation",
    "L2": "L2: EPO",
    "L3": "L3: Child assessment order LA accommodation",
    "V2": "V2: Single period under S20",
    "V3": "V3: Short term breaks, episodes recorded",
    "V4": "V4: Short term breaks, agreements recorded",
}
PLACEMENT_TYPE = {
    "U1": "a) U1: Foster placement - relatives - long term",
    "U2": "b) U2: Foster placement - relative - FFA",
    "U3": "c) U3: Foster placement - relative - not FFA",
    "U4": "d) U4: Foster placement - long term",
    "U5": "e) U5: Foster placement - FFA",
    "U6": "f) U6: Foster placement - not FFA",
    "A3": "g) A3: Placed for adoption - consent - current foster",
    "A4": "h) A4: Placed for adoption - consent - not foster",
    "A5": "i) A5: Placed for adoption - order - foster",
    "A6": "j) A6: Placed for adoption - order - not foster",
    "P1": "k) P1: Placed with parents",
    "P3": "m) P3: Residential employment",
    "K1": "o) K1: Secure Children's Homes",
    "K2": "p) K2: Children's Homes",
    "R1": "q) R1: Residential Care Home",
    "R2": "r) R2: NHS/Health Trust",
    "R3": "s) R3: Family Centre or Mother and Baby Unit",
    "R5": "t) R5: Young Offender Institution",
    "S1": "u) S1: Residential school",
    "T0": "w) T0: Temporary placement",
    "T1": "x) T1: Temporary placement - hospital",
    "T2": "y) T2: Temporary placement - holiday",
    "T3": "z) T3: Temporary placement - carer holiday",
    "T4": "zz) T4: Temporary placement - seven days or less",
}
PLACEMENT_PROVIDER = {
    "PR0": "a) PR0: Parents/Parental responsibility",
    "PR1": "b) PR1: Own provision",
    "PR2": "c) PR2: Other LA provision",
    "PR3": "d) PR3: Other public provision",
    "PR4": "e) PR4: Private provision",
    "PR5": "f) PR5: Voluntary/third sector",
}
REASON_CEASED = {
    "E11": "a) E11: Adopted - application unopposed",
    "E12": "b) E12: Adopted - consent dispensed",
    "E2": "c) E2: Died",
    "E3": "d) E3: Care taken by another LA",
    "E4A": "e) E4A: Returned home to live with parents or relatives - part of planning",
    "E4B": "f) E4B: Returned home to live with parents or relatives - not part of planning",
    "E13": "g) E13: Parents, relatives or other with no parental responsibility",
    "E41": "h) E41: Residence order granted",
    "E45": "i) E45: Special Guardianship Orders - former carer relative/friend",
    "E46": "j) E46: Special Guardianship Orders - former carer other",
    "E47": "k) E47: Special Guardianship Orders - relative/friend",
    "E48": "l) E48: Special Guardianship Orders - other",
    "E5": "m) E5: Moved into independent living - supported",
    "E6": "n) E6: Moved into independent living - no support",
    "E7": "o) E7: Transferred to residential care funded by adult social services",
    "E9": "p) E9: Sentenced to custody",
    "E14": "q) E14: Accommodation on remand ended",
    "E15": "r) E15: Age assessment determined child was 18 or over",
    "E16": "s) E16: Child moved abroad",
    "E8": "t) E8: Care ceased for any other reason",
    "E17": "v) E17: Aged 18+ and remained with current carers",
}
# Legal statuses that are themselves police protection or an emergency protection order.
PROTECTION_STATUSES = ("L1", "L2")

STATUS_LOOKED_AFTER, STATUS_CP, STATUS_CIN = (
    "a) Looked after child",
    "b) Child Protection plan",
    "c) Child in need plan",
)
STATUS_ASSESSMENT, STATUS_CLOSED = "d) Open assessment", "e) Closed episode"

# A contact is a referral when social care took it on, or its sender called it one.
NFA_OUTCOMES = ("no_further_action", "signposted", "early_help")
STATUTORY_ASSESSMENT_KINDS = ("single", None)
STATUTORY_PLAN_KINDS = ("child_in_need", "child_protection", "looked_after")
# Event types that say something about a child's involvement with children's social care.
_CHILD_TYPES = (
    "contact_received",
    "assessment_started",
    "strategy_discussion_held",
    "conference_held",
    "plan_started",
    "child_seen",
)
# Facts about one child's care, naming the child in `person_id` (or among the subjects).
_CARE_TYPES = (
    "legal_status_changed",
    "placement_started",
    "placement_ended",
    "missing_episode_recorded",
    "emergency_protection",
)
# Every event type the lists read (a case's other entries are not loaded).
ANNEX_A_TYPES = (
    "person_added",
    *_CHILD_TYPES,
    *_CARE_TYPES,
    *ALLOCATION_TYPES,
    "assessment_completed",
    "plan_reviewed",
    "plan_ended",
    "case_closed",
    "case_reopened",
)


@dataclass
class _Child:
    person_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Fact:
    """One entry about one child (or about a plan or assessment naming children)."""

    case_id: str
    entry: ChronologyEntry
    on: date


@dataclass
class _Span:
    """An assessment or a plan of a case: started, maybe ended, with its reviews."""

    case_id: str
    reference: str
    kind: str | None
    start: _Fact
    children: tuple[str, ...]
    end: _Fact | None = None
    reviews: list[date] = field(default_factory=list)

    def active_on(self, day: date) -> bool:
        return self.start.on <= day and (self.end is None or self.end.on >= day)

    def overlaps(self, first: date, last: date) -> bool:
        return self.start.on <= last and (self.end is None or self.end.on >= first)


@dataclass(frozen=True)
class LeftOut:
    """A fact of the record that no row could use, and why (for the export's notes)."""

    case_id: str
    event_id: str
    type: str
    reason: str


@dataclass(frozen=True)
class AnnexA:
    """The eight lists, the period and knowledge time they answer for, and what was left out."""

    period_from: date
    period_to: date
    as_known_at: datetime
    viewed_as: str | None
    rows: dict[int, list[tuple[Cell, ...]]]
    left_out: tuple[LeftOut, ...]


def annex_a_from_queries(
    queries: CaseQueries,
    *,
    period_from: date,
    period_to: date,
    as_known_at: datetime,
    agency: str | None = None,
) -> AnnexA:
    """Annex A from the read models: every case's chronology as known at T (to `agency`)."""
    chronologies = dict(
        queries.chronologies_of_cases_with(ANNEX_A_TYPES, as_known_at=as_known_at, agency=agency)
    )
    return annex_a(
        chronologies,
        period_from=period_from,
        period_to=period_to,
        as_known_at=as_known_at,
        agency=agency,
    )


def annex_a(
    chronologies: Mapping[str, Sequence[ChronologyEntry]],
    *,
    period_from: date,
    period_to: date,
    as_known_at: datetime,
    agency: str | None = None,
) -> AnnexA:
    """The rows of lists 1-8 for the period from chronologies already cut at `as_known_at`."""
    record = _Record(chronologies, agency)
    builder = _Lists(record, period_from, period_to)
    rows = {
        1: builder.contacts(),
        2: builder.early_help(),
        3: builder.referrals(),
        4: builder.assessments(),
        5: builder.section_47(),
        6: builder.children_in_need(),
        7: builder.child_protection(),
        8: builder.looked_after(),
    }
    return AnnexA(
        period_from=period_from,
        period_to=period_to,
        as_known_at=as_known_at,
        viewed_as=agency,
        rows=rows,
        left_out=tuple(record.left_out),
    )


class _Record:
    """Every case's facts, grouped by child, plan and assessment."""

    def __init__(self, chronologies: Mapping[str, Sequence[ChronologyEntry]], agency: str | None):
        self.agency = agency
        self.children: dict[str, _Child] = {}
        self.by_child: dict[str, dict[str, list[_Fact]]] = defaultdict(lambda: defaultdict(list))
        self.assessments: dict[tuple[str, str], _Span] = {}
        self.plans: dict[tuple[str, str], _Span] = {}
        self.closures: dict[str, list[_Fact]] = defaultdict(list)
        self.allocations: dict[str, list[_Fact]] = defaultdict(list)
        # (case_id, placement_id) -> the child placed
        self.placed: dict[tuple[str, str], str] = {}
        self.case_children: dict[str, set[str]] = defaultdict(set)
        self.case_facts: dict[str, list[tuple[str, _Fact]]] = defaultdict(list)
        self.left_out: list[LeftOut] = []
        for case_id in sorted(chronologies):
            for entry in chronologies[case_id]:
                if entry.type == "person_added" and entry.data.get("role") == "child":
                    child = self.children.setdefault(
                        entry.data["person_id"], _Child(entry.data["person_id"])
                    )
                    child.data.update({k: v for k, v in entry.data.items() if v is not None})
                    self.case_children[case_id].add(child.person_id)
        for case_id in sorted(chronologies):
            for entry in chronologies[case_id]:
                self._add(case_id, entry)

    def _add(self, case_id: str, entry: ChronologyEntry) -> None:
        fact = _Fact(case_id, entry, local_date(entry.occurred_at))
        data = entry.data
        if entry.type in ("case_closed", "case_reopened"):
            self.closures[case_id].append(fact)
            return
        if entry.type in (*ALLOCATION_TYPES, *_CARE_TYPES):
            self._add_care_or_allocation(fact)
            return
        if entry.type in ("assessment_completed", "plan_reviewed", "plan_ended"):
            spans = self.assessments if entry.type == "assessment_completed" else self.plans
            span = spans.get((case_id, str(data.get("assessment_id") or data.get("plan_id"))))
            if span is None:
                self._leave_out(fact, "its start is not known at this time or names no child")
            elif entry.type == "plan_reviewed":
                span.reviews.append(fact.on)
            else:
                span.end = fact
            return
        if entry.type not in _CHILD_TYPES:
            return
        children = tuple(
            person for person in entry.subjects if person in self.case_children[case_id]
        )
        if not children:
            self._leave_out(fact, "it names no child of the case among its subjects")
            return
        if entry.type == "assessment_started":
            self.assessments[(case_id, data["assessment_id"])] = _Span(
                case_id, data["assessment_id"], data.get("kind"), fact, children
            )
        elif entry.type == "plan_started":
            self.plans[(case_id, data["plan_id"])] = _Span(
                case_id, data["plan_id"], data["kind"], fact, children
            )
        for child in children:
            self.by_child[child][entry.type].append(fact)
            self.case_facts[case_id].append((child, fact))

    def _add_care_or_allocation(self, fact: _Fact) -> None:
        if fact.entry.type not in ALLOCATION_TYPES:
            self._add_care(fact)
        elif self.agency is None or fact.entry.agency == self.agency:
            self.allocations[fact.case_id].append(fact)

    def _add_care(self, fact: _Fact) -> None:
        """A fact of one child's care: the child it names, or (naming none) the one child of
        the case among its subjects; a placement's end is the child's whose start it was."""
        data, case_id = fact.entry.data, fact.case_id
        placement = (case_id, str(data.get("placement_id")))
        named = data.get("person_id")
        if named is None and fact.entry.type == "placement_ended":
            named = self.placed.get(placement)
        if named is None:
            among = [p for p in fact.entry.subjects if p in self.case_children[case_id]]
            named = among[0] if len(among) == 1 else None
        if named is None or named not in self.case_children[case_id]:
            self._leave_out(fact, "it names no one child of the case")
            return
        if fact.entry.type == "placement_started":
            self.placed[placement] = named
        self.by_child[named][fact.entry.type].append(fact)

    def allocated(self, case_id: str, day: date) -> tuple[str | None, str | None]:
        """The teams and workers holding the case on `day` (allocations in the order they
        happened), joined with '; '; (None, None) if no one."""
        holding: dict[tuple[str, str], str | None] = {}
        for fact in sorted(self.allocations.get(case_id, []), key=_in_order):
            if fact.on > day:
                break
            key = (fact.entry.agency, str(fact.entry.data["worker"]))
            if fact.entry.type == "worker_allocated":
                holding[key] = fact.entry.data.get("team")
            else:
                holding.pop(key, None)
        workers = sorted(holding)
        teams = sorted({team for team in holding.values() if team})
        return ("; ".join(teams) or None, "; ".join(worker for _, worker in workers) or None)

    def _leave_out(self, fact: _Fact, reason: str) -> None:
        self.left_out.append(
            LeftOut(fact.case_id, str(fact.entry.event_id), fact.entry.type, reason)
        )

    def facts(self, child: str, type_: str) -> list[_Fact]:
        return self.by_child.get(child, {}).get(type_, [])

    def visits(self, child: str) -> list[_Fact]:
        """Times the child was seen: by the reporting agency only, when one is named."""
        return [
            fact
            for fact in self.facts(child, "child_seen")
            if self.agency is None or fact.entry.agency == self.agency
        ]

    def child_spans(self, spans: Iterable[_Span], child: str) -> list[_Span]:
        return sorted(
            (span for span in spans if child in span.children),
            key=lambda span: (span.start.on, span.case_id, span.reference),
        )


def _in_order(fact: _Fact) -> tuple[date, int]:
    return fact.on, fact.entry.position


def year_before(day: date) -> date:
    """The same date a year earlier (28 February for 29 February)."""
    if day.year == date.min.year:
        return date.min
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _in_last_year(days: Iterable[date], on: date) -> int:
    """How many of `days` fall in the twelve months up to and including `on`."""
    start = year_before(on)
    return sum(1 for day in days if start < day <= on)


def _yes_no(value: bool | None) -> str:
    return UNKNOWN if value is None else YES if value else NO


class _Lists:
    """Rows of each list for one period."""

    def __init__(self, record: _Record, first: date, last: date):
        self.record, self.first, self.last = record, first, last

    def _in_period(self, day: date | None) -> bool:
        return day is not None and self.first <= day <= self.last

    def _shown(self, day: date | None) -> date | None:
        """A date that happened after the period is not yet part of the list."""
        return day if day is not None and day <= self.last else None

    def _identity(self, child: str) -> tuple[Cell, ...]:
        data = self.record.children[child].data
        born = (
            local_date(parse_timepoint(data["date_of_birth"]))
            if data.get("date_of_birth")
            else None
        )
        age = None
        if born is not None and born <= self.last:
            age = (
                self.last.year
                - born.year
                - ((self.last.month, self.last.day) < (born.month, born.day))
            )
        return (
            child,
            GENDER.get(data.get("sex", "")),
            ETHNICITY.get(data.get("ethnicity", "")),
            born,
            age,
        )

    def _disability(self, child: str) -> str:
        codes = self.record.children[child].data.get("disabilities")
        if codes is None:
            return UNKNOWN
        return NO if not codes or list(codes) == ["NONE"] else YES

    def _last_seen(self, child: str, first: date, last: date) -> _Fact | None:
        seen = [fact for fact in self.record.visits(child) if first <= fact.on <= last]
        return max(seen, key=lambda fact: (fact.on, fact.entry.position)) if seen else None

    def _row(self, number: int, child: str, **cells: Cell) -> tuple[Cell, ...]:
        """A row in the list's column order; columns not given stay blank."""
        columns = LISTS[number - 1].columns
        values = dict(zip(IDENTITY, self._identity(child), strict=True))
        if DISABILITY in columns:
            values[DISABILITY] = self._disability(child)
        for name, value in cells.items():
            column = _COLUMN_OF[name]
            if column not in columns:
                raise KeyError(f"list {number} has no column {column!r}")
            values[column] = value
        return tuple(values.get(column) for column in columns)

    def _allocation(self, case_id: str) -> dict[str, Cell]:
        """Who holds the row's case on the last day of the period."""
        team, worker = self.record.allocated(case_id, self.last)
        return {"allocated_team": team, "allocated_worker": worker}

    def contacts(self) -> list[tuple[Cell, ...]]:
        rows = []
        for child in self.record.by_child:
            for fact in self.record.facts(child, "contact_received"):
                if self._in_period(fact.on):
                    rows.append(
                        self._row(1, child, contact_date=fact.on, contact_source=_source(fact))
                    )
        return sorted(rows, key=_row_key)

    def early_help(self) -> list[tuple[Cell, ...]]:
        rows = []
        for span in self.record.assessments.values():
            if span.kind != "early_help":
                continue
            completed = self._shown(span.end.on if span.end else None)
            if not (self._in_period(span.start.on) or self._in_period(completed)):
                continue
            organisation = (span.end if completed and span.end else span.start).entry.agency
            for child in span.children:
                rows.append(
                    self._row(
                        2,
                        child,
                        early_help_start=span.start.on,
                        early_help_completed=completed,
                        organisation=organisation,
                    )
                )
        return sorted(rows, key=_row_key)

    def referrals(self) -> list[tuple[Cell, ...]]:
        rows = []
        for child in self.record.by_child:
            referrals = [
                fact
                for fact in self.record.facts(child, "contact_received")
                if is_referral(fact.entry.data)
            ]
            days = [fact.on for fact in referrals]
            for fact in referrals:
                if not self._in_period(fact.on):
                    continue
                outcome = fact.entry.data.get("outcome")
                rows.append(
                    self._row(
                        3,
                        child,
                        referral_date=fact.on,
                        referral_source=_source(fact),
                        referral_nfa=None if outcome is None else _yes_no(outcome in NFA_OUTCOMES),
                        referrals_last_year=_in_last_year(days, self.last),
                        **self._allocation(fact.case_id),
                    )
                )
        return sorted(rows, key=_row_key)

    def assessments(self) -> list[tuple[Cell, ...]]:
        rows = []
        for span in self.record.assessments.values():
            if span.kind not in STATUTORY_ASSESSMENT_KINDS:
                continue
            authorised = self._shown(span.end.on if span.end else None)
            if not (self._in_period(span.start.on) or self._in_period(authorised)):
                continue
            for child in span.children:
                seen = self._last_seen(child, span.start.on, authorised or self.last)
                rows.append(
                    self._row(
                        4,
                        child,
                        assessment_start=span.start.on,
                        seen_during_assessment=_yes_no(seen is not None),
                        authorised=authorised,
                        **self._allocation(span.case_id),
                    )
                )
        return sorted(rows, key=_row_key)

    def section_47(self) -> list[tuple[Cell, ...]]:
        rows = []
        for child in self.record.by_child:
            enquiries = self.record.child_spans(
                (span for span in self.record.assessments.values() if span.kind == "section_47"),
                child,
            )
            strategies = [
                fact.on
                for fact in self.record.facts(child, "strategy_discussion_held")
                if fact.entry.data.get("outcome") == "section_47"
            ]
            initial = [
                fact
                for fact in self.record.facts(child, "conference_held")
                if fact.entry.data.get("kind") == "initial"
            ]
            starts: list[date] = []
            for index, enquiry in enumerate(enquiries):
                since = enquiries[index - 1].start.on if index else date.min
                leading = [day for day in strategies if since < day <= enquiry.start.on]
                starts.append(max(leading) if leading else enquiry.start.on)
            for index, start in enumerate(starts):
                if not self._in_period(start):
                    continue
                until = starts[index + 1] if index + 1 < len(starts) else date.max
                conference = min(
                    (fact for fact in initial if start <= fact.on < until and fact.on <= self.last),
                    key=lambda fact: (fact.on, fact.entry.position),
                    default=None,
                )
                outcome = conference.entry.data.get("outcome") if conference else None
                rows.append(
                    self._row(
                        5,
                        child,
                        enquiry_start=start,
                        conference_unnecessary=NO if conference else None,
                        conference_date=conference.on if conference else None,
                        conference_plan=None
                        if outcome is None
                        else _yes_no(outcome == "child_protection_plan"),
                        enquiries_last_year=_in_last_year(starts, self.last),
                        conferences_last_year=_in_last_year(
                            [fact.on for fact in initial], self.last
                        ),
                        **self._allocation(enquiries[index].case_id),
                    )
                )
        return sorted(rows, key=_row_key)

    def children_in_need(self) -> list[tuple[Cell, ...]]:
        rows = []
        for episode in self._episodes():
            if not (
                episode.start <= self.last and (episode.end is None or episode.end >= self.first)
            ):
                continue
            closed = self._shown(episode.end)
            day = closed or self.last
            seen = self._last_seen(episode.child, episode.start, day)
            rows.append(
                self._row(
                    6,
                    episode.child,
                    cin_start=episode.start,
                    primary_need=NEED.get(episode.need or ""),
                    last_seen=seen.on if seen else None,
                    cin_closed=closed,
                    closure_reason=CLOSURE.get(episode.reason or "") if closed else None,
                    case_status=STATUS_CLOSED if closed else self._status(episode.child, day),
                    **self._allocation(episode.case_id),
                )
            )
        return sorted(rows, key=_row_key)

    def _episodes(self) -> list[_Episode]:
        """Per child and case: from the first statutory involvement to the case's closure."""
        found: list[_Episode] = []
        for case_id, facts in self.record.case_facts.items():
            timeline: list[tuple[date, int, str | None, _Fact]] = [
                (fact.on, fact.entry.position, child, fact) for child, fact in facts
            ]
            timeline += [
                (fact.on, fact.entry.position, None, fact)
                for fact in self.record.closures.get(case_id, [])
            ]
            open_: dict[str, _Episode] = {}
            for day, _position, child, fact in sorted(timeline, key=lambda item: item[:2]):
                if child is None:
                    if fact.entry.type == "case_closed":
                        for episode in open_.values():
                            episode.end = day
                            episode.reason = fact.entry.data.get("reason_code")
                        found.extend(open_.values())
                        open_.clear()
                    continue
                need = (
                    fact.entry.data.get("primary_need")
                    if fact.entry.type == "contact_received"
                    else None
                )
                if child in open_:
                    open_[child].need = open_[child].need or need
                elif _starts_episode(fact):
                    open_[child] = _Episode(child, case_id, day, need)
            found.extend(open_.values())
        return found

    def _status(self, child: str, day: date) -> str | None:
        active = {
            span.kind
            for span in self.record.plans.values()
            if child in span.children and span.active_on(day)
        }
        for kind, status in (
            ("looked_after", STATUS_LOOKED_AFTER),
            ("child_protection", STATUS_CP),
            ("child_in_need", STATUS_CIN),
        ):
            if kind in active:
                return status
        if any(
            child in span.children
            and span.kind in (*STATUTORY_ASSESSMENT_KINDS, "section_47")
            and span.active_on(day)
            for span in self.record.assessments.values()
        ):
            return STATUS_ASSESSMENT
        return None

    def _plans_in_period(self, kind: str) -> Iterator[tuple[str, list[_Span], int, date | None]]:
        """Each child's plans of `kind` that were active at some time in the period: the child,
        all their plans of that kind in order, the plan's index, and its end within the period."""
        for child in self.record.by_child:
            plans = self.record.child_spans(
                (span for span in self.record.plans.values() if span.kind == kind), child
            )
            for index, plan in enumerate(plans):
                if plan.overlaps(self.first, self.last):
                    yield child, plans, index, self._shown(plan.end.on if plan.end else None)

    def child_protection(self) -> list[tuple[Cell, ...]]:
        rows = []
        for child, plans, index, ended in self._plans_in_period("child_protection"):
            plan = plans[index]
            day = ended or self.last
            initial = plan.start.entry.data.get("category")
            reviews = [
                fact
                for fact in self.record.facts(child, "conference_held")
                if fact.entry.data.get("kind") == "review" and plan.start.on <= fact.on <= day
            ]
            latest = max(
                (fact for fact in reviews if fact.entry.data.get("category")),
                key=lambda fact: (fact.on, fact.entry.position),
                default=None,
            )
            review_days = [fact.on for fact in reviews] + [
                review for review in plan.reviews if review <= day
            ]
            visit = self._last_seen(child, plan.start.on, day)
            rows.append(
                self._row(
                    7,
                    child,
                    plan_start=plan.start.on,
                    initial_category=ABUSE.get(initial or ""),
                    latest_category=ABUSE.get(
                        latest.entry.data["category"] if latest else initial or ""
                    ),
                    last_visit=visit.on if visit else None,
                    seen_alone=_yes_no(visit.entry.data.get("seen_alone")) if visit else None,
                    latest_review=max(review_days) if review_days else None,
                    plan_end=ended,
                    emergency_protection=_yes_no(self._protected(child, day)),
                    previous_plans=index,
                    **self._allocation(plan.case_id),
                )
            )
        return sorted(rows, key=_row_key)

    def looked_after(self) -> list[tuple[Cell, ...]]:
        """A row per looked-after plan open in the period, and per period of care from legal
        status and placements alone (no looked-after plan of the child during it)."""
        rows = []
        needs: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for episode in self._episodes():
            if episode.need:
                needs[episode.child].append((episode.start, episode.need))
        for child, periods, index, ceased in self._plans_in_period("looked_after"):
            period = periods[index]
            day = ceased or self.last
            ended = [earlier.end.on for earlier in periods[:index] if earlier.end is not None]
            reviews = [review for review in period.reviews if review <= day]
            rows.append(
                self._looked_after_row(
                    child,
                    period.case_id,
                    period.start.on,
                    ceased,
                    needs[child],
                    ended,
                    latest_statutory_review=max(reviews) if reviews else None,
                )
            )
        for child in sorted(self.record.by_child):
            plans = self.record.child_spans(
                (span for span in self.record.plans.values() if span.kind == "looked_after"), child
            )
            care = sorted(
                (fact for type_ in sorted(CARE_TYPES) for fact in self.record.facts(child, type_)),
                key=_in_order,
            )
            periods_of_care = care_periods([fact.entry for fact in care], child)
            for index, care_period in enumerate(periods_of_care):
                end = care_period.end
                if care_period.start > self.last or (end is not None and end < self.first):
                    continue
                if any(plan.overlaps(care_period.start, end or self.last) for plan in plans):
                    continue  # the plan's row answers for it
                ended = [
                    *(plan.end.on for plan in plans if plan.end is not None),
                    *(earlier.end for earlier in periods_of_care[:index] if earlier.end),
                ]
                rows.append(
                    self._looked_after_row(
                        child,
                        care_period.case_id,
                        care_period.start,
                        self._shown(end),
                        needs[child],
                        [day for day in ended if day <= care_period.start],
                        latest_statutory_review=None,
                    )
                )
        return sorted(rows, key=_row_key)

    def _looked_after_row(
        self,
        child: str,
        case_id: str,
        start: date,
        ceased: date | None,
        needs: list[tuple[date, str]],
        earlier_ends: list[date],
        **cells: Cell,
    ) -> tuple[Cell, ...]:
        """List 8's row for a period of care from `start`: `earlier_ends`, the days the child's
        earlier periods of care ended (a second period within 12 months)."""
        day = ceased or self.last
        need = max((item for item in needs if item[0] <= start), default=(None, None))[1]
        again = any(year_before(start) < end <= start for end in earlier_ends)
        visit = self._last_seen(child, start, day)
        return self._row(
            8,
            child,
            looked_after_start=start,
            category_of_need=NEED.get(need or ""),
            second_period=_yes_no(again),
            last_social_work_visit=visit.on if visit else None,
            ceased=ceased,
            **cells,
            **self._care(child, start, day, ceased),
            **self._allocation(case_id),
        )

    def _protected(self, child: str, day: date) -> bool:
        """Police protection or an emergency protection order (recorded as such, or as legal
        status L1 or L2) in the six months up to `day`."""
        since = add_months(day, -6)
        facts = [
            *self.record.facts(child, "emergency_protection"),
            *(
                fact
                for fact in self.record.facts(child, "legal_status_changed")
                if fact.entry.data.get("status") in PROTECTION_STATUSES
            ),
        ]
        return any(since < fact.on <= day for fact in facts)

    def _care(self, child: str, start: date, day: date, ceased: date | None) -> dict[str, Cell]:
        """List 8's legal status, placement and missing columns for a period of care from
        `start`, as they stood on `day` (its end, or the end of the period)."""
        facts = self.record.facts
        status = _latest(facts(child, "legal_status_changed"), day)
        placement = _latest(facts(child, "placement_started"), day)
        ending = [
            fact
            for fact in facts(child, "placement_ended")
            if start <= fact.on <= day
            and fact.entry.data.get("reason") not in (None, STILL_LOOKED_AFTER)
        ]
        missing = [
            (local_date(parse_timepoint(fact.entry.data["started"])), fact.entry.data)
            for fact in facts(child, "missing_episode_recorded")
        ]
        missing = [(on, data) for on, data in missing if on <= day]
        last_missing = max(
            (item for item in missing if item[1].get("kind") != "away"),
            key=lambda item: item[0],
            default=None,
        )
        placed = placement.entry.data if placement else {}
        return {
            "legal_status_start": status.on if status else None,
            "legal_status": _label(LEGAL_STATUS, status.entry.data["status"]) if status else None,
            "placements_last_year": _in_last_year(
                [fact.on for fact in facts(child, "placement_started")], day
            ),
            "reason_ceased": _label(REASON_CEASED, ending[-1].entry.data["reason"])
            if ceased and ending
            else None,
            "placement_start": placement.on if placement else None,
            "placement_type": _label(PLACEMENT_TYPE, placed.get("kind")),
            "placement_provider": _label(PLACEMENT_PROVIDER, placed.get("provider")),
            "placement_postcode": placed.get("postcode"),
            "placement_urn": placed.get("urn"),
            "missing_last_year": _in_last_year(
                [on for on, data in missing if data.get("kind") != "away"], day
            ),
            "absent_last_year": _in_last_year(
                [on for on, data in missing if data.get("kind") == "away"], day
            ),
            "return_interview_offered": _yes_no(last_missing[1].get("return_interview_offered"))
            if last_missing
            else None,
        }


@dataclass
class _Episode:
    """A child in need episode of one child in one case."""

    child: str
    case_id: str
    start: date
    need: str | None
    end: date | None = None
    reason: str | None = None


# The columns each list method fills, by a short name.
_COLUMN_OF: dict[str, str] = {
    "contact_date": "Date of Contact",
    "contact_source": "Contact Source",
    "early_help_start": "Assessment start date",
    "early_help_completed": "Assessment completion date",
    "organisation": "Organisation completing assessment",
    "referral_date": "Date of referral",
    "referral_source": "Referral Source",
    "referral_nfa": "Referral NFA?",
    "referrals_last_year": "Number of Referrals in Last 12 Months",
    "assessment_start": "Continuous Assessment Start Date",
    "seen_during_assessment": "Child Seen During Continuous Assessment",
    "authorised": "Continuous Assessment Date of Authorisation",
    "enquiry_start": "Strategy discussion initiating Section 47 Enquiry Start Date",
    "conference_unnecessary": "Was an Initial Child Protection Conference deemed unnecessary?",
    "conference_date": "Date of Initial Child Protection Conference",
    "conference_plan": (
        "Did the Initial Child Protection Conference Result in a Child Protection Plan"
    ),
    "enquiries_last_year": "Number of Section 47 Enquiries in the last 12 months",
    "conferences_last_year": "Number of ICPCs in the last 12 months",
    "cin_start": "CIN Start Date",
    "primary_need": "Primary Need Code",
    "last_seen": "Date Child Was Last Seen",
    "cin_closed": "CIN Closure Date",
    "closure_reason": "Reason for Closure",
    "case_status": "Case Status",
    "plan_start": "Child Protection Plan Start Date",
    "initial_category": "Initial Category of Abuse",
    "latest_category": "Latest Category of Abuse",
    "last_visit": "Date of the Last Statutory Visit",
    "seen_alone": "Was the Child Seen Alone?",
    "latest_review": "Date of latest review conference",
    "plan_end": "Child Protection Plan End Date",
    "previous_plans": "Number of Previous Child Protection Plans",
    "looked_after_start": "Date Started to be Looked After",
    "category_of_need": "Child's Category of Need",
    "second_period": "Is this a second or subsequent period of being a Looked After Child "
    "within the last 12 months (Y/N)",
    "latest_statutory_review": "Date of Latest Statutory Review",
    "last_social_work_visit": "Date of Last Social Work Visit",
    "ceased": "Date Ceased to be Looked After",
    "emergency_protection": EMERGENCY_PROTECTION,
    "legal_status_start": _LEGAL_STATUS[0],
    "legal_status": _LEGAL_STATUS[1],
    "placements_last_year": "Number of Placements in the Last 12 months",
    "reason_ceased": "Reason Ceased to be Looked After",
    "placement_start": _PLACEMENT[0],
    "placement_type": _PLACEMENT[1],
    "placement_provider": _PLACEMENT[2],
    "placement_postcode": _PLACEMENT[3],
    "placement_urn": _PLACEMENT[4],
    "missing_last_year": _PLACEMENT[7],
    "absent_last_year": _PLACEMENT[8],
    "return_interview_offered": _PLACEMENT[9],
    "allocated_team": ALLOCATED[0],
    "allocated_worker": ALLOCATED[1],
}


def _latest(facts: Iterable[_Fact], day: date) -> _Fact | None:
    """The last of `facts` that happened on or before `day`."""
    return max((fact for fact in facts if fact.on <= day), key=_in_order, default=None)


def _label(labels: Mapping[str, str], code: object) -> str | None:
    """The template's label for a code, or the code itself where the template has none."""
    return None if code is None else labels.get(str(code), str(code))


def _source(fact: _Fact) -> str | None:
    return SOURCE.get(fact.entry.data.get("referral_source") or "")


def _starts_episode(fact: _Fact) -> bool:
    """Whether an entry opens a child in need episode when none is open."""
    data = fact.entry.data
    if fact.entry.type == "contact_received":
        return is_referral(data) and data.get("outcome") not in NFA_OUTCOMES
    if fact.entry.type == "assessment_started":
        return data.get("kind") in (*STATUTORY_ASSESSMENT_KINDS, "section_47")
    if fact.entry.type == "strategy_discussion_held":
        return True
    if fact.entry.type == "plan_started":
        return data["kind"] in STATUTORY_PLAN_KINDS
    return False


def _row_key(row: tuple[Cell, ...]) -> tuple[str, ...]:
    """Deterministic order: by child, then every cell as text (dates in ISO order)."""
    return tuple(
        ""
        if cell is None
        else cell.isoformat()
        if isinstance(cell, date)
        else f"{cell:010d}"
        if isinstance(cell, int)
        else str(cell)
        for cell in row
    )
