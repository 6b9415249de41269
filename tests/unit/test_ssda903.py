"""The SSDA903 return's header, episodes and missing episodes from hand-built chronologies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from api.formats.ssda903_csv import ssda903_files
from projections.fold import ChronologyEntry
from replay.ssda903 import EpisodeRow, MissingRow, ssda903
from tests.unit.test_statutory_vocabulary import chronology_entry

CASE = "LAC-1"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
LA = "E08000035"


def fact(
    event_type: str, on: str, subjects: tuple[str, ...] = ("ava",), **data: Any
) -> ChronologyEntry:
    return chronology_entry(event_type, data, occurred_at=on, subjects=subjects, case_id=CASE)


def story() -> list[ChronologyEntry]:
    """Ava, accommodated under section 20 on 1 May 2024, moved on 1 July, a full care order on
    1 September, home on 10 January 2025 (E4A); missing once in August. Ben, her brother,
    stays at home."""
    return [
        fact("person_added", "2024-04-01", person_id="ava", role="child", sex="F",
             date_of_birth="2012-03-04", ethnicity="WBRI"),
        fact("person_added", "2024-04-01", ("ben",), person_id="ben", role="child"),
        fact("contact_received", "2024-04-10", ("ava", "ben"), contact_kind="referral",
             outcome="assessment", primary_need="N1"),
        fact("legal_status_changed", "2024-05-01", status="V2", person_id="ava"),
        fact("placement_started", "2024-05-01", placement_id="PL1", person_id="ava", kind="U6",
             provider="PR1", postcode="LS1 4", reason="S"),
        fact("placement_ended", "2024-07-01", placement_id="PL1", reason="X1"),
        fact("placement_started", "2024-07-01", placement_id="PL2", person_id="ava", kind="K2",
             provider="PR4", postcode="LS6 2", urn="SC123456", change_reason="CARPL"),
        fact("missing_episode_recorded", "2024-08-03", person_id="ava",
             started="2024-08-03T21:00", ended="2024-08-04", kind="missing"),
        fact("legal_status_changed", "2024-09-01", status="C2", person_id="ava"),
        fact("placement_ended", "2025-01-10", placement_id="PL2", reason="E4A"),
    ]  # fmt: skip


def test_each_change_of_legal_status_or_placement_starts_an_episode() -> None:
    """Start (S), a move (P; why, on the episode the move ends, as the DfE's rule 225 reads
    it), a new order (L), and the end of care with its reason; the category of need is the
    referral's primary need."""
    found = ssda903({CASE: story()}, year=2025, as_known_at=NOW)
    common: dict[str, Any] = {"CHILD": "ava", "CIN": "N1", "HOME_POST": None}
    assert found.episodes == (
        EpisodeRow(**common, DECOM=date(2024, 5, 1), RNE="S", LS="V2", PLACE="U6",
                   PLACE_PROVIDER="PR1", DEC=date(2024, 7, 1), REC="X1",
                   REASON_PLACE_CHANGE="CARPL", PL_POST="LS1 4", URN=None),
        EpisodeRow(**common, DECOM=date(2024, 7, 1), RNE="P", LS="V2", PLACE="K2",
                   PLACE_PROVIDER="PR4", DEC=date(2024, 9, 1), REC="X1",
                   REASON_PLACE_CHANGE=None, PL_POST="LS6 2", URN="SC123456"),
        EpisodeRow(**common, DECOM=date(2024, 9, 1), RNE="L", LS="C2", PLACE="K2",
                   PLACE_PROVIDER="PR4", DEC=date(2025, 1, 10), REC="E4A",
                   REASON_PLACE_CHANGE=None, PL_POST="LS6 2", URN="SC123456"),
    )  # fmt: skip
    assert [row.CHILD for row in found.header] == ["ava"]
    assert found.header[0].model_dump(include={"SEX", "DOB"}) == {
        "SEX": "F",
        "DOB": date(2012, 3, 4),
    }
    assert found.missing == (
        MissingRow(CHILD="ava", DOB=date(2012, 3, 4), MISSING="M",
                   MIS_START=date(2024, 8, 3), MIS_END=date(2024, 8, 4)),
    )  # fmt: skip
    # Not recorded: her UPN (or why she has none), her home postcode, what permanence she had
    # before care (PrevPerm has a row for her: she started care in the year). No child of hers
    # is recorded: MOTHER 0.
    assert found.header[0].MOTHER == "0"
    assert [(issue.person_id, issue.field) for issue in found.issues] == [
        ("ava", "UPN"),
        ("ava", "HOME_POST"),
        ("ava", "PREV_PERM"),
    ]
    assert [row.CHILD for row in found.previous_permanence] == ["ava"]
    assert found.reviews == found.social_workers == found.outcomes == ()
    assert found.placed_for_adoption == found.adoptions == ()


def test_a_year_shows_the_episodes_open_in_it_and_blanks_later_dates() -> None:
    """In 2023-24 (to 31 March 2024) Ava was not yet looked after; a year ending before care
    ended leaves the end blank."""
    assert ssda903({CASE: story()}, year=2024, as_known_at=NOW).episodes == ()
    cut = [entry for entry in story() if entry.type != "placement_ended" or
           entry.data["reason"] == "X1"]  # fmt: skip
    last = ssda903({CASE: cut}, year=2025, as_known_at=NOW).episodes[-1]
    assert (last.DEC, last.REC) == (None, None)


def test_every_episode_of_a_period_keeps_the_category_of_need_it_started_with() -> None:
    """A referral with another primary need during care does not change the later episodes'
    CIN (the DfE's rule 504)."""
    later = fact("contact_received", "2024-08-01", contact_kind="referral", outcome="assessment",
                 primary_need="N4")  # fmt: skip
    found = ssda903({CASE: [*story(), later]}, year=2025, as_known_at=NOW)
    assert {episode.CIN for episode in found.episodes} == {"N1"}


def test_a_placement_without_a_legal_status_is_reported_not_invented() -> None:
    """The LS column stays blank and the completeness report names it."""
    without = [entry for entry in story() if entry.type != "legal_status_changed"]
    found = ssda903({CASE: without}, year=2025, as_known_at=NOW)
    assert {episode.LS for episode in found.episodes} == {None}
    assert ("ava", "LS") in {(issue.person_id, issue.field) for issue in found.issues}


def test_the_tables_are_written_as_the_validators_csv_files() -> None:
    """Columns in the validator's order, dates as dd/mm/yyyy, blanks empty; byte-identical
    for the same return."""
    found = ssda903({CASE: story()}, year=2025, as_known_at=NOW)
    files = ssda903_files(found, la=LA)
    assert sorted(files) == [
        *("ad1.csv", "episodes.csv", "header.csv", "metadata.json", "missing.csv", "oc2.csv"),
        *("placed_for_adoption.csv", "previous_permanence.csv", "reviews.csv"),
        "social_worker_episodes.csv",
    ]
    assert files["header.csv"].decode() == (
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nava,F,04/03/2012,WBRI,,0,\n"
    )
    episodes = files["episodes.csv"].decode().splitlines()
    assert episodes[0] == (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
        "PL_POST,URN"
    )
    assert episodes[1] == "ava,01/05/2024,S,V2,N1,U6,PR1,01/07/2024,X1,CARPL,,LS1 4,"
    assert episodes[2] == "ava,01/07/2024,P,V2,N1,K2,PR4,01/09/2024,X1,,,LS6 2,SC123456"
    assert files["missing.csv"].decode().splitlines()[1] == "ava,04/03/2012,M,03/08/2024,04/08/2024"
    assert ssda903_files(ssda903({CASE: story()}, year=2025, as_known_at=NOW), la=LA) == files
    assert files["oc2.csv"].decode().startswith("CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,")
    assert files["previous_permanence.csv"].decode() == (
        "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\nava,04/03/2012,,,\n"
    )
    with pytest.raises(ValueError, match="la"):
        ssda903_files(found, la="873")


def test_reviews_of_the_care_plan_and_social_workers_while_looked_after() -> None:
    """A `plan_reviewed` of her looked-after plan while she is in care is a review (REVIEW_CODE
    its participation; none recorded is reported); a child protection plan's review is not.
    Each social worker allocated by the returns agency is an episode to their unallocation;
    another agency's allocation is not."""
    extra = [
        fact("plan_started", "2024-05-01", plan_id="LAC", kind="looked_after"),
        fact("plan_started", "2024-04-20", plan_id="CP", kind="child_protection"),
        fact("plan_reviewed", "2024-05-20", (), plan_id="LAC", participation="PN1"),
        fact("plan_reviewed", "2024-06-01", plan_id="CP"),
        fact("plan_reviewed", "2024-11-10", plan_id="LAC"),
        fact("worker_allocated", "2024-04-12", (), worker="sw-khan"),
        fact("worker_unallocated", "2024-09-30", (), worker="sw-khan"),
        fact("worker_allocated", "2024-09-30", (), worker="sw-okoro"),
    ]
    health = fact("worker_allocated", "2024-05-02", (), worker="hv-lee")
    entries = [*story(), *extra, health.model_copy(update={"agency": "health"})]
    found = ssda903({CASE: entries}, year=2025, as_known_at=NOW, agency="social_care")
    assert [(row.CHILD, row.REVIEW, row.REVIEW_CODE) for row in found.reviews] == [
        ("ava", date(2024, 5, 20), "PN1"),
        ("ava", date(2024, 11, 10), None),
    ]
    assert [(row.SW_ID, row.SW_DECOM, row.SW_DEC) for row in found.social_workers] == [
        ("sw-khan", date(2024, 4, 12), date(2024, 9, 30)),
        ("sw-okoro", date(2024, 9, 30), None),
    ]
    fields = [issue.field for issue in found.issues]
    assert fields.count("REVIEW_CODE") == 1
    # No registration numbers: SW_ID the user names, reported; the first worker's SW_REASON
    # is first contact, the next one's unrecorded (sw-khan's unallocation gives no reason).
    assert fields.count("SW_ID") == 2
    assert [row.SW_REASON for row in found.social_workers] == ["FCONTA", None]
    assert fields.count("SW_REASON") == 1


def test_placed_for_adoption_adopted_and_looked_after_for_a_year_have_their_rows() -> None:
    """Ava placed for adoption (A5) under a placement order (E1) and adopted (E11) in
    2024-25: a PlacedAdoption and an AD1 row with the unrecorded dates blank and reported.
    Looked after from 2023 to 31 March 2025 she is in OC2 for 2024-25."""
    adopted = [
        *story()[:3],
        fact("legal_status_changed", "2023-02-01", status="C2", person_id="ava"),
        fact("placement_started", "2023-02-01", placement_id="PL1", person_id="ava", kind="U6",
             provider="PR1", reason="S"),
        fact("legal_status_changed", "2024-06-01", status="E1", person_id="ava"),
        fact("placement_ended", "2024-06-01", placement_id="PL1", reason="X1"),
        fact("placement_started", "2024-06-01", placement_id="PL2", person_id="ava", kind="A5",
             provider="PR1"),
    ]  # fmt: skip
    still = ssda903({CASE: adopted}, year=2025, as_known_at=NOW)
    assert [row.CHILD for row in still.outcomes] == ["ava"]
    assert [row.CHILD for row in still.placed_for_adoption] == ["ava"]
    assert still.adoptions == still.previous_permanence == ()
    ended = fact("placement_ended", "2025-02-01", placement_id="PL2", reason="E11")
    found = ssda903({CASE: [*adopted, ended]}, year=2025, as_known_at=NOW)
    assert [row.CHILD for row in found.adoptions] == ["ava"]
    assert found.adoptions[0].DATE_INT is None
    assert found.outcomes == ()  # no longer looked after on 31 March
    assert {"DATE_PLACED", "DATE_INT"} <= {issue.field for issue in found.issues}


def test_the_home_postcode_of_the_first_placement_stands_for_the_period_of_care() -> None:
    """HOME_POST: the `home_postcode` recorded on a placement, for every later episode of
    that period of care; full postcodes go into the return whole; none recorded is blank and
    reported once for the child."""
    entries = [
        entry.model_copy(update={"data": {**entry.data, "home_postcode": "LS6 2AA",
                                          "postcode": "LS1 4AP"}})
        if entry.type == "placement_started" and entry.data["placement_id"] == "PL1"
        else entry
        for entry in story()
    ]  # fmt: skip
    found = ssda903({CASE: entries}, year=2025, as_known_at=NOW)
    assert [episode.HOME_POST for episode in found.episodes] == ["LS6 2AA"] * 3
    assert found.episodes[0].PL_POST == "LS1 4AP"
    assert "HOME_POST" not in {issue.field for issue in found.issues}
    without = ssda903({CASE: story()}, year=2025, as_known_at=NOW)
    assert [issue.field for issue in without.issues].count("HOME_POST") == 1


def test_recorded_motherhood_upn_reason_permanence_and_social_workers_are_returned() -> None:
    """Ava's baby (a relationship of mother and child) makes MOTHER 1 with the baby's date of
    birth; Ben's reason for no UPN fills the UPN column; the first placement's previous
    permanence fills PrevPerm; registration numbers are SW_ID and the reason one worker left
    is the next one's SW_REASON, the first being first contact. Nothing is reported for them."""
    entries = [
        *story(),
        fact("person_added", "2024-04-01", (), person_id="baby", role="adult",
             date_of_birth="2024-10-02"),
        fact("relationship_recorded", "2024-10-03", (), person_id="ava",
             other_person_id="baby", relationship="Mother"),
        fact("worker_allocated", "2024-04-12", (), worker="sw-khan", registration_number="SW1"),
        fact("worker_unallocated", "2024-09-30", (), worker="sw-khan", reason="LEFTRL"),
        fact("worker_allocated", "2024-09-30", (), worker="sw-okoro", registration_number="SW2"),
    ]  # fmt: skip
    entries = [
        entry.model_copy(update={"data": {**entry.data, "upn_unknown_reason": "UN3"}})
        if entry.type == "person_added" and entry.data["person_id"] == "ava"
        else entry.model_copy(
            update={"data": {**entry.data, "previous_permanence": "P2",
                             "permanence_date": "2019-06-01", "permanence_authority": "383"}}
        )
        if entry.type == "placement_started" and entry.data["placement_id"] == "PL1"
        else entry
        for entry in entries
    ]  # fmt: skip
    found = ssda903({CASE: entries}, year=2025, as_known_at=NOW)
    header = found.header[0]
    assert ("UN3", "1", date(2024, 10, 2)) == (header.UPN, header.MOTHER, header.MC_DOB)
    assert found.previous_permanence[0].model_dump(exclude={"CHILD", "DOB"}) == {
        "PREV_PERM": "P2", "LA_PERM": "383", "DATE_PERM": date(2019, 6, 1)
    }  # fmt: skip
    assert [(row.SW_ID, row.SW_REASON) for row in found.social_workers] == [
        ("SW1", "FCONTA"), ("SW2", "LEFTRL")
    ]  # fmt: skip
    assert [issue.field for issue in found.issues] == ["HOME_POST"]
