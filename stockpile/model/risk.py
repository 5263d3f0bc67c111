"""Risk aversion: expected cost plus lambda times the CVaR of the total cost (an extension,
off unless ``build_model(..., risk=RiskOptions(...))`` is asked for).

With C_s = F + Q_s the total cost of scenario s (F the first-stage cost, Q_s the scenario's
second-stage cost), the conditional value at risk at level alpha is (Rockafellar and
Uryasev, 2000)

    CVaR_alpha(C) = min_eta  eta + 1 / (1 - alpha) * sum_s pi_s (C_s - eta)^+

and as F is the same in every scenario, CVaR_alpha(C) = F + CVaR_alpha(Q). The linear
formulation adds a free variable eta (``m.cvar_var``, the value at risk of Q at the optimum)
and xi_s >= 0 (``m.cvar_excess[s]``) with

    xi_s >= Q_s - eta                                  (``m.cvar_excess_def[s]``)

and the objective becomes

    min  F + sum_s pi_s Q_s + lambda * ( F + eta + 1 / (1 - alpha) sum_s pi_s xi_s ).

lambda = 0 gives the canonical optimum (the extra rows are then free to satisfy).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from .data import ModelData


@dataclass(frozen=True)
class RiskOptions:
    weight: float  # lambda >= 0
    level: float = 0.95  # alpha in [0, 1)

    def __post_init__(self) -> None:
        if not self.weight >= 0:
            raise ValueError(f"risk weight lambda {self.weight!r}: must be >= 0")
        if not 0 <= self.level < 1:
            raise ValueError(f"CVaR level alpha {self.level!r}: must be in [0, 1)")


def add_cvar(m: pyo.ConcreteModel, data: ModelData, risk: RiskOptions) -> None:
    """Replace ``m.total_cost`` by expected cost + lambda CVaR_alpha (module docstring)."""
    if len(data.scenarios) < 1:
        raise ValueError("risk aversion needs at least one scenario")
    pi = dict(zip(data.scenarios, data.probability.tolist()))
    m.cvar_var = pyo.Var(domain=pyo.Reals)
    m.cvar_excess = pyo.Var(data.scenarios, domain=pyo.NonNegativeReals)
    m.cvar_excess_def = pyo.Constraint(
        data.scenarios, rule=lambda _, s: m.cvar_excess[s] >= m.scenario_cost[s] - m.cvar_var)
    m.cvar = pyo.Expression(expr=m.first_stage_cost + m.cvar_var + pyo.quicksum(
        pi[s] * m.cvar_excess[s] for s in data.scenarios) / (1.0 - risk.level))
    expected = m.first_stage_cost + pyo.quicksum(
        pi[s] * m.scenario_cost[s] for s in data.scenarios)
    m.del_component(m.total_cost)
    m.total_cost = pyo.Objective(expr=expected + risk.weight * m.cvar, sense=pyo.minimize)
