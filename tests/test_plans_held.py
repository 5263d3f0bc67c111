"""Extension E1 (residual value), the one feasibility check of a plan, the scale-back of rule
targets, rules held to the model's constraints, and the statistical optimality gap."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from stockpile.analysis import baselines
from stockpile.analysis.evidence import verdict
from stockpile.analysis.saa import statistical_gap, t_quantile
from stockpile.instance import InstanceError, load, parse
from stockpile.model import costs
from stockpile.model.data import model_data
from stockpile.model.plan import Plan
from stockpile.solve.highs import SolveOptions
from tests.conftest import solve_dict, tiny

ROOT = Path(__file__).resolve().parents[1]


def test_residual_value_lowers_the_purchase_term_not_the_budget() -> None:
    # BASE: price 10, holding 1/yr, Y = 1, demand 10 t, lost entirely with probability 0.5 at
    # 100 USD/t. With omega = 0.5 a tonne costs (1 - 0.5) 10 + 1 = 6 in the objective and
    # saves 0.5 x 100 = 50: buy all 10 t. The budget of 80 still pays the full 10 USD/t, so
    # only 8 t: objective 8 x 6 + 0.5 x 2 x 100 = 148 (without omega: 8 x 11 + 100 = 188).
    raw = tiny(holders=[{"id": "A", "budget": 80}],
               capital_cost={"rate": 0.1, "source": "test"})
    assert solve_dict(raw).stats.objective == pytest.approx(188.0)
    raw["products"][0]["residual_value_share"] = 0.5
    out = solve_dict(raw)
    assert out.stats.objective == pytest.approx(148.0)
    assert out.figures.objective_terms.residual_value == pytest.approx(-40.0)
    assert out.figures.holders[0].budget_used == pytest.approx(80.0)
    assert out.figures.objective_recomputed == pytest.approx(148.0)


def test_residual_value_needs_a_stated_capital_cost() -> None:
    raw = tiny()
    raw["products"][0]["residual_value_share"] = 0.5
    with pytest.raises(InstanceError, match="capital_cost"):
        parse(raw)
    # rate 0.4 x omega 0.5 x price 10 = 2 USD/t/yr > holding cost 1
    raw["capital_cost"] = {"rate": 0.4, "source": "test"}
    with pytest.raises(InstanceError, match=r"products\[0\].holding_cost"):
        parse(raw)


def _two_holders(**over) -> dict:
    return tiny(holders=[{"id": "A", "budget": 25}, {"id": "B", "budget": 1000}],
                materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 0.005}],
                demand=[{"holder": h, "product": "ga4n", "annual": 10, "shortfall": [
                    {"tier": "essential", "share": 1, "cost": 100}]} for h in ("A", "B")],
                **over)


def test_scale_back_market_cap_then_budget_by_hand() -> None:
    # Cap 0.005 x 1000 = 5 t. Targets A 6 t, B 4 t (10 t): both x 0.5 -> A 3, B 2. A's budget
    # 25 at 10 USD/t: the largest common fraction of 3 lots that fits is 2 lots (20 USD).
    data = model_data(parse(_two_holders()))
    plan = Plan("rule", np.array([[6.0], [4.0]]))
    assert len(costs.violations(data, plan)) == 2  # market cap, budget of A
    fixed = costs.scale_back(data, plan)
    np.testing.assert_array_equal(fixed.lots, [[2.0], [2.0]])
    assert fixed.status == "scaled back" and len(fixed.notes) == 2
    assert costs.violations(data, fixed) == []


def test_a_plan_the_model_cannot_take_is_reported_infeasible_not_raised() -> None:
    # A's existing 10 t take 10 m3 (1 m3/t) in a 5 m3 facility: no plan fits.
    raw = _two_holders(inventory=[{"holder": "A", "product": "ga4n", "tonnes": 10}])
    raw["products"][0]["volume"] = 1.0
    raw["holders"][0]["facilities"] = [{"id": "small", "capacity": 5}]
    data = model_data(parse(raw))
    held = baselines.held_to_constraints(data, Plan("rule", np.array([[0.0], [1.0]])))
    assert held.status.startswith("infeasible")


@pytest.fixture(scope="module")
def library():
    """The default instance on its first 40 scenarios (equally likely), to keep this fast."""
    from dataclasses import replace
    inst = load(ROOT / "instances" / "us_japan_2026.yaml")
    data = model_data(inst)
    return inst, replace(data.with_scenarios(list(range(40))), probability=np.full(40, 1 / 40))


def test_every_rule_plan_is_feasible_in_the_model(library) -> None:
    inst, data = library
    names = [m.name for m in inst.materials]
    raw = baselines.all_rules(data, names)
    assert any(costs.violations(data, p) for p in raw)  # the raw targets break constraints
    for p in baselines.rules_held(data, names):
        assert p.feasible, (p.name, p.status)
        assert costs.violations(data, p) == [], p.name
        assert p.facilities is not None  # chosen by the model


def test_verdict_needs_every_interval_above_zero() -> None:
    def row(name, lo, hi, mean):
        return {"plan": name, "status": "feasible", "mean": mean,
                "minus_plan": {"mean": (lo + hi) / 2, "ci95": [lo, hi]}}
    rows = [row("optimised", 0, 0, 100), row("r1", 1, 3, 102), row("r2", -1, 2, 101),
            row("no stock", 5, 9, 107)]
    v = verdict(rows)
    assert v["beats_every_rule"] is False and v["best_rule"] == "r2"
    assert v["undecided"] == ["r2"] and v["rules_better_than_plan"] == []
    rows[2] = row("r2", 0.5, 2, 101)
    assert verdict(rows)["beats_every_rule"] is True


def _gallium_only() -> tuple:
    """One US holder of gallium: the library's events reach it (China's GAGE2023 regime)."""
    inst = parse(tiny(
        holders=[{"id": "US-DLA", "budget": 1e6}],
        materials=[{"id": "gallium", "world_production": 1000, "market_cap_share": 1.0}],
        products=[{"id": "ga4n", "material": "gallium", "price": 10, "lot": 1,
                   "holding_cost": 1}],
        demand=[{"holder": "US-DLA", "product": "ga4n", "annual": 10,
                 "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]}],
        scenarios=[{"id": "calm", "probability": 1}]))
    return inst, model_data(inst)


def test_statistical_gap_is_the_replications_mean_plus_t_times_its_error() -> None:
    inst, data = _gallium_only()
    none = Plan("no stock", np.zeros((1, 1)))
    g = statistical_gap(inst, data, none, 4, 200, 7, SolveOptions(mip_gap=1e-9))
    gaps = np.array([r["gap"] for r in g["per_replication"]])
    assert (gaps >= -1e-6).all()  # a plan never beats the sample problem's lower bound
    for r in g["per_replication"]:
        assert r["gap"] == pytest.approx(r["plan_cost"] - r["lower_bound"])
    expect = gaps.mean() + t_quantile(0.95, 3) * gaps.std(ddof=1) / math.sqrt(4)
    assert g["gap_upper95"] == pytest.approx(expect)
    assert t_quantile(0.95, 3) == pytest.approx(2.353363, rel=1e-6)  # Student t table


def test_statistical_gap_by_benders_bounds_the_same_way() -> None:
    """With the L-shaped method bounding each sample problem (to 1e-6), each replication's gap
    is the plan's cost minus a lower bound, never below zero, and close to the extensive
    form's on the same samples."""
    inst, data = _gallium_only()
    none = Plan("no stock", np.zeros((1, 1)))
    opts = SolveOptions(mip_gap=1e-6)
    ef = statistical_gap(inst, data, none, 3, 50, 3, opts)
    bd = statistical_gap(inst, data, none, 3, 50, 3, opts, engine="benders")
    for a, b in zip(ef["per_replication"], bd["per_replication"]):
        assert b["gap"] >= -1e-6
        assert b["plan_cost"] == pytest.approx(a["plan_cost"])
        assert b["lower_bound"] == pytest.approx(a["lower_bound"], rel=1e-5)


def test_report_states_the_relative_gap_as_a_percentage() -> None:
    """A 95 % bound of 71.8 M on an expected cost of 2,231.6 M is 3.22 % (it once printed
    321.76 %: the fraction was multiplied by 100 twice)."""
    from stockpile.report.evidence import evidence_section, verdict_bullets

    def row(name, lo, hi):
        return {"plan": name, "status": "feasible", "mean": 1.0, "cvar95": 1.0,
                "probability_any_shortfall": 0.5, "notes": [],
                "minus_plan": {"mean": (lo + hi) / 2, "ci95": [lo, hi]}}
    gap = {"method": "multiple replications", "replications": 5,
           "scenarios_per_replication": 100, "gap_mean": 49.4e6, "gap_upper95": 71.8e6,
           "gap_upper95_relative": 71.8e6 / 2231.6e6,
           "stability": {"purchases": [{"holder": "US-DLA", "product": "ga-4n", "plan_t": 7.0,
                                        "min_t": 5.0, "max_t": 9.0,
                                        "replications_buying": 5}]}}
    plans = [row("optimised", 0, 0), row("JOGMEC 60/180 days", 656.1e6, 742.6e6)]
    result = {"evidence": {
        "out_of_sample": {"scenarios": 5000, "seed": 20260, "plans": plans},
        "verdict": verdict(plans), "stress_tests": [],
        "hit_frequency": [{"material": "gallium", "in_sample": 0.19, "out_of_sample": 0.22}],
        "statistical_gap": gap}}
    lines = verdict_bullets(result)
    assert lines[0].startswith("The plan beats every rule")
    assert "(3.22% of the expected cost)" in lines[1]
    sec = evidence_section(result)
    assert [t.sheet for t in sec.tables] == ["Out of sample", "Hit frequency", "Stability"]
    assert any("(3.22% of the expected cost)" in p for p in sec.paragraphs)


def first_screen_is_out_of_sample(folder: Path) -> None:
    """Issue 20 item 3, on the solve above (no solve of its own): the default report of the
    quick instance says first what it is (its own description: not a recommendation), then
    the out-of-sample total; the first total on the first screen is the evidence's mean, in
    Markdown and in HTML; the in-sample objective comes later, labelled."""
    import re

    from stockpile.report import format as fmt

    result = json.loads((folder / "result.json").read_text())
    mean = result["evidence"]["out_of_sample"]["plans"][0]["mean"]
    md = (folder / "report.md").read_text()
    assert md.startswith("# Stockpile demonstration (not a recommendation): "
                         "us_japan_2026_quick (bilateral mode)")
    summary = md.split("## Purchases")[0]
    first = re.search(r"USD [\d,.]+ (bn|M)", summary)
    assert first is not None and first.group(0) == fmt.money(mean)
    assert f"Expected total cost out of sample: {fmt.money(mean)}" in summary
    in_sample = summary.index("On the 20 scenarios the plan was optimised on (in sample)")
    assert in_sample > summary.index("Expected total cost out of sample")
    assert fmt.money(result["solver"]["objective"]) in summary[in_sample:]
    html = (folder / "report.html").read_text()
    lead = re.findall(r"<li>(.*?)</li>", html.split('<section id="summary"')[1])[2]
    lead = re.sub(r"<[^>]+>", "", lead)  # amounts are kept whole in <span class="nw">
    assert lead.startswith(f"Expected total cost out of sample: {fmt.money(mean)}")


def test_every_plan_the_product_evaluates_passes_the_one_feasibility_check(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # evaluate() puts every plan through costs.violations (constraints 1-4) and refuses one
    # that breaks them unless it is labelled infeasible. Watch that check while the product
    # evaluates what it evaluates: the solve's evidence (optimised plan, today's rules held
    # to the constraints, no stock), `evaluate` with the mean-value plan of the VSS (its
    # rules are the solve's), and a frontier point. (IEA sharing reuses the optimised
    # plan's purchases and is fixed into the Pyomo model itself, which holds 1-4 as
    # constraints.)
    from stockpile.analysis.frontier import FrontierOptions, run_frontier
    from stockpile.analysis.out_of_sample import EvaluationOptions, run_evaluation
    from stockpile.cli import main
    from stockpile.scenarios.pipeline import SampleOptions

    seen: list[tuple[str, list[str]]] = []
    check = costs.violations

    def watched(data: object, plan: Plan) -> list[str]:
        out = check(data, plan)  # type: ignore[arg-type]
        seen.append((plan.name, out))
        return out

    monkeypatch.setattr(costs, "violations", watched)
    quick = ROOT / "instances" / "us_japan_2026_quick.yaml"
    assert main(["solve", str(quick), "--out", str(tmp_path / "solve"), "--quiet",
                 "--no-why", "--check-scenarios", "500"]) == 0
    first_screen_is_out_of_sample(tmp_path / "solve")
    inst = load(quick)
    sampling = SampleOptions(n=500, seed=3)
    run_evaluation(inst, EvaluationOptions(sampling=sampling, vss=True, baselines=False))
    run_frontier(inst, FrontierOptions(budgets=(0.5,), lambdas=(0.0,), sampling=sampling))
    names = {n for n, _ in seen}
    rules = {"JOGMEC 60/180 days", "KOMIR 100 days", "IEA 90 days of net imports",
             "risk-ranked 180 days"}
    assert {"optimised", "no stock", "mean-value plan", "budget x0.5, lambda 0"} | rules \
        <= names, names
    assert [(n, v) for n, v in seen if v] == []
    assert sum(n == "optimised" for n, _ in seen) >= 2  # the solve's and evaluate's


def test_evaluate_refuses_a_plan_that_breaks_the_constraints_unless_labelled() -> None:
    # with a budget of 100, BASE buys at most 10 t at 10 USD/t: 20 lots of 1 t break
    # constraint 1 (200 USD)
    from stockpile.analysis.evaluate import PlanNotFeasible, evaluate

    data = model_data(parse(tiny(holders=[{"id": "A", "budget": 100}])))
    over = Plan("over", np.array([[20.0]]))
    with pytest.raises(PlanNotFeasible, match="budget of A"):
        evaluate(data, over)
    labelled = Plan("over", np.array([[20.0]]), status="infeasible: over the budget")
    assert evaluate(data, labelled).second.shape == (len(data.scenarios),)


def test_a_plan_file_that_breaks_the_constraints_is_evaluated_with_a_warning(
        tmp_path: Path) -> None:
    # 500 lots of palladium (0.1 t each, 50 t) against the market cap of 5 % of 190 t world
    # output (9.5 t, printed as 10 t): read as infeasible, evaluated, and the report's
    # first line says so
    from stockpile.analysis.evaluate import plan_from_file
    from stockpile.analysis.out_of_sample import EvaluationOptions, run_evaluation
    from stockpile.report.evaluate_report import warning_text
    from stockpile.scenarios.pipeline import SampleOptions

    quick = ROOT / "instances" / "us_japan_2026_quick.yaml"
    path = tmp_path / "plan.csv"
    path.write_text("holder,product,lots\nUS-DLA,palladium,500\n", encoding="utf-8")
    inst = load(quick)
    plan = plan_from_file(path, model_data(inst))
    assert plan.status == "infeasible: market cap of palladium: 50 t bought, cap 10 t"
    res = run_evaluation(inst, EvaluationOptions(plan=path, baselines=False,
                                                 sampling=SampleOptions(n=200, seed=1)))
    text = warning_text(res.to_dict())
    assert text.startswith("Warning: the plan plan is not one the model could take (market "
                           "cap of palladium: 50 t bought, cap 10 t)")
