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
that material's exact LP (constraints 5 to 9 of docs/model.md) is solved for that scenario
instead, by :class:`_MaterialLP`: the matrix is the same in every scenario, so HiGHS re-solves
it from the previous basis with new bounds. Elsewhere the greedy is exact: no inflow exists.
Tests hold both against the full model's second-stage cost.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..extract import CVAR_LEVEL, cvar, weighted_quantile
from ..model import costs
from ..model.data import ModelData
from ..model.plan import Plan, agreement_key, plan_from_model  # noqa: F401 (re-exported)

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
    return Plan(path.stem, lots, signed)


def first_stage_cost(data: ModelData, plan: Plan) -> np.ndarray:
    """First-stage objective cost per holder (model/costs.py), (H,)."""
    return costs.first_stage_cost(data, plan).objective


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


class _MaterialLP:
    """The second stage of one material in one scenario as a HiGHS LP whose matrix is the
    same in every scenario: only the deficits D_hkts (row bounds of constraint 6) and the
    bounds of u (constraint 7) and v (constraint 9) change, so one model is passed once and
    re-solved per scenario from the previous basis.

    Columns r_hkt, e_lkt (active links of the material), v_hrt (its routes), u_hkqt; rows:
    stock (5) per (h, k), demand (6) per (h, k, t), share cap (8) per link when theta < 1.
    """

    def __init__(self, data: ModelData, plan: Plan, mat: int):
        import highspy
        from scipy.sparse import csc_matrix

        from ..solve.highs import new_highs
        X = plan.stock(data)
        H, T, Q = len(data.holders), len(data.periods), len(data.tiers)
        ks = [int(k) for k in np.nonzero(data.material_of == mat)[0]]
        links = [li for li in range(len(data.link_from)) if data.link_material[li] == mat and (
            data.link_agreement[li] < 0 or agreement_key(
                data, int(data.link_agreement[li])) in plan.agreements)]
        routes = [(h, r) for h, r in zip(*np.nonzero(data.route_capacity > 0))
                  if int(data.route_from[r]) in ks]
        cols: list[tuple] = []  # (kind, ...)
        cost: list[float] = []
        rows_of: dict[tuple, int] = {}
        entries: list[tuple[int, int, float]] = []

        def row(key: tuple) -> int:
            return rows_of.setdefault(key, len(rows_of))

        def col(key: tuple, c: float, coefs: list[tuple[tuple, float]]) -> None:
            j = len(cols)
            cols.append(key)
            cost.append(c)
            entries.extend((row(rk), j, a) for rk, a in coefs)

        for h in range(H):
            for k in ks:
                for t in range(T):
                    col(("r", h, k, t), 0.0, [(("stock", h, k), 1.0), (("dem", h, k, t), 1.0)])
        for li in links:
            h, h2 = int(data.link_from[li]), int(data.link_to[li])
            for k in ks:
                for t in range(T):
                    coefs = [(("stock", h, k), 1.0), (("dem", h2, k, t), 1.0)]
                    if data.link_cap[li] < 1.0:
                        coefs.append((("share", li), 1.0))
                    col(("e", li, k, t), float(data.link_transport[li]), coefs)
        for h, r in routes:
            for t in range(T):
                col(("v", h, r, t), float(data.route_cost[r]),
                    [(("stock", h, int(data.route_from[r])), 1.0),
                     (("dem", h, int(data.route_to[r]), t), float(data.route_yield[r]))])
        for h in range(H):
            for k in ks:
                for q in range(Q):
                    for t in range(T):
                        col(("u", h, k, q, t), float(data.tier_cost[h, k, q]),
                            [(("dem", h, k, t), 1.0)])
        n_rows = len(rows_of)
        lo, up = np.zeros(n_rows), np.zeros(n_rows)
        for key, i in rows_of.items():
            if key[0] == "stock":
                lo[i], up[i] = -highspy.kHighsInf, float(X[key[1], key[2]])
            elif key[0] == "dem":
                lo[i], up[i] = 0.0, highspy.kHighsInf
            else:
                li = key[1]
                h = int(data.link_from[li])
                lo[i], up[i] = -highspy.kHighsInf, float(data.link_cap[li] * X[h, ks].sum())
        r_i, c_i, v = (np.array(x) for x in zip(*entries))
        A = csc_matrix((v, (r_i, c_i)), shape=(n_rows, len(cols)))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(cols), n_rows
        lp.col_cost_ = np.array(cost)
        lp.col_lower_ = np.zeros(len(cols))
        lp.col_upper_ = np.full(len(cols), highspy.kHighsInf)
        lp.row_lower_, lp.row_upper_ = lo, up
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = A.indptr, A.indices
        lp.a_matrix_.value_ = A.data
        self.h = new_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.data, self.ks, self.cols = data, ks, cols
        dem = [(i, key) for key, i in rows_of.items() if key[0] == "dem"]
        self.dem_rows = np.array([i for i, _ in dem], dtype=np.int32)
        self.dem_key = np.array([key[1:] for _, key in dem], dtype=int)  # (h, k, t)
        self.u_cols = np.array([j for j, c in enumerate(cols) if c[0] == "u"], dtype=np.int32)
        self.u_key = np.array([cols[j][1:] for j in self.u_cols], dtype=int)  # h, k, q, t
        self.v_cols = np.array([j for j, c in enumerate(cols) if c[0] == "v"], dtype=np.int32)
        self.v_key = np.array([cols[j][1:] for j in self.v_cols], dtype=int).reshape(-1, 3)
        self.u_cost = np.array([cost[j] for j in self.u_cols])

    def solve(self, s: int) -> tuple[float, np.ndarray]:
        """Second-stage cost of this material in scenario s and its shortfall cost by holder."""
        d = self.data
        hk, kk, tt = self.dem_key.T
        D = np.clip(d.demand_mult[s, tt, hk, kk] - d.supply[s, tt, hk, kk], 0, None) * \
            d.demand[hk, kk] * d.years[tt]
        self.h.changeRowsBounds(len(self.dem_rows), self.dem_rows, D,
                                np.full(len(D), np.inf))
        h, k, q, t = self.u_key.T
        ub_u = d.tier_share[h, k, q] * d.demand_mult[s, t, h, k] * d.demand[h, k] * d.years[t]
        self.h.changeColsBounds(len(self.u_cols), self.u_cols, np.zeros(len(ub_u)), ub_u)
        if len(self.v_cols):
            vh, vr, vt = self.v_key.T
            ub_v = d.route_capacity[vh, vr] * d.years[vt] * d.capacity_mult[s, vt, vh, vr]
            self.h.changeColsBounds(len(self.v_cols), self.v_cols, np.zeros(len(ub_v)), ub_v)
        self.h.run()
        if self.h.getModelStatus() != self.h.getModelStatus().kOptimal:
            self.h.clearSolver()  # a rare failure from the previous basis: solve from scratch
            self.h.run()
        if self.h.getModelStatus() != self.h.getModelStatus().kOptimal:
            raise RuntimeError(f"evaluation LP, scenario {d.scenarios[s]}: "
                               f"{self.h.modelStatusToString(self.h.getModelStatus())}")
        x = np.asarray(self.h.getSolution().col_value)[self.u_cols]
        by_h = np.bincount(h, weights=x * self.u_cost, minlength=len(d.holders))
        return float(self.h.getInfo().objective_function_value), by_h


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
    by_mat = short.sum(axis=1)  # (S, M) second-stage cost per material
    need = _screen(data, plan, short, per_hk)
    for mat in np.nonzero(need.any(axis=0))[0]:
        lp = _MaterialLP(data, plan, int(mat))
        for s in np.nonzero(need[:, mat])[0]:
            by_mat[s, mat], short[s, :, mat] = lp.solve(int(s))
    second = by_mat.sum(axis=1)
    n_lp = int(need.any(axis=1).sum())
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
