"""The Methodology page renders, with its formulas, for the default and any open scenario."""

from __future__ import annotations

from simulation.engines.vectorized import CLASSES_PER_COHORT

from .conftest import start_app_warm
from .markdown_reading import as_read


def _render(at):
    at.switch_page("pages/methodology.py").run()
    assert not at.exception, f"the Methodology page raised: {[e.value for e in at.exception]}"
    assert not at.error, f"the Methodology page shows errors: {[e.value for e in at.error]}"
    return at


def test_methodology_explains_the_model_with_formulas():
    at = _render(start_app_warm())
    assert at.title[0].value == "How Retention Lab works", "unexpected title"
    headers = [h.value for h in at.header]
    assert any("Assumptions and limits" in h for h in headers), f"the limits section is missing: {headers}"
    formulas = " ".join(e.value for e in at.latex)
    for piece in (r"\mathrm{Beta}(a, b)", "B(a,", r"\text{NPV}", r"\text{CLV}", r"\text{ceiling}"):
        assert piece in formulas, f"formula containing {piece!r} missing"
    text = " ".join(m.value for m in at.markdown)
    assert f"{CLASSES_PER_COHORT} latent classes" in text, "the engine's class count should be stated as coded"
    assert any("the size of the budget" in h for h in headers), f"the answer's section is missing: {headers}"
    assert "returns less than $1 on both" in text and "*spend less*" in text, "what the budget-size answer means"


def test_methodology_follows_the_open_scenario(test_scenario):
    at = _render(start_app_warm(test_scenario))
    text = " ".join(as_read(m.value) for m in at.markdown)  # as read: the name is a code span
    assert test_scenario.name in text, "the illustrations should name the scenario they use"


def test_methodology_explains_programmes_and_goal_seeking_with_reichheld_and_sassers_numbers():
    at = _render(start_app_warm())
    headers = [h.value for h in at.header]
    assert any("Programmes" in h and "what it takes" in h for h in headers), headers
    text = " ".join(as_read(m.value) for m in at.markdown)
    # computed by the closed form the engines are tested against: 1 / 0.10 and 1 / (0.5 x 0.10)
    assert "on average (1 ÷ 0.10)" in text and "stays 10 years" in text and "doubles to 20" in text, text
    assert "Programme costs" in text and "marginal contribution" in text
