"""The Portfolio page prices its plans and gives the simulator's verdict on them: the same answers as the Plan page's
(its best split, the chance of beating today's spend, and what the contact plans' programmes add).

On the B2B sample the Portfolio page used to recommend retaining A and B with most of the money
in retention while the Plan page, on the scenario it built, said to move most of it to
acquisition; and the Plan page could not say whether the plan beats the status quo ("—").
"""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from ui.plan import programmes as programmes_box
from ui.shared import widgets

from .conftest import APP, APP_TIMEOUT

PAGE = "pages/portfolio.py"
# what the Plan page says of the plan's split -> what the Portfolio page must say of the same split
JUDGEMENTS = (
    ("is at the best split", "Your plans' split is at the best"),
    ("is within noise of the best", "Your plans' split is within noise of the best"),
    ("is as good as the best in practice", "Your plans' split is as good as the best in practice"),
    ("NPV** on average", "**Move "),
)
SHARE = re.compile(r"puts \*\*(\d+) %\*\* (?:of the budget )?into acquisition")


def _texts(at) -> list[str]:
    return [m.value.replace("\\$", "$") for m in at.markdown]


def _open_b2b() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT).run()
    at.switch_page(PAGE).run()
    at.sidebar.selectbox(key="pf_example").set_value("b2b_accounts.csv").run()
    assert not at.exception, f"opening the B2B sample raised: {at.exception}"
    return at


def _best_share(texts: list[str], where: str) -> int:
    found = [int(m[1]) for t in texts for m in [SHARE.search(t)] if m]
    assert found, f"{where} states no best split: {texts}"
    return found[0]


def test_portfolio_and_plan_give_one_answer_on_the_b2b_sample():
    at = _open_b2b()
    pricing = [f for f in at.dataframe if "value it can protect" in f.value.columns]
    assert pricing, "the plans' costs are shown beside the value they protect"
    verdicts = set(pricing[0].value["verdict"])
    assert verdicts <= {"may pay: ask the simulator", "costs more than it can save", "not priced (no fit)"}, verdicts
    at.button(key="pf_verdict").click().run(timeout=600)
    assert not at.exception, f"the verdict raised: {at.exception}"
    portfolio_texts = _texts(at)
    portfolio_best = _best_share(portfolio_texts, "the Portfolio page")
    beats = [t for t in portfolio_texts if t.startswith("Chance the plan beats today's spend")]
    assert beats and re.search(r"\*\*\d+ %\*\* of futures", beats[0]), f"P(beats today's spend) in words: {beats}"
    checks = [t for t in portfolio_texts if "Observed churn lies" in t]
    assert checks and "inside the simulated range" in checks[0], f"last year's churn against the simulation: {checks}"

    at.button(key="pf_simulate").click().run(timeout=600)
    assert not at.exception, f"opening the plan raised: {at.exception}"
    plan_answer = [i.value.replace("\\$", "$") for i in at.info]
    plan_best = _best_share(plan_answer, "the Plan page")
    assert plan_best == portfolio_best, f"Portfolio says {portfolio_best} %, Plan says {plan_best} %"
    plan_words, portfolio_words = " ".join(plan_answer), " ".join(portfolio_texts)
    for plan_says, portfolio_says in JUDGEMENTS:
        if plan_says in plan_words:
            assert portfolio_says in portfolio_words, f"Plan: {plan_answer}; Portfolio: {portfolio_texts}"
    moved = re.search(r"[Mm]oving (\d+) points? to (\w+)", plan_words)
    portfolio_move = re.search(r"[Mm]ov(?:e|ing) (\d+) points? to (\w+)", portfolio_words)
    if moved:
        assert portfolio_move, f"the Plan page moves money the Portfolio page keeps: {plan_answer}"
        assert moved.group(1, 2) == portfolio_move.group(1, 2), (
            f"Plan {moved[0]!r} against Portfolio {portfolio_move[0]!r}"
        )
    beats_card = [m for m in at.metric if m.label == widgets.P_BEATS_LABEL]
    assert beats_card and beats_card[0].value != "—", "the plan is compared with today's spend on the Plan page"
    assert beats_card[0].value == re.search(r"\*\*(\d+ %)\*\* of futures", beats[0])[1], (
        f"P(beats today's spend): Plan {beats_card[0].value}, Portfolio {beats[0]}"
    )

    # the contact plans run as programmes: the Plan page's Programmes box values the same programme the same way
    at.session_state[programmes_box.K_OPEN] = True
    at.switch_page("pages/plan.py").run(timeout=600)
    assert not at.exception, f"opening the programmes box raised: {at.exception}"
    box = [t for t in _texts(at) if "operating NPV" in t and "futures" in t]
    added = [t for t in portfolio_texts if t.startswith("Run as its programme, the contact plans")]
    assert len(box) == 1 and added, f"one programme on the B2B sample (D's newsletter): {box}; {_texts(at)}"
    assert "Contact plan D: newsletter" in box[0], box
    futures = re.compile(r"better with (?:it|them) in ([\d,]+ of [\d,]+) futures")
    assert futures.search(box[0])[1] == futures.search(added[0])[1], f"Plan: {box[0]}; Portfolio: {added[0]}"
    amount = re.compile(r"(?:adds?|takes?) (\S+) (?:to|off) (?:the plan's )?(?:operating )?NPV")
    assert amount.search(box[0])[1] == amount.search(added[0])[1], f"Plan: {box[0]}; Portfolio: {added[0]}"
