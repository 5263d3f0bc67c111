"""Why this plan (stockpile/analysis/why.py) on tiny instances derived by hand.

The base (tests/conftest.py): one holder A, product ga4n of material ga, price 10 USD/t,
holding 1 USD/t/yr for Y = 1 year, demand 10 t/yr for one year, one tier at 100 USD/t unmet,
scenarios calm and cut (supply 0) at 1/2 each. A tonne held avoids 0.5 * 100 = 50 in
expectation and costs 10 + 1 = 11, so each extra tonne the limits allow is worth 50 - 11 = 39.
"""

from __future__ import annotations

import pytest

from conftest import solve_dict, tiny
from stockpile.report.markdown import render_markdown


def _limit(why: dict, kind: str, name: str) -> dict:
    (row,) = [r for r in why["limits"] if r["kind"] == kind and r["name"] == name]
    return row


def test_budget_binding_marginal_value_and_last_lot() -> None:
    # lot 4 t (40 USD), budget 60: the plan buys 1 lot (4 t); objective 44 + 0.5 * 6 * 100 = 344.
    # With fractional lots the budget buys 6 t; one more USD buys 0.1 t worth 0.1 * 39 = 3.9.
    # The last (only) lot avoids 0.5 * 4 * 100 = 200 in the cut scenario: 200 / 44 per USD of
    # its cost in the objective (price 40 plus holding 4), 200 / 40 = 5 per USD of price.
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 4,
                          "holding_cost": 1}], holders=[{"id": "A", "budget": 60}])
    out = solve_dict(raw)
    assert out.stats.objective == pytest.approx(344.0)
    why = out.figures.why
    assert why["fixed_objective"] == pytest.approx(344.0)
    assert why["relaxed_objective"] == pytest.approx(66 + 0.5 * 4 * 100)
    budget = _limit(why, "budget", "A")
    assert budget["limit"] == 60 and budget["used"] == pytest.approx(40.0)
    assert budget["marginal_value"] == pytest.approx(3.9)
    assert budget["binding"]
    (lot,) = why["purchases"]
    assert lot["lots"] == 1 and lot["last_lot_avoids"] == pytest.approx(200.0)
    assert lot["lot_objective_cost"] == pytest.approx(44.0)
    assert lot["avoided_per_usd"] == pytest.approx(200 / 44)
    assert lot["avoided_per_budget_usd"] == pytest.approx(5.0)
    (driver,) = lot["drivers"]
    assert driver["scenario"] == "cut" and driver["share"] == pytest.approx(1.0)
    assert driver["avoided"] == pytest.approx(400.0)
    # the market cap (1,000 t) is far away: not binding, worth nothing
    cap = _limit(why, "market cap", "ga")
    assert not cap["binding"] and cap["marginal_value"] == pytest.approx(0.0)


def test_last_lot_cost_is_net_of_the_residual_value() -> None:
    # Issue 20 item 2: with E1 a lot's cost is not its price. omega = 0.8, capital cost 10 %/yr
    # (0.1 x 0.8 x 10 = 0.8 <= holding 1): a tonne costs (1 - 0.8) 10 + 1 = 3 in the
    # objective. Cut with probability 0.08: a tonne avoids 0.08 x 100 = 8 > 3, so the plan
    # buys all 10 t (objective 30). The last tonne avoids 8: 8 / 3 per USD of its cost (at
    # least 1, as at any optimum) but only 8 / 10 = 0.8 per USD of price, which is no
    # contradiction: the budget pays 10, the objective counts 3.
    raw = tiny(capital_cost={"rate": 0.1, "source": "test"},
               scenarios=[{"id": "calm", "probability": 0.92},
                          {"id": "cut", "probability": 0.08,
                           "supply": [{"material": "ga", "values": 0}]}])
    raw["products"][0]["residual_value_share"] = 0.8
    out = solve_dict(raw)
    assert out.stats.objective == pytest.approx(30.0)
    (lot,) = out.figures.why["purchases"]
    assert lot["lots"] == 10 and lot["last_lot_avoids"] == pytest.approx(8.0)
    assert lot["lot_objective_cost"] == pytest.approx(3.0)
    assert lot["lot_residual_credit"] == pytest.approx(8.0)
    assert lot["avoided_per_usd"] == pytest.approx(8 / 3)
    assert lot["avoided_per_budget_usd"] == pytest.approx(0.8)
    md = render_markdown(out.as_dict())
    assert "All 1 last lots avoid at least their cost in the objective (lowest ratio 2.67)" in md


def test_storage_binding_marginal_value() -> None:
    # 0.25 m3/t in a 2 m3 facility: 8 t. One more m3 holds 4 t more, 4 * 39 = 156.
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1,
                          "holding_cost": 1, "volume": 0.25}],
               holders=[{"id": "A", "budget": 1e6,
                         "facilities": [{"id": "depot", "capacity": 2, "fixed_cost": 5}]}])
    why = solve_dict(raw).figures.why
    depot = _limit(why, "storage", "depot")
    assert depot["used"] == pytest.approx(2.0) and depot["binding"]
    assert depot["marginal_value"] == pytest.approx(156.0)
    assert _limit(why, "budget", "A")["marginal_value"] == pytest.approx(0.0)


def test_market_cap_binding_marginal_value() -> None:
    # cap 0.006 * 1000 = 6 t, lots of 4 t: the plan buys 1 lot; fractional, 6 t. One more
    # tonne of cap is worth 39. The builder writes no cap row here (one lot already fills the
    # bound), so the explanation adds it.
    raw = tiny(materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 0.006}],
               products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 4,
                          "holding_cost": 1}])
    why = solve_dict(raw).figures.why
    cap = _limit(why, "market cap", "ga")
    assert cap["limit"] == pytest.approx(6.0) and cap["used"] == pytest.approx(4.0)
    assert cap["marginal_value"] == pytest.approx(39.0)


def test_solve_report_names_binding_limits() -> None:
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 4,
                          "holding_cost": 1}], holders=[{"id": "A", "budget": 60}])
    md = render_markdown(solve_dict(raw).as_dict())
    assert "Binding limits (the value of one more unit): budget A (67% used, USD 3.90 per " \
           "extra USD)" in md
    assert "| budget | A | USD | 60 | 40 | 66.7% | yes | 3.90 |" in md
    assert "| A | ga4n | 1 | 4 | 40 | 44 | 200 | 4.55 | 5.00 | cut (100%) |" in md
    assert "plus holding for 1.0 year USD 4" in md


def _with_antimony(tier_cost: float, budget: float = 1e6, world: float = 1000.0) -> dict:
    """BASE plus antimony: product sb1 at 100 USD/t (lot 1 t, holding 1 USD/t/yr), demand
    10 t/yr, one tier at ``tier_cost`` per tonne unmet, cut together with gallium."""
    return tiny(
        holders=[{"id": "A", "budget": budget}],
        materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 1.0},
                   {"id": "sb", "world_production": world, "market_cap_share": 0.05}],
        products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1, "holding_cost": 1},
                  {"id": "sb1", "material": "sb", "price": 100, "lot": 1, "holding_cost": 1}],
        demand=[{"holder": "A", "product": p, "annual": 10,
                 "shortfall": [{"tier": "essential", "share": 1, "cost": c}]}
                for p, c in (("ga4n", 100), ("sb1", tier_cost))],
        scenarios=[{"id": "calm", "probability": 0.5},
                   {"id": "cut", "probability": 0.5,
                    "supply": [{"material": m, "values": 0} for m in ("ga", "sb")]}])


@pytest.mark.parametrize(("tier_cost", "budget", "world", "avoided", "limit"), [
    # a tonne of antimony avoids 0.5 x 150 = 75 < its cost 100 + 1: not worth it
    (150, 1e6, 1000, 75.0, "not worth its cost"),
    # at 250 it avoids 125 > 101, but gallium (39 net per 10 USD) takes the whole budget of
    # 100 first: no room for a lot of 100 USD
    (250, 100, 1000, 125.0, "budget"),
    # a cap of 5 % of 10 t = 0.5 t holds no whole lot of 1 t: the model has no variable
    (250, 1e6, 10, None, "market cap"),
])
def test_why_not_gives_the_first_lot_and_the_limit(tier_cost: float, budget: float,
                                                   world: float, avoided: float | None,
                                                   limit: str) -> None:
    # Issue 20 item 5: a material with demand and no purchase gets its reason in numbers.
    out = solve_dict(_with_antimony(tier_cost, budget, world))
    why = out.figures.why
    assert {p["product"] for p in why["purchases"]} == {"ga4n"}
    (row,) = why["why_not"]
    assert (row["material"], row["holder"], row["product"]) == ("sb", "A", "sb1")
    assert row["lot_objective_cost"] == pytest.approx(101.0)
    assert row["limit"] == limit
    if avoided is None:
        assert row["first_lot_avoids"] is None
    else:
        assert row["first_lot_avoids"] == pytest.approx(avoided)
        assert row["avoided_per_usd"] == pytest.approx(avoided / 101)
    md = render_markdown(out.as_dict())
    shown = "\u2014" if avoided is None else f"{avoided / 101:.2f}"
    assert f"Not bought although there is demand (why, in the 'Why not' table): sb (a first " \
           f"lot avoids A {shown} per USD of its cost; stopped by: {limit})" in md
