"""The evaluator on 100,000 scenarios of the real instance (slow).

Its speed is measured by benchmarks/evaluate.py, never asserted here. This test checks that
at full scale (20 chunks of 5,000 scenarios, greedy and per-material LPs mixed) the cost of
every checked scenario equals the canonical model's second stage with the plan fixed, for
scenarios on both sides of each chunk boundary checked and a random draw of the rest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

from stockpile.analysis.evaluate import evaluate, plan_from_model
from stockpile.instance import load
from stockpile.model.build import build_model, first_stage_values, fix_first_stage
from stockpile.model.data import model_data
from stockpile.scenarios import sample
from stockpile.solve.highs import SolveOptions, solve

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_100k_scenarios_equal_the_model_second_stage() -> None:
    inst = load(ROOT / "instances" / "us_japan_2026.yaml")
    data = model_data(inst, "bilateral")
    m = build_model(data)
    assert solve(m, SolveOptions(mip_gap=1e-6)).has_plan
    plan = plan_from_model(m, data)
    out = sample(inst, 100_000, 5).apply(data)
    ev = evaluate(out, plan)
    assert ev.second.shape == (100_000,) and np.isfinite(ev.second).all()
    assert ev.lp_scenarios > 0  # the sharing LPs are exercised, not only the greedy
    rng = np.random.default_rng(0)
    idx = sorted({0, 4_999, 5_000, 5_001, 49_999, 50_000, 99_999,
                  *rng.choice(100_000, 25, replace=False).tolist()})
    sub = build_model(out.with_scenarios(idx))
    fix_first_stage(sub, first_stage_values(m))
    assert solve(sub, SolveOptions(mip_gap=1e-9)).proven_optimal
    model_cost = np.array([pyo.value(sub.scenario_cost[s]) for s in sub.scenario_cost])
    np.testing.assert_allclose(ev.second[idx], model_cost, rtol=1e-7, atol=1e-3)
