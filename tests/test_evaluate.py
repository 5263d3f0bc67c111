"""The evaluator of a fixed plan equals the full model's second-stage cost."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

from stockpile.analysis.evaluate import (
    Plan,
    evaluate,
    greedy_costs,
    paired_difference,
    plan_from_model,
)
from stockpile.instance import parse
from stockpile.model.build import build_model
from stockpile.model.data import model_data
from stockpile.scenarios import sample
from stockpile.solve.highs import SolveOptions, solve
from tests.conftest import tiny


def _two_holder(**extra: object) -> dict:
    d = tiny(
        periods=[{"id": "y1", "years": 1}, {"id": "y2", "years": 0.5}],
        holders=[{"id": "US-DLA", "budget": 400}, {"id": "JP-JOGMEC", "budget": 300}],
        materials=[{"id": "gallium", "world_production": 1000, "market_cap_share": 1.0},
                   {"id": "cobalt", "world_production": 1000, "market_cap_share": 1.0}],
        products=[{"id": "ga4n", "material": "gallium", "price": 10, "lot": 1},
                  {"id": "ga6n", "material": "gallium", "price": 12, "lot": 1},
                  {"id": "co", "material": "cobalt", "price": 5, "lot": 2}],
        demand=[{"holder": h, "product": k, "annual": dd, "shortfall": [
            {"tier": "essential", "share": 0.4, "cost": 300},
            {"tier": "general", "share": 0.6, "cost": 40}]}
            for h, k, dd in (("US-DLA", "ga4n", 10), ("US-DLA", "ga6n", 4),
                             ("US-DLA", "co", 20), ("JP-JOGMEC", "ga4n", 6),
                             ("JP-JOGMEC", "co", 12))],
        scenarios=[{"id": "calm", "probability": 1}],
    )
    d.update(extra)
    return d


def _solved(raw: dict, mode: str, n: int, seed: int):
    inst = parse(raw)
    data = model_data(inst, mode)  # type: ignore[arg-type]
    sset = sample(inst, n, seed, library=__import__(
        "stockpile.scenarios", fromlist=["DEFAULT_LIBRARY"]).DEFAULT_LIBRARY.scaled(8.0))
    data = sset.apply(data)
    m = build_model(data)
    stats = solve(m, SolveOptions(mip_gap=1e-9))
    assert stats.proven_optimal
    return data, m


@pytest.mark.parametrize(("mode", "extra"), [
    ("national", {}),
    ("bilateral", {"agreements": [{"holders": ["US-DLA", "JP-JOGMEC"], "material": "gallium",
                                   "share_cap": 0.5, "transport_cost": 3}]}),
    ("pooled", {"routes": [{"id": "up", "from": "ga4n", "to": "ga6n", "yield": 0.9,
                            "cost": 2, "capacity": {"US-DLA": 3}}]}),
])
def test_evaluator_equals_model_second_stage(mode: str, extra: dict) -> None:
    data, m = _solved(_two_holder(**extra), mode, 40, 11)
    plan = plan_from_model(m, data)
    ev = evaluate(data, plan)
    model_cost = np.array([pyo.value(m.scenario_cost[s]) for s in data.scenarios])
    assert plan.lots.sum() > 0 and model_cost.max() > 0
    np.testing.assert_allclose(ev.second, model_cost, rtol=1e-7, atol=1e-6)
    first = float(pyo.value(m.first_stage_cost))
    assert ev.first_stage.sum() == pytest.approx(first, rel=1e-9)
    assert ev.summary()["mean"] == pytest.approx(pyo.value(m.total_cost), rel=1e-7)
    if mode != "national":
        assert ev.lp_scenarios > 0


def test_greedy_hand_case() -> None:
    # One holder, one product, d = 10 t/yr, periods of 1 and 0.5 yr, tiers essential
    # (share 0.4, 300 USD/t) and general (0.6, 40 USD/t). Supply cut to 0 in period 1 and
    # to 0.5 in period 2: deficits 10 t and 0.5 * 10 * 0.5 = 2.5 t. Without stock the
    # general tier (cheaper) takes the first 6 t of period 1 and all 2.5 t of period 2
    # (its bound there is 3 t), essential the other 4 t: segments essential 4 t, general
    # 8.5 t, cost 4 * 300 + 8.5 * 40 = 1540. Stock 7 t covers the 4 t of essential first,
    # then 3 t of general: cost = 40 * (8.5 - 3) = 220 USD.
    raw = tiny(periods=[{"id": "y1", "years": 1}, {"id": "y2", "years": 0.5}],
               demand=[{"holder": "A", "product": "ga4n", "annual": 10, "shortfall": [
                   {"tier": "essential", "share": 0.4, "cost": 300},
                   {"tier": "general", "share": 0.6, "cost": 40}]}],
               scenarios=[{"id": "cut", "probability": 1,
                           "supply": [{"material": "ga", "values": [0, 0.5]}]}])
    data = model_data(parse(raw), "national")
    assert greedy_costs(data, np.array([[7.0]]))[0, 0, 0] == pytest.approx(220.0)
    assert greedy_costs(data, np.array([[0.0]]))[0, 0, 0] == pytest.approx(1540.0)
    assert greedy_costs(data, np.array([[20.0]]))[0, 0, 0] == 0.0


def test_paired_difference_of_a_plan_with_itself_is_zero() -> None:
    raw = _two_holder()
    inst = parse(raw)
    data = sample(inst, 500, 3).apply(model_data(inst, "national"))
    plan = Plan("p", np.array([[3.0, 0, 2], [1, 0, 0]]))
    ev = evaluate(data, plan)
    d = paired_difference(ev, ev)
    assert d["mean"] == 0 and d["std_error"] == 0
    s = ev.summary()
    assert s["ci95"][0] <= s["mean"] <= s["ci95"][1]
    assert 0 <= s["probability_any_shortfall"] <= 1
