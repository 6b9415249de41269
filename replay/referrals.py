"""Which contacts are referrals, one rule for every statutory return (CIN census, Annex A)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Outcomes of a contact that take it on to statutory work: it was a referral, whatever it was
# first called.
FURTHER_ACTION_OUTCOMES = ("assessment", "strategy_discussion")


def is_referral(data: Mapping[str, Any]) -> bool:
    """A `contact_received`'s data is a referral when it is recorded as one or went on to an
    assessment or a strategy discussion. A referral source alone does not make a contact a
    referral: Annex A's list of contacts carries the same source codes."""
    return data.get("contact_kind") == "referral" or data.get("outcome") in FURTHER_ACTION_OUTCOMES
