"""Index sets and parameters of the model as plain numpy arrays.

:func:`model_data` turns a validated :class:`~stockpile.instance.Instance` and a mode into a
:class:`ModelData` that knows nothing of Pyomo. Every builder reads from it, whether it builds
the extensive form or one scenario, so the model is written once.

Array axes use the symbols of docs/model.md: h holders, m materials, k products, q tiers,
t periods, s scenarios, r routes, f facilities, a candidate agreements, l directed sharing
links (a sender, a receiver and a material).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..instance.schema import Effect, Instance, RouteEffect
from .modes import MODES, Mode

__all__ = ["MODES", "Mode", "ModelData", "agreement_key", "model_data"]


@dataclass(frozen=True)
class ModelData:
    name: str
    mode: Mode
    holders: list[str]
    materials: list[str]
    products: list[str]
    tiers: list[str]
    periods: list[str]
    scenarios: list[str]
    routes: list[str]
    facilities: list[str]
    # products (K)
    material_of: np.ndarray  # int, material index of each product
    price: np.ndarray  # p_k USD/t
    lot: np.ndarray  # lot_k t
    holding: np.ndarray  # rho_k USD/t/yr
    volume: np.ndarray  # vol_k m3/t
    residual: np.ndarray  # omega_k, residual value share (E1; 0 = canonical)
    metal_content: np.ndarray  # t of material m(k) per t of k (1 = canonical)
    # materials (M)
    world: np.ndarray  # W_m t/yr
    market_share: np.ndarray  # beta_m
    # holders (H)
    budget: np.ndarray  # B_h USD
    programme_cost: np.ndarray  # sigma_hm USD (H, M)
    inventory: np.ndarray  # I0_hk t (H, K)
    demand: np.ndarray  # d_hk t/yr (H, K)
    tier_share: np.ndarray  # phi_hkq (H, K, Q)
    tier_cost: np.ndarray  # kappa_hkq USD/t (H, K, Q)
    # time and scenarios
    years: np.ndarray  # L_t (T)
    holding_years: float  # Y
    probability: np.ndarray  # pi_s (S)
    supply: np.ndarray  # a_hkts as (S, T, H, K)
    demand_mult: np.ndarray  # mu_hkts as (S, T, H, K)
    capacity_mult: np.ndarray  # g_hrts as (S, T, H, R)
    # routes (R)
    route_from: np.ndarray  # int product index
    route_to: np.ndarray  # int product index
    route_yield: np.ndarray  # eta_r
    route_cost: np.ndarray  # c_r USD/t input
    route_capacity: np.ndarray  # cap_hr t input/yr (H, R)
    # facilities (F)
    facility_holder: np.ndarray  # int
    facility_capacity: np.ndarray  # C_f m3
    facility_cost: np.ndarray  # gamma_f USD
    # candidate agreements (A)
    agreement_pair: np.ndarray  # int (A, 2)
    agreement_material: np.ndarray  # int (A)
    agreement_cost: np.ndarray  # psi USD
    agreement_cap: np.ndarray  # theta
    agreement_transport: np.ndarray  # c USD/t
    # directed sharing links of the mode (Lk)
    link_from: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    link_to: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    link_material: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    link_cap: np.ndarray = field(default_factory=lambda: np.zeros(0))
    link_transport: np.ndarray = field(default_factory=lambda: np.zeros(0))
    link_agreement: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # -1: none

    # ---- derived quantities -------------------------------------------------------------
    @property
    def n_holders(self) -> int:
        return len(self.holders)

    def max_lots(self) -> np.ndarray:
        """Largest number of lots n_hk the budget, the market cap and storage allow (H, K).

        U_hk of constraint 2: a purchase needs the programme (fixed cost sigma_hm) and fits
        the budget, stays within beta_m W_m (counted in contained material, metal_content_k
        lot_k per lot), and fits in the holder's total storage space.
        These bounds are implied by constraints 1, 3 and 4, so using them changes no optimum.
        """
        H, K = self.demand.shape
        out = np.zeros((H, K), dtype=np.int64)
        total_space = np.full(H, np.inf)
        for h in range(H):
            mask = self.facility_holder == h
            if mask.any():
                total_space[h] = self.facility_capacity[mask].sum()
        for h in range(H):
            for k in range(K):
                m = self.material_of[k]
                lot = self.lot[k]
                bounds = [self.market_share[m] * self.world[m]
                          / (self.metal_content[k] * lot)]
                if self.price[k] > 0:
                    bounds.append((self.budget[h] - self.programme_cost[h, m])
                                  / (self.price[k] * lot))
                if self.volume[k] > 0 and np.isfinite(total_space[h]):
                    bounds.append((total_space[h] / self.volume[k] - self.inventory[h, k]) / lot)
                out[h, k] = max(0, math.floor(min(bounds) + 1e-9))
        return out

    def deficit(self) -> np.ndarray:
        """Tonnes of demand that normal supply leaves uncovered: (mu - a)^+ d L, (S, T, H, K).

        Where it is zero, constraint 6 holds with every second-stage variable at zero, so the
        builders create releases, inflows and shortfall only where it is positive. Costs are
        non-negative, so dropping the others changes no optimum.
        """
        gap = np.clip(self.demand_mult - self.supply, 0.0, None)
        return gap * self.demand[None, None, :, :] * self.years[None, :, None, None]

    def with_scenarios(self, idx: list[int]) -> ModelData:
        """The same data restricted to some scenarios (probabilities kept as they are)."""
        ix = np.asarray(idx, dtype=int)
        return replace(self, scenarios=[self.scenarios[i] for i in ix],
                       probability=self.probability[ix], supply=self.supply[ix],
                       demand_mult=self.demand_mult[ix], capacity_mult=self.capacity_mult[ix])


def agreement_key(data: ModelData, a: int) -> str:
    """Readable key of candidate agreement a: 'US-DLA|JP-JOGMEC|gallium'."""
    h1, h2 = data.agreement_pair[a]
    return f"{data.holders[h1]}|{data.holders[h2]}|{data.materials[data.agreement_material[a]]}"


def _apply(arr: np.ndarray, effects: list[Effect], hix: dict[str, int], kix: dict[str, int],
           products_of: dict[str, list[int]]) -> None:
    """Write scenario effects into arr (T, H, K), in order."""
    T, H, K = arr.shape
    for e in effects:
        hs = [hix[e.holder]] if e.holder is not None else list(range(H))
        if e.product is not None:
            ks = [kix[e.product]]
        elif e.material is not None:
            ks = products_of[e.material]
        else:
            ks = list(range(K))
        vals = np.broadcast_to(np.asarray(e.values, dtype=float), (T,))
        for h in hs:
            for k in ks:
                arr[:, h, k] = vals


def _apply_routes(arr: np.ndarray, effects: list[RouteEffect], hix: dict[str, int],
                  rix: dict[str, int]) -> None:
    T, H, R = arr.shape
    for e in effects:
        hs = [hix[e.holder]] if e.holder is not None else list(range(H))
        rs = [rix[e.route]] if e.route is not None else list(range(R))
        vals = np.broadcast_to(np.asarray(e.values, dtype=float), (T,))
        for h in hs:
            for r in rs:
                arr[:, h, r] = vals


def _index(ids: list[str]) -> dict[str, int]:
    return {x: i for i, x in enumerate(ids)}


def _holder_arrays(inst: Instance, H: list[str], M: list[str], K: list[str],
                   Q: list[str]) -> dict[str, np.ndarray]:
    """Programme costs sigma (H, M), inventory I0 and demand d (H, K), tier shares phi and
    costs kappa (H, K, Q)."""
    hix, mix, kix, qix = _index(H), _index(M), _index(K), _index(Q)
    sigma = np.zeros((len(H), len(M)))
    for p in inst.programmes:
        sigma[hix[p.holder], mix[p.material]] = p.fixed_cost
    I0 = np.zeros((len(H), len(K)))
    for v in inst.inventory:
        I0[hix[v.holder], kix[v.product]] = v.tonnes
    d = np.zeros((len(H), len(K)))
    phi = np.zeros((len(H), len(K), len(Q)))
    kappa = np.zeros((len(H), len(K), len(Q)))
    for row in inst.demand:
        h, k = hix[row.holder], kix[row.product]
        d[h, k] = row.annual
        for ts in row.shortfall:
            phi[h, k, qix[ts.tier]] = ts.share
            kappa[h, k, qix[ts.tier]] = ts.cost
    return {"programme_cost": sigma, "inventory": I0, "demand": d, "tier_share": phi,
            "tier_cost": kappa}


def _scenario_arrays(inst: Instance, H: list[str], M: list[str], K: list[str],
                     R: list[str]) -> dict[str, np.ndarray]:
    """Supply a and demand multipliers mu (S, T, H, K), conversion capacity multipliers g
    (S, T, H, R): 1 unless a scenario's effect says otherwise."""
    hix, kix, rix = _index(H), _index(K), _index(R)
    products_of: dict[str, list[int]] = {m: [] for m in M}
    for i, product in enumerate(inst.products):
        products_of[product.material].append(i)
    nS, nT = len(inst.scenarios), len(inst.periods)
    a = np.ones((nS, nT, len(H), len(K)))
    mu = np.ones((nS, nT, len(H), len(K)))
    g = np.ones((nS, nT, len(H), len(R)))
    for s, sc in enumerate(inst.scenarios):
        _apply(a[s], sc.supply, hix, kix, products_of)
        _apply(mu[s], sc.demand, hix, kix, products_of)
        _apply_routes(g[s], sc.conversion, hix, rix)
    return {"supply": a, "demand_mult": mu, "capacity_mult": g}


def _route_arrays(inst: Instance, H: list[str], K: list[str]) -> dict[str, np.ndarray]:
    hix, kix = _index(H), _index(K)
    cap = np.zeros((len(H), len(inst.routes)))
    for r, route in enumerate(inst.routes):
        for holder, c in route.capacity.items():
            cap[hix[holder], r] = c
    return {
        "route_from": np.array([kix[r.from_product] for r in inst.routes], dtype=int),
        "route_to": np.array([kix[r.to_product] for r in inst.routes], dtype=int),
        "route_yield": np.array([r.yield_ for r in inst.routes], dtype=float),
        "route_cost": np.array([r.cost for r in inst.routes], dtype=float),
        "route_capacity": cap,
    }


def _product_arrays(inst: Instance, M: list[str]) -> dict[str, np.ndarray]:
    mix, ks = _index(M), inst.products
    return {
        "material_of": np.array([mix[k.material] for k in ks], dtype=int),
        "price": np.array([k.price for k in ks], dtype=float),
        "lot": np.array([k.lot for k in ks], dtype=float),
        "holding": np.array([k.holding_cost for k in ks], dtype=float),
        "volume": np.array([k.volume for k in ks], dtype=float),
        "residual": np.array([k.residual_value_share for k in ks], dtype=float),
        "metal_content": np.array([k.metal_content for k in ks], dtype=float),
        "world": np.array([m.world_production for m in inst.materials], dtype=float),
        "market_share": np.array([m.market_cap_share for m in inst.materials], dtype=float),
    }


def _facility_and_agreement_arrays(inst: Instance, H: list[str],
                                   M: list[str]) -> dict[str, np.ndarray]:
    hix, mix, ags = _index(H), _index(M), inst.agreements
    return {
        "facility_holder": np.array([hix[h.id] for h in inst.holders for _ in h.facilities],
                                    dtype=int),
        "facility_capacity": np.array([f.capacity for h in inst.holders for f in h.facilities],
                                      dtype=float),
        "facility_cost": np.array([f.fixed_cost for h in inst.holders for f in h.facilities],
                                  dtype=float),
        "agreement_pair": np.array([[hix[a.holders[0]], hix[a.holders[1]]] for a in ags],
                                   dtype=int).reshape(-1, 2),
        "agreement_material": np.array([mix[a.material] for a in ags], dtype=int),
        "agreement_cost": np.array([a.fixed_cost for a in ags], dtype=float),
        "agreement_cap": np.array([a.share_cap for a in ags], dtype=float),
        "agreement_transport": np.array([a.transport_cost for a in ags], dtype=float),
    }


def model_data(inst: Instance, mode: Mode = "bilateral") -> ModelData:
    """Arrays of a validated instance for one mode (national, bilateral or pooled)."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: must be one of {', '.join(MODES)}")
    H = [h.id for h in inst.holders]
    M = [m.id for m in inst.materials]
    K = [k.id for k in inst.products]
    Q = [q.id for q in inst.tiers]
    R = [r.id for r in inst.routes]
    arrays = {**_product_arrays(inst, M), **_holder_arrays(inst, H, M, K, Q),
              **_scenario_arrays(inst, H, M, K, R), **_route_arrays(inst, H, K),
              **_facility_and_agreement_arrays(inst, H, M)}
    data = ModelData(
        name=inst.name, mode=mode, holders=H, materials=M, products=K, tiers=Q,
        periods=[p.id for p in inst.periods], scenarios=[s.id for s in inst.scenarios],
        routes=R, facilities=[f.id for h in inst.holders for f in h.facilities],
        budget=np.array([h.budget for h in inst.holders], dtype=float),
        years=np.array([p.years for p in inst.periods], dtype=float),
        holding_years=float(inst.holding_years),
        probability=np.array([s.probability for s in inst.scenarios], dtype=float),
        **arrays,
    )
    link_from, link_to, link_material, link_cap, link_transport, link_agreement = \
        _links(data, mode)
    return replace(data, link_from=link_from, link_to=link_to, link_material=link_material,
                   link_cap=link_cap, link_transport=link_transport,
                   link_agreement=link_agreement)


def _links(data: ModelData, mode: Mode) -> tuple[np.ndarray, ...]:
    """Directed sharing links of a mode.

    national: none. bilateral: both directions of every candidate agreement, with its share
    cap and transport cost. pooled: every ordered pair of holders and every material, share
    cap 1, the transport cost of the candidate agreement listed for the pair and material
    (else 0), and no agreement binaries.
    """
    rows: list[tuple[int, int, int, float, float, int]] = []
    if mode == "bilateral":
        for a, (h1, h2) in enumerate(data.agreement_pair):
            m = int(data.agreement_material[a])
            cap, c = float(data.agreement_cap[a]), float(data.agreement_transport[a])
            rows += [(int(h1), int(h2), m, cap, c, a), (int(h2), int(h1), m, cap, c, a)]
    elif mode == "pooled":
        transport = {}
        for a, (h1, h2) in enumerate(data.agreement_pair):
            m = int(data.agreement_material[a])
            transport[(int(h1), int(h2), m)] = transport[(int(h2), int(h1), m)] = \
                float(data.agreement_transport[a])
        nH, nM = len(data.holders), len(data.materials)
        for h in range(nH):
            for h2 in range(nH):
                if h != h2:
                    for m in range(nM):
                        rows.append((h, h2, m, 1.0, transport.get((h, h2, m), 0.0), -1))
    cols: list[tuple[float, ...]] = list(zip(*rows)) if rows else [()] * 6
    # from, to, material, cap, transport, agreement
    return tuple(np.array(c, dtype=float if j in (3, 4) else int) for j, c in enumerate(cols))
