"""The one limit on the work a request may cause, for the library, the command line and the app.

Work is counted in steps: one run of one segment through one period, plus
:data:`PATH_STEPS` for each run and period whose figures are recorded. One simulation of a
scenario is ``runs x horizon x (segments + PATH_STEPS)`` steps. Time grows with the segment
steps and memory mostly with the recorded paths: measured on the reference machine (a plan and
its status quo), 163 bytes per run and period with one segment and 13 bytes per
run-period-segment with fifty, so a simulation at the limit peaks below about 600 MB.

A simulation may take at most :data:`MAX_SIMULATION_STEPS` steps, and one request (an optimiser
sweep with its refinement, one row of the budget map, one side of the tornado) at most
:data:`MAX_REQUEST_STEPS` summed over every simulation it runs. Beyond either, the request is
refused before anything is computed, with a message naming what to reduce.
"""

from __future__ import annotations

from ..errors import InputError

MAX_SIMULATION_STEPS = 20_000_000
PATH_STEPS = 6  # a recorded run-period costs about the memory of six segment steps (163 / 13 bytes, halved)
MAX_REQUEST_STEPS = 1_000_000_000  # the default preset's tornado at 1,000 runs is about 405,000,000
# Simulations an optimiser sweep runs besides its grid: the plan's own split and the refinement,
# which halves a step of at least 1/200 down to the 1 % tolerance in at most 8 rounds of 2 points.
OPTIMISER_EXTRA_SIMULATIONS = 17
# One side of the tornado: the base split, then at most 8 parabola fits of 3 splits each.
TORNADO_SIDE_SIMULATIONS = 25


class WorkLimitError(InputError):
    """A request beyond the work limit; the message names the field or option to reduce."""


def simulation_steps(scenario, runs: int) -> int:
    """Steps of one simulation of ``scenario`` with ``runs`` runs (see the module docstring)."""
    return int(runs) * int(scenario.horizon) * (len(scenario.segments) + PATH_STEPS)


def check_simulation(scenario, runs: int) -> int:
    """Refuse one simulation beyond :data:`MAX_SIMULATION_STEPS`; return its steps.

    Raises
    ------
    WorkLimitError
        Naming ``simulation.runs`` and the largest run count that fits.
    """
    steps = simulation_steps(scenario, runs)
    if steps > MAX_SIMULATION_STEPS:
        per_run = scenario.horizon * (len(scenario.segments) + PATH_STEPS)
        fit = MAX_SIMULATION_STEPS // per_run
        advice = (
            f"use {fit:,} runs or fewer"
            if fit >= 10
            else "shorten the horizon or merge segments (even 10 runs are too many at this size)"
        )
        raise WorkLimitError(
            f"simulation.runs: {int(runs):,} runs × {scenario.horizon} periods × ({len(scenario.segments)} segments "
            f"+ {PATH_STEPS} for the recorded figures) is {steps:,} steps, more than one simulation may take "
            f"({MAX_SIMULATION_STEPS:,}); {advice}"
        )
    return steps


def check_request(scenario, runs: int, simulations: int, what: str, reduce: str) -> int:
    """Refuse a request of ``simulations`` simulations beyond :data:`MAX_REQUEST_STEPS`; return its steps.

    Parameters
    ----------
    scenario : Scenario
        The scenario simulated.
    runs : int
        Runs of each simulation.
    simulations : int
        How many simulations the request runs at most.
    what : str
        The request, in words (``"the optimiser's sweep of 201 splits"``).
    reduce : str
        What to reduce, naming the option or field (``"--grid or --runs"``).
    """
    check_simulation(scenario, runs)
    steps = simulation_steps(scenario, runs) * int(simulations)
    if steps > MAX_REQUEST_STEPS:
        raise WorkLimitError(
            f"{what} runs {int(simulations):,} simulations of {simulation_steps(scenario, runs):,} steps "
            f"({steps:,} in all), more than one request may take ({MAX_REQUEST_STEPS:,}); reduce {reduce}"
        )
    return steps
