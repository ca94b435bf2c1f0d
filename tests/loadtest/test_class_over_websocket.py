"""The load generator's client against the real app: a trainer and three learners over Streamlit's websocket.

The 100-learner and capacity runs are scripts (``python -m loadtest.classroom``, ``python -m
loadtest.capacity``); this test keeps the protocol client and the class flow they drive working.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from loadtest import class_flow as flow
from loadtest.server import serve
from loadtest.stats import percentile
from loadtest.streamlit_client import ProtocolError, Session


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("class-data")) as server:
        yield server.url


async def _class_of_three(url: str) -> tuple[list[int], int, int, list[str]]:
    counts = []
    async with Session(url) as trainer:
        cls = await flow.start_class(trainer, "Websocket class")
        assert len(cls.code) == 6 and cls.secret
        counts.append(flow.prediction_count(trainer))
        learners = [Session(url) for _ in range(3)]
        try:
            for i, learner in enumerate(learners):
                await learner.connect()
                await flow.open_link(learner, cls)
                await flow.join(learner, f"Learner {i + 1}")
                assert f"class={cls.code}" in learner.query_string and "learner=" in learner.query_string
            await flow.refresh(trainer)
            counts.append(flow.prediction_count(trainer))
            await asyncio.gather(*(flow.predict(x, "leaky_bucket", 1000 + 100 * i) for i, x in enumerate(learners)))
            # no Refresh pressed: the trainer's live view reruns by itself, as an open tab does
            await trainer.wait_for(lambda t: flow.prediction_count(t) == 3, timeout=30)
            counts.append(flow.prediction_count(trainer))
            assert flow.predicted(trainer) == {"Learner 1", "Learner 2", "Learner 3"}
            joined = flow.joined_count(trainer)
            with pytest.raises(ProtocolError):
                learners[0].widget("no_such_widget")
            median = flow.panel_metric(trainer, "Median prediction")
            return counts, joined, len(trainer.runs), [median]
        finally:
            for learner in learners:
                await learner.close()


def test_a_trainer_sees_three_learners_predictions(app_url):
    # its own thread, so the run has its own event loop whatever else the session keeps open
    with ThreadPoolExecutor(1) as thread:
        counts, joined, runs, (median,) = thread.submit(asyncio.run, _class_of_three(app_url)).result()
    assert counts == [0, 0, 3], "no prediction before the learners commit, all three after"
    assert joined == 3
    assert median == "1,100", "the median of 1,000, 1,100 and 1,200 as the trainer's view shows it"
    assert runs >= 4


def test_percentile_interpolates_between_ranks():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile([3.0], 95) == 3.0
