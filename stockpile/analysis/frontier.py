"""Values of a stochastic plan: VSS, EVPI, and the budget-versus-risk frontier.

- VSS (value of the stochastic solution) = E[C(x_EV)] - E[C(x_SP)], x_EV the plan of the
  mean-value problem (one scenario with the mean a, mu, g), x_SP the stochastic plan, both
  evaluated on the same out-of-sample scenarios; its standard error is that of the paired
  differences (common random numbers).
- EVPI (expected value of perfect information) = E[C(x_SP)] - E[WS], WS_s the optimum of
  scenario s solved alone; estimated on the first n out-of-sample scenarios with the
  standard error of the paired differences. WS_s is the incumbent of a MIP solved to the
  requested gap, an upper bound, so the estimate is conservative (low) by at most the gap.
- Frontier: for each budget scale b (all B_h times b) and risk weight lambda, the plan of
  min E[C] + lambda CVaR_alpha[C] (model/risk.py; lambda = 0 is the canonical model) is
  evaluated out of sample. The marginal value of budget between consecutive budgets is
  -(change of expected total cost) / (change of total budget), and the shortfall avoided per
  dollar -(change of expected shortfall) / (change of total budget).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..instance import Instance
from ..model.build import build_model
from ..model.data import ModelData, model_data
from ..model.modes import Mode
from ..model.risk import RiskOptions
from ..scenarios.pipeline import SampleOptions, fresh_sample
from ..solve.highs import SolveOptions, SolveStats, solve
from .coalitions import parallel_map
from .evaluate import Z95, Evaluation, Plan, evaluate, paired_difference, plan_from_model
from .evidence import DEFAULT_SEED
from .whatif import WhatIf, plan_whatif


def optimise(data: ModelData, options: SolveOptions | None = None, risk: object = None,
             name: str = "optimised") -> tuple[Plan, SolveStats]:
    """Solve the extensive form of ``data`` and return its plan with the solve statistics."""
    m = build_model(data, risk=risk)
    stats = solve(m, options or SolveOptions())
    if not stats.has_plan:
        raise RuntimeError(f"no plan for {name}: {stats.describe()}")
    return plan_from_model(m, data, name), stats


def mean_value_data(data: ModelData) -> ModelData:
    """One scenario with the probability-weighted mean of a, mu and g (the EV problem)."""
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
    n = min(n, len(data_out.scenarios))
    diff = np.zeros(n)
    for i in range(n):
        one = replace(data_out.with_scenarios([i]), probability=np.ones(1))
        m = build_model(one)
        stats = solve(m, options or SolveOptions())
        if not stats.has_plan:
            raise RuntimeError(f"wait-and-see scenario {i}: {stats.describe()}")
        diff[i] = sp.total[i] - float(stats.objective or 0.0)  # has_plan: objective set
    se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    mean = float(diff.mean())
    return {"evpi": {"mean": mean, "std_error": se, "ci95": [mean - Z95 * se, mean + Z95 * se],
                     "scenarios": n}}


DEFAULT_SAMPLE = SampleOptions(n=10000, seed=DEFAULT_SEED)
"""The one default out-of-sample draw of evaluate and frontier: the same figures in both."""


@dataclass
class FrontierPoint:
    """The plan at one (risk weight, budget scale) and its out-of-sample figures."""

    lam: float  # risk weight lambda of CVaR ("lambda" in frontier.json)
    budget_scale: float
    budget: float  # total budget, sum of B_h times the scale (USD)
    status: str  # of the in-sample solve
    gap: float | None
    in_sample_objective: float | None
    stock_t: float  # tonnes held, all materials
    figures: dict[str, Any]  # out of sample (Evaluation.summary)
    marginal_value: float | None = None  # fall of mean cost per extra USD of budget
    shortfall_avoided_per_usd: float | None = None

    @property
    def mean(self) -> float:
        return float(self.figures["mean"])

    def to_dict(self) -> dict[str, Any]:
        return {"lambda": self.lam, "budget_scale": self.budget_scale, "budget": self.budget,
                "status": self.status, "gap": self.gap,
                "in_sample_objective": self.in_sample_objective, "stock_t": self.stock_t,
                **self.figures, "marginal_value": self.marginal_value,
                "shortfall_avoided_per_usd": self.shortfall_avoided_per_usd}


def frontier(data_in: ModelData, data_out: ModelData, scales: Sequence[float],
             lambdas: Sequence[float], level: float = 0.95,
             options: SolveOptions | None = None,
             progress: Callable[[str], None] | None = None,
             workers: int = 1) -> list[FrontierPoint]:
    """One point per (lambda, budget scale): the plan's in-sample objective and its
    out-of-sample figures, with the marginal value of budget (module docstring).
    The points are solved and evaluated in ``workers`` processes; ``progress`` is called
    with a line of text as each point finishes."""
    points = [(lam, sc) for lam in lambdas for sc in sorted(scales)]

    def done(i: int) -> None:
        if progress is not None:
            lam, sc = points[i]
            progress(f"budget x{sc:g}, lambda {lam:g}: solved and evaluated")

    rows = parallel_map(_frontier_point, [(data_in, data_out, sc, lam, level, options)
                                          for lam, sc in points], workers, done)
    for i, row in enumerate(rows):
        prev = rows[i - 1] if i and rows[i - 1].lam == row.lam else None
        if prev is not None and row.budget > prev.budget:
            db = row.budget - prev.budget
            row.marginal_value = (prev.mean - row.mean) / db
            row.shortfall_avoided_per_usd = (prev.figures["expected_shortfall"]
                                             - row.figures["expected_shortfall"]) / db
    return rows


def _frontier_point(data_in: ModelData, data_out: ModelData, sc: float, lam: float,
                    level: float, options: SolveOptions | None) -> FrontierPoint:
    """The plan at budget scale ``sc`` and risk weight ``lam``, and its figures."""
    d_in = replace(data_in, budget=data_in.budget * sc)
    d_out = replace(data_out, budget=data_out.budget * sc)
    risk = RiskOptions(lam, level) if lam > 0 else None
    plan, stats = optimise(d_in, options, risk, name=f"budget x{sc:g}, lambda {lam:g}")
    return FrontierPoint(lam, sc, float(d_in.budget.sum()), stats.status, stats.gap,
                         stats.objective, float(plan.stock(d_in).sum()),
                         evaluate(d_out, plan).summary())


@dataclass(frozen=True)
class FrontierOptions:
    """What ``stockpile frontier`` does; checked when made (ValueError naming the option)."""

    budgets: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)  # scales of every holder's B_h (> 0)
    lambdas: tuple[float, ...] = (0.0, 1.0)  # risk weights of CVaR (>= 0)
    alpha: float = 0.95  # CVaR level, in [0, 1)
    mode: Mode = "bilateral"
    sampling: SampleOptions = DEFAULT_SAMPLE
    solve: SolveOptions = field(default_factory=SolveOptions)
    workers: int = 1  # points solved and evaluated at once, one process each
    whatif: WhatIf = field(default_factory=WhatIf)  # budgets, materials (plan_whatif)
    progress: Callable[[str], None] | None = None  # a line of text per point finished

    def __post_init__(self) -> None:
        if not 0 <= self.alpha < 1:
            raise ValueError(f"--alpha {self.alpha!r}: must be in [0, 1)")
        if not self.budgets or any(not b > 0 for b in self.budgets):
            raise ValueError(f"--budgets {list(self.budgets)!r}: every number must be > 0")
        if not self.lambdas or any(not lam >= 0 for lam in self.lambdas):
            raise ValueError(f"--lambdas {list(self.lambdas)!r}: every number must be >= 0")


@dataclass
class FrontierResult:
    """What ``run_frontier`` found; :meth:`to_dict` is frontier.json."""

    instance: str
    alpha: float
    sampling: SampleOptions
    points: list[FrontierPoint]  # by lambda, then budget
    whatif: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"instance": self.instance, "alpha": self.alpha, "scenarios": self.sampling.n,
                "seed": self.sampling.seed, "whatif": list(self.whatif),
                "rows": [p.to_dict() for p in self.points]}


def run_frontier(inst: Instance, options: FrontierOptions = FrontierOptions()
                 ) -> FrontierResult:
    """Optimised plans over budgets and risk weights, each on the same fresh sample.

    Raises WhatIfError or ValueError on a bad option, RuntimeError when a solve finds no
    plan."""
    applied = plan_whatif(inst, options.whatif, "frontier")
    inst = applied.instance
    data_in = model_data(inst, options.mode)
    data_out = fresh_sample(inst, options.sampling).apply(data_in)
    points = frontier(data_in, data_out, options.budgets, options.lambdas, options.alpha,
                      options.solve, options.progress, workers=options.workers)
    return FrontierResult(inst.name, options.alpha, options.sampling, points, applied.notes)
