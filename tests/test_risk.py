"""CVaR risk aversion on a hand case; off by default it changes nothing."""

from __future__ import annotations

import io

import pyomo.environ as pyo
import pytest

from stockpile.instance import parse
from stockpile.model.build import build_model
from stockpile.model.data import model_data
from stockpile.model.risk import RiskOptions
from stockpile.solve.highs import SolveOptions, solve
from tests.conftest import tiny

# One holder, gallium at 10 USD/t plus 1 USD/t holding (Y = 1): 11 USD per tonne held.
# Demand 10 t in one year, all essential at 100 USD/t. Calm with probability 0.9, supply
# cut to zero with probability 0.1. With X tonnes held:
#   expected cost  E = 11 X + 0.1 * 100 (10 - X) = 100 + X        -> risk neutral: X = 0
#   the worst 5% lie inside the cut scenario (probability 0.1 > 0.05), so
#   CVaR_0.95 = 11 X + 100 (10 - X) = 1000 - 89 X
#   E + lambda CVaR = 100 + 1000 lambda + (1 - 89 lambda) X: X = 10 once lambda > 1/89.
#   lambda = 0.5: X = 10, objective 110 + 0.5 * 110 = 165; lambda = 0.005: X = 0, 105.
RAW = tiny(scenarios=[{"id": "calm", "probability": 0.9},
                      {"id": "cut", "probability": 0.1,
                       "supply": [{"material": "ga", "values": 0}]}])


def _solve(risk: RiskOptions | None) -> tuple[float, float]:
    m = build_model(model_data(parse(RAW), "national"), risk=risk)
    st = solve(m, SolveOptions(mip_gap=1e-9))
    return float(st.objective), float(pyo.value(m.stock["A", "ga4n"]))


@pytest.mark.parametrize(("lam", "objective", "stock"), [(0.5, 165.0, 10.0), (0.005, 105.0, 0.0),
                                                 (0.0, 100.0, 0.0)])
def test_cvar_hand_case(lam: float, objective: float, stock: float) -> None:
    obj, x = _solve(RiskOptions(lam, 0.95))
    assert obj == pytest.approx(objective, abs=1e-6) and x == pytest.approx(stock)


def test_cvar_value_at_the_optimum() -> None:
    m = build_model(model_data(parse(RAW), "national"), risk=RiskOptions(0.005))
    solve(m, SolveOptions(mip_gap=1e-9))
    assert pyo.value(m.cvar) == pytest.approx(1000.0)  # X = 0: the cut costs 1000


def test_risk_off_is_the_canonical_model() -> None:
    data = model_data(parse(RAW), "national")

    def lp_text(m: pyo.ConcreteModel) -> str:
        buf = io.StringIO()
        from pyomo.repn.plugins.lp_writer import LPWriter
        LPWriter().write(m, buf, symbolic_solver_labels=True)
        return buf.getvalue()

    assert lp_text(build_model(data)) == lp_text(build_model(data, risk=None))
    assert _solve(None) == _solve(RiskOptions(0.0))


def test_bad_risk_options() -> None:
    with pytest.raises(ValueError, match="lambda"):
        RiskOptions(-1)
    with pytest.raises(ValueError, match="alpha"):
        RiskOptions(1, 1.0)


def test_cvar_on_the_real_instance_is_solved_and_equals_the_empirical_cvar() -> None:
    # Tier costs up to 1e10 USD/t (palladium): the CVaR rows are scaled (cost_scale), which
    # HiGHS otherwise declared infeasible at the root. The model's CVaR must equal the
    # empirical CVaR 95% of the scenario totals at the optimum.
    from pathlib import Path

    import numpy as np

    from stockpile.extract import cvar
    from stockpile.instance import load
    from stockpile.model.risk import cost_scale

    path = Path(__file__).resolve().parents[1] / "instances" / "us_japan_2026.yaml"
    if not path.exists():
        pytest.skip("instances/us_japan_2026.yaml not built")
    from dataclasses import replace
    full = model_data(load(path), "national")
    data = replace(full.with_scenarios(list(range(40))), probability=np.full(40, 1 / 40))
    assert cost_scale(data) >= 1e6
    m = build_model(data, risk=RiskOptions(0.5))
    st = solve(m, SolveOptions(mip_gap=1e-6))
    assert st.proven_optimal
    totals = np.array([pyo.value(m.first_stage_cost) + pyo.value(m.scenario_cost[s])
                       for s in data.scenarios])
    assert pyo.value(m.cvar) == pytest.approx(cvar(totals, data.probability, 0.95), rel=1e-6)
