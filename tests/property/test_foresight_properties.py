"""Properties of the foresight view over generated cases with decisions: the four groups and the
decision partition what they should, and only a date-only side on the decision's own day is
ever of uncertain order."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given

from events.timepoints import is_before, local_date
from replay.foresight import ForesightView, OrderUncertainEntry, foresight_view
from tests.property.test_replay_properties import (
    CASE,
    EVERY_KIND,
    PROPERTY_SETTINGS,
    loaded_story,
    stories,
)

# A few days only, so that entries often fall on a decision's own day.
WITH_DECISIONS = stories(
    EVERY_KIND,
    entry_types=("note_added", "child_seen", "decision_made", "decision_made"),
    days=3,
)


def groups_of(view: ForesightView) -> dict[str, list[str]]:
    return {
        name: [str(item.entry.event_id) for item in getattr(view, name)]
        for name in ("known_to_decider", "held_elsewhere", "learned_later", "order_uncertain")
    }


@PROPERTY_SETTINGS
@given(story=WITH_DECISIONS)
def test_every_entry_lands_in_exactly_one_group_and_only_same_day_dates_are_uncertain(
    story, fresh_store
):
    """For every decision: no entry in two groups and the decision in none; every entry the
    record knew at the cutoff is known to the decider, held elsewhere or of uncertain order
    (would join one of those two); every entry learned after the cutoff that happened before
    the decision is learned later or of uncertain order (would join learned later); an entry of
    uncertain order is on the decision's local day with a date-only side."""
    with loaded_story(story, fresh_store) as loaded:
        queries = loaded.queries
        decisions = [e for e in queries.chronology(CASE) if e.type == "decision_made"]
        for decision in decisions:
            decision_id = str(decision.event_id)
            view = foresight_view(queries, CASE, decision_id)
            groups = groups_of(view)
            placed = [event_id for ids in groups.values() for event_id in ids]
            assert len(placed) == len(set(placed)), groups
            assert decision_id not in placed

            record = {
                str(e.event_id): e
                for e in queries.chronology(CASE, as_known_at=view.cutoff)
                if str(e.event_id) != decision_id
            }
            decider_states = {
                str(e.event_id): e
                for e in queries.chronology(CASE, as_known_at=view.cutoff, agency=decision.agency)
                if str(e.event_id) != decision_id
            }
            decider = set(decider_states)
            now = {str(e.event_id): e for e in queries.chronology(CASE)}
            uncertain = {str(item.entry.event_id): item for item in view.order_uncertain}
            known_groups = set(groups["known_to_decider"]) | set(groups["held_elsewhere"])
            assert (
                known_groups
                | {
                    event_id
                    for event_id, item in uncertain.items()
                    if item.would_join != "learned_later"
                }
                == set(record) | decider
            )
            for event_id in groups["known_to_decider"]:
                assert event_id in decider
            for event_id in groups["held_elsewhere"]:
                assert event_id not in decider
            for event_id, item in uncertain.items():
                assert isinstance(item, OrderUncertainEntry)
                if item.would_join == "known_to_decider":
                    assert event_id in decider
                elif item.would_join == "held_elsewhere":
                    assert event_id in record
                    assert event_id not in decider
                else:
                    assert event_id in now
                    assert event_id not in record
                occurred = item.entry.occurred_at
                assert local_date(occurred) == local_date(decision.occurred_at)
                assert not (
                    isinstance(occurred, datetime) and isinstance(decision.occurred_at, datetime)
                )
            for event_id, entry in now.items():
                if event_id in record or event_id == decision_id:
                    continue
                if is_before(entry.occurred_at, decision.occurred_at):
                    assert event_id in groups["learned_later"], event_id
                elif event_id not in uncertain:
                    assert event_id not in groups["learned_later"], event_id
            # Conversely, exactly these are of uncertain order: on the decision's local day, a
            # date-only side, and not put in order by a recording time or the cutoff.
            recorded = {str(event.event_id): event.known_at for event in loaded.events}
            candidates = {
                **{key: e for key, e in now.items() if key not in record and key != decision_id},
                **record,
                **decider_states,
            }
            expected = set()
            for event_id, entry in candidates.items():
                occurred, decided = entry.occurred_at, decision.occurred_at
                if local_date(occurred) != local_date(decided):
                    continue
                if isinstance(decided, datetime):
                    if not isinstance(occurred, datetime) and recorded[event_id] >= decided:
                        expected.add(event_id)
                elif not isinstance(occurred, datetime) or occurred <= view.cutoff:
                    expected.add(event_id)
            assert set(uncertain) == expected
            for event_id in groups["learned_later"]:
                assert event_id in now
                assert event_id not in record
