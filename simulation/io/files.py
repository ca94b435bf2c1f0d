"""Reading a file a person named, with a bound on what it can cost.

A path on a command line may name anything: a named pipe (reading waits for a writer that
never comes), ``/dev/zero`` or ``/dev/urandom`` (endless, while ``stat`` says 0 bytes), a
terminal, a folder. :func:`read_limited` reads only regular files, opens without blocking,
and reads at most the limit plus one byte, so an oversized file is recognised without being
read whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import InputError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
# a FIFO opens at once instead of waiting for a writer; a terminal is not made ours
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


class FileReadError(InputError):
    """A path that cannot be read as a file: missing, unreadable, not a regular file, or too large.

    ``too_large`` is True when the file holds more than the limit (``size`` is then its
    size in bytes when known, else None).
    """

    def __init__(self, message: str, *, too_large: bool = False, size: int | None = None):
        super().__init__(message)
        self.too_large, self.size = too_large, size


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_limited(path: str | Path, limit: int, allowed: str = "a regular file") -> bytes:
    """The bytes of the regular file at ``path``, refusing anything else and anything over ``limit``.

    Parameters
    ----------
    path : str or Path
        The file, as the person gave it.
    limit : int
        The most bytes accepted; at most ``limit + 1`` are read.
    allowed : str
        What the caller accepts, in words, for the message (``"a scenario file (.toml or .json)"``).

    Raises
    ------
    FileReadError
        The path is missing or unreadable, names something other than a regular file (the
        message says what it is and what is allowed), or holds more than ``limit`` bytes
        (``too_large``).
    """
    path = Path(path)
    try:
        before = os.stat(path)
    except OSError as exc:
        raise FileReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(before.st_mode):  # refused before opening: opening a device can have effects
        raise FileReadError(f"{path} is {_kind(before.st_mode)}, not a regular file; give {allowed}")
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise FileReadError(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb", buffering=0) as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):  # replaced between the two looks
            raise FileReadError(f"{path} is {_kind(opened.st_mode)}, not a regular file; give {allowed}")
        chunks, left = [], limit + 1
        while left > 0:
            try:
                chunk = handle.read(min(left, 1 << 20))
            except OSError as exc:
                raise FileReadError(f"cannot read {path}: {exc.strerror or exc}") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        size = opened.st_size if opened.st_size > limit else None
        raise FileReadError(f"{path} holds more than {limit:,} bytes", too_large=True, size=size)
    return data
