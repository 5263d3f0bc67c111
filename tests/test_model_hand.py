"""Tiny instances whose optimum is derived by hand in each test.

Unless a test says otherwise (see conftest.BASE): one holder A, one product ga4n of
material ga, price 10 USD/t, lot 1 t, holding cost 1 USD/t/yr charged for Y = 1 year (so a
tonne held costs 11), demand 10 t/yr in one period of 1 year, one tier at 100 USD/t unmet,
and two scenarios of probability 1/2: calm (a = 1) and cut (a = 0 for ga). A tonne held
saves 0.5 * 100 = 50 in expectation, more than the 11 it costs.
"""

from __future__ import annotations

import pytest

from conftest import solve_dict, tiny

TWO_HOLDERS = {
    "holders": [{"id": "A", "budget": 1e6}, {"id": "B", "budget": 1e6}],
    "demand": [{"holder": h, "product": "ga4n", "annual": 10,
             "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]} for h in "AB"],
    # each holder is cut alone with probability 1/4: a tonne held saves 0.25 * 100 = 25 > 11
    "scenarios": [{"id": "calm", "probability": 0.5},
               {"id": "cutA", "probability": 0.25,
                "supply": [{"holder": "A", "material": "ga", "values": 0}]},
               {"id": "cutB", "probability": 0.25,
                "supply": [{"holder": "B", "material": "ga", "values": 0}]}],
}


def objective(raw: dict, mode: str = "bilateral") -> float:
    out = solve_dict(raw, mode)
    assert out.stats.status == "optimal", out.stats.message
    assert out.figures is not None
    # the extracted terms add up to the solver's objective
    assert out.figures.objective_recomputed == pytest.approx(out.stats.objective, rel=1e-9)
    return float(out.stats.objective)


def stock(raw: dict, mode: str = "bilateral") -> dict[tuple[str, str], float]:
    out = solve_dict(raw, mode)
    assert out.figures is not None
    return {(r.holder, r.product): r.stock_t for r in out.figures.plan}


def test_buy_full_cover(base: dict) -> None:
    # 10 t at 11 = 110 covers the cut fully: 110 < 500 (no stock: 0.5 * 10 * 100)
    assert objective(base) == pytest.approx(110.0)
    assert stock(base)[("A", "ga4n")] == 10


def test_lots_round_up() -> None:
    # lot 4 t: 2 lots = 8 t cost 88 + 0.5 * 2 * 100 = 188; 3 lots = 12 t cost 132. Optimum 132.
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 4,
                          "holding_cost": 1}])
    assert objective(raw) == pytest.approx(132.0)
    out = solve_dict(raw)
    assert out.figures.plan[0].lots == 3


def test_budget_binding() -> None:
    # lot 4 t costs 40; budget 100 allows 2 lots = 8 t: 88 + 0.5 * 2 * 100 = 188
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 4,
                          "holding_cost": 1}],
               holders=[{"id": "A", "budget": 100}])
    assert objective(raw) == pytest.approx(188.0)


def test_storage_binding_with_facility_cost() -> None:
    # 0.25 m3/t in a 2 m3 facility costing 5: at most 8 t. 8 * 11 + 5 + 0.5 * 2 * 100 = 193
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1,
                          "holding_cost": 1, "volume": 0.25}],
               holders=[{"id": "A", "budget": 1e6,
                         "facilities": [{"id": "depot", "capacity": 2, "fixed_cost": 5}]}])
    out = solve_dict(raw)
    assert out.stats.objective == pytest.approx(193.0)
    (fac,) = out.figures.facilities
    assert fac.used and fac.used_m3 == pytest.approx(2.0)


def test_tiers_stop_at_the_cheap_tier() -> None:
    # 30% essential at 1000/t (saves 500/t in expectation), 70% general at 5/t (saves 2.5 < 11):
    # hold 3 t: 33 + 0.5 * 7 * 5 = 50.5
    raw = tiny(demand=[{"holder": "A", "product": "ga4n", "annual": 10, "shortfall": [
        {"tier": "essential", "share": 0.3, "cost": 1000},
        {"tier": "general", "share": 0.7, "cost": 5}]}])
    assert objective(raw) == pytest.approx(50.5)


def test_market_cap_shared_by_holders() -> None:
    # both holders cut together; beta W = 0.012 * 1000 = 12 t in all.
    # 12 * 11 + 0.5 * (20 - 12) * 100 = 132 + 400 = 532
    raw = tiny(holders=TWO_HOLDERS["holders"], demand=TWO_HOLDERS["demand"],
               materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 0.012}])
    assert objective(raw) == pytest.approx(532.0)


def _half_metal(content: float) -> dict:
    # demand 30 t/yr, cut with probability 1/2; beta W = 0.01 * 1000 = 10 t of contained ga
    return tiny(materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 0.01}],
                products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1,
                           "holding_cost": 1, "metal_content": content,
                           "metal_content_source": "hand test"}],
                demand=[{"holder": "A", "product": "ga4n", "annual": 30,
                         "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]}])


def test_market_cap_counts_contained_metal() -> None:
    # metal_content 0.5: the cap of 10 t of ga allows 10 / 0.5 = 20 t of product (a tonne
    # held saves 50 > 11, so the cap binds): 20 * 11 + 0.5 * (30 - 20) * 100 = 220 + 500 = 720.
    # With metal_content 1 (the canonical model) only 10 t: 110 + 0.5 * 20 * 100 = 1,110.
    assert objective(_half_metal(0.5)) == pytest.approx(720.0)
    assert stock(_half_metal(0.5))[("A", "ga4n")] == 20
    assert objective(_half_metal(1.0)) == pytest.approx(1110.0)


def test_rule_plans_checked_and_scaled_in_contained_metal() -> None:
    # the one feasibility check and the scale-back count contained metal too: 30 t of a
    # product with half its weight in ga is 15 t of ga against a cap of 10 t, scaled back by
    # 10 / 15 to 20 lots; 20 lots (10 t of ga) pass
    import numpy as np

    from stockpile.instance import parse
    from stockpile.model import costs
    from stockpile.model.data import model_data
    from stockpile.model.plan import Plan

    data = model_data(parse(_half_metal(0.5)))
    assert data.max_lots()[0, 0] == 20
    over = Plan("rule", np.array([[30.0]]))
    assert costs.violations(data, over) == ["market cap of ga: 15 t bought, cap 10 t"]
    scaled = costs.scale_back(data, over)
    assert scaled.lots[0, 0] == 20 and scaled.notes == ["market cap of ga: purchases x 0.667"]
    assert costs.violations(data, Plan("rule", np.array([[20.0]]))) == []


def test_existing_inventory_and_its_holding_cost() -> None:
    # I0 = 5 t: buy 5 more (50) and hold 10 t (10): 60
    raw = tiny(inventory=[{"holder": "A", "product": "ga4n", "tonnes": 5}])
    assert objective(raw) == pytest.approx(60.0)


@pytest.mark.parametrize(("sigma", "expected"), [(200, 310.0), (400, 500.0)])
def test_programme_fixed_cost(sigma: float, expected: float) -> None:
    # with the programme: 110 + sigma; without: 0.5 * 10 * 100 = 500
    raw = tiny(programmes=[{"holder": "A", "material": "ga", "fixed_cost": sigma}])
    assert objective(raw) == pytest.approx(expected)


def test_stock_lasts_across_periods() -> None:
    # two half-year periods, cut in both: 5 t deficit each; one stock of 10 t covers both: 110
    raw = tiny(periods=[{"id": "h1", "years": 0.5}, {"id": "h2", "years": 0.5}],
               products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 0.5,
                          "holding_cost": 1}])
    assert objective(raw) == pytest.approx(110.0)
    raw["scenarios"][0]["demand"] = [{"material": "ga", "values": [1.0, 1.5]}]
    # calm: deficit 0.5 * 10 * 0.5 = 2.5 t in h2; cut: 10 t. Holding 10 t: calm is covered
    # too, since stock is used per scenario. So still 110.
    assert objective(raw) == pytest.approx(110.0)
    raw["scenarios"][1]["demand"] = [{"material": "ga", "values": [1.0, 1.5]}]
    # cut with surge: deficit 5 + 7.5 = 12.5 t -> hold 12.5 t: 137.5
    assert objective(raw) == pytest.approx(137.5)


def test_conversion_route_with_capacity() -> None:
    # Demand is for metal (price 50, lot 0.5), cut with p = 1/2, unmet 200/t (saves 100/t).
    # Oxide (price 10) converts to metal at yield 0.5 for 2 per input tonne, 10 t input/yr:
    # a metal tonne via oxide costs 2 * 10 + 0.5 * 2 * 2 = 22 < 50, up to 5 t of metal.
    # Hold 10 t oxide (100 + expected conversion 0.5 * 10 * 2 = 10) and 5 t metal (250): 360.
    raw = tiny(
        holding_years=0,
        products=[{"id": "ox", "material": "ga", "price": 10, "lot": 1},
                  {"id": "metal", "material": "ga", "price": 50, "lot": 0.5}],
        demand=[{"holder": "A", "product": "metal", "annual": 10,
                 "shortfall": [{"tier": "essential", "share": 1, "cost": 200}]}],
        routes=[{"id": "reduce", "from": "ox", "to": "metal", "yield": 0.5, "cost": 2,
                 "capacity": {"A": 10}}],
        scenarios=[{"id": "calm", "probability": 0.5},
                   {"id": "cut", "probability": 0.5,
                    "supply": [{"product": "metal", "values": 0}]}])
    assert objective(raw) == pytest.approx(360.0)
    # The cut also halves conversion capacity (g = 0.5): 5 t oxide -> 2.5 t metal,
    # 7.5 t metal bought: 50 + 0.5 * 5 * 2 + 375 = 430
    raw["scenarios"][1]["conversion"] = [{"route": "reduce", "values": 0.5}]
    assert objective(raw) == pytest.approx(430.0)


def sharing(psi: float, theta: float, budget_b: float = 1e6) -> dict:
    return tiny(
        holders=[{"id": "A", "budget": 1e6}, {"id": "B", "budget": budget_b}],
        demand=TWO_HOLDERS["demand"], scenarios=TWO_HOLDERS["scenarios"],
        agreements=[{"holders": ["A", "B"], "material": "ga", "fixed_cost": psi,
                     "share_cap": theta, "transport_cost": 2}])


def test_national_each_holds_its_own() -> None:
    # each holder: 10 t at 11 = 110; both: 220
    assert objective(sharing(20, 1.0), "national") == pytest.approx(220.0)


def test_agreement_that_pays() -> None:
    # One 10 t stock serves whichever holder is cut: 110 + psi 20 + transport
    # 0.25 * 10 * 2 = 5 -> 135 < 220 (national)
    out = solve_dict(sharing(20, 1.0))
    assert out.stats.objective == pytest.approx(135.0)
    (ag,) = out.figures.agreements
    assert ag.signed
    assert sum(f.tonnes for f in ag.flows) == pytest.approx(10.0)
    # settlement: the receiver pays the sender 10/t; the transfers cancel out in total
    settled = sum(h.expected_cost_settled for h in out.figures.holders)
    assert settled == pytest.approx(135.0)


def test_agreement_that_does_not_pay() -> None:
    # psi = 200: 135 - 20 + 200 = 315 > 220, so no agreement and the national optimum
    out = solve_dict(sharing(200, 1.0))
    assert out.stats.objective == pytest.approx(220.0)
    assert not out.figures.agreements[0].signed


def test_agreement_blocked_by_partner_budget() -> None:
    # B pays half of psi = 10 but its budget is 5: no agreement; B buys nothing either
    # (any purchase costs 10 > 5). A: 110; B unmet 0.25 * 10 * 100 = 250 -> 360
    assert objective(sharing(20, 1.0, budget_b=5)) == pytest.approx(360.0)


def test_share_cap_binding() -> None:
    # theta = 0.5. Covering both scenarios needs X_A + X_B/2 >= 10 and X_B + X_A/2 >= 10,
    # so X_A + X_B >= 13.33 -> 14 t (154); shipped in all 20 - 14 = 6 t at 0.25 * 2: 3;
    # psi 20 -> 177. With 13 t: 143 + 20 + 12.5 unmet + 3.25 transport = 178.75 > 177.
    assert objective(sharing(20, 0.5)) == pytest.approx(177.0)


def test_pooled_is_the_bound() -> None:
    # pooled: theta = 1, psi = 0, transport 2 from the listed agreement: 110 + 5 = 115,
    # below bilateral with the share cap (177) and without (135)
    assert objective(sharing(20, 0.5), "pooled") == pytest.approx(115.0)


def test_no_stock_baseline() -> None:
    # base: no stock costs 0.5 * 10 * 100 = 500 in expectation; the plan avoids all of it
    out = solve_dict(tiny())
    assert out.figures.no_stock.expected_shortfall_cost == pytest.approx(500.0)
    assert out.figures.no_stock.expected_shortfall_avoided == pytest.approx(500.0)
    dist = out.figures.scenario_cost_distribution
    assert dist.mean == pytest.approx(110.0) and dist.cvar95 == pytest.approx(110.0)


def test_unequal_periods_and_three_scenarios() -> None:
    # Periods of 0.5 and 2 years; three scenarios (so no axis of length 2 hides a mix-up):
    #   calm p = 0.5: nothing; early p = 0.3: cut only in the first period (deficit 5 t);
    #   late p = 0.2: cut only in the second period (deficit 20 t).
    # Holding X t: the first 5 t serve both cut scenarios (saves (0.3 + 0.2) * 100 = 50/t),
    # the next 15 t only 'late' (saves 0.2 * 100 = 20/t > 11). Hold 20 t: 220.
    # Tonne 21 saves nothing. Shortfall with no stock: 0.3 * 500 + 0.2 * 2000 = 550.
    raw = tiny(periods=[{"id": "p1", "years": 0.5}, {"id": "p2", "years": 2}],
               scenarios=[{"id": "calm", "probability": 0.5},
                          {"id": "early", "probability": 0.3,
                           "supply": [{"material": "ga", "values": [0, 1]}]},
                          {"id": "late", "probability": 0.2,
                           "supply": [{"material": "ga", "values": [1, 0]}]}])
    out = solve_dict(raw)
    assert out.stats.objective == pytest.approx(220.0)
    assert out.figures.no_stock.expected_shortfall_cost == pytest.approx(550.0)
    # holding cost 15/t, so a tonne costs 25: the late-only tonnes (save 20) no longer pay,
    # the first 5 t (save 50) still do: 5 * 25 + 0.2 * 15 * 100 = 425
    raw["products"][0]["holding_cost"] = 15
    assert objective(raw) == pytest.approx(425.0)
