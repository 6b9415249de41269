"""Whether a child is or was looked after on a date, from legal status and placements alone."""

from __future__ import annotations

from datetime import date
from typing import Any

from projections.fold import ChronologyEntry
from replay.looked_after import CarePeriod, CareStatus, care_periods, care_status
from tests.unit.test_statutory_vocabulary import chronology_entry

AVA, BEN = "child-ava", "child-ben"


def fact(event_type: str, on: str, subjects: tuple[str, ...] = (), **data: Any) -> ChronologyEntry:
    return chronology_entry(event_type, data, occurred_at=on, subjects=subjects)


def status_on(entries: list[ChronologyEntry], day: str, child: str = AVA) -> CareStatus:
    return care_status(entries, child, date.fromisoformat(day))


def test_a_legal_status_makes_a_child_looked_after_until_care_ends() -> None:
    """A care order with no placement recorded still counts; a placement ending for a reason
    other than X1 ends the period of care from that day."""
    entries = [
        fact("legal_status_changed", "2024-04-01", status="C2", person_id=AVA),
        fact("placement_started", "2024-04-02", placement_id="PL1", person_id=AVA),
        fact("placement_ended", "2024-05-01", placement_id="PL1", reason="X1"),
        fact("placement_ended", "2024-06-01", placement_id="PL1", reason="E13"),
    ]
    assert status_on(entries, "2024-03-31") == CareStatus(False, False)
    assert status_on(entries, "2024-04-01") == CareStatus(True, True)
    assert status_on(entries, "2024-05-15") == CareStatus(True, True)
    assert status_on(entries, "2024-06-01") == CareStatus(False, True)


def test_a_placement_alone_is_care_while_it_is_open() -> None:
    """With no legal status recorded, the child is looked after while a placement is open,
    the child named by person_id or (none named) among the subjects."""
    entries = [
        fact("placement_started", "2024-04-01", (AVA,), placement_id="PL1"),
        fact("placement_ended", "2024-04-10", placement_id="PL1"),
    ]
    assert status_on(entries, "2024-04-09") == CareStatus(True, True)
    assert status_on(entries, "2024-04-10") == CareStatus(False, True)


def test_another_childs_care_is_not_this_childs() -> None:
    """A sibling's placement and legal status leave the child's status as it was, even in
    the same case with both as subjects."""
    entries = [
        fact("legal_status_changed", "2024-04-01", (AVA, BEN), status="V2", person_id=BEN),
        fact("placement_started", "2024-04-01", (AVA, BEN), placement_id="PL1", person_id=BEN),
        fact("placement_ended", "2024-04-05", placement_id="PL1"),
    ]
    assert status_on(entries, "2024-04-02") == CareStatus(False, False)
    assert status_on(entries, "2024-04-02", BEN) == CareStatus(True, True)
    assert status_on(entries, "2024-04-06", BEN) == CareStatus(True, True)  # V2 still stands


def test_periods_of_care_run_from_the_first_day_looked_after_to_the_end_of_care() -> None:
    """A placement that ends X1 and another that starts the same day is one period; a
    placement ended E4A ends it; a legal status alone opens the next, still open. Another
    child's facts are not Ava's."""
    entries = [
        fact("placement_started", "2024-02-01", placement_id="PL1", person_id=AVA),
        fact("placement_ended", "2024-03-01", placement_id="PL1", reason="X1"),
        fact("placement_started", "2024-03-01", placement_id="PL2", person_id=AVA),
        fact("placement_ended", "2024-04-01", placement_id="PL2", reason="E4A"),
        fact("placement_started", "2024-04-10", placement_id="PL3", person_id=BEN),
        fact("legal_status_changed", "2024-05-01", status="C1", person_id=AVA),
    ]
    case_id = entries[0].case_id
    agency = entries[0].agency  # of the fact that began each period
    assert care_periods(entries, AVA) == [
        CarePeriod(case_id, date(2024, 2, 1), date(2024, 4, 1), agency),
        CarePeriod(case_id, date(2024, 5, 1), None, agency),
    ]
    assert care_periods(entries, BEN) == [CarePeriod(case_id, date(2024, 4, 10), None, agency)]
