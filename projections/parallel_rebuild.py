"""A rebuild's writes computed in several processes, each owning a share of the cases.

Decoding the log, folding the cases and converting the rows cost about three quarters of a
rebuild's CPU, and each case's rows depend on that case's events alone. So each worker
process runs `chunk_writes` for its share of the cases and sends every chunk's writes back;
the rebuild (the only writer) applies all the shares of a chunk together, in one
transaction with the chunk's tracking position, as it does with writes computed in process.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from queue import Empty, Full
from typing import TYPE_CHECKING, TypeAlias

from domain.service import CaseService
from projections.batch_writes import ChunkWrites, chunk_writes, rare_garbage_collections
from projections.caseviews import CaseViews

if TYPE_CHECKING:  # the queue class is generic to the type checker only
    from multiprocessing.queues import Queue

# Chunks a worker may compute ahead of the writer: bounds memory, keeps the writer fed.
CHUNKS_AHEAD = 2
# How often a blocked worker or writer looks whether the other side is still there (s).
LIVENESS_POLL = 0.5

# Opens the store in a worker process (it must pickle: a module-level function, or a partial).
StoreOpener = Callable[[], tuple[CaseService, CaseViews]]


@dataclass(frozen=True)
class WorkerFailed:
    traceback: str


# What a worker sends: a chunk's writes, its failure, or None when it has sent every chunk.
Outbox: TypeAlias = "Queue[ChunkWrites | WorkerFailed | None]"


class RebuildWorkerError(RuntimeError):
    """A worker process failed or died; the rebuild stopped at the last whole chunk."""


@contextmanager
def writes_from_workers(
    open_store: StoreOpener, topics: tuple[str, ...], head: int, chunk_size: int, count: int
) -> Iterator[Iterator[list[ChunkWrites]]]:
    """Start `count` workers; give, chunk by chunk, every share's writes for it; stop them."""
    context = multiprocessing.get_context("spawn")
    outboxes: list[Outbox] = [context.Queue(maxsize=CHUNKS_AHEAD) for _ in range(count)]
    processes = [
        context.Process(
            target=compute_writes,
            args=(open_store, topics, head, chunk_size, share, count, outbox),
            name=f"rebuild-worker-{share}",
            daemon=True,
        )
        for share, outbox in enumerate(outboxes)
    ]
    for process in processes:
        process.start()
    try:
        yield _chunks_from(processes, outboxes)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        for outbox in outboxes:
            outbox.close()
            outbox.cancel_join_thread()


def _chunks_from(
    processes: Sequence[BaseProcess], outboxes: Sequence[Outbox]
) -> Iterator[list[ChunkWrites]]:
    while True:
        shares = [
            _receive(process, outbox) for process, outbox in zip(processes, outboxes, strict=True)
        ]
        if all(share is None for share in shares):
            return
        present = [share for share in shares if share is not None]
        if len(present) != len(shares) or len({share.last_position for share in present}) != 1:
            raise RebuildWorkerError("the workers cut the log into different chunks")
        yield present


def _receive(process: BaseProcess, outbox: Outbox) -> ChunkWrites | None:
    while True:
        try:
            item = outbox.get(timeout=LIVENESS_POLL)
        except Empty:
            if process.is_alive():
                continue
            try:  # what it sent just before it stopped may still be on its way
                item = outbox.get(timeout=LIVENESS_POLL)
            except Empty:
                raise RebuildWorkerError(
                    f"{process.name} stopped (exit code {process.exitcode})"
                ) from None
        if isinstance(item, WorkerFailed):
            raise RebuildWorkerError(f"{process.name} failed:\n{item.traceback}")
        return item


def compute_writes(
    open_store: StoreOpener,
    topics: tuple[str, ...],
    head: int,
    chunk_size: int,
    share: int,
    shares: int,
    outbox: Outbox,
) -> None:
    """A worker: its share's writes, chunk by chunk, then None."""
    try:
        service, views = open_store()
        with rare_garbage_collections():
            for writes in chunk_writes(service, views, topics, head, chunk_size, share, shares):
                if not _send(outbox, writes):
                    return
        _send(outbox, None)
    except BaseException:  # noqa: BLE001 (reported to the writer, which raises it)
        _send(outbox, WorkerFailed(traceback.format_exc()))


def _send(outbox: Outbox, item: ChunkWrites | WorkerFailed | None) -> bool:
    """Put `item` in the outbox, waiting while it is full; False if the writer is gone (a
    writer killed outright cannot stop its workers, so they stop themselves)."""
    parent = multiprocessing.parent_process()
    while True:
        try:
            outbox.put(item, timeout=LIVENESS_POLL)
            return True
        except Full:
            if parent is not None and not parent.is_alive():
                outbox.cancel_join_thread()  # what is still queued has nobody to read it
                return False
