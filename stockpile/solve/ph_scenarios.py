"""The scenario side of the decomposition: mpi-sppy's scenario creator, bundles and rho.

Everything here is built by the project's own :func:`stockpile.model.build.build_model`, the
code the extensive form uses; nothing here imports mpi-sppy at module level, so the default
install can import it (tests of rho and bundles run without MPI).

Scenarios and bundles
---------------------
Without bundles, the subproblem of scenario s is ``build_model(data.with_scenarios([s]),
expected=False)``: first-stage cost + the scenario's cost, with probability ``pi_s``
(mpi-sppy weights it).

A bundle b (``bundle_size`` scenarios per bundle, the last one possibly smaller) is the
extensive form of its scenarios with probabilities renormalised inside the bundle,
``pi_s / P_b`` with ``P_b = sum_{s in b} pi_s``, and probability ``P_b``:

    sum_b P_b [ c'x + sum_{s in b} (pi_s / P_b) Q_s(x) ] = c'x + sum_s pi_s Q_s(x),

so bundling changes the decomposition, not the model.

Nonanticipative variables
-------------------------
The integer first-stage decisions: lots ``m.buy``, programmes ``m.programme``, facilities
``m.facility_used`` and agreements ``m.agree``. The storage assignment ``m.store`` (w_hkf) is
first stage in the extensive form but left free per subproblem: it has no cost, and no
second-stage row reads it (the second stage reads the stock X = I0 + lot n), so every
subproblem can pick its own feasible w for the common (n, z) and the optimum is unchanged;
it also needs no rho. ``fix_first_stage`` leaves it free for the same reason.

rho
---
``rho_j = rho_factor * max(|c_j|, c_min)``, where ``c_j`` is the coefficient of variable j in
the first-stage cost (``m.first_stage_cost``: price times lot plus Y times holding cost times
lot for a lot, the fixed cost of a programme, facility or agreement) and ``c_min`` is the
smallest positive such coefficient (so a costless binary still gets a positive rho). This is
the cost-proportional rule of Watson and Woodruff (2011): the proximal term then has the
units of the objective, a unit move of variable j is penalised in proportion to what it
costs, and one ``rho_factor`` fits instances whose prices differ by orders of magnitude.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from ..model.build import build_model, first_stage_variables
from ..model.data import ModelData


def nonant_components(m: pyo.ConcreteModel) -> list[pyo.Var]:
    """The nonanticipative first-stage variables (integer ones; see the module docstring)."""
    return [comp for comp in first_stage_variables(m) if comp.name != "store"]


def bundle_groups(n_scenarios: int, bundle_size: int | None) -> list[list[int]]:
    """Scenario indices per subproblem: one each, or consecutive groups of ``bundle_size``."""
    if not bundle_size or bundle_size <= 1:
        return [[i] for i in range(n_scenarios)]
    return [list(range(i, min(i + bundle_size, n_scenarios)))
            for i in range(0, n_scenarios, bundle_size)]


def subproblem_names(groups: list[list[int]]) -> list[str]:
    """mpi-sppy's scenario names: ``scen<i>`` for single scenarios, ``bundle<j>`` else."""
    if all(len(g) == 1 for g in groups):
        return [f"scen{g[0]}" for g in groups]
    return [f"bundle{j}" for j in range(len(groups))]


def first_stage_cost_coefficients(m: pyo.ConcreteModel) -> dict[int, float]:
    """{id(variable): coefficient in m.first_stage_cost} for the nonanticipative variables."""
    repn = generate_standard_repn(m.first_stage_cost.expr, compute_values=True)
    coef = {id(v): float(c) for v, c in zip(repn.linear_vars, repn.linear_coefs)}
    return {id(v): coef.get(id(v), 0.0) for comp in nonant_components(m) for v in comp.values()}


def cost_proportional_rho(m: pyo.ConcreteModel, rho_factor: float) -> list[tuple[int, float]]:
    """mpi-sppy's rho_setter contract: [(id(vardata), rho)], rho = factor * max(|c|, c_min)."""
    coef = first_stage_cost_coefficients(m)
    positive = [abs(c) for c in coef.values() if abs(c) > 0]
    c_min = min(positive) if positive else 1.0
    return [(vid, rho_factor * max(abs(c), c_min)) for vid, c in coef.items()]


class ScenarioFactory:
    """mpi-sppy's model-file contract for one instance in one mode, bundles optional.

    ``create(name)`` builds subproblem ``name`` (``scen<i>`` or ``bundle<j>``), attaches the
    root node (first-stage cost and nonanticipative variables) and sets its probability.
    """

    def __init__(self, data: ModelData, bundle_size: int | None = None) -> None:
        self.data = data
        self.groups = bundle_groups(len(data.scenarios), bundle_size)
        self.names = subproblem_names(self.groups)
        self._index = dict(zip(self.names, self.groups))

    def create(self, name: str, **_: Any) -> pyo.ConcreteModel:
        from mpisppy.utils import sputils

        idx = self._index[name]
        sub = self.data.with_scenarios(idx)
        prob = float(sub.probability.sum())
        if len(idx) == 1:
            m = build_model(sub, expected=False)
        else:
            m = build_model(replace(sub, probability=sub.probability / prob), expected=True)
        sputils.attach_root_node(m, m.first_stage_cost, nonant_components(m))
        m._mpisppy_probability = prob
        return m

    def denouement(self, rank: int, name: str, model: pyo.ConcreteModel) -> None:
        """mpi-sppy calls this per subproblem at the end; the report is written elsewhere."""

    def probabilities(self) -> np.ndarray:
        return np.array([self.data.probability[g].sum() for g in self.groups])
