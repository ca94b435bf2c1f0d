"""Lessons: short guided lessons that put the rules of thumb to the test, alone or in a class."""

from __future__ import annotations

import logging

import streamlit as st

from simulation.errors import InputError
from simulation.lessons import LESSONS, Lesson, Outcome
from ui.lessons import charts as lesson_charts
from ui.lessons import class_mode
from ui.lessons import text as lessons_text
from ui.lessons.class_mode import Seat
from ui.lessons.state import answer_at_start, lesson_exercise, outcome_at, show_chart
from ui.lessons.units import from_widget, to_widget, widget_format
from ui.shared import routing, state

routing.ensure_routed("pages/lessons.py")

log = logging.getLogger("retention_lab.app")

K_PICK = "lessons_pick"
LESSON_PARAM = "lesson"


# One lesson ------------------------------------------------------------------------------------
def prediction_step(lesson: Lesson, held: Seat | None, start: dict) -> float | None:
    key = f"lessons_{lesson.key}_prediction"
    st.subheader("1. Predict")
    st.markdown(lessons_text.prediction_label(lesson, start))
    unit = lesson.prediction_unit
    lo, hi = lesson.prediction_range
    options = lesson.prediction_options
    with st.form(f"lessons_{lesson.key}_predict"):
        if options:
            st.radio("Your prediction", range(len(options)), index=None, key=f"{key}_input",
                     format_func=lambda i: lessons_text.option_text(lesson, i))  # fmt: skip
        else:
            st.number_input(
                "Your prediction" + (" (%)" if unit == "share" else ""),
                min_value=to_widget(lo, unit),
                max_value=to_widget(hi, unit),
                value=None,
                step=1.0,
                format="%.0f" if unit != "share" else "%.1f",
                key=f"{key}_input",
            )
        committed = st.form_submit_button("Commit my prediction", key=f"lessons_{lesson.key}_predict_submit")
    if committed:
        value = st.session_state.get(f"{key}_input")
        if value is None:
            st.error("Give your prediction first: it is what the lesson compares the simulation with.")
        else:
            class_mode.commit_prediction(held, lesson, float(value) if options else from_widget(value, unit))
    class_mode.frozen_notice(lesson)
    return st.session_state.get(key)


def control_widgets(lesson: Lesson, start: dict) -> dict:
    params = {}
    columns = st.columns(len(lesson.controls))
    for column, c in zip(columns, lesson.controls, strict=True):
        with column:
            if c.unit == "choice":
                index = st.selectbox(c.label, range(len(c.options)), index=int(start[c.key]),
                                     format_func=lambda i: lessons_text.option_text(lesson, i),
                                     key=f"lessons_{lesson.key}_{c.key}")  # fmt: skip
                params[c.key] = float(index)
                continue
            pct = c.unit == "share"
            value = st.slider(
                c.label + (" (%)" if pct else ""),
                min_value=to_widget(c.low, c.unit),
                max_value=to_widget(c.high, c.unit),
                value=to_widget(start[c.key], c.unit),
                step=to_widget(c.step, c.unit),
                format=widget_format(c.step, c.unit),
                help=c.help or None,
                key=f"lessons_{lesson.key}_{c.key}",
            )
            params[c.key] = from_widget(value, c.unit)
    return lesson.params(params)


def draw_chart(lesson: Lesson, outcome: Outcome) -> None:
    title, subtitle = lessons_text.chart_titles(lesson, outcome)
    f, frames = outcome.figures, outcome.frames
    if lesson.key == "leaky_bucket":
        chart = lesson_charts.bucket_chart(frames["paths"], f["rule"], title=title, subtitle=subtitle)
    elif lesson.key == "cost_ratio":
        chart = lesson_charts.response_curves_chart(frames["curves"], f["budget"], currency="USD", title=title,
                                                    subtitle=subtitle)  # fmt: skip
    elif lesson.key == "loyalty":
        chart = lesson_charts.cohort_chart(frames["cohort"], title=title, subtitle=subtitle)
    elif lesson.key == "stage":
        chart = lesson_charts.stage_chart(frames["curve"], frames["point"], title=title, subtitle=subtitle)
    elif lesson.key == "profit_leverage":
        chart = lesson_charts.leverage_chart(frames["bars"], title=title, subtitle=subtitle)
    elif lesson.key == "value_risk":
        chart = lesson_charts.strategy_chart(frames["strategies"].assign(label=list(lesson.prediction_options)),
                                             f["chosen"], currency="USD", title=title, subtitle=subtitle)  # fmt: skip
    else:  # pragma: no cover - every lesson is listed above
        return
    show_chart(chart)


def exercise_step(lesson: Lesson, held: Seat | None) -> None:
    st.subheader("4. Exercise")
    ex = lesson_exercise(lesson.key, "{}" if held is None else Lesson.params_key(held.exercise_inputs(lesson)))
    st.markdown(lessons_text.exercise_question(lesson, ex))
    key = f"lessons_{lesson.key}_exercise"
    with st.form(key):
        st.number_input("Your answer" + (" (%)" if ex.unit == "share" else ""), value=None, step=1.0,
                        key=f"{key}_input")  # fmt: skip
        checked = st.form_submit_button("Check my answer", key=f"{key}_submit")
    if checked:
        value = st.session_state.get(f"{key}_input")
        if value is None:
            st.error("Type a number to check.")
        else:
            answer = from_widget(value, ex.unit)
            correct = ex.check(answer)
            st.session_state[f"{key}_result"] = (answer, correct)
            class_mode.record(held, lesson, "exercise", answer, correct)
    result = st.session_state.get(f"{key}_result")
    if result is not None:
        answer, correct = result
        (st.success if correct else st.warning)(lessons_text.exercise_feedback(lesson, ex, answer, correct))
    with st.expander("Hint"):
        st.markdown(lessons_text.hint(lesson, ex))


def show_lesson(lesson: Lesson, held: Seat | None) -> None:
    setting = lesson.defaults() if held is None else held.start(lesson)
    st.header(f"Lesson {lesson.number}. {lesson.title}")
    st.markdown(f"**The question.** {lessons_text.question(lesson, setting)}")
    predicted = prediction_step(lesson, held, setting)
    if predicted is None:
        st.info("Commit a prediction to open the experiment: it only teaches if you guessed first.")
        return
    if held is not None and lesson.key not in held.session.revealed:
        st.info("Your prediction is in. Your trainer will reveal the answer when the class is ready.")
        st.button("Check whether the answer is revealed", key=f"lessons_{lesson.key}_poll")
        return

    st.subheader("2. Experiment")
    params = control_widgets(lesson, setting)
    start = answer_at_start(lesson, setting)
    outcome = outcome_at(lesson, params)
    left, right, now = st.columns(3)
    left.metric("Your prediction", lessons_text.answer_text(lesson, predicted))
    right.metric("Simulated answer", lessons_text.answer_text(lesson, start))
    now.metric("At your setting now", lessons_text.answer_text(lesson, outcome.answer))
    st.markdown(lessons_text.result_line(lesson, predicted, start))
    if lesson.key == "value_risk":
        show_chart(
            lesson_charts.nine_box_chart(outcome.frames["portfolio"], title="The portfolio in the nine boxes",
                                         subtitle=["Segment names and customers in each box; orange: high value, "
                                                   "high risk, where the playbook spends."]),
        )  # fmt: skip
    if lesson.key == "loyalty":
        horizon = int(outcome.frames["timeline"]["period"].max())
        show_chart(
            lesson_charts.timeline_chart(outcome.frames["timeline"], max(horizon, 36),
                                         title="Forty customers' lives, one row each",
                                         subtitle=["One simulated future of the per-customer engine, with small "
                                                   "retention, upsell and win-back programmes running."]),
        )  # fmt: skip

    st.subheader("3. Why")
    st.markdown(lessons_text.explanation(lesson, outcome))
    draw_chart(lesson, outcome)
    with st.expander("For the curious"):
        st.markdown(lessons_text.curious(lesson))

    exercise_step(lesson, held)

    st.divider()
    if st.button("Open this scenario on the Plan page", key=f"lessons_{lesson.key}_open"):
        state.set_scenario(lesson.scenario(params))
        st.switch_page("pages/plan.py")


# The page --------------------------------------------------------------------------------------
st.title("Lessons")
st.markdown(lessons_text.INTRO)
held = class_mode.class_sidebar()
keys = sorted(LESSONS, key=lambda k: LESSONS[k].number)
if held is not None:  # the trainer paces the class: only the lessons they have opened
    keys = [k for k in keys if k in held.session.unlocked]
if not keys:
    st.info("Your trainer has not opened a lesson yet. The first one appears here when they do.")
    st.button("Check for a lesson", key="lessons_wait_poll")
    st.stop()
if st.session_state.get(K_PICK) not in keys:
    wanted = st.query_params.get(LESSON_PARAM)
    st.session_state[K_PICK] = wanted if wanted in keys else keys[-1 if held is not None else 0]
pick = st.sidebar.radio("Lesson", keys, key=K_PICK,
                        format_func=lambda k: f"{LESSONS[k].number}. {LESSONS[k].title}")  # fmt: skip
try:
    show_lesson(LESSONS[pick], held)
except InputError as exc:
    st.error(f"This lesson cannot run with these settings: {exc}")
except Exception:
    log.exception("lesson %s failed", pick)
    st.error("The lesson could not be run. Try another setting, or reload the page.")
