"""Read a solved model into typed figures (stockpile/figures.py): the plan and what it buys.

Everything the reports print comes from :func:`extract`; reports format, never compute.
The figures become JSON (result.json) only at the edge, by ``SolveFigures.to_dict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .figures import (
    AgreementRow,
    Conversion,
    Distribution,
    FacilityRow,
    Flow,
    HolderRow,
    NoStock,
    ObjectiveTerms,
    PlanRow,
    ProgrammeRow,
    ScenarioRow,
    SolveFigures,
)
from .model import costs
from .model.data import ModelData, agreement_key

CVAR_LEVEL = 0.95


def _val(v: Any) -> float:
    if isinstance(v, float):  # a value read from arrays (solve/readback.plan_values)
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


def distribution(values: np.ndarray, weights: np.ndarray) -> Distribution:
    return Distribution(
        mean=float(np.dot(values, weights) / weights.sum()),
        min=float(values.min()),
        p05=weighted_quantile(values, weights, 0.05),
        p50=weighted_quantile(values, weights, 0.50),
        p95=weighted_quantile(values, weights, 0.95),
        max=float(values.max()),
        cvar95=cvar(values, weights, CVAR_LEVEL),
    )


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


@dataclass
class _Costs:
    """The cost arrays of a solved plan: first stage per holder (H) or holder and product
    (H, K), second stage per scenario and holder (S, H)."""

    purchase: np.ndarray  # H, K
    credit: np.ndarray  # H, K: E1, recovered value
    holding: np.ndarray  # H, K
    programme: np.ndarray  # H
    facility: np.ndarray  # H
    agreement: np.ndarray  # H
    shortfall: np.ndarray  # S, H
    unmet_t: np.ndarray  # S, H
    unmet_by_material: np.ndarray  # S, H, M
    conversion: np.ndarray  # S, H
    transport: np.ndarray  # S, H, paid by the receiver
    received_value: np.ndarray  # S, H, replacement value of what a holder received

    def first_by_holder(self) -> np.ndarray:
        return (self.purchase.sum(1) - self.credit.sum(1) + self.holding.sum(1)
                + self.programme + self.facility + self.agreement)


def _indices(names: list[str]) -> dict[str, int]:
    return {n: i for i, n in enumerate(names)}


def _lots(m: Any, data: ModelData) -> np.ndarray:
    hi, ki = _indices(data.holders), _indices(data.products)
    lots = np.zeros((len(data.holders), len(data.products)))
    for (h, k), var in m.buy.items():
        lots[hi[h], ki[k]] = round(_val(var))
    return lots


def _plan_rows(data: ModelData, lots: np.ndarray, purchase: np.ndarray,
               holding: np.ndarray) -> list[PlanRow]:
    """One row per holder and product held or needed."""
    H, K, M = data.holders, data.products, data.materials
    bought = lots * data.lot[None, :]
    stock = data.inventory + bought
    plan = []
    for h in range(len(H)):
        for k in range(len(K)):
            if stock[h, k] <= 0 and data.demand[h, k] <= 0:
                continue
            d = float(data.demand[h, k])
            plan.append(PlanRow(
                holder=H[h], product=K[k], material=M[data.material_of[k]],
                inventory_t=float(data.inventory[h, k]), lots=int(lots[h, k]),
                bought_t=float(bought[h, k]), stock_t=float(stock[h, k]),
                purchase_cost=float(purchase[h, k]), holding_cost=float(holding[h, k]),
                annual_demand_t=d,
                days_of_cover=365.0 * float(stock[h, k]) / d if d > 0 else None,
            ))
    return plan


def _programmes(m: Any, data: ModelData) -> tuple[np.ndarray, list[ProgrammeRow]]:
    hi, M = _indices(data.holders), data.materials
    programme_cost = np.zeros(len(data.holders))
    programmes = []
    for (h, mat), var in m.programme.items():
        if _val(var) > 0.5:
            c = float(data.programme_cost[hi[h], M.index(mat)])
            programme_cost[hi[h]] += c
            programmes.append(ProgrammeRow(holder=h, material=mat, fixed_cost=c))
    return programme_cost, programmes


def _facilities(m: Any, data: ModelData) -> tuple[np.ndarray, list[FacilityRow]]:
    ki = _indices(data.products)
    facility_cost = np.zeros(len(data.holders))
    facilities = []
    for f, fh, cap, cost in zip(data.facilities, data.facility_holder, data.facility_capacity,
                                data.facility_cost):
        used = _val(m.facility_used[f]) > 0.5
        volume = sum(float(data.volume[ki[k]]) * _val(var) for (h, k, ff), var in m.store.items()
                     if ff == f)
        if used:
            facility_cost[fh] += cost
        facilities.append(FacilityRow(holder=data.holders[fh], facility=f, used=used,
                                      capacity_m3=float(cap), used_m3=volume,
                                      fixed_cost=float(cost)))
    return facility_cost, facilities


def _shortfall(m: Any, data: ModelData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortfall cost and unmet tonnes per scenario and holder, and the cost by material."""
    hi, ki, si = _indices(data.holders), _indices(data.products), _indices(data.scenarios)
    nS, nH = len(data.scenarios), len(data.holders)
    shortfall = np.zeros((nS, nH))
    unmet_t = np.zeros((nS, nH))
    unmet_by_material = np.zeros((nS, nH, len(data.materials)))
    for (h, k, q, _t, s), var in m.unmet.items():
        u = _val(var)
        if u:
            c = u * float(data.tier_cost[hi[h], ki[k], data.tiers.index(q)])
            shortfall[si[s], hi[h]] += c
            unmet_t[si[s], hi[h]] += u
            unmet_by_material[si[s], hi[h], data.material_of[ki[k]]] += c
    return shortfall, unmet_t, unmet_by_material


def _flows(m: Any, data: ModelData) -> tuple[np.ndarray, np.ndarray, list[Flow]]:
    """Transport cost paid by each receiver, the value each holder received (S, H), and
    every shipment."""
    H, M = data.holders, data.materials
    hi, ki, si = _indices(H), _indices(data.products), _indices(data.scenarios)
    transport = np.zeros((len(data.scenarios), len(H)))
    received_value = np.zeros((len(data.scenarios), len(H)))
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
            flows.append(Flow(scenario=s, period=t, from_=h, to=h2, product=k,
                              material=M[mat], tonnes=e))
    return transport, received_value, flows


def _conversions(m: Any, data: ModelData) -> tuple[np.ndarray, list[Conversion]]:
    hi, si = _indices(data.holders), _indices(data.scenarios)
    conversion = np.zeros((len(data.scenarios), len(data.holders)))
    conversions = []
    for (h, r, t, s), var in m.convert.items():
        v = _val(var)
        if v > 1e-9:
            ri = data.routes.index(r)
            conversion[si[s], hi[h]] += v * float(data.route_cost[ri])
            conversions.append(Conversion(scenario=s, period=t, holder=h, route=r, input_t=v,
                                          output_t=v * float(data.route_yield[ri])))
    return conversion, conversions


def _agreements(m: Any, data: ModelData,
                flows: list[Flow]) -> tuple[np.ndarray, list[AgreementRow]]:
    """Each candidate agreement, signed or not, with its flows; the fixed cost of a signed
    one is split evenly between its two holders."""
    H, M = data.holders, data.materials
    agreements = []
    agreement_cost = np.zeros(len(H))
    for a in range(len(data.agreement_material)):
        key = agreement_key(data, a)
        h1, h2 = (H[i] for i in data.agreement_pair[a])
        mat = M[data.agreement_material[a]]
        signed = key in m.agree and _val(m.agree[key]) > 0.5
        if signed:
            for i in data.agreement_pair[a]:
                agreement_cost[i] += float(data.agreement_cost[a]) / 2
        agreements.append(AgreementRow(
            holders=[h1, h2], material=mat, fixed_cost=float(data.agreement_cost[a]),
            share_cap=float(data.agreement_cap[a]), signed=signed,
            flows=[f for f in flows if f.material == mat and {f.from_, f.to} == {h1, h2}],
        ))
    return agreement_cost, agreements


def _holder_rows(data: ModelData, c: _Costs, none: np.ndarray) -> list[HolderRow]:
    """Budget used and each cost term per holder, expected over the scenarios. Each term is
    signed as it enters the cost (the E1 residual-value credit negative, as in
    :func:`_objective_terms`), so a holder's terms add up to its settled cost and the holders'
    settled costs to the objective (the transfer settlements cancel between holders)."""
    prob = data.probability
    exp = lambda arr: float(np.dot(prob, arr))  # noqa: E731
    first_by_holder = c.first_by_holder()
    second = c.shortfall + c.conversion + c.transport  # S, H
    holders = []
    for h in range(len(data.holders)):
        settled = first_by_holder[h] + exp(second[:, h]) + exp(c.received_value[:, h])
        holders.append(HolderRow(
            holder=data.holders[h], budget=float(data.budget[h]),
            budget_used=float(c.purchase[h].sum() + c.programme[h] + c.facility[h]
                              + c.agreement[h]),
            purchase_cost=float(c.purchase[h].sum()),
            holding_cost=float(c.holding[h].sum()),
            residual_value=-float(c.credit[h].sum()),
            programme_cost=float(c.programme[h]), facility_cost=float(c.facility[h]),
            agreement_cost=float(c.agreement[h]),
            expected_shortfall_cost=exp(c.shortfall[:, h]),
            expected_conversion_cost=exp(c.conversion[:, h]),
            expected_transport_cost=exp(c.transport[:, h]),
            expected_transfer_settlement=exp(c.received_value[:, h]),
            expected_cost_settled=float(settled),
            no_stock_expected_shortfall=exp(none[:, h]),
        ))
    return holders


def _scenario_rows(data: ModelData, c: _Costs, scen_cost: np.ndarray,
                   none: np.ndarray) -> list[ScenarioRow]:
    return [ScenarioRow(
        scenario=s, probability=float(data.probability[i]),
        total_cost=float(scen_cost[i]),
        shortfall_cost=float(c.shortfall[i].sum()), unmet_t=float(c.unmet_t[i].sum()),
        transport_cost=float(c.transport[i].sum()),
        conversion_cost=float(c.conversion[i].sum()),
        no_stock_shortfall_cost=float(none[i].sum()),
    ) for i, s in enumerate(data.scenarios)]


def _objective_terms(data: ModelData, c: _Costs) -> ObjectiveTerms:
    prob = data.probability
    return ObjectiveTerms(
        purchase=float(c.purchase.sum()), residual_value=-float(c.credit.sum()),
        holding=float(c.holding.sum()),
        programmes=float(c.programme.sum()), facilities=float(c.facility.sum()),
        agreements=float(c.agreement.sum()),
        expected_shortfall=float(np.dot(prob, c.shortfall.sum(1))),
        expected_transport=float(np.dot(prob, c.transport.sum(1))),
        expected_conversion=float(np.dot(prob, c.conversion.sum(1))),
    )


def extract(m: Any, data: ModelData) -> SolveFigures:
    """All figures of a solved model (values must be loaded in ``m``): a Pyomo model, or
    the same variables as dicts of floats (solve/readback.plan_values)."""
    M, prob = data.materials, data.probability
    lots = _lots(m, data)
    bought = lots * data.lot[None, :]
    stock = data.inventory + bought
    purchase = bought * data.price[None, :]
    holding = stock * costs.holding_per_tonne(data)[None, :]
    programme_cost, programmes = _programmes(m, data)
    facility_cost, facilities = _facilities(m, data)
    transport, received_value, flows = _flows(m, data)
    conversion, conversions = _conversions(m, data)
    agreement_cost, agreements = _agreements(m, data, flows)
    c = _Costs(purchase, bought * (data.residual * data.price)[None, :], holding,
               programme_cost, facility_cost, agreement_cost, *_shortfall(m, data),
               conversion, transport, received_value)
    first_by_holder = c.first_by_holder()
    scen_cost = first_by_holder.sum() + (c.shortfall + c.conversion + c.transport).sum(1)
    none = no_stock_shortfall(data)
    terms = _objective_terms(data, c)
    no_stock = float(np.dot(prob, none.sum(1)))
    return SolveFigures(
        mode=data.mode,
        objective_terms=terms,
        objective_recomputed=terms.total(),
        first_stage_cost=float(first_by_holder.sum()),
        plan=_plan_rows(data, lots, purchase, holding),
        programmes=programmes,
        facilities=facilities,
        agreements=agreements,
        flows=flows,
        conversions=conversions,
        holders=_holder_rows(data, c, none),
        scenarios=_scenario_rows(data, c, scen_cost, none),
        scenario_cost_distribution=distribution(scen_cost, prob),
        shortfall_by_material={
            M[j]: float(np.dot(prob, c.unmet_by_material[:, :, j].sum(1)))
            for j in range(len(M))},
        no_stock=NoStock(expected_shortfall_cost=no_stock,
                         expected_shortfall_avoided=no_stock - terms.expected_shortfall),
    )
