"""Closed code lists of the vocabulary, including the DfE Children in Need census codes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

Significance = Literal["routine", "significant", "key"]
SIGNIFICANCE_RANK: dict[str, int] = {"routine": 0, "significant": 1, "key": 2}

PersonRole = Literal["child", "adult"]
ContactKind = Literal["referral", "concern", "notification", "request_for_help"]
ConcernCategory = Literal[
    "neglect", "physical", "emotional", "sexual", "domestic_abuse", "exploitation", "other"
]
ContactOutcome = Literal[
    "no_further_action", "early_help", "assessment", "strategy_discussion", "signposted"
]
AssessmentKind = Literal["single", "section_47", "early_help", "other"]
ConferenceKind = Literal["initial", "review"]
ConferenceOutcome = Literal["child_protection_plan", "no_plan", "plan_ended"]
PlanKind = Literal["early_help", "child_in_need", "child_protection", "looked_after"]
Urgency = Literal["routine", "urgent", "emergency"]
# A manager's view of a decision or a case, in management oversight.
OversightView = Literal["agree", "disagree", "agree_with_changes"]
ActionKind = Literal["service", "visit", "referral_on", "legal", "other"]
ActionStatus = Literal["planned", "done", "cancelled"]
SharingBasis = Literal["consent", "vital_interests", "legal_duty", "public_interest"]
Sex = Literal["M", "F", "U"]

# CIN census category of abuse; practitioners may also write the plain word.
AbuseCategory = Literal["NEG", "PHY", "SAB", "EMO", "MUL"]
ABUSE_CATEGORY_WORDS: dict[str, str] = {
    "neglect": "NEG",
    "physical": "PHY",
    "sexual": "SAB",
    "emotional": "EMO",
    "multiple": "MUL",
}

PrimaryNeed = Literal["N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"]
ClosureReason = Literal["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"]

# CIN census referral source (CIN common basic data set).
ReferralSource = Literal[
    "1A",
    "1B",
    "1C",
    "1D",
    "2A",
    "2B",
    "3A",
    "3B",
    "3C",
    "3D",
    "3E",
    "3F",
    "4",
    "5A",
    "5B",
    "5C",
    "5D",
    "6",
    "7",
    "8",
    "9",
    "10",
]

# CIN census ethnicity codes.
Ethnicity = Literal[
    "WBRI",
    "WIRI",
    "WIRT",
    "WOTH",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
]

# CIN census disability codes.
Disability = Literal[
    "NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"
]

# CIN assessment factor codes have the shape "3A", "21", "24A"; the exact list is
# checked by the statutory-returns export, which names the events to correct.
ASSESSMENT_FACTOR_PATTERN = r"^[0-9]{1,2}[A-Z]?$"

# -- looked-after children: the DfE SSDA903 return's code lists (2025-26) --------------------

# SSDA903 legal status (LS). Every one of them is a looked-after status: a child on any of them
# is looked after until the period of care ends.
LegalStatus = Literal[
    "C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"
]  # fmt: skip
LEGAL_STATUS_WORDS: dict[str, str] = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "J1": "Remanded to local authority accommodation or youth detention accommodation",
    "J2": "Placed in local authority accommodation under PACE",
    "J3": "Sentenced to a youth rehabilitation order with residence or fostering requirement",
    "L1": "Under police protection and in local authority accommodation",
    "L2": "Emergency protection order",
    "L3": "Child assessment order and in local authority accommodation",
    "V2": "Single period of accommodation under section 20",
    "V3": "Accommodated under an agreed series of short-term breaks, episodes recorded",
    "V4": "Accommodated under an agreed series of short-term breaks, agreements recorded",
}

# SSDA903 placement type (PL), the 2025-26 list.
PlacementType = Literal[
    "A3", "A4", "A5", "A6", "K1", "K2", "K3", "P1", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z11", "Z12", "Z13", "Z14",
]  # fmt: skip

# SSDA903 placement provider (PLACE_PROVIDER).
PlacementProvider = Literal["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]

# SSDA903 reason for new episode (RNE): why a placement began an episode of care.
EpisodeStartReason = Literal["S", "P", "L", "T", "U", "B"]

# SSDA903 reason episode ceased (REC). X1: the episode ends but the child stays looked after.
EpisodeEndReason = Literal[
    "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48",
    "E5", "E6", "E7", "E8", "E9", "E14", "E15", "E16", "E17", "X1",
]  # fmt: skip
STILL_LOOKED_AFTER = "X1"

# SSDA903 participation in a looked-after child's review (REVIEW_CODE): PN0 the child was under
# 4; PN1 in person, speaking for themselves; PN2 an advocate spoke for them; PN3 views conveyed
# symbolically (non-verbally); PN4 a briefing given by someone else; PN5 views sent in
# writing or otherwise; PN6 no views given; PN7 no participation at all.
ReviewParticipation = Literal["PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"]

# SSDA903 reason for placement change (REASON_PLACE_CHANGE).
PlacementChangeReason = Literal[
    "CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE",
    "CUSTOD", "OTHER",
]  # fmt: skip

# SSDA903 missing type: missing from placement, or away from placement without authorisation.
MissingKind = Literal["missing", "away"]
EmergencyProtectionKind = Literal["police_protection", "epo"]

# The DfE's reason a child has no UPN (UN1 under 6 and not at school, UN2 never at a maintained
# school in England, UN3 educated outside England, UN4 newly looked after and the UPN not yet
# obtained, UN5 sources collating UPNs reflect a discrepancy; UN6-UN10 the CIN census's own).
UpnUnknownReason = Literal["UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7", "UN8", "UN9", "UN10"]
# The codes the SSDA903 accepts in its UPN column.
SSDA903_UPN_UNKNOWN = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5"})

# SSDA903 reason for a change of social worker (SW_REASON): MANAGE management decision, FCONTA
# first contact, LEFTRL the worker left the role, ORGRST organisational restructure, TSPROC
# transfer between teams or processes, ABSENC the worker's absence, CHCHAN the child asked,
# PCCHAN the parent or carer asked, SWDIED the worker died, OTHERS other.
SocialWorkerChangeReason = Literal[
    "MANAGE", "FCONTA", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "SWDIED",
    "OTHERS",
]  # fmt: skip
FIRST_CONTACT = "FCONTA"

# SSDA903 previous permanence (PREV_PERM) before a period of care: P1 adoption, P2 special
# guardianship order, P3 a residence or child arrangements order (with whom the child lives),
# P4 the DfE guide's fourth option; Z1 none, or not known. LA_PERM: the DfE's three-digit code
# of the authority that arranged it (or WAL, SCO, NIR, NUK outside England).
PreviousPermanence = Literal["P1", "P2", "P3", "P4", "Z1"]
NO_PREVIOUS_PERMANENCE = "Z1"
PermanenceAuthority = Annotated[str, StringConstraints(pattern=r"^([0-9]{3}|WAL|SCO|NIR|NUK)$")]
