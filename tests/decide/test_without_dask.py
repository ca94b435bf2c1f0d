"""Dask is an optional extra (``pip install -e ".[cluster]"``): without it everything runs here.

Each check runs in a process where importing ``dask`` or ``distributed`` fails, as it does in an
installation without the extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.numerics.executor import ENV
from tests.helpers import scenario

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_DASK = "import sys; sys.modules.update(dask=None, distributed=None); "
EXTRA = '.[cluster]"'


def _python(code: str, env=None, seconds=240):
    environment = {k: v for k, v in os.environ.items() if k != ENV} | {"PYTHONPATH": str(ROOT)} | (env or {})
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DASK + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds,
        env=environment,
    )


def _cli(*args, env=None):
    argv = ["simulation", *map(str, args)]
    code = f"import runpy; sys.argv = {argv!r}; runpy.run_module('simulation', run_name='__main__')"
    return _python(code, env)


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(scenario(horizon=6, budget={"acquisition": 40_000, "retention": 20_000}).to_toml(), "utf-8")
    return path


@pytest.mark.timeout(300)
def test_the_model_and_the_sweeps_import_without_dask():
    done = _python("import simulation, simulation.decide, simulation.cli, simulation.numerics.executor; print('ok')")
    assert done.returncode == 0 and done.stdout.strip() == "ok", f"an import needs Dask: {done.stderr}"


@pytest.mark.timeout(300)
def test_sweep_on_a_scheduler_names_the_extra(scenario_file, tmp_path):
    done = _cli("sweep", scenario_file, "--scheduler", "tcp://127.0.0.1:8786", "--out", tmp_path / "x.csv")
    assert done.returncode == 2, f"exit status {done.returncode}; stderr: {done.stderr}"
    assert "--scheduler" in done.stderr and EXTRA in done.stderr, f"the extra is not named: {done.stderr!r}"
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.timeout(300)
def test_sweep_here_works_and_the_setting_falls_back_naming_the_extra(scenario_file, tmp_path):
    done = _cli(
        "sweep", scenario_file, "--runs", "20", "--grid", "3", "--out", tmp_path / "x.csv", env={ENV: "local:2"}
    )
    assert done.returncode == 0, f"exit status {done.returncode}; stderr: {done.stderr}"
    assert "warning:" in done.stderr and EXTRA in done.stderr, f"no warning naming the extra: {done.stderr!r}"
    assert (tmp_path / "x.csv").stat().st_size > 0, "no table written"
