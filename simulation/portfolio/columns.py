"""The columns each kind of input needs, and a proposed mapping from a file's own column names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError

KINDS = ("customers", "transactions", "cohorts")
KIND_LABELS = {
    "customers": "customer table (one row per customer or prospect)",
    "transactions": "transaction log (one row per purchase)",
    "cohorts": "cohort table (customers still active per cohort and period)",
}


@dataclass(frozen=True)
class Role:
    """One column the model reads: its key, what it means, and names people give it."""

    key: str
    label: str
    required: bool
    synonyms: tuple[str, ...]


ROLES: dict[str, tuple[Role, ...]] = {
    "customers": (
        Role(
            "customer_id",
            "customer id",
            True,
            (
                "customer_id",
                "customer",
                "customer_no",
                "customer_number",
                "client_id",
                "client",
                "account_id",
                "account",
                "account_number",
                "id",
                "cust_id",
                "kunde",
                "kundennummer",
            ),
        ),
        Role(
            "revenue",
            "revenue per period",
            True,
            (
                "revenue",
                "revenue_per_period",
                "monthly_revenue",
                "mrr",
                "arr",
                "sales",
                "turnover",
                "annual_revenue",
                "yearly_revenue",
                "quarterly_revenue",
                "value",
                "spend",
                "umsatz",
            ),
        ),
        Role(
            "start",
            "start date",
            False,
            (
                "start",
                "start_date",
                "since",
                "customer_since",
                "signup_date",
                "signup",
                "first_purchase",
                "first_order",
                "created",
                "created_at",
                "joined",
                "acquired",
                "contract_start",
                "seit",
                "kunde_seit",
            ),
        ),
        Role(
            "tenure",
            "tenure in periods",
            False,
            ("tenure", "tenure_periods", "tenure_months", "months", "periods", "lifetime", "age"),
        ),
        Role(
            "end",
            "end date (empty while active)",
            False,
            (
                "end",
                "end_date",
                "churn_date",
                "churned_at",
                "churned_on",
                "cancelled",
                "cancel_date",
                "cancellation_date",
                "lapsed_date",
                "left",
                "left_on",
                "contract_end",
            ),
        ),
        Role(
            "status",
            "status (active / lapsed)",
            False,
            ("status", "state", "active", "is_active", "churned", "lapsed", "customer_status"),
        ),
        Role(
            "potential",
            "potential revenue per period",
            False,
            (
                "potential",
                "potential_revenue",
                "revenue_potential",
                "wallet",
                "share_of_wallet",
                "max_revenue",
                "opportunity",
            ),
        ),
        Role("segment", "segment", False, ("segment", "customer_segment", "group", "tier", "region", "industry")),
        Role(
            "gross_margin",
            "gross margin (0..1)",
            False,
            ("gross_margin", "margin", "gm", "margin_pct", "gross_margin_pct"),
        ),
        Role(
            "churn_risk",
            "churn risk (0..1)",
            False,
            ("churn_risk", "risk", "churn_probability", "churn_score", "propensity"),
        ),
    ),
    "transactions": (
        Role(
            "customer_id",
            "customer id",
            True,
            (
                "customer_id",
                "customer",
                "client_id",
                "client",
                "account_id",
                "account",
                "cust_id",
                "id",
                "buyer",
                "user_id",
            ),
        ),
        Role(
            "date",
            "purchase date",
            True,
            (
                "date",
                "order_date",
                "purchase_date",
                "invoice_date",
                "transaction_date",
                "timestamp",
                "created_at",
                "day",
            ),
        ),
        Role(
            "amount",
            "amount",
            True,
            ("amount", "revenue", "value", "total", "sales", "price", "spend", "order_value", "net_amount"),
        ),
    ),
    "cohorts": (
        Role(
            "cohort",
            "cohort",
            True,
            ("cohort", "cohort_name", "segment", "group", "vintage", "acquired", "start_period"),
        ),
        Role("period", "period", True, ("period", "year", "month", "quarter", "t", "age", "periods_since_start")),
        Role(
            "active",
            "customers still active",
            True,
            ("active", "alive", "customers", "survivors", "retained", "remaining", "count", "n"),
        ),
        Role("segment", "cohort set (optional)", False, ("cohort_set", "set", "segment_name", "plan")),
    ),
}


def normalise(name: str) -> str:
    """A column name compared loosely: lower case, words joined by ``_``, currency and units dropped."""
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", str(name).lower())
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    return text


def roles_of(kind: str) -> tuple[Role, ...]:
    if kind not in ROLES:
        raise InputError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return ROLES[kind]


def _is_wide_cohort(columns: list[str]) -> bool:
    """Cohorts as rows and periods as columns: a name column, then three or more numbered columns."""
    numbered = [c for c in columns if re.fullmatch(r"(?:year|month|quarter|period|t)?[ _]?\d+", normalise(c))]
    return len(numbered) >= 3 and len(columns) - len(numbered) <= 2


def guess_kind(columns: list[str]) -> str:
    """The kind of input a header most likely belongs to (``customers`` when unsure)."""
    if _is_wide_cohort(columns):
        return "cohorts"
    scores = {}
    for kind in KINDS:
        mapping = propose_mapping(columns, kind)
        required = [r.key for r in ROLES[kind] if r.required]
        scores[kind] = (all(mapping.get(k) for k in required), sum(1 for v in mapping.values() if v))
    complete = [k for k in KINDS if scores[k][0]]
    if "cohorts" in complete and scores["cohorts"][1] >= 3 and "customers" not in complete:
        return "cohorts"
    if "transactions" in complete and not (set(map(normalise, columns)) & {"potential", "status", "end", "tenure"}):
        norm = set(map(normalise, columns))
        if norm & {"date", "order_date", "purchase_date", "invoice_date", "transaction_date"}:
            return "transactions"
    if "customers" in complete:
        return "customers"
    return max(KINDS, key=lambda k: scores[k])


def propose_mapping(columns: list[str], kind: str) -> dict[str, str | None]:
    """For each role of ``kind``, the file column that most likely holds it (None when none does).

    An exact (normalised) match wins, then a synonym, then a column whose name contains a
    synonym; no column is used twice.
    """
    roles = roles_of(kind)
    if kind == "cohorts" and _is_wide_cohort(columns):
        return {
            "cohort": next((c for c in columns if not re.search(r"\d", normalise(c))), columns[0]),
            "period": None,
            "active": None,
            "segment": None,
        }
    norm = {c: normalise(c) for c in columns}
    taken: set[str] = set()
    mapping: dict[str, str | None] = {}
    for stage in ("key", "synonym", "contains"):
        for role in roles:
            if mapping.get(role.key):
                continue
            for column, n in norm.items():
                if column in taken:
                    continue
                if stage == "key":
                    hit = n == role.key
                elif stage == "synonym":
                    hit = n in role.synonyms
                else:
                    hit = any(len(s) > 3 and s in n for s in role.synonyms)
                if hit:
                    mapping[role.key] = column
                    taken.add(column)
                    break
    return {role.key: mapping.get(role.key) for role in roles}


def check_mapping(columns: list[str], kind: str, mapping: dict[str, str | None]) -> dict[str, str | None]:
    """The mapping completed and checked: unknown roles or columns and missing required ones are errors."""
    roles = roles_of(kind)
    keys = {r.key for r in roles}
    unknown = sorted(set(mapping) - keys)
    if unknown:
        raise InputError(f"unknown column role(s) {', '.join(unknown)}; a {kind} file has {', '.join(sorted(keys))}")
    full = {r.key: mapping.get(r.key) or None for r in roles}
    for key, column in full.items():
        if column is not None and column not in columns:
            raise InputError(
                f"{key}: the file has no column {column!r}; its columns are {', '.join(map(repr, columns))}"
            )
    if kind == "cohorts" and _is_wide_cohort(columns) and full["period"] is None:
        return full
    missing = [r for r in roles if r.required and full[r.key] is None]
    if missing:
        need = "; ".join(f"{r.key} ({r.label})" for r in missing)
        raise InputError(
            f"no column for {need}. The file's columns are {', '.join(map(repr, columns))}: "
            "choose which one holds it (on the command line: --column ROLE=COLUMN)."
        )
    if kind == "customers" and full["start"] is None and full["tenure"] is None:
        raise InputError(
            "no column for start (start date) or tenure (periods as a customer): one of them is needed to know "
            f"how long each customer has stayed. The file's columns are {', '.join(map(repr, columns))}."
        )
    used = [c for c in full.values() if c]
    twice = sorted({c for c in used if used.count(c) > 1})
    if twice:
        raise InputError(f"column {twice[0]!r} is chosen for more than one role")
    return full


def currency_in(columns: list[str], codes: tuple[str, ...]) -> str | None:
    """The first currency code (from ``codes``) named in a column header, e.g. ``EUR`` in ``Amount (EUR)``."""
    for column in columns:
        for code in codes:
            if re.search(rf"(?<![A-Za-z]){code}(?![A-Za-z])", str(column)):
                return code
    return None
