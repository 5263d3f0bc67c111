"""Each first-stage cost term and bound written once, for the model and for any plan.

The Pyomo builders (first_stage.py), the array build (arrays.py), the figures of a solved
model (extract.py), the evaluation of a fixed plan and the rules agencies use today all take
their coefficients from here, so a term cannot drift between them.

    objective, per holder h:  sum_k (1 - omega_k) p_k x_hk + Y sum_k rho_k X_hk
                              + sum_m sigma_hm y_hm + sum_f gamma_f z_f + sum psi_a b_a / 2
    budget (constraint 1):    sum_k p_k x_hk + sigma y + gamma z + psi b / 2 <= B_h

omega_k is the residual value share of extension E1 (0 unless the instance gives it): the
budget pays the full price, the objective counts only what is not recovered.

:func:`violations` checks any plan against constraints 1-4 and :func:`scale_back` is the
documented procedure that brings a rule's targets within them (docs/model.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .data import ModelData
from .plan import Plan, agreement_key

TOL = 1e-6


def lot_price(data: ModelData) -> np.ndarray:
    """Budget cost of one lot, p_k lot_k, (K,)."""
    return data.price * data.lot


def net_price(data: ModelData) -> np.ndarray:
    """Objective cost of one tonne bought, (1 - omega_k) p_k, (K,)."""
    return (1.0 - data.residual) * data.price


def holding_per_tonne(data: ModelData) -> np.ndarray:
    """Holding cost of one tonne held over the Y years charged, Y rho_k, (K,)."""
    return data.holding_years * data.holding


def lot_objective(data: ModelData) -> np.ndarray:
    """Objective coefficient of one lot n_hk: ((1 - omega_k) p_k + Y rho_k) lot_k, (K,)."""
    return (net_price(data) + holding_per_tonne(data)) * data.lot


def inventory_holding(data: ModelData) -> float:
    """The constant Y sum rho_k I0_hk (holding of the opening inventory)."""
    return float((holding_per_tonne(data)[None, :] * data.inventory).sum())


def market_cap(data: ModelData) -> np.ndarray:
    """beta_m W_m, tonnes of contained material all holders together may buy, (M,)."""
    return data.market_share * data.world


def lot_contained(data: ModelData) -> np.ndarray:
    """Tonnes of its material one lot holds, metal_content_k lot_k: the coefficient of n_hk
    in the market cap (constraint 4), (K,)."""
    return data.metal_content * data.lot


def contained_by_material(data: ModelData, lots: np.ndarray) -> np.ndarray:
    """Tonnes of each material that ``lots`` (H, K) buy, sum_h sum_{k of m} metal_content_k
    lot_k n_hk, (M,)."""
    out = np.zeros(len(data.materials))
    np.add.at(out, data.material_of, (np.asarray(lots, dtype=float)
                                      * lot_contained(data)[None, :]).sum(0))
    return out


def storage_space(data: ModelData) -> np.ndarray:
    """Total facility space per holder, inf for a holder with no facilities, (H,)."""
    out = np.full(len(data.holders), np.inf)
    for h in range(len(data.holders)):
        own = data.facility_holder == h
        if own.any():
            out[h] = float(data.facility_capacity[own].sum())
    return out


@dataclass(frozen=True)
class FirstStageCost:
    """The first-stage cost terms of a plan per holder, (H,) each, in USD."""

    purchase: np.ndarray  # p x (full price: what the budget pays)
    residual_credit: np.ndarray  # omega p x (E1: recovered, off the objective)
    holding: np.ndarray  # Y rho X
    programmes: np.ndarray  # sigma y
    facilities: np.ndarray  # gamma z
    agreements: np.ndarray  # psi b / 2

    @property
    def budget_used(self) -> np.ndarray:
        return self.purchase + self.programmes + self.facilities + self.agreements

    @property
    def objective(self) -> np.ndarray:
        return self.budget_used - self.residual_credit + self.holding


def cheapest_facilities(data: ModelData, h: int, volume: float) -> list[int]:
    """Facilities of holder h, by fixed cost per m3, until ``volume`` fits (a feasible set,
    the one a plan without named facilities is costed with)."""
    own = sorted(np.nonzero(data.facility_holder == h)[0],
                 key=lambda f: (data.facility_cost[f] / max(data.facility_capacity[f], 1e-12), f))
    chosen: list[int] = []
    for f in own:
        if volume <= TOL:
            break
        chosen.append(int(f))
        volume -= float(data.facility_capacity[f])
    return chosen


def first_stage_cost(data: ModelData, plan: Plan) -> FirstStageCost:
    """Every first-stage term of ``plan``; facilities as the plan names them, else the
    cheapest that hold its stock."""
    nH = len(data.holders)
    x = plan.bought(data)
    X = plan.stock(data)
    fac = np.zeros(nH)
    for h in range(nH):
        used: list[int]
        if plan.facilities is not None:
            used = [int(f) for f in np.nonzero(data.facility_holder == h)[0]
                    if data.facilities[f] in plan.facilities]
        else:
            used = cheapest_facilities(data, h, float((X[h] * data.volume).sum()))
        fac[h] = float(sum(data.facility_cost[f] for f in used))
    agr = np.zeros(nH)
    for a in range(len(data.agreement_material)):
        if agreement_key(data, a) in plan.agreements:
            for h in data.agreement_pair[a]:
                agr[h] += float(data.agreement_cost[a]) / 2
    return FirstStageCost(
        purchase=(x * data.price[None, :]).sum(1),
        residual_credit=(x * (data.residual * data.price)[None, :]).sum(1),
        holding=(X * holding_per_tonne(data)[None, :]).sum(1),
        programmes=(plan.programmes(data) * data.programme_cost).sum(1),
        facilities=fac, agreements=agr)


def violations(data: ModelData, plan: Plan) -> list[str]:
    """Constraints 1-4 that ``plan`` breaks, one readable line each (empty: feasible).

    1 budget (fixed costs included), 2 programme link (a plan's programmes follow its lots,
    so it holds by construction; lots must be whole and >= 0), 3 storage (the stock's volume
    within the space of the facilities used; w may split a product across them), 4 market cap
    (contained material: metal_content_k x tonnes bought).
    """
    out: list[str] = []
    lots = plan.lots
    if (lots < 0).any() or not np.allclose(lots, np.round(lots)):
        out.append("lots must be whole numbers >= 0")
    cost = first_stage_cost(data, plan)
    for h, hid in enumerate(data.holders):
        if cost.budget_used[h] > data.budget[h] * (1 + 1e-9) + TOL:
            out.append(f"budget of {hid}: uses {cost.budget_used[h]:,.0f} of "
                       f"{data.budget[h]:,.0f} USD")
    X = plan.stock(data)
    space = storage_space(data)
    for h, hid in enumerate(data.holders):
        vol = float((X[h] * data.volume).sum())
        room = space[h]
        if plan.facilities is not None and np.isfinite(room):
            room = float(sum(data.facility_capacity[f] for f in np.nonzero(
                data.facility_holder == h)[0] if data.facilities[f] in plan.facilities))
        if vol > room * (1 + 1e-9) + TOL:
            out.append(f"storage of {hid}: {vol:,.0f} m3 in {room:,.0f} m3")
    bought_m = contained_by_material(data, plan.lots)
    for m, mid in enumerate(data.materials):
        if bought_m[m] > market_cap(data)[m] * (1 + 1e-9) + TOL:
            out.append(f"market cap of {mid}: {bought_m[m]:,.0f} t bought, cap "
                       f"{market_cap(data)[m]:,.0f} t")
    return out


def _largest_fraction(lots: np.ndarray, fits: Callable[[np.ndarray], bool]) -> np.ndarray:
    """floor(f * lots) for the largest f in [0, 1] with ``fits`` true (bisection)."""
    if fits(lots):
        return lots
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if fits(np.floor(lots * mid + 1e-9)):
            lo = mid
        else:
            hi = mid
    return np.floor(lots * lo + 1e-9)


def scale_back(data: ModelData, plan: Plan) -> Plan:
    """The rule-plan procedure of docs/model.md: targets brought within constraints 1-4.

    1. Market cap: where the holders together buy more of material m (contained, metal_content
       x tonnes of product) than beta_m W_m, each
       holder's purchases of m are scaled by the same factor (lots rounded down).
    2. Storage: a holder whose stock does not fit its facilities buys the same fraction of
       every purchase, the largest that fits.
    3. Budget: a holder whose purchases, programme costs and the cheapest facilities that hold
       the stock exceed B_h buys the same fraction of every purchase, the largest that fits.
    Each step only lowers lots, so what an earlier step fixed stays fixed. The plan's notes
    say which steps bound.
    """
    lots = plan.lots.astype(float).copy()
    notes: list[str] = []
    cap = market_cap(data)
    for m, mid in enumerate(data.materials):
        ks = np.nonzero(data.material_of == m)[0]
        total = float((lots[:, ks] * lot_contained(data)[ks]).sum())
        if total > cap[m] + TOL:
            f = cap[m] / total
            lots[:, ks] = np.floor(lots[:, ks] * f + 1e-9)
            notes.append(f"market cap of {mid}: purchases x {f:.3f}")
    space = storage_space(data)
    for h, hid in enumerate(data.holders):
        if not np.isfinite(space[h]):
            continue

        def fits_space(row: np.ndarray, h: int = h) -> bool:
            X = data.inventory[h] + row * data.lot
            return float((X * data.volume).sum()) <= space[h] + TOL
        new = _largest_fraction(lots[h], fits_space)
        if not np.array_equal(new, lots[h]):
            notes.append(f"storage of {hid}: purchases cut to fit {space[h]:,.0f} m3")
            lots[h] = new
    for h, hid in enumerate(data.holders):
        def fits_budget(row: np.ndarray, h: int = h) -> bool:
            trial = lots.copy()
            trial[h] = row
            c = first_stage_cost(data, Plan("", trial, plan.agreements))
            return bool(c.budget_used[h] <= data.budget[h] + TOL)
        new = _largest_fraction(lots[h], fits_budget)
        if not np.array_equal(new, lots[h]):
            notes.append(f"budget of {hid}: purchases scaled to fit {data.budget[h]:,.0f} USD")
            lots[h] = new
    status = "scaled back" if notes else "feasible"
    return Plan(plan.name, lots, plan.agreements, plan.facilities, status, notes)
