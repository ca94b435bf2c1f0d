"""What the command line's subcommands share: argument types, JSON output and writing the result.

Kept apart from :mod:`simulation.cli`, which imports the subcommands of
:mod:`simulation.portfolio.cli` and :mod:`simulation.decide.sweep_command`: they import these
from here without a cycle.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from .errors import InputError


def int_in(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number from ``minimum`` to ``maximum`` (no upper bound if None)."""

    def parse(text: str) -> int:
        # Python refuses to read integers of more than 4,300 digits; no option needs 20
        if len(text.strip()) > 20:
            raise argparse.ArgumentTypeError(
                f"must be a whole number of at most 20 digits; got {len(text):,} characters"
            )
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum:,} or more; got {value:,}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be {maximum:,} or less; got {value:,}")
        return value

    return parse


def fraction(message: str):
    """An argparse type: a number above 0 and at most 1; ``message`` says so when it is not."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number; got {text!r}") from None
        if not 0 < value <= 1:
            raise argparse.ArgumentTypeError(f"{message}; got {value:g}")
        return value

    return parse


def json_safe(value):
    """NaN and infinities become null so the JSON is standard."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_output(text: str, out: str | None, error: type[InputError] = InputError) -> None:
    """``text`` to the file ``out``, else to standard output; a file that cannot be written raises ``error``."""
    if out:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise error(f"--out: cannot write {out}: {exc.strerror}") from None
    else:
        sys.stdout.write(text)


def check_split_search(args, error: type[InputError] = InputError) -> None:
    """The options of a search for the best split (``--objective``, ``--target``, ``--grid``),
    checked together; the first that is wrong raises ``error`` naming it."""
    from .decide import MAX_GRID, OBJECTIVES

    if args.objective not in OBJECTIVES:
        raise error(f"--objective: must be one of {', '.join(OBJECTIVES)}; got {args.objective!r}")
    if args.objective == "target" and args.target is None:
        raise error("--target: the 'target' objective needs a revenue target (revenue in the last period)")
    if args.target is not None and not math.isfinite(args.target):
        raise error(f"--target: must be a finite number; got {args.target}")
    if not 2 <= args.grid <= MAX_GRID:
        raise error(f"--grid: must be from 2 to {MAX_GRID} points (0 % and 100 % included); got {args.grid}")
