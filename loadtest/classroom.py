"""A class of many learners on one server: join and predict within one minute, the trainer watching.

    python -m loadtest.classroom --learners 100
    python -m loadtest.classroom --learners 100 --browsers 2 --window 60 --json class.json
    python -m loadtest.classroom --url http://127.0.0.1:8501 --pid 12345 --learners 30

Without ``--url`` the script starts the app itself on a free loopback port with a data folder of
its own, pinned to ``--server-cores`` (one core by default), and runs the load generator and the
browsers on ``--client-cores``. The learners are websocket sessions (:mod:`loadtest.streamlit_client`);
``--browsers`` more learners are real Chromium pages (Playwright, Debian's ``/usr/bin/chromium``),
to check what a learner sees while the class is under load.

1. **Processor time per action, one at a time.** On a class of its own, ``--calibrate`` learners
   open the link, join and predict one after the other, and its trainer refreshes, on an otherwise
   idle server; the server's processor time (``/proc/<pid>/stat``) is read around each action.
2. **The class.** A trainer starts a class and unlocks lesson 1; each learner opens the link and
   joins at a random moment in the first half of ``--window`` seconds, then commits a prediction
   for lesson 1 at a random moment in the second half. The trainer's view stays open and follows
   the class by itself (its live part reruns every few seconds, as in a browser tab; with
   ``--trainer-interval`` the trainer also presses Refresh that often).

The time from a learner's submit to the trainer's view counting it is measured to the end of the
first run of the trainer's view whose roster lists that learner as having predicted. Every run is
checked against the learners: it may not count fewer predictions than were certainly stored
before it was asked for, nor more than had been sent by its end, nor list more learners as having
predicted than it counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

from loadtest import class_flow as flow
from loadtest.server import cpu_seconds, load_average, memory_mb, pin, serve
from loadtest.stats import seconds, summary
from loadtest.streamlit_client import ProtocolError, Session

LESSON = "leaky_bucket"  # lesson 1, the page a learner lands on
CHROMIUM = os.environ.get("RETENTION_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-dev-shm-usage", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class Learner:
    name: str
    arrive: float
    submit_at: float
    value: float = 1000.0
    browser: bool = False
    opened: float | None = None  # seconds the page took
    joined: float | None = None
    sent: float | None = None  # clock times (perf_counter) of the submit and of the learner's run end
    stored: float | None = None
    error: str | None = None


@dataclass
class Refresh:
    """One run of the trainer's view: when it was asked for, when it ended, what it showed."""

    sent: float
    finished: float
    count: int
    names: frozenset = frozenset()


@dataclass
class Report:
    learners: int
    browsers: int
    window: float
    trainer_interval: float
    server_cores: str | None
    server_options: list = field(default_factory=list)
    memory_mb: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cpu_per_action: dict = field(default_factory=dict)  # action -> summary of seconds, one at a time
    submit_to_trainer: dict = field(default_factory=dict)
    submit_run: dict = field(default_factory=dict)
    open_run: dict = field(default_factory=dict)
    join_run: dict = field(default_factory=dict)
    refresh_run: dict = field(default_factory=dict)
    browser_submit: dict = field(default_factory=dict)
    server_cpu_class: float = 0.0
    class_seconds: float = 0.0
    refreshes: int = 0
    final_count: int = 0
    final_joined: int = 0
    errors: list = field(default_factory=list)
    inconsistent: list = field(default_factory=list)


async def settle(pid: int | None, quiet: float = 0.03, limit: float = 120.0) -> None:
    """Wait until the server has spent under ``quiet`` s of processor time in each of 3 seconds running.

    The first session starts the server's warm-up (``ui/shared/warmup.py``) after a delay of a few
    seconds; the wait is at least that long, so the warm-up is over before anything is measured.
    """
    from ui.shared.warmup import DELAY_SECONDS

    await asyncio.sleep(DELAY_SECONDS + 1)
    if pid is None:
        return
    deadline, calm = time.monotonic() + limit, 0
    while time.monotonic() < deadline and calm < 3:
        before = cpu_seconds(pid)
        await asyncio.sleep(1.0)
        calm = calm + 1 if cpu_seconds(pid) - before < quiet else 0


async def calibrate(url: str, pid: int | None, n: int) -> dict[str, list[float]]:
    """Each action once at a time on an idle server: its processor time, ``n`` times."""
    costs: dict[str, list[float]] = {"open the link": [], "join": [], "predict": [], "trainer refresh": []}
    if pid is None or n == 0:
        return costs

    async def measured(action: str, step) -> None:
        await asyncio.sleep(0.3)
        before = cpu_seconds(pid)
        await step
        await asyncio.sleep(0.3)  # the server finishes sending
        costs[action].append(cpu_seconds(pid) - before)

    async with Session(url, timeout=120) as trainer:
        cls = await flow.start_class(trainer, "Calibration")
        await settle(pid)
        for i in range(n):
            async with Session(url, timeout=120) as learner:
                await measured("open the link", flow.open_link(learner, cls))
                await measured("join", flow.join(learner, f"Calibration {i + 1}"))
                await measured("predict", flow.predict(learner, LESSON, 1000 + i))
            await measured("trainer refresh", flow.refresh(trainer))
    return costs


async def learner_task(url: str, learner: Learner, cls: flow.Class, t0: float, think: float) -> None:
    await asyncio.sleep(max(0.0, t0 + learner.arrive - time.perf_counter()))
    try:
        async with Session(url, timeout=120) as session:
            learner.opened = (await flow.open_link(session, cls)).seconds
            await asyncio.sleep(think)  # typing a name
            learner.joined = (await flow.join(session, learner.name)).seconds
            await asyncio.sleep(max(0.0, t0 + learner.submit_at - time.perf_counter()))
            run = await flow.predict(session, LESSON, learner.value)
            learner.sent, learner.stored = run.sent, run.finished
    except Exception as exc:  # reported with the results, the run goes on
        learner.error = f"{type(exc).__name__}: {exc}"


async def browser_task(url: str, learner: Learner, cls: flow.Class, t0: float, browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await asyncio.sleep(max(0.0, t0 + learner.arrive - time.perf_counter()))
        start = time.perf_counter()
        await flow.browser_join(page, url, cls, learner.name)
        learner.joined = time.perf_counter() - start
        await asyncio.sleep(max(0.0, t0 + learner.submit_at - time.perf_counter()))
        learner.sent = time.perf_counter()
        await flow.browser_predict(page, 1500)
        learner.stored = time.perf_counter()
    except Exception as exc:
        learner.error = f"browser: {type(exc).__name__}: {exc}"
        shot = Path(tempfile.gettempdir()) / f"classroom-{learner.name.replace(' ', '-')}.png"
        await page.screenshot(path=str(shot), full_page=True)
        learner.error += f" (screenshot {shot})"
    finally:
        await context.close()


def watch(trainer: Session, refreshes: list[Refresh]) -> None:
    """Record what the trainer's view shows at the end of each of its runs (its own refreshes included)."""

    def seen(run) -> None:
        with contextlib.suppress(flow.FlowError, ProtocolError):
            refreshes.append(Refresh(run.sent, run.finished, flow.prediction_count(trainer),
                                     frozenset(flow.predicted(trainer))))  # fmt: skip

    trainer.on_finish.append(seen)


async def trainer_task(trainer: Session, refreshes: list[Refresh], interval: float, everyone: int,
                       limit: float) -> None:  # fmt: skip
    """Follow the class until the view counts everyone: by the page's own refresh, or pressing Refresh
    every ``interval`` seconds as well if it is above 0."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if refreshes and refreshes[-1].count >= everyone:
            return
        if interval > 0:
            await flow.refresh(trainer)
            await asyncio.sleep(interval)
        else:
            await asyncio.sleep(0.2)
    raise flow.FlowError(f"the trainer's view did not count everyone within {limit:.0f} s")


def counted_after(learners: list[Learner], refreshes: list[Refresh]) -> tuple[list[float], list[str]]:
    """Each learner's time from their submit to the end of the trainer's first run that lists them as
    having predicted, and the runs whose count contradicts the learners' own runs."""
    latencies, wrong = [], []
    for learner in learners:
        if learner.sent is None:
            continue
        seen = [r for r in refreshes if learner.name in r.names and r.finished >= learner.sent]
        if seen:
            latencies.append(seen[0].finished - learner.sent)
    for r in refreshes:
        surely = sum(1 for x in learners if x.stored is not None and x.stored <= r.sent)
        at_most = sum(1 for x in learners if x.sent is not None and x.sent <= r.finished)
        # the view reads its roster before its count, so a prediction stored between the two reads
        # is counted and not yet listed, never the other way round
        if not surely <= r.count <= at_most or len(r.names) > r.count:
            wrong.append(f"a run of the trainer's view counted {r.count} and listed {len(r.names)}; "
                         f"between {surely} and {at_most} were possible")  # fmt: skip
    return latencies, wrong


async def run_class(url: str, pid: int | None, args) -> Report:
    report = Report(args.learners, args.browsers, args.window, args.trainer_interval, args.server_cores,
                    args.server_option)
    report.cpu_per_action = {k: summary(v) for k, v in (await calibrate(url, pid, args.calibrate)).items()}
    rng = random.Random(args.seed)
    half = args.window / 2
    people = [Learner(f"Learner {i + 1}", rng.uniform(0, half - args.think - 2), rng.uniform(half, args.window),
                      value=float(rng.randrange(200, 5000, 50)))
              for i in range(args.learners)]  # fmt: skip
    people += [Learner(f"Browser {i + 1}", rng.uniform(0, half - 10), rng.uniform(half, args.window), browser=True)
               for i in range(args.browsers)]  # fmt: skip
    everyone = len(people)

    async with Session(url, timeout=120) as trainer:
        cls = await flow.start_class(trainer, "Load")
        await settle(pid)
        refreshes: list[Refresh] = []
        watch(trainer, refreshes)
        report.load_before = load_average()
        trainer_error = None
        playwright = browser = None
        if args.browsers:
            from playwright.async_api import async_playwright

            playwright = await async_playwright().start()
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            cpu0 = cpu_seconds(pid) if pid else 0.0
            t0 = time.perf_counter()
            tasks = [
                browser_task(url, p, cls, t0, browser) if p.browser else learner_task(url, p, cls, t0, args.think)
                for p in people
            ]  # fmt: skip
            watcher = trainer_task(trainer, refreshes, args.trainer_interval, everyone, args.window + 120)
            results = await asyncio.gather(watcher, *tasks, return_exceptions=True)
            if isinstance(results[0], BaseException):
                trainer_error = f"trainer: {type(results[0]).__name__}: {results[0]}"
            report.class_seconds = time.perf_counter() - t0
            report.server_cpu_class = (cpu_seconds(pid) - cpu0) if pid else 0.0
        finally:
            if browser is not None:
                await browser.close()
            if playwright is not None:
                await playwright.stop()
        report.load_after = load_average()
        report.memory_mb = memory_mb(pid) if pid else 0.0
        trainer.on_finish.clear()
        await flow.refresh(trainer)
        report.final_count, report.final_joined = flow.prediction_count(trainer), flow.joined_count(trainer)

    latencies, report.inconsistent = counted_after(people, refreshes)
    report.submit_to_trainer = summary(latencies)
    sockets = [p for p in people if not p.browser]
    report.submit_run = summary([p.stored - p.sent for p in sockets if p.stored is not None])
    report.open_run = summary([p.opened for p in sockets if p.opened is not None])
    report.join_run = summary([p.joined for p in sockets if p.joined is not None])
    report.refresh_run = summary([r.finished - r.sent for r in refreshes])
    report.browser_submit = summary([p.stored - p.sent for p in people if p.browser and p.stored is not None])
    report.refreshes = len(refreshes)
    report.errors = [f"{p.name}: {p.error}" for p in people if p.error] + ([trainer_error] if trainer_error else [])
    if report.final_count != everyone - len(report.errors):
        report.errors.append(f"the trainer's view counts {report.final_count} predictions of {everyone}")
    print(_text(report, latencies, [p.stored - p.sent for p in sockets if p.stored is not None]))
    return report


def _text(r: Report, latencies: list[float], submits: list[float]) -> str:
    lines = [
        f"learners {r.learners} (websocket) + {r.browsers} (Chromium), window {r.window:.0f} s, "
        f"Refresh pressed every {r.trainer_interval:g} s (0: the view's own refresh only); "
        f"server on cores {r.server_cores or 'any'} "
        f"{' '.join(r.server_options)}",
        f"load average before {r.load_before}, after {r.load_after}",
        "processor time per action, one at a time on an idle server (s):",
    ]
    for action, s in r.cpu_per_action.items():
        if s["n"]:
            lines.append(f"  {action}: p50 {s['p50']:.3f} · p95 {s['p95']:.3f} (n={s['n']})")
    lines += [
        f"submit to the trainer's view counting it: {seconds(latencies)}",
        f"a learner's submit run: {seconds(submits)}",
        f"open the link {r.open_run['p50']:.2f} / {r.open_run['p95']:.2f} s; "
        f"join {r.join_run['p50']:.2f} / {r.join_run['p95']:.2f} s (p50 / p95)",
        f"trainer refresh run: p50 {r.refresh_run['p50']:.2f} s · p95 {r.refresh_run['p95']:.2f} s "
        f"({r.refreshes} refreshes)",
        f"server processor time during the class: {r.server_cpu_class:.1f} s in {r.class_seconds:.0f} s "
        f"({r.server_cpu_class / max(r.class_seconds, 1e-9):.0%} of one core)",
        f"trainer's view at the end: {r.final_joined} joined, {r.final_count} predictions; "
        f"server memory {r.memory_mb:.0f} MB",
    ]
    if r.browsers:
        lines.append(f"browser learners, click to 'Your prediction is in': p50 {r.browser_submit['p50']:.2f} s "
                     f"· max {r.browser_submit['max']:.2f} s")  # fmt: skip
    lines += [f"ERROR {e}" for e in r.errors] + [f"INCONSISTENT {e}" for e in r.inconsistent]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.classroom", description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100, help="websocket learners (default 100)")
    parser.add_argument("--browsers", type=int, default=1, help="learners in real Chromium pages (default 1)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds in which all join and predict")
    parser.add_argument("--think", type=float, default=3.0, help="seconds from opening the link to joining")
    parser.add_argument("--trainer-interval", type=float, default=0.0,
                        help="press Refresh every this many seconds as well (default 0: the page's own refresh)")
    parser.add_argument("--calibrate", type=int, default=10, help="learners for the one-at-a-time costs")
    parser.add_argument("--url", help="a running server (loopback) instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, for its processor time")
    parser.add_argument("--server-cores", default="0", help="CPU list for the server started here (default 0)")
    parser.add_argument("--client-cores", default="1", help="CPU list for this script and the browsers")
    parser.add_argument("--server-option", action="append", default=[], metavar="OPT",
                        help="a Streamlit option for the server started here, e.g. --runner.postScriptGC=false")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the figures to this file as well")
    args = parser.parse_args(argv)
    if args.learners < 1 or args.window < 2 * (args.think + 12):
        parser.error(f"--learners must be at least 1 and --window at least {2 * (args.think + 12):.0f} s")
    if args.client_cores:
        pin(args.client_cores)
    with ExitStack() as stack:
        if args.url:
            url, pid = args.url, args.pid
            args.server_cores = None
        else:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="classroom-")))
            server = stack.enter_context(serve(data, cores=args.server_cores, options=args.server_option))
            url, pid = server.url, server.pid
        report = asyncio.run(run_class(url, pid, args))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))
    return 1 if report.errors or report.inconsistent else 0


if __name__ == "__main__":
    sys.exit(main())
