"""Why each lesson came out as it did: the explanation shown after the experiment, from its computed figures."""

from __future__ import annotations

from simulation.decide import NOISE_Z
from simulation.lessons import Lesson, Outcome
from ui.lessons.words import (
    beyond_noise,
    change_text,
    compared,
    count_noun,
    gain_text,
    more_text,
    per_dollar_text,
    share_text,
    signed_share,
    unit_text,
)
from ui.shared.style import money, multiple, number, percent, plain


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
