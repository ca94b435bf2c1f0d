"""The words of the Lessons page: questions, explanations, exercises and hints.

Every number in these sentences comes from a lesson's :class:`~simulation.lessons.Outcome` or
:class:`~simulation.lessons.Exercise` (computed by the simulator) or from the lesson's own
parameters; none is typed into the text. Written for a general business class: the
"for the curious" parts hold the formulas.
"""

from __future__ import annotations

from simulation.decide import NOISE_Z
from simulation.lessons import Exercise, Lesson, Outcome
from ui.shared.style import money, multiple, number, percent, plain, points

INTRO = (
    "Each lesson puts one rule of thumb about customers to the test in the simulator. First you **predict**, "
    "then you **run the experiment**, then you see **why** — and try one exercise to check you've got it. "
    "A lesson takes 5 to 10 minutes."
)


def unit_text(value: float | None, unit: str, digits: int = 3) -> str:
    """A number as a person reads it: a count, a percentage, money (USD) or a multiple."""
    if value is None:
        return "—"
    if unit == "share":
        return percent(value, 1 if 0 < abs(value) < 0.1 else 0)
    if unit == "money":
        return money(value, "USD", digits)
    if unit == "multiple":
        return multiple(value)
    if unit == "ratio":
        return f"{value:.2f}"
    return plain(value, digits)


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


# Small sentences about numbers: each is true of the numbers it is given, as they are shown ------
def count_noun(n: float, singular: str, plural: str | None = None) -> str:
    """The count ``n`` as shown with its noun in the number that reading takes ("1 customer", "2 customers")."""
    shown = number(n)
    return f"{shown} {singular if shown == '1' else (plural or singular + 's')}"


def compared(a_shown: str, b_shown: str, a: float, b: float, more: str = "more than", less: str = "less than",
             same: str = "about the same as") -> str:  # fmt: skip
    """``more`` when ``a`` is above ``b``, ``less`` below; ``same`` when the two look the same as shown."""
    if a_shown == b_shown or a == b:
        return same
    return more if a > b else less


def share_text(value: float) -> str:
    """A share as the lessons show it: one decimal below 10 %, none from 10 % up."""
    return percent(value, 1 if 0 < abs(value) < 0.1 else 0)


def shows_zero(shown: str) -> bool:
    """Whether a formatted number reads as zero ("0 %", "0.0 %", "$0")."""
    return not shown.strip(" %$0.,-−")


def beyond_noise(change: float, se: float) -> bool:
    """Whether a change is more than :data:`~simulation.decide.NOISE_Z` standard errors and shows as non-zero."""
    return abs(change) > NOISE_Z * se and not shows_zero(share_text(abs(change)))


def change_text(change: float, se: float, rises: str = "rises", falls: str = "falls",
                same: str = "stays about the same") -> str:  # fmt: skip
    """The change as words: "rises 43 %", "falls 3.0 %", or "stays about the same" within noise."""
    if not beyond_noise(change, se):
        return same
    return f"{rises if change > 0 else falls} {share_text(abs(change))}"


def signed_share(change: float, se: float) -> str:
    """The change as a signed share: "+43 %", "−3.0 %", or "about the same" within noise."""
    if not beyond_noise(change, se):
        return "about the same"
    return f"{'+' if change > 0 else '−'}{share_text(abs(change))}"


def more_text(change: float, se: float, noun: str, more: str = "more", fewer: str = "fewer") -> str:
    """The change in a quantity: "34 % more customers", "5 % fewer customers", or "about as many customers"."""
    if not beyond_noise(change, se):
        return f"about as {'much' if fewer == 'less' else 'many'} {noun}"
    return f"{share_text(abs(change))} {more if change > 0 else fewer} {noun}"


def gain_text(value: float) -> str:
    """Money added or lost: "adds $1.15M", "loses $126k", "adds nothing" (when it shows as $0)."""
    shown = money(abs(value))
    if shown == money(0.0):
        return "adds nothing"
    return f"{'adds' if value > 0 else 'loses'} {shown}"


def per_dollar_text(value: float) -> str:
    """Value added per dollar spent, after the dollar: "$3.68 per dollar" or "−$0.42 per dollar"."""
    shown = f"{abs(value):.2f}"
    sign = "−" if value < 0 and shown != "0.00" else ""
    return f"{sign}${shown} per dollar spent, after the dollar"


# Questions and predictions ------------------------------------------------------------------------
def question(lesson: Lesson) -> str:
    d = lesson.defaults()
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


def prediction_label(lesson: Lesson) -> str:
    """What the learner predicts, at the lesson's default setting (the numbers are the lesson's own)."""
    d = lesson.defaults()
    if lesson.key == "leaky_bucket":
        from simulation.lessons.leaky_bucket import START_CUSTOMERS

        return (
            f"A business starts with {START_CUSTOMERS:,} customers, wins {d['new_per_month']:g} new customers a "
            f"month and loses {percent(d['churn'], 0)} of its customers each month. In the long run, how many "
            "customers does it bill in a month?"
        )
    if lesson.key == "cost_ratio":
        from simulation.lessons.cost_ratio import COST_PER_SAVE, CUSTOMERS

        return (
            f"A business has {CUSTOMERS:,} customers; a save costs {money(COST_PER_SAVE)} and winning a customer "
            f"costs {d['multiplier']:g}× as much. If the whole budget of {money(d['budget'])} a month goes to "
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


# Explanations -------------------------------------------------------------------------------------
def explanation(lesson: Lesson, o: Outcome) -> str:
    f = o.figures
    if lesson.key == "leaky_bucket":
        return bucket_explanation(f, o.runs)
    if lesson.key == "cost_ratio":
        return cost_ratio_explanation(f)
    if lesson.key == "profit_leverage":
        return leverage_explanation(f)
    if lesson.key == "loyalty":
        return loyalty_explanation(f)
    if lesson.key == "value_risk":
        return value_risk_explanation(lesson.prediction_options, f, o.runs)
    if lesson.key == "stage":
        return stage_explanation(f)
    raise KeyError(lesson.key)


def bucket_explanation(f: dict, runs: int) -> str:
    level, new, churn = f["level"], f["new_per_month"], f["churn"]
    if f["months_to_90"] is None:
        reach = f"not yet 90 % of the way there after {f['horizon']} months"
    else:
        reach = f"reaching 90 % of the way there after {count_noun(f['months_to_90'], 'month')}"
    towards = "grows" if level > f["start"] else "shrinks"
    more, less = f["more_new"] - 1, 1 - f["less_churn"]
    in_proportion = (
        "in proportion"
        if share_text(f["gain_more_new"]) == share_text(more)
        else f"by {share_text(f['gain_more_new'])}"
    )
    return (
        f"Each month {number(new)} customers pour in and {percent(churn, 1)} of the customers leak out. The more "
        "customers there are, the more leak out, until the leak equals the inflow. That happens at new ÷ churn = "
        f"{number(new)} ÷ {percent(churn, 1)} = **{plain(f['rule'])}** customers. Starting from "
        f"{count_noun(f['start'], 'customer')}, the simulated base {towards} and levels off at **{plain(level)}** "
        f"customers billed a month ({runs} simulated futures; chance moves this by about ±{plain(2 * f['level_se'])}), "
        f"{reach}.\n\n"
        f"- **{percent(more, 0)} more new customers** raise the ceiling {in_proportion}: to "
        f"{plain(f['level_more_new'])} ({signed_share(f['gain_more_new'], 0.0)}).\n"
        f"- **{percent(less, 0)} less churn** raises it by a division, 1 ÷ {f['less_churn']:g} = "
        f"{1 / f['less_churn']:.3g}: to {plain(f['level_less_churn'])} ({signed_share(f['gain_less_churn'], 0.0)}). "
        "Each point of churn removed is worth more the lower churn already is.\n\n"
        f"Counted at the end of a month, after that month's leavers have gone, the base is smaller by those "
        f"leavers, {plain(level - f['end_of_month'])} (one month's intake is {number(new)}): "
        f"{plain(f['end_of_month'])}."
    )


def cost_ratio_first(f: dict) -> str:
    """What the first dollars buy on each side, compared as shown, and why the ratio is not the rule's."""
    saves, new, mult = f["first_saves"], f["first_new"], f["multiplier"]
    head = f"The first {money(f['first_dollars'])} keeps about **{plain(saves)}** customers and wins **{plain(new)}**: "
    # retention's response bends sooner when its ceiling x cost of a save is the smaller one (lesson's curves)
    bends_sooner = f["keep_ceiling"] * f["cost_per_save"] < f["win_ceiling"] * f["cac"]
    cause = (
        f" even the first {money(f['first_dollars'])} uses up part of retention's small ceiling" if bends_sooner else ""
    )
    if plain(saves) == plain(new):
        return head + "at low spend a dollar keeps about as many customers as it wins."
    ratio = saves / new if new > 0 else float("inf")
    if saves > new:
        said = f"at low spend a dollar keeps {multiple(ratio)} as many customers as it wins"
        if multiple(ratio) == multiple(mult):
            return head + said + ", as the rule's cost ratio says."
        return head + said + f", not the {multiple(mult)} of the cost ratio" + (f":{cause}." if cause else ".")
    said = f"at low spend a dollar wins {multiple(new / saves) if saves > 0 else 'more'} as many customers as it keeps"
    return head + said + (f", although a save costs no more than a new customer:{cause}." if cause else ".")


def cost_ratio_crossing(f: dict) -> str:
    """Where acquisition overtakes retention on the curves, as they show it."""
    if f["crossing"] is None:
        return "At every spend shown, retention keeps more customers than acquisition wins."
    if f["ahead_throughout"]:
        return "At every spend shown, acquisition wins more customers than retention keeps."
    return f"Above about **{money(f['crossing'])}** a month, acquisition wins more customers than retention keeps" + (
        ", although each one costs more." if f["multiplier"] > 1 else "."
    )


def cost_ratio_explanation(f: dict) -> str:
    naive = (
        f", not the {plain(f['naive_saves'])} that {money(f['budget'])} ÷ {money(f['cost_per_save'])} suggests"
        if plain(f["naive_saves"]) != plain(f["saves"])
        else f", as {money(f['budget'])} ÷ {money(f['cost_per_save'])} suggests"
    )
    return (
        f"{cost_ratio_first(f)}\n\n"
        f"But retention can only act on customers who would leave this month — about "
        f"{plain(f['at_risk'])} a month here — and even the best programme keeps at most "
        f"{percent(f['max_churn_reduction'], 0)} of them: **{plain(f['keep_ceiling'])} a month**. The whole "
        f"budget of {money(f['budget'])} on retention keeps **{plain(f['saves'])}** customers a month{naive}. The "
        f"same budget on acquisition wins **{plain(f['new'])}** a month. Retention reaches 90 % of what it can do at "
        f"about {money(f['keep_runs_out'])} a month; acquisition at {money(f['win_runs_out'])}.\n\n"
        f"{cost_ratio_crossing(f)}"
    )


def loyalty_explanation(f: dict) -> str:
    first, year2, final = f["retention_first"], f["retention_year_2"], f["retention_final"]
    if f["heterogeneity"] > 0:
        who = (
            "Nobody in the simulation changes: each customer keeps their own chance of leaving for life. But the "
            "flighty ones leave first, so the customers who remain are more and more the loyal ones."
        )
    else:
        who = (
            "Nobody in the simulation changes, and here every customer has the same chance of leaving: there are "
            "no flighty customers to leave first."
        )
    months = (
        f"**{percent(first, 1)}** in the first month, **{percent(year2, 1)}** in month {f['year_2_month']} and "
        f"{percent(final, 1)} in month {f['horizon']}"
    )
    moved = [
        (new - first, se)
        for new, se in ((year2, f["retention_year_2_se"]), (final, f["retention_final_se"]))
        if abs(new - first) > NOISE_Z * se and percent(new, 1) != percent(first, 1)
    ]
    if not moved:
        trend = f"The cohort's monthly retention stays about the same: {months} (the differences are within noise)."
    elif all(d > 0 for d, _ in moved):
        trend = f"The cohort's monthly retention rises: {months}."
    elif all(d < 0 for d, _ in moved):
        trend = f"The cohort's monthly retention falls: {months}."
    else:
        trend = f"The cohort's monthly retention: {months}."
    survivors, alike = f["survivors"], f["alike_survivors"]
    if abs(survivors - alike) <= NOISE_Z * f["survivors_se"] or plain(survivors) == plain(alike):
        same = f"If everyone had the same {percent(f['churn'], 0)} chance, about as many would be ({plain(alike)})."
    elif survivors > alike:
        same = f"If everyone had the same {percent(f['churn'], 0)} chance, only {plain(alike)} would be."
    else:
        same = f"If everyone had the same {percent(f['churn'], 0)} chance, {plain(alike)} would be."
    error = f["projection_error"]
    gap = f["projected_survivors"] - survivors
    if abs(gap) <= NOISE_Z * f["projection_gap_se"] or percent(abs(error), 0) == percent(0.0, 0):
        verdict = "about right"
    else:
        verdict = f"{percent(abs(error), 0)} {'too few' if error < 0 else 'too many'}"
    return (
        f"{who} {trend}\n\n"
        f"After {f['ask_at']} months **{plain(survivors)}** of 1,000 are still customers. {same} A forecaster who "
        f"measures the first year's average churn ({percent(f['first_year_churn'], 1)} a month) and projects it "
        f"forward predicts {plain(f['projected_survivors'])} — {verdict}; after {f['horizon']} months "
        f"{plain(f['projected_final'])} instead of {plain(f['survivors_final'])}."
    )


def leverage_versus_revenue(f: dict) -> str:
    """How profit's gain compares with revenue's: "more than revenue (+15 %)"."""
    profit, revenue = f["profit_points"], f["revenue_points"]
    profit_se, revenue_se = f["profit_points_se"], f["revenue_points_se"]
    if abs(profit - revenue) <= NOISE_Z * (profit_se + revenue_se) or share_text(profit) == share_text(revenue):
        word = "about as much as"
    else:
        word = "more than" if profit > revenue else "less than"
    return f"{word} revenue ({signed_share(revenue, revenue_se)})"


def leverage_costs(f: dict) -> str:
    """What the fixed operating costs are, against the revenue the business bills."""
    if f["fixed_costs"] <= 0:
        return "There are no fixed operating costs here: profit is gross profit less marketing."
    return (
        f"Fixed operating costs of {money(f['fixed_costs'])} a year — {percent(f['cost_share_of_revenue'], 0)} of "
        f"the {money(f['revenue_year'])} a year the business bills — do not grow with the customers, so all the "
        f"extra gross profit goes to profit. With no fixed costs profit would "
        f"{change_text(f['gain_no_costs'], f['gain_no_costs_se'], 'rise', 'fall', 'stay about the same')}."
    )


def leverage_holds(f: dict) -> str:
    """Where the claim's range is reached, in shares of the revenue the business bills."""
    claim = f"the claim's +{percent(f['claim_low'], 0)} to +{percent(f['claim_high'], 0)}"
    at = f"At {percent(f['retention'], 0)} retention"
    tried = f"of the levels up to {percent(f['sweep_max'], 0)} of revenue tried"
    if f["holds_from"] is None:
        return f"{at} {claim} is not reached at any level of fixed operating costs ({tried})."
    low, high = percent(f["holds_from"], 0), percent(f["holds_to"], 0)
    where = f"at {low}" if low == high else f"between {low} and {high}"
    return f"{at} {claim} holds when fixed operating costs are {where} of revenue ({tried})."


def leverage_explanation(f: dict) -> str:
    year2, ten = f["year2_points"], f["profit_points"]
    if year2 < ten and beyond_noise(ten - year2, f["year2_points_se"] + f["profit_points_se"]):
        build = f"the gain builds up as the kept customers accumulate over {f['horizon']} years."
    else:
        build = f"over {f['horizon']} years the gain is no larger than in year 2."
    return (
        f"Keeping {percent(f['retention_points'], 0)} instead of {percent(f['retention'], 0)} of the customers "
        f"each year, with the same intake, leaves "
        f"{more_text(f['customers_points'], f['customers_points_se'], 'customers')} after {f['horizon']} years "
        f"and **{more_text(f['revenue_points'], f['revenue_points_se'], 'revenue', fewer='less')}** over them. "
        f"Profit over the ten years **{change_text(ten, f['profit_points_se'])}**, {leverage_versus_revenue(f)}. "
        f"{leverage_costs(f)}\n\n"
        f"{leverage_holds(f)}\n\n"
        'What "+5 %" means matters:\n'
        f"- **+5 points** ({percent(f['retention'], 0)} → {percent(f['retention_points'], 0)}): profit "
        f"{signed_share(ten, f['profit_points_se'])};\n"
        f"- **retention × 1.05** ({percent(f['retention'], 0)} → {percent(f['retention_relative'], 1)}): "
        f"{signed_share(f['profit_relative'], f['profit_relative_se'])};\n"
        f"- **churn 5 % lower** ({percent(1 - f['retention'], 0)} → {percent(1 - f['retention_churn'], 1)} "
        f"leaving): {signed_share(f['profit_churn'], f['profit_churn_se'])}.\n\n"
        f"And when: the customers kept pay only from the next year on, so profit in year 2 "
        f"{change_text(year2, f['year2_points_se'])}; {build}"
    )


def share_range(low: float, high: float) -> str:
    """A range of shares as shown: "from 22 % to 30 %", or "only 28 %" when both ends show the same."""
    a, b = percent(low, 0), percent(high, 0)
    return f"only {a}" if a == b else f"from {a} to {b}"


def stage_band(f: dict) -> str:
    """The splits within noise of the best and those within the flat tolerance of its NPV."""
    within = share_range(f["low"], f["high"])
    noise = (
        "No other split is within noise of the best"
        if within.startswith("only")
        else f"Splits {within} are within noise of the best"
    )
    near = share_range(f["near_low"], f["near_high"])
    if near == within:
        return f"{noise}, and no other split comes within {percent(f['flat_tolerance'], 0)} of its NPV."
    return f"{noise}, and every split {near} gives an NPV within {percent(f['flat_tolerance'], 0)} of the best's."


def stage_base(f: dict) -> str:
    """What the best split does to the number of customers over the horizon."""
    start, end = f["customers_start"], f["customers_end"]
    if abs(end - start) <= NOISE_Z * f["customers_end_se"] or number(end) == number(start):
        return (
            f"At the best split the base stays about the same: {count_noun(start, 'customer')} at the start, "
            f"{number(end)} after {f['horizon']} months."
        )
    verb = "grows" if end > start else "shrinks"
    return (
        f"At the best split the base {verb} from {count_noun(start, 'customer')} to {number(end)} in "
        f"{f['horizon']} months (the optimiser looks for the most NPV, not the most customers)."
    )


def stage_moves(f: dict) -> str:
    """Early against late: the best share moves to retention only when their ranges within noise do not overlap."""
    early = f"Early on ({percent(f['early_won'], 0)} won) the best share is **{percent(f['early_best'], 0)}**"
    late = f"late ({percent(f['late_won'], 0)} won) it is **{percent(f['late_best'], 0)}**"
    if f["early_low"] > f["late_high"]:
        return (
            f"{early}: the base is small, so retention has few customers to act on and runs out quickly, while "
            f"the market is wide open. L{late[1:]}: a large base gives retention a lot to work on, and every "
            "customer won leaves fewer to win."
        )
    if f["early_high"] < f["late_low"]:
        return f"{early}; {late}: at this cost the best share moves towards acquisition as the market fills."
    return f"{early}; {late}: at this cost the stage hardly moves the best split (the two are within noise)."


def stage_explanation(f: dict) -> str:
    if f["half_point"] is not None:
        half = f"From about {percent(f['half_point'], 0)} of the market won, the best share is below half the budget."
    else:
        half = "At every stage shown, the best share is at least half the budget."
    return (
        f"With {percent(f['won'], 0)} of the market won ({count_noun(f['customers'], 'customer')}, "
        f"{count_noun(f['prospects'], 'prospect')} left), the optimiser puts **{unit_text(f['best'], 'share')}** "
        f"of the budget into acquisition. {stage_band(f)} {stage_base(f)}\n\n{stage_moves(f)} {half}"
    )


def within_noise(gap: float, gap_se: float) -> bool:
    """Whether a paired difference is within :data:`~simulation.decide.NOISE_Z` standard errors of zero."""
    return abs(gap) <= NOISE_Z * gap_se


def value_risk_verdict(names, f: dict) -> str:
    """Which way adds the most, and what the nine-box playbook does, as the runs show."""
    added, gap, gap_se = f["added"], f["gap"], f["gap_se"]
    best, playbook = f["best"], f["playbook"]
    ties = [i for i in range(len(names)) if i != best and within_noise(gap[i], gap_se[i])]
    lead = f"**{names[best]}** adds the most, {money(added[best])}"
    if ties:
        lead += " (within noise of " + " and ".join(f"**{names[i]}**" for i in ties) + ")"
    if best == playbook:
        return lead + ": the nine-box playbook's choice is the best here."
    playbook_line = f"The nine-box playbook **{gain_text(added[playbook])}**"
    if playbook in ties:
        return f"{lead}. {playbook_line}, within noise of the best."
    return f"{lead}. {playbook_line}, {money(-gap[playbook])} less than the best."


def value_risk_why(f: dict) -> str:
    """Why the playbook does what it does: how few leavers its box has, what each one kept costs and
    adds, against the same money spread by revenue at risk."""
    playbook, spread = f["playbook"], f["spread"]
    budget = f["budget"]
    head = (
        f"The playbook puts all {money(budget)} a month into {', '.join(f['box_segments'])} "
        f"({count_noun(f['box_customers'], 'customer')}). On average {plain(f['box_at_risk'])} of them a month "
        f"would leave, and a programme keeps at most {percent(f['max_churn_reduction'], 0)} of those (lesson 2), "
        f"about {plain(f['box_ceiling'])} a month"
    )
    if budget > f["box_runs_out"]:
        head += (
            f", 90 % of it bought with the first {money(f['box_runs_out'])} a month; the rest of the "
            f"{money(budget)} buys almost nothing there."
        )
    else:
        head += f", 90 % of it bought with {money(f['box_runs_out'])} a month, more than this budget."
    kept, spend, added = f["box_saves"][playbook], f["spend"][playbook], f["added"][playbook]
    if number(kept) == "0":
        body = f" Over {f['horizon']} months it keeps almost no one, so it {gain_text(added)}."
    else:
        cost, value = spend / kept, (added + spend) / kept
        word = compared(money(value), money(cost), value, cost, "more than", "less than", "about as much as")
        body = (
            f" Over {f['horizon']} months it keeps {count_noun(kept, 'customer')}; each adds about {money(value)} "
            f"of customer value, {word} the {money(cost)} it costs (the budget's present value ÷ the customers "
            f"kept), so the playbook {gain_text(added)}."
        )
    kept_spread = f["saves"][spread]
    spread_line = (
        f" Spread by revenue at risk over all segments, the same money keeps {count_noun(kept_spread, 'customer')}"
        + (f" ({money(f['spend'][spread] / kept_spread)} each)" if number(kept_spread) != "0" else "")
        + f"; in the first month only {percent(f['spread_box_share'], 0)} of it goes to the playbook's box."
    )
    return head + body + spread_line


def value_risk_explanation(names, f: dict, runs: int) -> str:
    lines = "\n".join(
        f"- **{names[i]}**: {gain_text(f['added'][i])} ({per_dollar_text(f['per_dollar'][i])})"
        for i in range(len(names))
    )
    return (
        f"Classified by value (a customer's expected lifetime value) and risk (churn a month), split into thirds, "
        f"the high-value, high-risk box holds {', '.join(f['box_segments'])} "
        f"({count_noun(f['box_customers'], 'customer')}). With {money(f['budget'])} a month, the customer value "
        f"each way adds over spending nothing, net of its cost ({runs} simulated futures, the same for each):\n\n"
        f"{lines}\n\n{value_risk_verdict(names, f)}\n\n{value_risk_why(f)}"
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
            f"In this lesson's business, from what retention spend a month does the programme deliver "
            f"{percent(i['share'], 0)} of the most it can keep?"
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
