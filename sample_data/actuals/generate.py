"""Make the example actuals: the first nine months of the default preset's plan, as one simulated future.

One run of the discrete-event engine (its own seed, so not one of the plan's futures) stands for
what happened; the file holds what a finance team reports each month. Run from the repository:
``python sample_data/actuals/generate.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simulation import simulate
from simulation.io.cells import to_csv
from simulation.io.presets import DEFAULT_PRESET, load_preset

HERE = Path(__file__).resolve().parent
MONTHS = 9
SEED = 20270101


def actuals() -> pd.DataFrame:
    scenario = load_preset(DEFAULT_PRESET)
    happened = simulate(scenario, runs=1, seed=SEED, engine="discrete_event")
    columns = {"period": list(range(1, MONTHS + 1))}
    for metric in ("active_customers", "new_customers", "churned_customers", "revenue", "spend"):
        values = happened.paths[metric][0, 1 : MONTHS + 1]
        columns[metric] = [round(float(v)) if metric != "revenue" else round(float(v), 2) for v in values]
    return pd.DataFrame(columns)


if __name__ == "__main__":
    (HERE / "saas_mid_market_actuals.csv").write_text(to_csv(actuals()), encoding="utf-8")
