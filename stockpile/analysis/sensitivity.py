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
  effective sample size 1 / sum p^2: on a few dozen scenarios the weights are noisy enough
  to turn the sign of the change, measured on the 20-scenario quick instance). Left out
  when neither applies.

For each variant: its optimal expected cost, the change against the base, and how the plan
moves (tonnes bought per material, and the purchase spend that changes hands).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyomo.environ as pyo

from ..model.build import build_model
from ..model.data import ModelData
from ..solve.highs import SolveOptions, solve

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


@dataclass
class _Solved:
    status: str
    objective: float | None
    bought_t: np.ndarray  # (H, K)


def _solve(data: ModelData, options: SolveOptions) -> _Solved:
    m = build_model(data)
    stats = solve(m, options)
    bought = np.zeros((len(data.holders), len(data.products)))
    if stats.has_plan:
        hi = {h: i for i, h in enumerate(data.holders)}
        ki = {k: i for i, k in enumerate(data.products)}
        for (h, k), v in m.buy.items():
            bought[hi[h], ki[k]] = data.lot[ki[k]] * round(float(pyo.value(v)))
    return _Solved(stats.status, stats.objective if stats.has_plan else None, bought)


def sensitivity(data: ModelData, step: float = 0.2, options: SolveOptions | None = None,
                progress: Callable[[str], None] | None = None,
                reweight: Callable[[float], ModelData] | None = None) -> dict[str, Any]:
    """The base optimum and one row per (parameter, direction); see the module docstring.

    ``reweight``: :func:`library_reweight` of the instance, used for the disruption
    probabilities when the scenarios have no calm one to take up the difference."""
    if not 0 < step < 1:
        raise ValueError(f"step {step!r}: must be in (0, 1)")
    options = options or SolveOptions(progress=False)
    base = _solve(data, options)
    if base.objective is None:
        raise RuntimeError(f"the base instance has no plan ({base.status})")
    if progress:
        progress(f"base: {base.status}, expected cost {base.objective:,.0f} USD")
    base_spend = float((base.bought_t * data.price[None, :]).sum())
    rows = []
    for name, vary in PARAMETERS.items():
        for factor in (1 - step, 1 + step):
            varied = vary(data, factor)
            how = None
            if varied is None and name == "disruption probabilities" and reweight is not None:
                varied = reweight(factor)
                ess = 1.0 / float((varied.probability ** 2).sum())
                how = (f"library event rates scaled (scenarios reweighted; effective sample "
                       f"{ess:.0f} of {len(data.scenarios)})")
            if varied is None:
                rows.append({"parameter": name, "factor": factor, "status": "not applicable",
                             "objective": None, "change": None, "change_share": None,
                             "moved_spend": None, "moved_share": None, "materials": [],
                             "within_gap": None})
                continue
            s = _solve(varied, options)
            row: dict[str, Any] = {"parameter": name, "factor": factor, "status": s.status,
                                   "objective": s.objective, "how": how}
            if s.objective is not None:
                row["change"] = s.objective - base.objective
                row["change_share"] = row["change"] / abs(base.objective)
                moved = float((np.abs(s.bought_t - base.bought_t) * data.price[None, :]).sum())
                row["moved_spend"] = moved
                row["moved_share"] = moved / base_spend if base_spend > 0 else None
                row["materials"] = _material_moves(data, s.bought_t - base.bought_t)
                # both optima are proven only to the relative gap: a smaller change is noise
                row["within_gap"] = abs(row["change"]) <= options.mip_gap * (
                    abs(base.objective) + abs(s.objective))
            else:
                row.update(change=None, change_share=None, moved_spend=None, moved_share=None,
                           materials=[], within_gap=None)
            rows.append(row)
            if progress:
                progress(f"{name} x{factor:g}: {s.status}" + (
                    f", expected cost {row['change']:+,.0f} USD against the base"
                    if row["change"] is not None
                    else ""))
    return {"step": step, "base_objective": base.objective, "base_status": base.status,
            "base_purchase_spend": base_spend, "mip_gap": options.mip_gap, "rows": rows,
            "ranking": _ranking(rows)}


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
        e["within_gap"] = bool(e.get("within_gap", True) and r.get("within_gap"))
    swing = lambda e: abs((e["up"] or 0.0) - (e["down"] or 0.0))  # noqa: E731
    return sorted(by.values(), key=lambda e: -swing(e))
