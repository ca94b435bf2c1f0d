"""``python -m simulation fit DATA`` and ``python -m simulation portfolio DATA``.

Both read a customer table, a transaction log or (``fit`` only) a cohort table; rows that
cannot be read are counted on standard error with the first few line numbers. Bad input
exits with status 2 and a message naming the column or line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from ..cli_common import fraction, json_safe, write_output
from ..errors import InputError


def _cuts(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be two numbers LOW,HIGH; got {text!r}") from None
    return lo, hi


_margin = fraction("must be above 0 and at most 1")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="customer table, transaction log or cohort table (.csv or .xlsx)")
    p.add_argument(
        "--kind", choices=("customers", "transactions", "cohorts"), help="what the file is (default: guessed)"
    )
    p.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="ROLE=COLUMN",
        help="which file column holds a role, e.g. --column revenue='MRR (EUR)' (repeatable)",
    )
    p.add_argument("--sheet", help="Excel sheet to read (default: the first with data)")
    p.add_argument(
        "--period",
        choices=("month", "quarter", "year"),
        help="period of revenue and tenure (default: month; year for cohort tables)",
    )
    p.add_argument("--as-of", help="date the data describe, YYYY-MM-DD (default: the latest date in the file)")
    p.add_argument("--inactivity-days", type=int, help="transaction logs: days without a purchase that mean lapsed")
    p.add_argument(
        "--gross-margin",
        type=_margin,
        default=1.0,
        help="gross margin for customers the file gives none (default 1: contribution = revenue)",
    )


def add_commands(subparsers) -> None:
    """Register ``fit`` and ``portfolio`` on the main command line's subparsers."""
    fit = subparsers.add_parser("fit", help="fit the sBG churn model per segment, class or cohort set of your data")
    _common(fit)
    fit.add_argument("--format", choices=("json", "csv"), default="json")
    fit.add_argument("--out", help="write to this file instead of standard output")
    fit.set_defaults(func=cmd_fit)

    port = subparsers.add_parser(
        "portfolio", help="classify your customers and build a scenario with one segment per class"
    )
    _common(port)
    port.add_argument("--out", help="write the scenario (TOML) to this file")
    port.add_argument(
        "--format",
        choices=("toml", "json"),
        default="toml",
        help="toml: the scenario (default); json: the classes and the scenario",
    )
    port.add_argument("--currency", default="USD")
    port.add_argument("--contribution-cuts", type=_cuts, metavar="LOW,HIGH", help="nine-box contribution thresholds")
    port.add_argument("--potential-cuts", type=_cuts, metavar="LOW,HIGH", help="nine-box potential thresholds")
    port.add_argument("--winback-min", type=float, help="past contribution per period worth winning back")
    port.add_argument("--runs", type=int, default=1000)
    port.add_argument("--seed", type=int, default=42)
    port.set_defaults(func=cmd_portfolio)


def _mapping(raw, kind: str, pairs: list[str]) -> dict:
    from .columns import propose_mapping, roles_of

    mapping = propose_mapping(raw.columns, kind)
    keys = [r.key for r in roles_of(kind)]
    for pair in pairs:
        role, sep, column = pair.partition("=")
        if not sep:
            raise InputError(f"--column: write ROLE=COLUMN; got {pair!r}")
        if role.strip() not in keys:
            raise InputError(f"--column: unknown role {role.strip()!r}; a {kind} file has {', '.join(keys)}")
        mapping[role.strip()] = column.strip() or None
    return mapping


def load(args):
    """Read the data file as the options say: ``(kind, data)``."""
    from .columns import guess_kind
    from .data import read_cohorts, read_customers, read_transactions
    from .reading import read_path

    raw = read_path(args.data, sheet=args.sheet)
    for note in raw.notes:
        print(f"note: {note}", file=sys.stderr)
    kind = args.kind or guess_kind(raw.columns)
    mapping = _mapping(raw, kind, args.column)
    if args.inactivity_days is not None and args.inactivity_days < 1:
        raise InputError(f"--inactivity-days: must be 1 or more; got {args.inactivity_days}")
    as_of = None
    if args.as_of:
        import pandas as pd

        try:
            as_of = pd.Timestamp(args.as_of)
        except ValueError:
            raise InputError(f"--as-of: not a date (YYYY-MM-DD): {args.as_of!r}") from None
    if kind == "cohorts":
        data = read_cohorts(raw, mapping, period=args.period or "year")
    elif kind == "transactions":
        data = read_transactions(
            raw, mapping, period=args.period or "month", as_of=as_of, inactivity_days=args.inactivity_days
        )
    else:
        data = read_customers(raw, mapping, period=args.period or "month", as_of=as_of)
    if data.problems.count:
        print(f"note: {data.problems.summary(data.rows)}", file=sys.stderr)
        for line in data.problems.lines_text():
            print(f"  {line}", file=sys.stderr)
    return kind, data


def _json(doc) -> str:
    return json.dumps(json_safe(doc), indent=2, ensure_ascii=False) + "\n"


def fits_for(kind, data, gross_margin: float = 1.0):
    """The fits ``fit`` reports: per cohort set, else per segment when the file has segments, else per class."""
    from .analysis import analyse, fit_cohorts, fit_groups

    if kind == "cohorts":
        return "cohort set", *fit_cohorts(data)
    segments = data.customers["segment"]
    if (segments != "").any():
        return "segment", *fit_groups(data.customers, "segment")
    analysis = analyse(data, default_margin=gross_margin)
    fits = {k: v for k, v in analysis.fits.items() if k != "All customers"}
    messages = {k: v for k, v in analysis.fit_messages.items() if k != "All customers"}
    return "class", fits, messages


def cmd_fit(args) -> int:
    kind, data = load(args)
    by, fits, messages = fits_for(kind, data, args.gross_margin)
    if not fits:
        detail = " ".join(f"{name}: {msg}" for name, msg in messages.items())
        raise InputError(f"no churn model could be fitted. {detail}")
    records = [fit.to_dict() for fit in fits.values()]
    for name, msg in messages.items():
        print(f"note: {by} {name}: not fitted: {msg}", file=sys.stderr)
    if args.format == "csv":
        import pandas as pd

        rows = []
        for r in records:
            flat = {k: v for k, v in r.items() if k != "intervals"}
            for key, (lo, hi) in r["intervals"].items():
                flat[f"{key}_low"], flat[f"{key}_high"] = lo, hi
            rows.append(flat)
        write_output(pd.DataFrame(rows).to_csv(index=False, float_format="%.6g"), args.out)
    else:
        doc = {
            "fits": records,
            "fitted_by": by,
            "not_fitted": [{"name": k, "message": v} for k, v in messages.items()],
            "period": data.period,
            "interval_level": 0.9,
            "rows": data.rows,
            "rows_not_used": data.problems.count,
        }
        write_output(_json(doc), args.out)
    return 0


def portfolio_document(analysis, scenario) -> dict:
    """The ``portfolio --format json`` document: classes, strategies, fits and the scenario."""
    classes = []
    for row in analysis.classes.itertuples():
        classes.append(
            {
                "name": row[1],
                "customers": int(row.customers),
                "revenue": row.revenue,
                "revenue_share": row.revenue_share,
                "contribution": row.contribution,
                "potential": row.potential,
                "median_tenure": None if math.isnan(row.median_tenure) else row.median_tenure,
                "risk_mix": {"low": row.risk_low, "medium": row.risk_medium, "high": row.risk_high},
                "strategy": row.strategy,
                "lapsed": int(row.lapsed),
                "prospects": int(row.prospects),
                "budget_shares": {
                    lever: getattr(row, f"share_{lever}")
                    for lever in ("acquisition", "retention", "expansion", "winback")
                },
            }
        )
    c = analysis.customers
    t = analysis.thresholds
    return {
        "period": analysis.period,
        "customers": {s: int((c["status"] == s).sum()) for s in ("active", "lapsed", "prospect")},
        "thresholds": {
            "contribution": list(t.contribution),
            "potential": list(t.potential),
            "winback_min_value": t.winback_min_value,
            "risk": list(analysis.risk_cuts),
        },
        "classes": classes,
        "strategies": analysis.strategies.to_dict(orient="records"),
        "lapsed_worth_winning_back": len(analysis.lapsed_worth_winning_back()),
        "concentration": analysis.concentration,
        "fits": [f.to_dict() for f in analysis.fits.values()],
        "not_fitted": [{"name": k, "message": v} for k, v in analysis.fit_messages.items()],
        "notes": analysis.notes,
        "scenario": scenario.to_dict(),
    }


def cmd_portfolio(args) -> int:
    from .analysis import analyse, build_scenario
    from .classify import default_thresholds

    kind, data = load(args)
    if kind == "cohorts":
        raise InputError(
            "a cohort table gives retention curves only, not customers to classify: use `fit` on it, "
            "or give a customer table or a transaction log."
        )
    if args.runs < 10 or args.seed < 0:
        raise InputError("--runs must be 10 or more and --seed 0 or more")
    thresholds = None
    if args.contribution_cuts or args.potential_cuts or args.winback_min is not None:
        from .analysis import prepare
        from .classify import Thresholds

        base = default_thresholds(prepare(data, args.gross_margin)[0])
        thresholds = Thresholds(
            contribution=args.contribution_cuts or base.contribution,
            potential=args.potential_cuts or base.potential,
            winback_min_value=base.winback_min_value if args.winback_min is None else args.winback_min,
        )
    analysis = analyse(data, thresholds=thresholds, default_margin=args.gross_margin)
    scenario = build_scenario(
        analysis, source_name=Path(args.data).stem, currency=args.currency, runs=args.runs, seed=args.seed
    )
    if args.out:
        write_output(scenario.to_toml(), args.out)
    if args.format == "json":
        sys.stdout.write(_json(portfolio_document(analysis, scenario)))
    elif not args.out:
        sys.stdout.write(scenario.to_toml())
    return 0
