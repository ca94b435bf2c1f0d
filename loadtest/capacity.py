"""How many people one or two app processes serve: concurrent sessions against the time of a Plan slider move.

    python -m loadtest.capacity --processes 1 2
    python -m loadtest.capacity --processes 1 2 --sessions 5 10 20 40 --think 5 --duration 30 --json cap.json

For each process count the script starts that many app processes on loopback ports of their own
(one data folder, as behind a load balancer) and spreads the sessions over them in turn, as a
sticky load balancer does: a session stays on the process that opened it. Each session opens the
Plan page on the default example (the whole page, as the browser asks for it), then moves the
split slider by a few points at a time, waiting ``--think`` seconds on average (uniformly between
half and one and a half times it) between the end of one move and the next, as a person reading
the figures does. ``--distinct`` gives each session its own seed (nothing one session computes
serves another, and each open runs its own best-split sweep); by default all sessions share the
example's model, as a class or a demo does, and share its cached figures when they land on the
same split.

At each level of ``--sessions`` (sessions are added, never reopened) the moves sent in
``--duration`` seconds are timed from the request to the end of the run, and the processor time
of the app processes (``/proc/<pid>/stat``) and of this load generator over that window is read.
The load average is printed with every level: on a shared machine it says how much of the two
cores the app had.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

from loadtest import plan_flow
from loadtest.server import cpu_seconds, load_average, memory_mb, serve
from loadtest.stats import summary
from loadtest.streamlit_client import Session


@dataclass
class Level:
    processes: int
    sessions: int
    think: float
    moves: int
    per_second: float
    p50: float
    p95: float
    max: float
    server_cpu_per_move: float
    server_cpu_share: float  # of the whole machine's cores over the window
    client_cpu_per_move: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    memory_mb: float
    errors: int


class User:
    """One session: opens the Plan page, then moves the split while ``active``."""

    def __init__(self, url: str, index: int, think: float, seed: int, query: str):
        self.url, self.index, self.think, self.query = url, index, think, query
        self.rng = random.Random(seed * 1000 + index)
        self.split = 50.0
        self.moves: list[tuple[float, float]] = []  # (sent, seconds)
        self.errors: list[str] = []
        self.session = Session(url, timeout=120)
        self.task: asyncio.Task | None = None

    async def open(self) -> None:
        await self.session.connect()
        await plan_flow.open_plan(self.session, self.query)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))
            step = self.rng.choice([-3, -2, -1, 1, 2, 3])
            self.split = min(95.0, max(5.0, self.split + step))
            try:
                run = await plan_flow.move_split(self.session, self.split)
            except Exception as exc:  # counted with the level's figures; the session goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.moves.append((run.sent, run.seconds))


def _query(distinct: bool, index: int) -> str:
    if not distinct:
        return ""
    from simulation.io.presets import DEFAULT_PRESET, load_preset
    from simulation.io.sharing import share_query

    scenario = load_preset(DEFAULT_PRESET)
    scenario = scenario.replace(simulation={"runs": scenario.simulation.runs, "seed": 1000 + index})
    return share_query(scenario)


async def measure(urls: list[str], pids: list[int], args) -> list[Level]:
    users: list[User] = []
    levels = []
    # one session per process first, so that every process has imported the app and warmed its caches
    for i, url in enumerate(urls):
        warm = Session(url, timeout=180)
        await warm.connect()
        await plan_flow.open_plan(warm, _query(args.distinct, 10_000 + i))
        await warm.close()
    await asyncio.sleep(8)
    try:
        for target in args.sessions:
            while len(users) < target:
                i = len(users)
                user = User(urls[i % len(urls)], i, args.think, args.seed, _query(args.distinct, i))
                await user.open()
                user.task = asyncio.create_task(user.run())
                users.append(user)
            await asyncio.sleep(args.think)  # the new sessions' first moves mix in before the window opens
            load_before = load_average()
            cpu0, own0, t0 = sum(cpu_seconds(p) for p in pids), time.process_time(), time.perf_counter()
            errors0 = sum(len(u.errors) for u in users)
            await asyncio.sleep(args.duration)
            cpu1, own1, t1 = sum(cpu_seconds(p) for p in pids), time.process_time(), time.perf_counter()
            times = [sec for u in users for sent, sec in u.moves if t0 <= sent < t1]
            s = summary(times)
            n = max(len(times), 1)
            level = Level(
                processes=len(urls), sessions=len(users), think=args.think, moves=len(times),
                per_second=len(times) / (t1 - t0), p50=s["p50"], p95=s["p95"], max=s["max"],
                server_cpu_per_move=(cpu1 - cpu0) / n, server_cpu_share=(cpu1 - cpu0) / (t1 - t0) / args.cores,
                client_cpu_per_move=(own1 - own0) / n, load_before=load_before, load_after=load_average(),
                memory_mb=sum(memory_mb(p) for p in pids), errors=sum(len(u.errors) for u in users) - errors0,
            )  # fmt: skip
            levels.append(level)
            print(_row(level), flush=True)
    finally:
        for user in users:
            if user.task is not None:
                user.task.cancel()
        for user in users:
            await user.session.close()
    return levels


HEADER = ("processes | sessions | moves/s | p50 s | p95 s | max s | server CPU s/move | app CPU share | "
          "generator CPU s/move | load avg before → after | memory MB | errors")  # fmt: skip


def _row(x: Level) -> str:
    return (
        f"{x.processes} | {x.sessions} | {x.per_second:.2f} | {x.p50:.2f} | {x.p95:.2f} | {x.max:.2f} | "
        f"{x.server_cpu_per_move:.3f} | {x.server_cpu_share:.0%} | {x.client_cpu_per_move:.3f} | "
        f"{x.load_before[0]:.1f} → {x.load_after[0]:.1f} | {x.memory_mb:.0f} | {x.errors}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="app process counts to measure")
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 10, 20, 40], help="session counts, rising")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between a move's end and the next")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured at each level")
    parser.add_argument("--distinct", action="store_true", help="each session on its own seed")
    parser.add_argument("--cores", type=int, default=2, help="the machine's cores, for the CPU share (default 2)")
    parser.add_argument("--server-option", action="append", default=[], metavar="OPT",
                        help="a Streamlit option for the app processes, e.g. --runner.postScriptGC=false")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures to this file as well")
    args = parser.parse_args(argv)
    if sorted(args.sessions) != args.sessions or min(args.sessions) < 1 or min(args.processes) < 1:
        parser.error("--sessions must rise from 1 or more; --processes must be 1 or more")
    print(HEADER, flush=True)
    results: list[Level] = []
    for count in args.processes:
        with ExitStack() as stack:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="capacity-")))
            servers = [stack.enter_context(serve(data, options=args.server_option)) for _ in range(count)]
            results += asyncio.run(measure([s.url for s in servers], [s.pid for s in servers], args))
    if args.json:
        args.json.write_text(json.dumps([asdict(x) for x in results], indent=2))
    return 1 if any(x.errors for x in results) else 0


if __name__ == "__main__":
    sys.exit(main())
