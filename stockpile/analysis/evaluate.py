"""Evaluation of a fixed first stage on many scenarios.

Given the stock X_hk (and the agreements signed), the second stage separates by scenario.
Without sharing and conversion it also separates by holder and product, and the problem of
one (h, k) in one scenario is

    min sum_t sum_q kappa_q u_tq   s.t.  sum_t r_t <= X,  r_t + sum_q u_tq >= D_t,
                                         0 <= u_tq <= phi_q mu_t d L_t,  r_t >= 0

With r_t fixed, the unmet D_t - r_t fills the cheapest tiers first, so period t offers
segments A_tq (tonnes of tier q left unmet without stock) whose cost kappa_q does not depend
on t. The cost is convex and piecewise linear in r and its slopes are the segment costs:
allocating X to the most expensive segments first (a fractional knapsack with unit weights)
is optimal. Summing segments over t, A_q = sum_t A_tq, the optimum is

    sum_q kappa_q (A_q - alloc_q),  alloc_q = clip(X - sum_{q' dearer than q} A_q', 0, A_q)

which :func:`greedy_costs` evaluates for all scenarios, holders and products at once.

Where sharing (a signed agreement, or pooled mode) or conversion could change that answer —
a material with links or routes, in a scenario where the greedy leaves some of it unmet —
the exact LP is solved instead: the canonical model of ``build_model`` on those scenarios
with the purchases fixed and the first-stage rows (budget, storage, market cap) dropped.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

from ..extract import CVAR_LEVEL, cvar, weighted_quantile
from ..model.build import build_model
from ..model.data import ModelData
from ..model.first_stage import agreement_key
from ..solve.highs import SolveOptions, solve

Z95 = 1.959963984540054
CHUNK = 20000


@dataclass
class Plan:
    """A first stage: lots per (holder, product) and the agreements signed."""

    name: str
    lots: np.ndarray  # (H, K) whole lots bought
    agreements: frozenset[str] = frozenset()  # keys "H1|H2|material"
    facilities: frozenset[str] | None = None  # None: the cheapest facilities that fit

    def stock(self, data: ModelData) -> np.ndarray:
        return data.inventory + self.lots * data.lot[None, :]


def plan_from_model(m: pyo.ConcreteModel, data: ModelData, name: str = "optimised") -> Plan:
    lots = np.zeros((len(data.holders), len(data.products)))
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    for (h, k), v in m.buy.items():
        lots[hi[h], ki[k]] = round(pyo.value(v))
    signed = frozenset(a for a, v in m.agree.items() if pyo.value(v) > 0.5)
    used = frozenset(f for f, v in m.facility_used.items() if pyo.value(v) > 0.5)
    return Plan(name, lots, signed, used)


def plan_from_file(path: str | Path, data: ModelData) -> Plan:
    """A plan from plan.csv (holder, product, lots or bought_t) or result.json of a solve."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"--plan {path}: file does not exist")
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    signed: frozenset[str] = frozenset()
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            rows = raw["plan"]
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"--plan {path}: not a result.json of 'stockpile solve' ({e})") \
                from None
        signed = frozenset("|".join([*a["holders"], a["material"]])
                           for a in raw.get("agreements", []) if a.get("signed"))
    elif path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    else:
        raise ValueError(f"--plan {path}: plan files end in .csv or .json")
    lots = np.zeros((len(data.holders), len(data.products)))
    for i, r in enumerate(rows):
        h, k = r.get("holder"), r.get("product")
        if h not in hi or k not in ki:
            raise ValueError(f"--plan {path} row {i + 1}: holder {h!r} / product {k!r} is not "
                             "in the instance")
        if r.get("lots") not in (None, ""):
            n = float(r["lots"])
        elif r.get("bought_t") not in (None, ""):
            n = float(r["bought_t"]) / float(data.lot[ki[k]])
        else:
            raise ValueError(f"--plan {path} row {i + 1}: needs 'lots' or 'bought_t'")
        if not (n >= 0 and abs(n - round(n)) < 1e-6):
            raise ValueError(f"--plan {path} row {i + 1}: lots {n!r} must be a whole number >= 0")
        lots[hi[h], ki[k]] = round(n)
    bad = [a for a in signed if data.mode != "bilateral" or a not in
           {agreement_key(data, j) for j in range(len(data.agreement_material))}]
    if bad:
        raise ValueError(f"--plan {path}: agreements {bad} are not candidates in "
                         f"{data.mode} mode")
    return Plan(path.stem, lots, signed)


def first_stage_cost(data: ModelData, plan: Plan) -> np.ndarray:
    """First-stage cost per holder: p x + sigma y + gamma z + psi b / 2 + Y rho X, (H,).

    Facilities: those the plan names, else per holder the fewest-cost set by greedy order of
    fixed cost per m3 until the stock's volume fits.
    """
    X = plan.stock(data)
    bought = plan.lots * data.lot[None, :]
    cost = (bought * data.price[None, :]).sum(1) + data.holding_years * (
        X * data.holding[None, :]).sum(1)
    for h in range(len(data.holders)):
        mats = {int(data.material_of[k]) for k in np.nonzero(bought[h] > 0)[0]}
        cost[h] += sum(float(data.programme_cost[h, m]) for m in mats)
        own = np.nonzero(data.facility_holder == h)[0]
        if plan.facilities is not None:
            cost[h] += sum(float(data.facility_cost[f]) for f in own
                           if data.facilities[f] in plan.facilities)
        elif len(own):
            need = float((X[h] * data.volume).sum())
            for f in sorted(own, key=lambda f: data.facility_cost[f] /
                            max(data.facility_capacity[f], 1e-12)):
                if need <= 1e-9:
                    break
                cost[h] += float(data.facility_cost[f])
                need -= float(data.facility_capacity[f])
    for a in range(len(data.agreement_material)):
        if agreement_key(data, a) in plan.agreements:
            for h in data.agreement_pair[a]:
                cost[h] += float(data.agreement_cost[a]) / 2
    return cost


def greedy_costs(data: ModelData, stock: np.ndarray) -> np.ndarray:
    """Second-stage shortfall cost without sharing or conversion, (S, H, K) (module doc)."""
    S = len(data.scenarios)
    H, K = stock.shape
    order = np.argsort(data.tier_cost, axis=2, kind="stable")  # cheapest tier first
    c_sorted = np.take_along_axis(data.tier_cost, order, axis=2)  # (H, K, Q)
    phi_sorted = np.take_along_axis(data.tier_share, order, axis=2)
    dL = data.demand[None, :, :] * data.years[:, None, None]  # (T, H, K)
    out = np.zeros((S, H, K))
    for lo in range(0, S, CHUNK):
        a, mu = data.supply[lo:lo + CHUNK], data.demand_mult[lo:lo + CHUNK]
        D = np.clip(mu - a, 0.0, None) * dL[None]  # (s, T, H, K)
        cap = phi_sorted[None, None] * (mu * dL[None])[..., None]  # (s, T, H, K, Q)
        before = np.cumsum(cap, axis=-1) - cap
        seg = np.clip(D[..., None] - before, 0.0, cap).sum(axis=1)  # A_q, (s, H, K, Q)
        rev = seg[..., ::-1]  # dearest tier first
        taken_before = np.cumsum(rev, axis=-1) - rev
        alloc = np.clip(stock[None, :, :, None] - taken_before, 0.0, rev)
        out[lo:lo + CHUNK] = ((rev - alloc) * c_sorted[None, :, :, ::-1]).sum(axis=-1)
    return out


def coupled_materials(data: ModelData, plan: Plan) -> np.ndarray:
    """Materials whose second stage does not separate by holder and product, (M,) bool."""
    X = plan.stock(data)
    out = np.zeros(len(data.materials), bool)
    for li in range(len(data.link_from)):
        a = int(data.link_agreement[li])
        if a < 0 or agreement_key(data, a) in plan.agreements:
            out[int(data.link_material[li])] = True
    for h, r in zip(*np.nonzero(data.route_capacity > 0)):
        if X[h, data.route_from[r]] > 0:
            out[int(data.material_of[data.route_from[r]])] = True
    return out


@dataclass
class Evaluation:
    plan: str
    first_stage: np.ndarray  # (H,)
    second: np.ndarray  # (S,) second-stage cost per scenario
    shortfall: np.ndarray  # (S, H, M) shortfall cost
    probability: np.ndarray  # (S,)
    lp_scenarios: int = 0
    seconds: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> np.ndarray:
        return self.first_stage.sum() + self.second

    def summary(self) -> dict[str, object]:
        """Mean with its 95% confidence interval, percentiles, CVaR 95%, shortfall figures."""
        p = self.probability / self.probability.sum()
        tot = self.total
        mean = float(p @ tot)
        n_eff = 1.0 / float(p @ p)
        sd = math.sqrt(max(float(p @ (tot - mean) ** 2), 0.0) * n_eff / max(n_eff - 1, 1))
        half = Z95 * sd / math.sqrt(n_eff)
        short = self.shortfall.sum(axis=(1, 2))
        return {
            "plan": self.plan, "scenarios": len(p), "first_stage_cost": float(self.first_stage.sum()),
            "mean": mean, "ci95": [mean - half, mean + half], "std_error": sd / math.sqrt(n_eff),
            "p05": weighted_quantile(tot, p, 0.05), "p50": weighted_quantile(tot, p, 0.5),
            "p95": weighted_quantile(tot, p, 0.95), "max": float(tot.max()),
            "cvar95": cvar(tot, p, CVAR_LEVEL),
            "expected_shortfall": float(p @ short),
            "shortfall_cvar95": cvar(short, p, CVAR_LEVEL),
            "probability_any_shortfall": float(p @ (short > 1e-6)),
            "lp_scenarios": self.lp_scenarios, "seconds": self.seconds,
        }

    def shortfall_table(self, data: ModelData) -> list[dict[str, object]]:
        p = self.probability / self.probability.sum()
        exp = np.einsum("s,shm->hm", p, self.shortfall)
        return [{"holder": h, "material": m, "expected_shortfall": float(exp[i, j])}
                for i, h in enumerate(data.holders) for j, m in enumerate(data.materials)
                if exp[i, j] > 0]


def _lp_costs(data: ModelData, plan: Plan, idx: np.ndarray, batch: int = 200
              ) -> tuple[np.ndarray, np.ndarray]:
    """Exact second-stage cost (n,) and shortfall cost (n, H, M) of scenarios ``idx``."""
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    qi = {q: i for i, q in enumerate(data.tiers)}
    second = np.zeros(len(idx))
    short = np.zeros((len(idx), len(data.holders), len(data.materials)))
    for lo in range(0, len(idx), batch):
        part = [int(i) for i in idx[lo:lo + batch]]
        sub = data.with_scenarios(part)
        m = build_model(sub)
        for name in ("budget", "market_cap", "storage_balance", "storage_capacity",
                     "programme_link"):
            getattr(m, name).deactivate()
        for (h, k), v in m.buy.items():
            v.fix(int(plan.lots[hi[h], ki[k]]))
        over = [(data.holders[h], data.products[k]) for h, k in zip(*np.nonzero(plan.lots))
                if (data.holders[h], data.products[k]) not in m.buy
                or plan.lots[h, k] > m.buy[data.holders[h], data.products[k]].ub]
        if over:
            raise ValueError(f"plan {plan.name}: purchases {over} exceed what the budget, the "
                             "market cap or the storage allow")
        for key, v in m.agree.items():
            v.fix(1 if key in plan.agreements else 0)
        stats = solve(m, SolveOptions(mip_gap=1e-9))
        if not stats.has_plan:
            raise RuntimeError(f"evaluation LP of plan {plan.name}: {stats.describe()}")
        pos = {s: j for j, s in enumerate(sub.scenarios)}
        for j, s in enumerate(sub.scenarios):
            second[lo + j] = float(pyo.value(m.scenario_cost[s]))
        for (h, k, q, _, s), v in m.unmet.items():
            u = v.value or 0.0
            if u:
                short[lo + pos[s], hi[h], data.material_of[ki[k]]] += \
                    u * data.tier_cost[hi[h], ki[k], qi[q]]
    return second, short


def evaluate(data: ModelData, plan: Plan) -> Evaluation:
    """Evaluate ``plan`` on every scenario of ``data`` (exact; see the module docstring)."""
    import time
    t0 = time.perf_counter()
    X = plan.stock(data)
    per_hk = greedy_costs(data, X)  # (S, H, K)
    M = len(data.materials)
    onehot = np.zeros((len(data.products), M))
    onehot[np.arange(len(data.products)), data.material_of] = 1.0
    short = per_hk @ onehot  # (S, H, M)
    second = short.sum(axis=(1, 2))
    coupled = coupled_materials(data, plan)
    n_lp = 0
    if coupled.any():
        need = np.nonzero(short[:, :, coupled].sum(axis=(1, 2)) > 1e-9)[0]
        if len(need):
            second[need], short[need] = _lp_costs(data, plan, need)
            n_lp = len(need)
    return Evaluation(plan.name, first_stage_cost(data, plan), second, short,
                      data.probability.copy(), n_lp, time.perf_counter() - t0)


def paired_difference(a: Evaluation, b: Evaluation) -> dict[str, float]:
    """E[a - b] on the same scenarios with its standard error (common random numbers)."""
    p = a.probability / a.probability.sum()
    diff = a.total - b.total
    mean = float(p @ diff)
    n_eff = 1.0 / float(p @ p)
    sd = math.sqrt(max(float(p @ (diff - mean) ** 2), 0.0) * n_eff / max(n_eff - 1, 1))
    se = sd / math.sqrt(n_eff)
    return {"mean": mean, "std_error": se, "ci95": [mean - Z95 * se, mean + Z95 * se]}


def optimise(data: ModelData, options: SolveOptions | None = None, risk: object = None,
             name: str = "optimised") -> tuple[Plan, object]:
    """Solve the extensive form of ``data`` and return its plan with the solve statistics."""
    m = build_model(data, risk=risk)
    stats = solve(m, options or SolveOptions())
    if not stats.has_plan:
        raise RuntimeError(f"no plan for {name}: {stats.describe()}")
    return plan_from_model(m, data, name), stats


def mean_value_data(data: ModelData) -> ModelData:
    """One scenario with the probability-weighted mean of a, mu and g (the EV problem)."""
    from dataclasses import replace
    p = data.probability / data.probability.sum()
    mean = lambda arr: np.tensordot(p, arr, axes=1)[None]  # noqa: E731
    return replace(data, scenarios=["mean"], probability=np.ones(1), supply=mean(data.supply),
                   demand_mult=mean(data.demand_mult), capacity_mult=mean(data.capacity_mult))


def value_of_stochastic_solution(data_in: ModelData, data_out: ModelData, sp: Evaluation,
                                 options: SolveOptions | None = None) -> dict[str, object]:
    """VSS = E[cost of the mean-value plan] - E[cost of the stochastic plan], out of sample,
    paired on the same scenarios (its standard error is that of the paired differences)."""
    ev_plan, _ = optimise(mean_value_data(data_in), options, name="mean-value plan")
    ev = evaluate(data_out, ev_plan)
    return {"vss": paired_difference(ev, sp), "mean_value_plan": ev.summary(),
            "mean_value_lots": ev_plan.lots.tolist()}


def value_of_perfect_information(data_out: ModelData, sp: Evaluation, n: int,
                                 options: SolveOptions | None = None) -> dict[str, object]:
    """EVPI = E[cost of the stochastic plan] - E[wait-and-see cost], on the first ``n``
    out-of-sample scenarios: each is solved alone (its plan knows the future); the mean of
    the paired differences estimates EVPI with its standard error."""
    from dataclasses import replace
    n = min(n, len(data_out.scenarios))
    diff = np.zeros(n)
    for i in range(n):
        one = replace(data_out.with_scenarios([i]), probability=np.ones(1))
        m = build_model(one)
        stats = solve(m, options or SolveOptions())
        if not stats.has_plan:
            raise RuntimeError(f"wait-and-see scenario {i}: {stats.describe()}")
        diff[i] = sp.total[i] - float(stats.objective)
    se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    mean = float(diff.mean())
    return {"evpi": {"mean": mean, "std_error": se, "ci95": [mean - Z95 * se, mean + Z95 * se],
                     "scenarios": n}}
