"""The limits on a customer file, in one place: bytes, columns, rows, cells, workbook parts, time, values.

An upload is checked against the size limits before its cells are parsed (a CSV's lines and
header, a workbook's parts as the zip lists them), and read against a time budget that grows
with the file's size; beyond any of them the reader stops with a :class:`ReadLimitError` that
names the limit. The values read are bounded by what the model accepts
(:mod:`simulation.model.scenario`): money and counts that fit its fields, periods within its
horizon, dates whose periods fit in 64-bit nanoseconds.

Measured on the shared 2-core development machine (``scripts/measure_uploads.py``), in processor
time: a CSV reads at about 35 MB/s (a 50 MB transaction log of 1.5 million rows in 1.4 s), a
workbook at about 1.2 MB/s of its zipped size (0.8 s per MB: 200,000 rows of five columns written
by openpyxl, 5 MB, in 4.4 s; a million rows of four, 20 MB, in 15 s), so the time budget below
leaves a margin of three or more for workbooks and far more for CSV.
"""

from __future__ import annotations

import time

import pandas as pd

from ..errors import InputError
from ..model.scenario import MAX_COUNT, MAX_UNIT_MONEY, Scenario, Segment, bounds_of

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_TEXT = "50 MB"
MAX_COLUMNS = 200
MAX_ROWS = 2_000_000
MAX_CELLS = 10_000_000  # lines x header columns of a CSV; cells holding a value in a workbook
MAX_CELL_CHARS = 32_767  # Excel's own limit on the text of one cell

MAX_XLSX_PARTS = 10_000  # files inside the workbook's zip
MAX_XLSX_UNPACKED_BYTES = 400 * 1024 * 1024  # all its parts unpacked; a million rows of four columns is ~150 MB
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # the shared-string part unpacked (its strings are kept in memory)
MAX_SHEETS = 1_000
MAX_STYLES = 65_000  # Excel's own limit on cell formats is 64,000

READ_SECONDS_BASE = 10.0
READ_SECONDS_PER_MB = 3.0
XML_CHUNK_BYTES = 1024 * 1024  # a workbook part is parsed (and the time budget checked) a megabyte at a time

MAX_PERIOD = int(bounds_of(Scenario, "horizon").hi)  # a cohort's periods run 0..MAX_PERIOD
MAX_CUSTOMERS_PER_COHORT = int(MAX_COUNT)
MAX_MONEY_PER_PERIOD = MAX_UNIT_MONEY  # revenue, potential and purchase amounts
MAX_TENURE = int(bounds_of(Segment, "tenure").hi)  # periods a customer has stayed
FIRST_DATE = pd.Timestamp("1900-01-01")
LAST_DATE = pd.Timestamp("2200-12-31")


class FileProblemError(InputError):
    """A file that cannot be read at all; the message says why and what would work."""


class ReadLimitError(FileProblemError):
    """A file beyond one of the limits above; the message names the limit and what to do."""


def describe_bytes(size: int) -> str:
    """A size in bytes, exactly, with its MB to two decimals: ``3,200,001,715 bytes (3,051.76 MB)``."""
    return f"{size:,} bytes ({size / 1024 / 1024:,.2f} MB)"


def read_seconds(size_bytes: int) -> float:
    """The time budget for reading a file of ``size_bytes``: :data:`READ_SECONDS_BASE` plus
    :data:`READ_SECONDS_PER_MB` per MB."""
    return READ_SECONDS_BASE + READ_SECONDS_PER_MB * size_bytes / 1024 / 1024


class ReadTimeLimitError(ReadLimitError):
    """A read that used up its time budget; the message names the file and the budget."""


class Deadline:
    """The time budget of one read, checked while reading: :meth:`check` raises once it is spent.

    The budget is the reading thread's processor time, so that other sessions' work on a busy
    server does not count against a file, while a file that needs too much work is stopped.
    """

    def __init__(self, seconds: float, name: str):
        self.seconds = float(seconds)
        self.name = name
        self._end = time.thread_time() + self.seconds

    @classmethod
    def for_size(cls, size_bytes: int, name: str) -> Deadline:
        """The budget of :func:`read_seconds` for a file of ``size_bytes``."""
        return cls(read_seconds(size_bytes), name)

    def check(self) -> None:
        if time.thread_time() >= self._end:
            raise ReadTimeLimitError(
                f"{self.name}: reading took more than {self.seconds:g} s of processor time, its limit "
                f"({READ_SECONDS_BASE:g} s plus {READ_SECONDS_PER_MB:g} s per MB of the file); save only the "
                "columns and rows needed, or as CSV."
            )
