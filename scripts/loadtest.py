"""Load test: N real browser sessions on one Retention Lab server, moving the budget split.

Each session opens the Plan page on its own copy of the default preset (a share link with a
name of its own), then moves the acquisition-share slider one step every ``--interval``
seconds. Sessions on one model share the server's cached figures, as a class or a demo on one
example does; ``--distinct`` gives each session its own seed, so that nothing one session
computes serves another (the worst case: every session on its own data). Reported: errors
(exceptions on the page, timeouts), cross-talk (a session showing another session's scenario,
or a split it did not set), first figures (address to the headline figures shown) and the
whole page settled, slider-to-figures latency end to end, the server's own time per rerun
(the figures' compute time the Plan page states, and the server process's CPU time over the
reruns).

``--optimise R`` then takes every session to the Optimise page, where it asks R times for the
budget map and the sensitivity analysis (tornado); all sessions then open the example under one
name, so that they ask for the same map and tornado with the same parameters. Reported: each
request's time from the click to its answer drawn, and any request that did not give its answer.

Loopback only: the script refuses any other host, so it cannot load someone else's server.

    python scripts/loadtest.py --start --sessions 1 --moves 10
    python scripts/loadtest.py --url http://127.0.0.1:8501 --sessions 5 --moves 10 --interval 2
    python scripts/loadtest.py --start --sessions 3 --moves 0 --optimise 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.io.presets import DEFAULT_PRESET, load_preset  # noqa: E402
from simulation.io.sharing import share_query  # noqa: E402

CHROMIUM = os.environ.get("RETENTION_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-dev-shm-usage", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SPLIT = "Acquisition share of the budget"
NPV = "NPV"
P_BEATS = "Chance the plan beats the status quo"
WHOLE_PLAN = "How the model works"  # the Plan page's last element
SERVER_MS = re.compile(r"Figures computed on the server in ([\d,]+) ms")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 120_000
# A rerun's end: the server has answered the key press (a websocket message arrived after it)
# and the app's script state is back to notRunning. A quick rerun may never show 'running' in
# the page at all, so the state attribute alone cannot tell that a rerun happened.
SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
SHARED_NAME = "Load test"  # with --optimise: every session on one scenario, so they ask for the same map
OPTIMISE = "Optimise"
BEST_SPLIT = "Best split:"
# (button, a sentence of its answer, charts it adds to the page, the start of its failure message)
OPTIMISE_REQUESTS = {
    "map": ("Map budget sizes", "More budget stops paying|still rises|could be smaller", 2, "The budget map c"),
    "tornado": (
        "Run the sensitivity analysis", "The recommended split holds up|The split depends on", 1,
        "The sensitivity analysis c",
    ),
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running(command: list[str], port: int, cwd: Path, env: dict, log_path: Path, preexec_fn=None):
    """Run a server ``command`` until its health check answers on ``port``; yield (url, pid); stop it after."""
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read().decode().strip() == "ok":
                    break
            time.sleep(0.2)
        else:
            raise SystemExit(f"the server did not start; see {log.name}")
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def serve(data_dir: str, cpus: set[int] | None = None, root: Path = ROOT):
    """Start ``streamlit run app.py`` of the tree ``root`` on a free loopback port (on ``cpus`` only, if
    given); yield (url, pid)."""
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    env = dict(os.environ, RETENTION_LAB_DATA_DIR=data_dir, PYTHONPATH=str(root))
    return running(
        command, port, root, env, Path(data_dir) / "streamlit.log",
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )  # fmt: skip


def server_core(parser: argparse.ArgumentParser) -> set[int]:
    """For --split-cores: the first core for the server; this script, the driver and the browsers move to the rest."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        parser.error("--split-cores needs at least two cores")
    os.sched_setaffinity(0, set(cores[1:]))
    return {cores[0]}


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def browsers_cpu_seconds(exclude: int | None) -> float | None:
    """CPU time of this script's descendants (the browsers and their driver), leaving out the server.

    Each process counts its own time and that of children it has already reaped, so renderers of
    closed sessions are counted too.
    """
    if not Path("/proc").is_dir():
        return None
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])
    tick = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [os.getpid()]
    while stack:
        pid = stack.pop()
        for child, parent in parents.items():
            if parent == pid and child != exclude:
                stack.append(child)
                fields = _stat(child)
                if fields is not None:
                    total += sum(int(x) for x in fields[11:15]) / tick
    return total


def metric(page, label: str):
    card = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return card.first.get_by_test_id("stMetricValue")


async def whole_plan(page) -> None:
    """Wait for the Plan page's last element, drawn after the first figures (ui/first_paint.py), and the run's end."""
    await page.get_by_test_id("stPageLink").get_by_text(WHOLE_PLAN).wait_for()
    await settled(page)


async def settled(page) -> None:
    await page.wait_for_timeout(150)
    await page.wait_for_selector(SETTLED, timeout=TIMEOUT_MS)


async def server_ms(page) -> float | None:
    text = await page.get_by_text(SERVER_MS).first.inner_text()
    m = SERVER_MS.search(text)
    return float(m[1].replace(",", "")) if m else None


async def session(browser, url: str, index: int, args, out: dict) -> None:
    moves, interval = args.moves, args.interval
    name = SHARED_NAME if args.optimise else f"Load session {index}"
    scenario = load_preset(DEFAULT_PRESET).replace(name=name)
    if args.distinct:
        scenario = scenario.replace(simulation={"runs": scenario.simulation.runs, "seed": 1000 + index})
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    received = [0]

    def on_socket(ws) -> None:
        ws.on("framereceived", lambda _frame: received.__setitem__(0, received[0] + 1))

    page.on("websocket", on_socket)
    rec = out.setdefault(
        index,
        {"errors": [], "crosstalk": [], "e2e": [], "server_ms": [], "first_figures": None, "first_load": None,
         "map": [], "tornado": []},
    )  # fmt: skip
    await asyncio.sleep(index * args.stagger)
    try:
        t0 = time.perf_counter()
        await page.goto(f"{url}/?{share_query(scenario)}")
        await metric(page, P_BEATS).wait_for()
        rec["first_figures"] = time.perf_counter() - t0
        await whole_plan(page)
        rec["first_load"] = time.perf_counter() - t0
        # a rerun may briefly show the old element beside the new one
        slider = page.get_by_role("slider", name=SPLIT).first
        direction = "ArrowLeft"
        next_at = time.perf_counter()
        for _ in range(moves):
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at = time.perf_counter() + interval
            before_value = float(await slider.input_value())
            await slider.focus()
            heard = received[0]
            start = time.perf_counter()
            await page.keyboard.press(direction)
            try:
                while received[0] == heard:
                    if time.perf_counter() - start > TIMEOUT_MS / 1000:
                        raise TimeoutError("the server did not answer the key press")
                    await asyncio.sleep(0.01)
                await page.wait_for_selector(SETTLED, timeout=TIMEOUT_MS)
            except Exception as exc:  # a timeout is an error of the run, reported, not raised
                rec["errors"].append(f"no new figures: {type(exc).__name__}")
                continue
            rec["e2e"].append(time.perf_counter() - start)
            ms = await server_ms(page)
            if ms is not None:
                rec["server_ms"].append(ms)
            after_value = float(await slider.input_value())
            moved_right = direction == "ArrowRight"
            if (after_value > before_value) != moved_right or after_value == before_value:
                rec["crosstalk"].append(f"split {before_value} -> {after_value} after {direction}")
            title = (await page.get_by_role("heading", level=1).first.inner_text()).strip()
            if title != name:
                rec["crosstalk"].append(f"heading {title!r}")
            if await page.get_by_test_id("stException").count():
                rec["errors"].append("exception on the page")
            if after_value <= 5:
                direction = "ArrowRight"
            elif after_value >= 95:
                direction = "ArrowLeft"
        if args.optimise:
            await optimise_requests(page, args.optimise, rec)
    except Exception as exc:
        rec["errors"].append(f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await context.close()


async def optimise_requests(page, rounds: int, rec: dict) -> None:
    """On the Optimise page, ask ``rounds`` times for the budget map and the tornado; time each answer."""
    await page.get_by_test_id("stSidebarNav").get_by_text(OPTIMISE, exact=True).click()
    await page.get_by_text(BEST_SPLIT).first.wait_for()
    await settled(page)
    charts = page.get_by_test_id("stVegaLiteChart")
    expected = await charts.count()
    for round_ in range(rounds):
        for part, (button, sentence, added, failure) in OPTIMISE_REQUESTS.items():
            expected += added if round_ == 0 else 0
            start = time.perf_counter()
            await page.get_by_role("button", name=button).click()
            await settled(page)
            failed = page.get_by_test_id("stAlertContentError").filter(has_text=failure)
            if await failed.count() or await page.get_by_test_id("stException").count():
                shown = (await failed.first.inner_text())[:100] if await failed.count() else "exception on the page"
                rec["errors"].append(f"{part}: {shown}")
                continue
            try:
                answer = page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(sentence))
                await answer.first.wait_for()
                while await charts.count() < expected:
                    if time.perf_counter() - start > TIMEOUT_MS / 1000:
                        raise TimeoutError(f"{expected} charts expected")
                    await asyncio.sleep(0.05)
            except Exception as exc:  # reported, not raised: the next request still runs
                rec["errors"].append(f"{part}: no answer ({type(exc).__name__})")
                continue
            rec[part].append(time.perf_counter() - start)


async def warm_up(browser, url: str) -> None:
    """Open the app once and wait for the whole page, unmeasured."""
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(url)
    await metric(page, P_BEATS).wait_for()
    await whole_plan(page)
    await context.close()


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def main_async(args, url: str, pid: int | None) -> dict:
    from playwright.async_api import async_playwright

    out: dict = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.warm:
            # a running server: one session has opened the app before, as on any server in use
            await warm_up(browser, url)
        cpu0, browsers0 = cpu_seconds(pid), browsers_cpu_seconds(pid)
        await asyncio.gather(*(session(browser, url, i, args, out) for i in range(args.sessions)))
        cpu1, browsers1 = cpu_seconds(pid), browsers_cpu_seconds(pid)
        await browser.close()
    e2e = [x for r in out.values() for x in r["e2e"]]
    srv = [x for r in out.values() for x in r["server_ms"]]
    loads = [r["first_load"] for r in out.values() if r["first_load"] is not None]
    firsts = [r["first_figures"] for r in out.values() if r["first_figures"] is not None]
    reruns = len(e2e) + len(loads)
    return {
        "sessions": args.sessions,
        "server": "warm" if args.warm else "cold",
        "cores": "server on its own core" if args.split_cores else "shared with the browsers",
        "models": "one per session" if args.distinct else "one, shared",
        "moves_per_session": args.moves,
        "interval_s": args.interval,
        "stagger_s": args.stagger,
        "reruns_measured": len(e2e),
        "errors": sum(len(r["errors"]) for r in out.values()),
        "crosstalk": sum(len(r["crosstalk"]) for r in out.values()),
        "first_figures_median_s": statistics.median(firsts) if firsts else None,
        "first_figures_max_s": max(firsts) if firsts else None,
        "first_load_median_s": statistics.median(loads) if loads else None,
        "first_load_max_s": max(loads) if loads else None,
        "e2e_p50_s": pct(e2e, 50),
        "e2e_p95_s": pct(e2e, 95),
        "e2e_max_s": max(e2e) if e2e else None,
        "server_figures_p50_ms": pct(srv, 50),
        "server_figures_p95_ms": pct(srv, 95),
        "server_cpu_per_rerun_s": (cpu1 - cpu0) / reruns if cpu0 is not None and cpu1 is not None and reruns else None,
        "server_cpu_s": cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None,
        "browsers_cpu_s": browsers1 - browsers0 if browsers0 is not None and browsers1 is not None else None,
        "optimise_rounds_per_session": args.optimise,
        "map_answers": len(maps := [x for r in out.values() for x in r["map"]]),
        "map_s_p50": pct(maps, 50) if maps else None,
        "map_s_max": max(maps) if maps else None,
        "tornado_answers": len(tornados := [x for r in out.values() for x in r["tornado"]]),
        "tornado_s_p50": pct(tornados, 50) if tornados else None,
        "tornado_s_max": max(tornados) if tornados else None,
        "details": {i: {"errors": r["errors"][:5], "crosstalk": r["crosstalk"][:5]} for i, r in sorted(out.items())},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on loopback, e.g. http://127.0.0.1:8501")
    parser.add_argument("--start", action="store_true", help="start a server of this working tree for the test")
    parser.add_argument("--sessions", type=int, default=1, help="browser sessions at once (1-50)")
    parser.add_argument("--moves", type=int, default=10, help="slider moves per session (1-1000)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a session's moves")
    parser.add_argument(
        "--distinct", action="store_true", help="each session on its own seed: no figures shared between sessions"
    )
    parser.add_argument(
        "--cold", dest="warm", action="store_false",
        help="start measuring on the server's very first session (default: one unmeasured session opens it first)",
    )  # fmt: skip
    parser.add_argument(
        "--stagger",
        type=float,
        default=0.0,
        help="seconds between one session's arrival and the next (0: all at once)",
    )
    parser.add_argument(
        "--split-cores", action="store_true",
        help="with --start: the server on one core, the browsers on the others, so that the server's time "
        "per rerun is not the browsers' queue",
    )  # fmt: skip
    parser.add_argument(
        "--optimise", type=int, default=0, metavar="R",
        help="after the moves, each session asks R times for the Optimise page's budget map and tornado "
        "(all sessions on one scenario, so the same parameters)",
    )  # fmt: skip
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    least_moves = 0 if args.optimise else 1
    if not 1 <= args.sessions <= 50 or not least_moves <= args.moves <= 1000 or not 0 <= args.interval <= 600:
        parser.error("--sessions 1-50, --moves 1-1000 (0 with --optimise), --interval 0-600")
    if not 0 <= args.optimise <= 20:
        parser.error("--optimise 0-20")
    if not 0 <= args.stagger <= 60:
        parser.error("--stagger 0-60")
    if args.split_cores and not args.start:
        parser.error("--split-cores needs --start")
    if args.start == bool(args.url):
        parser.error("give --url of a running server or --start, not both")
    if args.url and urlsplit(args.url).hostname not in LOOPBACK:
        parser.error(f"--url must be on this machine ({', '.join(sorted(LOOPBACK))}); got {args.url}")
    if args.start:
        server_cpus = server_core(parser) if args.split_cores else None
        with tempfile.TemporaryDirectory() as data, serve(data, server_cpus) as (url, pid):
            report = asyncio.run(main_async(args, url, pid))
    else:
        report = asyncio.run(main_async(args, args.url.rstrip("/"), None))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0 if report["errors"] == 0 and report["crosstalk"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
