"""The model written once: per-scenario builds, both hand-offs, the infeasibility diagnosis."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from conftest import solve_dict, tiny
from stockpile.instance import parse
from stockpile.model.build import build_model, first_stage_variables, fix_first_stage
from stockpile.model.data import model_data
from stockpile.solve.highs import SolveOptions, solve
from test_model_hand import sharing


def test_scenario_models_add_up_to_the_extensive_form() -> None:
    """Fix the extensive form's first stage in each one-scenario model (mpi-sppy's contract):
    first-stage cost + sum_s pi_s (scenario optimum) equals the extensive-form optimum."""
    raw = sharing(20, 0.5)
    data = model_data(parse(raw), "bilateral")
    ef = build_model(data)
    ef_stats = solve(ef, SolveOptions(mip_gap=0))
    first = {v.name: v.value for comp in first_stage_variables(ef) for v in comp.values()}
    total = pyo.value(ef.first_stage_cost)
    for i, s in enumerate(data.scenarios):
        sm = build_model(data.with_scenarios([i]), expected=False)
        names = {v.name for comp in first_stage_variables(sm) for v in comp.values()}
        assert names == set(first)  # same first-stage names in every scenario model
        for comp in first_stage_variables(sm):
            for v in comp.values():
                v.fix(first[v.name])
        st = solve(sm, SolveOptions(mip_gap=0))
        assert st.status == "optimal"
        total += data.probability[i] * pyo.value(sm.scenario_cost[s])
    assert total == pytest.approx(ef_stats.objective, rel=1e-9)


@pytest.mark.parametrize("mode", ["national", "bilateral", "pooled"])
def test_both_handoffs_agree(mode: str) -> None:
    raw = sharing(20, 0.5)
    a = solve_dict(raw, mode, interface="standard_form")
    b = solve_dict(raw, mode, interface="appsi")
    assert a.stats.status == b.stats.status == "optimal"
    assert a.stats.objective == pytest.approx(b.stats.objective, rel=1e-9)
    assert a.figures["objective_recomputed"] == pytest.approx(b.figures["objective_recomputed"])


def test_inventory_above_storage_is_told() -> None:
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1,
                          "volume": 1.0}],
               holders=[{"id": "A", "budget": 100,
                         "facilities": [{"id": "depot", "capacity": 3}]}],
               inventory=[{"holder": "A", "product": "ga4n", "tonnes": 5}])
    out = solve_dict(raw)
    assert out.stats.status == "infeasible" and not out.stats.has_plan
    assert "needs 5.0 m3" in out.reasons[0] and "3.0 m3" in out.reasons[0]


def test_facility_above_budget_is_told() -> None:
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1,
                          "volume": 1.0}],
               holders=[{"id": "A", "budget": 100,
                         "facilities": [{"id": "depot", "capacity": 30, "fixed_cost": 500}]}],
               inventory=[{"holder": "A", "product": "ga4n", "tonnes": 5}])
    out = solve_dict(raw)
    assert out.stats.status == "infeasible"
    assert "at least 500 USD" in out.reasons[0] and "budget of 100 USD" in out.reasons[0]


def _hard_instance() -> dict:
    return tiny(
        products=[{"id": f"p{i}", "material": "ga", "price": 10 + i, "lot": 1 + 0.37 * i,
                   "holding_cost": 1} for i in range(12)],
        demand=[{"holder": "A", "product": f"p{i}", "annual": 7 + i,
                 "shortfall": [{"tier": "essential", "share": 1, "cost": 60 + i}]}
                for i in range(12)],
        holders=[{"id": "A", "budget": 913.7}],
        scenarios=[{"id": f"s{j}", "probability": 0.125,
                    "supply": [{"product": f"p{i}", "values": ((i * 7 + j * 3) % 10) / 10}
                               for i in range(12)]} for j in range(8)])


def test_stopped_early_is_never_called_optimal() -> None:
    """HiGHS told to stop at its first improving plan: the plan comes back with its bound and
    gap, status 'limit', and every description says it is not proven optimal."""
    full = solve_dict(_hard_instance())
    assert full.stats.status == "optimal"
    out = solve_dict(_hard_instance(), highs_options={"mip_max_improving_sols": 1})
    st = out.stats
    assert st.status == "limit" and st.has_plan and not st.proven_optimal
    assert st.bound <= full.stats.objective + 1e-6 <= st.objective + 2e-6
    assert st.gap == pytest.approx((st.objective - st.bound) / st.objective)
    assert st.gap > 1e-3
    assert st.describe().startswith("NOT proven optimal")
    assert out.figures["objective_recomputed"] == pytest.approx(st.objective)


def test_unknown_highs_option_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_option"):
        solve_dict(_hard_instance(), highs_options={"no_such_option": 1})


def test_forced_and_forbidden_agreements() -> None:
    # sharing(20, 1.0): the agreement pays (135 signed vs 220 national); forbidding it gives
    # the national optimum, forcing it when psi = 200 gives 135 - 20 + 200 = 315
    from stockpile.pipeline import run_solve

    key = "A|B|ga"
    out = run_solve(parse(sharing(20, 1.0)), "bilateral", SolveOptions(mip_gap=0),
                    agreements={key: False})
    assert out.stats.objective == pytest.approx(220.0)
    out = run_solve(parse(sharing(200, 1.0)), "bilateral", SolveOptions(mip_gap=0),
                    agreements={key: True})
    assert out.stats.objective == pytest.approx(315.0)
    with pytest.raises(KeyError, match="not a candidate"):
        run_solve(parse(sharing(20, 1.0)), "bilateral", agreements={"A|B|zz": True})


def test_warm_start_is_the_do_nothing_plan(capfd: pytest.CaptureFixture) -> None:
    """build_model hands HiGHS the do-nothing plan (no lots, programmes or agreements) as a
    MIP start, so that a solve stopped early still has a plan. HiGHS completes it and says
    so in its log with the plan's cost, which must be the do-nothing cost computed
    independently: every first-stage decision fixed to 0 and the rest solved.
    _hard_instance has no inventory, so no facility is needed either."""
    data = model_data(parse(_hard_instance()), "bilateral")
    nothing = build_model(data)
    fix_first_stage(nothing, {})
    assert solve(nothing, SolveOptions(mip_gap=0)).status == "optimal"
    do_nothing = pyo.value(nothing.total_cost)
    capfd.readouterr()
    out = solve_dict(_hard_instance(), log=True)
    log = capfd.readouterr().out
    assert f"MIP start solution is feasible: objective value is {do_nothing:.0f}" in log
    assert out.stats.status == "optimal" and out.stats.objective < do_nothing - 1000
    capfd.readouterr()
    solve_dict(_hard_instance(), log=True, warm_start=False)
    assert "MIP start" not in capfd.readouterr().out


def test_watchdog_stops_a_late_highs_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS's own time check can come late on large models; the watchdog stops it and the
    stop is reported as the time limit, never as optimal. Here HiGHS's own limit is pushed
    out of reach (highs_options overrides it), so only the watchdog can stop the solve of
    the 100-scenario instance (about 6 s to optimality) after 0.5 s."""
    from pathlib import Path

    from stockpile.pipeline import run_solve
    from stockpile.solve import highs

    monkeypatch.setattr(highs._Watchdog, "GRACE_FACTOR", 1.0)
    monkeypatch.setattr(highs._Watchdog, "GRACE_SECONDS", 0.0)
    path = Path(__file__).resolve().parents[1] / "instances" / "us_japan_2026_s100.yaml"
    st = run_solve(path, "bilateral", SolveOptions(
        time_limit=0.5, highs_options={"time_limit": 1e9})).stats
    assert st.status == "time_limit" and not st.proven_optimal
    assert "watchdog" in st.message
