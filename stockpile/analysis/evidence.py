"""The evidence behind a recommendation, computed with every solve.

- **Out of sample**: the plan, each rule agencies use today (held to the model's constraints,
  baselines.held_to_constraints) and no stock, evaluated on a fresh sample from the
  calibrated event library (same seed for every command: ``DEFAULT_SEED``), with the paired
  95 % interval of (rule - plan): the plan beats a rule when that interval lies above 0.
- **Stress tests**: the instance's named historical analogues (its ``stress_tests`` block),
  each scenario's cost for the plan, no stock and the best rule.
- **Hit frequency**: per material, the probability that some holder's supply of it is cut,
  in the instance's scenarios and in the fresh sample.
- **Statistical optimality gap** (saa.py, when replications are asked for).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..instance.schema import Instance
from ..model.data import ModelData, model_data
from ..model.plan import Plan
from ..solve.highs import SolveOptions
from . import baselines
from .evaluate import Evaluation, evaluate, paired_difference

DEFAULT_SEED = 20260
"""Seed of the out-of-sample check of every command (the same sample everywhere)."""


@dataclass(frozen=True)
class EvidenceOptions:
    scenarios: int = 5000  # size of the fresh sample
    seed: int = DEFAULT_SEED
    replications: int = 0  # statistical gap: SAA replications (0: not computed)
    replication_size: int | None = None  # scenarios per replication (default: the instance's)
    replication_engine: str = "ef"  # "ef" or "benders" (saa.statistical_gap)
    solve: SolveOptions = field(default_factory=SolveOptions)
    progress: bool = False  # one line on standard error per step


def _say(options: EvidenceOptions, text: str) -> None:
    if options.progress:
        import sys
        print(f"[stockpile] {text}", file=sys.stderr, flush=True)


def hit_frequency(data: ModelData) -> np.ndarray:
    """P(some holder's supply of material m is cut in some period), (M,)."""
    p = data.probability / data.probability.sum()
    cut = data.supply < 1.0 - 1e-12  # (S, T, H, K)
    by_product = np.asarray(cut.any(axis=(1, 2)))  # (S, K)
    out = np.zeros(len(data.materials))
    for m in range(len(data.materials)):
        ks = data.material_of == m
        out[m] = float(p @ by_product[:, ks].any(axis=1)) if ks.any() else 0.0
    return out


def _row(plan: Plan, ev: Evaluation, ref: Evaluation) -> dict[str, Any]:
    return {**ev.summary(), "status": plan.status, "notes": list(plan.notes),
            "agreements": sorted(plan.agreements),
            "minus_plan": paired_difference(ev, ref)}


def out_of_sample(inst: Instance, data_in: ModelData, plans: list[Plan],
                  options: EvidenceOptions) -> tuple[list[dict[str, Any]], ModelData]:
    """Each plan on a fresh library sample; rows carry (plan - first plan) paired."""
    from ..scenarios import sample
    sset = sample(inst, options.scenarios, options.seed, prefix="oos")
    data_out = sset.apply(data_in)
    evals = [evaluate(data_out, p) for p in plans]
    return [_row(p, ev, evals[0]) for p, ev in zip(plans, evals)], data_out


def stress_tests(inst: Instance, mode: str, plans: list[Plan]) -> list[dict[str, Any]]:
    """Second-stage cost of each plan in each named historical analogue, and its shortfall
    cost per material there (materials with none left out)."""
    if not inst.stress_tests:
        return []
    n = len(inst.stress_tests)
    named = inst.model_copy(update={"scenarios": [
        s.model_copy(update={"probability": 1.0 / n}) for s in inst.stress_tests]})
    data = model_data(named, mode)  # type: ignore[arg-type]
    evals = [evaluate(data, p) for p in plans]
    rows = []
    for i, s in enumerate(inst.stress_tests):
        rows.append({"scenario": s.id, "description": s.description, "events": list(s.events),
                     "cost": {p.name: float(ev.second[i]) for p, ev in zip(plans, evals)},
                     "shortfall_by_material": {p.name: _by_material(data, ev.shortfall[i])
                                               for p, ev in zip(plans, evals)}})
    return rows


def _by_material(data: ModelData, shortfall: np.ndarray) -> dict[str, float]:
    """{material: cost} of one scenario's shortfall (H, M), nonzero entries only."""
    per = shortfall.sum(axis=0)
    return {m: float(per[j]) for j, m in enumerate(data.materials) if per[j] > 1e-6}


def stock_by_material(data: ModelData, plans: list[Plan]) -> dict[str, dict[str, float]]:
    """{plan: {material: tonnes held by all holders, every grade}}."""
    out = {}
    for p in plans:
        X = p.stock(data).sum(axis=0)  # (K,)
        out[p.name] = {m: float(X[data.material_of == j].sum())
                       for j, m in enumerate(data.materials)}
    return out


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether the plan (rows[0]) beats every feasible rule: each paired interval of
    (rule - plan) above 0. The best rule is the one with the lowest mean cost."""
    rules = [r for r in rows[1:] if r["plan"] != "no stock" and not
             str(r["status"]).startswith("infeasible")]
    if not rules:
        return {"beats_every_rule": None, "best_rule": None}
    best = min(rules, key=lambda r: r["mean"])
    beaten = [r["minus_plan"]["ci95"][0] > 0 for r in rules]
    losing = [r["plan"] for r in rules if r["minus_plan"]["ci95"][1] < 0]
    return {"beats_every_rule": all(beaten), "best_rule": best["plan"],
            "best_rule_saving": best["minus_plan"], "rules_better_than_plan": losing,
            "undecided": [r["plan"] for r, b in zip(rules, beaten) if not b
                          and r["plan"] not in losing]}


def run_evidence(inst: Instance, data_in: ModelData, plan: Plan,
                 options: EvidenceOptions = EvidenceOptions()) -> dict[str, Any]:
    """Every piece of evidence of the module docstring, as one JSON-ready dict."""
    t0 = time.perf_counter()
    names = [m.name for m in inst.materials]
    _say(options, "holding today's rules to the model's constraints")
    rules = baselines.rules_held(data_in, names, options.solve)
    none = Plan("no stock", np.zeros_like(plan.lots))
    plans = [plan, *rules, none]
    feasible = [p for p in plans if p.feasible]
    _say(options, f"evaluating {len(feasible)} plans on {options.scenarios:,} fresh scenarios")
    rows, data_out = out_of_sample(inst, data_in, feasible, options)
    for p in plans:
        if not p.feasible:
            rows.append({"plan": p.name, "status": p.status, "notes": list(p.notes)})
    v = verdict(rows)
    best = next((p for p in rules if p.name == v["best_rule"]), None)
    stress = stress_tests(inst, data_in.mode, [plan, none] + ([best] if best else []))
    out: dict[str, Any] = {
        "out_of_sample": {"scenarios": options.scenarios, "seed": options.seed,
                          "source": "calibrated event library (stockpile.scenarios)",
                          "plans": rows},
        "verdict": v,
        "stress_tests": stress,
        "stock_by_material": stock_by_material(data_in, [plan] + ([best] if best else [])),
        "in_sample_no_stock_mean": float(evaluate(data_in, none).summary()["mean"]),  # type: ignore[arg-type]
        "hit_frequency": [
            {"material": m, "in_sample": float(a), "out_of_sample": float(b)}
            for m, a, b in zip(data_in.materials, hit_frequency(data_in),
                               hit_frequency(data_out))],
    }
    if options.replications > 0:
        from .saa import statistical_gap
        _say(options, f"statistical gap: {options.replications} replications")
        out["statistical_gap"] = statistical_gap(
            inst, data_in, plan, options.replications, options.replication_size,
            options.seed + 1000, options.solve, reference_mean=rows[0]["mean"],
            say=lambda text: _say(options, text), engine=options.replication_engine)
    out["seconds"] = time.perf_counter() - t0
    return out
