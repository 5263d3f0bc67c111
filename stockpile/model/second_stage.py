"""Second-stage builders: releases, sharing, conversion and shortfall in each scenario.

Symbol to attribute (s a scenario id, t a period id):

============  ==============================================  ===============================
symbol        meaning                                         attribute
============  ==============================================  ===============================
r_hkts        released from h's stock to h's own demand       ``m.release[h, k, t, s]``
e_hh'kts      shipped from h's stock to h''s demand           ``m.ship[h, h', k, t, s]``
v_hrts        input tonnes converted by h on route r          ``m.convert[h, r, t, s]``
u_hkqts       unmet demand of tier q                          ``m.unmet[h, k, q, t, s]``
============  ==============================================  ===============================

Only variables that can matter are created: a release, an inflow or a shortfall exists where
normal supply leaves a deficit D_hkts = (mu_hkts - a_hkts)^+ d_hk L_t > 0, and only from a
stock that can be positive. Every dropped variable would sit at zero in some optimum (all
costs are non-negative and using stock never lowers cost elsewhere), so the optimum is that
of the full canonical model.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from .data import ModelData
from .plan import agreement_key

Key = tuple[Any, ...]
"""The index of a variable or row, as Pyomo keys it: (holder, product, tier, period, ...)."""
Term = tuple[str, Key, float]
"""(variable name, key, coefficient): one term of a row."""


def _index(data: ModelData, max_lots: np.ndarray) -> dict[str, Any]:
    """Sparse index lists of the second-stage variables and the rows they enter."""
    D = data.deficit()
    max_stock = data.inventory + data.lot[None, :] * max_lots
    has_stock = max_stock > 0
    use: defaultdict[Key, list[Term]] = defaultdict(list)  # (h, k, s): stock drawn
    inflow: defaultdict[Key, list[Term]] = defaultdict(list)  # (h, k, t, s)
    products_of = defaultdict(list)
    for k, mat in enumerate(data.material_of):
        products_of[int(mat)].append(k)
    ix: dict[str, Any] = {"D": D, "max_stock": max_stock, "use": use, "inflow": inflow,
                          "products_of": products_of}
    ix.update(_release_and_unmet(data, D, has_stock, use, inflow))
    ix.update(_shipments(data, D, has_stock, products_of, use, inflow))
    ix.update(_conversions(data, D, has_stock, use, inflow))
    return ix


def _release_and_unmet(data: ModelData, D: np.ndarray, has_stock: np.ndarray,
                       use: defaultdict, inflow: defaultdict) -> dict[str, Any]:
    """r_hkts where there is a deficit and stock is possible; u_hkqts per tier with a share
    (its bound phi mu d L)."""
    H, K, Q, T, S = data.holders, data.products, data.tiers, data.periods, data.scenarios
    release: list[Key] = []
    unmet: list[Key] = []
    unmet_ub: dict[Key, float] = {}
    for s, t, h, k in np.argwhere(D > 0):
        hk_ts = (H[h], K[k], T[t], S[s])
        if has_stock[h, k]:
            release.append(hk_ts)
            use[H[h], K[k], S[s]].append(("release", hk_ts, 1.0))
            inflow[hk_ts].append(("release", hk_ts, 1.0))
        for q in np.nonzero(data.tier_share[h, k] > 0)[0]:
            key: Key = (H[h], K[k], Q[q], T[t], S[s])
            unmet.append(key)
            unmet_ub[key] = float(data.tier_share[h, k, q] * data.demand_mult[s, t, h, k]
                                  * data.demand[h, k] * data.years[t])
            inflow[hk_ts].append(("unmet", key, 1.0))
    return {"release": release, "unmet": unmet, "unmet_ub": unmet_ub}


def _shipments(data: ModelData, D: np.ndarray, has_stock: np.ndarray, products_of: dict,
               use: defaultdict, inflow: defaultdict) -> dict[str, Any]:
    """e_hh'kts per directed link: products of its material the sender can hold, where the
    receiver has a deficit."""
    H, K, T, S = data.holders, data.products, data.periods, data.scenarios
    ship, ship_of_link = [], defaultdict(list)
    for li in range(len(data.link_from)):
        h, h2, mat = int(data.link_from[li]), int(data.link_to[li]), int(data.link_material[li])
        for k in products_of[mat]:
            if not has_stock[h, k]:
                continue
            for s, t in np.argwhere(D[:, :, h2, k] > 0):
                key = (H[h], H[h2], K[k], T[t], S[s])
                ship.append(key)
                ship_of_link[li, s].append(key)
                use[H[h], K[k], S[s]].append(("ship", key, 1.0))
                inflow[H[h2], K[k], T[t], S[s]].append(("ship", key, 1.0))
    return {"ship": ship, "ship_of_link": ship_of_link}


def _conversions(data: ModelData, D: np.ndarray, has_stock: np.ndarray, use: defaultdict,
                 inflow: defaultdict) -> dict[str, Any]:
    """v_hrts where the route has capacity, its input can be held and its output is short
    (bound cap L g, constraint 9)."""
    H, K, T, S, R = data.holders, data.products, data.periods, data.scenarios, data.routes
    convert, convert_ub = [], {}
    for h, r in zip(*np.nonzero(data.route_capacity > 0)):
        k_in, k_out = int(data.route_from[r]), int(data.route_to[r])
        if not has_stock[h, k_in]:
            continue
        for s, t in np.argwhere(D[:, :, h, k_out] > 0):
            ub = float(data.route_capacity[h, r] * data.years[t] * data.capacity_mult[s, t, h, r])
            if ub <= 0:
                continue
            key = (H[h], R[r], T[t], S[s])
            convert.append(key)
            convert_ub[key] = ub
            use[H[h], K[k_in], S[s]].append(("convert", key, 1.0))
            inflow[H[h], K[k_out], T[t], S[s]].append(("convert", key,
                                                       float(data.route_yield[r])))
    return {"convert": convert, "convert_ub": convert_ub}


def add_second_stage(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Variables and constraints 5 to 9 for every scenario of ``data``."""
    ix = _index(data, m.max_lots)
    m.release = pyo.Var(ix["release"], domain=pyo.NonNegativeReals)
    m.ship = pyo.Var(ix["ship"], domain=pyo.NonNegativeReals)
    ub_v = ix["convert_ub"]
    # Constraint 9, conversion capacity: v_hrts <= Kcv_hrts = cap_hr L_t g_hrts (a bound).
    m.convert = pyo.Var(ix["convert"], domain=pyo.NonNegativeReals,
                        bounds=lambda _, *key: (0.0, ub_v[key]))
    # Constraint 7, tier bounds: u_hkqts <= phi_hkq mu_hkts d_hk L_t (a bound).
    ub_u = ix["unmet_ub"]
    m.unmet = pyo.Var(ix["unmet"], domain=pyo.NonNegativeReals,
                      bounds=lambda _, *key: (0.0, ub_u[key]))
    # key -> variable, as plain dicts: a dict lookup is many times cheaper than indexing a
    # Pyomo Var by a tuple, and the rows below look up every variable once or twice
    ix["var"] = {name: dict(zip(ix[name], getattr(m, name).values()))
                 for name in ("release", "ship", "convert", "unmet")}
    add_stock_exhaustion(m, ix)
    add_demand_balance(m, data, ix)
    add_sharing(m, data, ix)


def _terms(ix: dict[str, Any], terms: list[Term]) -> Any:
    """sum coef * var over (variable name, key, coef)."""
    var = ix["var"]
    return LinearExpression([var[name][key] if coef == 1.0
                             else MonomialTermExpression((coef, var[name][key]))
                             for name, key, coef in terms])


def add_stock_exhaustion(m: pyo.ConcreteModel, ix: dict) -> None:
    """Constraint 5, per h, k, s (no restocking inside the horizon):

        sum_t ( r_hkts + sum_h' e_hh'kts + sum_{r out of k} v_hrts ) <= X_hk
    """
    use = ix["use"]
    m.stock_exhaustion = pyo.Constraint(
        list(use), rule=lambda _, h, k, s: _terms(ix, use[h, k, s])
        <= m.stock[h, k])


def add_demand_balance(m: pyo.ConcreteModel, data: ModelData, ix: dict) -> None:
    """Constraint 6, per h, k, t, s, written on the deficit:

        r_hkts + sum_h' e_h'hkts + sum_{r into k} eta_r v_hrts + sum_q u_hkqts
            >= (mu_hkts - a_hkts) d_hk L_t

    which is the canonical row with a_hkts d_hk L_t moved to the right. Rows with no
    deficit hold with every variable at zero and are not written.
    """
    inflow, D = ix["inflow"], ix["D"]
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    ti = {t: i for i, t in enumerate(data.periods)}
    si = {s: i for i, s in enumerate(data.scenarios)}
    m.demand_balance = pyo.Constraint(
        list(inflow), rule=lambda _, h, k, t, s: _terms(ix, inflow[h, k, t, s])
        >= float(D[si[s], ti[t], hi[h], ki[k]]))


def add_sharing(m: pyo.ConcreteModel, data: ModelData, ix: dict) -> None:
    """Constraint 8, per directed link h -> h', material m, scenario s (bilateral mode):

        sum_t sum_{k of m} e_hh'kts <= theta_hh'm sum_{k of m} X_hk   (``m.share_cap``)
        sum_t sum_{k of m} e_hh'kts <= U_hh'ms b_hh'm                 (``m.share_link``)

    U_hh'ms = min(theta sum_k max X_hk, sum_{t, k} D_h'kts), the most that could ever be
    shipped. In pooled mode theta = 1 and there are no binaries: both rows are implied by
    constraint 5 and are not written.
    """
    if data.mode != "bilateral":
        m.share_cap = pyo.Constraint([], rule=lambda *_: pyo.Constraint.Skip)
        m.share_link = pyo.Constraint([], rule=lambda *_: pyo.Constraint.Skip)
        return
    H, M, K, S = data.holders, data.materials, data.products, data.scenarios
    D, max_stock, of_link = ix["D"], ix["max_stock"], ix["ship_of_link"]
    ship = ix["var"]["ship"]
    rows = {}
    for (li, s), keys in of_link.items():
        h, h2, mat = int(data.link_from[li]), int(data.link_to[li]), int(data.link_material[li])
        ks = ix["products_of"][mat]
        theta = float(data.link_cap[li])
        big_m = min(theta * float(max_stock[h, ks].sum()), float(D[s, :, h2, ks].sum()))
        rows[H[h], H[h2], M[mat], S[s]] = (keys, theta, big_m,
                                           agreement_key(data, int(data.link_agreement[li])),
                                           [K[k] for k in ks])

    def cap_rule(_: pyo.ConcreteModel, h: str, h2: str, mat: str, s: str) -> object:
        keys, theta, _, _, ks = rows[h, h2, mat, s]
        if theta >= 1.0:
            return pyo.Constraint.Skip  # implied by constraint 5
        return sum(ship[key] for key in keys) <= theta * sum(m.stock[h, k] for k in ks)

    def link_rule(_: pyo.ConcreteModel, h: str, h2: str, mat: str, s: str) -> object:
        keys, _, big_m, agreement, _ = rows[h, h2, mat, s]
        return sum(ship[key] for key in keys) <= big_m * m.agree[agreement]

    m.share_cap = pyo.Constraint(list(rows), rule=cap_rule)
    m.share_link = pyo.Constraint(list(rows), rule=link_rule)


def scenario_costs(m: pyo.ConcreteModel, data: ModelData) -> dict[str, object]:
    """Second-stage cost of each scenario s, built in one pass over the variables:

        sum kappa_hkq u_hkqts + sum c_hh'm e_hh'kts + sum c_r v_hrts
    """
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    qi = {q: i for i, q in enumerate(data.tiers)}
    ri = {r: i for i, r in enumerate(data.routes)}
    link_cost = {(data.holders[a], data.holders[b], int(mat)): float(c) for a, b, mat, c in zip(
        data.link_from, data.link_to, data.link_material, data.link_transport)}
    terms: dict[str, list] = {s: [] for s in data.scenarios}
    for key, var in m.unmet.items():
        h, k, q, _, s = key
        c = float(data.tier_cost[hi[h], ki[k], qi[q]])
        if c:
            terms[s].append(c * var)
    for key, var in m.ship.items():
        h, h2, k, _, s = key
        c = link_cost[h, h2, int(data.material_of[ki[k]])]
        if c:
            terms[s].append(c * var)
    for key, var in m.convert.items():
        _, r, _, s = key
        c = float(data.route_cost[ri[r]])
        if c:
            terms[s].append(c * var)
    return {s: (pyo.quicksum(t) if t else 0.0) for s, t in terms.items()}
