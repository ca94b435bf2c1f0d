"""The ``portfolio`` command's action outputs: ``--actions``, ``--calendar`` and ``--winback`` files.

Each is written as CSV, or as an Excel workbook when its name ends in ``.xlsx``; text cells are
escaped against formulas either way (:mod:`simulation.io.cells`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from .actions import action_list, calendar_table, contact_calendar, to_csv_text, to_xlsx, winback_list

MAX_LAPSED_MONTHS = 1200


def _months(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of months; got {text!r}") from None
    if not 0 <= value <= MAX_LAPSED_MONTHS:
        raise argparse.ArgumentTypeError(f"must be from 0 to {MAX_LAPSED_MONTHS} months; got {value}")
    return value


def add_options(p: argparse.ArgumentParser) -> None:
    """Add the action outputs' options to the ``portfolio`` command."""
    p.add_argument(
        "--actions",
        metavar="FILE",
        help="write the action list: one row per customer with class, strategy, why, next action and its date "
        "(.csv, or .xlsx for a workbook)",
    )
    p.add_argument(
        "--calendar",
        metavar="FILE",
        help="write the 12-month contact calendar: contacts per month for each class's plan (.csv or .xlsx)",
    )
    p.add_argument(
        "--winback",
        metavar="FILE",
        help="write the lapsed customers worth winning back who left within --lapsed-within months (.csv or .xlsx)",
    )
    p.add_argument(
        "--lapsed-within",
        type=_months,
        default=12,
        metavar="MONTHS",
        help="the win-back list: customers who left at most this many months before the data's date (default 12)",
    )


def wants_actions(args) -> bool:
    return bool(args.actions or args.calendar or args.winback)


def write_actions(args, analysis) -> None:
    """Write each action output the options ask for."""
    if args.actions:
        _write(args.actions, "--actions", {"actions": action_list(analysis)})
    if args.calendar:
        calendar = contact_calendar(analysis)
        _write(args.calendar, "--calendar", {"calendar": calendar_table(calendar), "by month": calendar})
    if args.winback:
        _write(args.winback, "--winback", {"win back": winback_list(analysis, args.lapsed_within)})


def _write(path: str, option: str, sheets: dict) -> None:
    target = Path(path)
    try:
        if target.suffix.lower() == ".xlsx":
            target.write_bytes(to_xlsx(sheets))
        else:
            target.write_text(to_csv_text(next(iter(sheets.values()))), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{option}: cannot write {path}: {exc.strerror}") from None
