"""A statistical optimality gap of a plan: multiple replications (Mak, Morton and Wood 1999).

For a candidate plan x^ and replications g = 1..G, each on its own independent sample of N
equally likely scenarios from the calibrated event library:

    v_g   = a lower bound on min_x f_g(x), the sample-average problem of sample g (the
            solver's proven bound, so a MIP stopped at its gap keeps the estimate valid)
    f_g^  = f_g(x^), the plan's cost on the same sample (the exact evaluator)
    G_g   = f_g^ - v_g >= 0

E[v_g] <= the true optimum z* (the sample-average optimum is biased low) and E[f_g^] is the
plan's true expected cost f(x^), so E[G_g] >= f(x^) - z*: the mean of G_g over-estimates the
gap, and the one-sided 95 % bound  mean(G) + t_{G-1, 0.95} s_G / sqrt(G)  bounds the gap
f(x^) - z* from above with 95 % confidence (asymptotically). Reported next to it: the same
bound relative to the plan's out-of-sample expected cost, and the plan's stability across
the replications' own optima (which purchases and agreements every replication makes, and
the spread of tonnes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..instance.schema import Instance
from ..model.data import ModelData
from ..model.plan import Plan
from ..solve.highs import SolveOptions


def t_quantile(q: float, dof: int) -> float:
    from scipy.stats import t
    return float(t.ppf(q, dof))


def statistical_gap(inst: Instance, data_in: ModelData, plan: Plan, replications: int,
                    size: int | None, seed: int, options: SolveOptions,
                    reference_mean: float | None = None,
                    say: Callable[[str], None] | None = None,
                    engine: str = "ef") -> dict[str, Any]:
    """The multiple-replication gap of ``plan`` (module docstring) as a JSON-ready dict.

    ``engine``: how each sample problem is bounded: "ef", the extensive form in HiGHS (its
    proven MIP bound), or "benders", the L-shaped method in one process (its proven lower
    bound; solve/benders.py), which reaches larger samples."""
    from ..scenarios import sample
    from .evaluate import evaluate, plan_from_model

    if replications < 2:
        raise ValueError(f"replications {replications}: need at least 2 for an interval")
    n = size or len(data_in.scenarios)
    gaps, lowers, cands, plans = [], [], [], []
    for g in range(replications):
        data_g = sample(inst, n, seed + g, prefix="rep").apply(data_in)
        m, bound = _bounded(data_g, options, engine)
        if m is None or bound is None:
            raise RuntimeError(f"replication {g + 1}: no plan or no bound")
        cand = float(evaluate(data_g, plan).total.mean())
        lowers.append(bound)
        cands.append(cand)
        gaps.append(cand - bound)
        plans.append(plan_from_model(m, data_g, f"replication {g + 1}"))
        if say:
            say(f"replication {g + 1}/{replications}: plan {cand:,.0f} USD, lower bound "
                f"{bound:,.0f} USD, gap {gaps[-1]:,.0f} USD")
    G = np.array(gaps)
    mean, sd = float(G.mean()), float(G.std(ddof=1))
    upper = mean + t_quantile(0.95, replications - 1) * sd / math.sqrt(replications)
    ref = reference_mean if reference_mean is not None else float(np.mean(cands))
    return {
        "method": "multiple replications (Mak, Morton and Wood 1999)", "engine": engine,
        "replications": replications, "scenarios_per_replication": n, "seed": seed,
        "gap_mean": mean, "gap_std": sd, "gap_upper95": upper,
        "gap_upper95_relative": upper / ref if ref else math.nan,
        "reference_expected_cost": ref,
        "per_replication": [{"lower_bound": lo, "plan_cost": c, "gap": g}
                            for lo, c, g in zip(lowers, cands, gaps)],
        "stability": stability(data_in, plan, plans),
    }


def _bounded(data: ModelData, options: SolveOptions, engine: str) -> tuple[Any, float | None]:
    """The sample problem of ``data`` solved: (its solved first stage, proven lower bound)."""
    if engine == "benders":
        from ..solve.benders import BendersOptions, SerialComm, decompose
        res = decompose(data, BendersOptions(gap=options.mip_gap,
                                             time_limit=options.time_limit), SerialComm())
        return res.model, (float(res.lower) if res.lower > -1e300 else None)
    from ..model.build import build_model
    from ..solve.highs import solve
    m = build_model(data)
    stats = solve(m, options)
    if not stats.has_plan or stats.bound is None:
        return None, None
    return m, float(stats.bound)


def stability(data: ModelData, plan: Plan, plans: list[Plan]) -> dict[str, Any]:
    """Which purchases and agreements the replications' own optima share with ``plan``."""
    tonnes = np.stack([p.bought(data) for p in plans])  # (G, H, K)
    rows = []
    mine = plan.bought(data)
    for h, k in zip(*np.nonzero((tonnes > 0).any(axis=0) | (mine > 0))):
        t = tonnes[:, h, k]
        rows.append({"holder": data.holders[h], "product": data.products[k],
                     "plan_t": float(mine[h, k]), "min_t": float(t.min()),
                     "max_t": float(t.max()), "replications_buying": int((t > 0).sum())})
    agreements = sorted({a for p in plans for a in p.agreements} | set(plan.agreements))
    return {
        "purchases": rows,
        "bought_in_every_replication": [f"{r['holder']}/{r['product']}" for r in rows
                                        if r["replications_buying"] == len(plans)],
        "agreements": [{"agreement": a, "in_plan": a in plan.agreements,
                        "replications_signing": sum(a in p.agreements for p in plans)}
                       for a in agreements],
    }
