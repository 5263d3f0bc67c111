"""Sensitivity: how the optimal plan and its expected cost move when the inputs move.

Each parameter group is scaled down and up by one step (default 20 %) and the instance is
re-solved to optimality (the same model, ``build_model``, nothing relaxed):

* tier costs: every shortfall cost kappa_hkq times (1 +/- step);
* prices: every acquisition price p_k times (1 +/- step) (budgets unchanged);
* market caps: every beta_m times (1 +/- step);
* budgets: every B_h times (1 +/- step);
* disruption probabilities: every scenario with a disruption times (1 +/- step), the
  scenarios without one (calm) taking up the difference so the probabilities still sum to 1.
  Scenarios drawn from the calibrated event library (the shipped instances, ``solve
  --sample``) have no calm scenario to take up the difference: there every event rate of the
  library is scaled instead, and the same scenarios get the probabilities the scaled rates
  give them (:func:`rate_weights`, a change of measure; the rows say which, with the
  effective sample size 1 / sum p^2). Left out when neither applies.

For each variant: its optimal expected cost, the change against the base, and how the plan
moves (tonnes bought per material, and the purchase spend that changes hands); and whether
the change is a measured effect (:func:`_reliability`): not within the two solves' proven
gaps, for the probabilities (the one input without a known direction, MONOTONE) a paired
95 % interval clear of zero, and an effective sample of at least half the scenarios.

Why the sign check: on the 20-scenario quick instance, disruptions 20 % less likely
re-solve to +343 M. One scenario (lib10, 36.96 bn, 51 % of the expected cost) has 3 event
onsets against 4.6 on average, and the likelihood ratio weights a scenario by its onsets,
not its severity: at 0.8 x the rates its weight rises from 1/20 to 1.317/20 (+586 M) while
the other 19 move the base plan's cost by -214 M, the expected direction. The effective
sample (18 of 20) does not see it; the paired interval, -860 M to +1,547 M, does.

The re-solves run ``workers`` at a time (processes) and start from the base plan (a MIP
start: HiGHS's first incumbent where it is feasible; it changes no optimum).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyomo.environ as pyo

from ..model.build import build_model
from ..model.data import ModelData
from ..model.plan import plan_from_model
from ..solve.highs import SolveOptions, solve
from .coalitions import parallel_map
from .evaluate import evaluate
from .frontier import weighted_paired

Vary = Callable[[ModelData, float], "ModelData | None"]


def _calm(data: ModelData) -> np.ndarray:
    """Scenarios without any disruption: full supply, normal demand, full conversion."""
    S = len(data.scenarios)
    flat = lambda a: a.reshape(S, -1)  # noqa: E731
    return ((flat(data.supply) >= 1).all(axis=1) & (flat(data.demand_mult) <= 1).all(axis=1)
            & (flat(data.capacity_mult) >= 1).all(axis=1))


def _probabilities(data: ModelData, factor: float) -> ModelData | None:
    calm = _calm(data)
    if not calm.any() or calm.all():
        return None
    p = data.probability.copy()
    p[~calm] *= factor
    rest = 1.0 - p[~calm].sum()
    if rest <= 0:
        return None
    p[calm] = data.probability[calm] / data.probability[calm].sum() * rest
    return replace(data, probability=p)


def library_reweight(inst: Any, data: ModelData, seed: int = 1
                     ) -> Callable[[float], ModelData] | None:
    """If ``data``'s scenarios are exactly the library's draw of their number with ``seed``
    (as the shipped instances and ``solve --sample`` make them), the function that gives them
    the probabilities they would have with every event rate of the library times a factor
    (:func:`rate_weights`); otherwise None."""
    from ..scenarios import DEFAULT_LIBRARY, sample

    n = len(data.scenarios)
    try:
        own = sample(inst, n, seed, prefix="lib")
        drawn = own.apply(data)
    except ValueError:  # periods the library cannot draw for
        return None
    if drawn.scenarios != data.scenarios or not all(
            np.array_equal(getattr(drawn, f), getattr(data, f))
            for f in ("probability", "supply", "demand_mult", "capacity_mult")):
        return None
    return lambda f: replace(data, probability=rate_weights(inst, own, f, DEFAULT_LIBRARY))


def _slots(inst: Any, sset: Any, library: Any) -> list[int]:
    """How many independent onset slots each kind of ``library`` has on ``inst`` (each slot
    draws one Bernoulli onset per period: scenarios/generator.py), in the library's order."""
    from ..scenarios.generator import Draws

    draws = Draws(inst, 1, np.random.default_rng(0), list(sset.periods),
                  np.ones(len(sset.periods)))
    return [len(kind.slots(draws)) for kind in library.kinds]


def rate_weights(inst: Any, sset: Any, factor: float, library: Any) -> np.ndarray:
    """Probabilities of the equally likely library draws ``sset`` under every event rate
    times ``factor``: the likelihood ratio of each scenario's onsets. A slot of rate r in a
    period of L years has an onset with probability p = 1 - exp(-r L), and q = 1 -
    exp(-factor r L) under the scaled rates; a scenario with h onsets among the K slots of a
    kind in that period is weighted by (q/p)^h ((1-q)/(1-p))^(K-h), over kinds and periods,
    then normalised. Depths, durations and regimes keep their distributions, so this is the
    exact change of measure (importance weights) on the same scenarios: the re-solve is
    paired, not a new sample."""
    n = len(sset.ids)
    L = np.array([p.years for p in sset.periods])
    ev = sset.events
    logw = np.zeros(n)
    for i, (kind, K) in enumerate(zip(library.kinds, _slots(inst, sset, library))):
        rate = kind.params.rate
        if K == 0 or rate <= 0:
            continue
        p, q = 1 - np.exp(-rate * L), 1 - np.exp(-rate * factor * L)
        h = np.zeros((n, len(L)))
        if ev:
            mine = ev["type"] == i
            np.add.at(h, (ev["scenario"][mine], ev["period"][mine]), 1.0)
        logw += (h * np.log(q / p) + (K - h) * np.log((1 - q) / (1 - p))).sum(axis=1)
    w = np.exp(logw - logw.max())
    return w / w.sum()


PARAMETERS: dict[str, Vary] = {
    "tier costs": lambda d, f: replace(d, tier_cost=d.tier_cost * f),
    "prices": lambda d, f: replace(d, price=d.price * f),
    "market caps": lambda d, f: replace(d, market_share=np.minimum(d.market_share * f, 1.0)),
    "budgets": lambda d, f: replace(d, budget=d.budget * f),
    "disruption probabilities": _probabilities,
}


MONOTONE = ("tier costs", "prices", "market caps", "budgets")
"""Inputs whose change moves the optimum one way on any scenario set: dearer shortfalls or
purchases cannot lower it, wider caps or budgets cannot raise it (the feasible set only
grows). For these the sign of a change is certain and only its size rests on the
scenarios; the disruption probabilities have no such order, so their sign is checked."""

ESS_SHARE = 0.5
"""A row whose probabilities have an effective sample 1 / sum p^2 below this share of the
scenarios is marked unreliable: a few scenarios carry the weight."""


@dataclass
class _Solved:
    status: str
    objective: float | None
    bound: float | None
    bought_t: np.ndarray  # (H, K)
    start: dict[tuple[str, Any], float]  # first-stage values (the next solves' MIP start)
    total: np.ndarray | None  # the plan's cost per scenario of its data
    seconds: float = 0.0

    @property
    def abs_gap(self) -> float:
        """objective - proven bound (USD); infinite without a bound."""
        if self.objective is None or self.bound is None:
            return math.inf
        return abs(self.objective - self.bound)


START = ("buy", "programme", "agree")
"""The first-stage families handed to HiGHS as the MIP start of a re-solve."""


def _solve(data: ModelData, options: SolveOptions,
           start: dict[tuple[str, Any], float] | None = None) -> _Solved:
    """The optimum of ``data``; ``start``, the base plan's first stage, is HiGHS's first
    incumbent where it is feasible (it changes no optimum, only how fast it is proven)."""
    t0 = time.perf_counter()
    m = build_model(data)
    if start:
        m.mip_start = [(v, start[name, key]) for name in START
                       for key, v in getattr(m, name).items() if (name, key) in start]
    stats = solve(m, options)
    bought = np.zeros((len(data.holders), len(data.products)))
    if not stats.has_plan:
        return _Solved(stats.status, None, None, bought, {}, None,
                       time.perf_counter() - t0)
    plan = plan_from_model(m, data)
    bought = plan.bought(data)
    values = {(name, key): float(pyo.value(v)) for name in START
              for key, v in getattr(m, name).items()}
    return _Solved(stats.status, stats.objective, stats.bound, bought, values,
                   evaluate(data, plan).total, time.perf_counter() - t0)


def _variants(data: ModelData, step: float,
              reweight: Callable[[float], ModelData] | None
              ) -> list[tuple[str, float, ModelData | None, str | None]]:
    """(parameter, factor, varied data or None where not applicable, how it was varied)."""
    out = []
    for name, vary in PARAMETERS.items():
        for factor in (1 - step, 1 + step):
            varied, how = vary(data, factor), None
            if varied is None and name == "disruption probabilities" and reweight is not None:
                varied = reweight(factor)
                ess = 1.0 / float((varied.probability ** 2).sum())
                how = (f"library event rates scaled (scenarios reweighted; effective sample "
                       f"{ess:.0f} of {len(data.scenarios)})")
            out.append((name, factor, varied, how))
    return out


def sensitivity(data: ModelData, step: float = 0.2, options: SolveOptions | None = None,
                progress: Callable[[str], None] | None = None,
                reweight: Callable[[float], ModelData] | None = None,
                workers: int = 1) -> dict[str, Any]:
    """The base optimum and one row per (parameter, direction); see the module docstring.

    ``reweight``: :func:`library_reweight` of the instance, used for the disruption
    probabilities when the scenarios have no calm one to take up the difference.
    The re-solves start from the base plan and run ``workers`` at a time (processes)."""
    if not 0 < step < 1:
        raise ValueError(f"step {step!r}: must be in (0, 1)")
    options = options or SolveOptions(progress=False)
    base = _solve(data, options)
    if base.objective is None:
        raise RuntimeError(f"the base instance has no plan ({base.status})")
    if progress:
        progress(f"base: {base.status}, expected cost {base.objective:,.0f} USD")
    variants = _variants(data, step, reweight)
    # a variant that changes nothing (caps already at 100 % of world output, x1.2) is the
    # base itself: its row is the base's, not a re-solve
    todo = [i for i, v in enumerate(variants) if v[2] is not None and not _unchanged(data, v[2])]

    def done(j: int) -> None:
        if progress:
            name, factor = variants[todo[j]][:2]
            progress(f"{name} x{factor:g}: solved")

    for name, factor, varied, _ in variants:
        if progress and varied is not None and _unchanged(data, varied):
            progress(f"{name} x{factor:g}: the same data as the base, not re-solved")
    solved = parallel_map(_solve, [(variants[i][2], options, base.start) for i in todo],
                          workers, done)
    by = {i: base for i, v in enumerate(variants) if v[2] is not None}
    by.update(zip(todo, solved))
    rows = [_row(data, base, name, factor, varied, how, by.get(i))
            for i, (name, factor, varied, how) in enumerate(variants)]
    return {"step": step, "base_objective": base.objective, "base_status": base.status,
            "base_bound": base.bound, "base_abs_gap": _finite(base.abs_gap),
            "base_purchase_spend": float((base.bought_t * data.price[None, :]).sum()),
            "mip_gap": options.mip_gap, "seconds": {"base": base.seconds, "re_solves": [
                s.seconds for s in solved]}, "rows": rows, "ranking": _ranking(rows)}


VARIED = ("tier_cost", "price", "market_share", "budget", "probability")
"""The ModelData fields PARAMETERS and the reweighting change."""


def _unchanged(data: ModelData, varied: ModelData) -> bool:
    """True when ``varied`` has the same numbers as ``data`` in every field a variant moves."""
    return all(np.array_equal(getattr(data, f), getattr(varied, f)) for f in VARIED)


def _row(data: ModelData, base: _Solved, name: str, factor: float,
         varied: ModelData | None, how: str | None, s: _Solved | None) -> dict[str, Any]:
    """One sensitivity row: the re-solve against the base, and how far it can be trusted."""
    row: dict[str, Any] = {"parameter": name, "factor": factor, "how": how,
                           "status": "not applicable" if s is None else s.status,
                           "objective": None if s is None else s.objective,
                           "change": None, "change_share": None, "moved_spend": None,
                           "moved_share": None, "materials": [], "within_gap": None,
                           "reliable": None, "unreliable_because": []}
    if s is None or s.objective is None or varied is None or base.objective is None:
        return row
    change = s.objective - base.objective
    base_spend = float((base.bought_t * data.price[None, :]).sum())
    moved = float((np.abs(s.bought_t - base.bought_t) * data.price[None, :]).sum())
    row.update(change=change, change_share=change / abs(base.objective), moved_spend=moved,
               moved_share=moved / base_spend if base_spend > 0 else None,
               materials=_material_moves(data, s.bought_t - base.bought_t))
    row.update(_reliability(data, base, varied, s, change, name not in MONOTONE))
    return row


def _reliability(data: ModelData, base: _Solved, varied: ModelData, s: _Solved,
                 change: float, check_sign: bool) -> dict[str, Any]:
    """Whether a change is an effect: beyond the two solves' proven gaps (objective minus
    bound, summed); where the sign is not certain (``check_sign``: not MONOTONE), its 95 %
    interval clear of zero (paired over the scenarios: each scenario's cost under the
    varied plan and probabilities against the base's); and an effective sample
    1 / sum p^2 of at least ESS_SHARE of the scenarios."""
    gaps = base.abs_gap + s.abs_gap
    p, q = data.probability / data.probability.sum(), varied.probability
    q = q / q.sum()
    ess = 1.0 / float(q @ q)
    because = []
    if abs(change) <= gaps:
        because.append(f"within the solver gaps ({gaps:,.0f} USD)")
    ci = None
    if base.total is not None and s.total is not None:
        ci = weighted_paired(q / p * s.total, base.total, p)["ci95"]
        if check_sign and ci[0] <= 0 <= ci[1]:
            because.append(f"sign not established: 95 % interval {ci[0]:,.0f} to "
                           f"{ci[1]:,.0f} USD")
    if ess < ESS_SHARE * len(p):
        because.append(f"effective sample {ess:.0f} of {len(p)} scenarios")
    return {"within_gap": abs(change) <= gaps, "gap_sum": _finite(gaps), "change_ci95": ci,
            "effective_sample": ess, "reliable": not because, "unreliable_because": because}


def _finite(x: float) -> float | None:
    """``x``, or None where it is infinite (no proven bound): JSON has no infinity."""
    return x if math.isfinite(x) else None


def _material_moves(data: ModelData, delta_t: np.ndarray) -> list[dict[str, Any]]:
    """Tonnes bought per material, change against the base, largest change first."""
    out = []
    for mi, mat in enumerate(data.materials):
        ks = data.material_of == mi
        d = float(delta_t[:, ks].sum())
        if abs(d) > 1e-9:
            out.append({"material": mat, "change_t": d})
    return sorted(out, key=lambda r: -abs(r["change_t"]))


def _ranking(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per parameter: the change of expected cost down and up, widest swing first."""
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        e = by.setdefault(r["parameter"], {"parameter": r["parameter"], "down": None,
                                           "up": None, "moved_down": None, "moved_up": None})
        side = "down" if r["factor"] < 1 else "up"
        e[side], e[f"moved_{side}"] = r["change"], r["moved_share"]
        e[f"reliable_{side}"] = r.get("reliable")
        e[f"why_{side}"] = (r.get("unreliable_because") or [None])[0]
        e["within_gap"] = bool(e.get("within_gap", True) and r.get("within_gap"))
    swing = lambda e: abs((e["up"] or 0.0) - (e["down"] or 0.0))  # noqa: E731
    return sorted(by.values(), key=lambda e: -swing(e))
