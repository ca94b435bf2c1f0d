"""Time a save and a load of a scenario on each storage back end: the median of many, on this machine.

    .venv/bin/python scripts/measure_storage.py [--repeats 300] [--database-url postgresql://...]

SQLite is measured in a temporary data folder. PostgreSQL is measured on the database the URL
names, or, without one, on a cluster this script starts in a temporary folder (as
``./run.sh serve`` does: Debian's postgresql, run as the postgres user when this runs as root),
reached over loopback TCP. A save is one transaction (write lock, check, delete, insert, commit
with fsync); a load reads and validates the scenario. Each is timed from the caller, through
the store's public methods.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.io.database import DATABASE_URL_ENV, dispose_engines  # noqa: E402
from simulation.io.presets import load_preset  # noqa: E402
from simulation.io.storage import ScenarioStore  # noqa: E402


def _serve_module():
    spec = importlib.util.spec_from_file_location("serve", ROOT / "deploy" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(folder: Path, repeats: int) -> dict[str, float]:
    store = ScenarioStore(folder)
    scenario = load_preset("saas_mid_market")
    store.save("warm-up", scenario)
    store.load("warm-up")
    saves, loads = [], []
    for i in range(repeats):
        t = time.perf_counter()
        store.save(f"plan {i % 20}", scenario, replace=True)
        saves.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.load(f"plan {i % 20}")
        loads.append(time.perf_counter() - t)
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1]  # noqa: E731
    return {"save_p50": statistics.median(saves), "save_p95": q(saves, 95),
            "load_p50": statistics.median(loads), "load_p95": q(loads, 95)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="retention-lab-measure-"))
    scratch.chmod(0o755)
    cluster = None
    try:
        os.environ.pop(DATABASE_URL_ENV, None)
        results = {"SQLite (file in the data folder)": measure(scratch / "sqlite", args.repeats)}
        url = args.database_url
        if not url:
            serve = _serve_module()
            cluster = serve.LocalPostgres(scratch / "postgresql", serve._free_port())
            url = cluster.start()
        os.environ[DATABASE_URL_ENV] = url
        results["PostgreSQL (loopback TCP)"] = measure(scratch / "unused", args.repeats)
        dispose_engines()
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{args.repeats} saves and loads of the saas_mid_market preset; times in milliseconds")
    print(f"{'back end':36} {'save p50':>9} {'save p95':>9} {'load p50':>9} {'load p95':>9}")
    for name, r in results.items():
        print(f"{name:36} {r['save_p50'] * 1e3:9.2f} {r['save_p95'] * 1e3:9.2f} "
              f"{r['load_p50'] * 1e3:9.2f} {r['load_p95'] * 1e3:9.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
