"""Cached lesson runs and chart display shared by the Lessons page and the trainer's view.

Keyed by plain arguments (the lesson's key and its parameters as JSON), so one process
computes each setting once: when a trainer opens a class, every lesson's answer at its
starting setting is computed for the trainer's view, and the learners' pages then find it
in the cache. What is cached is the lesson's small summary (:class:`simulation.lessons.Outcome`),
never raw runs.
"""

from __future__ import annotations

import json

import streamlit as st

from simulation.lessons import LESSONS, Exercise, Lesson, Outcome
from ui.lessons import charts as lesson_charts


@st.cache_data(max_entries=128, show_spinner="Running the experiment…")
def lesson_outcome(key: str, params_json: str) -> Outcome:
    """The outcome of lesson ``key`` at the parameters ``params_json`` (a JSON object)."""
    return LESSONS[key].run(json.loads(params_json))


@st.cache_data(max_entries=64, show_spinner="Preparing the exercise…")
def lesson_exercise(key: str, inputs_json: str = "{}") -> Exercise:
    """The exercise of lesson ``key`` with the inputs ``inputs_json`` (a JSON object; a class's own, or none)."""
    return LESSONS[key].exercise(inputs=json.loads(inputs_json))


def outcome_at(lesson: Lesson, params: dict) -> Outcome:
    return lesson_outcome(lesson.key, Lesson.params_key(lesson.params(params)))


def answer_at_start(lesson: Lesson, start: dict | None = None) -> float:
    """The simulated answer to the prediction, at the setting the prediction describes (``start``:
    a class's own setting; the lesson's defaults when None)."""
    return outcome_at(lesson, lesson.defaults() if start is None else start).answer


def show_chart(chart) -> None:
    """A lesson chart, its element tall enough for the title and legend."""
    st.altair_chart(chart, width="stretch", height=lesson_charts.element_height(chart))
