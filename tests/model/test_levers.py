"""The levers' shared response and the budget split, in their interpreted and compiled forms."""

import numpy as np
import pytest
from numba import njit

from simulation.model.levers import marginal_response, response, response_compiled, split_budget
from simulation.model.levers import response as lever_response


def test_lever_response_shape():
    assert lever_response(0.0, 100.0, 10.0) == 0.0, "no spend, no units"
    assert lever_response(1e9, 100.0, 10.0) == pytest.approx(100.0), "unlimited spend reaches the ceiling"
    assert lever_response(5.0, 0.0, 10.0) == 0.0, "a zero ceiling delivers nothing"
    small = lever_response(1.0, 1e6, 10.0)
    assert small == pytest.approx(0.1, rel=1e-5), "the first units cost the marginal cost"
    spend = np.linspace(0, 5000, 6)
    units = lever_response(spend, 100.0, 10.0)
    assert np.all(np.diff(units) > 0) and np.all(np.diff(units, 2) < 0), "increasing with diminishing returns"
    h = 1e-3
    numeric = (lever_response(700 + h, 100.0, 10.0) - lever_response(700 - h, 100.0, 10.0)) / (2 * h)
    assert marginal_response(700.0, 100.0, 10.0) == pytest.approx(numeric, rel=1e-6), "derivative"


def test_retention_budget_follows_value_at_risk():
    value = np.array([[300.0, 100.0, 0.0]])
    np.testing.assert_allclose(split_budget(1000, None, value), [[750, 250, 0]], err_msg="by value at risk")
    np.testing.assert_allclose(split_budget(1000, np.array([0.5, 0.5, 0.0]), value), [[500, 500, 0]])
    np.testing.assert_allclose(split_budget(1000, None, np.zeros((1, 3))), 0.0, err_msg="nothing at risk")


def test_compiled_response_is_the_same_function():
    spend = np.array([0.0, 1.0, 250.0, 1e4, 1e9])
    ceiling = np.array([100.0, 0.0, 3.5, 1e6, 7.0])
    cost = np.array([10.0, 10.0, 200.0, 0.5, 1e3])

    @njit
    def compiled(s, c, m):
        out = np.empty(s.size)
        for i in range(s.size):
            out[i] = response_compiled(s[i], c[i], m[i])
        return out

    assert np.array_equal(compiled(spend, ceiling, cost), response(spend, ceiling, cost)), (
        "the engine's compiled response and the NumPy one agree to the bit"
    )


def test_split_of_many_runs_is_row_by_row():
    rng = np.random.default_rng(3)
    value = rng.uniform(0, 10, size=(50, 4))
    rows = split_budget(100.0, None, value)
    assert rows.shape == value.shape, "one split per run"
    assert np.allclose(rows.sum(1), 100.0), "the whole budget is split in every run"
    assert np.array_equal(rows[7], split_budget(100.0, None, value[7])), "a run's split does not depend on the others"
