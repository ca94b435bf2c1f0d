"""The CDNOW 1/10 sample (2,357 customers, January 1997 to June 1998) as a transaction log.

The raw file is the one Fader, Hardie and Lee (2005) fitted; the package ``lifetimes`` (a test
dependency for this reason only) ships it as ``lifetimes/datasets/CDNOW_sample.txt``: whitespace
separated, one row per customer and day, columns original id, sample id, date (YYYYMMDD), CDs
bought and dollars spent. Only the file is read; the package is not imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

AS_OF = "1997-09-30"  # end of the 39-week calibration period


def cdnow_path() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, (
        "the CDNOW sample comes with the test dependency `lifetimes`: pip install -e '.[test]'"
    )
    return Path(spec.submodule_search_locations[0]) / "datasets" / "CDNOW_sample.txt"


def cdnow_purchases() -> pd.DataFrame:
    """``customer_id, date, amount``, one row per purchase."""
    raw = pd.read_csv(
        cdnow_path(), sep=r"\s+", header=None, names=["id", "sample_id", "date", "cds", "amount"], dtype=str
    )
    return pd.DataFrame(
        {
            "customer_id": raw["id"],
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"].astype(float),
        }
    )


def cdnow_csv(path: Path) -> Path:
    """The sample written as a CSV a user might upload (ISO dates), at ``path``."""
    frame = cdnow_purchases()
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path
