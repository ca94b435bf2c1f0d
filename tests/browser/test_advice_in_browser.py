"""The Plan page's advice in a real browser: true of the figures beside it, a split that survives a zero
total, and Thai in the app's own font."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from simulation.io.presets import DEFAULT_PRESET, load_preset
from simulation.io.sharing import QUERY_PARAM, encode_scenario
from ui.plan import text as plan_text

from .streamlit_page import P_BEATS, SETTLED, metric, open_plan, wait_for_rerun, wait_for_whole_plan

SPLIT = "Acquisition share of the budget"
TOTAL = re.compile(r"^Total budget per month")
THAI_NAME = "แผนการตลาด ร้านกาแฟ"


def _answer(page):
    """The answer boxes above the controls (the recommendation, the budget answer, or "working out")."""
    return page.get_by_test_id("stAlert")


def _type_total(page, text: str) -> None:
    box = page.get_by_label(TOTAL)
    box.fill(text)
    box.press("Enter")


def test_a_new_total_never_shows_the_old_advice_and_at_1_5m_says_spend_less(page, app_url):
    open_plan(page, app_url)
    old = _answer(page).first.inner_text()
    old_npv = metric(page, "NPV").inner_text()
    assert "best split" in old, f"the default page should open on its recommendation: {old!r}"
    _type_total(page, "1,500,000")
    # until the run ends, whenever the figures show the new budget the box is not the old advice
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        npv = metric(page, "NPV").inner_text()
        texts = _answer(page).all_inner_texts()
        if npv != old_npv:
            assert old not in texts, f"the old advice is shown beside the new NPV {npv}: {texts}"
        if page.locator(SETTLED).count() and npv != old_npv and plan_text.WORKING_OUT not in " ".join(texts):
            break
        page.wait_for_timeout(100)
    wait_for_whole_plan(page)
    texts = _answer(page).all_inner_texts()
    assert old not in texts, f"the old advice is still shown: {texts}"
    assert any("Spend less:" in t for t in texts), f"at 1,500,000 a month the page says spend less: {texts}"


def test_the_split_slider_matches_its_caption_after_a_zero_total(page, app_url):
    open_plan(page, app_url)
    start = int(float(page.get_by_role("slider", name=SPLIT).input_value()))
    _type_total(page, "0")
    wait_for_rerun(page, settle_ms=500)
    _type_total(page, "200,000")
    wait_for_rerun(page, settle_ms=500)
    wait_for_whole_plan(page)
    shown = int(float(page.get_by_role("slider", name=SPLIT).input_value()))
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text=re.compile(r"^Acquisition .* per month"))
    text = caption.first.inner_text()
    m = re.search(r"Acquisition \$([\d.]+)k · retention \$([\d.]+)k", text)
    assert m, f"the caption should give both amounts: {text!r}"
    share = float(m[1]) / (float(m[1]) + float(m[2]))
    assert shown == start, f"the slider should keep {start} % through a zero total, shows {shown} %"
    assert abs(share * 100 - shown) < 0.5, f"the slider shows {shown} %, the caption splits {share:.1%}: {text!r}"


MEASURE = """(name) => {
  const heading = [...document.querySelectorAll('h1, h2, h3')].find(h => h.innerText.includes(name));
  const family = getComputedStyle(heading).fontFamily;
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `32px ${family}`;
  const base = ctx.measureText('\\u0e01').width;          // ko kai
  const marked = ctx.measureText('\\u0e01\\u0e34').width;  // ko kai with the vowel sara i above it
  const thai = [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'noto-sans-thai');
  return {family, base, marked, thai: thai.map(f => f.status)};
}"""


def test_thai_text_is_drawn_with_the_served_font(page, app_url):
    scenario = load_preset(DEFAULT_PRESET).replace(name=THAI_NAME)
    page.goto(f"{app_url}/?{QUERY_PARAM}={encode_scenario(scenario)}")
    expect(metric(page, P_BEATS)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name=THAI_NAME).first).to_be_visible()
    page.evaluate("document.fonts.ready")
    found = page.evaluate(MEASURE, THAI_NAME)
    assert "noto-sans-thai" in found["family"], f"the page's font should include the served Thai font: {found}"
    assert "loaded" in found["thai"], f"the browser should have loaded the served Thai font: {found}"
    # a real Thai font draws the vowel above the consonant (no extra width); a missing glyph is a box beside it
    assert abs(found["marked"] - found["base"]) < 0.5, f"Thai is drawn as boxes, not letters: {found}"
    response = page.request.get(f"{app_url}/app/static/NotoSansThai.ttf")
    assert response.ok, f"the font is served by the app: {response.status}"
