"""Guided lessons that test the rules of thumb of retention economics in the simulator.

Each lesson builds its scenario from a few plain parameters, runs the public model API on it
and returns every number its explanation quotes (:class:`~simulation.lessons.base.Outcome`).
No Streamlit here: the Lessons page formats and draws what these return.
"""

from .base import Control, Exercise, Lesson, Outcome
from .cost_ratio import CostRatio
from .leaky_bucket import LeakyBucket
from .loyalty import Loyalty
from .profit_leverage import ProfitLeverage
from .stage import Stage
from .value_risk import ValueRisk

LESSONS: dict[str, Lesson] = {
    lesson.key: lesson for lesson in (LeakyBucket(), CostRatio(), ProfitLeverage(), Loyalty(), Stage(), ValueRisk())
}


def lesson(key: str) -> Lesson:
    """The lesson called ``key``; :class:`KeyError` for an unknown one."""
    return LESSONS[key]


__all__ = ["LESSONS", "Control", "Exercise", "Lesson", "Outcome", "lesson"]
