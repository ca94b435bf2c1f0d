"""Small builders for the Portfolio tests: files written under tmp_path, read as a user's upload would be."""

from __future__ import annotations

from pathlib import Path

from simulation.portfolio.columns import guess_kind, propose_mapping
from simulation.portfolio.data import read_cohorts, read_customers
from simulation.portfolio.reading import read_upload_bounded
from simulation.portfolio.transactions import read_transactions

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data" / "customers"


def read_text(text: str, name: str = "data.csv", encoding: str = "utf-8", **options):
    """Read CSV text as an upload, with the proposed mapping: ``(kind, data)``."""
    raw = read_upload_bounded(text.encode(encoding), name)
    kind = options.pop("kind", None) or guess_kind(raw.columns)
    mapping = {**propose_mapping(raw.columns, kind), **options.pop("mapping", {})}
    reader = {"customers": read_customers, "transactions": read_transactions, "cohorts": read_cohorts}[kind]
    return kind, reader(raw, mapping, **options)
