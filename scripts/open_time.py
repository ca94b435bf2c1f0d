"""Open time: how long a new session waits for the Plan page's first figures, in Chromium.

Each open is a new browser session on a running server whose caches are warm (one unmeasured
open first), on the default example. Three times are taken from the moment the address is
entered:

- first figures drawn: the browser frame in which the "Chance the plan beats the status quo"
  card is first on the page (a script in the page checks every frame);
- first figures seen: when Playwright finds that card visible (it waits for the page's own
  work to pause, so it can read later than the frame);
- charts: the frame in which every chart is drawn and the year table (under the last chart) is there;
- whole page: the frame in which the page's last element is on the page and every chart drawn
  (on a new model it follows the best split's sweep, which the page runs last).

``fresh`` opens start a new browser profile each time (nothing cached, as a first visit);
``cached`` opens reuse one profile (Streamlit's scripts cached, as a returning visitor).
``--new-model`` opens each time a link to the default example with a seed of its own, so that
nothing is cached for it (a shared scenario nobody has opened yet: draws, plan, status quo and
best split are all computed). ``--against REF`` also starts a server of another commit (a temporary git worktree) and
alternates opens between the two, so that both see the same machine load.

    python scripts/open_time.py --start --opens 10
    python scripts/open_time.py --start --opens 10 --against HEAD~3 --split-cores
    python scripts/open_time.py --url http://127.0.0.1:8501 --mode cached
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadtest
from simulation.io.presets import DEFAULT_PRESET, load_preset
from simulation.io.sharing import share_query

# Checks every frame (requestAnimationFrame) for the first card and for the whole page; times from navigation.
FRAME_WATCH = """
window.__firstFigures = null; window.__charts = null; window.__wholePage = null;
function chartsDrawn() {
  const charts = Array.from(document.querySelectorAll("[data-testid='stVegaLiteChart']"));
  return charts.length > 0 && charts.every(c => c.querySelector("canvas, svg"));
}
function watch() {
  const now = performance.now();
  if (window.__firstFigures === null) {
    for (const label of document.querySelectorAll("[data-testid='stMetricLabel']")) {
      if (label.textContent.includes(CARD)) { window.__firstFigures = now; break; }
    }
  }
  // the year table follows the last chart
  if (window.__charts === null && document.querySelector("[data-testid='stDataFrame']") && chartsDrawn()) {
    window.__charts = now;
  }
  if (window.__wholePage === null) {
    const link = Array.from(document.querySelectorAll("[data-testid='stPageLink']"))
      .some(e => e.textContent.includes(LAST));
    if (link && chartsDrawn()) window.__wholePage = now;
  }
  if (window.__firstFigures === null || window.__charts === null || window.__wholePage === null) {
    requestAnimationFrame(watch);
  }
}
requestAnimationFrame(watch);
""".replace("CARD", json.dumps(loadtest.P_BEATS)).replace("LAST", json.dumps(loadtest.WHOLE_PLAN))

VIEWPORT = {"width": 1400, "height": 1000}


async def open_once(browser, url: str, context=None) -> dict:
    """One open of ``url`` in a new profile (or in ``context``); its three times in seconds."""
    own = context is None
    if own:
        context = await browser.new_context(viewport=VIEWPORT)
        await context.add_init_script(FRAME_WATCH)
    page = await context.new_page()
    page.set_default_timeout(loadtest.TIMEOUT_MS)
    try:
        start = time.perf_counter()
        await page.goto(url)
        await loadtest.metric(page, loadtest.P_BEATS).wait_for()
        seen = time.perf_counter() - start
        await page.wait_for_function(
            "window.__wholePage !== null && window.__charts !== null", timeout=loadtest.TIMEOUT_MS
        )
        drawn, charts, whole = await page.evaluate("[window.__firstFigures, window.__charts, window.__wholePage]")
        await loadtest.settled(page)
        return {"drawn": drawn / 1000, "seen": seen, "charts": charts / 1000, "whole": whole / 1000}
    finally:
        await (context.close() if own else page.close())


def new_model_query(index: int) -> str:
    """A share link's query for the default example with a seed no other open uses."""
    scenario = load_preset(DEFAULT_PRESET)
    scenario = scenario.replace(simulation={"runs": scenario.simulation.runs, "seed": 50_000 + index})
    return "/?" + share_query(scenario)


async def measure(urls: dict[str, str], opens: int, modes: list[str], new_model: bool = False) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=loadtest.CHROMIUM, args=loadtest.CHROMIUM_ARGS)
        try:
            for url in urls.values():
                await loadtest.warm_up(browser, url)
            results: dict[str, dict[str, list[dict]]] = {}
            for mode in modes:
                contexts = {}
                if mode == "cached":
                    for name, url in urls.items():
                        contexts[name] = await browser.new_context(viewport=VIEWPORT)
                        await contexts[name].add_init_script(FRAME_WATCH)
                        await open_once(browser, url, contexts[name])  # fills the profile's cache
                names = list(urls)
                for i in range(opens):
                    # alternate the order (ABBA) so that neither server always follows the other
                    for name in names if i % 2 == 0 else names[::-1]:
                        query = new_model_query(len(modes) * i + modes.index(mode)) if new_model else ""
                        one = await open_once(browser, urls[name] + query, contexts.get(name))
                        results.setdefault(name, {}).setdefault(mode, []).append(one)
                for context in contexts.values():
                    await context.close()
        finally:
            await browser.close()
    return results


def summary(results: dict) -> dict:
    out = {}
    for name, modes in results.items():
        for mode, runs in modes.items():
            row = {}
            for key in ("drawn", "seen", "charts", "whole"):
                values = sorted(r[key] for r in runs)
                row[key] = {
                    "median_s": round(statistics.median(values), 2),
                    "min_s": round(values[0], 2),
                    "max_s": round(values[-1], 2),
                }
            out[f"{name}, {mode}"] = {"opens": len(runs), **row}
    return out


@contextlib.contextmanager
def worktree(ref: str):
    """A temporary checkout of ``ref`` (removed after)."""
    folder = tempfile.mkdtemp(prefix="open-time-")
    command = ["git", "worktree", "add", "--detach", folder, ref]
    subprocess.run(command, cwd=loadtest.ROOT, check=True, capture_output=True)
    try:
        yield Path(folder)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", folder], cwd=loadtest.ROOT, capture_output=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server on loopback, e.g. http://127.0.0.1:8501")
    parser.add_argument("--start", action="store_true", help="start a server of this working tree")
    parser.add_argument("--against", metavar="REF", help="with --start: also a server of this git commit, alternated")
    parser.add_argument("--opens", type=int, default=10, help="opens per server and mode (1-200)")
    parser.add_argument("--mode", choices=("fresh", "cached", "both"), default="fresh")
    parser.add_argument(
        "--split-cores", action="store_true",
        help="with --start: the servers on one core, the browser on the others (as when the server is elsewhere)",
    )  # fmt: skip
    parser.add_argument("--new-model", action="store_true", help="each open on a model nothing is cached for")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.opens <= 200:
        parser.error("--opens 1-200")
    if args.start == bool(args.url):
        parser.error("give --url of a running server or --start, not both")
    if (args.against or args.split_cores) and not args.start:
        parser.error("--against and --split-cores need --start")
    if args.url and urlsplit(args.url).hostname not in loadtest.LOOPBACK:
        parser.error(f"--url must be on this machine ({', '.join(sorted(loadtest.LOOPBACK))}); got {args.url}")
    modes = ["fresh", "cached"] if args.mode == "both" else [args.mode]

    if args.url:
        results = asyncio.run(measure({"this server": args.url.rstrip("/")}, args.opens, modes, args.new_model))
    else:
        if args.against:
            found = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{args.against}^{{commit}}"],
                cwd=loadtest.ROOT, capture_output=True, text=True,
            )  # fmt: skip
            if found.returncode != 0:
                parser.error(f"--against must name a commit of this repository; got {args.against!r}")
            args.against_commit = found.stdout.strip()
        server_cpus = loadtest.server_core(parser) if args.split_cores else None
        with contextlib.ExitStack() as stack:
            urls = {}
            data = stack.enter_context(tempfile.TemporaryDirectory())
            urls["this tree"] = stack.enter_context(loadtest.serve(data, server_cpus))[0]
            if args.against:
                tree = stack.enter_context(worktree(args.against_commit))
                other = stack.enter_context(tempfile.TemporaryDirectory())
                urls[args.against] = stack.enter_context(loadtest.serve(other, server_cpus, tree))[0]
            results = asyncio.run(measure(urls, args.opens, modes, args.new_model))
    report = {
        "cores": "servers on their own core" if args.split_cores else "shared with the browser",
        "model": "a new one each open" if args.new_model else "the default example, cached",
        "load_average_after": os.getloadavg()[0],
        "results": summary(results),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
