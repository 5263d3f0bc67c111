"""The report's evidence: the plan against today's rules out of sample, in named historical
analogues, the statistical optimality gap and the stability of the plan (figures from
analysis/evidence.py, carried in the result under "evidence")."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from .content import Column, Section, Table


def _interval(d: dict[str, Any] | None) -> str:
    if not d:
        return "-"
    lo, hi = d["ci95"]
    return f"{fmt.money(d['mean'])} [{fmt.money(lo)}, {fmt.money(hi)}]"


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
            first += (f"{', '.join(worse)} costs less: the best rule ({v['best_rule']}) minus "
                      f"the plan is {_interval(v['best_rule_saving'])}. ")
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
        "calibrated event library. Rule plans are first stages of the same model: their "
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
        Column("P(any shortfall)", fmt.probability, True), Column("Rule - plan (USD)"),
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
        "How often each material's supply is cut for some holder: in the scenarios the plan "
        "was optimised on, and in the fresh sample (the calibrated frequency).")
    sec.tables.append(Table("Hit frequency", [
        Column("Material"), Column("In the instance", fmt.probability, True),
        Column("Fresh sample", fmt.probability, True)],
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
