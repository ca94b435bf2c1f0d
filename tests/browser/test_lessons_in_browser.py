"""A class in two browsers: a trainer starts it and watches, a learner joins by the link and works a lesson."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from simulation.lessons import LESSONS

from .streamlit_page import metric, wait_for_rerun


def no_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_a_learner_works_a_lesson_while_the_trainer_watches(browser, app_url):
    trainer_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    learner_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        trainer, learner = trainer_context.new_page(), learner_context.new_page()
        for page in (trainer, learner):
            page.set_default_timeout(60_000)

        trainer.goto(f"{app_url}/class_trainer")
        wait_for_rerun(trainer)
        trainer.get_by_role("textbox", name="Title (for you and the learners)").fill("Browser class")
        trainer.get_by_role("button", name="Start the class").click()
        wait_for_rerun(trainer)
        expect(trainer.get_by_text("Your trainer link below brings you back")).to_be_visible()
        blocks = trainer.get_by_test_id("stCode")
        code = blocks.nth(0).inner_text().strip()
        link = blocks.nth(1).inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{6}", code), f"a six-character class code: {code!r}"
        assert link == f"{app_url}/lessons?class={code}", f"the learners' link: {link!r}"
        trainer.get_by_role("button", name="Unlock this lesson for learners").click()
        wait_for_rerun(trainer)
        no_exception(trainer)

        learner.goto(link)
        wait_for_rerun(learner)
        expect(learner.get_by_role("textbox", name="Class code")).to_have_value(code)
        learner.get_by_role("textbox", name="Your display name").fill("Robin")
        learner.get_by_role("button", name="Join the class").click()
        wait_for_rerun(learner)
        expect(learner.get_by_text("Robin", exact=True)).to_be_visible()
        learner.get_by_role("spinbutton", name="Your prediction").fill("1500")
        learner.get_by_role("button", name="Commit my prediction").click()
        wait_for_rerun(learner)
        expect(learner.get_by_text("Your trainer will reveal the answer")).to_be_visible()
        no_exception(learner)
        learner.reload()  # the address now carries the learner's own link: they are back with their prediction
        wait_for_rerun(learner)
        expect(learner.get_by_text("Robin", exact=True)).to_be_visible()
        expect(learner.get_by_text("Your trainer will reveal the answer")).to_be_visible()

        trainer.get_by_role("button", name="Refresh").click()
        wait_for_rerun(trainer)
        expect(metric(trainer, "Learners joined")).to_have_text("1")
        expect(metric(trainer, "Predictions")).to_have_text("1")
        trainer.get_by_role("button", name="Reveal the answer to learners").click()
        wait_for_rerun(trainer)
        no_exception(trainer)

        learner.get_by_role("button", name="Check whether the answer is revealed").click()
        wait_for_rerun(learner)
        expect(metric(learner, "Your prediction")).to_have_text("1,500")
        expect(metric(learner, "Simulated answer")).to_have_text(re.compile(r"^\d,\d{3}$"))
        before = metric(learner, "At your setting now").inner_text()
        slider = learner.get_by_role("slider", name="New customers a month")
        slider.focus()
        learner.keyboard.press("End")
        wait_for_rerun(learner)
        expect(metric(learner, "At your setting now")).not_to_have_text(before)

        # the class's own exercise, as its question states it
        asked = learner.get_by_text(re.compile(r"^Another business wins")).inner_text()
        new, churn = re.search(r"wins (\d+) new customers a month and loses (\d+)\W*%", asked).groups()
        answer = (
            LESSONS["leaky_bucket"].exercise(inputs={"new_per_month": float(new), "churn": int(churn) / 100}).answer
        )
        learner.get_by_role("spinbutton", name="Your answer").fill(f"{answer:.0f}")
        learner.get_by_role("button", name="Check my answer").click()
        wait_for_rerun(learner)
        expect(learner.get_by_text(re.compile(r"^Right: the simulator says"))).to_be_visible()
        no_exception(learner)

        trainer.get_by_role("button", name="Refresh").click()
        wait_for_rerun(trainer)
        expect(metric(trainer, "Exercise right")).to_have_text("1 of 1")
        no_exception(trainer)
    finally:
        trainer_context.close()
        learner_context.close()


def test_a_class_link_works_on_a_freshly_started_server(page, cold_app_url):
    page.goto(f"{cold_app_url}/lessons?class=k7m2qx&lesson=stage")
    wait_for_rerun(page)
    expect(page.get_by_role("textbox", name="Class code")).to_have_value("K7M2QX")
    expect(page.get_by_role("heading", name="Lesson 5. The stage of the business")).to_be_visible()
    no_exception(page)
