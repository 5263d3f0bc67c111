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

lambda = 0 gives the canonical optimum (the extra rows are then free to satisfy). eta and
xi are held in units of sigma USD (``cost_scale``) so that the rows stay well scaled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


def cost_scale(data: ModelData) -> float:
    """A power of ten sigma that brings the largest second-stage cost coefficient to about
    1,000 in the CVaR rows (the rows carry kappa, up to 1e10 USD/t for precious metals; HiGHS
    mis-handles such rows next to the unit coefficients of eta and xi)."""
    top = max(float(data.tier_cost.max(initial=0.0)), float(data.route_cost.max(initial=0.0)),
              float(data.link_transport.max(initial=0.0)), 1.0)
    return float(10.0 ** max(0, round(np.log10(top)) - 3))


def add_cvar(m: pyo.ConcreteModel, data: ModelData, risk: RiskOptions) -> None:
    """Replace ``m.total_cost`` by expected cost + lambda CVaR_alpha (module docstring).

    eta and xi are held in units of sigma USD (``cost_scale``): the rows read
    sigma xi'_s >= Q_s - sigma eta', written xi'_s >= Q_s / sigma - eta'.
    """
    if len(data.scenarios) < 1:
        raise ValueError("risk aversion needs at least one scenario")
    pi = dict(zip(data.scenarios, data.probability.tolist()))
    sigma = cost_scale(data)
    m.cvar_scale = sigma
    m.cvar_var = pyo.Var(domain=pyo.Reals)
    m.cvar_excess = pyo.Var(data.scenarios, domain=pyo.NonNegativeReals)
    m.cvar_excess_def = pyo.Constraint(
        data.scenarios, rule=lambda _, s: m.cvar_excess[s] >= m.scenario_cost[s] / sigma
        - m.cvar_var)
    m.cvar = pyo.Expression(expr=m.first_stage_cost + sigma * (m.cvar_var + pyo.quicksum(
        pi[s] * m.cvar_excess[s] for s in data.scenarios) / (1.0 - risk.level)))
    expected = m.first_stage_cost + pyo.quicksum(
        pi[s] * m.scenario_cost[s] for s in data.scenarios)
    m.del_component(m.total_cost)
    m.total_cost = pyo.Objective(expr=expected + risk.weight * m.cvar, sense=pyo.minimize)
