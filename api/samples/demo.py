"""A realistic multi-agency demo case (FAM-0042), with each agency's own record times."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from api.samples.generator import generate_authority

DEMO_CASE = "FAM-0042"


def demo_id(name: str) -> str:
    """A fixed event id per demo event, so loading the demo twice writes nothing new."""
    return str(uuid5(NAMESPACE_URL, f"urn:foresight:demo:{DEMO_CASE}:{name}"))


def _event(
    name: str,
    type: str,
    occurred_at: str,
    agency: str,
    recorded_by: str,
    source_recorded_at: str,
    summary: str | None = None,
    subjects: tuple[str, ...] = (),
    significance: str = "routine",
    data: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    raw = {
        "event_id": demo_id(name),
        "type": type,
        "case_id": DEMO_CASE,
        "occurred_at": occurred_at,
        "agency": agency,
        "recorded_by": recorded_by,
        "subjects": list(subjects),
        "summary": summary,
        "significance": significance,
        "source_recorded_at": source_recorded_at,
        "data": data or {},
        **extra,
    }
    return {key: value for key, value in raw.items() if value is not None}


def demo_case_events() -> list[dict[str, Any]]:
    """The demo case in the order it reached Foresight (imports of each agency's record)."""
    children = ("ava", "leo")
    return [
        _event(
            "opened",
            "case_opened",
            "2024-01-15",
            "social_care",
            "sw-jones",
            "2024-01-15",
            "Case opened after police notification",
        ),
        _event(
            "ava",
            "person_added",
            "2024-01-15",
            "social_care",
            "sw-jones",
            "2024-01-15",
            data={
                "person_id": "ava",
                "role": "child",
                "name": "Ava",
                "date_of_birth": "2016-09-12",
                "sex": "F",
                "relationship": "daughter of Sam",
                "household": "12 Mill Lane",
                "upn": "P873210420057",
                "ethnicity": "MWBC",
                "disabilities": ["NONE"],
            },
        ),
        _event(
            "leo",
            "person_added",
            "2024-01-15",
            "social_care",
            "sw-jones",
            "2024-01-15",
            data={
                "person_id": "leo",
                "role": "child",
                "name": "Leo",
                "date_of_birth": "2023-05-02",
                "sex": "M",
                "relationship": "son of Sam",
                "household": "12 Mill Lane",
                "ethnicity": "MWBC",
                "disabilities": ["NONE"],
            },
        ),
        _event(
            "sam",
            "person_added",
            "2024-01-15",
            "social_care",
            "sw-jones",
            "2024-01-15",
            data={
                "person_id": "sam",
                "role": "adult",
                "name": "Sam",
                "relationship": "mother",
                "household": "12 Mill Lane",
            },
        ),
        _event(
            "jay",
            "person_added",
            "2024-01-15",
            "social_care",
            "sw-jones",
            "2024-01-15",
            data={
                "person_id": "jay",
                "role": "adult",
                "name": "Jay",
                "relationship": "mother's partner",
                "household": "12 Mill Lane",
            },
        ),
        _event(
            "school-hungry",
            "note_added",
            "2023-12-04T08:50",
            "school",
            "dsl-patel",
            "2023-12-04",
            "Ava arrived hungry in unwashed uniform; said there was no breakfast",
            subjects=("ava",),
            significance="significant",
            impact="Ava tired and unable to settle in class",
        ),
        _event(
            "hv-visit",
            "child_seen",
            "2024-01-10T14:00",
            "health",
            "hv-okafor",
            "2024-01-10",
            "Health visitor home visit: Leo's weight fallen from 50th to 9th centile; "
            "Sam low in mood",
            subjects=("leo", "sam"),
            significance="significant",
            data={"seen_alone": False, "where": "home"},
        ),
        _event(
            "police-notification",
            "contact_received",
            "2024-01-12T23:40",
            "social_care",
            "mash-ahmed",
            "2024-01-13T09:20",
            "Police notification: neighbour reported shouting and a child crying late at night; "
            "officers attended, Jay present and intoxicated, children asleep upstairs",
            subjects=("ava", "leo", "jay"),
            significance="significant",
            data={
                "contact_kind": "notification",
                "source_agency": "police",
                "concern_categories": ["domestic_abuse"],
                "outcome": "assessment",
                "referral_source": "6",
                "primary_need": "N1",
            },
        ),
        _event(
            "decision-assess",
            "decision_made",
            "2024-01-16T11:00",
            "social_care",
            "tm-hughes",
            "2024-01-16T11:30",
            "Single assessment; no strategy discussion at this point",
            subjects=children,
            significance="key",
            data={
                "decision": "Single assessment of both children; no strategy discussion",
                "rationale": "One police notification, no injuries seen, mother engaging",
                "options_considered": [
                    "No further action",
                    "Single assessment",
                    "Strategy discussion",
                ],
                "information_relied_on": [demo_id("police-notification")],
                "urgency": "routine",
                "review_by": "2024-02-16",
            },
        ),
        _event(
            "assessment-1",
            "assessment_started",
            "2024-01-16",
            "social_care",
            "sw-jones",
            "2024-01-16T12:00",
            "Single assessment started",
            subjects=children,
            data={"assessment_id": "A-0042-1", "kind": "single"},
        ),
        _event(
            "ava-voice",
            "child_voice_recorded",
            "2024-01-22T10:30",
            "school",
            "dsl-patel",
            "2024-01-22T10:45",
            "Ava spoke to her teacher at morning break",
            subjects=("ava",),
            significance="key",
            data={"words": "Jay shouts at mummy and I take Leo under my bed until it stops"},
        ),
        _event(
            "school-shares",
            "information_shared",
            "2024-01-22T11:15",
            "school",
            "dsl-patel",
            "2024-01-22T11:15",
            "School shared Ava's words with children's social care",
            subjects=("ava",),
            data={
                "to_agency": "social_care",
                "event_ids": [demo_id("ava-voice")],
                "basis": "legal_duty",
            },
        ),
        _event(
            "ava-seen",
            "child_seen",
            "2024-01-24T15:30",
            "social_care",
            "sw-jones",
            "2024-01-24T17:00",
            "Ava seen alone by her social worker",
            subjects=("ava",),
            data={"seen_alone": True, "where": "school"},
        ),
        _event(
            "health-shares",
            "information_shared",
            "2024-01-25T09:00",
            "health",
            "hv-okafor",
            "2024-01-25T09:00",
            "Health visitor shared the home visit with social care",
            subjects=("leo",),
            data={
                "to_agency": "social_care",
                "event_ids": [demo_id("hv-visit")],
                "basis": "legal_duty",
            },
        ),
        _event(
            "strategy",
            "strategy_discussion_held",
            "2024-01-26T13:00",
            "social_care",
            "tm-hughes",
            "2024-01-26T14:00",
            "Strategy discussion with police, health and school",
            subjects=children,
            significance="significant",
            data={
                "agencies": ["police", "health", "school", "social_care"],
                "outcome": "section_47",
            },
        ),
        _event(
            "decision-s47",
            "decision_made",
            "2024-01-26T15:00",
            "social_care",
            "tm-hughes",
            "2024-01-26T15:30",
            "Section 47 enquiries and an initial child protection conference",
            subjects=children,
            significance="key",
            data={
                "decision": "Section 47 enquiries; convene initial conference",
                "rationale": "Ava's account of domestic abuse, Leo's faltering growth",
                "information_relied_on": [
                    demo_id("ava-voice"),
                    demo_id("hv-visit"),
                    demo_id("police-notification"),
                ],
                "urgency": "urgent",
            },
        ),
        _event(
            "s47",
            "assessment_started",
            "2024-01-26",
            "social_care",
            "sw-jones",
            "2024-01-26",
            "Section 47 enquiries started",
            subjects=children,
            data={"assessment_id": "S47-0042-1", "kind": "section_47"},
        ),
        _event(
            "ava-seen-corrected",
            "entry_corrected",
            "2024-02-01T09:00",
            "social_care",
            "sw-jones",
            "2024-02-01T09:00",
            "Place of visit corrected",
            subjects=("ava",),
            data={
                "target_event_id": demo_id("ava-seen"),
                "changes": {"data": {"where": "home, with Sam in the next room"}},
                "reason": "Visit location recorded wrongly",
            },
        ),
        _event(
            "police-earlier",
            "contact_received",
            "2024-01-05T22:10",
            "police",
            "pc-5678",
            "2024-02-02",
            "Earlier call-out: neighbour reported a man shouting at 12 Mill Lane; "
            "no answer at the door (record entered late)",
            subjects=("jay",),
            significance="significant",
            data={
                "contact_kind": "notification",
                "source_agency": "police",
                "concern_categories": ["domestic_abuse"],
                "outcome": "no_further_action",
            },
        ),
        _event(
            "wrong-case-note",
            "note_added",
            "2024-02-05T10:00",
            "social_care",
            "sw-jones",
            "2024-02-05T10:20",
            "Phone call with Sam about rent arrears and housing transfer",
        ),
        _event(
            "wrong-case-retracted",
            "entry_retracted",
            "2024-02-06",
            "social_care",
            "sw-jones",
            "2024-02-06",
            "Note withdrawn",
            data={
                "target_event_id": demo_id("wrong-case-note"),
                "reason": "Recorded on the wrong family's case",
            },
        ),
        _event(
            "assessment-1-done",
            "assessment_completed",
            "2024-02-12",
            "social_care",
            "sw-jones",
            "2024-02-12T16:00",
            "Single assessment completed and authorised",
            subjects=children,
            data={
                "assessment_id": "A-0042-1",
                "outcome": "Child protection conference",
                "analysis": "Domestic abuse in the household; Leo's growth faltering; "
                "Sam's low mood limits her capacity to protect",
                "factors": ["3A", "3B", "4B", "17A"],
            },
        ),
        _event(
            "s47-done",
            "assessment_completed",
            "2024-02-09",
            "social_care",
            "sw-jones",
            "2024-02-09",
            "Section 47 enquiries completed",
            subjects=children,
            data={"assessment_id": "S47-0042-1", "outcome": "conference", "factors": ["3A", "4A"]},
        ),
        _event(
            "icpc",
            "conference_held",
            "2024-02-14T10:00",
            "social_care",
            "chair-evans",
            "2024-02-14T13:00",
            "Initial child protection conference",
            subjects=children,
            significance="key",
            data={"kind": "initial", "outcome": "child_protection_plan", "category": "emotional"},
        ),
        _event(
            "cp-plan",
            "plan_started",
            "2024-02-14",
            "social_care",
            "sw-jones",
            "2024-02-14",
            "Child protection plans for Ava and Leo",
            subjects=children,
            significance="key",
            data={
                "plan_id": "CP-0042-1",
                "kind": "child_protection",
                "category": "EMO",
                "goals": [
                    "Jay to engage with a perpetrator programme",
                    "Leo's weight back on track, weekly health visitor checks",
                    "Ava to have a trusted adult at school",
                ],
                "review_due": "2024-05-14",
            },
        ),
        _event(
            "hv-marked",
            "marked_significant",
            "2024-02-15",
            "health",
            "hv-lead-ali",
            "2024-02-15",
            subjects=("leo",),
            data={
                "target_event_id": demo_id("hv-visit"),
                "significance": "key",
                "reason": "Faltering growth was an early sign",
            },
        ),
        _event(
            "da-referral",
            "action_taken",
            "2024-02-20",
            "social_care",
            "sw-jones",
            "2024-02-20",
            "Sam referred to the domestic abuse outreach service",
            subjects=("sam",),
            data={
                "description": "Referral to domestic abuse outreach",
                "action_kind": "referral_on",
                "status": "done",
            },
        ),
        _event(
            "review-1",
            "plan_reviewed",
            "2024-05-10",
            "social_care",
            "chair-evans",
            "2024-05-10",
            "First review conference",
            subjects=children,
            data={
                "plan_id": "CP-0042-1",
                "progress": "Jay attending programme; Leo's weight recovering",
                "next_review_due": "2024-11-10",
            },
        ),
        # After the first review, each agency names who holds the case for it (the web page's
        # My cases: the social worker by the team manager, the others by themselves), and the
        # team manager's audit of the case records oversight of the first decision.
        _event(
            "allocate-sw-jones",
            "worker_allocated",
            "2024-05-13T09:00",
            "social_care",
            "tm-hughes",
            "2024-05-13T09:00",
            data={"worker": "sw-jones", "team": "Child protection team", "role": "Social worker"},
        ),
        _event(
            "allocate-pc-1234",
            "worker_allocated",
            "2024-05-13T10:00",
            "police",
            "pc-1234",
            "2024-05-13T10:00",
            data={"worker": "pc-1234", "team": "Public protection unit", "role": "Officer"},
        ),
        _event(
            "allocate-dsl-patel",
            "worker_allocated",
            "2024-05-13T11:00",
            "school",
            "dsl-patel",
            "2024-05-13T11:00",
            data={"worker": "dsl-patel", "role": "Designated safeguarding lead"},
        ),
        _event(
            "allocate-hv-okafor",
            "worker_allocated",
            "2024-05-13T12:00",
            "health",
            "hv-okafor",
            "2024-05-13T12:00",
            data={"worker": "hv-okafor", "team": "Health visiting", "role": "Health visitor"},
        ),
        _event(
            "oversight-assess",
            "oversight_recorded",
            "2024-05-20T14:00",
            "social_care",
            "tm-hughes",
            "2024-05-20T14:00",
            significance="significant",
            data={
                "target_event_id": demo_id("decision-assess"),
                "view": "agree_with_changes",
                "reasons": "A single assessment was proportionate to the one police "
                "notification known then",
                "next_steps": "Ask the police for any earlier call-outs to the address before "
                "deciding; discuss in supervision",
            },
        ),
    ]


# The generated authority around the demo case: the census year the demo case falls in.
DEMO_AUTHORITY_YEAR = 2024
DEMO_AUTHORITY_SEED = 42


def demo_authority_events(children: int) -> list[dict[str, Any]]:
    """Families of a synthetic authority (`children` children in every stage of statutory
    work in 2023-24), so the reports and statutory returns have more than one family to show.
    The same every run: their event ids are fixed, so loading them again writes nothing."""
    if children <= 0:
        return []
    families = generate_authority(children, year=DEMO_AUTHORITY_YEAR, seed=DEMO_AUTHORITY_SEED)
    return [event for family in families for event in family]
