"""Another writer holding a store's write lock, for the tests of what a store says when it is busy."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def write_lock_held(database) -> Iterator[None]:
    """Hold ``database``'s write lock in another thread until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with database.transaction(write=True):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert held.wait(30), "the other writer took the lock"
        yield
    finally:
        release.set()
        holder.join()


BUSY = "{} is busy with another change; nothing was changed, try again"
