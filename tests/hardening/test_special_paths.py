"""Paths on the command line that are not ordinary files (issue 23, item 8).

A named pipe used to hang ``validate`` and ``fit`` for ever (reading waits for a writer);
``fit /dev/zero`` read without limit (``stat`` says 0 bytes, so the size check passed); and a
scenario file was read whole before its 1 MB check. Every user path is now read through
:func:`simulation.io.files.read_limited`: regular files only, at most the limit plus one byte.
Each command runs as its own process, so a hang ends in the subprocess's time-out, not the suite's.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from simulation import ScenarioError, load_scenario
from simulation.io.files import FileReadError, read_limited
from simulation.model.scenario import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 60  # a refusal takes well under a second after Python starts; a hang never ends
MEMORY_CAP = 3 * 1024**3  # address space of the child: an unbounded read fails here, not on the machine


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _cli(*args):
    try:
        return subprocess.run(
            [sys.executable, "-m", "simulation", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=SECONDS,
            preexec_fn=_cap_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"python -m simulation {' '.join(map(str, args))} did not end within {SECONDS} s")


def _assert_refused(done, path, allowed):
    assert done.returncode == 2, f"exit status {done.returncode}, expected 2; stderr: {done.stderr}"
    assert str(path) in done.stderr, f"the message does not name {path}: {done.stderr!r}"
    assert "not a regular file" in done.stderr and allowed in done.stderr, f"unclear message: {done.stderr!r}"
    assert "Traceback" not in done.stderr, f"a traceback reached the user: {done.stderr}"


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


@pytest.mark.timeout(4 * SECONDS)
@pytest.mark.parametrize(
    ("command", "allowed"),
    [(["validate"], "scenario file"), (["fit"], "CSV or .xlsx"), (["portfolio"], "CSV or .xlsx")],
)
def test_a_named_pipe_is_refused_at_once(fifo, command, allowed):
    _assert_refused(_cli(*command, fifo), fifo, allowed)


@pytest.mark.timeout(2 * SECONDS)
def test_sweep_refuses_a_named_pipe_among_its_files(fifo, tmp_path):
    done = _cli("sweep", fifo, "--out", tmp_path / "x.csv")
    _assert_refused(done, fifo, "scenario file")


@pytest.mark.timeout(2 * SECONDS)
@pytest.mark.parametrize(
    ("command", "device", "allowed"),
    [(["fit"], "/dev/zero", "CSV or .xlsx"), (["validate"], "/dev/urandom", "scenario file")],
)
def test_an_endless_device_is_refused_not_read(command, device, allowed):
    if not Path(device).exists():
        pytest.fail(f"{device} is missing on this machine")
    _assert_refused(_cli(*command, device), device, allowed)


def test_a_folder_is_refused_naming_it(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path)
    assert "is a folder, not a regular file" in caught.value.describe(), caught.value.describe()


def test_an_oversized_scenario_file_is_read_only_to_the_limit(tmp_path):
    """A sparse 200 MB file: refused after reading at most 1 MB + 1 byte, not 200 MB.

    tracemalloc sees the bytes objects a read allocates; reading the whole file would peak at
    200 MB, reading to the limit at about 2 MB (the chunks and their join).
    """
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as caught:
            load_scenario(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"at most {MAX_FILE_BYTES:,} bytes" in caught.value.describe(), caught.value.describe()
    assert "209,715,200 bytes" in caught.value.describe(), f"the message should give the size: {caught.value}"
    assert peak < 4 * MAX_FILE_BYTES, f"reading the file allocated {peak:,} bytes; the limit is {MAX_FILE_BYTES:,}"


def test_read_limited_returns_a_file_at_the_limit_and_refuses_one_byte_more(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    assert read_limited(path, 100) == b"x" * 100, "a file of exactly the limit is read whole"
    with pytest.raises(FileReadError) as caught:
        read_limited(path, 99)
    assert caught.value.too_large and caught.value.size == 100, f"too_large={caught.value.too_large}"


def test_read_limited_names_a_missing_file(tmp_path):
    with pytest.raises(FileReadError, match=r"cannot read .*missing\.csv"):
        read_limited(tmp_path / "missing.csv", 10)
