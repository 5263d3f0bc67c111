"""The plan under other tier shapes (stockpile/analysis/tiers.py, issue 20 item 12) and the
assumptions marked sourced, derived or assumed, in the result and the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import tiny
from stockpile.analysis.tiers import (
    TierShapeOptions,
    reshape,
    shape_ratios,
    tier_shapes,
    varies,
)
from stockpile.instance import parse
from stockpile.model.data import model_data
from stockpile.pipeline import run_solve
from stockpile.report.tiers_content import tier_shapes_section
from stockpile.solve.highs import SolveOptions

ROOT = Path(__file__).resolve().parents[1]


def two_products() -> dict:
    """Hand instance. One holder, budget 50 USD, two products a and b of two materials at
    10 USD/t (lot 1 t, no holding cost), demand 10 t/yr each, one period of a year and one
    scenario (probability 1) that cuts all supply. Tiers, half the demand each: a essential
    40, general 40 (flat, so no shape changes it); b essential 60, general 6 (ratio 10).
    The budget buys 5 t, which cover the essential half of one product:

    - instance (gamma 1): b's essential tonne (60) beats a's (40): buy 5 t of b.
      50 + a unmet 10 t x 40 + b general 5 t x 6 = 50 + 400 + 30 = 480.
    - flatter (gamma 0.5): b essential 6 x 10 ** 0.5 = 18.97 < 40: buy 5 t of a.
      50 + a general 5 x 40 + b 5 x 18.97 + 5 x 6 = 50 + 200 + 94.87 + 30 = 374.87; the
      instance's plan would cost 480 there, 105.13 more.
    - steeper (gamma 1.5): b essential 6 x 10 ** 1.5 = 189.74: b again, 480, no regret.
    """
    def row(k: str, ess: float, gen: float) -> dict:
        return {"holder": "A", "product": k, "annual": 10,
                "shortfall": [{"tier": "essential", "share": 0.5, "cost": ess},
                              {"tier": "general", "share": 0.5, "cost": gen}]}
    return tiny(
        holders=[{"id": "A", "budget": 50}],
        materials=[{"id": m, "world_production": 1000, "market_cap_share": 1.0}
                   for m in ("ma", "mb")],
        products=[{"id": k, "material": m, "price": 10, "lot": 1}
                  for k, m in (("a", "ma"), ("b", "mb"))],
        demand=[row("a", 40, 40), row("b", 60, 6)],
        scenarios=[{"id": "cut", "probability": 1, "supply": [{"values": 0}]}],
        assumptions=[{"figure": "budget, 50 USD", "basis": "assumed", "source": "hand"},
                     {"figure": "prices", "basis": "sourced", "source": "hand"}])


def test_reshape_keeps_the_cheapest_tier() -> None:
    data = model_data(parse(two_products()))
    flat = reshape(data, 0.5).tier_cost[0]  # (K, Q): tiers essential, general
    np.testing.assert_allclose(flat[0], [40, 40])  # a: one cost, nothing to reshape
    np.testing.assert_allclose(flat[1], [6 * 10 ** 0.5, 6])
    np.testing.assert_allclose(reshape(data, 1.5).tier_cost[0, 1], [6 * 10 ** 1.5, 6])
    np.testing.assert_allclose(reshape(data, 1.0).tier_cost, data.tier_cost)
    # the row with the most demand (a, first of the ties) shows the shape: flat, 1 : 1
    assert shape_ratios(data) == pytest.approx([1.0, 1.0])
    assert varies(data)
    assert not varies(model_data(parse(tiny())))  # one tier: every shape is the same
    with pytest.raises(ValueError, match="gamma"):
        reshape(data, 0.0)


def test_plan_under_other_shapes_by_hand() -> None:
    inst = parse(two_products())
    out = run_solve(inst, "national", SolveOptions(mip_gap=1e-9), why=False)
    assert out.stats.objective == pytest.approx(480.0)
    res = tier_shapes(out.data, out.plan, out.stats.objective, TierShapeOptions(
        mip_gap=1e-9, oos_scenarios=0), inst)
    flat, steep = res["shapes"]
    assert flat["shape"] == "flatter" and flat["status"] == "optimal"
    assert flat["objective"] == pytest.approx(250 + 5 * 6 * 10 ** 0.5 + 30)  # 374.868
    assert flat["base_plan_cost"] == pytest.approx(480.0)
    assert flat["regret"] == pytest.approx(480 - 374.868, abs=1e-3)
    assert flat["materials"] == [  # equal moves: in the materials' order
        {"material": "ma", "base_t": 0.0, "shape_t": 5.0, "change_t": 5.0,
         "change_usd": 50.0},
        {"material": "mb", "base_t": 5.0, "shape_t": 0.0, "change_t": -5.0,
         "change_usd": -50.0}]
    assert flat["moved_share"] == pytest.approx(2.0)  # 50 out of b, 50 into a, of 50 spent
    assert steep["objective"] == pytest.approx(480.0)
    assert steep["regret"] == pytest.approx(0.0, abs=1e-6) and steep["materials"] == []


def test_one_tier_instance_needs_no_resolve() -> None:
    inst = parse(tiny())
    out = run_solve(inst, "national", SolveOptions(mip_gap=1e-9), why=False)
    res = tier_shapes(out.data, out.plan, out.stats.objective, TierShapeOptions(), inst)
    assert res["shapes"] == [] and "every shape is the same" in res["skipped"]


def test_solve_report_shows_the_basis_and_the_shapes(tmp_path: Path) -> None:
    from stockpile import cli

    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two_products()))
    assert cli.main(["solve", str(path), "--out", str(tmp_path / "r"), "--quiet",
                     "--no-check", "--no-why", "--mode", "national"]) == 0
    res = json.loads((tmp_path / "r" / "result.json").read_text())
    ts = res["tier_shapes"]
    assert ts["assumptions"][0] == {"figure": "budget, 50 USD", "basis": "assumed",
                                    "source": "hand"}
    assert [s["shape"] for s in ts["shapes"]] == ["flatter", "steeper"]
    assert ts["shapes"][0]["regret"] == pytest.approx(105.13, abs=0.01)
    md = (tmp_path / "r" / "report.md").read_text()
    assert "1 sourced (a published figure), 0 derived" in md and "| budget, 50 USD | assumed" \
        in md
    # the ratios shown are those of the row with the most demand (a, first of the ties: flat)
    assert "| flatter (exponent 0.5) | 1.0 : 1.0 | solved within the gap |" in md
    assert "| USD +105 | — | 200.0% | ma +5 t; mb -5 t |" in md  # no "to": regret_max = regret
    assert cli.main(["solve", str(path), "--out", str(tmp_path / "s"), "--quiet",
                     "--no-check", "--no-why", "--no-tier-shapes"]) == 0
    skipped = json.loads((tmp_path / "s" / "result.json").read_text())["tier_shapes"]
    assert skipped["skipped"] == "--no-tier-shapes" and len(skipped["assumptions"]) == 2


def test_section_without_figures_says_how_to_get_them() -> None:
    sec = tier_shapes_section({})
    assert "--no-tier-shapes" in sec.paragraphs[0] and not sec.tables


def test_shipped_default_marks_japan_assumed() -> None:
    from stockpile.instance import load

    marks = {a.figure: a.basis for a in load(ROOT / "instances" / "us_japan_2026.yaml")
             .assumptions}
    assert marks["Japan's demand"] == "assumed"
    assert marks["JP-JOGMEC budget, USD 0.5 bn"] == "assumed"
    assert marks["Tier shape 500 : 100 : 10 x price x f_m"] == "assumed"
    assert marks["US-DLA budget, USD 2.0 bn for the whole plan"] == "sourced"
    assert set(marks.values()) == {"sourced", "derived", "assumed"}
