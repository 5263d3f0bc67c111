"""The coalition game: Shapley value and core, by hand and through the solves."""

from __future__ import annotations

import math

import pytest

from conftest import tiny
from stockpile.analysis import coalitions as game
from stockpile.analysis.compare import CompareOptions, run_compare
from stockpile.instance import parse
from stockpile.solve.highs import SolveOptions

F = frozenset


def three_holders() -> dict:
    """A, B, C: demand 10 t/yr each, 100 USD/t unmet, a tonne held costs 11.
    Scenarios: calm 0.4; cutA, cutB, cutC 0.2 each (one holder loses all supply).
    Candidate agreements (share cap 1, transport 2 USD/t): A-B and A-C for 20 USD, B-C 200.

    c({i}) = 110: hold 10 t (a tonne saves 0.2 * 100 = 20 > 11).
    c({A,B}) = c({A,C}) = 134: one 10 t stock (110) + agreement 20 + transport
      0.2 * 10 * 2 = 4 (the stock serves whichever member is cut); against 220 apart.
    c({B,C}) = 220: sharing would cost 110 + 200 + 4 = 314 > 220.
    c({A,B,C}) = 158: 10 t (110) + A-B and A-C (40) + transport for the two cuts that are
      not at the stock's holder 0.4 * 10 * 2 = 8; against 244 (A-B + C alone) or 330.

    Shapley (weights 1/3 for |S| = 0 and 2, 1/6 for |S| = 1):
      phi_A = 110/3 + (24 + 24)/6 + (158 - 220)/3 = 36.67 + 8 - 20.67 = 24
      phi_B = 110/3 + (24 + 110)/6 + (158 - 134)/3 = 36.67 + 22.33 + 8 = 67 = phi_C
    Core: x_B, x_C in [24 - e, 110 + e] (from x(AC), x(AB) <= 134 + e and x_i <= 110 + e)
      needs e >= -43; at e = -43, x = (24, 67, 67) fits every other row, so eps* = -43: the
      core is not empty and the Shapley split is its least-core point; largest excess -43.
    """
    return tiny(
        holders=[{"id": h, "budget": 1e6} for h in "ABC"],
        demand=[{"holder": h, "product": "ga4n", "annual": 10,
                 "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]} for h in "ABC"],
        scenarios=[{"id": "calm", "probability": 0.4}] + [
            {"id": f"cut{h}", "probability": 0.2,
             "supply": [{"holder": h, "material": "ga", "values": 0}]} for h in "ABC"],
        agreements=[{"holders": list(p), "material": "ga", "fixed_cost": c, "share_cap": 1,
                     "transport_cost": 2} for p, c in (("AB", 20), ("AC", 20), ("BC", 200))])


HAND = {F("A"): 110.0, F("B"): 110.0, F("C"): 110.0, F("AB"): 134.0, F("AC"): 134.0,
        F("BC"): 220.0, F("ABC"): 158.0}
PLAYERS = ["A", "B", "C"]


def test_shapley_and_core_from_hand_costs() -> None:
    phi = game.shapley_exact(PLAYERS, HAND)
    assert phi == pytest.approx({"A": 24.0, "B": 67.0, "C": 67.0})
    eps, split = game.least_core(PLAYERS, HAND)
    assert eps == pytest.approx(-43.0)
    assert sum(split.values()) == pytest.approx(158.0)
    core = game.check_core(PLAYERS, HAND, phi, dict.fromkeys(HAND, 0.0))
    assert not core.core_empty and core.shapley_in_core and core.complete
    assert core.shapley_max_excess == pytest.approx(-43.0)


def test_sampled_shapley_converges_with_its_error() -> None:
    orders = game.sample_orders(PLAYERS, 4000, seed=1)
    phi, se = game.shapley_sampled(PLAYERS, HAND, orders)
    exact = game.shapley_exact(PLAYERS, HAND)
    for p in PLAYERS:
        assert 0 < se[p] < 3
        assert abs(phi[p] - exact[p]) < 4 * se[p]
    assert sum(phi.values()) == pytest.approx(158.0)  # every order splits c(N) exactly
    # an additive game: every order gives the same contributions, so no sampling error
    additive = {s: 10.0 * len(s) + sum(ord(p) for p in s) for s in game.all_coalitions(PLAYERS)}
    phi, se = game.shapley_sampled(PLAYERS, additive, game.sample_orders(PLAYERS, 5, seed=2))
    assert phi == pytest.approx({p: 10.0 + ord(p) for p in PLAYERS})
    assert all(v == 0 for v in se.values())


def test_gap_effect_bounds_the_shapley_shift() -> None:
    gaps = dict.fromkeys(HAND, 1.0)  # every c(S) known within 1 USD
    # each side of the marginal contributions has weights summing to 1, minus c(empty) = 0:
    # 1 + (1 - 1/3) = 5/3
    assert game.shapley_gap_effect(PLAYERS, gaps)["A"] == pytest.approx(5 / 3)


def compare(raw: dict, **kw) -> dict:
    opts = CompareOptions(solve=SolveOptions(mip_gap=1e-9), workers=kw.pop("workers", 1),
                          rules=False, **kw)
    return run_compare(parse(raw), options=opts)


def test_three_holder_game_through_the_solves() -> None:
    g = compare(three_holders())["game"]
    assert g["method"] == "exact"
    costs = {F(c["members"]): c["objective"] for c in g["coalitions"]}
    assert costs == pytest.approx(HAND)
    assert {s["holder"]: s["shapley"] for s in g["shapley"]} == pytest.approx(
        {"A": 24.0, "B": 67.0, "C": 67.0})
    assert g["core"]["least_core_eps"] == pytest.approx(-43.0)
    assert not g["core"]["core_empty"]
    assert "not empty" in g["core"]["sentence"]


def test_sampling_above_the_exact_limit() -> None:
    # force the sampled path on 3 holders: the estimate still splits c(N) = 158 exactly
    g = compare(three_holders(), exact_max_holders=2, permutations=12, seed=3)["game"]
    assert g["method"].startswith("sampled (12")
    assert sum(s["shapley"] for s in g["shapley"]) == pytest.approx(158.0)
    assert all(math.isfinite(s["standard_error"]) for s in g["shapley"])


def test_market_cap_split_by_entitlement() -> None:
    """Both holders lose supply together (probability 1/2); the market cap is 12 t in all and
    both demand 10 t/yr, so each is entitled to 6 t. Alone: 6 * 11 + 0.5 * 4 * 100 = 266.
    Together they share the 12 t: 12 * 11 + 0.5 * 8 * 100 = 532 = 266 + 266: no gain, the
    core is the single split (266, 266), eps* = 0, and Shapley gives exactly that."""
    raw = tiny(holders=[{"id": "A", "budget": 1e6}, {"id": "B", "budget": 1e6}],
               demand=[{"holder": h, "product": "ga4n", "annual": 10,
                        "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]}
                       for h in "AB"],
               materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 0.012}])
    g = compare(raw)["game"]
    assert {s["holder"]: s["standalone"] for s in g["shapley"]} == pytest.approx(
        {"A": 266.0, "B": 266.0})
    assert {s["holder"]: s["shapley"] for s in g["shapley"]} == pytest.approx(
        {"A": 266.0, "B": 266.0})
    core = g["core"]
    assert not core["core_empty"]
    assert core["least_core_eps"] == pytest.approx(0.0, abs=1e-6)


def test_empty_core_detected() -> None:
    """Three holders, c(i) = 1, c(ij) = 1, c(N) = 2. Pairs: x_i + x_j <= 1 + eps for all three
    pairs; adding them, 2 x(N) = 4 <= 3 + 3 eps, so eps* = 1/3 (at x = 2/3 each): the core is
    empty. Shapley: by symmetry 2/3 each, excess 2/3 + 2/3 - 1 = 1/3 on every pair."""
    players = ["A", "B", "C"]
    cost = {frozenset(s): v for s, v in [("A", 1), ("B", 1), ("C", 1), ("AB", 1), ("AC", 1),
                                          ("BC", 1), ("ABC", 2)]}
    phi = game.shapley_exact(players, cost)
    assert phi == pytest.approx({"A": 2 / 3, "B": 2 / 3, "C": 2 / 3})
    core = game.check_core(players, cost, phi, dict.fromkeys(cost, 0.0))
    assert core.core_empty
    assert core.least_core_eps == pytest.approx(1 / 3)
    assert core.shapley_max_excess == pytest.approx(1 / 3)


def test_parallel_processes_give_the_same_game() -> None:
    g = compare(three_holders(), workers=2)["game"]
    assert {s["holder"]: s["shapley"] for s in g["shapley"]} == pytest.approx(
        {"A": 24.0, "B": 67.0, "C": 67.0})
