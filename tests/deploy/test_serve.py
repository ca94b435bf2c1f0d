"""Several app processes behind HAProxy, sharing one PostgreSQL: ``./run.sh serve`` as a user starts it.

The deployment script starts two Streamlit processes, a PostgreSQL cluster of its own in the data
folder and HAProxy in front. HAProxy's cookie pins a browser to one process (as it pins every
person's session); the tests set that cookie to send each browser to the process they choose, and
check from the response which process answered. A scenario saved through one process opens
through the other, and learners who joined a class through different processes are all counted
on the trainer's page. Needs Debian's postgresql, haproxy and chromium (./run.sh test installs
them); a missing one is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from simulation.engines.vectorized import compile_kernels
from ui.shared.fonts import serve_fonts

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RETENTION_LAB_CHROMIUM", "/usr/bin/chromium")
SERVED = re.compile(r"Retention Lab is served at (http://\S+)")

pytestmark = [pytest.mark.deploy, pytest.mark.browser, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def deployment():
    """``deploy/serve.py --processes 2``: the balancer's URL once every process answers."""
    compile_kernels()
    serve_fonts()
    # not under pytest's own folder (private to this user): when the tests run as root, the
    # cluster runs as the postgres user, who must be able to enter the data folder
    folder = Path(tempfile.mkdtemp(prefix="retention-lab-serve-"))
    folder.chmod(0o755)
    log = folder / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in {"RETENTION_LAB_DATABASE_URL", "RETENTION_LAB_DATA_DIR"}}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--processes", "2", "--address", "127.0.0.1",
             "--port", str(_free_port()), "--data-dir", str(folder / "data")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        url = None
        while url is None:
            found = SERVED.search(log.read_text())
            if found:
                url = found.group(1)
            elif proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"./run.sh serve did not start:\n{log.read_text()[-3000:]}")
            else:
                time.sleep(0.5)
        listed = json.loads((folder / "data" / "serve" / "processes.json").read_text())
        assert listed["url"] == url and [p["name"] for p in listed["processes"]] == ["app1", "app2"], listed
        yield url
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("Ctrl-C did not stop the deployment within 60 s")
    assert "Stopped." in log.read_text(), f"Ctrl-C should stop every process:\n{log.read_text()[-2000:]}"
    assert not list((folder / "data" / "postgresql" / "data").glob("postmaster.pid")), "PostgreSQL was stopped"
    shutil.rmtree(folder, ignore_errors=True)


def _answered_by(url: str, cookie: str | None = None) -> tuple[str, str]:
    request = urllib.request.Request(url, headers={"Cookie": f"SERVERID={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("X-Retention-Lab-Process", ""), response.headers.get("Set-Cookie", "")


def test_new_sessions_are_spread_over_the_processes_and_then_stay_on_theirs(deployment):
    first = [_answered_by(deployment) for _ in range(4)]
    assert {who for who, _ in first} == {"app1", "app2"}, f"new sessions go to both processes: {first}"
    assert all(cookie.startswith(f"SERVERID={who};") for who, cookie in first), f"each is pinned by a cookie: {first}"
    for who in ("app1", "app2"):
        pinned = [_answered_by(deployment, who)[0] for _ in range(3)]
        assert pinned == [who] * 3, f"a browser pinned to {who} stays there: {pinned}"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    expect.set_options(timeout=90_000)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _on_process(browser, url: str, process: str):
    """A browser whose session the balancer keeps on ``process``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": "SERVERID", "value": process, "url": url}])
    page = context.new_page()
    page.set_default_timeout(90_000)
    return context, page


def _open(page, url: str, process: str) -> None:
    from tests.browser.streamlit_page import wait_for_rerun

    response = page.goto(url)
    assert response.headers.get("x-retention-lab-process") == process, f"{url} was answered by {response.headers}"
    wait_for_rerun(page)


def test_a_scenario_saved_through_one_process_opens_through_the_other(browser, deployment):
    from playwright.sync_api import expect

    from tests.browser.streamlit_page import wait_for_rerun

    contexts = []
    try:
        one, saver = _on_process(browser, deployment, "app1")
        two, reader = _on_process(browser, deployment, "app2")
        contexts += [one, two]
        _open(saver, f"{deployment}/compare", "app1")
        saver.get_by_role("textbox", name="Scenario name").fill("Saved through process 1")
        saver.get_by_role("button", name="Save scenario").click()
        wait_for_rerun(saver)
        expect(saver.get_by_text("Saved as Saved through process 1.")).to_be_visible()

        _open(reader, f"{deployment}/compare", "app2")
        # the library's first entry is selected, and the rename box names it
        rename = reader.get_by_role("textbox", name="New name")
        expect(rename).to_have_attribute("placeholder", "Rename Saved through process 1 to…")
        for page in (saver, reader):
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        for context in contexts:
            context.close()


def test_learners_who_joined_through_different_processes_are_all_counted(browser, deployment):
    from playwright.sync_api import expect

    from tests.browser.streamlit_page import metric, wait_for_rerun

    contexts = []
    try:
        trainer_context, trainer = _on_process(browser, deployment, "app1")
        contexts.append(trainer_context)
        _open(trainer, f"{deployment}/class_trainer", "app1")
        trainer.get_by_role("textbox", name="Title (for you and the learners)").fill("Two processes")
        trainer.get_by_role("button", name="Start the class").click()
        wait_for_rerun(trainer)
        expect(trainer.get_by_text("Your trainer link below brings you back")).to_be_visible()
        code = trainer.get_by_test_id("stCode").nth(0).inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{6}", code), f"a class code: {code!r}"
        expect(metric(trainer, "Learners joined")).to_have_text("0")

        for name, process in (("Ann", "app1"), ("Bo", "app2")):
            context, learner = _on_process(browser, deployment, process)
            contexts.append(context)
            _open(learner, f"{deployment}/lessons?class={code}", process)
            learner.get_by_role("textbox", name="Your display name").fill(name)
            learner.get_by_role("button", name="Join the class").click()
            wait_for_rerun(learner)
            expect(learner.get_by_text(name, exact=True)).to_be_visible()
            expect(learner.get_by_test_id("stException")).to_have_count(0)

        # the trainer's view, served by process 1, follows the class by itself
        expect(metric(trainer, "Learners joined")).to_have_text("2")
    finally:
        for context in contexts:
            context.close()
