"""An assessed class in three browsers: a trainer paces it, two learners join and predict, the trainer's
roster counts them by itself, and a prediction changed after the reveal does not move the class's figure."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .streamlit_page import metric, wait_for_rerun


def no_exception(page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def join_and_predict(page, link: str, name: str, prediction: int) -> None:
    page.goto(link)
    wait_for_rerun(page)
    page.get_by_role("textbox", name="Your display name").fill(name)
    page.get_by_role("button", name="Join the class").click()
    wait_for_rerun(page)
    expect(page.get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Lesson 1. The leaky bucket")).to_be_visible()
    page.get_by_role("spinbutton", name="Your prediction").fill(str(prediction))
    page.get_by_role("button", name="Commit my prediction").click()
    wait_for_rerun(page)
    expect(page.get_by_text("Your trainer will reveal the answer")).to_be_visible()
    no_exception(page)


def test_a_trainer_and_two_learners_in_separate_browsers(browser, app_url):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    try:
        trainer, ann, bo = (c.new_page() for c in contexts)
        for page in (trainer, ann, bo):
            page.set_default_timeout(60_000)

        trainer.goto(f"{app_url}/class_trainer")
        wait_for_rerun(trainer)
        trainer.get_by_role("textbox", name="Title (for you and the learners)").fill("Assessed class")
        trainer.get_by_role("button", name="Start the class").click()
        wait_for_rerun(trainer)
        expect(trainer.get_by_text("Your trainer link below brings you back")).to_be_visible()
        code = trainer.get_by_test_id("stCode").nth(0).inner_text().strip()
        assert re.fullmatch(r"[A-Z2-9]{6}", code), f"a six-character class code: {code!r}"
        assert re.search(rf"[?&]class={code}(&|$)", trainer.url) and "trainer=" in trainer.url, (
            f"the trainer's link is kept in the address: {trainer.url}"
        )
        trainer.get_by_role("button", name="Unlock this lesson for learners").click()
        wait_for_rerun(trainer)
        expect(trainer.get_by_text("Learners see lessons: 1.")).to_be_visible()
        no_exception(trainer)

        link = f"{app_url}/lessons?class={code}"
        join_and_predict(ann, link, "Ann", 1500)
        join_and_predict(bo, link, "Bo", 2500)

        # no Refresh pressed: the trainer's view follows the class by itself
        expect(metric(trainer, "Learners joined")).to_have_text("2")
        expect(metric(trainer, "Predictions")).to_have_text("2")
        expect(metric(trainer, "Not yet predicted this lesson")).to_have_text("0")
        expect(metric(trainer, "Median prediction")).to_have_text("2,000")

        trainer.get_by_role("button", name="Reveal the answer to learners").click()
        wait_for_rerun(trainer)
        no_exception(trainer)

        ann.get_by_role("button", name="Check whether the answer is revealed").click()
        wait_for_rerun(ann)
        expect(metric(ann, "Your prediction")).to_have_text("1,500")
        answer = metric(ann, "Simulated answer").inner_text()
        expect(metric(trainer, "Simulated answer")).to_have_text(answer)
        ann.get_by_role("spinbutton", name="Your prediction").fill(answer.replace(",", ""))
        ann.get_by_role("button", name="Commit my prediction").click()
        wait_for_rerun(ann)
        expect(ann.get_by_text(re.compile("predictions are frozen"))).to_be_visible()
        expect(metric(ann, "Your prediction")).to_have_text("1,500")
        no_exception(ann)

        trainer.wait_for_timeout(4_000)  # longer than the view's refresh: the figure would have moved by now
        expect(metric(trainer, "Predictions")).to_have_text("2")
        expect(metric(trainer, "Median prediction")).to_have_text("2,000")
        no_exception(trainer)

        trainer.reload()  # the trainer's link in the address brings the trainer back
        wait_for_rerun(trainer)
        expect(metric(trainer, "Learners joined")).to_have_text("2")
        no_exception(trainer)
    finally:
        for context in contexts:
            context.close()
