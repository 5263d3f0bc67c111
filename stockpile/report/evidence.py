"""The report's evidence: the plan against today's rules out of sample, in named historical
analogues, the statistical optimality gap and the stability of the plan (figures from
analysis/evidence.py, carried in the result under "evidence")."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from .blocks import Column, Section, Table


def _interval(d: dict[str, Any] | None) -> str:
    if not d:
        return "-"
    lo, hi = d["ci95"]
    return f"{fmt.money(d['mean'])} [{fmt.money(lo)}, {fmt.money(hi)}]"


def _by_how_much(rule: str, saving: dict[str, Any] | None) -> str:
    """', the best rule (R) by USD x [95 % interval]' for a rule cheaper than the plan:
    ``saving`` is the rule's cost minus the plan's (negative), told as a positive amount."""
    if not saving or saving["mean"] >= 0:
        return f"; the best rule ({rule}) minus the plan: {_interval(saving)}"
    lo, hi = saving["ci95"]
    return (f"; the best rule ({rule}) by {fmt.money(-saving['mean'])} (95 % interval "
            f"{fmt.money(-hi)} to {fmt.money(-lo)})")


def verdict_bullets(result: dict[str, Any]) -> list[str]:
    """The first lines of the executive summary: does the plan beat today's rules?"""
    ev = result.get("evidence")
    if not ev:
        return ["Out-of-sample check: not run for this report (solve --no-check, or "
                "--engine ph); the plan is not yet shown to beat today's rules (stockpile "
                "evaluate runs the check)."]
    if "skipped" in ev:
        return [f"Out-of-sample check: skipped ({ev['skipped']})."]
    v, oos = ev["verdict"], ev["out_of_sample"]
    n = fmt.integer(oos["scenarios"])
    out = []
    if v["beats_every_rule"]:
        out.append(f"The plan beats every rule agencies use today, held to the same budget, "
                   f"storage and market caps, on {n} fresh scenarios from the calibrated risk: "
                   f"the best rule ({v['best_rule']}) costs more by "
                   f"{_interval(v['best_rule_saving'])} (mean [95 % interval]).")
    elif v["beats_every_rule"] is None:
        out.append("No rule-based plan could be compared (none is feasible in the model).")
    else:
        worse = v["rules_better_than_plan"]
        first = (f"WARNING: the plan does NOT beat every rule out of sample ({n} fresh "
                 "scenarios). ")
        if worse:
            first += (f"{', '.join(worse)} cost{'s' if len(worse) == 1 else ''} less than "
                      f"the plan{_by_how_much(v['best_rule'], v['best_rule_saving'])}. ")
        if v["undecided"]:
            first += f"Not told apart from the plan at 95 %: {', '.join(v['undecided'])}. "
        first += ("Likely cause: the instance's scenarios do not represent the calibrated "
                  "risk well enough (too few, or reduced so that rare severe events lose "
                  "weight); solve an instance with more library scenarios "
                  "(stockpile scenarios INSTANCE --n N --out NEW.yaml).")
        out.append(first)
    gap = ev.get("statistical_gap")
    if gap:
        out.append(f"Statistical optimality gap: at most {fmt.money(gap['gap_upper95'])} "
                   f"({fmt.percent(gap['gap_upper95_relative'], 2)} of the expected "
                   f"cost) with 95 % confidence, from {gap['replications']} replications of "
                   f"{fmt.integer(gap['scenarios_per_replication'])} scenarios"
                   + (" (lower bounds by the L-shaped method)." if gap.get("engine") == "benders"
                      else "."))
    return out


def evidence_section(result: dict[str, Any]) -> Section:
    """Plans out of sample, named analogues, hit frequency, statistical gap, stability."""
    sec = Section("evidence", "Evidence: the plan against today's rules")
    ev = result.get("evidence")
    if not ev or "skipped" in ev:
        sec.paragraphs.append(verdict_bullets(result)[0])
        return sec
    _out_of_sample(sec, ev["out_of_sample"])
    _stress_tests(sec, ev.get("stress_tests") or [])
    _hit_frequency(sec, ev["hit_frequency"])
    _statistical_gap(sec, ev.get("statistical_gap"))
    return sec


def _out_of_sample(sec: Section, oos: dict[str, Any]) -> None:
    sec.paragraphs.append(
        f"Every plan below is evaluated by the same second stage on the same "
        f"{fmt.integer(oos['scenarios'])} fresh scenarios (seed {oos['seed']}) from the "
        "calibrated event library; 'stockpile evaluate INSTANCE --plan result.json --n "
        f"{oos['scenarios']} --seed {oos['seed']}' reproduces these figures exactly (its "
        "default of 10,000 draws is another sample, whose figures differ within their "
        "intervals). Rule plans are first stages of the same model: their "
        "targets are scaled back within the budget, storage and market caps (the notes say "
        "which bound), their lots fixed, and the model chooses their programmes, facilities "
        "and agreements. 'Rule - plan' is the paired difference of expected cost with its "
        "95 % interval: above zero, the plan is cheaper.")
    rows = [[r["plan"], r.get("mean"), r.get("cvar95"), r.get("probability_any_shortfall"),
             _interval(r.get("minus_plan")) if i else "-", r.get("status"),
             "; ".join(r.get("notes") or [])] for i, r in enumerate(oos["plans"])]
    sec.tables.append(Table("Out of sample", [
        Column("Plan"), Column("Expected cost (USD)", fmt.usd, True),
        Column("CVaR 95 % (USD)", fmt.usd, True),
        Column("P(any shortfall)", fmt.percent, True), Column("Rule - plan (USD)"),
        Column("Status"), Column("Scaled back")], rows))


def _stress_tests(sec: Section, stress: list[dict[str, Any]]) -> None:
    if not stress:
        return
    names = list(stress[0]["cost"])
    sec.paragraphs.append(
        "Named historical analogues (the instance's stress tests; not optimised over): "
        "the second-stage cost (shortfall, transport, conversion) of each plan if the "
        "analogue happened.")
    sec.tables.append(Table("Stress tests", [Column("Analogue"), Column("Events")] + [
        Column(f"{n} (USD)", fmt.usd, True) for n in names] + [Column("Description")], [
        [s["scenario"], ", ".join(s["events"])] + [s["cost"][n] for n in names]
        + [s["description"]] for s in stress]))


def _hit_frequency(sec: Section, hits: list[dict[str, Any]]) -> None:
    sec.paragraphs.append(
        "How often each material's supply is cut for some holder: the share of scenarios "
        "(weighted by probability) in which it is cut, in the scenarios the plan was "
        "optimised on, and in the fresh sample (the calibrated frequency).")
    sec.tables.append(Table("Hit frequency", [
        Column("Material"), Column("Share cut, in the instance", fmt.percent, True),
        Column("Share cut, fresh sample", fmt.percent, True)],
        [[h["material"], h["in_sample"], h["out_of_sample"]] for h in hits]))


def _statistical_gap(sec: Section, gap: dict[str, Any] | None) -> None:
    if not gap:
        sec.paragraphs.append(
            "Statistical optimality gap: not computed for this report (solve "
            "--replications G computes it).")
        return
    sec.paragraphs.append(
        f"Statistical optimality gap ({gap['method']}): {gap['replications']} independent "
        f"samples of {fmt.integer(gap['scenarios_per_replication'])} scenarios, each "
        "solved; the gap of each is the plan's cost on that sample minus the sample "
        "problem's proven lower bound. Mean "
        f"{fmt.money(gap['gap_mean'])}, 95 % upper bound {fmt.money(gap['gap_upper95'])} "
        f"({fmt.percent(gap['gap_upper95_relative'], 2)} of the expected cost).")
    sec.tables.append(Table("Stability", [
        Column("Holder"), Column("Product"), Column("Plan (t)", fmt.tonnes, True),
        Column("Min over replications (t)", fmt.tonnes, True),
        Column("Max over replications (t)", fmt.tonnes, True),
        Column("Replications buying", fmt.integer, True)],
        [[r["holder"], r["product"], r["plan_t"], r["min_t"], r["max_t"],
          r["replications_buying"]] for r in gap["stability"]["purchases"]]))


RECOMMENDATION_GAP = 0.01
"""A report is titled a recommendation only when its statistical gap is at most this."""

TEMPLATE_MARK = "template from stockpile init"  # the description `stockpile init` writes
DEMO_MARK = "not a recommendation"  # what a shipped demonstration instance says of itself


def report_kind(result: dict[str, Any]) -> tuple[str, str]:
    """(title, first sentence): "recommendation" only when the evidence holds (the plan
    beats every rule out of sample and its statistical gap is measured and at most 1 %);
    otherwise what the report is, and why it is not a recommendation."""
    inst = result.get("instance") or {}
    desc = str(inst.get("description") or "")
    ev = result.get("evidence") or {}
    v = ev.get("verdict") or {}
    gap = ev.get("statistical_gap")
    if desc.lower().startswith(TEMPLATE_MARK):
        return ("template run", "What this is: a run of the unedited `stockpile init` "
                "template, whose figures are placeholders; not a recommendation.")
    if DEMO_MARK in desc.lower():
        return ("demonstration", "What this is: a demonstration instance, not a "
                f"recommendation; the instance says of itself: \u201c{desc}\u201d")
    if not ev or "skipped" in ev:
        return ("first look", "What this is: a first look, not a recommendation: the plan "
                "was not checked out of sample against today's rules.")
    if not v.get("beats_every_rule"):
        return ("first look", "What this is: a first look, not a recommendation: the plan "
                "does not beat every rule agencies use today out of sample (below).")
    if not gap:
        return ("first look", "What this is: a first look, not a recommendation: the plan "
                "beats every rule out of sample, but how far it may be from the best plan "
                "(the statistical optimality gap) was not measured; solve with "
                "--replications 3 measures it, and a recommendation needs it within 1 %.")
    rel = gap.get("gap_upper95_relative")
    if rel is None or rel > RECOMMENDATION_GAP:
        return ("first look", "What this is: a first look, not a recommendation: its "
                f"statistical optimality gap, {fmt.percent(rel, 2)} at 95 % confidence, is "
                "above the 1 % a recommendation needs (solve on more scenarios: --sample N).")
    return ("recommendation", "What this is: a recommendation: the plan beats every rule "
            "agencies use today out of sample, and it is within "
            f"{fmt.percent(rel, 2)} of the best plan at 95 % confidence (at most 1 %).")


def headline_bullets(result: dict[str, Any]) -> list[str]:
    """The figures that hold out of sample, first: the plan's expected total cost on the fresh
    sample with its interval, its CVaR 95 % and how often some demand goes unmet."""
    ev = result.get("evidence")
    if not ev or "skipped" in ev:
        return []
    oos = ev["out_of_sample"]
    plan = oos["plans"][0]
    lo, hi = plan["ci95"]
    return [f"Expected total cost out of sample: {fmt.money(plan['mean'])} (95 % interval "
            f"{fmt.money(lo)} to {fmt.money(hi)}), the plan's mean cost over "
            f"{fmt.integer(oos['scenarios'])} fresh scenarios from the calibrated risk (seed "
            f"{oos['seed']}), purchases, holding and disruptions included; the worst 5 % of "
            f"them cost {fmt.money(plan['cvar95'])} on average (CVaR 95 %), and some demand "
            f"goes unmet in {fmt.percent(plan['probability_any_shortfall'], 1)} of them."]


def oos_row(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The out-of-sample row of plan ``name`` ("optimised", "no stock", a rule), if any."""
    ev = result.get("evidence") or {}
    rows = (ev.get("out_of_sample") or {}).get("plans") or []
    return next((r for r in rows if r.get("plan") == name and "mean" in r), None)


def in_sample_sentence(result: dict[str, Any], objective: Any) -> str:
    """The in-sample expected cost, labelled, with why it differs from the out-of-sample
    one: the plan is fitted to its own scenarios, and they may be harsher or milder than the
    calibrated risk (told by holding nothing on both samples)."""
    n = fmt.integer((result.get("instance") or {}).get("scenarios"))
    base = (f"On the {n} scenarios the plan was optimised on (in sample) its expected total "
            f"cost is {fmt.money(objective)}")
    ev = result.get("evidence") or {}
    plan, none = oos_row(result, "optimised"), oos_row(result, "no stock")
    none_in = ev.get("in_sample_no_stock_mean")
    if plan is None or fmt.missing(objective):
        return base + "; it was not checked out of sample."
    lower = float(objective) < plan["mean"]
    side = "lower" if lower else "higher"
    why = (["the plan is fitted to the very scenarios it is scored on (optimisation bias)"]
           if lower else [])
    against = ""
    if none is not None and none_in is not None and not fmt.missing(none_in):
        harsher = float(none_in) > none["mean"]
        told = (f"those scenarios are {'harsher' if harsher else 'milder'} than the calibrated "
                f"risk (holding nothing costs {fmt.money(none_in)} on them, "
                f"{fmt.money(none['mean'])} on the fresh sample)")
        if harsher != lower:  # harsher scenarios raise the in-sample cost, milder lower it
            why.append(told)
        else:  # the harshness pulls the other way: said, but not as a reason
            against = f", although {told}"
    because = f" because {' and '.join(why)}" if why else ""
    return (f"{base}, {side} than out of sample{because}{against}. The out-of-sample figure "
            "above is the one to expect.")


def stress_bullets(result: dict[str, Any]) -> list[str]:
    """Where the plan loses to the best rule in the named analogues, by how much, and what
    the rule holds there that the plan does not (issue 20 item 4)."""
    ev = result.get("evidence") or {}
    stress = ev.get("stress_tests") or []
    best = (ev.get("verdict") or {}).get("best_rule")
    if not stress or not best or best not in stress[0]["cost"]:
        return []
    plan_name = next(iter(stress[0]["cost"]))
    losses = sorted(((s["cost"][plan_name] - s["cost"][best], s) for s in stress
                     if s["cost"][plan_name] > s["cost"][best] * (1 + 1e-9)),
                    key=lambda x: -x[0])
    n = len(stress)
    if not losses:
        return [f"Named historical analogues: the plan costs no more than the best rule "
                f"({best}) in each of the {n}."]
    worst = "; ".join(
        f"{s['scenario']} ({fmt.money(s['cost'][plan_name])} against "
        f"{fmt.money(s['cost'][best])}, {fmt.money(d)} more)" for d, s in losses[:4])
    more = f"; and {len(losses) - 4} more" if len(losses) > 4 else ""
    lacks = _what_the_rule_holds(losses, ev.get("stock_by_material") or {}, plan_name, best)
    return [f"Named historical analogues: the plan costs more than the best rule ({best}) "
            f"in {len(losses)} of the {n}: {worst}{more}. {lacks}It is optimised for the "
            "expected cost over the calibrated risk, not for any one analogue: the rule "
            "holds stock the plan judges not worth its cost on average."]


def _what_the_rule_holds(losses: list[tuple[float, dict[str, Any]]],
                         stock: dict[str, dict[str, float]], plan_name: str, best: str) -> str:
    """'Where it loses, the plan's extra shortfall is in antimony (USD x over those analogues;
    it holds 0 t, the rule 4,840 t) ...', from each plan's shortfall cost per material in
    each analogue it loses, and the stock each holds."""
    diff: dict[str, float] = {}
    for _, s in losses:
        by = s.get("shortfall_by_material") or {}
        mine, theirs = by.get(plan_name) or {}, by.get(best) or {}
        for mat in set(mine) | set(theirs):
            diff[mat] = diff.get(mat, 0.0) + float(mine.get(mat, 0.0)) - float(
                theirs.get(mat, 0.0))
    top = sorted(((d, m) for m, d in diff.items() if d > 0), reverse=True)[:3]
    if not top:
        return ""

    def held(m: str) -> str:
        a, b = (stock.get(plan_name) or {}).get(m), (stock.get(best) or {}).get(m)
        if a is None or b is None:
            return ""
        return f"; the plan holds {fmt.mass(a)}, the rule {fmt.mass(b)}"

    return ("Where it loses, the plan's extra shortfall is in " + ", ".join(
        f"{m} ({fmt.money(d)} over those analogues{held(m)})" for d, m in top) + ". ")
