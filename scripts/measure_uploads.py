"""Time and peak memory of the command line on each hostile upload of issue 23.

Builds every input into a folder (``--folder``, default a temporary one; the 3.2 GB shared-string
bomb and the million-row workbook take a minute to build, so reuse the folder between runs), then
runs ``python -m simulation fit|portfolio FILE`` on each in a child process under a wall-clock
limit and an address-space limit, and prints a Markdown table: the input, the exit status, the
wall time, the peak resident memory (``ru_maxrss`` of the child), and the message's first line.
A child stopped by a limit is shown as such (``> 60 s``, ``MemoryError at the cap``).

    python scripts/measure_uploads.py --folder /tmp/uploads
    python scripts/measure_uploads.py --folder /tmp/uploads --only sniffer --timeout 300

Timing stays out of the tests: this is a measurement, not a check.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.portfolio import hostile_files as hf  # noqa: E402

B2B = ROOT / "sample_data" / "customers" / "b2b_accounts.csv"


def _text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    if not path.exists():
        path.write_bytes(text.encode(encoding))
    return path


def _customers(dates: list[str]) -> str:
    """A customer table that fits: a start date each, a third of them lapsed a year and a half later."""
    rows = []
    for i, d in enumerate(dates):
        end = f"{int(d[:4]) + 1}-{(int(d[5:7]) + 5) % 12 + 1:02d}-01" if i % 3 == 0 and d.startswith("20") else ""
        rows.append(f"C{i},{100 + i},{d},{end},{'lapsed' if end else 'active'}")
    return "customer_id,revenue,start,end,status\n" + "\n".join(rows) + "\n"


def build(folder: Path) -> list[tuple[str, list[str]]]:
    """Every input with the command line that reads it: ``(label, argv after 'python -m simulation')``."""
    folder.mkdir(parents=True, exist_ok=True)
    ordinary = [f"{2015 + i % 8}-{i % 12 + 1:02d}-15" for i in range(90)]
    wide_cohort = "Cohort,Year 0,Year 1,Year {}\nA,1000,600,300\nB,1000,500,200\n"
    counts = "Cohort,Year 0,Year 1,Year 2\nA,1{0},6{1},3{1}\nB,1000,500,200\n"
    texts = {
        "year_1e8.csv": wide_cohort.format(100000000),
        "year_1e12.csv": wide_cohort.format(999999999999),
        "long_1e11.csv": "cohort,period,active\nA,0,1000\nA,1,900\nA,99999999999,800\n",
        "dates_1677.csv": _customers([*ordinary, "1677-06-15", "1677-09-22"]),
        "dates_9999.csv": _customers([*ordinary, "9999-01-01"]),
        "dates_0001.csv": _customers([*ordinary, "0001-01-01"]),
        "count_1e30.csv": counts.format("e30", "e29"),
        "count_1e19.csv": counts.format("e19", "e18"),
        "revenue_1e308.csv": _customers(ordinary).replace("C0,100,", "C0,1e308,"),
    }
    paths = {name: _text(folder, name, text) for name, text in texts.items()}
    paths["shared_strings_bomb.xlsx"] = _once(
        folder / "shared_strings_bomb.xlsx", lambda: hf.shared_strings_bomb(folder, 3_200_000_000)
    )
    paths["wide_1e6.csv"] = _once(folder / "wide_1e6.csv", lambda: hf.wide_csv(folder, 10**6, 1, "wide_1e6.csv"))
    paths["wide_5e4.csv"] = _once(folder / "wide_5e4.csv", lambda: hf.wide_csv(folder, 50_000, 300, "wide_5e4.csv"))
    paths["many_rows.xlsx"] = _once(folder / "many_rows.xlsx", lambda: hf.many_rows(folder, 1_000_000))
    paths["just_over.csv"] = _once(folder / "just_over.csv", lambda: _just_over(folder))
    cases = [
        ("4 sniffer trap (65 KB CSV)", "fit", hf.sniffer_trap(folder)),
        ("5 wide cohort, Year 100000000", "fit", paths["year_1e8.csv"]),
        ("5 wide cohort, Year 999999999999", "fit", paths["year_1e12.csv"]),
        ("5 long cohort, period 99999999999", "fit", paths["long_1e11.csv"]),
        ("6 inline cells at XFD1, XFD1048576", "fit", hf.far_corners(folder)),
        ("6 shared strings 3.2 GB (3.3 MB file)", "fit", paths["shared_strings_bomb.xlsx"]),
        ("6 last row 1048576 (2 KB)", "fit", hf.last_row(folder)),
        ("7 10^6 columns, 1 row", "fit", paths["wide_1e6.csv"]),
        ("7 50,000 columns x 300 rows", "fit", paths["wide_5e4.csv"]),
        ("7 1,000,000-row workbook", "fit", paths["many_rows.xlsx"]),
        ("12 billion laughs (xlsx)", "portfolio", hf.billion_laughs(folder)),
        ("12 external entity (xlsx)", "portfolio", hf.external_entity(folder)),
        ("12 #DIV/0! without a type (xlsx)", "portfolio", hf.error_value(folder)),
        ("12 dates_1677.csv", "portfolio", paths["dates_1677.csv"]),
        ("13 start 9999-01-01", "portfolio", paths["dates_9999.csv"]),
        ("13 start 0001-01-01", "portfolio", paths["dates_0001.csv"]),
        ("14 cohort count 1e30", "fit", paths["count_1e30.csv"]),
        ("14 cohort count 1e19", "fit", paths["count_1e19.csv"]),
        ("14 revenue 1e308", "portfolio", paths["revenue_1e308.csv"]),
        ("16 50.00004 MB file", "fit", paths["just_over.csv"]),
        ("16 mixed UTF-8 / cp1252", "portfolio", _mixed(folder)),
    ]
    cases = [(label, [command, str(path)]) for label, command, path in cases]
    cases.insert(16, ("13 --as-of 9999-12-31", ["portfolio", str(B2B), "--as-of", "9999-12-31"]))
    return cases


def _once(path: Path, make) -> Path:
    return path if path.exists() else make()


def _just_over(folder: Path) -> Path:
    path = folder / "just_over.csv"
    head = b"customer_id,revenue,tenure,status\n"
    size = 50 * 1024 * 1024 + 40
    with path.open("wb") as out:
        out.write(head)
        row = b"C1,100,3,active\n"
        out.write(row * ((size - len(head)) // len(row)))
        out.write(b"x" * (size - out.tell()))
    return path


def _mixed(folder: Path) -> Path:
    path = folder / "mixed_encoding.csv"
    head = b"customer_id,revenue,tenure,status,segment\n"
    rows = [f"C{i},{100 + i},{i % 12 + 1},active,Bücher\n".encode() for i in range(20)]
    rows[5] = "C5,105,6,lapsed,Bücher\n".encode("cp1252")
    path.write_bytes(head + b"".join(rows))
    return path


def _high_water_kb(pid: int) -> int | None:
    """The peak resident memory so far (VmHWM) of the children of ``pid`` (the measured command under time)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        peaks = []
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]))
        return max(peaks) if peaks else None
    except OSError:
        return None


def run(argv: list[str], timeout: float, cap_bytes: int) -> dict:
    """One child under /usr/bin/time: its wall time and peak resident memory, or how a limit stopped it."""

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))

    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%e %M", "-o", report.name, sys.executable, "-m", "simulation", *argv],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=limits,
            start_new_session=True,
        )
        try:
            _, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            stopped_kb = _high_water_kb(proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            timed_out = True
        fields = report.read().split()
    wall, peak_kb = (float(fields[-2]), int(fields[-1])) if len(fields) >= 2 and not timed_out else (timeout, None)
    if timed_out:
        peak_kb = stopped_kb
    lines = [x for x in err.decode(errors="replace").splitlines() if x.strip() and not x.startswith("Command ")]
    message = next((x for x in lines if x.startswith(("error", "Traceback"))), lines[-1] if lines else "")
    if any("MemoryError" in x for x in lines):
        message = "MemoryError at the cap; " + message
    status = "killed" if timed_out else proc.returncode
    return {"status": status, "wall": wall, "peak_kb": peak_kb, "timed_out": timed_out, "message": message}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folder", type=Path)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a child is stopped (default 60)")
    p.add_argument("--cap-gb", type=float, default=4.0, help="address-space limit of a child, GB (default 4)")
    p.add_argument("--only", help="run only the inputs whose label contains this text (alternatives split by |)")
    args = p.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="uploads-"))
    cases = build(folder)
    print(f"load average {os.getloadavg()[0]:.1f}; limits: {args.timeout:g} s, {args.cap_gb:g} GB address space")
    print("| input | status | time | peak memory | message |\n|---|---|---|---|---|")
    for label, argv in cases:
        if args.only and not any(part in label for part in args.only.split("|")):
            continue
        result = run(argv, args.timeout, int(args.cap_gb * 1024**3))
        peak_text = "not measured" if result["peak_kb"] is None else f"{result['peak_kb'] / 1024:,.0f} MB"
        if result["timed_out"] and result["peak_kb"] is not None:
            peak_text += " when stopped"
        wall = f"> {args.timeout:g} s" if result["timed_out"] else f"{result['wall']:.1f} s"
        message = result["message"].replace("|", "\\|")[:140]
        print(f"| {label} | {result['status']} | {wall} | {peak_text} | {message} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
