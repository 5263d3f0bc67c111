"""First-stage builders: purchases, programmes, budget, storage, market impact, agreements.

Symbol to attribute:

============  =====================================  ==========================
symbol        meaning                                attribute
============  =====================================  ==========================
n_hk          lots bought (integer)                  ``m.buy[h, k]``
x_hk          tonnes bought, lot_k n_hk              (expression inside stock)
X_hk          stock when a disruption starts         ``m.stock[h, k]``
y_hm          programme for material m (binary)      ``m.programme[h, m]``
z_f           facility used (binary)                 ``m.facility_used[f]``
w_hkf         tonnes of k in facility f              ``m.store[h, k, f]``
b_a           agreement a signed (binary)            ``m.agree[a]``
============  =====================================  ==========================
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from . import costs
from .data import ModelData, agreement_key


def add_purchases(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Lots n_hk in {0, .., U_hk / lot_k} and the stock X_hk = I0_hk + lot_k n_hk.

    U_hk (``ModelData.max_lots``) is the largest purchase the budget, the market cap and the
    storage space allow; a product no holder can buy gets no variable.
    """
    H, K = data.holders, data.products
    nmax = data.max_lots()
    m.max_lots = nmax
    idx = [(H[h], K[k]) for h, k in zip(*np.nonzero(nmax))]
    ub = {(H[h], K[k]): int(nmax[h, k]) for h, k in zip(*np.nonzero(nmax))}
    m.buy = pyo.Var(idx, domain=pyo.NonNegativeIntegers, bounds=lambda _, h, k: (0, ub[h, k]))
    lot = dict(zip(K, data.lot))
    inv = {(H[h], K[k]): float(data.inventory[h, k])
           for h in range(len(H)) for k in range(len(K))}
    bought = set(idx)

    def stock_rule(_: pyo.ConcreteModel, h: str, k: str) -> object:
        if (h, k) in bought:
            return inv[h, k] + lot[k] * m.buy[h, k]
        return inv[h, k]

    m.stock = pyo.Expression([(h, k) for h in H for k in K], rule=stock_rule)


def add_programmes(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Constraint 2, programme link: lot_k n_hk <= U_hk y_{h,m(k)}, written n_hk <= (U_hk/lot_k) y.

    y_hm exists where the holder can buy some product of m.
    """
    H, M, K = data.holders, data.materials, data.products
    mat_of = {k: M[data.material_of[i]] for i, k in enumerate(K)}
    hi, mi = {h: i for i, h in enumerate(H)}, {x: i for i, x in enumerate(M)}
    pairs = sorted({(h, mat_of[k]) for h, k in m.buy}, key=lambda p: (hi[p[0]], mi[p[1]]))
    m.programme = pyo.Var(pairs, domain=pyo.Binary)

    def link_rule(_: pyo.ConcreteModel, h: str, k: str) -> object:
        return m.buy[h, k] <= m.buy[h, k].ub * m.programme[h, mat_of[k]]

    m.programme_link = pyo.Constraint(list(m.buy), rule=link_rule)


def add_agreements(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Agreement binaries b_a: only in bilateral mode (national: all 0; pooled: none needed)."""
    keys = [agreement_key(data, a) for a in range(len(data.agreement_material))]
    m.agree = pyo.Var(keys if data.mode == "bilateral" else [], domain=pyo.Binary)


def add_storage(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Constraint 3, storage, for holders with facilities:

        sum_f w_hkf = X_hk                      (``m.storage_balance[h, k]``)
        sum_k vol_k w_hkf <= C_f z_f            (``m.storage_capacity[f]``)

    A holder with no facilities listed has no storage limit.
    """
    H, K, F = data.holders, data.products, data.facilities
    m.facility_used = pyo.Var(F, domain=pyo.Binary)
    fac_of: dict[str, list[str]] = {h: [] for h in H}
    for f, hi in zip(F, data.facility_holder):
        fac_of[H[hi]].append(f)
    held = {(h, k) for h, k in m.buy} | {
        (H[h], K[k]) for h, k in zip(*np.nonzero(data.inventory))}
    keys = [(h, k) for h in H for k in K if (h, k) in held and fac_of[h]]
    m.store = pyo.Var([(h, k, f) for h, k in keys for f in fac_of[h]],
                      domain=pyo.NonNegativeReals)
    m.storage_balance = pyo.Constraint(
        keys, rule=lambda _, h, k: sum(m.store[h, k, f] for f in fac_of[h]) == m.stock[h, k])
    vol = dict(zip(K, data.volume))
    cap = dict(zip(F, data.facility_capacity))
    in_fac: dict[str, list[tuple[str, str]]] = {f: [] for f in F}
    for h, k in keys:
        for f in fac_of[h]:
            in_fac[f].append((h, k))

    def cap_rule(_: pyo.ConcreteModel, f: str) -> object:
        used = sum(vol[k] * m.store[h, k, f] for h, k in in_fac[f] if vol[k] > 0)
        if isinstance(used, int):  # nothing with a volume can go there
            return pyo.Constraint.Skip
        return used <= cap[f] * m.facility_used[f]

    m.storage_capacity = pyo.Constraint(F, rule=cap_rule)


def add_market_cap(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Constraint 4, market impact, in contained material:

        sum_h sum_{k of m} metal_content_k lot_k n_hk <= beta_m W_m

    (metal_content_k = 1 everywhere: the canonical constraint). Written only where the
    purchase bounds alone could exceed it.
    """
    K, M = data.products, data.materials
    lot = dict(zip(K, costs.lot_contained(data).tolist()))
    mat_of = {k: M[data.material_of[i]] for i, k in enumerate(K)}
    by_mat: dict[str, list[tuple[str, str]]] = {mat: [] for mat in M}
    for h, k in m.buy:
        by_mat[mat_of[k]].append((h, k))
    limit = dict(zip(M, data.market_share * data.world))
    binding = [mat for mat in M if by_mat[mat] and sum(
        lot[k] * m.buy[h, k].ub for h, k in by_mat[mat]) > limit[mat] + 1e-9]
    m.market_cap = pyo.Constraint(
        binding, rule=lambda _, mat: sum(lot[k] * m.buy[h, k] for h, k in by_mat[mat])
        <= limit[mat])


def add_budget(m: pyo.ConcreteModel, data: ModelData) -> None:
    """Constraint 1, budget of holder h:

        sum_k p_k x_hk + sum_m sigma_hm y_hm + sum_{f in F_h} gamma_f z_f
            + sum_{agreements of h} psi_a b_a / 2 <= B_h
    """
    H, K = data.holders, data.products
    cost_per_lot = dict(zip(K, costs.lot_price(data).tolist()))
    bought: dict[str, list[str]] = {h: [] for h in H}
    for h, k in m.buy:
        bought[h].append(k)
    m.holder_fixed_cost = pyo.Expression(H, rule=lambda _, h: _fixed_cost(m, data, h))
    m.holder_purchase_cost = pyo.Expression(H, rule=lambda _, h: sum(
        cost_per_lot[k] * m.buy[h, k] for k in bought[h]))
    budget = dict(zip(H, data.budget.tolist()))
    m.budget = pyo.Constraint(
        H, rule=lambda _, h: m.holder_purchase_cost[h] + m.holder_fixed_cost[h] <= budget[h])


def _fixed_cost(m: pyo.ConcreteModel, data: ModelData, h: str) -> object:
    """sigma y + gamma z + psi b / 2 of holder h."""
    H, M = data.holders, data.materials
    hi = H.index(h)
    expr: object = 0.0
    for hh, mat in m.programme:
        if hh == h:
            expr = expr + float(data.programme_cost[hi, M.index(mat)]) * m.programme[hh, mat]
    for f, fh, cost in zip(data.facilities, data.facility_holder, data.facility_cost):
        if fh == hi:
            expr = expr + float(cost) * m.facility_used[f]
    for a in range(len(data.agreement_material)):
        key = agreement_key(data, a)
        if key in m.agree and hi in data.agreement_pair[a]:
            expr = expr + float(data.agreement_cost[a]) / 2 * m.agree[key]
    return expr


def first_stage_cost(m: pyo.ConcreteModel, data: ModelData) -> object:
    """sum_h [ sum_k (1 - omega_k) p_k x_hk + sigma y + gamma z + psi b / 2 + Y sum_k rho_k X_hk ].

    Written as the budget's spending (full price, ``holder_purchase_cost`` and
    ``holder_fixed_cost``) plus holding, minus the residual value omega_k p_k x_hk of
    extension E1 where an instance gives omega_k > 0 (none: the canonical objective).
    """
    H, K = data.holders, data.products
    hold = costs.holding_per_tonne(data)
    holding = sum(float(hold[k]) * m.stock[h, K[k]]
                  for h in H for k in range(len(K)) if hold[k] > 0)
    credit_per_lot = dict(zip(K, (data.residual * costs.lot_price(data)).tolist()))
    credit = sum(credit_per_lot[k] * m.buy[h, k] for h, k in m.buy if credit_per_lot[k] > 0)
    return sum(m.holder_purchase_cost[h] + m.holder_fixed_cost[h] for h in H) + holding - credit
