"""The Optimise page's own overhead: the engine alone against the page in a real browser.

For the budget map and the tornado of the default preset, with the page's own settings (the
preset's futures and seed, the default grid of splits, the page's first budget range), it times:

- the engine alone, in this process: ``simulation.decide.budget_map`` over the page's 11 budgets
  x 21 splits, and ``simulation.decide.sensitivity`` around the best split, as
  ``python -m simulation bench`` does;
- the page in Chromium on a freshly started server: from the click on "Map budget sizes" (then
  "Run the sensitivity analysis") to its charts drawn, with the processor time of the server
  process and of the browser's processes over that time, and inside the server the engine
  call's own time (the server runs with a timer around ``ui.cache``'s calls of the engine);
- the same clicks again, now answered from the cache: the page's cost without the engine.

The page's overhead is the page's time minus the engine's, as a share of the engine's. Each
click is paired with the engine alone just before it (just after it in every other round), so
that both see the same load; the machine's load average is printed with the figures, and the
processor time, steadier than wall time on a shared machine, beside them. Timing stays out of
the tests.

    python scripts/optimise_overhead.py                        # 3 rounds on this working tree
    python scripts/optimise_overhead.py --rounds 1 --json out.json
    python scripts/optimise_overhead.py --app-dir /tmp/older   # the page of another copy of the app
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

MAP_BUTTON = "Map budget sizes"
TORNADO_BUTTON = "Run the sensitivity analysis"
MAP_SENTENCE = "More budget stops paying|still rises|could be smaller"
TORNADO_SENTENCE = "The recommended split holds up|The split depends on"
TIMEOUT_MS = 900_000
POLL_MS = 50  # how often the browser checks for the drawn charts (a cheap check until the run ends)

# Records, in the page's clock, the click and when the script run after it starts and ends.
WATCH = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    window.__ovh = {t0: performance.now(), clicked: null, running: null, stopped: null, drawn: null};
    if (!window.__ovhObserver) {
        document.addEventListener('click', () => {
            if (window.__ovh.clicked === null) window.__ovh.clicked = performance.now();
        }, {capture: true});
        window.__ovhObserver = new MutationObserver(() => {
            const o = window.__ovh;
            const state = app.getAttribute('data-test-script-state');
            if (state === 'running' && o.running === null) o.running = performance.now();
            else if (state !== 'running' && o.running !== null) o.stopped = performance.now();
        });
        window.__ovhObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }
}"""
# True once the run has ended, the section's sentence is on the page and ``charts`` charts are drawn.
DRAWN = """([pattern, charts]) => {
    const o = window.__ovh;
    const app = document.querySelector('[data-testid=stApp]');
    if (o.stopped === null || app.getAttribute('data-test-script-state') === 'running') return false;
    const sentence = new RegExp(pattern);
    const texts = document.querySelectorAll('[data-testid=stMarkdownContainer]');
    if (![...texts].some(e => sentence.test(e.textContent))) return false;
    const drawn = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].filter(e => {
        const c = e.querySelector('canvas, svg');
        return c && c.getBoundingClientRect().width > 0;
    });
    if (drawn.length < charts) return false;
    o.drawn = performance.now();
    return true;
}"""


# The engine alone ------------------------------------------------------------------------------
def page_work():
    """The scenario and the arguments of the page's budget map and tornado, as the page computes them."""
    from simulation.decide import DEFAULT_GRID, split_total
    from simulation.io.presets import DEFAULT_PRESET, load_preset

    # ui's cached functions, imported outside a server, would each warn that there is no runtime
    logging.getLogger("streamlit.runtime.caching").setLevel(logging.ERROR)
    from ui.optimise.sections import map_range, map_runs, map_totals

    scenario = load_preset(DEFAULT_PRESET)
    runs, seed = scenario.simulation.runs, scenario.simulation.seed
    low, high, _ = map_range(split_total(scenario))
    return {
        "scenario": scenario,
        "objective": "npv",
        "grid": DEFAULT_GRID,
        "runs": runs,
        "seed": seed,
        "totals": map_totals(low, high),
        "map_runs": map_runs(runs),
    }


def _timed(func) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def engine_alone(work: dict, base, part: str) -> dict:
    """Wall and processor seconds of the page's budget map (``part`` "map") or tornado, run here on its own."""
    from simulation.decide import budget_map, sensitivity

    w = work
    sc = w["scenario"]
    if part == "map":
        _, wall, cpu = _timed(
            lambda: budget_map(sc, w["totals"], w["objective"], None, w["grid"], w["map_runs"], w["seed"])
        )
    else:
        _, wall, cpu = _timed(lambda: sensitivity(sc, w["objective"], None, w["runs"], w["seed"], base=base))
    return {"wall": wall, "cpu": cpu}


# The page in a browser -------------------------------------------------------------------------
def serve_timed(timings: str, port: int) -> None:
    """Run ``streamlit run app.py`` here, with a timer around the engine calls of ``ui.cache``."""
    sys.path.insert(0, os.getcwd())
    import ui.shared.cache as cache

    def timer(name, func):
        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                entry = {"call": name, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
                with open(timings, "a") as f:
                    f.write(json.dumps(entry) + "\n")

        return timed

    cache.budget_map = timer("map", cache.budget_map)
    cache.sensitivity = timer("tornado", cache.sensitivity)
    from streamlit.web import cli

    sys.argv = [
        "streamlit", "run", "app.py", "--server.headless", "true", "--server.address", "127.0.0.1",
        "--server.port", str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    sys.exit(cli.main())


def _loadtest():
    # imported when needed: the timed server must import the app's own copy of the package, not this one
    sys.path.insert(0, str(ROOT))
    import loadtest

    return loadtest


@contextlib.contextmanager
def server(app_dir: Path, data_dir: str, timings: str):
    """A fresh server of the app in ``app_dir`` on a free loopback port; yields (url, pid)."""
    from simulation.engines.vectorized import compile_kernels

    compile_kernels()  # as ./run.sh app does: the server loads the compiled engine from disk
    port = _loadtest()._free_port()
    # the background warm-up is off: it would compete with the clicks being timed
    env = dict(os.environ, RETENTION_LAB_DATA_DIR=data_dir, RETENTION_LAB_WARMUP="0", PYTHONPATH=str(app_dir))
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", timings, str(port)]
    with _loadtest().running(command, port, app_dir, env, Path(data_dir) / "streamlit.log") as (url, pid):
        yield url, pid


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(pid: int, kids: dict[int, list[int]]) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def browser_cpu(server_pid: int) -> float | None:
    """Processor seconds of this process's children other than the server: the browser and its driver."""
    if not Path("/proc").is_dir():
        return None
    kids = _children()
    mine = _tree(os.getpid(), kids) - _tree(server_pid, kids) - {server_pid}
    return sum(_loadtest().cpu_seconds(pid) or 0.0 for pid in mine)


def _calls(timings: str, name: str) -> list[dict]:
    path = Path(timings)
    if not path.exists():
        return []
    return [row for row in map(json.loads, path.read_text().splitlines()) if row["call"] == name]


def click(page, pid: int, timings: str, button: str, sentence: str, charts: int, call: str) -> dict:
    """Click ``button`` and wait for its charts: times in the page's clock, processor time, the engine call."""
    before = len(_calls(timings, call))
    page.evaluate(WATCH)
    cpu_seconds = _loadtest().cpu_seconds
    server0, browser0 = cpu_seconds(pid), browser_cpu(pid)
    page.get_by_role("button", name=button).click()
    page.wait_for_function(DRAWN, arg=[sentence, charts], polling=POLL_MS, timeout=TIMEOUT_MS)
    server1, browser1 = cpu_seconds(pid), browser_cpu(pid)
    marks = page.evaluate("window.__ovh")
    engine = _calls(timings, call)[before:]
    # from the click as the page received it (Playwright's own steps before it are not the page's)
    t0 = marks["clicked"] if marks["clicked"] is not None else marks["t0"]
    return {
        "wall": (marks["drawn"] - t0) / 1000,
        "run_started": (marks["running"] - t0) / 1000,
        "run_ended": (marks["stopped"] - t0) / 1000,
        "server_cpu": None if server0 is None else server1 - server0,
        "browser_cpu": None if browser0 is None else browser1 - browser0,
        "engine_wall": sum(c["wall"] for c in engine) if engine else None,
        "engine_cpu": sum(c["cpu"] for c in engine) if engine else None,
    }


def measure_round(browser, app_dir: Path, work: dict, base, page_first: bool) -> tuple[dict, dict]:
    """One fresh server and browser session, each click paired with the engine alone just before or after it.

    Returns the engine's times and the page's: the map and the tornado, then both clicked again
    (answered from the cache).
    """
    engine, out = {}, {}
    with tempfile.TemporaryDirectory() as data:
        timings = str(Path(data) / "engine-calls.jsonl")
        with server(app_dir, data, timings) as (url, pid):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            try:
                page.goto(url)
                page.get_by_test_id("stSidebarNav").get_by_text("Optimise", exact=True).click()
                page.get_by_text("Best split:").first.wait_for()
                page.wait_for_timeout(300)
                page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
                page.wait_for_timeout(1000)
                charts = page.get_by_test_id("stVegaLiteChart").count()
                clicks = {
                    "map": (MAP_BUTTON, MAP_SENTENCE, charts + 2),
                    "tornado": (TORNADO_BUTTON, TORNADO_SENTENCE, charts + 3),
                }
                for part, (button, sentence, drawn) in clicks.items():
                    if not page_first:
                        engine[part] = engine_alone(work, base, part)
                    out[part] = click(page, pid, timings, button, sentence, drawn, part)
                    if page_first:
                        engine[part] = engine_alone(work, base, part)
                for part, (button, sentence, _) in clicks.items():
                    out[f"{part}_cached"] = click(page, pid, timings, button, sentence, charts + 3, part)
                if page.get_by_test_id("stException").count():
                    raise SystemExit("the Optimise page showed an exception")
                return engine, out
            finally:
                context.close()


# Report ----------------------------------------------------------------------------------------
def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def _page_cpu(rows: list[dict]) -> float | None:
    """Median processor seconds of server and browser together."""
    values = [r["server_cpu"] + r["browser_cpu"] for r in rows if None not in (r["server_cpu"], r["browser_cpu"])]
    return statistics.median(values) if values else None


def _span(rows: list[dict], key: str, unit: str = "s") -> str:
    values = [r[key] for r in rows if r.get(key) is not None]
    if not values:
        return "-"
    text = f"{statistics.median(values):.2f}"
    if len(values) > 1:
        text += f" ({min(values):.2f}-{max(values):.2f})"
    return text + (f" {unit}" if unit else "")


def summary(engine: list[dict], pages: list[dict]) -> dict:
    """Medians over the rounds, and the page's overhead against the engine alone."""
    out = {}
    for part in ("map", "tornado"):
        eng = [e[part] for e in engine]
        pg = [p[part] for p in pages]
        cached = [p[f"{part}_cached"] for p in pages]
        engine_wall, engine_cpu = _median(eng, "wall"), _median(eng, "cpu")
        page_wall = _median(pg, "wall")
        page_cpu = _page_cpu(pg)
        # round by round, page minus the engine alone timed just before it
        overhead = [p["wall"] - e["wall"] for p, e in zip(pg, eng, strict=True)]
        out[part] = {
            "engine_wall_s": engine_wall,
            "engine_cpu_s": engine_cpu,
            "page_wall_s": page_wall,
            "page_cpu_s": page_cpu,
            "page_server_cpu_s": _median(pg, "server_cpu"),
            "page_browser_cpu_s": _median(pg, "browser_cpu"),
            "engine_in_server_wall_s": _median(pg, "engine_wall"),
            "engine_in_server_cpu_s": _median(pg, "engine_cpu"),
            "cached_click_wall_s": _median(cached, "wall"),
            "cached_click_cpu_s": _page_cpu(cached),
            # what the page adds around its own engine call, measured in the same run: steady under load
            "outside_engine_call_wall_s": statistics.median(
                r["wall"] - r["engine_wall"] for r in pg if r["engine_wall"] is not None
            )
            if all(r["engine_wall"] is not None for r in pg)
            else None,
            "overhead_wall_s": statistics.median(overhead),
            "overhead_wall_pct": 100 * statistics.median(o / e["wall"] for o, e in zip(overhead, eng, strict=True)),
            "overhead_cpu_pct": None if page_cpu is None else 100 * (page_cpu - engine_cpu) / engine_cpu,
        }
    return out


def print_report(work: dict, engine: list[dict], pages: list[dict], load: list[tuple], result: dict) -> None:
    sc = work["scenario"]
    print(
        f"Optimise page, preset '{sc.name}', objective {work['objective']}: budget map of {len(work['totals'])} "
        f"budgets x {work['grid']} splits at {work['map_runs']:,} futures; tornado at {work['runs']:,} futures"
    )
    print(
        f"{len(pages)} round(s); medians, (range) over rounds; load average (1 min) from "
        f"{min(x[0] for x in load):.1f} to {max(x[0] for x in load):.1f} on {os.cpu_count()} cores"
    )
    for part, title in (("map", "Budget map"), ("tornado", "Tornado")):
        eng = [e[part] for e in engine]
        pg = [p[part] for p in pages]
        cached = [p[f"{part}_cached"] for p in pages]
        r = result[part]
        print(f"\n{title}")
        print(f"  engine alone:         wall {_span(eng, 'wall')}, processor {_span(eng, 'cpu')}")
        print(f"  page, click to drawn: wall {_span(pg, 'wall')}")
        print(f"    script run ends at  {_span(pg, 'run_ended')} (starts at {_span(pg, 'run_started')})")
        print(f"    engine call in the server: wall {_span(pg, 'engine_wall')}, processor {_span(pg, 'engine_cpu')}")
        if r["outside_engine_call_wall_s"] is not None:
            print(f"    the page's time outside its engine call: {r['outside_engine_call_wall_s']:.2f} s")
        print(f"    processor: server {_span(pg, 'server_cpu')}, browser {_span(pg, 'browser_cpu')}")
        print(
            f"  page from the cache:  wall {_span(cached, 'wall')}, processor: server {_span(cached, 'server_cpu')}, "
            f"browser {_span(cached, 'browser_cpu')}"
        )
        cpu = (
            ""
            if r["overhead_cpu_pct"] is None
            else f"; processor (server + browser - engine) {r['overhead_cpu_pct']:+.0f} %"
        )
        print(f"  overhead: wall {r['overhead_wall_s']:+.2f} s, {r['overhead_wall_pct']:+.0f} % of the engine{cpu}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="fresh servers, each timing both clicks and the engine alone (1-20)",
    )
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the copy of the app whose page is timed")
    parser.add_argument("--json", help="also write every measurement to this file")
    parser.add_argument("--serve", nargs=2, metavar=("TIMINGS", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_timed(args.serve[0], int(args.serve[1]))
        return 0
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds 1-20")
    # stopped from outside, the script still stops the server it started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    loadtest = _loadtest()
    if not Path(loadtest.CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {loadtest.CHROMIUM}: install it or set RETENTION_LAB_CHROMIUM")
    from playwright.sync_api import sync_playwright

    from simulation.decide import optimize_split
    from simulation.engines.vectorized import compile_kernels

    compile_kernels()
    work = page_work()
    sc = work["scenario"]
    # the page's sweep, whose best split the tornado moves around (not timed: it is not the page's click)
    base = optimize_split(sc, work["objective"], None, work["grid"], work["runs"], work["seed"])
    engine, pages, load = [], [], [os.getloadavg()]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=loadtest.CHROMIUM, args=loadtest.CHROMIUM_ARGS)
        try:
            for i in range(args.rounds):
                # alternate which comes first, so that a change of load favours neither
                e, pg = measure_round(browser, args.app_dir.resolve(), work, base, page_first=i % 2 == 1)
                engine.append(e)
                pages.append(pg)
                load.append(os.getloadavg())
                print(
                    f"round {i + 1}: map engine {e['map']['wall']:.1f} s / page {pg['map']['wall']:.1f} s; "
                    f"tornado engine {e['tornado']['wall']:.1f} s / page {pg['tornado']['wall']:.1f} s",
                    file=sys.stderr,
                )
        finally:
            browser.close()
    result = summary(engine, pages)
    print_report(work, engine, pages, load, result)
    if args.json:
        doc = {"app_dir": str(args.app_dir), "load_average": load, "engine": engine, "page": pages, "summary": result}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
