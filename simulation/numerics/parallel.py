"""One pool of threads for the whole process, and work split into blocks of rows.

Compiled loops release the interpreter lock, so blocks of rows run on all cores at once.
Work submitted from a thread of the pool runs inline, in that thread: a task never waits for
other tasks of the same pool, so nested parallel calls cannot deadlock, and the cores are
shared by one level of parallelism at a time. Inside :func:`serial` (a unit of work on a
Dask worker, whose cluster already gives each unit its own core) everything runs inline too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np

MIN_BLOCK = 64  # rows (runs, rules); fewer are not worth a thread
_PREFIX = "retention-lab"
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_local = threading.local()


def workers() -> int:
    """Cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _in_pool() -> bool:
    return threading.current_thread().name.startswith(_PREFIX) or getattr(_local, "serial", 0) > 0


def in_serial() -> bool:
    """Whether this thread runs inside :func:`serial` (a unit of work on a cluster worker)."""
    return getattr(_local, "serial", 0) > 0


@contextlib.contextmanager
def serial() -> Iterator[None]:
    """Run every parallel call made in this thread inline, on this thread alone."""
    _local.serial = getattr(_local, "serial", 0) + 1
    try:
        yield
    finally:
        _local.serial -= 1


def _forget_pool_in_child() -> None:
    # A forked process (a worker of a local Dask cluster) inherits the pool object but not its
    # threads: work submitted to it would wait for ever, so the child starts a pool of its own.
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:  # app sessions run on their own threads and share one pool
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix=_PREFIX)
    return _pool


def in_blocks(func, rows: int, *args) -> None:
    """Call ``func(lo, hi, *args)`` on blocks of ``range(rows)``, one block per core.

    ``func`` releases the GIL for its work (a function compiled with ``nogil=True``, or a NumPy
    or SciPy ufunc over the block) and writes each row's results into the output arrays in
    ``args``; a row's result must not depend on the block it falls in.
    """
    blocks = 1 if _in_pool() else min(workers(), max(1, rows // MIN_BLOCK))
    if blocks == 1:
        func(0, rows, *args)
        return
    pool = _shared_pool()
    edges = np.linspace(0, rows, blocks + 1).round().astype(np.int64)
    jobs = [pool.submit(func, int(lo), int(hi), *args) for lo, hi in itertools.pairwise(edges)]
    for job in jobs:
        job.result()


def parallel_map(
    fn: Callable,
    items: Sequence,
    max_workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """``[fn(x) for x in items]`` on the shared pool (inline when called from inside it, or for one item).

    ``max_workers`` caps how many items run at once (1: in the calling thread, in order).
    ``progress(done, count)`` is called from the calling thread after each item finishes.
    """
    count = len(items)
    limit = workers() if max_workers is None else max_workers
    if limit <= 1 or count <= 1 or _in_pool():
        results = []
        for done, x in enumerate(items, start=1):
            results.append(fn(x))
            if progress is not None:
                progress(done, count)
        return results
    pool = _shared_pool()
    results: list = [None] * count
    waiting = iter(enumerate(items))
    running: dict = {}
    done = 0
    try:
        for i, x in itertools.islice(waiting, limit):
            running[pool.submit(fn, x)] = i
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for job in finished:
                results[running.pop(job)] = job.result()
                done += 1
                # the next item starts before the caller hears of this one: a slow progress
                # callback (a redrawn page) does not leave a core idle
                for i, x in itertools.islice(waiting, 1):
                    running[pool.submit(fn, x)] = i
                if progress is not None:
                    progress(done, count)
    finally:
        for job in running:  # an item failed: the others not yet started are dropped
            job.cancel()
    return results
