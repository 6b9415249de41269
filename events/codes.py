"""Closed code lists of the vocabulary, including the DfE Children in Need census codes."""

from __future__ import annotations

from typing import Literal

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
