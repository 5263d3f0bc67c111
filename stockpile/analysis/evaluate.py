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
a holder left short of a material that a stocked partner or a stocked route could serve —
that material's exact LP (constraints 5 to 9 of docs/model.md) gives the cost instead
(recourse.py): its matrix and costs are the same in every scenario, so a basis optimal in
one scenario is checked for all the others at once with numpy, and HiGHS solves only the
scenarios no known basis fits. Elsewhere the greedy is exact: no inflow exists. Tests hold
both against the full model's second-stage cost and against one HiGHS solve per scenario.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..extract import CVAR_LEVEL, cvar, weighted_quantile
from ..model import costs
from ..model.data import ModelData
from ..model.plan import Plan, agreement_key, plan_from_model  # noqa: F401 (re-exported)
from .recourse import MaterialLP, second_stage_template, tier_segments

if TYPE_CHECKING:
    from ..instance import Instance

Z95 = 1.959963984540054
CHUNK = 5000


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
    plan = Plan(path.stem, lots, signed)
    broken = costs.violations(data, plan)
    if broken:  # evaluated, and reported as a plan the model could not take
        plan.status = "infeasible: " + "; ".join(broken)
    return plan


def first_stage_cost(data: ModelData, plan: Plan) -> np.ndarray:
    """First-stage objective cost per holder (model/costs.py), (H,)."""
    return costs.first_stage_cost(data, plan).objective


def greedy_costs(data: ModelData, stock: np.ndarray) -> np.ndarray:
    """Second-stage shortfall cost without sharing or conversion, (S, H, K) (module doc).

    Only cells with a deficit are computed: the tier segments of each (s, t, h, k) with
    D > 0, summed over t per (s, h, k), then the knapsack per (s, h, k) with any deficit."""
    S = len(data.scenarios)
    H, K = stock.shape
    order = np.argsort(data.tier_cost, axis=2, kind="stable")  # cheapest tier first
    c_rev = np.take_along_axis(data.tier_cost, order, axis=2)[..., ::-1]  # dearest first
    phi_sorted = np.take_along_axis(data.tier_share, order, axis=2)
    dL = data.demand[:, :, None] * data.years[None, None, :]  # (H, K, T)
    out = np.zeros((S, H, K))
    for lo in range(0, S, CHUNK):
        mu = data.demand_mult[lo:lo + CHUNK].transpose(0, 2, 3, 1)  # (s, H, K, T)
        D = np.clip(mu - data.supply[lo:lo + CHUNK].transpose(0, 2, 3, 1), 0.0, None) * dL
        s_, h_, k_, t_ = np.nonzero(D > 0)  # sorted by cell (s, h, k), then t
        if not len(s_):
            continue
        seg = tier_segments(D[s_, h_, k_, t_], mu[s_, h_, k_, t_] * dL[h_, k_, t_],
                            phi_sorted[h_, k_])  # (n, Q)
        cell = (s_ * H + h_) * K + k_
        first = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        rev = np.add.reduceat(seg, first, axis=0)[:, ::-1]  # A_q per cell, dearest first
        hh, kk = h_[first], k_[first]
        taken_before = np.cumsum(rev, axis=-1) - rev
        alloc = np.clip(stock[hh, kk][:, None] - taken_before, 0.0, rev)
        out[lo:lo + CHUNK].reshape(-1)[cell[first]] = ((rev - alloc) * c_rev[hh, kk]).sum(-1)
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
            "plan": self.plan, "scenarios": len(p),
            "first_stage_cost": float(self.first_stage.sum()),
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


def _screen(data: ModelData, plan: Plan, short: np.ndarray, per_hk: np.ndarray) -> np.ndarray:
    """(S, M) True where sharing or conversion could lower the greedy cost: some holder has
    unmet demand that a stocked partner (active link) or a stocked route could serve."""
    X = plan.stock(data)
    need = np.zeros(short.shape[::2], bool)
    for li in range(len(data.link_from)):
        a, mat = int(data.link_agreement[li]), int(data.link_material[li])
        if a >= 0 and agreement_key(data, a) not in plan.agreements:
            continue
        if X[int(data.link_from[li]), data.material_of == mat].sum() > 0:
            need[:, mat] |= short[:, int(data.link_to[li]), mat] > 1e-9
    for h, r in zip(*np.nonzero(data.route_capacity > 0)):
        if X[h, data.route_from[r]] > 0:
            mat = int(data.material_of[data.route_from[r]])
            need[:, mat] |= per_hk[:, h, data.route_to[r]] > 1e-9
    return need


class PlanNotFeasible(ValueError):
    """A plan that breaks constraints 1-4 was about to be evaluated as if feasible."""


def evaluate(data: ModelData, plan: Plan) -> Evaluation:
    """Evaluate ``plan`` on every scenario of ``data`` (exact; see the module docstring).

    Every plan goes through the one feasibility check first (:func:`costs.violations`,
    constraints 1-4): a plan that breaks one is evaluated only when its status already
    says it is infeasible, so that no report shows it as a plan the model could take."""
    import time
    t0 = time.perf_counter()
    broken = costs.violations(data, plan)
    if broken and plan.feasible:
        raise PlanNotFeasible(f"plan {plan.name!r} breaks constraints the model holds every "
                              f"plan to: {'; '.join(broken)}")
    X = plan.stock(data)
    per_hk = greedy_costs(data, X)  # (S, H, K)
    M = len(data.materials)
    onehot = np.zeros((len(data.products), M))
    onehot[np.arange(len(data.products)), data.material_of] = 1.0
    short = per_hk @ onehot  # (S, H, M)
    by_mat = short.sum(axis=1)  # (S, M) second-stage cost per material
    need = _screen(data, plan, short, per_hk)
    solves = 0
    coupled = np.nonzero(need.any(axis=0))[0]
    template = second_stage_template(data, plan) if len(coupled) else None
    for mat in coupled:
        s = np.nonzero(need[:, mat])[0]
        lp = MaterialLP(data, plan, int(mat), template=template)
        by_mat[s, mat], short[s, :, mat], n = lp.solve_many(s)
        solves += n
    second = by_mat.sum(axis=1)
    n_lp = int(need.any(axis=1).sum())
    return Evaluation(plan.name, first_stage_cost(data, plan), second, short,
                      data.probability.copy(), n_lp, time.perf_counter() - t0,
                      {"highs_solves": float(solves)})


def evaluate_sample(inst: Instance, data: ModelData, plan: Plan, n: int, seed: int,
                    chunk: int = 10_000, workers: int = 1, **sampling: Any) -> Evaluation:
    """``plan`` on ``n`` fresh scenarios, drawn and evaluated ``chunk`` at a time in
    ``workers`` processes, so that memory holds one chunk of scenario arrays per process
    instead of all n (at 50 materials x 3 grades x 4 holders x 8 periods, 100,000 scenarios
    are 10 GB of arrays; a chunk of 10,000 is 1 GB).

    Chunk i is drawn by :func:`stockpile.scenarios.sample` (with ``sampling`` options) from
    its own seed, spawned from ``seed`` by numpy's SeedSequence: the scenarios come from the
    same distribution as ``sample(inst, n, seed)`` but are not the same draws, so figures
    differ from a one-shot evaluation within sampling error. The plan's cost on each drawn
    scenario is exact, as :func:`evaluate`."""
    import time

    from .coalitions import parallel_map
    t0 = time.perf_counter()
    sizes = [min(chunk, n - lo) for lo in range(0, n, chunk)]
    seeds = [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(seed).spawn(len(sizes))]
    parts = parallel_map(_evaluate_chunk, [(inst, data, plan, size, sd, sampling)
                                           for size, sd in zip(sizes, seeds)], workers)
    return Evaluation(plan.name, parts[0].first_stage,
                      np.concatenate([e.second for e in parts]),
                      np.concatenate([e.shortfall for e in parts]), np.full(n, 1.0 / n),
                      sum(e.lp_scenarios for e in parts), time.perf_counter() - t0,
                      {"highs_solves": sum(e.extra["highs_solves"] for e in parts)})


def _evaluate_chunk(inst: Instance, data: ModelData, plan: Plan, size: int, seed: int,
                    sampling: dict[str, Any]) -> Evaluation:
    from ..scenarios import sample
    return evaluate(sample(inst, size, seed, **sampling).apply(data), plan)


def paired_difference(a: Evaluation, b: Evaluation) -> dict[str, Any]:
    """E[a - b] on the same scenarios with its standard error (common random numbers)."""
    p = a.probability / a.probability.sum()
    diff = a.total - b.total
    mean = float(p @ diff)
    n_eff = 1.0 / float(p @ p)
    sd = math.sqrt(max(float(p @ (diff - mean) ** 2), 0.0) * n_eff / max(n_eff - 1, 1))
    se = sd / math.sqrt(n_eff)
    return {"mean": mean, "std_error": se, "ci95": [mean - Z95 * se, mean + Z95 * se]}
