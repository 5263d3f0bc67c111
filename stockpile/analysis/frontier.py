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
  dollar -(change of expected shortfall) / (change of total budget), marked noise when the
  change is within the two solves' proven gaps or its paired interval holds zero.
- Risk, in and out of sample: each point's CVaR_alpha on the scenarios it was fitted to and
  on the fresh ones, and how many in-sample scenarios its tail holds; each lambda > 0 plan
  against the lambda = 0 plan of its budget, paired on the fresh scenarios (:func:`risk_check`).
  On the quick instance (20 scenarios, alpha 0.95: a tail of one scenario) lambda 1 lowered
  the in-sample CVaR by 271 M and raised the out-of-sample one by 814 M [718, 911]: a plan
  fitted to one scenario. With a tail of 4-5 scenarios it no longer rose (docs/cli.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..extract import cvar, weighted_quantile
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


TAIL_MIN = 10
"""In-sample scenarios the CVaR tail must hold before the in-sample CVaR is trusted: with
fewer, CVaR_alpha is the cost of a handful of scenarios (20 equally likely scenarios and
alpha 0.95: one), and a plan fitted to them can have a higher CVaR out of sample than the
risk-neutral plan (measured on the quick instance: docs/cli.md, frontier)."""


def tail_scenarios(values: np.ndarray, weights: np.ndarray, level: float) -> int:
    """How many scenarios make up the worst (1 - level) of the probability: the scenarios
    the CVaR at ``level`` averages (the last one possibly in part)."""
    w = weights[np.argsort(values, kind="stable")[::-1]] / weights.sum()
    return int(np.searchsorted(np.cumsum(w), (1.0 - level) * (1 - 1e-12)) + 1)


def cvar_influence(values: np.ndarray, weights: np.ndarray, level: float) -> np.ndarray:
    """Each scenario's term of the CVaR estimator, VaR + (C_s - VaR)^+ / (1 - level), VaR the
    weighted level-quantile: their weighted mean is the CVaR, and their spread gives its
    standard error (and, for two plans on the same scenarios, the paired one)."""
    var = weighted_quantile(values, weights, level)
    return var + np.maximum(values - var, 0.0) / (1.0 - level)


def weighted_paired(a: np.ndarray, b: np.ndarray, weights: np.ndarray
                    ) -> dict[str, Any]:
    """Mean of a - b with its 95 % interval (weights: the scenarios' probabilities)."""
    p = weights / weights.sum()
    diff = a - b
    mean = float(p @ diff)
    n_eff = 1.0 / float(p @ p)
    sd = math.sqrt(max(float(p @ (diff - mean) ** 2), 0.0) * n_eff / max(n_eff - 1, 1))
    se = sd / math.sqrt(n_eff)
    return {"mean": mean, "std_error": se, "ci95": [mean - Z95 * se, mean + Z95 * se]}


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
    abs_gap: float | None = None  # objective - proven bound of the in-sample solve (USD)
    # CVaR at the frontier's alpha, in and out of sample, the in-sample tail's size
    risk: dict[str, Any] = field(default_factory=dict)
    # lambda > 0: this plan against the lambda = 0 plan of the same budget
    against_risk_neutral: dict[str, Any] | None = None
    # the marginal value's mean change: within the solver gaps or the sampling noise?
    marginal_noise: str | None = None
    out_total: np.ndarray | None = field(default=None, repr=False)  # cost per scenario

    @property
    def mean(self) -> float:
        return float(self.figures["mean"])

    def to_dict(self) -> dict[str, Any]:
        return {"lambda": self.lam, "budget_scale": self.budget_scale, "budget": self.budget,
                "status": self.status, "gap": self.gap, "abs_gap": self.abs_gap,
                "in_sample_objective": self.in_sample_objective, "stock_t": self.stock_t,
                **self.figures, **self.risk, "marginal_value": self.marginal_value,
                "shortfall_avoided_per_usd": self.shortfall_avoided_per_usd,
                "marginal_noise": self.marginal_noise,
                "against_risk_neutral": self.against_risk_neutral}


def frontier(data_in: ModelData, data_out: ModelData, scales: Sequence[float],
             lambdas: Sequence[float], level: float = 0.95,
             options: SolveOptions | None = None,
             progress: Callable[[str], None] | None = None,
             workers: int = 1) -> list[FrontierPoint]:
    """One point per (lambda, budget scale): the plan's in-sample objective and its
    out-of-sample figures, with the marginal value of budget (module docstring), and for
    lambda > 0 the check of risk aversion against the lambda = 0 plan of the same budget
    (:func:`risk_check`).
    The points are solved and evaluated in ``workers`` processes; ``progress`` is called
    with a line of text as each point finishes."""
    points = [(lam, sc) for lam in lambdas for sc in sorted(scales)]

    def done(i: int) -> None:
        if progress is not None:
            lam, sc = points[i]
            progress(f"budget x{sc:g}, lambda {lam:g}: solved and evaluated")

    rows = parallel_map(_frontier_point, [(data_in, data_out, sc, lam, level, options)
                                          for lam, sc in points], workers, done)
    p_out = data_out.probability
    for i, row in enumerate(rows):
        prev = rows[i - 1] if i and rows[i - 1].lam == row.lam else None
        if prev is not None and row.budget > prev.budget:
            db = row.budget - prev.budget
            row.marginal_value = (prev.mean - row.mean) / db
            row.shortfall_avoided_per_usd = (prev.figures["expected_shortfall"]
                                             - row.figures["expected_shortfall"]) / db
            row.marginal_noise = _noise(prev, row, p_out)
    neutral = {r.budget_scale: r for r in rows if r.lam == 0}
    for row in rows:
        if row.lam > 0 and row.budget_scale in neutral:
            row.against_risk_neutral = risk_check(neutral[row.budget_scale], row, p_out,
                                                  level)
    return rows


def _noise(prev: FrontierPoint, row: FrontierPoint, p_out: np.ndarray) -> str | None:
    """Why the change of mean cost between two budgets is no measured effect, or None: within
    the two solves' proven gaps (summed), or its paired 95 % interval holds zero."""
    change = row.mean - prev.mean
    gaps = (prev.abs_gap or 0.0) + (row.abs_gap or 0.0)
    if prev.abs_gap is None or row.abs_gap is None:
        gaps = math.inf
    if abs(change) <= gaps:
        return f"within the solver gaps ({_usd(gaps)})"
    if prev.out_total is not None and row.out_total is not None:
        lo, hi = weighted_paired(row.out_total, prev.out_total, p_out)["ci95"]
        if lo <= 0 <= hi:
            return f"sampling noise (95 % interval {_usd(lo)} to {_usd(hi)})"
    return None


def _usd(x: float) -> str:
    return f"{x:,.0f} USD" if math.isfinite(x) else "unbounded"


def risk_check(neutral: FrontierPoint, averse: FrontierPoint, p_out: np.ndarray,
               level: float) -> dict[str, Any]:
    """The risk-averse plan's CVaR at ``level`` against the risk-neutral one's, in sample
    (on the instance's scenarios) and out of sample (paired on the same fresh scenarios,
    with its 95 % interval), and a warning when the two disagree: in sample risk aversion
    lowers the CVaR while out of sample it raises it beyond the interval."""
    inside = averse.risk["cvar_in_sample"] - neutral.risk["cvar_in_sample"]
    out: dict[str, Any] = {"in_sample_cvar_change": inside}
    if neutral.out_total is None or averse.out_total is None:
        return out
    paired = weighted_paired(cvar_influence(averse.out_total, p_out, level),
                             cvar_influence(neutral.out_total, p_out, level), p_out)
    change = averse.risk["cvar_out_of_sample"] - neutral.risk["cvar_out_of_sample"]
    lo, hi = paired["ci95"]
    half = (hi - lo) / 2
    out.update(out_of_sample_cvar_change=change, out_of_sample_ci95=[change - half,
                                                                      change + half])
    tail = averse.risk["tail_scenarios_in_sample"]
    why = (f" The in-sample CVaR rests on {tail} scenario{'s' if tail != 1 else ''} "
           f"(fewer than {TAIL_MIN}): the plan is fitted to {'it' if tail == 1 else 'them'}."
           if tail < TAIL_MIN else "")
    if inside < 0 and change - half > 0:
        out["verdict"] = "backfires"
        out["warning"] = (
            f"Risk aversion backfires at lambda {averse.lam:g}, budget x"
            f"{averse.budget_scale:g}: in sample it lowers the CVaR {level:.0%} by "
            f"{_usd(-inside)}, out of sample it raises it by {_usd(change)} (95 % "
            f"interval {_usd(change - half)} to {_usd(change + half)}).{why}")
    elif change + half < 0:
        out["verdict"] = "lowers"
    elif change - half > 0:
        out["verdict"] = "raises"
    else:
        out["verdict"] = "no measurable change"
    return out


def _frontier_point(data_in: ModelData, data_out: ModelData, sc: float, lam: float,
                    level: float, options: SolveOptions | None) -> FrontierPoint:
    """The plan at budget scale ``sc`` and risk weight ``lam``, and its figures in and out
    of sample."""
    d_in = replace(data_in, budget=data_in.budget * sc)
    d_out = replace(data_out, budget=data_out.budget * sc)
    risk = RiskOptions(lam, level) if lam > 0 else None
    plan, stats = optimise(d_in, options, risk, name=f"budget x{sc:g}, lambda {lam:g}")
    inside, outside = evaluate(d_in, plan), evaluate(d_out, plan)
    abs_gap = (None if stats.objective is None or stats.bound is None
               else abs(stats.objective - stats.bound))
    p_in, p_out = inside.probability, outside.probability
    terms = cvar_influence(outside.total, p_out, level)
    risk_figures = {
        "alpha": level, "mean_in_sample": float(p_in @ inside.total / p_in.sum()),
        "cvar_in_sample": cvar(inside.total, p_in, level),
        "tail_scenarios_in_sample": tail_scenarios(inside.total, p_in, level),
        "cvar_out_of_sample": cvar(outside.total, p_out, level),
        "cvar_out_of_sample_std_error": weighted_paired(terms, np.zeros(len(p_out)),
                                                        p_out)["std_error"]}
    return FrontierPoint(lam, sc, float(d_in.budget.sum()), stats.status, stats.gap,
                         stats.objective, float(plan.stock(d_in).sum()), outside.summary(),
                         abs_gap=abs_gap, risk=risk_figures, out_total=outside.total)


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
    # optimise on this many equally likely library draws instead of the instance's own
    # scenarios (seed ``in_sample_seed``; 1 and the instance's size give its own again):
    # enough that the CVaR tail holds TAIL_MIN scenarios or more
    in_sample: int | None = None
    in_sample_seed: int = 1

    def __post_init__(self) -> None:
        if self.in_sample is not None and not self.in_sample >= 1:
            raise ValueError(f"--sample {self.in_sample!r}: must be a whole number >= 1")
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
    in_sample_scenarios: int = 0  # scenarios the plans were optimised on
    in_sample_note: str = ""  # where they come from, when not the instance's own

    def warnings(self) -> list[str]:
        """What a reader of the frontier must know before trusting its risk column: a CVaR
        tail of fewer than TAIL_MIN in-sample scenarios, and risk aversion that backfires
        out of sample (:func:`risk_check`)."""
        out = []
        thin = sorted({int(p.risk["tail_scenarios_in_sample"]) for p in self.points
                       if p.lam > 0 and p.risk.get("tail_scenarios_in_sample", TAIL_MIN)
                       < TAIL_MIN})
        if thin:
            out.append(
                f"The CVaR {self.alpha:.0%} the plans minimise rests on "
                f"{thin[0] if len(thin) == 1 else f'{thin[0]} to {thin[-1]}'} of the "
                f"{self.in_sample_scenarios} in-sample scenarios (fewer than {TAIL_MIN}): "
                "the risk-averse plans are fitted to those few and their in-sample CVaR says "
                "little of the risk out of sample. Optimise on more scenarios (frontier "
                f"--sample N with N (1 - alpha) >= {TAIL_MIN}) or a lower --alpha.")
        out += [p.against_risk_neutral["warning"] for p in self.points
                if p.against_risk_neutral and p.against_risk_neutral.get("warning")]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"instance": self.instance, "alpha": self.alpha, "scenarios": self.sampling.n,
                "seed": self.sampling.seed, "whatif": list(self.whatif),
                "in_sample_scenarios": self.in_sample_scenarios,
                "in_sample_note": self.in_sample_note, "warnings": self.warnings(),
                "rows": [p.to_dict() for p in self.points]}


def run_frontier(inst: Instance, options: FrontierOptions = FrontierOptions()
                 ) -> FrontierResult:
    """Optimised plans over budgets and risk weights, each on the same fresh sample.

    Raises WhatIfError or ValueError on a bad option, RuntimeError when a solve finds no
    plan."""
    applied = plan_whatif(inst, options.whatif, "frontier")
    inst, note = applied.instance, ""
    if options.in_sample:
        from ..scenarios import sample, with_scenarios

        note = (f"{options.in_sample} equally likely draws from the calibrated event library "
                f"(seed {options.in_sample_seed}; frontier --sample), replacing the "
                f"{len(inst.scenarios)} of the instance")
        inst = with_scenarios(inst, sample(inst, options.in_sample, options.in_sample_seed,
                                           prefix="lib"), source_note=note)
    data_in = model_data(inst, options.mode)
    data_out = fresh_sample(inst, options.sampling).apply(data_in)
    points = frontier(data_in, data_out, options.budgets, options.lambdas, options.alpha,
                      options.solve, options.progress, workers=options.workers)
    return FrontierResult(inst.name, options.alpha, options.sampling, points, applied.notes,
                          len(data_in.scenarios), note)
