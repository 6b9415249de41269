"""How a rebuild computes: the split of the cases between workers, the garbage collector's pace."""

from __future__ import annotations

import gc
import random
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.batch_writes import REBUILD_GC_THRESHOLD, CaseShares, rare_garbage_collections


def contiguous_log(case_sizes: list[int]) -> list[UUID]:
    """The case store id of each event of a log that holds each case's events together."""
    return [case for case, size in ((uuid4(), size) for size in case_sizes) for _ in range(size)]


def split(log: list[UUID], shares: int) -> list[list[UUID]]:
    """Each worker's events, every worker choosing for itself as the rebuild does."""
    return [
        [case for case in log if choosing.share_of(case) == share]
        for share, choosing in ((share, CaseShares(shares)) for share in range(shares))
    ]


def test_many_equal_cases_split_evenly_where_case_ids_alone_would_not() -> None:
    log = contiguous_log([2_000] * 500)
    by_worker = split(log, 2)
    assert [len(events) for events in by_worker] == [500_000, 500_000]


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=40),
    shares=st.integers(min_value=1, max_value=4),
)
def test_cases_recorded_one_after_another_leave_no_share_behind_by_more_than_one_case(
    sizes: list[int], shares: int
) -> None:
    by_worker = split(contiguous_log(sizes), shares)
    loads = [len(events) for events in by_worker]
    assert max(loads) - min(loads) <= max(sizes)


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=30),
    shares=st.integers(min_value=1, max_value=4),
    interleave=st.randoms(use_true_random=False),
)
def test_every_case_goes_whole_to_exactly_one_share_however_the_log_interleaves(
    sizes: list[int], shares: int, interleave: random.Random
) -> None:
    log = contiguous_log(sizes)
    interleave.shuffle(log)
    by_worker = split(log, shares)
    assert sorted(case for events in by_worker for case in events) == sorted(log)
    owners: dict[UUID, set[int]] = {}
    for share, events in enumerate(by_worker):
        for case in events:
            owners.setdefault(case, set()).add(share)
    assert all(len(owning) == 1 for owning in owners.values())


def test_the_collector_runs_rarely_during_a_rebuild_and_as_before_after_it_even_if_it_fails() -> (
    None
):
    before = gc.get_threshold()

    def failing_rebuild() -> None:
        with rare_garbage_collections():
            assert gc.get_threshold() == (REBUILD_GC_THRESHOLD, *before[1:])
            raise RuntimeError("the rebuild failed")

    with pytest.raises(RuntimeError, match="the rebuild failed"):
        failing_rebuild()
    assert gc.get_threshold() == before


def test_overlapping_users_leave_the_collector_as_it_was_before_the_first() -> None:
    before = gc.get_threshold()
    first, second = rare_garbage_collections(), rare_garbage_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # not the last out: still rare for the other
    assert gc.get_threshold()[0] == REBUILD_GC_THRESHOLD
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
