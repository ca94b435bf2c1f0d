"""Serve Retention Lab from several processes on one machine: N Streamlit servers behind HAProxy
(sticky sessions, websockets), sharing one PostgreSQL database.

    python deploy/serve.py --processes 3            (or: ./run.sh serve --processes 3)

With no database URL (``--database-url`` or ``RETENTION_LAB_DATABASE_URL``) a PostgreSQL cluster
of its own is kept in ``<data folder>/postgresql`` (made on the first start, with a password kept
beside it in ``postgresql.password``) and listens on loopback only. The app processes listen on
loopback ports from ``--first-app-port``; only the balancer listens on ``--address:--port``.
Ctrl-C (or SIGTERM) stops every process this started. When everything answers, one line
``Retention Lab is served at <url>`` is printed, and ``<data folder>/serve/processes.json`` lists
the balancer's URL and each app process's port and process id (for load runs and monitoring).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg.template")
DATABASE = "retention_lab"
DB_USER = "retention_lab"
START_SECONDS = 180


class ServeError(RuntimeError):
    """Something needed to serve cannot be found or started; the message says what to do."""


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise ServeError(f"{name} was not found: install PostgreSQL (Debian: apt-get install postgresql)")
    return path


def _free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _port_is_free(port: int, address: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


class LocalPostgres:
    """A PostgreSQL cluster in a folder, run as the ``postgres`` user when this runs as root (it refuses root)."""

    def __init__(self, folder: Path, port: int):
        self.folder = folder.resolve()
        self.data = self.folder / "data"
        self.port = port
        self.password_file = self.folder.parent / "postgresql.password"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ServeError(
                    "as root, the cluster runs as the postgres user: install Debian's postgresql"
                ) from None
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self.as_user, *command], cwd=self.folder, capture_output=True, text=True)
        if result.returncode != 0:
            raise ServeError(f"{Path(command[0]).name} failed: {(result.stderr or result.stdout).strip()[-800:]}")

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            probe = subprocess.run([*self.as_user, "test", "-w", str(self.folder)], capture_output=True)
            if probe.returncode != 0:
                raise ServeError(
                    f"the postgres user cannot reach {self.folder}: choose a data folder every user can enter "
                    "(--data-dir, e.g. /var/lib/retention-lab), or give a database URL"
                )

    def start(self) -> str:
        """Start the cluster (made on the first start); the database URL of the app's database."""
        self._prepare_folder()
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
            self.password_file.chmod(0o600)
        password = self.password_file.read_text().strip()
        if not (self.data / "PG_VERSION").exists():
            pwfile = self.folder / "initdb.pw"
            pwfile.write_text(password + "\n")
            if self.as_user:
                owner = pwd.getpwnam("postgres")
                os.chown(pwfile, owner.pw_uid, owner.pw_gid)
            pwfile.chmod(0o600)
            try:
                self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", DB_USER, "--pwfile", str(pwfile),
                          "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C.UTF-8")  # fmt: skip
            finally:
                pwfile.unlink(missing_ok=True)
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.folder}'"
        self._run(_pg_bin("pg_ctl"), "start", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-w", "-t", "120", "-o", options)  # fmt: skip
        url = f"postgresql://{DB_USER}:{password}@127.0.0.1:{self.port}"
        self._create_database(url)
        return f"{url}/{DATABASE}"

    @staticmethod
    def _create_database(url: str) -> None:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
                    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                        conn.execute(f'CREATE DATABASE "{DATABASE}"')
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        with contextlib.suppress(ServeError):
            self._run(_pg_bin("pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w")


def haproxy_config(address: str, port: int, app_ports: list[int]) -> str:
    """The balancer's configuration: the template with the listening address and one server per process."""
    servers = "\n".join(
        f"    server app{i} 127.0.0.1:{p} check inter 2s cookie app{i}" for i, p in enumerate(app_ports, start=1)
    )
    return TEMPLATE.read_text().replace("{bind}", f"{address}:{port}").replace("{servers}", servers)


def _wait_healthy(url: str, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServeError(f"{what} stopped at start (exit code {proc.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.3)
    raise ServeError(f"{what} did not answer within {START_SECONDS} s; see {log}")


def serve(args: argparse.Namespace) -> int:
    data_dir = Path(args.data_dir or os.environ.get("RETENTION_LAB_DATA_DIR") or ROOT / "data").resolve()
    run_dir = data_dir / "serve"
    run_dir.mkdir(parents=True, exist_ok=True)
    haproxy = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if not haproxy:
        raise ServeError("HAProxy was not found: install it (Debian: apt-get install haproxy)")
    if args.processes < 1:
        raise ServeError("--processes: at least 1")
    app_ports = [args.first_app_port + i for i in range(args.processes)] if args.first_app_port else []
    if not app_ports:
        app_ports = [_free_port() for _ in range(args.processes)]
    busy = [p for p in [args.port, *app_ports] if not _port_is_free(p, "127.0.0.1")]
    if busy:
        raise ServeError(f"port(s) {', '.join(map(str, busy))} are in use: choose others (--port, --first-app-port)")

    children: list[tuple[str, subprocess.Popen]] = []
    cluster = None
    stopping = False

    def stop_all(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)
    try:
        url = args.database_url or os.environ.get("RETENTION_LAB_DATABASE_URL", "").strip()
        if not url:
            cluster = LocalPostgres(data_dir / "postgresql", args.database_port or _free_port())
            url = cluster.start()
            where = f"PostgreSQL in {cluster.data} (port {cluster.port})"
        else:
            where = "the PostgreSQL database of the given URL"
        env = dict(os.environ, RETENTION_LAB_DATABASE_URL=url, RETENTION_LAB_DATA_DIR=str(data_dir))
        for i, port in enumerate(app_ports, start=1):
            log = run_dir / f"app{i}.log"
            command = [
                sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
                "--browser.gatherUsageStats", "false",
            ]  # fmt: skip
            with log.open("w") as out:
                children.append((f"app process {i}", subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,
                                                                      stderr=subprocess.STDOUT)))  # fmt: skip
        for i, ((what, proc), port) in enumerate(zip(children, app_ports, strict=True), start=1):
            _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, what, run_dir / f"app{i}.log")
        config = run_dir / "haproxy.cfg"
        config.write_text(haproxy_config(args.address, args.port, app_ports))
        check = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            said = (check.stderr + check.stdout).strip()[-800:]
            raise ServeError(f"the HAProxy configuration {config} is not valid: {said}")
        log = run_dir / "haproxy.log"
        with log.open("w") as out:
            balancer = subprocess.Popen([haproxy, "-db", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT)
        children.append(("HAProxy", balancer))
        host = "127.0.0.1" if args.address in {"0.0.0.0", "::"} else args.address
        _wait_healthy(f"http://{host}:{args.port}/_stcore/health", balancer, "HAProxy", log)
        # what a load generator or a monitor needs: where to connect and which processes to watch
        (run_dir / "processes.json").write_text(json.dumps({
            "url": f"http://{host}:{args.port}",
            "processes": [{"name": f"app{i}", "port": port, "pid": proc.pid}
                          for i, ((_, proc), port) in enumerate(zip(children, app_ports, strict=False), start=1)],
            "balancer_pid": balancer.pid,
            "database": where,
        }, indent=2) + "\n")  # fmt: skip
        print(f"{args.processes} app process(es) on ports {', '.join(map(str, app_ports))}; database: {where}")
        print(f"Retention Lab is served at http://{host}:{args.port}  (Ctrl-C stops everything)", flush=True)
        while not stopping:
            for what, proc in children:
                if proc.poll() is not None:
                    raise ServeError(f"{what} stopped (exit code {proc.returncode}); see the logs in {run_dir}")
            time.sleep(0.5)
        return 0
    finally:
        for _, proc in reversed(children):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in reversed(children):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if cluster is not None:
            cluster.stop()
        if stopping:
            print("Stopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="./run.sh serve")
    parser.add_argument("--processes", type=int, default=3, help="app processes to start (default 3)")
    parser.add_argument("--address", default="0.0.0.0", help="where the balancer listens (default all)")
    parser.add_argument("--port", type=int, default=8500, help="the balancer's port (default 8500)")
    parser.add_argument(
        "--first-app-port",
        type=int,
        default=0,
        help="the app processes' ports from this one up (default: free loopback ports)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL database to use (default RETENTION_LAB_DATABASE_URL, else a local cluster)",
    )
    parser.add_argument("--database-port", type=int, default=0, help="the local cluster's port (default: a free one)")
    parser.add_argument("--data-dir", default="", help="the data folder (default RETENTION_LAB_DATA_DIR, else ./data)")
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except ServeError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
