"""Read a solved model into plain, JSON-ready figures: the plan and what it buys.

Everything the reports print comes from :func:`extract`; reports format, never compute.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .model import costs
from .model.data import ModelData, agreement_key

CVAR_LEVEL = 0.95


def _val(v: Any) -> float:
    if isinstance(v, float):  # a value read from arrays (solve/benders.plan_values)
        x: Any = v
    else:
        import pyomo.environ as pyo

        x = pyo.value(v, exception=False)
    return 0.0 if x is None else float(x) + 0.0  # +0.0 turns -0.0 into 0.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Smallest value whose cumulative probability reaches q (the left-continuous inverse)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    i = int(np.searchsorted(cum, q * cum[-1] - 1e-12))
    return float(values[order][min(i, len(values) - 1)])


def cvar(values: np.ndarray, weights: np.ndarray, level: float = CVAR_LEVEL) -> float:
    """Conditional value at risk: the probability-weighted mean of the worst (1 - level) tail."""
    tail = 1.0 - level
    order = np.argsort(values, kind="stable")[::-1]
    w = weights[order] / weights.sum()
    v = values[order]
    taken, acc = 0.0, 0.0
    for wi, vi in zip(w, v):
        take = min(wi, tail - taken)
        if take <= 0:
            break
        acc += take * vi
        taken += take
    return float(acc / tail)


def distribution(values: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(np.dot(values, weights) / weights.sum()),
        "min": float(values.min()),
        "p05": weighted_quantile(values, weights, 0.05),
        "p50": weighted_quantile(values, weights, 0.50),
        "p95": weighted_quantile(values, weights, 0.95),
        "max": float(values.max()),
        "cvar95": cvar(values, weights, CVAR_LEVEL),
    }


def no_stock_shortfall(data: ModelData) -> np.ndarray:
    """Shortfall cost per scenario and holder with no stock at all, (S, H).

    With nothing to release, ship or convert, the whole deficit is unmet; the cheapest tiers
    are left unmet first, each up to its bound phi mu d L.
    """
    D = data.deficit()  # S, T, H, K
    S, _T, H, K = D.shape
    out = np.zeros((S, H))
    order = np.argsort(data.tier_cost, axis=2)
    for h in range(H):
        for k in range(K):
            if data.demand[h, k] <= 0:
                continue
            left = D[:, :, h, k].copy()
            for q in order[h, k]:
                cap = (data.tier_share[h, k, q] * data.demand_mult[:, :, h, k] * data.demand[h, k]
                       * data.years[None, :])
                take = np.minimum(left, cap)
                out[:, h] += (take * data.tier_cost[h, k, q]).sum(axis=1)
                left -= take
    return out


def extract(m: Any, data: ModelData) -> dict[str, Any]:
    """All figures of a solved model (values must be loaded in ``m``): a Pyomo model, or
    the same variables as dicts of floats (solve/benders.plan_values)."""
    H, K, M, S = data.holders, data.products, data.materials, data.scenarios
    hi = {h: i for i, h in enumerate(H)}
    ki = {k: i for i, k in enumerate(K)}
    si = {s: i for i, s in enumerate(S)}
    nH, nK, nS = len(H), len(K), len(S)
    prob = data.probability

    lots = np.zeros((nH, nK))
    for (h, k), var in m.buy.items():
        lots[hi[h], ki[k]] = round(_val(var))
    bought = lots * data.lot[None, :]
    stock = data.inventory + bought
    purchase = bought * data.price[None, :]
    credit = bought * (data.residual * data.price)[None, :]  # E1: recovered value
    holding = stock * costs.holding_per_tonne(data)[None, :]

    plan = []
    for h in range(nH):
        for k in range(nK):
            if stock[h, k] <= 0 and data.demand[h, k] <= 0:
                continue
            d = float(data.demand[h, k])
            plan.append({
                "holder": H[h], "product": K[k], "material": M[data.material_of[k]],
                "inventory_t": float(data.inventory[h, k]), "lots": int(lots[h, k]),
                "bought_t": float(bought[h, k]), "stock_t": float(stock[h, k]),
                "purchase_cost": float(purchase[h, k]), "holding_cost": float(holding[h, k]),
                "annual_demand_t": d,
                "days_of_cover": 365.0 * float(stock[h, k]) / d if d > 0 else None,
            })

    programme_cost = np.zeros(nH)
    programmes = []
    for (h, mat), var in m.programme.items():
        if _val(var) > 0.5:
            c = float(data.programme_cost[hi[h], M.index(mat)])
            programme_cost[hi[h]] += c
            programmes.append({"holder": h, "material": mat, "fixed_cost": c})

    facility_cost = np.zeros(nH)
    facilities = []
    for f, fh, cap, cost in zip(data.facilities, data.facility_holder, data.facility_capacity,
                                data.facility_cost):
        used = _val(m.facility_used[f]) > 0.5
        volume = sum(float(data.volume[ki[k]]) * _val(var) for (h, k, ff), var in m.store.items()
                     if ff == f)
        if used:
            facility_cost[fh] += cost
        facilities.append({"holder": H[fh], "facility": f, "used": used,
                           "capacity_m3": float(cap), "used_m3": volume,
                           "fixed_cost": float(cost)})

    # second stage per scenario and holder
    shortfall = np.zeros((nS, nH))
    unmet_t = np.zeros((nS, nH))
    conversion = np.zeros((nS, nH))
    transport = np.zeros((nS, nH))  # paid by the receiver
    received_value = np.zeros((nS, nH))  # replacement value of what a holder received
    unmet_by_material = np.zeros((nS, nH, len(M)))
    for (h, k, q, t, s), var in m.unmet.items():
        u = _val(var)
        if u:
            c = u * float(data.tier_cost[hi[h], ki[k], data.tiers.index(q)])
            shortfall[si[s], hi[h]] += c
            unmet_t[si[s], hi[h]] += u
            unmet_by_material[si[s], hi[h], data.material_of[ki[k]]] += c
    link_cost = {(H[a], H[b], int(mt)): float(c) for a, b, mt, c in zip(
        data.link_from, data.link_to, data.link_material, data.link_transport)}
    flows = []
    for (h, h2, k, t, s), var in m.ship.items():
        e = _val(var)
        if e > 1e-9:
            mat = int(data.material_of[ki[k]])
            transport[si[s], hi[h2]] += e * link_cost[h, h2, mat]
            received_value[si[s], hi[h2]] += e * float(data.price[ki[k]])
            received_value[si[s], hi[h]] -= e * float(data.price[ki[k]])
            flows.append({"scenario": s, "period": t, "from": h, "to": h2, "product": k,
                          "material": M[mat], "tonnes": e})
    conversions = []
    for (h, r, t, s), var in m.convert.items():
        v = _val(var)
        if v > 1e-9:
            ri = data.routes.index(r)
            conversion[si[s], hi[h]] += v * float(data.route_cost[ri])
            conversions.append({"scenario": s, "period": t, "holder": h, "route": r,
                                "input_t": v, "output_t": v * float(data.route_yield[ri])})

    agreements = []
    agreement_cost = np.zeros(nH)
    for a in range(len(data.agreement_material)):
        key = agreement_key(data, a)
        h1, h2 = (H[i] for i in data.agreement_pair[a])
        mat = M[data.agreement_material[a]]
        signed = key in m.agree and _val(m.agree[key]) > 0.5
        if signed:
            for i in data.agreement_pair[a]:
                agreement_cost[i] += float(data.agreement_cost[a]) / 2
        agreements.append({
            "holders": [h1, h2], "material": mat, "fixed_cost": float(data.agreement_cost[a]),
            "share_cap": float(data.agreement_cap[a]), "signed": signed,
            "flows": [f for f in flows if f["material"] == mat and {f["from"], f["to"]} ==
                      {h1, h2}],
        })

    first_by_holder = (purchase.sum(1) - credit.sum(1) + holding.sum(1) + programme_cost
                       + facility_cost + agreement_cost)
    second = shortfall + conversion + transport  # S, H
    scen_cost = first_by_holder.sum() + second.sum(1)
    exp = lambda arr: float(np.dot(prob, arr))  # noqa: E731
    none = no_stock_shortfall(data)
    expected_shortfall = float(np.dot(prob, shortfall.sum(1)))
    holders = []
    for h in range(nH):
        settled = first_by_holder[h] + exp(second[:, h]) + exp(received_value[:, h])
        holders.append({
            "holder": H[h], "budget": float(data.budget[h]),
            "budget_used": float(purchase[h].sum() + programme_cost[h] + facility_cost[h]
                                 + agreement_cost[h]),
            "purchase_cost": float(purchase[h].sum()), "holding_cost": float(holding[h].sum()),
            "residual_value": float(credit[h].sum()),
            "programme_cost": float(programme_cost[h]), "facility_cost": float(facility_cost[h]),
            "agreement_cost": float(agreement_cost[h]),
            "expected_shortfall_cost": exp(shortfall[:, h]),
            "expected_conversion_cost": exp(conversion[:, h]),
            "expected_transport_cost": exp(transport[:, h]),
            "expected_transfer_settlement": exp(received_value[:, h]),
            "expected_cost_settled": float(settled),
            "no_stock_expected_shortfall": exp(none[:, h]),
        })
    scenarios = [{
        "scenario": s, "probability": float(prob[i]), "total_cost": float(scen_cost[i]),
        "shortfall_cost": float(shortfall[i].sum()), "unmet_t": float(unmet_t[i].sum()),
        "transport_cost": float(transport[i].sum()), "conversion_cost": float(conversion[i].sum()),
        "no_stock_shortfall_cost": float(none[i].sum()),
    } for i, s in enumerate(S)]
    terms = {
        "purchase": float(purchase.sum()), "residual_value": -float(credit.sum()),
        "holding": float(holding.sum()),
        "programmes": float(programme_cost.sum()), "facilities": float(facility_cost.sum()),
        "agreements": float(agreement_cost.sum()),
        "expected_shortfall": expected_shortfall,
        "expected_transport": exp(transport.sum(1)),
        "expected_conversion": exp(conversion.sum(1)),
    }
    no_stock = float(np.dot(prob, none.sum(1)))
    return {
        "mode": data.mode,
        "objective_terms": terms,
        "objective_recomputed": float(sum(terms.values())),
        "first_stage_cost": float(first_by_holder.sum()),
        "plan": plan,
        "programmes": programmes,
        "facilities": facilities,
        "agreements": agreements,
        "flows": flows,
        "conversions": conversions,
        "holders": holders,
        "scenarios": scenarios,
        "scenario_cost_distribution": distribution(scen_cost, prob),
        "shortfall_by_material": {
            M[j]: exp(unmet_by_material[:, :, j].sum(1)) for j in range(len(M))},
        "no_stock": {"expected_shortfall_cost": no_stock,
                     "expected_shortfall_avoided": no_stock - expected_shortfall},
    }
