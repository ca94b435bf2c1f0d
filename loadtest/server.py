"""Start Retention Lab servers for a load run, and read what they cost the machine.

A server is ``streamlit run app.py`` on a free loopback port with its own data folder, pinned to
chosen cores with ``taskset -c`` when asked (so its processor time and its latency are measured on
a known share of the machine). Processor time is read from ``/proc/<pid>/stat`` (user + system,
every thread of the process), the load average from ``/proc/loadavg``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    cores: str | None
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system processor time of process ``pid`` so far (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the command's closing parenthesis: field 3 is the state, utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def wait_healthy(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            if response.read().decode().strip() == "ok":
                return True
        time.sleep(0.2)
    return False


@contextlib.contextmanager
def serve(data_dir: Path, *, cores: str | None = None, root: Path = ROOT, options: list[str] | None = None,
          port: int | None = None) -> Iterator[Server]:  # fmt: skip
    """Run the app of the tree ``root`` on a loopback port (on the CPU list ``cores`` if given, for
    example ``"0"``; with Streamlit ``options`` such as ``--runner.postScriptGC=false``) until the
    block ends."""
    prepare(root)
    port = port or free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer", *(options or []),
    ]  # fmt: skip
    if cores is not None:
        taskset = shutil.which("taskset")
        if taskset is None:
            raise SystemExit("taskset (util-linux) is needed to pin the server to cores")
        command = [taskset, "-c", cores, *command]
    env = dict(os.environ, RETENTION_LAB_DATA_DIR=str(data_dir), PYTHONPATH=str(root))
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"streamlit-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            if not wait_healthy(url):
                raise SystemExit(f"the server did not start within 60 s; see {log_path}")
            yield Server(url, proc.pid, cores, log_path)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def prepare(root: Path = ROOT) -> None:
    """What ``./run.sh app`` does before it starts the server: compile the engine (or load it from the
    disk cache, so the server does not compile it in its first session) and copy the fonts."""
    subprocess.run([sys.executable, "-m", "simulation", "compile"], cwd=root, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "ui.shared.fonts"], cwd=root, check=True, capture_output=True)


def pin(cores: str) -> None:
    """Run this process (the load generator) on the CPU list ``cores`` only, e.g. ``"1"``."""
    wanted = set()
    for part in cores.split(","):
        lo, _, hi = part.partition("-")
        wanted.update(range(int(lo), int(hi or lo) + 1))
    os.sched_setaffinity(0, wanted)
