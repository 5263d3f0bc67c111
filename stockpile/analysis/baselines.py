"""Plans built by the rules stockpiles use today, at the same budget as the optimiser.

Days-of-cover rules set a target stock for each holder h and product k,

    target_hk = days_hm / 365 * base_hk,   base = d_hk (consumption) or NIR_hm d_hk (net imports)

and buy ceil((target - I0) / lot) lots. A holder whose rule costs more than its budget B_h
(purchases plus the programme fixed costs sigma_hm of the materials bought) buys the same
fraction f of every target, the largest f in [0, 1] that fits (found by bisection, lots
rounded down); purchases are also capped by U_hk (budget, market cap, storage).

- ``jogmec``: 60 days of consumption, 180 days for high-risk materials (the top producer
  country has at least half of world output, USGS MCS 2026) — Japan's 2020 strategy.
- ``komir``: 100 days of consumption — Korea's rare-metal target.
- ``iea``: 90 days of net imports — the IEA oil rule applied to metals.
- ``risk_ranked``: materials in order of risk score HHI / 10,000 * NIR_hm (concentration of
  world output times the holder's import reliance); each in turn gets 180 days of cover
  until the budget runs out (the last one partly).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..model import costs
from ..model.data import ModelData
from ..model.plan import Plan
from ..scenarios import calibration as cal
from ..solve.highs import SolveOptions

HIGH_RISK_TOP_SHARE = 0.5
RULES = ("jogmec", "komir", "iea", "risk_ranked")


def _profiles(data: ModelData, names: list[str] | None = None) -> list[cal.Profile | None]:
    return [cal.match_material(m, (names or [""] * len(data.materials))[j])
            for j, m in enumerate(data.materials)]


def _cost(data: ModelData, h: int, lots: np.ndarray) -> float:
    """Budget spent by holder h on ``lots`` (its row): purchases, programmes and the
    cheapest facilities that hold the stock (model/costs.py)."""
    full = np.zeros((len(data.holders), len(data.products)))
    full[h] = lots
    return float(costs.first_stage_cost(data, Plan("", full)).budget_used[h])


def _lots_for(data: ModelData, h: int, target: np.ndarray) -> np.ndarray:
    need = np.clip(target - data.inventory[h], 0.0, None)
    return np.ceil(need / data.lot - 1e-9)


def fit_budget(data: ModelData, h: int, lots: np.ndarray) -> np.ndarray:
    """The largest common fraction of ``lots`` (rounded down) within B_h and U_hk."""
    lots = np.minimum(lots, data.max_lots()[h])
    if _cost(data, h, lots) <= data.budget[h] + 1e-6:
        return lots
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if _cost(data, h, np.floor(lots * mid + 1e-9)) <= data.budget[h] + 1e-6:
            lo = mid
        else:
            hi = mid
    return np.floor(lots * lo + 1e-9)


def days_rule(data: ModelData, name: str, days: Callable[[int, int], float],
              net_imports: bool = False, names: list[str] | None = None) -> Plan:
    """A days-of-cover rule: ``days(h, m)`` days of consumption (or of net imports)."""
    prof = _profiles(data, names)
    lots = np.zeros((len(data.holders), len(data.products)))
    for h, hid in enumerate(data.holders):
        target = np.zeros(len(data.products))
        for k in range(len(data.products)):
            m = int(data.material_of[k])
            base = data.demand[h, k]
            if net_imports:
                base *= cal.net_import_reliance(prof[m], hid)
            target[k] = days(h, m) / 365.0 * base
        lots[h] = fit_budget(data, h, _lots_for(data, h, target))
    return Plan(name, lots)


def jogmec(data: ModelData, names: list[str] | None = None) -> Plan:
    prof = _profiles(data, names)
    high = [p is not None and p.top_share >= HIGH_RISK_TOP_SHARE for p in prof]
    return days_rule(data, "JOGMEC 60/180 days", lambda h, m: 180.0 if high[m] else 60.0,
                     names=names)


def komir(data: ModelData, names: list[str] | None = None) -> Plan:
    return days_rule(data, "KOMIR 100 days", lambda h, m: 100.0, names=names)


def iea(data: ModelData, names: list[str] | None = None) -> Plan:
    return days_rule(data, "IEA 90 days of net imports", lambda h, m: 90.0, net_imports=True,
                     names=names)


def risk_score(data: ModelData, h: int, names: list[str] | None = None) -> np.ndarray:
    """HHI / 10,000 * NIR_hm per material (0 where no data), (M,)."""
    prof = _profiles(data, names)
    return np.array([p.hhi / 1e4 * cal.net_import_reliance(p, data.holders[h]) if p else 0.0
                     for p in prof])


def risk_ranked(data: ModelData, names: list[str] | None = None, days: float = 180.0) -> Plan:
    lots = np.zeros((len(data.holders), len(data.products)))
    umax = data.max_lots()
    for h in range(len(data.holders)):
        score = risk_score(data, h, names)
        for m in sorted(range(len(data.materials)), key=lambda j: (-score[j], j)):
            ks = np.nonzero(data.material_of == m)[0]
            target = np.zeros(len(data.products))
            target[ks] = days / 365.0 * data.demand[h, ks]
            want = np.minimum(_lots_for(data, h, target), umax[h])
            if not want.any():
                continue
            trial = lots[h] + want
            if _cost(data, h, trial) <= data.budget[h] + 1e-6:
                lots[h] = trial
                continue
            lo, hi = 0.0, 1.0  # the largest fraction of this material that still fits
            for _ in range(60):
                mid = (lo + hi) / 2
                if _cost(data, h, lots[h] + np.floor(want * mid + 1e-9)) <= \
                        data.budget[h] + 1e-6:
                    lo = mid
                else:
                    hi = mid
            lots[h] = lots[h] + np.floor(want * lo + 1e-9)
            break
    return Plan(f"risk-ranked {days:g} days", lots)


def all_rules(data: ModelData, names: list[str] | None = None) -> list[Plan]:
    """The rules' targets, fitted to each holder's budget (not yet held to constraints 1-4:
    :func:`held_to_constraints` does that)."""
    return [jogmec(data, names), komir(data, names), iea(data, names),
            risk_ranked(data, names)]


def held_to_constraints(data: ModelData, plan: Plan, options: SolveOptions | None = None
                        ) -> Plan:
    """A rule's plan as a first stage of the same model (docs/model.md, "Plans compared").

    Its targets are scaled back within constraints 1-4 (``costs.scale_back``), its lots are
    fixed in the model of ``data``, and the model chooses its programmes, facilities and
    agreements at their costs. A plan the model still cannot take is returned with status
    'infeasible: ...' (and its lots), never raised.
    """
    from ..model.build import build_model
    from ..solve.highs import solve
    from .evaluate import plan_from_model

    scaled = costs.scale_back(data, plan)
    m = build_model(data)
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    missing = [f"{data.holders[h]}/{data.products[k]}" for h, k in zip(*np.nonzero(scaled.lots))
               if (data.holders[h], data.products[k]) not in m.buy]
    over = [f"{h}/{k}" for (h, k), v in m.buy.items() if scaled.lots[hi[h], ki[k]] > v.ub]
    if missing or over:
        return Plan(plan.name, scaled.lots, status="infeasible: lots beyond what the budget, "
                    f"market cap or storage allow ({', '.join(missing + over)})",
                    notes=scaled.notes)
    for (h, k), v in m.buy.items():
        v.fix(int(scaled.lots[hi[h], ki[k]]))
    m.mip_start = []
    stats = solve(m, options or SolveOptions())
    if not stats.has_plan:
        return Plan(plan.name, scaled.lots, status=f"infeasible: {stats.describe()}",
                    notes=scaled.notes)
    fixed = plan_from_model(m, data, plan.name)
    fixed.status, fixed.notes = scaled.status, scaled.notes
    return fixed


def rules_held(data: ModelData, names: list[str] | None = None,
               options: SolveOptions | None = None) -> list[Plan]:
    """Every rule's plan held to the model's constraints (``held_to_constraints``)."""
    return [held_to_constraints(data, p, options) for p in all_rules(data, names)]


def days_of_cover(data: ModelData, plan: Plan) -> float:
    """Demand-weighted days of cover of a plan (for tables)."""
    d = data.demand.sum()
    return float(365.0 * plan.stock(data).sum() / d) if d > 0 else math.nan
