"""The Plan page as an executive uses it: held keys, a clean console on every page, a phone screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from simulation import scenario_from_dict
from simulation.io.presets import load_preset
from simulation.io.sharing import QUERY_PARAM, encode_scenario
from ui.shared.widgets import SHARE_LINK_LABEL

from .streamlit_page import P_BEATS, metric, open_plan, wait_for_rerun, wait_for_whole_plan

SPLIT = "Acquisition share of the budget"
PAGES = ("Plan", "Optimise", "Compare", "Methodology")
PHONE = {"width": 390, "height": 844}


def slider_value(page) -> int:
    return int(float(page.get_by_role("slider", name=SPLIT).input_value()))


def test_held_arrow_key_lands_on_the_value_pressed_to(page, app_url):
    """Thirty presses 80 ms apart, while the page recomputes after the first ones, all count."""
    open_plan(page, app_url)
    start = slider_value(page)
    key, step = ("ArrowRight", 1) if start <= 70 else ("ArrowLeft", -1)
    page.get_by_role("slider", name=SPLIT).focus()
    for _ in range(30):
        page.keyboard.press(key)
        page.wait_for_timeout(80)
    wait_for_rerun(page, settle_ms=1500)
    wait_for_rerun(page, settle_ms=500)
    end = start + 30 * step
    assert slider_value(page) == end, f"30 presses of {key} from {start} % should reach {end} %"
    # the plan itself moved there: the caption under the slider shows the budget it split
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text=re.compile(r"^Acquisition .* per month"))
    expect(caption.first).to_be_visible()
    m = re.search(r"Acquisition \$([\d.]+)k · retention \$([\d.]+)k", caption.first.inner_text())
    assert m, f"the budget caption should give both amounts: {caption.first.inner_text()!r}"
    share = float(m[1]) / (float(m[1]) + float(m[2]))
    # amounts have 3 significant digits, so the share read back is within half a point of the split
    assert abs(share * 100 - end) < 0.5, f"the plan's budget is split {share:.1%}, not {end} %"
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _vega_messages(messages: list[tuple[str, str]]) -> list[str]:
    # Vega and Vega-Lite write their warnings as "WARN ..." console messages
    return [f"{kind}: {text}" for kind, text in messages if kind in ("error", "warning") or "WARN" in text]


@pytest.mark.parametrize("name", PAGES)
def test_no_console_errors_or_vega_warnings(page, app_url, name):
    messages: list[tuple[str, str]] = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    open_plan(page, app_url)
    if name != "Plan":
        page.get_by_test_id("stSidebarNav").get_by_text(name, exact=True).click()
        wait_for_rerun(page, settle_ms=800)
        expect(page.get_by_test_id("stException")).to_have_count(0)
    # charts render after the script run; let them draw
    page.wait_for_timeout(2500)
    found = _vega_messages(messages)
    assert not found, f"the {name} page wrote to the console: {found}"


def overlapping_labels(page) -> list[str]:
    """Pairs of chart labels (data labels and the axis labels Vega keeps) whose boxes overlap."""
    return page.evaluate(
        """() => {
            const out = [];
            for (const chart of document.querySelectorAll("[data-testid='stVegaLiteChart']")) {
              // data labels and the axis labels Vega keeps (it hides overlapping ones with opacity 0)
              const texts = [...chart.querySelectorAll("svg g.mark-text text")]
                .filter(t => t.getAttribute("opacity") !== "0" && getComputedStyle(t).opacity !== "0")
                .map(t => ({t: t.textContent, r: t.getBoundingClientRect()}))
                .filter(x => x.r.width > 0 && x.t);
              for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
                const a = texts[i].r, b = texts[j].r;
                if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
                  out.push(texts[i].t + " / " + texts[j].t);
              }
            }
            return out;
        }"""
    )


def test_phone_screen_shows_the_answer_and_fits(browser, app_url, artifacts):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_plan(page, app_url)
        page.wait_for_timeout(2000)
        width = PHONE["width"]
        # the split can be moved without opening the sidebar over the figures
        split = page.get_by_role("slider", name=SPLIT)
        expect(split).to_be_visible()
        sidebar_open = page.get_by_test_id("stSidebar").get_attribute("aria-expanded")
        assert sidebar_open != "true", "on a phone the sidebar should start closed, leaving the figures visible"
        # no chart, title or heading wider than the screen (a cut-off title)
        too_wide = page.evaluate(
            """(width) => [...document.querySelectorAll(
                  "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg, "
                  + "[data-testid='stMarkdownContainer'] strong, h1, h2, h3, h4")]
                .filter(e => e.getBoundingClientRect().width > 0)
                .filter(e => e.getBoundingClientRect().right > width + 1 || e.scrollWidth > e.clientWidth + 1)
                .map(e => (e.innerText || e.tagName).slice(0, 60))""",
            width,
        )
        assert not too_wide, f"cut off or wider than a {width} px screen: {too_wide}"
        # the bridge's amount labels do not overlap each other
        overlaps = overlapping_labels(page)
        assert not overlaps, f"chart labels overlap on a phone: {overlaps}"
        # the share link does not fill the screen
        page.get_by_role("button", name=SHARE_LINK_LABEL).click()
        link = page.get_by_test_id("stCode").filter(has_text="http")
        expect(link.first).to_be_visible()
        box = link.first.bounding_box()
        assert box["height"] < PHONE["height"] / 4, f"the share link takes {box['height']:.0f} px of height"
        assert box["width"] <= PHONE["width"], f"the share link is {box['width']:.0f} px wide"
        page.screenshot(path=str(artifacts / "plan_on_a_phone.png"), full_page=True)
    finally:
        context.close()


def test_optimise_charts_after_the_map_and_tornado_write_nothing_to_the_console(page, app_url):
    """The tornado is two views side by side: asked to fit the page, Vega would warn.

    The map and the tornado each show their progress with the time left while they run.
    """
    messages: list[tuple[str, str]] = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    open_plan(page, app_url)
    page.get_by_test_id("stSidebarNav").get_by_text("Optimise", exact=True).click()
    expect(page.get_by_text("Best split:").first).to_be_visible(timeout=300_000)
    wait_for_rerun(page)
    page.get_by_role("button", name="Map budget sizes").click()
    # a long run shows its progress and the time left, redrawn once a second; the bar jumps, not glides
    expect(page.get_by_text(re.compile(r"^Mapping budget sizes: \d+ of 231, about .+ left$"))).to_be_visible()
    glides = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stProgress] *')]"
        ".map(e => getComputedStyle(e).transitionDuration).filter(d => d !== '0s')"
    )
    assert not glides, f"the progress bar glides to each value ({glides}), redrawing the page each time"
    wait_for_rerun(page, settle_ms=500, timeout_ms=300_000)
    expect(page.get_by_text("More budget stops paying").or_(page.get_by_text("still rises")).first).to_be_visible(
        timeout=300_000
    )
    page.get_by_role("button", name="Run the sensitivity analysis").click()
    expect(page.get_by_text(re.compile(r"^Moving assumptions: \d+ of \d+, about .+ left$"))).to_be_visible()
    wait_for_rerun(page, settle_ms=500, timeout_ms=300_000)
    expect(
        page.get_by_text("The recommended split holds up").or_(page.get_by_text("The split depends on")).first
    ).to_be_visible(timeout=300_000)
    page.wait_for_timeout(2500)
    found = _vega_messages(messages)
    assert not found, f"the Optimise page's charts wrote to the console: {found}"
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_bridge_with_programmes_and_a_price_change_stays_readable_on_a_phone(browser, app_url, artifacts):
    data = load_preset("wholesale_loyalty").to_dict()
    data["price_change"] = {
        "change": 0.04,
        "applies_to": "all",
        "start": 13,
        "churn_elasticity": {"low": 0.5, "high": 1.5},
    }
    data["simulation"] = {"runs": 200, "seed": 1}
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{app_url}/?{QUERY_PARAM}={encode_scenario(scenario_from_dict(data))}")
        expect(metric(page, P_BEATS)).to_be_visible(timeout=60_000)
        wait_for_whole_plan(page)
        page.wait_for_timeout(2000)
        chart = page.get_by_test_id("stVegaLiteChart").filter(has_text="± Programmes")
        expect(chart).to_have_count(1)
        expect(chart.get_by_text("± Price change", exact=True)).to_have_count(1)
        # every step that moves the run-rate has its amount drawn, however short its bar: start, new
        # customers, churn, programmes, price change and end, for plan and status quo
        amounts = chart.locator("svg g.mark-text text").filter(has_text=re.compile(r"^[−+]?€[0-9.]+[kMB]?$"))
        assert amounts.count() >= 12, amounts.all_inner_texts()
        outside = chart.evaluate(
            """(el) => { const c = el.querySelector("svg").getBoundingClientRect();
                return [...el.querySelectorAll("svg g.mark-text text")]
                  .map(t => [t.textContent, t.getBoundingClientRect()])
                  .filter(([, r]) => r.width > 0 && (r.left < c.left - 1 || r.right > c.right + 1))
                  .map(([t]) => t); }"""
        )
        assert not outside, f"amounts drawn outside the chart: {outside}"
        overlaps = overlapping_labels(page)
        assert not overlaps, f"chart labels overlap on a phone: {overlaps}"
        chart.screenshot(path=str(artifacts / "bridge_with_programmes_on_a_phone.png"))
    finally:
        context.close()
