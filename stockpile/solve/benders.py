"""L-shaped (Benders) decomposition over MPI: a MILP master in HiGHS, one LP per scenario
bundle, multi-cut, and a proven gap at every iteration (docs/decomposition.md).

The extensive form (model/arrays.py builds it as arrays) has the L-shaped structure

    min  c'x + sum_b Q_b(x)       x: the first stage (lots, programmes, agreements,
    s.t. x in X                      facilities, storage), integer where the model says so
    Q_b(x) = min { q_b'y : lo_b - T_b x <= W_b y <= hi_b - T_b x, y in [l_b, u_b] }

where a bundle b is a set of scenarios and Q_b the probability-weighted second-stage cost of
its scenarios (the scenario costs carry pi_s, so sum_b Q_b is the expected second-stage
cost). The first-stage rows and columns come first in build_arrays's order, so a bundle's
second stage is the rows after the first-stage ones, split at the first-stage columns.

**Complete recourse.** For any first stage x, y = (release 0, shipments 0, conversions 0,
unmet demand u_q = phi_q D) is feasible: the tier bounds phi_hkq mu d L sum over q to
mu d L >= the deficit D (shares sum to 1, tested at load), so constraint 6 holds; the stock
(5), sharing (8) and conversion (9) rows hold at zero. So Q_b is finite for every x, no
feasibility cuts are needed, and as Q_b is an LP value it is convex piecewise linear in x:
with row duals lambda at x^, Q_b(x) >= Q_b(x^) - lambda'T_b (x - x^) is exact at x^ and
valid everywhere (an optimality cut). The costs are non-negative, so theta_b >= 0 is valid.

**Block cuts** (blocks.py, the default): given x, each bundle's second stage splits into
independent blocks, found from its matrix (one per material with agreements and one per
material and holder otherwise, on the default data). Each block k has its own value
Q_bk(x), sum_k Q_bk = Q_b, and its own cut; the blocks of all bundles are numbered in
common, and the master holds one theta per common block (and group of bundles,
``cut_groups``): sum_b Q_bk(x) >= sum_b [Q_bk(x^) + g_bk'(x - x^)]. ``cuts="bundle"`` is the
engine before: one aggregated cut per bundle.

**The loop** (rank 0 runs the master; every rank solves its bundles):

1. master: min c'x + sum_j theta_j s.t. x in X and every cut so far; first with the
   integrality relaxed (cheap LP iterations that build the cuts), then as a MILP in HiGHS
   solved to a quarter of the requested gap. Its proven bound is a lower bound of the
   extensive form's optimum (the cuts under-estimate every Q_b).
2. x^ goes to every rank (broadcast); each solves its bundles' LPs (one HiGHS per bundle,
   only the right-hand sides change, warm-started dual simplex) and returns Q_b(x^) and the
   cut's slope; rank 0 gathers them.
3. upper bound: c'x^ + sum_b Q_b(x^) for an integer x^ is the exact expected cost of a plan.
4. stop when (upper - lower) / upper <= the requested gap, at the time limit or at the
   iteration limit; the report's plan is the best x^ seen.

**The report** needs no extensive form: every rank solves its bundles once more at the best
plan and sends the non-zero second-stage values (with their scenario, period, holder ...
indices) to rank 0, which reads them with the same :func:`stockpile.extract.extract` as the
extensive form.

Parallelism is plain mpi4py collectives (bcast, gather) over ``MPI.COMM_WORLD``; one
process needs no MPI at all.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import highspy
import numpy as np

from ..model.arrays import build_arrays
from ..model.data import ModelData
from .blocks import block_columns, block_values, common_blocks, find_blocks
from .highs import _version, highs_lp, new_highs
from .master import Master
from .readback import (
    FIRST_STAGE,
    SECOND_STAGE,
    model_keys,
    plan_values,
    second_stage_values,
)


@dataclass
class BendersOptions:
    gap: float = 1e-2  # requested relative gap between the bounds
    time_limit: float | None = None  # seconds, the whole loop
    bundle_size: int | None = None  # scenarios per bundle LP; default BLOCK_BUNDLE (block
    # cuts) or about 100 bundles (bundle cuts)
    max_iterations: int = 1000
    lp_iterations: int = 200  # at most this many iterations with the master relaxed
    cuts: str = "block"  # "block": one cut per independent block (and group of bundles);
    # "bundle": one per bundle (the engine before issue 22, kept to measure against)
    in_out: float = 0.5  # relaxed master: subproblems at in_out core + (1 - in_out) x; 0: off
    cut_groups: int = 1  # block cuts: the bundles split into this many groups, each with its
    # own cost-to-go variable per block
    verbose: bool = False  # one line per iteration on standard error
    highs_options: dict[str, Any] = field(default_factory=dict)  # for the subproblem LPs

    def as_dict(self) -> dict[str, Any]:
        return {"requested_gap": self.gap, "time_limit": self.time_limit,
                "bundle_size": self.bundle_size, "max_iterations": self.max_iterations,
                "lp_iterations": self.lp_iterations, "cuts": self.cuts,
                "cut_groups": self.cut_groups, "in_out": self.in_out, **self.highs_options}


@dataclass
class BendersResult:
    x: np.ndarray | None  # first-stage column values of the best plan
    upper: float  # its expected cost (inf without a plan)
    lower: float  # the proven lower bound
    iterations: int
    seconds: float
    stop: str  # "gap", "time_limit", "iterations"
    ranks: int
    bundles: int
    history: list[tuple[float, float, float]]  # (seconds, lower, upper) per iteration
    timing: dict[str, float]  # master, subproblems, communication seconds (rank 0)
    peak_rss_mb: list[float]  # per rank
    model: Any = None  # rank 0: the plan's values, read by extract()
    version: str = ""

    @property
    def gap(self) -> float:
        return relative_gap(self.upper, self.lower)


def relative_gap(upper: float, lower: float) -> float:
    if not (math.isfinite(upper) and math.isfinite(lower)):
        return math.inf
    return max(0.0, upper - lower) / max(abs(upper), 1e-10)


class SerialComm:
    """The two collectives the loop uses, for one process without MPI."""

    def Get_rank(self) -> int:
        return 0

    def Get_size(self) -> int:
        return 1

    def bcast(self, obj: Any, root: int = 0) -> Any:
        return obj

    def gather(self, obj: Any, root: int = 0) -> list[Any]:
        return [obj]


def world_comm() -> Any:
    """``MPI.COMM_WORLD`` when started by mpiexec with more than one rank, else one process."""
    launched = any(os.environ.get(k) for k in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"))
    if not launched:
        return SerialComm()
    os.environ.setdefault("OMPI_MCA_osc", "^ucx")  # as solve/ph.py: no UCX self-test noise
    from mpi4py import MPI

    return MPI.COMM_WORLD if MPI.COMM_WORLD.Get_size() > 1 else SerialComm()


def share(comm: Any, x: np.ndarray | None, n: int) -> np.ndarray | None:
    """Rank 0's ``x`` (n values, or None) on every rank. The other ranks wait in a
    non-blocking broadcast tested every millisecond rather than in MPI's busy-polling one, so
    that while rank 0 solves the serial master they leave it the core."""
    if comm.Get_size() == 1:
        return x
    buf = np.zeros(n + 1)
    if comm.Get_rank() == 0 and x is not None:
        buf[0], buf[1:] = 1.0, x
    req = comm.Ibcast(buf, root=0)
    while not req.Test():
        time.sleep(0.001)
    return buf[1:].copy() if buf[0] == 1.0 else None


BLOCK_BUNDLE = 250
"""Scenarios per bundle LP with block cuts: at 10,000 library scenarios one pass over the
bundles took 0.7-0.8 CPU s with 100 or 250 per bundle, 1.0-1.6 with 1,000 and 1.3-1.5 with
2,500 (a larger LP re-solves slower per scenario); how many cuts the master gets is set by
``cut_groups``, not by the bundles. Fewer where the ranks would otherwise not all get one."""


def bundles_of(n_scenarios: int, bundle_size: int | None) -> list[np.ndarray]:
    """Consecutive scenarios per bundle; default about 100 bundles (at least 1 scenario)."""
    size = bundle_size or max(1, math.ceil(n_scenarios / 100))
    return [np.arange(i, min(i + size, n_scenarios)) for i in range(0, n_scenarios, size)]


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


class Bundle:
    """The second stage of some scenarios as one LP whose right-hand side moves with x."""

    def __init__(self, data: ModelData, scenarios: np.ndarray, n_cols: int, n_rows: int,
                 highs_options: dict[str, Any], by_block: bool = False) -> None:
        self.scenarios = scenarios
        arr = build_arrays(data.with_scenarios(list(scenarios)))
        A = arr.A.tocsr()
        if A[:n_rows, n_cols:].nnz:
            raise AssertionError("build_arrays: a first-stage row reads a second-stage column")
        lower = A[n_rows:]
        self.T = lower[:, :n_cols].tocsr()
        self.lo, self.hi = arr.row_lo[n_rows:], arr.row_hi[n_rows:]
        self.keys = {b: arr.keys[b] for b in SECOND_STAGE}
        self.blocks = {b: (arr.blocks[b][0] - n_cols, arr.blocks[b][1] - n_cols)
                       for b in SECOND_STAGE}
        self.h = new_highs()
        self.h.setOptionValue("output_flag", False)
        for key, value in highs_options.items():
            self.h.setOptionValue(key, value)
        self.n = int(lower.shape[0])
        W = lower[:, n_cols:].tocsc()
        self.q = arr.c[n_cols:]
        self.h.passModel(highs_lp(self.q, 0.0, arr.col_lo[n_cols:], arr.col_hi[n_cols:],
                                  self.lo, self.hi, W, np.zeros(arr.n_vars - n_cols, bool)))
        self.rows = np.arange(self.n, dtype=np.int32)
        self.split = find_blocks(W, self.T) if by_block else None

    def block_columns(self) -> list[np.ndarray]:
        """The first-stage columns each of ``solve_cuts``'s values reads."""
        if self.split is None or self.split.count == 0 or self.n == 0:
            return [np.unique(self.T.indices)]
        return block_columns(self.split, self.T)

    def solve(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Q_b(x) and its slope -T'lambda (lambda: the row duals)."""
        if self.n == 0:
            return 0.0, np.zeros(self.T.shape[1])
        q, dual = self._run(x)
        return q, -(self.T.T @ dual)

    def solve_cuts(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per entry of ``block_columns``: the block's value at x and its
        slope; one per block (blocks.py), or the bundle's whole Q_b(x)."""
        if self.n == 0 or self.split is None or self.split.count == 0:
            q, slope = self.solve(x)
            return np.array([q]), slope[None, :]
        self._run(x)
        sol = self.h.getSolution()
        return block_values(self.split, self.q, np.asarray(sol.col_value),
                            np.asarray(sol.row_dual), self.T)

    def _run(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Solve at x: (Q_b(x), the row duals)."""
        tx = self.T @ x
        self.h.changeRowsBounds(  # type: ignore[attr-defined]  # in highspy, not in its stubs
            self.n, self.rows, np.maximum(self.lo - tx, -highspy.kHighsInf),
            np.minimum(self.hi - tx, highspy.kHighsInf))
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"a second-stage LP of scenarios {self.scenarios[0]}.."
                               f"{self.scenarios[-1]} ended {self.h.modelStatusToString(status)}"
                               " although the recourse is complete")
        q = float(self.h.getInfo().objective_function_value)
        return q, np.asarray(self.h.getSolution().row_dual)

    def values(self) -> dict[str, tuple[tuple[np.ndarray, ...], np.ndarray]]:
        """The last solve's non-zero second-stage values per block, scenario indices global."""
        if self.n == 0:
            return {}
        return second_stage_values(self.keys, self.blocks,
                                   np.asarray(self.h.getSolution().col_value), self.scenarios)


class _Loop:
    """The state of the L-shaped loop on one rank (rank 0 holds the master and the bounds)."""

    def __init__(self, data: ModelData, options: BendersOptions, comm: Any) -> None:
        self.t0 = time.perf_counter()
        self.options, self.comm = options, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.first = first = build_arrays(data.with_scenarios([]))
        self.n_cols = first.n_vars
        if self.n_cols != first.blocks["store"][1]:
            raise AssertionError("build_arrays: the first-stage columns are not the first ones")
        n_scen = len(data.scenarios)
        self.groups = bundles_of(n_scen, options.bundle_size or (
            min(BLOCK_BUNDLE, max(1, math.ceil(n_scen / self.size)))
            if options.cuts == "block" else None))
        self.mine = list(range(self.rank, len(self.groups), self.size))
        if options.cuts not in ("block", "bundle"):
            raise ValueError(f"cuts {options.cuts!r}: must be 'block' or 'bundle'")
        self.bundles = {b: Bundle(data, self.groups[b], self.n_cols, first.n_rows,
                                  options.highs_options, options.cuts == "block")
                        for b in self.mine}
        # rank 0: which cost-to-go variable of the master each bundle's block goes to
        self.theta_of, self.n_theta = self._cost_to_go(
            comm.gather({b: bundle.block_columns() for b, bundle in self.bundles.items()}, 0))
        self.master = Master(first, self.n_theta, options.gap / 4) if self.rank == 0 else None
        self.history: list[tuple[float, float, float]] = []
        self.timing = {"setup": time.perf_counter() - self.t0, "master": 0.0,
                       "subproblems": 0.0, "communication": 0.0}
        self.best_x: np.ndarray | None = None
        self.upper, self.lower, self.lp_upper = math.inf, -math.inf, math.inf
        self.best_q = np.zeros(self.n_theta)
        self.theta: np.ndarray | None = None  # the master's cost-to-go values at its last x
        self.core: np.ndarray | None = None  # in-out stabilisation of the relaxed master
        self.alpha, self.stalled = options.in_out, 0
        self.stop = "iterations"
        if self.master is not None:
            self.master.relax(bool(first.integer.any()))

    def _cost_to_go(self, gathered: list[dict[int, list[np.ndarray]]] | None
                    ) -> tuple[dict[int, np.ndarray], int]:
        """Rank 0: per bundle, the master's cost-to-go variable of each of its blocks, and
        their number. Block cuts: the bundles' blocks numbered in common (blocks.py), one
        variable per common block and group of bundles (``cut_groups``); bundle cuts: one
        per bundle."""
        if not gathered:
            return {}, 0
        columns: dict[int, list[np.ndarray]] = {}
        for part in gathered:
            columns.update(part)
        n_bundles = len(self.groups)
        if self.options.cuts == "bundle":
            return {b: np.array([b]) for b in columns}, n_bundles
        common, count = common_blocks([columns[b] for b in range(n_bundles)], self.n_cols)
        groups = max(1, min(self.options.cut_groups, n_bundles))
        return ({b: (b * groups // n_bundles) * count + common[b] for b in range(n_bundles)},
                groups * count)

    def master_step(self) -> tuple[np.ndarray | None, bool]:
        """Rank 0: the master's next first stage (None once stopped) and whether it is exact."""
        master, options = self.master, self.options
        if master is None or self.stop != "iterations":
            return None, False
        t = time.perf_counter()
        left = None if options.time_limit is None else options.time_limit - (t - self.t0)
        # the master's MILP gap follows the loop's: loose while the bounds are far apart
        # (cheap first plans), half the requested gap at the end
        master_gap = max(options.gap / 2, min(0.05, relative_gap(self.upper, self.lower) / 4))
        start = None if self.best_x is None else (self.best_x, self.best_q)
        enough = self.upper - options.gap * abs(self.upper) if math.isfinite(self.upper) \
            else math.inf
        x, self.theta, bound, exact = master.solve(left, master_gap, start, enough)
        self.stalled = self.stalled + 1 if bound <= self.lower + 1e-7 * abs(bound) else 0
        self.lower = max(self.lower, bound)  # the relaxed master's optimum is a bound too
        if master.relaxed and self.stalled >= 3:
            self.alpha = 0.0  # the stabilised points no longer move the bound: plain cuts
        if master.relaxed and self.alpha > 0:
            x = self._in_out(x)
        self.timing["master"] += time.perf_counter() - t
        return x, exact

    def _in_out(self, x: np.ndarray) -> np.ndarray:
        """In-out stabilisation of the relaxed master (Ben-Ameur and Neto 2007): the
        subproblems are solved at alpha core + (1 - alpha) x, between the master's point x
        and the last such point, which becomes the new core. The point is feasible for the
        relaxed first stage (a convex combination of its points), its cuts are valid
        everywhere and its value bounds the relaxed problem from above; the master's bound
        is unchanged. The master's theta is not the cut model's value there, so every cut
        is added (``theta`` None)."""
        if self.core is not None:
            x = self.alpha * self.core + (1.0 - self.alpha) * x
        self.core, self.theta = x.copy(), None
        return x

    def timed(self, key: str, fn: Any, *args: Any) -> Any:
        t = time.perf_counter()
        out = fn(*args)
        self.timing[key] += time.perf_counter() - t
        return out

    def update(self, it: int, x: np.ndarray, exact: bool, gathered: list[Any]) -> None:
        """Rank 0: the bounds, the cuts and the stopping test after one round of bundles."""
        master, options, first = self.master, self.options, self.first
        if master is None:
            raise RuntimeError("only rank 0 holds the master")
        q, slopes = np.zeros(self.n_theta), np.zeros((self.n_theta, self.n_cols))
        # in bundle order, whichever rank solved each: a block's cost-to-go sums the same
        # floats in the same order on any number of ranks, so the loop takes the same path
        for b, values, grads in sorted((p for g in gathered for p in g), key=lambda p: p[0]):
            np.add.at(q, self.theta_of[b], values)
            np.add.at(slopes, self.theta_of[b], grads)
        value = float(first.c @ x + first.offset + q.sum())
        if exact and value < self.upper:
            self.best_x, self.best_q, self.upper = x.copy(), q.copy(), value
        elif not exact:
            self.lp_upper = min(self.lp_upper, value)
        master.add_cuts(q, slopes, x, self.theta)
        if master.relaxed and (relative_gap(self.lp_upper, self.lower) <= options.gap / 10
                               or it >= options.lp_iterations):
            master.relax(False)  # cuts enough from the LP: the master becomes the MILP
        elapsed = time.perf_counter() - self.t0
        self.history.append((elapsed, self.lower, self.upper))
        gap = relative_gap(self.upper, self.lower)
        if options.verbose:
            import sys

            print(f"[benders] it {it:4d} {elapsed:8.1f} s  lower {self.lower:,.0f}  upper "
                  f"{self.upper:,.0f}  gap {gap:.4%}  master {self.timing['master']:.1f} s"
                  f"{'  (LP master)' if not exact else ''}", file=sys.stderr, flush=True)
        if gap <= options.gap:
            self.stop = "gap"
        elif options.time_limit is not None and elapsed >= options.time_limit:
            self.stop = "time_limit"

    def solve_mine(self, x: np.ndarray) -> list[tuple[Any, ...]]:
        """(bundle, values, slopes) of this rank's bundles' cost-to-go variables at x."""
        return [(b, *self.bundles[b].solve_cuts(x)) for b in self.mine]

    def run(self) -> int:
        """Iterate until rank 0 stops; the number of iterations."""
        it = 0
        for it in range(1, self.options.max_iterations + 1):
            x, exact = self.master_step()
            x = self.timed("communication", share, self.comm, x, self.n_cols)
            if x is None:  # rank 0 has stopped
                break
            local = self.timed("subproblems", self.solve_mine, x)
            gathered = self.timed("communication", self.comm.gather, local, 0)
            if self.master is not None:
                self.update(it, x, exact, gathered)
        return it

    def result(self, data: ModelData, it: int) -> BendersResult:
        """The plan's second stage, from the bundles, gathered by rank 0."""
        comm = self.comm
        best_x = share(comm, self.best_x, self.n_cols)
        values: dict[str, list[Any]] = {}
        if best_x is not None:
            for b in self.mine:
                self.bundles[b].solve(best_x)
                for blk, kv in self.bundles[b].values().items():
                    values.setdefault(blk, []).append(kv)
        gathered_values = comm.gather(values, root=0)
        rss = comm.gather(peak_rss_mb(), root=0)
        common = (self.upper, self.lower, it, time.perf_counter() - self.t0, self.stop,
                  self.size, len(self.groups), self.history, self.timing)
        if self.rank != 0:
            return BendersResult(None, *common, [])
        model = None
        if best_x is not None:
            model = plan_values(data, self.first, best_x, gathered_values)
        return BendersResult(best_x, *common, list(rss), model,
                             _version(self.master.h) if self.master else "")


def decompose(data: ModelData, options: BendersOptions, comm: Any) -> BendersResult:
    """Run the L-shaped loop on every rank of ``comm``; rank 0's result carries the plan."""
    loop = _Loop(data, options, comm)
    return loop.result(data, loop.run())


def evaluate_plan(data: ModelData, first_stage: dict[str, dict[Any, float]],
                  bundle_size: int | None = None) -> tuple[float, SimpleNamespace]:
    """The expected cost of a given first stage and its variables for extract(), from the
    scenario bundles' LPs (no extensive form). ``first_stage``: {block: {Pyomo key: value}}
    for every first-stage block (the storage assignment included, feasible for the lots)."""
    first = build_arrays(data.with_scenarios([]))
    names = model_keys(data)
    x = np.zeros(first.n_vars)
    for b in FIRST_STAGE:
        start, stop = first.blocks[b]
        for i in range(stop - start):
            key = names[b](*(int(k[i]) for k in first.keys[b]))
            x[start + i] = first_stage[b].get(key, 0.0)
    total = float(first.c @ x + first.offset)
    values: dict[str, list[Any]] = {}
    for group in bundles_of(len(data.scenarios), bundle_size):
        bundle = Bundle(data, group, first.n_vars, first.n_rows, {})
        total += bundle.solve(x)[0]
        for blk, kv in bundle.values().items():
            values.setdefault(blk, []).append(kv)
    return total, plan_values(data, first, x, [values])
