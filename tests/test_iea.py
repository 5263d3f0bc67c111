"""IEA-style rule-based sharing, hand-derived (docs/compare.md has the rule).

Stocks are fixed by the data: budgets are 0 (nothing can be bought) and each holder starts
with inventory, holding cost 1 USD/t for Y = 1 year, so the first stage costs the tonnes held.
Demand 10 t/yr per holder, one period of 1 year, shortfall 100 USD/t.
"""

from __future__ import annotations

import pytest

from conftest import solve_dict, tiny
from stockpile.analysis.iea import evaluate_rule
from stockpile.instance import parse
from stockpile.solve.highs import SolveOptions

DEMAND = [{"holder": h, "product": "ga4n", "annual": 10,
           "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]} for h in "ABC"]


def two_holders() -> dict:
    """A holds 6 t, B 4 t; transport 2 USD/t. calm 1/2; cutA 1/4 (A's supply halved: needs 5);
    cutB 1/4 (B's supply gone: needs 10)."""
    return tiny(
        holders=[{"id": "A", "budget": 0}, {"id": "B", "budget": 0}],
        inventory=[{"holder": "A", "product": "ga4n", "tonnes": 6},
                   {"holder": "B", "product": "ga4n", "tonnes": 4}],
        demand=DEMAND[:2],
        scenarios=[{"id": "calm", "probability": 0.5},
                   {"id": "cutA", "probability": 0.25,
                    "supply": [{"holder": "A", "material": "ga", "values": 0.5}]},
                   {"id": "cutB", "probability": 0.25,
                    "supply": [{"holder": "B", "material": "ga", "values": 0}]}],
        agreements=[{"holders": ["A", "B"], "material": "ga", "share_cap": 1,
                     "transport_cost": 2}])


def rule_cost(raw: dict, mode: str, rule: str) -> tuple[float, dict[str, float]]:
    opt = solve_dict(raw, mode)
    out = evaluate_rule(parse(raw), mode, opt.figures, rule, SolveOptions(mip_gap=1e-9))
    assert out["solver"]["status"] == "optimal"
    return out["solver"]["objective"], {h.holder: h.expected_cost_settled
                                        for h in out["figures"].holders}


@pytest.mark.parametrize("mode", ["bilateral", "pooled"])
def test_two_holders_by_hand(mode: str) -> None:
    raw = two_holders()
    # Optimised: holding 10. cutA: A covers its 5 t itself. cutB: B releases 4, A ships 6
    # (transport 12). 10 + 0.25 * 12 = 13.
    assert solve_dict(raw, mode).stats.objective == pytest.approx(13.0)
    # Commitment (w = 6/10, 4/10): cutB: B counts its own 4 t = 0.4 V -> V = 10, A ships
    # 0.6 V = 6: all covered, same as optimised: 13. cutA: self-help, nothing shipped.
    cost, _ = rule_cost(raw, mode, "commitment")
    assert cost == pytest.approx(13.0)
    # Consumption (equal demand: 1/2 each): cutB: B's own share is at most its 4 t = V/2,
    # so A ships at most V/2 = 4; 2 t unmet: 0.25 * (2 * 100 + 4 * 2) = 52; cutA as before.
    # 10 + 52 = 62. Settled: A = 6 - 0.25 * 4 * 10 = -4; B = 4 + 0.25 * (200 + 8 + 40) = 66.
    cost, holders = rule_cost(raw, mode, "consumption")
    assert cost == pytest.approx(62.0)
    assert holders == pytest.approx({"A": -4.0, "B": 66.0})


def test_three_holders_helpers_share_by_rule() -> None:
    """A holds nothing and needs 5 t with probability 1/2 (supply halved). B holds 6 t and ships
    at 2 USD/t; C holds 4 t and ships at 10 USD/t (pooled mode: every pair, the listed
    transport costs). Holding: 10.
    Optimised: B ships 5: 10 + 0.5 * 10 = 15.
    Commitment: A holds nothing, so the participants are B and C with w = 0.6, 0.4:
    B ships 3, C ships 2: 10 + 0.5 * (6 + 20) = 23.
    Consumption (10 t/yr each): 2.5 t each: 10 + 0.5 * (5 + 25) = 25."""
    raw = tiny(
        holders=[{"id": h, "budget": 0} for h in "ABC"],
        inventory=[{"holder": "B", "product": "ga4n", "tonnes": 6},
                   {"holder": "C", "product": "ga4n", "tonnes": 4}],
        demand=DEMAND,
        scenarios=[{"id": "calm", "probability": 0.5},
                   {"id": "cutA", "probability": 0.5,
                    "supply": [{"holder": "A", "material": "ga", "values": 0.5}]}],
        agreements=[{"holders": ["A", "B"], "material": "ga", "share_cap": 1,
                     "transport_cost": 2},
                    {"holders": ["A", "C"], "material": "ga", "share_cap": 1,
                     "transport_cost": 10}])
    assert solve_dict(raw, "pooled").stats.objective == pytest.approx(15.0)
    assert rule_cost(raw, "pooled", "commitment")[0] == pytest.approx(23.0)
    assert rule_cost(raw, "pooled", "consumption")[0] == pytest.approx(25.0)


def test_no_signed_agreement_no_rule() -> None:
    # fixed cost 1 with budgets of 0: the agreement cannot be signed, so every holder is a
    # group of its own and the rule adds no row; the cost equals the optimised one.
    raw = two_holders()
    raw["agreements"][0].update(fixed_cost=1, transport_cost=200)
    opt = solve_dict(raw, "bilateral")
    assert not opt.figures.agreements[0].signed
    out = evaluate_rule(parse(raw), "bilateral", opt.figures, "consumption",
                        SolveOptions(mip_gap=1e-9))
    assert out["rows"] == 0
    assert out["solver"]["objective"] == pytest.approx(opt.stats.objective)


def test_rule_needs_a_joint_mode() -> None:
    raw = two_holders()
    with pytest.raises(ValueError, match="joint mode"):
        evaluate_rule(parse(raw), "national", solve_dict(raw, "national").figures,
                      "commitment", SolveOptions())
