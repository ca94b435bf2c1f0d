"""A scheduler address that accepts connections but is no Dask scheduler (issue 23, item 9).

Before, a server that accepted TCP and never answered held ``sweep --scheduler`` and
``optimize`` (through ``$RETENTION_LAB_DASK_SCHEDULER``) for over 400 s, well past the documented
5 s fallback: ``distributed.Client``'s time-out does not cover the handshake. An HTTP port made
the client read a frame length of 3.07 EiB and printed an ignored exception's traceback. Both
servers here run on 127.0.0.1 in a thread of the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from simulation.numerics import executor as ex_mod
from simulation.numerics.executor import ENV, ClusterUnavailableError, LocalExecutor, connect, executor_for
from tests.helpers import scenario

ROOT = Path(__file__).resolve().parents[2]
HTTP_REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
MESSAGES = {"silent": "no Dask scheduler answered", "http": "does not answer as a Dask scheduler"}
# Python's start and the imports take a few seconds on a loaded machine; the check itself 5 s
PROCESS_SECONDS = 45
# optimize then works here, which may first compile the engine (a minute on a loaded machine)
OPTIMIZE_SECONDS = 240


class _Server:
    """Accepts every connection on 127.0.0.1; ``silent`` never answers, ``http`` answers as a web server."""

    def __init__(self, kind: str):
        self.kind = kind
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            if self.kind == "http":
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(HTTP_REPLY)
                except OSError:
                    pass

    def close(self):
        self._stop.set()
        self._thread.join(5)
        for conn in self._conns:
            conn.close()
        self.sock.close()


@pytest.fixture(params=["silent", "http"])
def server(request):
    srv = _Server(request.param)
    yield srv
    srv.close()


@pytest.mark.timeout(30)
def test_connect_gives_up_at_the_deadline_with_a_clear_message(server, monkeypatch):
    monkeypatch.setattr(ex_mod, "CONNECT_TIMEOUT", 1.0)
    start = time.monotonic()
    with pytest.raises(ClusterUnavailableError) as caught:
        connect(server.address)
    took = time.monotonic() - start
    assert server.accepted >= 1, "the test server was never contacted"
    assert took < 5, f"connect took {took:.1f} s with a 1 s time-out"
    message = str(caught.value)
    assert server.address in message, f"the message does not name the address: {message!r}"
    assert MESSAGES[server.kind] in message, f"unclear message for a {server.kind} server: {message!r}"


@pytest.mark.timeout(30)
def test_the_setting_falls_back_to_this_machine_at_the_deadline(server, monkeypatch):
    monkeypatch.setattr(ex_mod, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(ex_mod, "_failures", {})
    monkeypatch.setenv(ENV, server.address)
    start = time.monotonic()
    chosen = executor_for()
    assert time.monotonic() - start < 5, "the fallback took longer than the time-out allows"
    assert isinstance(chosen, LocalExecutor) and server.address in (chosen.note or ""), f"got {chosen!r}"


def _scenario_file(folder: Path) -> Path:
    path = folder / "a.toml"
    path.write_text(scenario(horizon=6, budget={"acquisition": 40_000, "retention": 20_000}).to_toml(), "utf-8")
    return path


def _run(args, env=None, seconds=PROCESS_SECONDS):
    environment = {k: v for k, v in os.environ.items() if k != ENV} | {"PYTHONPATH": str(ROOT)} | (env or {})
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "simulation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds,
        env=environment,
    )
    return done, time.monotonic() - start


@pytest.mark.timeout(2 * PROCESS_SECONDS)
def test_sweep_with_such_a_scheduler_exits_2_within_seconds(server, tmp_path):
    path = _scenario_file(tmp_path)
    done, took = _run(["sweep", str(path), "--scheduler", server.address, "--out", str(tmp_path / "x.csv")])
    assert done.returncode == 2, f"exit status {done.returncode}; stderr: {done.stderr}"
    assert "--scheduler" in done.stderr and server.address in done.stderr, f"unclear: {done.stderr!r}"
    assert MESSAGES[server.kind] in done.stderr, f"unclear for a {server.kind} server: {done.stderr!r}"
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert "EiB" not in done.stderr, f"the HTTP reply was read as a frame length: {done.stderr!r}"
    assert took < PROCESS_SECONDS - 5, f"sweep took {took:.0f} s"


@pytest.mark.timeout(OPTIMIZE_SECONDS + 30)
def test_optimize_with_such_a_scheduler_works_here_and_says_why(server, tmp_path):
    path = _scenario_file(tmp_path)
    done, _ = _run(
        ["optimize", str(path), "--runs", "20", "--grid", "3", "--format", "csv"],
        env={ENV: server.address},
        seconds=OPTIMIZE_SECONDS,
    )
    assert done.returncode == 0, f"exit status {done.returncode}; stderr: {done.stderr}"
    assert "warning:" in done.stderr and server.address in done.stderr, f"no warning: {done.stderr!r}"
    assert "this machine" in done.stderr, f"does not say where it ran: {done.stderr!r}"
    assert done.stderr.count(server.address) == 1, f"the warning is repeated: {done.stderr!r}"
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.stdout.startswith("acquisition_share"), f"no grid on standard output: {done.stdout[:200]!r}"
