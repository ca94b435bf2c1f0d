"""The words of the Lessons page: questions, explanations, exercises and hints.

Every number in these sentences comes from a lesson's :class:`~simulation.lessons.Outcome` or
:class:`~simulation.lessons.Exercise` (computed by the simulator) or from the lesson's own
parameters; none is typed into the text. Written for a general business class: the
"for the curious" parts hold the formulas.
"""

from __future__ import annotations

from simulation.lessons import Exercise, Lesson, Outcome

# Every sentence of a lesson is read from this module, by the pages and the tests.
from ui.lessons.explanations import (  # noqa: F401
    bucket_explanation,
    cost_ratio_crossing,
    cost_ratio_explanation,
    cost_ratio_first,
    explanation,
    leverage_costs,
    leverage_explanation,
    leverage_holds,
    leverage_versus_revenue,
    loyalty_explanation,
    share_range,
    stage_band,
    stage_base,
    stage_explanation,
    stage_moves,
    value_risk_explanation,
    value_risk_verdict,
    value_risk_why,
    within_noise,
)
from ui.lessons.words import (  # noqa: F401
    beyond_noise,
    change_text,
    compared,
    count_noun,
    gain_text,
    more_text,
    per_dollar_text,
    share_text,
    shows_zero,
    signed_share,
    unit_text,
)
from ui.shared.style import money, percent, plain, points

INTRO = (
    "Each lesson puts one rule of thumb about customers to the test in the simulator. First you **predict**, "
    "then you **run the experiment**, then you see **why** — and try one exercise to check you've got it. "
    "A lesson takes 5 to 10 minutes."
)


STRATEGY_DESCRIPTIONS = (
    "Evenly: the same for every customer",
    "High-value third only: the segments whose customers have the highest lifetime value, per customer",
    "High-risk third only: the segments whose customers are the most likely to leave, per customer",
    "By revenue at risk, all segments: each segment gets the share of the revenue expected to leave",
    "Nine-box playbook: only the high-value, high-risk box (valuable customers likely to leave)",
)


def option_text(lesson: Lesson, index: int) -> str:
    """The full description of a choice (the short name is the lesson's own option label)."""
    if lesson.key == "value_risk":
        return STRATEGY_DESCRIPTIONS[index]
    return lesson.prediction_options[index]


def answer_text(lesson: Lesson, value: float | None) -> str:
    """A prediction or an answer of ``lesson`` as a person reads it (a choice by its name)."""
    if lesson.prediction_options:
        if value is None or not 0 <= value < len(lesson.prediction_options):
            return "—"
        return lesson.prediction_options[int(value)]
    return unit_text(value, lesson.prediction_unit)


# Questions and predictions ------------------------------------------------------------------------
def question(lesson: Lesson, start: dict | None = None) -> str:
    """The lesson's question; ``start`` is the setting it is asked at (a class's own, or the lesson's)."""
    d = lesson.defaults() if start is None else start
    if lesson.key == "leaky_bucket":
        return (
            "If a business wins the same number of new customers every month and loses the same share of its "
            "customers every month, does its customer base keep growing — and if not, where does it stop?"
        )
    if lesson.key == "cost_ratio":
        return (
            "Keeping a customer is said to cost 5 to 25 times less than winning one — so should all the money go "
            "to keeping customers?"
        )
    if lesson.key == "profit_leverage":
        return "Does keeping 5 more customers in every hundred really raise profit by 25 % to 95 %?"
    if lesson.key == "loyalty":
        return "Why do customers who have stayed a long time look so loyal — did they change, or did the others leave?"
    if lesson.key == "value_risk":
        return (
            "Which customers should the retention budget go to: the most valuable, the most likely to leave, "
            "or everyone alike?"
        )
    if lesson.key == "stage":
        return (
            "Should a young business with an open market split its budget the same way as a mature one whose "
            f"market is {percent(d.get('won', 0.5), 0)} won?"
        )
    raise KeyError(lesson.key)


def prediction_label(lesson: Lesson, start: dict | None = None) -> str:
    """What the learner predicts, at ``start`` (a class's own setting; the lesson's defaults when None)."""
    d = lesson.defaults() if start is None else start
    if lesson.key == "leaky_bucket":
        from simulation.lessons.leaky_bucket import START_CUSTOMERS

        return (
            f"A business starts with {START_CUSTOMERS:,} customers, wins {d['new_per_month']:g} new customers a "
            f"month and loses {percent(d['churn'], 0)} of its customers each month. In the long run, how many "
            "customers does it bill in a month?"
        )
    if lesson.key == "cost_ratio":
        from simulation.lessons.cost_ratio import COST_PER_SAVE

        return (
            f"A business has {d['customers']:,.0f} customers; a save costs {money(COST_PER_SAVE)} and winning a "
            f"customer costs {d['multiplier']:g}× as much. If the whole budget of {money(d['budget'])} a month goes to "
            "keeping customers, how many customers does it keep a month?"
        )
    if lesson.key == "profit_leverage":
        from simulation.lessons.profit_leverage import fixed_costs, yearly_revenue

        costs, revenue = fixed_costs(d["retention"], d["operating_share"]), yearly_revenue(d["retention"])
        return (
            f"A business keeps {percent(d['retention'], 0)} of its customers each year and wins enough new ones "
            f"to stay the same size; its fixed operating costs are {percent(d['operating_share'], 0)} of its revenue "
            f"({money(costs)} of the {money(revenue)} it bills a year). "
            "If it keeps 5 more customers in every hundred (and wins as many new ones as before), by how much does "
            "its profit over ten years change (in %)?"
        )
    if lesson.key == "loyalty":
        from simulation.lessons.loyalty import ASK_AT, PER_THOUSAND

        return (
            f"{PER_THOUSAND:,} customers join today. On average a new customer leaves with a chance of "
            f"{percent(d['churn'], 0)} a month, but customers differ: some are very loyal, some flighty. How many of "
            f"the {PER_THOUSAND:,} are still customers after {ASK_AT} months?"
        )
    if lesson.key == "value_risk":
        from simulation.lessons.value_risk import HORIZON, PORTFOLIO

        return (
            f"A business has {len(PORTFOLIO)} segments of customers, from enterprise accounts to starter plans, and "
            f"{money(d['budget'])} a month to keep customers who would leave. Which way of spending it adds the most "
            f"customer value over {HORIZON} months, after its cost?"
        )
    if lesson.key == "stage":
        from simulation.lessons.stage import BUDGET, MARKET

        return (
            f"A business has won {percent(d['won'], 0)} of a market of {MARKET:,} customers and spends "
            f"{money(BUDGET)} a month on winning and keeping customers (winning one costs {d['multiplier']:g}× a "
            "save). What share of that budget should go to winning new customers (in %)?"
        )
    raise KeyError(lesson.key)


def result_line(lesson: Lesson, predicted: float, answer: float) -> str:
    """The prediction beside the simulated answer, with how far off it was."""
    if lesson.prediction_options:
        verdict = "the same as the simulation's" if int(predicted) == int(answer) else "not the simulation's"
        return (
            f"You chose **{answer_text(lesson, predicted)}**; in the simulation **{answer_text(lesson, answer)}** "
            f"adds the most value — your choice is {verdict}."
        )
    unit = lesson.prediction_unit
    side = "above" if predicted > answer else "below"
    if unit == "share":
        gap = f"{points(predicted - answer)} {side}"
        same = points(predicted - answer) == points(0.0)
    elif answer:
        gap = f"{percent(abs(predicted / answer - 1), 0)} {side}"
        same = percent(abs(predicted / answer - 1), 0) == percent(0.0, 0)
    else:
        gap, same = f"{unit_text(abs(predicted), unit)} {side}", unit_text(predicted, unit) == unit_text(0.0, unit)
    if same or unit_text(predicted, unit) == unit_text(answer, unit):
        verdict = "your prediction is right on it, as shown"
    else:
        verdict = f"your prediction is {gap} it"
    return (
        f"You predicted **{unit_text(predicted, unit)}**; the simulator says **{unit_text(answer, unit)}** ({verdict})."
    )


def chart_titles(lesson: Lesson, o: Outcome) -> tuple[str, list[str]]:
    f = o.figures
    if lesson.key == "leaky_bucket":
        return "The base levels off where the leak equals the inflow", [
            f"Customers billed a month, mean of {o.runs} simulated futures; dashed: new ÷ churn = {plain(f['rule'])}."
        ]
    if lesson.key == "cost_ratio":
        return "What each side buys a month, by spend", [
            "Expected customers kept (retention) and won (acquisition) a month; dashed: your budget.",
            f"Retention's ceiling is {plain(f['keep_ceiling'])} a month; acquisition's {plain(f['win_ceiling'])}.",
        ]
    if lesson.key == "profit_leverage":
        return "What +5 % retention does, depending on how you read it", [
            f"Change against keeping {percent(f['retention'], 0)}; mean of {o.runs} simulated futures on the same "
            f"random numbers. Fixed operating costs: {money(f['fixed_costs'])} a year, "
            f"{percent(f['cost_share_of_revenue'], 0)} of revenue.",
        ]
    if lesson.key == "loyalty":
        return "The cohort's survivors, and the forecast from its first year", [
            f"Of 1,000 customers who joined together; simulated: mean of {o.runs} futures of "
            f"{plain(f['cohort'])} customers."
        ]
    if lesson.key == "value_risk":
        return "Customer value each way of spending adds", [
            f"Over spending nothing, net of the {money(f['budget'])} a month; mean of {o.runs} simulated futures, "
            "the same for every way. Orange: your choice.",
        ]
    if lesson.key == "stage":
        return "The best split moves to retention as the market fills", [
            f"Best acquisition share of {money(f['budget'])} a month for the most NPV over {f['horizon']} months; "
            f"dark band: splits within noise of the best; light band: within {percent(f['flat_tolerance'], 0)} of "
            "its NPV.",
            "Orange dot: your setting.",
        ]
    raise KeyError(lesson.key)


def curious(lesson: Lesson) -> str:
    """The maths, for the curious (Markdown with LaTeX)."""
    if lesson.key == "leaky_bucket":
        return (
            "With $A$ new customers a month and churn $c$, the customers billed in month $t$ follow "
            "$N_t = (1-c)\\,N_{t-1} + A$. The fixed point is $N = A / c$ and the distance to it shrinks by the "
            "factor $(1-c)$ every month, so after $t$ months a share $(1-c)^t$ of the gap remains. "
            "With customers who differ (lesson 4) the ceiling is higher: $A \\cdot E[1/\\theta]$ over the mix of "
            "churn probabilities $\\theta$, which is more than $A / E[\\theta]$."
        )
    if lesson.key == "cost_ratio":
        return (
            "Both sides follow one saturating response: units $= K\\,(1 - e^{-s / (K\\,m)})$ for spend $s$, "
            "ceiling $K$ and cost of the first unit $m$. The first dollar buys $1/m$ units; 90 % of the ceiling "
            "is reached at $s = K\\,m\\,\\ln 10$. Retention's ceiling is the largest share of expected churners a "
            "programme can keep; acquisition's is the most new customers the market gives a month."
        )
    if lesson.key == "profit_leverage":
        from simulation.lessons.profit_leverage import DISCOUNT_RATE

        return (
            "Operating profit = gross profit − marketing spend − fixed operating costs $F$. If a change raises "
            "gross profit by $\\Delta G$ and leaves $F$ alone, profit rises by $\\Delta G / (G - M - F)$ — the "
            "smaller the profit, the larger the percentage. With retention $r$ and a steady intake $A$, the base "
            "tends to $A / (1 - r)$ (lesson 1), so +5 points raise the long-run base by the factor "
            f"$(1 - r) / (0.95 - r)$. Money is discounted at {percent(DISCOUNT_RATE, 0)} a year."
        )
    if lesson.key == "loyalty":
        return (
            "Each customer's monthly churn probability $\\theta$ is drawn from a Beta distribution with mean $c$ and "
            "polarisation $\\varphi$. A cohort's survival is $S(t) = B(a, b+t) / B(a, b)$ and its retention rate "
            "in month $t$ is $(b + t - 1) / (a + b + t - 1)$, which rises with $t$ "
            "(the shifted-beta-geometric model; Fader and Hardie, 2007)."
        )
    if lesson.key == "value_risk":
        return (
            "Value is a customer's expected lifetime value, $\\sum_{t \\ge 0} m\\,S(t) / (1+d)^t$ with margin $m$ a "
            "month, the segment's survival $S(t)$ and the discount rate $d$; risk is the segment's churn a month. "
            "Each is split into thirds of the sample (low, medium, high), which gives the nine boxes. By revenue at "
            "risk splits the budget across all segments in proportion to the revenue expected to leave this month, "
            "$\\sum_i \\theta_i r_i$ over the segment's customers (the model's own split); the other ways split "
            "it by number of customers within the boxes they target, the nine-box playbook's being the one "
            "high-value, high-risk box. Every segment's programme follows the saturating response of lesson 2. "
            "The value added is the change in customer equity (NPV over the horizon plus the value of the customers "
            "still there) against spending nothing."
        )
    if lesson.key == "stage":
        from simulation.lessons.stage import GRID, HORIZON

        return (
            "The acquisition lever's ceiling is the most new customers a month times the share of prospects not "
            "yet won; the retention lever's is a share of the churners expected this month. The optimiser tries "
            f"{GRID} splits and refines the best to one percentage point, every split on the same "
            f"{lesson.runs} simulated futures, and keeps the one with the highest mean NPV over {HORIZON} months."
        )
    raise KeyError(lesson.key)


# Exercises --------------------------------------------------------------------------------------
def exercise_question(lesson: Lesson, e: Exercise) -> str:
    i = e.inputs
    if lesson.key == "leaky_bucket":
        return (
            f"Another business wins {i['new_per_month']:g} new customers a month and loses {percent(i['churn'], 0)} "
            "of its customers a month. How many customers does it bill a month in the long run?"
        )
    if lesson.key == "cost_ratio":
        return (
            f"In this lesson's business, with {i['customers']:,.0f} customers, from what retention spend a month "
            f"does the programme deliver {percent(i['share'], 0)} of the most it can keep?"
        )
    if lesson.key == "profit_leverage":
        return (
            f"A business keeps {percent(i['retention'], 0)} of its customers a year and its fixed operating costs "
            f"are {percent(i['operating_share'], 0)} of revenue. By how much does +5 points of retention raise its "
            "profit over ten years (in %)?"
        )
    if lesson.key == "loyalty":
        return (
            f"Now customers differ less (polarisation {i['heterogeneity']:g}); a new customer still leaves with a "
            f"chance of {percent(i['churn'], 0)} a month. How many of 1,000 are still customers after "
            f"{i['month']} months?"
        )
    if lesson.key == "value_risk":
        return (
            f"With {money(i['budget'])} a month spent by **{i['strategy']}**, how much customer value does the "
            "programme add, net of its cost (in $; a loss is a negative number)?"
        )
    if lesson.key == "stage":
        return (
            f"Winning a customer now costs {i['multiplier']:g}× a save, and the business has won "
            f"{percent(i['won'], 0)} of its market. What share of the budget should go to acquisition (in %)?"
        )
    raise KeyError(lesson.key)


def hint(lesson: Lesson, e: Exercise) -> str:
    if lesson.key == "leaky_bucket":
        return "Divide the new customers a month by the share that leaves a month."
    if lesson.key == "cost_ratio":
        return (
            "Find the most it can keep a month (the ceiling in the chart's subtitle), then use the formula under "
            "'For the curious': spend = ceiling × cost of a save × ln 10."
        )
    if lesson.key == "profit_leverage":
        return "Set both controls to the exercise's values and read the first bar."
    if lesson.key == "loyalty":
        return "Set the polarisation control to the exercise's value and read the simulated curve at that month."
    if lesson.key == "value_risk":
        return "Choose that way of spending, set the budget, and read its bar (or the list above the chart)."
    if lesson.key == "stage":
        return (
            "Set both controls to the exercise's values and read the orange dot; any split in the bands around it "
            "counts (within noise of the best, or within 1 % of its NPV)."
        )
    raise KeyError(lesson.key)


def exercise_feedback(lesson: Lesson, e: Exercise, value: float, correct: bool) -> str:
    if correct:
        return f"Right: the simulator says {unit_text(e.answer, e.unit)} (anything from " + (
            f"{unit_text(e.low, e.unit)} to {unit_text(e.high, e.unit)} counts)."
        )
    return f"Not quite: {unit_text(value, e.unit)} is outside the accepted range. Look at the hint and try again."
