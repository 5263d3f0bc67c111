"""The ``stockpile evaluate`` pipeline, callable from Python without the command line:

    what-if overrides -> the plan (optimised here, a plan file, or a Plan given)
    -> a fresh, larger, independent sample from the event library
    -> the plan, today's rules held to the model's constraints and no stock, each evaluated
       on the same scenarios (paired differences to the first plan)
    -> optionally VSS and EVPI (frontier.py)

Example::

    from stockpile.instance import load
    from stockpile.analysis.out_of_sample import EvaluationOptions, run_evaluation
    from stockpile.scenarios.pipeline import SampleOptions

    result = run_evaluation(load("instances/tiny_sharing.yaml"),
                            EvaluationOptions(sampling=SampleOptions(n=2000, seed=20260)))
    result.plans[0].mean            # the optimised plan's out-of-sample mean cost (USD)
    result.to_dict()                # evaluation.json, as the command writes it
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..instance import Instance
from ..model.data import ModelData, model_data
from ..model.modes import Mode
from ..model.plan import Plan
from ..scenarios.pipeline import SampleOptions, fresh_sample
from ..solve.highs import SolveOptions
from . import baselines
from .evaluate import Evaluation, evaluate, paired_difference, plan_from_file
from .frontier import (
    DEFAULT_SAMPLE,
    optimise,
    value_of_perfect_information,
    value_of_stochastic_solution,
)
from .whatif import WhatIf, plan_whatif


@dataclass(frozen=True)
class EvaluationOptions:
    mode: Mode = "bilateral"
    plan: Path | Plan | None = None  # plan.csv or result.json of a solve, a Plan, or None:
    # optimise the instance on its own scenarios
    sampling: SampleOptions = DEFAULT_SAMPLE
    baselines: bool = True  # today's days-of-cover rules, held to the model's constraints
    vss: bool = False  # value of the stochastic solution (solves the mean-value problem)
    evpi: int | None = None  # expected value of perfect information on N scenarios (N >= 2)
    solve: SolveOptions = field(default_factory=SolveOptions)
    whatif: WhatIf = field(default_factory=WhatIf)  # budgets, materials (plan_whatif)
    # called with a line of text after each step and the number of steps now expected
    progress: Callable[[str, int], None] | None = None


@dataclass
class PlanOutcome:
    """One plan's figures on the fresh sample."""

    plan: Plan
    evaluation: Evaluation  # cost per scenario
    figures: dict[str, Any]  # mean, ci95, percentiles, CVaR, shortfall (Evaluation.summary)
    days_of_cover: float
    minus_first: dict[str, Any]  # paired difference to the first plan: mean, std_error, ci95
    lots: dict[str, int]  # "holder|product" -> lots, for the products bought

    @property
    def mean(self) -> float:
        return float(self.figures["mean"])

    def to_dict(self) -> dict[str, Any]:
        p = self.plan
        return {**self.figures, "days_of_cover": self.days_of_cover,
                "minus_first": self.minus_first, "lots": self.lots,
                "agreements": sorted(p.agreements), "status": p.status, "notes": list(p.notes)}


@dataclass
class EvaluationResult:
    """What ``run_evaluation`` found; :meth:`to_dict` is evaluation.json."""

    instance: str
    mode: str
    sampling: SampleOptions
    in_sample_scenarios: int | None  # scenarios the first plan was optimised on, if known
    plans: list[PlanOutcome]  # the plan first, the feasible rules, no stock last
    shortfall_by_holder_material: list[dict[str, object]]  # the first plan's
    vss: dict[str, Any] | None = None
    evpi: dict[str, Any] | None = None
    seconds: float = 0.0
    whatif: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        s = self.sampling
        res: dict[str, Any] = {
            "instance": self.instance, "mode": self.mode, "scenarios": s.n, "seed": s.seed,
            "structure": s.structure, "rate_scale": s.rate_scale,
            "in_sample_scenarios": self.in_sample_scenarios,
            "plans": [p.to_dict() for p in self.plans],
            "shortfall_by_holder_material": self.shortfall_by_holder_material}
        if self.vss is not None:
            res["vss"] = self.vss
        if self.evpi is not None:
            res["evpi"] = self.evpi
        res["seconds"] = self.seconds
        res["whatif"] = self.whatif
        return res


def optimised_on(plan: Path | Plan | None, instance_scenarios: int) -> int | None:
    """How many scenarios the evaluated plan was optimised on: the instance's for the plan
    optimised here; for a plan file, what its result.json says (None when not known, e.g.
    a plan.csv or a Plan given, rather than the instance's count, which may not be the
    plan's)."""
    if plan is None:
        return instance_scenarios
    if isinstance(plan, Path) and plan.suffix.lower() == ".json":
        import json

        try:
            n = (json.loads(plan.read_text(encoding="utf-8")).get("instance") or {}).get(
                "scenarios")
        except (OSError, ValueError, AttributeError):
            return None
        return int(n) if isinstance(n, int) else None
    return None


class _Steps:
    """Progress: a line per step with the number of steps now expected."""

    def __init__(self, options: EvaluationOptions) -> None:
        self.say, self.vss, self.evpi = options.progress, options.vss, bool(options.evpi)
        self.total = 2 + (5 if options.baselines else 0) + 1 + self.vss + self.evpi

    def plans_known(self, n: int) -> None:
        self.total = 2 + n + self.vss + self.evpi

    def __call__(self, text: str) -> None:
        if self.say is not None:
            self.say(text, self.total)


def _first_plan(data_in: ModelData, options: EvaluationOptions) -> Plan:
    if options.plan is None:
        return optimise(data_in, options.solve)[0]
    if isinstance(options.plan, Plan):
        return options.plan
    return plan_from_file(options.plan, data_in)


def _outcomes(data_out: ModelData, plans: list[Plan], step: _Steps) -> list[PlanOutcome]:
    """Each plan evaluated on the same scenarios, paired with the first."""
    evals = []
    for p in plans:
        evals.append(evaluate(data_out, p))
        step(f"evaluated {p.name}")
    return [PlanOutcome(p, ev, ev.summary(), baselines.days_of_cover(data_out, p),
                        paired_difference(ev, evals[0]),
                        {f"{data_out.holders[h]}|{data_out.products[k]}": int(p.lots[h, k])
                         for h, k in zip(*np.nonzero(p.lots))})
            for p, ev in zip(plans, evals)]


def run_evaluation(inst: Instance, options: EvaluationOptions = EvaluationOptions()
                   ) -> EvaluationResult:
    """The plan, today's rules and no stock on a fresh sample (module docstring).

    Raises WhatIfError or ValueError on a bad option (naming it), RuntimeError when a solve
    finds no plan."""
    t0 = time.perf_counter()
    applied = plan_whatif(inst, options.whatif, "evaluate")
    inst = applied.instance
    step = _Steps(options)
    data_in = model_data(inst, options.mode)
    plan = _first_plan(data_in, options)
    step(f"plan {plan.name!r} ready")
    s = options.sampling
    data_out = fresh_sample(inst, s).apply(data_in)
    step(f"{s.n:,} fresh scenarios sampled (seed {s.seed})")
    names = [m.name for m in inst.materials]
    rules = baselines.rules_held(data_in, names, options.solve) if options.baselines else []
    plans = [plan, *[r for r in rules if r.feasible], Plan("no stock", np.zeros_like(plan.lots))]
    step.plans_known(len(plans))
    outcomes = _outcomes(data_out, plans, step)
    first = outcomes[0].evaluation
    result = EvaluationResult(inst.name, options.mode, s,
                              optimised_on(options.plan, len(inst.scenarios)), outcomes,
                              first.shortfall_table(data_out), whatif=applied.notes)
    if options.vss:
        result.vss = value_of_stochastic_solution(data_in, data_out, first, options.solve)
        step("value of the stochastic solution")
    if options.evpi:
        result.evpi = value_of_perfect_information(data_out, first, options.evpi,
                                                   options.solve)
        step("expected value of perfect information")
    result.seconds = time.perf_counter() - t0
    return result
