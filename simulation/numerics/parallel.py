"""One pool of threads for the whole process, and work split into blocks of rows.

Compiled loops release the interpreter lock, so blocks of rows run on all cores at once.
Work submitted from a thread of the pool runs inline, in that thread: a task never waits for
other tasks of the same pool, so nested parallel calls cannot deadlock, and the cores are
shared by one level of parallelism at a time.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_BLOCK = 64  # rows (runs, rules); fewer are not worth a thread
_PREFIX = "retention-lab"
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def workers() -> int:
    """Cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _in_pool() -> bool:
    return threading.current_thread().name.startswith(_PREFIX)


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


def parallel_map(fn: Callable, items: Sequence, max_workers: int | None = None) -> list:
    """``[fn(x) for x in items]`` on the shared pool (inline when called from inside it, or for one item).

    ``max_workers`` caps how many items run at once (1: in the calling thread, in order).
    """
    limit = workers() if max_workers is None else max_workers
    if limit <= 1 or len(items) <= 1 or _in_pool():
        return [fn(x) for x in items]
    pool = _shared_pool()
    results: list = [None] * len(items)
    for start in range(0, len(items), limit):
        chunk = list(enumerate(items))[start : start + limit]
        jobs = [(i, pool.submit(fn, x)) for i, x in chunk]
        for i, job in jobs:
            results[i] = job.result()
    return results
