"""The batched recourse (recourse.py) equals one HiGHS solve per scenario of the LP the
evaluator solved before (every period kept), scenario by scenario and material by material.

The scenarios are drawn at random so that the share cap, the stock (releases) and the route
capacity each bind in some of them; every test asserts that they do, so a draw that stops
exercising a case fails instead of passing quietly.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from stockpile.analysis.evaluate import Plan, evaluate, evaluate_sample
from stockpile.analysis.recourse import (
    MaterialLP,
    _Bunching,
    _material_lp,
    second_stage_template,
)
from stockpile.instance import load, parse
from stockpile.model.data import ModelData, agreement_key, model_data
from stockpile.scenarios import sample
from tests.test_evaluate import _two_holder
from tests.test_model_hand import sharing

ROOT = Path(__file__).resolve().parents[1]
# four months of every demand held breaks budgets and market caps: a stress plan for the
# evaluator's arithmetic, labelled so, as evaluate() requires of a plan that breaks 1-4
STRESS = "infeasible: a stress plan of the tests (four months of every demand)"


def _random_scenarios(data: ModelData, n: int, seed: int) -> ModelData:
    """n scenarios: supply share 0, 1 or uniform, demand surges up to 1.6, conversion
    capacity multipliers 0, 1 or uniform, per (period, holder, product or route)."""
    rng = np.random.default_rng(seed)
    T, H, K, R = (len(data.periods), len(data.holders), len(data.products),
                  len(data.routes))

    def mixed(shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
        pick = rng.integers(0, 3, shape)
        return np.where(pick == 0, low, np.where(pick == 1, high,
                                                 rng.uniform(low, high, shape)))

    supply = mixed((n, T, H, K), 0.0, 1.0)
    surge = np.where(rng.random((n, T, H, K)) < 0.3, rng.uniform(1.0, 1.6, (n, T, H, K)), 1.0)
    cap = mixed((n, T, H, R), 0.0, 1.0)
    return replace(data, scenarios=[f"r{i}" for i in range(n)],
                   probability=np.full(n, 1.0 / n), supply=supply, demand_mult=surge,
                   capacity_mult=cap)


def _reference(lp: MaterialLP) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Cost and shortfall by holder in every scenario, one HiGHS solve each, and how many
    scenarios bind the share cap, exhaust a stock, and use a route to capacity."""
    S = len(lp.data.scenarios)
    obj, by_h = np.zeros(S), np.zeros((S, len(lp.data.holders)))
    binds = {"share": 0, "stock": 0, "route": 0}
    n = len(lp.cols)
    for s in range(S):
        lo, up = lp.bounds(np.array([s]))
        obj[s], x, _ = lp.solve_one(lo[0], up[0], lp.data.scenarios[s])
        by_h[s] = lp._by_holder(x[None, lp.u_cols])[0]
        activity = lp.A @ x
        used = x > 1e-7
        for kind in ("share", "stock"):
            rows = [i for i, key in enumerate(lp.rows) if key[0] == kind]
            binds[kind] += any(up[0, n + i] > 1e-9 and activity[i] >= up[0, n + i] - 1e-7
                               and any(used[lp.A[[i]].indices]) for i in rows)
        binds["route"] += any(x[j] >= up[0, j] - 1e-7 and up[0, j] > 1e-9 for j in lp.v_cols)
    return obj, by_h, binds


def _compare(data: ModelData, plan: Plan, mat: int, monkeypatch: pytest.MonkeyPatch
             ) -> dict[str, int]:
    old = MaterialLP(data, plan, mat, by_period=True)
    ref_obj, ref_h, binds = _reference(old)
    new = MaterialLP(data, plan, mat)
    # every basis tried on every scenario left (the product stops trying when bases stop
    # paying for their check; these random draws share few bases)
    monkeypatch.setattr(_Bunching, "CHECK_S", 0.0)
    obj, by_h, solves = new.solve_many(np.arange(len(data.scenarios)))
    np.testing.assert_allclose(obj, ref_obj, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(by_h.sum(axis=1), ref_h.sum(axis=1), rtol=1e-7, atol=1e-6)
    assert solves < len(data.scenarios)  # bases were reused, not one solve per scenario
    return binds


@pytest.mark.parametrize(("mode", "theta"), [("bilateral", 0.5), ("bilateral", 1.0),
                                            ("pooled", 0.5)])
def test_tiny_sharing_equals_one_lp_per_scenario(mode: str, theta: float,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/test_model_hand.py's two holders of one product; stocks 10 and 4 t so that A's
    # share cap (theta * 10 t) binds whenever B is cut deeper than it
    data = _random_scenarios(model_data(parse(sharing(20, theta)), mode), 300, 1)
    plan = Plan("p", np.array([[10.0], [4.0]]), frozenset({agreement_key(data, 0)}))
    binds = _compare(data, plan, 0, monkeypatch)
    assert binds["stock"] > 0
    if mode == "bilateral" and theta < 1:
        assert binds["share"] > 0


def _grades_and_route() -> dict:
    """tests/test_evaluate.py's two holders with gallium in two grades and cobalt, now with
    three tiers, demand for both grades at both, a refining route at both (capacities 3
    and 2 t/yr) and an agreement on each material."""
    return _two_holder(
        tiers=[{"id": "essential"}, {"id": "important"}, {"id": "general"}],
        demand=[{"holder": h, "product": k, "annual": d, "shortfall": [
            {"tier": "essential", "share": 0.2, "cost": 300 * f},
            {"tier": "important", "share": 0.3, "cost": 90 * f},
            {"tier": "general", "share": 0.5, "cost": 20 * f}]}
            for h, k, d, f in (("US-DLA", "ga4n", 10, 1), ("US-DLA", "ga6n", 4, 1.5),
                               ("US-DLA", "co", 20, 1), ("JP-JOGMEC", "ga4n", 6, 1.2),
                               ("JP-JOGMEC", "ga6n", 8, 2), ("JP-JOGMEC", "co", 12, 1))],
        routes=[{"id": "refine", "from": "ga4n", "to": "ga6n", "yield": 0.9, "cost": 4,
                 "capacity": {"US-DLA": 3, "JP-JOGMEC": 2}}],
        agreements=[{"holders": ["US-DLA", "JP-JOGMEC"], "material": m, "share_cap": 0.4,
                     "transport_cost": 3} for m in ("gallium", "cobalt")])


def test_grades_route_and_agreement_equal_one_lp_per_scenario(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = _random_scenarios(model_data(parse(_grades_and_route()), "bilateral"), 600, 2)
    plan = Plan("p", np.array([[6.0, 2.0, 5.0], [5.0, 0.0, 2.0]]),  # cobalt lots of 2 t
                frozenset(agreement_key(data, a) for a in range(2)))
    for mat in range(2):
        binds = _compare(data, plan, mat, monkeypatch)
        assert binds["share"] > 0 and binds["stock"] > 0
        if mat == 0:
            assert binds["route"] > 0


@pytest.mark.parametrize(("name", "n"), [("tiny_sharing.yaml", 200),
                                         ("us_japan_2026_quick.yaml", 300),
                                         ("us_japan_2026.yaml", 300)])
def test_shipped_instances_equal_one_lp_per_scenario_and_material(name: str, n: int) -> None:
    # every agreement signed and about four months of demand held, so that sharing and
    # conversion matter in many scenarios; the reference solves every material's old LP
    # in every scenario, so the screen that sends scenarios to the LP is checked as well
    inst = load(ROOT / "instances" / name)
    data = sample(inst, n, 7).apply(model_data(inst, "bilateral"))
    lots = np.ceil(data.demand / 3 / data.lot[None, :])
    plan = Plan("p", lots, frozenset(agreement_key(data, a)
                                     for a in range(len(data.agreement_material))),
                status=STRESS)
    ev = evaluate(data, plan)
    ref = np.zeros((n, len(data.holders), len(data.materials)))
    cost = np.zeros(n)
    for mat in range(len(data.materials)):
        obj, by_h, _ = _reference(MaterialLP(data, plan, mat, by_period=True))
        cost += obj
        ref[:, :, mat] = by_h
    assert ev.lp_scenarios > 0
    np.testing.assert_allclose(ev.second, cost, rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(ev.shortfall.sum(axis=1), ref.sum(axis=1), rtol=1e-7, atol=1e-4)


@pytest.mark.parametrize("mode", ["bilateral", "pooled"])
def test_evaluator_lp_is_the_model_builders_with_periods_merged(mode: str) -> None:
    # The evaluator writes no row of constraints 5-9: its per-period LP is build_arrays's
    # second stage for the material (the plan's stock as opening inventory), and merging a
    # demand row's periods makes that (h, k)'s release, shipment and tier columns coincide
    # period by period: each merged column must equal the sum, over merged rows, of every
    # per-period column it stands for, at the same cost. Gallium has a route into ga6n at
    # both holders, so ga6n keeps its periods and ga4n's merge.
    data = model_data(parse(_grades_and_route()), mode)  # type: ignore[arg-type]
    plan = Plan("p", np.array([[6.0, 2.0, 5.0], [5.0, 1.0, 2.0]]),
                frozenset({agreement_key(data, 0)}))
    arr = second_stage_template(data, plan)
    for mat in range(2):
        full = _material_lp(data, plan, arr, mat, by_period=True)
        merged = _material_lp(data, plan, arr, mat, by_period=False)
        col = {k: j for j, k in enumerate(merged.cols)}
        row = {k: i for i, k in enumerate(merged.rows)}
        assert len(merged.cols) < len(full.cols)  # something merged
        dem_periods = {(k[2], k[3]) for k in merged.rows if k[0] == "dem"}
        if mat == 0:  # ga4n (product 0) merged, ga6n (product 1) by period
            assert {t for k, t in dem_periods if k == 0} == {-1}
            assert {t for k, t in dem_periods if k == 1} == set(range(len(data.periods)))
        else:
            assert {t for _k, t in dem_periods} == {-1}
        for j, key in enumerate(full.cols):
            into = col.get(key, col.get((*key[:-1], -1)))
            assert into is not None, key
            want: dict[int, float] = {}
            c = full.A[:, j]
            for i, v in zip(c.indices, c.data):
                rk = full.rows[i]
                i2 = row.get(rk, row.get((*rk[:-1], -1)))
                want[i2] = want.get(i2, 0.0) + v
            got = merged.A[:, into]
            assert dict(zip(got.indices.tolist(), got.data.tolist())) == want, key
            assert full.cost[j] == merged.cost[into]
        kinds = {k[0] for k in full.cols}
        assert {"r", "u"} <= kinds and (mat == 1 or "v" in kinds)
        # cobalt's agreement is not signed: no shipment of cobalt in bilateral mode
        assert ("e" in kinds) == (mode == "pooled" or mat == 0)


def test_evaluate_sample_is_the_chunks_evaluated_one_by_one() -> None:
    # 1,000 scenarios in chunks of 300 (300, 300, 300, 100): the same figures from 1 and 2
    # worker processes, each chunk equal to evaluating its own draw (seeds spawned from 5)
    inst = load(ROOT / "instances" / "us_japan_2026_quick.yaml")
    data = model_data(inst, "bilateral")
    lots = np.ceil(data.demand / 3 / data.lot[None, :])
    plan = Plan("p", lots, frozenset(agreement_key(data, a)
                                     for a in range(len(data.agreement_material))),
                status=STRESS)
    one = evaluate_sample(inst, data, plan, 1000, 5, chunk=300, workers=1)
    two = evaluate_sample(inst, data, plan, 1000, 5, chunk=300, workers=2)
    assert one.second.shape == (1000,) and one.probability.sum() == pytest.approx(1.0)
    np.testing.assert_array_equal(one.second, two.second)
    seeds = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(5).spawn(4)]
    last = evaluate(sample(inst, 100, seeds[3]).apply(data), plan)
    np.testing.assert_array_equal(one.second[900:], last.second)
    np.testing.assert_array_equal(one.shortfall[900:], last.shortfall)
    assert one.lp_scenarios > 0
