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

from ..cli_common import fraction, json_safe, write_output
from ..errors import InputError
from ..io.cells import to_csv
from . import action_cli
from .encoding import ENCODINGS


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
        "--encoding",
        choices=tuple(ENCODINGS),
        help="a CSV's encoding (default: detected; the guess is printed when the file is not UTF-8)",
    )
    p.add_argument(
        "--period",
        choices=("week", "month", "quarter", "year"),
        help="period of revenue and tenure, and the time unit of the purchase model (default: month; year for "
        "cohort tables; a scenario needs month, quarter or year)",
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
    fit = subparsers.add_parser(
        "fit",
        help="fit the sBG churn model per segment, class or cohort set of your data; the BG/NBD purchase model "
        "and Gamma-Gamma spend model to a transaction log",
    )
    _common(fit)
    fit.add_argument("--format", choices=("json", "csv"), default="json")
    fit.add_argument("--out", help="write to this file instead of standard output")
    fit.set_defaults(func=cmd_fit)

    port = subparsers.add_parser(
        "portfolio",
        help="classify your customers and build a scenario: each class in tenure bands, its contact plan a programme",
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
    action_cli.add_options(port)
    port.set_defaults(func=cmd_portfolio)


# the command line's names of the settings, for messages
OPTION_OF_SETTING = {
    "kind": "--kind",
    "columns": "--column",
    "sheet": "--sheet",
    "encoding": "--encoding",
    "period": "--period",
    "as_of": "--as-of",
    "inactivity_days": "--inactivity-days",
    "gross_margin": "--gross-margin",
    "contribution_cuts": "--contribution-cuts",
    "potential_cuts": "--potential-cuts",
    "winback_min": "--winback-min",
}


def settings_of(args):
    """The :class:`~simulation.portfolio.settings.PortfolioSettings` the options describe."""
    from .settings import PortfolioSettings, SettingsError

    columns = {}
    for pair in args.column:
        role, sep, column = pair.partition("=")
        if not sep:
            raise InputError(f"--column: write ROLE=COLUMN; got {pair!r}")
        columns[role.strip()] = column.strip() or None
    fields = {
        "kind": args.kind,
        "columns": columns,
        "sheet": args.sheet,
        "encoding": args.encoding,
        "period": args.period,
        "as_of": args.as_of,
        "inactivity_days": args.inactivity_days,
        "gross_margin": args.gross_margin,
    }
    for name in ("contribution_cuts", "potential_cuts", "winback_min"):  # `portfolio` only
        fields[name] = getattr(args, name, None)
    try:
        return PortfolioSettings(**fields)
    except SettingsError as exc:
        problems = [(OPTION_OF_SETTING.get(name.split(".")[0], name), message) for name, message in exc.problems]
        raise InputError("; ".join(f"{option}: {message}" for option, message in problems)) from None


def load(args):
    """Read and analyse the data file as the options say, listing on standard error what was not read."""
    from . import pipeline

    result = pipeline.analyse_portfolio(args.data, settings_of(args))
    for note in result.reading_notes:
        print(f"note: {note}", file=sys.stderr)
    data = result.data
    if data.problems.count:
        print(f"note: {data.problems.summary(data.rows)}", file=sys.stderr)
        for line in data.problems.lines_text():
            print(f"  {line}", file=sys.stderr)
    return result


def _json(doc) -> str:
    return json.dumps(json_safe(doc), indent=2, ensure_ascii=False) + "\n"


def _reading(fit) -> dict:
    """An sBG fit's a and b in words where they are not estimates (``reading``), nothing otherwise."""
    from .fit import SBGFit
    from .fit_reading import degenerate

    note = degenerate(fit) if isinstance(fit, SBGFit) else None
    return {"reading": note} if note else {}


def cmd_fit(args) -> int:
    result = load(args)
    data = result.data
    by, fits, messages = result.group_fits()
    if not fits:
        detail = " ".join(messages.values())  # each message starts with its group's name
        raise InputError(f"no churn model could be fitted. {detail}")
    records = [{**fit.to_dict(), **_reading(fit)} for fit in fits.values()]
    for msg in messages.values():
        print(f"note: {by} not fitted: {msg}", file=sys.stderr)
    analysis = result.analysis
    if analysis is not None and data.kind == "transactions" and analysis.purchase_model is None:
        print(f"note: no purchase model (BG/NBD) could be fitted: {analysis.purchase_message}", file=sys.stderr)
    if args.format == "csv":
        import pandas as pd

        rows = []
        for r in records:
            flat = {k: v for k, v in r.items() if k != "intervals"}
            for key, (lo, hi) in r["intervals"].items():
                flat[f"{key}_low"], flat[f"{key}_high"] = lo, hi
            rows.append(flat)
        write_output(to_csv(pd.DataFrame(rows)), args.out)
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


def _holdout_records(frame) -> list[dict]:
    return frame.assign(start=frame["start"].dt.strftime("%Y-%m-%d")).to_dict(orient="records")


def programme_records(analysis, scenario) -> list[dict]:
    """Each class's contact plan that is a programme of ``scenario``: class, programme, cost per covered customer
    and per period (over the class's customers today), share of leavers kept."""
    from .scenario_build import programme_name

    by_name = {p.name: p for p in scenario.programmes or []}
    out = []
    for row in analysis.budgets.to_dict(orient="records"):
        plan = analysis.plans.get(row["plan"])
        programme = by_name.get(programme_name(row["plan"], plan.channel)) if plan is not None else None
        if programme is not None:
            out.append(
                {
                    "class": row["plan"],
                    "programme": programme.name,
                    "customers": row["customers"],
                    "cost_per_customer": programme.cost_per_customer,
                    "cost_per_period": programme.cost_per_customer * row["customers"],
                    "keeps": row["keeps"],
                }
            )
    return out


def portfolio_document(analysis, scenario) -> dict:
    """The ``portfolio --format json`` document: classes, strategies, the plans' pricing, fits and the scenario."""
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
    t = analysis.thresholds
    return {
        "period": analysis.period,
        "customers": analysis.status_counts(),
        "thresholds": {
            "contribution": list(t.contribution),
            "potential": list(t.potential),
            "winback_min_value": t.winback_min_value,
            "risk": list(analysis.risk_cuts),
        },
        "classes": classes,
        "strategies": analysis.strategies.to_dict(orient="records"),
        "pricing": [] if analysis.pricing is None else analysis.pricing.to_dict(orient="records"),
        "programmes": programme_records(analysis, scenario),
        "lapsed_worth_winning_back": len(analysis.lapsed_worth_winning_back()),
        "concentration": analysis.concentration,
        "fits": [f.to_dict() for f in analysis.fits.values()],
        "not_fitted": [{"name": k, "message": v} for k, v in analysis.fit_messages.items()],
        "purchase_model": None if analysis.purchase_model is None else analysis.purchase_model.fit.to_dict(),
        "holdout": None if analysis.holdout is None else _holdout_records(analysis.holdout),
        "notes": analysis.notes,
        "scenario": scenario.to_dict(),
    }


def cmd_portfolio(args) -> int:
    from .pipeline import COHORTS_NOT_CLASSIFIED

    result = load(args)
    if result.analysis is None:
        raise InputError(COHORTS_NOT_CLASSIFIED)
    if args.runs < 10 or args.seed < 0:
        raise InputError("--runs must be 10 or more and --seed 0 or more")
    scenario = result.scenario(currency=args.currency, runs=args.runs, seed=args.seed)
    if args.out:
        write_output(scenario.to_toml(), args.out)
    action_cli.write_actions(args, result.analysis)
    if args.format == "json":
        sys.stdout.write(_json(portfolio_document(result.analysis, scenario)))
    elif not args.out and not action_cli.wants_actions(args):
        sys.stdout.write(scenario.to_toml())
    return 0
