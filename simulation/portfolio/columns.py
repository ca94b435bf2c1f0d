"""The columns each kind of input needs, and a proposed mapping from a file's own column names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from ..errors import InputError
from .synonyms import BY_KIND

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
        Role("name", "name", False, ("name", "customer_name", "company", "company_name", "account_name")),
        Role(
            "owner",
            "owner (account manager)",
            False,
            ("owner", "account_owner", "account_manager", "sales_rep", "rep", "salesperson", "key_account_manager"),
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
        Role("name", "name", False, ("name", "customer_name", "company", "company_name", "account_name")),
        Role(
            "owner",
            "owner (account manager)",
            False,
            ("owner", "account_owner", "account_manager", "sales_rep", "rep", "salesperson", "key_account_manager"),
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
    """A column name compared loosely: case and accents dropped, words joined by ``_``, units in brackets dropped.

    Letters of any script are kept (``รายได้``, ``приходи``); ``Kündigungsdatum`` and
    ``KUNDIGUNGSDATUM`` compare equal, as do ``date de résiliation`` and ``Date_de_resiliation``.
    """
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", str(name)).casefold().replace("đ", "d")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "_", text).strip("_")


@cache
def synonyms_of(kind: str, key: str) -> frozenset[str]:
    """The normalised names a role's column may have, in English and the other languages read."""
    role = next(r for r in roles_of(kind) if r.key == key)
    return frozenset(normalise(s) for s in (*role.synonyms, *BY_KIND[kind].get(key, ()))) - {""}


def roles_of(kind: str) -> tuple[Role, ...]:
    if kind not in ROLES:
        raise InputError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return ROLES[kind]


# a period's column in a wide cohort table: 3, Year 3, M3, Month_3, Monat 3, mois 3, tháng 3, ...
_PERIOD_COLUMN = re.compile(
    r"(?:year|month|quarter|period|week|t|m|y|q|w|p|monat|jahr|quartal|mois|annee|trimestre|thang|nam|quy"
    r"|เดือน|ปี|месец|година)?_?\d+"
)


def _is_wide_cohort(columns: list[str]) -> bool:
    """Cohorts as rows and periods as columns: a name column, then three or more numbered columns."""
    numbered = [c for c in columns if _PERIOD_COLUMN.fullmatch(normalise(c))]
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
    if "transactions" in complete:
        customer_roles = propose_mapping(columns, "customers")
        date = propose_mapping(columns, "transactions")["date"]
        dated = normalise(date) in synonyms_of("transactions", "date") - {"day", "timestamp", "created_at"}
        if dated and not any(customer_roles[k] for k in ("potential", "status", "end", "tenure")):
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
                    hit = n in synonyms_of(kind, role.key)
                else:
                    hit = any(len(s) > 3 and s in n for s in synonyms_of(kind, role.key))
                if hit:
                    mapping[role.key] = column
                    taken.add(column)
                    break
    return {role.key: mapping.get(role.key) for role in roles}


def unused_columns(columns: list[str], mapping: dict[str, str | None]) -> list[str]:
    """The file's columns that no role reads, in the file's order."""
    used = {c for c in mapping.values() if c}
    return [c for c in columns if c not in used]


def unused_sentence(columns: list[str], mapping: dict[str, str | None], wide_cohorts: bool = False) -> str | None:
    """A sentence naming the columns not read (None when every column is read, or in a wide cohort table,
    whose numbered columns are its periods)."""
    unused = [] if wide_cohorts else unused_columns(columns, mapping)
    if not unused:
        return None
    shown = ", ".join(repr(c[:60]) for c in unused[:12]) + (f" and {len(unused) - 12} more" if len(unused) > 12 else "")
    return (
        f"{len(unused)} column(s) not read, as their names are not ones this recognises: {shown}. "
        "If one holds a customer id, revenue, a date, a status or another role, choose it under Columns "
        "(on the command line: --column ROLE=COLUMN)."
    )


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
