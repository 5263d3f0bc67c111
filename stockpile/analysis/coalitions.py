"""The cooperative cost game of the holders: coalition costs, Shapley value, core.

The game. For a coalition S of holders, c(S) is the optimum of the instance restricted to S
(``whatif.restrict_holders``) in bilateral mode: only S's demand, stock and budgets,
candidate agreements only between members of S, and S's entitlement to the market-impact
cap (its members' share of the demand for each material). c({h}) is h's stand-alone cost
(no partner to sign with); c(N) is the bilateral optimum of the whole instance.

Shapley value (cost split), exact for n <= ``EXACT_MAX_HOLDERS``:

    phi_i = sum_{S subset of N \\ {i}} |S|! (n - |S| - 1)! / n!  [ c(S u {i}) - c(S) ]

For larger n it is estimated from P random orders pi of the holders (seeded): with
P_i(pi) the holders before i in pi,

    phi_i ~ (1/P) sum_pi [ c(P_i(pi) u {i}) - c(P_i(pi)) ],   SE_i = std / sqrt(P)

Every order's contributions add up to c(N), so the estimate splits c(N) exactly.

Core: the splits x with sum_i x_i = c(N) and x(S) <= c(S) for every S (no coalition pays
more than it would alone). The least-core LP

    min eps  s.t.  x(S) - eps <= c(S) for every proper coalition S,  x(N) = c(N)

(solved with HiGHS) gives eps*: the core is empty exactly when eps* > 0, and eps* is then
the smallest possible overcharge of the worst-treated coalition. The Shapley split's own
distance from the core is its largest excess max_S [ phi(S) - c(S) ].

Solver gaps: each c(S) is known within [bound, objective]. The Shapley weights of one holder
sum to 1 per side, so phi_i moves by at most sum_S w_S (gap(S u i) + gap(S)) (reported),
and core statements are made only beyond the largest coalition gap.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any, TypeVar

import numpy as np

from ..instance import Instance
from ..solve.highs import SolveOptions
from .whatif import restrict_holders

EXACT_MAX_HOLDERS = 6
Coalition = frozenset[str]
T = TypeVar("T")


# ---- parallel map ----------------------------------------------------------------------------
def parallel_map(fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]],
                 workers: int = 1, done: Callable[[int], None] | None = None) -> list[T]:
    """[fn(*args) for args in tasks], in separate processes when workers > 1.

    Processes are started with 'spawn' (HiGHS keeps a thread pool that a fork would copy
    mid-state); results come back in task order. ``done(i)`` is called as task i finishes
    (progress lines).
    """
    if workers <= 1 or len(tasks) <= 1:
        out = []
        for i, args in enumerate(tasks):
            out.append(fn(*args))
            if done is not None:
                done(i)
        return out
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=ctx,
                               initializer=_worker_init)
    try:
        futures = [pool.submit(fn, *args) for args in tasks]
        if done is not None:
            index = {f: i for i, f in enumerate(futures)}
            for f in as_completed(futures):
                done(index[f])
        out = [f.result() for f in futures]
    except BaseException:  # an interrupt or a failed task: the workers go now, not later
        _kill_workers(pool)
        raise
    pool.shutdown()
    return out


def _worker_init() -> None:
    """In each worker: die with the parent (Linux: the kernel sends SIGKILL when the parent
    dies, even by SIGKILL) and leave Ctrl-C to the parent, which stops the workers itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's cleanup still ends them
        pass


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        p.kill()
    for p in processes:
        p.join(1.0)
    pool.shutdown(wait=True, cancel_futures=True)  # the pool sees its workers gone at once


# ---- coalition costs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CoalitionCost:
    members: tuple[str, ...]
    status: str
    has_plan: bool
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float = 0.0

    @property
    def abs_gap(self) -> float:
        """objective - bound (USD); infinite when no bound is proven."""
        if self.objective is None or self.bound is None:
            return math.inf
        return max(0.0, self.objective - self.bound)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "members": list(self.members)}


def solve_coalition(inst: Instance, members: tuple[str, ...], agreements: dict[str, bool],
                    options: SolveOptions) -> CoalitionCost:
    """c(S): the bilateral optimum of the instance restricted to ``members``."""
    from ..pipeline import run_solve

    sub = restrict_holders(inst, members)
    keep = set(members)
    fixed = {k: v for k, v in agreements.items() if set(k.split("|")[:2]) <= keep}
    out = run_solve(sub, "bilateral", options, agreements=fixed)
    st = out.stats
    return CoalitionCost(members, st.status, st.has_plan, st.objective, st.bound, st.gap,
                         st.build_seconds + st.handoff_seconds + st.solve_seconds)


def all_coalitions(players: Sequence[str]) -> list[Coalition]:
    """Every non-empty coalition, smallest first."""
    return [frozenset(c) for r in range(1, len(players) + 1)
            for c in combinations(players, r)]


def sample_orders(players: Sequence[str], n: int, seed: int) -> list[tuple[str, ...]]:
    """n random orders of the players from a seeded generator."""
    rng = np.random.default_rng(seed)
    return [tuple(players[i] for i in rng.permutation(len(players))) for _ in range(n)]


def prefixes(orders: Iterable[Sequence[str]]) -> set[Coalition]:
    """The non-empty coalitions the orders visit (every prefix of every order)."""
    return {frozenset(o[:j]) for o in orders for j in range(1, len(o) + 1)}


# ---- Shapley -----------------------------------------------------------------------------------
def _c(cost: Mapping[Coalition, float], s: Coalition) -> float:
    return 0.0 if not s else float(cost[s])


def _weighted_over_subsets(players: Sequence[str],
                           term: Callable[[str, Coalition], float]) -> dict[str, float]:
    """sum over S not holding i of |S|!(n-|S|-1)!/n! * term(i, S), for every player i."""
    n = len(players)
    out = {}
    for i in players:
        others = [p for p in players if p != i]
        total = 0.0
        for r in range(n):
            w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
            total += w * sum(term(i, frozenset(s)) for s in combinations(others, r))
        out[i] = total
    return out


def shapley_exact(players: Sequence[str], cost: Mapping[Coalition, float]) -> dict[str, float]:
    """phi_i = sum_S |S|!(n-|S|-1)!/n! [c(S u i) - c(S)] over every S not holding i."""
    return _weighted_over_subsets(players, lambda i, s: _c(cost, s | {i}) - _c(cost, s))


def shapley_gap_effect(players: Sequence[str], abs_gap: Mapping[Coalition, float]
                       ) -> dict[str, float]:
    """How far each phi_i can move when every c(S) moves within its solver gap."""
    return _weighted_over_subsets(
        players, lambda i, s: abs_gap[s | {i}] + (abs_gap[s] if s else 0.0))


def shapley_sampled(players: Sequence[str], cost: Mapping[Coalition, float],
                    orders: Sequence[Sequence[str]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean marginal contribution over the orders, and its standard error per holder."""
    contrib = {i: [] for i in players}  # type: dict[str, list[float]]
    for order in orders:
        before: Coalition = frozenset()
        for i in order:
            now = before | {i}
            contrib[i].append(_c(cost, now) - _c(cost, before))
            before = now
    mean = {i: float(np.mean(v)) for i, v in contrib.items()}
    se = {i: float(np.std(v, ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.inf
          for i, v in contrib.items()}
    return mean, se


# ---- core ----------------------------------------------------------------------------------------
@dataclass
class CoreCheck:
    least_core_eps: float  # eps* of the least-core LP (USD); <= tolerance: core not empty
    least_core_split: dict[str, float]
    tolerance: float  # the largest solver gap among the coalitions (USD)
    core_empty: bool
    shapley_max_excess: float  # max_S phi(S) - c(S) over proper coalitions
    shapley_worst: list[str]  # the coalition where it is reached
    shapley_in_core: bool
    coalitions_checked: int
    complete: bool  # every coalition's cost was known

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def sentence(self) -> str:
        worst = "{" + ", ".join(self.shapley_worst) + "}"
        part = "" if self.complete else (f" (checked on the {self.coalitions_checked} "
                                         "coalitions solved, not all)")
        if not math.isfinite(self.tolerance):
            return ("The core cannot be checked: some coalition's cost has no proven bound "
                    f"(least-core eps* {self.least_core_eps:,.0f} USD on the plans found).")
        if self.core_empty:
            return (f"The core is EMPTY{part}: whatever the split, some coalition pays at "
                    f"least {self.least_core_eps:,.0f} USD more than it would alone. The "
                    f"Shapley split charges coalition {worst} {self.shapley_max_excess:,.0f} "
                    "USD more than its stand-alone cost.")
        if self.shapley_in_core:
            margin = (f"{-self.shapley_max_excess:,.0f} USD below it"
                      if -self.shapley_max_excess >= 0.5 else
                      "at it, within the solver gaps")
            return (f"The core is not empty{part} and the Shapley split is in it: every "
                    f"coalition pays at most its stand-alone cost (tightest: {worst}, "
                    f"{margin}).")
        return (f"The core is not empty{part} (least-core margin {-self.least_core_eps:,.0f} "
                f"USD), but the Shapley split is outside it: coalition {worst} would pay "
                f"{self.shapley_max_excess:,.0f} USD more than alone.")


def least_core(players: Sequence[str], cost: Mapping[Coalition, float]
               ) -> tuple[float, dict[str, float]]:
    """eps* and a split of the least-core LP over the coalitions in ``cost`` (HiGHS)."""
    import highspy

    from ..solve.highs import new_highs

    n = len(players)
    grand = frozenset(players)
    idx = {p: j for j, p in enumerate(players)}
    h = new_highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    h.addVars(n + 1, np.full(n + 1, -inf), np.full(n + 1, inf))  # x_1..x_n, eps
    h.changeColCost(n, 1.0)
    for s, c in cost.items():
        cols = [idx[p] for p in s]
        if s == grand:
            h.addRow(float(c), float(c), len(cols), np.array(cols, dtype=np.int32),
                     np.ones(len(cols)))
        else:
            h.addRow(-inf, float(c), len(cols) + 1, np.array([*cols, n], dtype=np.int32),
                     np.array([1.0] * len(cols) + [-1.0]))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"least-core LP: {h.modelStatusToString(h.getModelStatus())}")
    x = list(h.getSolution().col_value)
    return float(x[n]), {p: float(x[idx[p]]) for p in players}


def check_core(players: Sequence[str], cost: Mapping[Coalition, float],
               split: Mapping[str, float], abs_gap: Mapping[Coalition, float]) -> CoreCheck:
    """Least-core eps* and the largest excess of ``split`` over the coalitions in ``cost``."""
    grand = frozenset(players)
    scale = max([1.0, *(abs(float(c)) for c in cost.values())])
    finite = [g for g in abs_gap.values() if math.isfinite(g)]
    tol = max([1e-7 * scale, *finite]) if len(finite) == len(abs_gap) else math.inf
    eps, best = least_core(players, cost) if len(players) > 1 else (-math.inf, dict(split))
    worst, excess = [], -math.inf
    for s, c in cost.items():
        if s == grand:
            continue
        e = sum(split[p] for p in s) - float(c)
        if e > excess:
            worst, excess = sorted(s), e
    if not worst:
        excess = 0.0
    n_all = 2 ** len(players) - 1
    return CoreCheck(least_core_eps=eps, least_core_split=best, tolerance=tol,
                     core_empty=eps > tol, shapley_max_excess=excess, shapley_worst=worst,
                     shapley_in_core=excess <= tol and math.isfinite(tol),
                     coalitions_checked=len(cost), complete=len(cost) == n_all)
