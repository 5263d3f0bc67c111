"""Why this plan: the limits that bind it, what one more unit of each is worth, and what the
last lot of each purchase buys.

Three linear programmes around a solved plan, each the solved model with some decisions fixed
(nothing here changes the plan or its optimum):

* **fixed**: every integer decision (lots n_hk, programmes y, facilities z, agreements b)
  fixed at the plan; only the second stage and the storage assignment are free. Its optimum
  is the plan's expected total cost.
* **last lot**, one per purchase: the same with one lot fewer of that purchase. The rise of
  the expected second-stage cost (shortfall, transport, conversion) is what the last lot
  avoids. Divided by the lot's cost in the objective, ((1 - omega) p + Y rho) lot (E1: the
  residual value omega p is credited back; model/costs.lot_objective), it is "avoided per
  USD": at an optimal plan at least 1, up to the solver's gap, since dropping the lot is
  always feasible and would save exactly that cost. Divided by the lot's full price (what the
  budget pays) it is "avoided per budget USD", which may be below 1 when omega > 0. A lot
  bounded by a budget, cap or storage may avoid much more than 1 per USD: the limit, not the
  lot's value, stops the next one.
* **marginal**: programmes, facilities and agreements fixed as chosen, lots allowed to be
  fractional within their bounds. The duals of the budget rows (constraint 1), the storage
  rows (3) and the market-cap rows (4) are the fall of expected total cost per extra USD of
  budget, m3 of storage or tonne of cap. They are rates of this LP, which may buy fractional
  lots the plan cannot: its cost is reported beside the plan's so the reader sees how close
  they are.
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from ..instance.schema import Instance
from ..model import costs
from ..model.data import ModelData

DRIVERS = 3  # scenarios named per purchase
TOL = 1e-7


class _LP:
    """The solved model as one HiGHS LP whose column bounds are changed in place."""

    def __init__(self, model: pyo.ConcreteModel) -> None:
        from ..solve.highs import compile_lp, new_highs

        lp, self.repn, self.integer = compile_lp(model)
        self.cols = self.repn.columns
        self.where = {id(v): j for j, v in enumerate(self.cols)}
        self.value = np.array([0.0 if v.value is None else float(v.value) for v in self.cols])
        self.lower = np.asarray(lp.col_lower_, dtype=float).copy()
        self.upper = np.asarray(lp.col_upper_, dtype=float).copy()
        self.row_lower = np.asarray(lp.row_lower_, dtype=float).copy()
        self.row_upper = np.asarray(lp.row_upper_, dtype=float).copy()
        lp.integrality_ = []
        self.h = new_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.n = len(self.cols)

    def bounds(self, lower: np.ndarray, upper: np.ndarray) -> None:
        idx = np.arange(self.n, dtype=np.int32)
        self.h.changeColsBounds(self.n, idx, lower, upper)

    def run(self) -> np.ndarray:
        """Solve; the column values. Raises if the LP is not solved to optimality."""
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"explanation LP not optimal: {self.h.modelStatusToString(status)}")
        return np.asarray(self.h.getSolution().col_value, dtype=float)

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    def linear(self, expr: Any) -> tuple[np.ndarray, float]:
        """A linear expression of the model as (coefficient per column, constant)."""
        rep = generate_standard_repn(expr, compute_values=True, quadratic=False)
        c = np.zeros(self.n)
        for v, a in zip(rep.linear_vars, rep.linear_coefs):
            if id(v) in self.where:
                c[self.where[id(v)]] += float(a)
            else:  # a variable the compiler eliminated or fixed: its value is a constant
                rep.constant += float(a) * float(pyo.value(v))
        return c, float(rep.constant)


def explain(model: pyo.ConcreteModel, data: ModelData, instance: Instance) -> dict[str, Any]:
    """Binding limits with marginal values, the last lot of every purchase and the scenarios
    that drive it, and the assumptions behind them, for the plan loaded in ``model``."""
    lp = _LP(model)
    fixed_lo, fixed_hi = lp.lower.copy(), lp.upper.copy()
    plan = np.round(lp.value)
    fixed_lo[lp.integer] = plan[lp.integer]
    fixed_hi[lp.integer] = plan[lp.integer]

    S = data.scenarios
    cost_rows = [lp.linear(model.scenario_cost[s]) for s in S]
    C = np.array([c for c, _ in cost_rows])  # (S, n)
    c0 = np.array([k for _, k in cost_rows])
    prob = data.probability

    lp.bounds(fixed_lo, fixed_hi)
    x = lp.run()
    fixed_objective = lp.objective()
    base_s = C @ x + c0

    purchases = _last_lots(model, data, instance, lp, fixed_lo, fixed_hi, C, c0, base_s)

    why_not = _why_not(model, data, lp, fixed_lo, fixed_hi, C, c0, base_s)
    relaxed_objective, limits = _marginal(model, data, lp, fixed_lo, fixed_hi)
    _why_not_limits(why_not, data, limits)
    return {
        "fixed_objective": fixed_objective,
        "relaxed_objective": relaxed_objective,
        "expected_second_stage": float(prob @ base_s),
        "limits": limits,
        "purchases": purchases,
        "why_not": why_not,
        "assumptions": _assumptions(data),
        "cover_by_material": cover_by_material(model, data),
        "scenario_descriptions": {s.id: {"description": s.description, "events": list(s.events)}
                                  for s in instance.scenarios},
    }


def _last_lots(model: pyo.ConcreteModel, data: ModelData, instance: Instance, lp: _LP,
               lo: np.ndarray, hi: np.ndarray, C: np.ndarray, c0: np.ndarray,
               base_s: np.ndarray) -> list[dict[str, Any]]:
    K = data.products
    prob = data.probability
    lot_objective = costs.lot_objective(data)
    described = {s.id: s.description for s in instance.scenarios}
    out = []
    for (h, k), var in model.buy.items():
        n = round(float(var.value or 0.0))
        if n < 1 or id(var) not in lp.where:
            continue
        j = lp.where[id(var)]
        ki = K.index(k)
        lot = float(data.lot[ki])
        purchase = float(data.price[ki]) * lot
        holding = data.holding_years * float(data.holding[ki]) * lot
        objective_cost = float(lot_objective[ki])
        lo2, hi2 = lo.copy(), hi.copy()
        lo2[j] = hi2[j] = n - 1
        lp.bounds(lo2, hi2)
        x = lp.run()
        rise_s = (C @ x + c0) - base_s  # what each scenario loses without the last lot
        avoided = float(prob @ rise_s)
        weighted = prob * rise_s
        order = np.argsort(-weighted, kind="stable")
        drivers = [{"scenario": data.scenarios[i], "probability": float(prob[i]),
                    "avoided": float(rise_s[i]),
                    "share": float(weighted[i] / avoided) if avoided > TOL else None,
                    "description": described.get(data.scenarios[i], "")}
                   for i in order[:DRIVERS] if weighted[i] > TOL * max(1.0, abs(avoided))]
        out.append({
            "holder": h, "product": k, "material": data.materials[data.material_of[ki]],
            "lots": n, "lot_t": lot, "lot_purchase_cost": purchase,
            "lot_holding_cost": holding,
            "lot_residual_credit": float(data.residual[ki]) * purchase,
            "lot_objective_cost": objective_cost, "last_lot_avoids": avoided,
            "avoided_per_usd": avoided / objective_cost if objective_cost > 0 else None,
            "avoided_per_budget_usd": avoided / purchase if purchase > 0 else None,
            "drivers": drivers})
    lp.bounds(lo, hi)
    out.sort(key=lambda p: -(p["avoided_per_usd"] or 0.0))
    return out


def _first_lot(model: pyo.ConcreteModel, data: ModelData, lp: _LP, lo: np.ndarray,
               hi: np.ndarray, h: str, k: str) -> np.ndarray | None:
    """Columns of the plan with one lot of (h, k) added, the budget, market-cap, storage and
    programme-link rows it touches lifted (what the lot would avoid, whatever stops it);
    None when the model has no variable for it (no whole lot fits a limit)."""
    var = model.buy[h, k] if (h, k) in model.buy else None  # noqa: SIM401 (a Pyomo Var)
    if var is None or id(var) not in lp.where:
        return None
    mat = data.materials[data.material_of[data.products.index(k)]]
    lifted = {model.budget[h].name, model.programme_link[h, k].name}
    if mat in model.market_cap:
        lifted.add(model.market_cap[mat].name)
    hi_ = data.holders.index(h)
    lifted |= {model.storage_capacity[f].name for f, fh in zip(data.facilities,
                                                               data.facility_holder)
               if fh == hi_ and f in model.storage_capacity}
    rows = [i for i, (con, _) in enumerate(lp.repn.rows) if con.name in lifted]
    for i in rows:
        lp.h.changeRowBounds(i, -highspy.kHighsInf, highspy.kHighsInf)
    lo2, hi2 = lo.copy(), hi.copy()
    j = lp.where[id(var)]
    lo2[j] = hi2[j] = round(float(var.value or 0.0)) + 1
    lp.bounds(lo2, hi2)
    try:
        return lp.run()
    finally:
        for i in rows:
            lp.h.changeRowBounds(i, float(lp.row_lower[i]), float(lp.row_upper[i]))
        lp.bounds(lo, hi)


def _why_not(model: pyo.ConcreteModel, data: ModelData, lp: _LP, lo: np.ndarray,
             hi: np.ndarray, C: np.ndarray, c0: np.ndarray,
             base_s: np.ndarray) -> list[dict[str, Any]]:
    """For each material with demand that the plan does not buy at all: per holder with
    demand for it, the product whose first lot avoids the most per USD of its cost, what
    that lot would avoid, and the figures of each limit that could stop it (the verdict is
    added by :func:`_why_not_limits` once the limits' marginal values are known)."""
    lot_cost = costs.lot_objective(data)
    bought = (_lot_values(model, data) * data.lot[None, :]).sum(axis=0)  # (K,)
    out = []
    for mi, mat in enumerate(data.materials):
        ks = [k for k in range(len(data.products)) if data.material_of[k] == mi]
        if bought[ks].sum() > 0 or data.demand[:, ks].sum() <= 0:
            continue
        for hi_, h in enumerate(data.holders):
            if data.demand[hi_, ks].sum() <= 0:
                continue
            best: dict[str, Any] | None = None
            for k in ks:
                x = _first_lot(model, data, lp, lo, hi, h, data.products[k])
                avoided = None if x is None else float(
                    data.probability @ (base_s - (C @ x + c0)))
                row: dict[str, Any] = {
                       "material": mat, "holder": h, "product": data.products[k],
                       "annual_demand_t": float(data.demand[hi_, ks].sum()),
                       "lot_t": float(data.lot[k]),
                       "lot_contained_t": float(data.metal_content[k] * data.lot[k]),
                       "lot_price": float(data.price[k] * data.lot[k]),
                       "lot_objective_cost": float(lot_cost[k]),
                       "first_lot_avoids": avoided,
                       "avoided_per_usd": (avoided / float(lot_cost[k])
                                           if avoided is not None and lot_cost[k] > 0 else None),
                       "programme_cost": float(data.programme_cost[hi_, mi]),
                       "market_cap_t": float(costs.market_cap(data)[mi]),
                       "lot_volume_m3": float(data.volume[k] * data.lot[k])}
                if best is None or (row["avoided_per_usd"] or -1.0) > (
                        best["avoided_per_usd"] or -1.0):
                    best = row
            if best is not None:
                out.append(best)
    return out


def _lot_values(model: pyo.ConcreteModel, data: ModelData) -> np.ndarray:
    """Lots bought (H, K) as the solved model holds them."""
    out = np.zeros((len(data.holders), len(data.products)))
    for (h, k), v in model.buy.items():
        out[data.holders.index(h), data.products.index(k)] = round(float(v.value or 0.0))
    return out


def _why_not_limits(rows: list[dict[str, Any]], data: ModelData,
                    limits: list[dict[str, Any]]) -> None:
    """The limit that stops each first lot of :func:`_why_not`, in this order: no whole lot
    fits the market cap; the lot avoids less than its cost; it avoids less than its cost plus
    the programme's fixed cost; the budget has no room, or its money avoids more elsewhere
    (its marginal value); no storage space is free; else none of these alone."""
    by = {(r["kind"], r["name"]): r for r in limits}
    for r in rows:
        budget = by.get(("budget", r["holder"])) or {}
        slack, value = float(budget.get("slack", np.inf)), float(budget.get("marginal_value", 0))
        space = sum(float(x["slack"]) for x in limits if x["kind"] == "storage"
                    and x["limit"] > 0 and str(x["name"]).startswith(r["holder"]))
        has_storage = any(x["kind"] == "storage" and str(x["name"]).startswith(r["holder"])
                          for x in limits)
        avoided = r["first_lot_avoids"]
        net = None if avoided is None else avoided - r["lot_objective_cost"]
        outlay = r["lot_price"] + r["programme_cost"]
        r["budget_slack"], r["budget_marginal_value"] = slack, value
        r["storage_free_m3"] = space if has_storage else None
        if r["lot_contained_t"] > r["market_cap_t"] + 1e-9:  # the cap counts contained t
            r["limit"] = "market cap"
        elif net is None:
            r["limit"] = "budget" if outlay > slack else "storage"
        elif net < 0:
            r["limit"] = "not worth its cost"
        elif net < r["programme_cost"]:
            r["limit"] = "programme fixed cost"
        elif outlay > slack or net - r["programme_cost"] <= value * outlay:
            r["limit"] = "budget"
        elif has_storage and r["lot_volume_m3"] > space:
            r["limit"] = "storage"
        else:
            r["limit"] = "none alone"


def _marginal(model: pyo.ConcreteModel, data: ModelData, lp: _LP, lo: np.ndarray,
              hi: np.ndarray) -> tuple[float, list[dict[str, Any]]]:
    """The LP with the binaries fixed and lots fractional and bounded only by the limits
    themselves: lot bounds U_hk and the programme links of open programmes lifted (they
    restate constraints 1, 3 and 4 rounded down to whole lots), a market-cap row added for
    every material the builder left without one. Returns its optimum and the limits."""
    lo, hi = lo.copy(), hi.copy()
    lot = dict(zip(data.products, (data.metal_content * data.lot).tolist()))  # contained t
    for v in model.buy.values():
        if id(v) in lp.where:
            lo[lp.where[id(v)]], hi[lp.where[id(v)]] = 0.0, highspy.kHighsInf
    lp.bounds(lo, hi)
    for i, (con, _) in enumerate(lp.repn.rows):
        if con.parent_component() is model.programme_link:
            h, k = con.index()
            mat = data.materials[data.material_of[data.products.index(k)]]
            if round(float(pyo.value(model.programme[h, mat]))) == 1:
                lp.h.changeRowBounds(i, -highspy.kHighsInf, highspy.kHighsInf)
    added: dict[str, int] = {}
    for mi, mat in enumerate(data.materials):
        cols = [(lp.where[id(v)], lot[k]) for (h, k), v in model.buy.items()
                if data.material_of[data.products.index(k)] == mi and id(v) in lp.where]
        if cols and mat not in model.market_cap:
            added[mat] = lp.h.getNumRow()
            idx = np.array([j for j, _ in cols], dtype=np.int32)
            val = np.array([a for _, a in cols], dtype=float)
            lp.h.addRow(-highspy.kHighsInf, float(data.market_share[mi] * data.world[mi]),
                        len(cols), idx, val)
    lp.run()
    duals = np.asarray(lp.h.getSolution().row_dual, dtype=float)
    dual: dict[str, float] = {}
    for i, (con, _) in enumerate(lp.repn.rows):
        dual[con.name] = dual.get(con.name, 0.0) + float(duals[i])
    for mat, i in added.items():
        dual[f"market_cap[{mat}]"] = float(duals[i])
    return lp.objective(), _limits(model, data, dual)


def _limits(model: pyo.ConcreteModel, data: ModelData,
            dual: dict[str, float]) -> list[dict[str, Any]]:
    """Each budget, storage facility and market cap: its size, what the plan uses, the slack,
    and the marginal value (the fall of expected total cost per extra unit)."""
    rows: list[dict[str, Any]] = []

    def add(kind: str, name: str, unit: str, limit: float, used: float, con: str) -> None:
        value = -dual.get(con, 0.0)  # <= rows of a minimisation: the dual is <= 0
        rows.append({"kind": kind, "name": name, "unit": unit, "limit": limit, "used": used,
                     "slack": limit - used, "share_used": used / limit if limit > 0 else None,
                     "marginal_value": value + 0.0 if abs(value) > 1e-12 else 0.0,
                     "binding": limit > 0 and (abs(value) > 1e-9 or used >= limit * 0.999)})

    for h in data.holders:
        used = pyo.value(model.holder_purchase_cost[h] + model.holder_fixed_cost[h])
        add("budget", h, "USD", float(data.budget[data.holders.index(h)]), float(used),
            model.budget[h].name)
    vol = dict(zip(data.products, data.volume.tolist()))
    for f, cap in zip(data.facilities, data.facility_capacity):
        if f not in model.storage_capacity:
            continue
        used = sum(vol[k] * float(v.value or 0.0) for (h, k, ff), v in model.store.items()
                   if ff == f)
        open_ = round(float(pyo.value(model.facility_used[f]))) == 1
        add("storage", f if open_ else f"{f} (not used)", "m3", float(cap) if open_ else 0.0,
            used, model.storage_capacity[f].name)
    lot = dict(zip(data.products, (data.metal_content * data.lot).tolist()))  # contained t
    for mi, mat in enumerate(data.materials):
        limit = float(data.market_share[mi] * data.world[mi])
        bought = sum(lot[k] * float(v.value or 0.0) for (h, k), v in model.buy.items()
                     if data.material_of[data.products.index(k)] == mi)
        if any(data.material_of[data.products.index(k)] == mi for _, k in model.buy):
            add("market cap", mat, "t", limit, bought, f"market_cap[{mat}]")
    rows.sort(key=lambda r: (not r["binding"], -abs(r["marginal_value"])))
    return rows


def _assumptions(data: ModelData) -> list[dict[str, Any]]:
    """Per material: the market cap, prices, holding cost and the tiers of shortfall cost
    (demand-weighted over holders and products), the figures the plan trades off."""
    out = []
    for mi, mat in enumerate(data.materials):
        ks = [k for k in range(len(data.products)) if data.material_of[k] == mi]
        d = data.demand[:, ks]  # (H, k)
        weight = d.sum()
        tiers = []
        for q, tier in enumerate(data.tiers):
            share = data.tier_share[:, ks, q]
            cost = data.tier_cost[:, ks, q]
            if weight > 0 and (share * d).sum() > 0:
                tiers.append({"tier": tier, "share": float((share * d).sum() / weight),
                              "cost_per_t": float((cost * share * d).sum() / (share * d).sum())})
        out.append({
            "material": mat, "market_cap_t": float(data.market_share[mi] * data.world[mi]),
            "price_min": float(data.price[ks].min()) if ks else None,
            "price_max": float(data.price[ks].max()) if ks else None,
            "holding_per_t_yr": float(data.holding[ks].max()) if ks else None,
            "residual_value_share": float(data.residual[ks].max()) if ks else 0.0,
            "annual_demand_t": float(weight), "tiers": tiers})
    return out


def cover_by_material(model: pyo.ConcreteModel, data: ModelData) -> list[dict[str, Any]]:
    """Days of cover per holder and material: 365 x usable stock / annual demand, where a
    grade nobody demands counts at the best yield of a route that turns it into a demanded
    grade (conversion capacity permitting), and a grade with neither counts nothing."""
    H, K = len(data.holders), len(data.products)
    stock = np.array([[float(pyo.value(model.stock[h, k])) for k in data.products]
                      for h in data.holders])
    out = []
    for h in range(H):
        demanded = data.demand[h] > 0
        for mi, mat in enumerate(data.materials):
            ks = [k for k in range(K) if data.material_of[k] == mi]
            d = float(data.demand[h, ks].sum())
            if d <= 0:
                continue
            usable, raw = 0.0, 0.0
            for k in ks:
                raw += stock[h, k]
                if demanded[k]:
                    usable += stock[h, k]
                    continue
                yields = [float(data.route_yield[r]) for r in range(len(data.route_yield))
                          if data.route_from[r] == k and demanded[data.route_to[r]]]
                usable += stock[h, k] * max(yields, default=0.0)
            out.append({"holder": data.holders[h], "material": mat, "stock_t": raw,
                        "usable_t": usable, "annual_demand_t": d,
                        "days_of_cover": 365.0 * usable / d})
    return out
