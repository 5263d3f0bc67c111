"""Rule-based sharing as the IEA oil emergency system does it, next to optimised sharing.

The first stage of a solved joint mode (bilateral or pooled) is fixed: lots bought,
programmes, facilities and signed agreements, exactly as the optimiser chose them. The second
stage is solved again on the same scenarios with one extra rule, so the difference to the
optimum is what optimising the sharing adds over the rule.

Groups. For material m, the sharing group G of a holder is its connected component in the
graph of sharing links on m: every pair in pooled mode, the signed agreements on m in
bilateral mode. A holder with no link on m is a group of its own (no rule applies).

The collective release. In period t of scenario s, holder h contributes to the group's
collective release of m

    c_hmts = sum_{k of m} sum_h' e_hh'kts + q_hmts,
    0 <= q_hmts <= sum_{k of m} ( r_hkts + sum_{r out of k} v_hrts )

its shipments to partners plus the part q of its own release (and conversion input) that it
counts towards the collective action. Self-help is never restricted: a holder may always draw
its own stock for its own demand; only what it gets from partners is tied to the rule. The
participants P_mts of a group are its members that hold stock of m (X_hm > 0) and have a use
for it in that period (a deficit of their own, or a partner in deficit they can ship to).
The rule: each participant bears a fixed share of the collective release,

    c_hmts = w_hm * sum_{h' in P_mts} c_h'mts     for h in P_mts (when |P_mts| >= 2),

    w_hm = omega_hm / sum_{h' in P_mts} omega_h'm (equal shares when that sum is 0), with
    omega_hm = X_hm = sum_{k of m} X_hk          rule "commitment" (the reserve it holds)
    omega_hm = d_hm = sum_{k of m} d_hk          rule "consumption" (normal annual demand).

So partners ship to a holder in need in proportion to their weights, and only as far as the
holder in need bears its own share from its own stock. The collective volume and its
destinations are still chosen at least cost (as an IEA collective action decides its
volume), and every other constraint (share caps, tiers, conversion capacity) holds. Since the
rule only adds constraints, its expected cost is never below the optimised sharing of the
same first stage.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

import numpy as np
import pyomo.environ as pyo

from ..extract import extract
from ..figures import SolveFigures
from ..instance import Instance
from ..model.build import build_model
from ..model.data import ModelData, model_data
from ..model.plan import agreement_key
from ..solve.highs import SolveOptions, solve

Rule = Literal["commitment", "consumption"]
RULES: tuple[Rule, ...] = ("commitment", "consumption")
RULE_NAMES = {"commitment": "IEA rule: shares proportional to reserve commitment (stock held)",
              "consumption": "IEA rule: shares proportional to consumption (annual demand)"}


def fix_plan(m: pyo.ConcreteModel, figures: SolveFigures) -> None:
    """Fix lots, programmes, facilities and agreements of ``m`` to a solved plan's figures.

    Storage allocation w_hkf is left free: it changes no cost, only feasibility.
    """
    lots = {(p.holder, p.product): p.lots for p in figures.plan}
    for key, v in m.buy.items():
        v.fix(int(lots.get(key, 0)))
    opened = {(p.holder, p.material) for p in figures.programmes}
    for key, v in m.programme.items():
        v.fix(1 if key in opened else 0)
    used = {f.facility for f in figures.facilities if f.used}
    for f, v in m.facility_used.items():
        v.fix(1 if f in used else 0)
    signed = figures.signed_agreements()
    for key, v in m.agree.items():
        v.fix(1 if key in signed else 0)


def groups(data: ModelData, signed: set[str], material: int) -> list[list[int]]:
    """Connected components of the holders in the sharing links on ``material``."""
    parent = list(range(len(data.holders)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b, mat, ag in zip(data.link_from, data.link_to, data.link_material,
                             data.link_agreement):
        if int(mat) != material:
            continue
        if data.mode == "bilateral" and agreement_key(data, int(ag)) not in signed:
            continue
        parent[find(int(a))] = find(int(b))
    comps: dict[int, list[int]] = defaultdict(list)
    for h in range(len(data.holders)):
        comps[find(h)].append(h)
    return list(comps.values())


def rule_weights(data: ModelData, stock: np.ndarray, rule: Rule) -> np.ndarray:
    """omega_hm (H, M): tonnes of m held (commitment) or annual demand for m (consumption)."""
    base = stock if rule == "commitment" else data.demand
    out = np.zeros((len(data.holders), len(data.materials)))
    for k, mat in enumerate(data.material_of):
        out[:, mat] += base[:, k]
    return out


def _draws(m: pyo.ConcreteModel, data: ModelData) -> tuple[dict[tuple, list], dict[tuple, list]]:
    """(h, material, t, s) -> shipments to partners, and own releases and conversion input."""
    mat_of = {k: data.materials[i] for k, i in zip(data.products, data.material_of)}
    route_mat = {r: mat_of[data.products[i]] for r, i in zip(data.routes, data.route_from)}
    ship: dict[tuple, list] = defaultdict(list)
    own: dict[tuple, list] = defaultdict(list)
    for (h, k, t, s), v in m.release.items():
        own[h, mat_of[k], t, s].append(v)
    for (h, _, k, t, s), v in m.ship.items():
        ship[h, mat_of[k], t, s].append(v)
    for (h, r, t, s), v in m.convert.items():
        own[h, route_mat[r], t, s].append(v)
    return ship, own


def add_rule(m: pyo.ConcreteModel, data: ModelData, figures: SolveFigures, rule: Rule) -> int:
    """Add q (``m.iea_counted``), its bound and the rule's rows c_h = w_h sum_P c
    (``m.iea_rule``) to ``m``; returns the number of rule rows."""
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    stock = np.zeros((len(data.holders), len(data.products)))
    for p in figures.plan:
        stock[hi[p.holder], ki[p.product]] = p.stock_t
    omega = rule_weights(data, stock, rule)
    held = rule_weights(data, stock, "commitment") > 0
    signed = figures.signed_agreements()
    ship, own = _draws(m, data)
    times = sorted({(t, s) for (_, _, t, s) in [*ship, *own]})
    groups_rows: list[tuple[list[tuple], dict[tuple, float]]] = []
    for j, mat in enumerate(data.materials):
        for group in groups(data, signed, j):
            if len(group) < 2:
                continue
            for t, s in times:
                keys = [(data.holders[h], mat, t, s) for h in group if held[h, j]]
                part = [k for k in keys if ship.get(k) or own.get(k)]
                if len(part) < 2:
                    continue
                om = {k: omega[hi[k[0]], j] for k in part}
                total = sum(om.values())
                groups_rows.append((part, {k: (om[k] / total if total > 0 else 1 / len(part))
                                           for k in part}))
    counted = sorted({k for part, _ in groups_rows for k in part if own.get(k)})
    m.iea_counted = pyo.Var(counted, domain=pyo.NonNegativeReals)
    m.iea_counted_bound = pyo.Constraint(
        counted, rule=lambda _, *k: m.iea_counted[k] <= pyo.quicksum(own[k]))

    def contribution(k: tuple) -> Any:
        return pyo.quicksum(ship.get(k, [])) + (m.iea_counted[k] if own.get(k) else 0)

    rows: dict[tuple, Any] = {}
    for part, w in groups_rows:
        collective = pyo.quicksum(contribution(k) for k in part)
        for k in part:
            rows[k] = contribution(k) - w[k] * collective == 0
    m.iea_rule = pyo.Constraint(list(rows), rule=lambda _, *key: rows[key])
    return len(rows)


def evaluate_rule(inst: Instance, mode: str, figures: SolveFigures, rule: Rule,
                  options: SolveOptions) -> dict[str, Any]:
    """Expected cost of ``figures``' first stage with sharing by ``rule``, on the same scenarios.

    Returns {"mode", "rule", "name", "rows", "solver": stats, "figures": extract(...) or None}.
    """
    if mode not in ("bilateral", "pooled"):
        raise ValueError(f"mode {mode!r}: a sharing rule needs a joint mode (bilateral, pooled)")
    if rule not in RULES:
        raise ValueError(f"rule {rule!r}: must be one of {', '.join(RULES)}")
    data = model_data(inst, mode)  # type: ignore[arg-type]
    m = build_model(data)
    fix_plan(m, figures)
    rows = add_rule(m, data, figures, rule)
    stats = solve(m, options)
    return {"mode": mode, "rule": rule, "name": RULE_NAMES[rule], "rows": rows,
            "solver": stats.as_dict(),
            "figures": extract(m, data) if stats.has_plan else None}
