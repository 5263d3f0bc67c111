"""Rule-based sharing as the IEA oil emergency system does it, next to optimised sharing.

The first stage of a solved joint mode (bilateral or pooled) is fixed: lots bought,
programmes, facilities and signed agreements, exactly as the optimiser chose them. The second
stage is solved again on the same scenarios with one extra rule, so the difference to the
optimum is what optimising the sharing adds over the rule.

Groups. For material m, the sharing group G of a holder is its connected component in the
graph of sharing links on m: every pair in pooled mode, the signed agreements on m in
bilateral mode. A holder with no link on m is a group of its own (no rule applies).

The collective release. In period t of scenario s, holder h's draw on its stock of m is

    D_hmts = sum_{k of m} ( r_hkts + sum_h' e_hh'kts + sum_{r out of k} v_hrts )

(its own release, its shipments to partners and its conversion input: the left side of
constraint 5, per period). The participants P_mts of a group are its members that hold stock
of m (X_hm > 0) and have a use for it in that period (a deficit of their own, or a partner
in deficit they can ship to). The rule: every participant bears a fixed share of the
collective release,

    D_hmts = w_hm * sum_{h' in P_mts} D_h'mts     for h in P_mts (when |P_mts| >= 2),

    w_hm = omega_hm / sum_{h' in P_mts} omega_h'm (equal shares when that sum is 0), with
    omega_hm = X_hm = sum_{k of m} X_hk          rule "commitment" (the reserve it holds)
    omega_hm = d_hm = sum_{k of m} d_hk          rule "consumption" (normal annual demand).

The collective volume and its destinations are still chosen at least cost (as an IEA
collective action decides its volume), and every other constraint (share caps, tiers,
conversion capacity) holds. Since the rule only adds constraints, its expected cost is never
below the optimised sharing of the same first stage.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

import numpy as np
import pyomo.environ as pyo

from ..extract import extract
from ..instance import Instance
from ..model.build import build_model
from ..model.data import ModelData, model_data
from ..model.first_stage import agreement_key
from ..solve.highs import SolveOptions, solve

Rule = Literal["commitment", "consumption"]
RULES: tuple[Rule, ...] = ("commitment", "consumption")
RULE_NAMES = {"commitment": "IEA rule: shares proportional to reserve commitment (stock held)",
              "consumption": "IEA rule: shares proportional to consumption (annual demand)"}


def fix_plan(m: pyo.ConcreteModel, figures: dict[str, Any]) -> None:
    """Fix lots, programmes, facilities and agreements of ``m`` to a solved plan's figures.

    Storage allocation w_hkf is left free: it changes no cost, only feasibility.
    """
    lots = {(p["holder"], p["product"]): p["lots"] for p in figures["plan"]}
    for key, v in m.buy.items():
        v.fix(int(lots.get(key, 0)))
    opened = {(p["holder"], p["material"]) for p in figures["programmes"]}
    for key, v in m.programme.items():
        v.fix(1 if key in opened else 0)
    used = {f["facility"] for f in figures["facilities"] if f["used"]}
    for f, v in m.facility_used.items():
        v.fix(1 if f in used else 0)
    signed = {"|".join([*a["holders"], a["material"]]) for a in figures["agreements"]
              if a["signed"]}
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


def _draws(m: pyo.ConcreteModel, data: ModelData) -> dict[tuple, list]:
    """(h, material, t, s) -> the variables of D_hmts."""
    mat_of = {k: data.materials[i] for k, i in zip(data.products, data.material_of)}
    route_mat = {r: mat_of[data.products[i]] for r, i in zip(data.routes, data.route_from)}
    out: dict[tuple, list] = defaultdict(list)
    for (h, k, t, s), v in m.release.items():
        out[h, mat_of[k], t, s].append(v)
    for (h, _, k, t, s), v in m.ship.items():
        out[h, mat_of[k], t, s].append(v)
    for (h, r, t, s), v in m.convert.items():
        out[h, route_mat[r], t, s].append(v)
    return out


def add_rule(m: pyo.ConcreteModel, data: ModelData, figures: dict[str, Any], rule: Rule) -> int:
    """Add the rule's rows D_h = w_h sum_P D to ``m`` (``m.iea_rule``); returns their count."""
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    stock = np.zeros((len(data.holders), len(data.products)))
    for p in figures["plan"]:
        stock[hi[p["holder"]], ki[p["product"]]] = p["stock_t"]
    omega = rule_weights(data, stock, rule)
    held = rule_weights(data, stock, "commitment") > 0
    signed = {"|".join([*a["holders"], a["material"]]) for a in figures["agreements"]
              if a["signed"]}
    draws = _draws(m, data)
    times = {(t, s) for (_, _, t, s) in draws}
    rows: dict[tuple, Any] = {}
    for j, mat in enumerate(data.materials):
        for group in groups(data, signed, j):
            if len(group) < 2:
                continue
            for t, s in sorted(times):
                part = [h for h in group if held[h, j] and draws.get((data.holders[h], mat, t, s))]
                if len(part) < 2:
                    continue
                total_w = sum(omega[h, j] for h in part)
                w = {h: (omega[h, j] / total_w if total_w > 0 else 1.0 / len(part))
                     for h in part}
                collective = pyo.quicksum(v for h in part
                                          for v in draws[data.holders[h], mat, t, s])
                for h in part:
                    own = pyo.quicksum(draws[data.holders[h], mat, t, s])
                    rows[data.holders[h], mat, t, s] = own - w[h] * collective == 0
    m.iea_rule = pyo.Constraint(list(rows), rule=lambda _, *key: rows[key])
    return len(rows)


def evaluate_rule(inst: Instance, mode: str, figures: dict[str, Any], rule: Rule,
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
