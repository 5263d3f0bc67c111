"""Hand a Pyomo model to HiGHS and read the answer back.

Two hand-offs are offered (``interface``):

- ``"standard_form"`` (default): Pyomo's ``LinearStandardFormCompiler`` turns the model into
  sparse arrays in one pass, which go to ``highspy.Highs.passModel``. Measured the fastest
  Pyomo path here (see benchmarks/handoff.py and docs/solver.md).
- ``"appsi"``: Pyomo's persistent ``appsi_highs`` interface, kept to measure against.

Either way the values are written back into the Pyomo variables, so extraction reads one
model whatever the path.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np

from .options import INTERFACES, SolveOptions
from .result import SolveStats, Status

if TYPE_CHECKING:  # Pyomo is imported by the functions that take a Pyomo model, so that
    import pyomo.environ as pyo  # the array path (--interface arrays, benders) runs without it

__all__ = ["INTERFACES", "SolveOptions", "new_highs", "run_lp", "solve"]


def new_highs() -> highspy.Highs:
    """A Highs object, without the banner its constructor prints to standard output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def _relative_gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None or not (math.isfinite(obj) and math.isfinite(bound)):
        return None
    return abs(obj - bound) / max(abs(obj), 1e-10)


class _Progress:
    """Prints elapsed time, incumbent, bound and gap to stderr every few seconds."""

    def __init__(self, enabled: bool, first_after: float = 3.0, every: float = 5.0) -> None:
        self.enabled, self.first_after, self.every = enabled, first_after, every
        self.primal: float | None = None
        self.dual: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def on_mip_event(self, event: Any) -> None:
        out = event.data_out
        if math.isfinite(out.mip_primal_bound) and abs(out.mip_primal_bound) < 1e300:
            self.primal = float(out.mip_primal_bound)
        if math.isfinite(out.mip_dual_bound) and abs(out.mip_dual_bound) < 1e300:
            self.dual = float(out.mip_dual_bound)

    def _run(self) -> None:
        if self._stop.wait(self.first_after):
            return
        while True:
            elapsed = time.perf_counter() - self._t0
            msg = f"[stockpile] solving with HiGHS: {elapsed:6.0f} s"
            if self.primal is not None:
                msg += f", best plan {self.primal:,.0f} USD"
            if self.dual is not None:
                msg += f", bound {self.dual:,.0f} USD"
            gap = _relative_gap(self.primal, self.dual)
            if gap is not None:
                msg += f", gap {gap:.3%}"
            print(msg, file=sys.stderr, flush=True)
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> _Progress:
        self._t0 = time.perf_counter()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class _Watchdog:
    """Stops HiGHS shortly after the time limit where HiGHS's own check comes late.

    HiGHS checks ``time_limit`` only at some points, and some phases of a large MIP go long
    without one (HiGHS issues 885 and 1278). With a time limit set, this asks HiGHS to stop
    (``cancelSolve``, seen at every simplex, IPM and MIP interrupt check) once
    ``GRACE_FACTOR * limit + GRACE_SECONDS`` have passed; ``fired`` says whether it did, so
    the status is reported as the time limit, with the best plan and its gap. A mitigation,
    not a fix: HiGHS sees the request only at those checks (a 2.2-million-variable instance
    still ran 983 s under a 600 s limit, docs/solver.md)."""

    GRACE_FACTOR, GRACE_SECONDS = 1.02, 5.0

    def __init__(self, h: highspy.Highs, time_limit: float | None) -> None:
        self.h, self.fired = h, False
        self._timer: threading.Timer | None = None
        if time_limit is not None:
            self.h.HandleUserInterrupt = True
            self._timer = threading.Timer(self.GRACE_FACTOR * time_limit + self.GRACE_SECONDS,
                                          self._fire)
            self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        self.h.cancelSolve()

    def __enter__(self) -> _Watchdog:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


def solve(model: pyo.ConcreteModel, options: SolveOptions | None = None,
          build_seconds: float = 0.0) -> SolveStats:
    """Solve ``model`` with HiGHS; return what was proven and load the plan into the model."""
    options = options or SolveOptions()
    if options.interface == "standard_form":
        stats = _solve_standard_form(model, options)
    elif options.interface == "appsi":
        stats = _solve_appsi(model, options)
    else:
        raise ValueError(f"interface {options.interface!r}: must be one of {INTERFACES}")
    stats.build_seconds = build_seconds
    stats.options = options.as_dict()
    stats.interface = options.interface
    return stats


def compile_lp(model: pyo.ConcreteModel) -> tuple[highspy.HighsLp, Any, np.ndarray]:
    """The model in HiGHS's form: (HighsLp, Pyomo's standard-form representation, which
    columns are integer). Columns follow ``repn.columns``, rows ``repn.rows``."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    from ..model.build import no_cyclic_gc

    with no_cyclic_gc():
        repn = LinearStandardFormCompiler().write(model, mixed_form=True)
    cols = repn.columns
    n = len(cols)
    lower = np.array([-highspy.kHighsInf if v.lb is None else v.lb for v in cols], dtype=float)
    upper = np.array([highspy.kHighsInf if v.ub is None else v.ub for v in cols], dtype=float)
    integer = np.array([v.is_integer() or v.is_binary() for v in cols], dtype=bool)
    sense = np.array([s for _, s in repn.rows], dtype=int)
    rhs = np.asarray(repn.rhs, dtype=float)
    row_lo = np.where(sense >= 0, -highspy.kHighsInf, rhs)  # <= or ==
    row_hi = np.where(sense <= 0, highspy.kHighsInf, rhs)  # >= or ==
    row_lo = np.where(sense == 0, rhs, row_lo)
    row_hi = np.where(sense == 0, rhs, row_hi)
    c = np.asarray(repn.c.toarray()).ravel() if repn.c.shape[0] else np.zeros(n)
    lp = highs_lp(c, float(repn.c_offset[0]) if len(repn.c_offset) else 0.0, lower, upper,
                  row_lo, row_hi, repn.A.tocsc(), integer)
    return lp, repn, integer


def _solve_standard_form(model: pyo.ConcreteModel, options: SolveOptions) -> SolveStats:
    import pyomo.environ as pyo

    t0 = time.perf_counter()
    lp, repn, integer = compile_lp(model)
    cols = repn.columns
    n, nrow = len(cols), repn.A.shape[0]
    A = repn.A
    start = _start_columns(cols, getattr(model, "mip_start", None)) if options.warm_start \
        else None
    h, stats, handoff, solve_s = run_lp(lp, integer, options, start, t0)
    stats.handoff_seconds, stats.solve_seconds = handoff, solve_s
    stats.n_variables, stats.n_integer = n, int(integer.sum())
    stats.n_constraints, stats.n_nonzeros = nrow, int(A.nnz)
    if stats.has_plan:
        x = np.asarray(h.getSolution().col_value)
        x = np.where(integer, np.round(x), x)
        for var, val in zip(cols, x.tolist()):
            var.set_value(val, skip_validation=True)
        for var, expr in repn.eliminated_vars:
            var.set_value(pyo.value(expr), skip_validation=True)
    return stats


def run_lp(lp: highspy.HighsLp, integer: np.ndarray, options: SolveOptions,
           start: tuple[np.ndarray, np.ndarray] | None = None, t0: float | None = None
           ) -> tuple[highspy.Highs, SolveStats, float, float]:
    """Pass ``lp`` to a new HiGHS with ``options``, give it the partial MIP start ``start``
    (column indices, values), run it with the progress lines and the time-limit watchdog,
    and read what it proved. Returns (HiGHS, stats, hand-off seconds counted from ``t0``,
    solve seconds). Both the Pyomo path and the array yardstick (model/arrays.py) use it,
    so they hand HiGHS the same things."""
    t0 = time.perf_counter() if t0 is None else t0
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.log))
    _set_options(h, options)
    h.passModel(lp)
    if start is not None and len(start[0]) and integer.any():
        h.setSolution(len(start[0]), start[0], start[1])
    handoff = time.perf_counter() - t0

    progress = _Progress(options.progress)
    if integer.any() and options.progress:
        h.cbMipInterrupt.subscribe(progress.on_mip_event)
    t1 = time.perf_counter()
    with progress, _Watchdog(h, options.time_limit) as watchdog:
        run_interruptible(h)
    solve_s = time.perf_counter() - t1
    if lp.num_col_ == 0:
        # nothing left to decide (e.g. a scenario with every first-stage variable fixed and no
        # deficit): HiGHS calls this model 'empty'; its optimum is the constant.
        stats = SolveStats(status="optimal", has_plan=True, objective=lp.offset_,
                           bound=lp.offset_, gap=0.0, message="nothing to decide",
                           solver_version=_version(h))
    else:
        stats = _read_status(h, is_mip=bool(integer.any()))
        if watchdog.fired and stats.status == "interrupted":
            stats.status = "time_limit"
            stats.message = (f"stopped {solve_s - (options.time_limit or 0):.0f} s after the "
                             "time limit by stockpile's watchdog (HiGHS's own check came late)"
                             + (" with a plan" if stats.has_plan else " before any plan"))
    return h, stats, handoff, solve_s


STOP_GRACE = 0.5
"""Seconds an interrupted run waits for HiGHS to stop before the exception goes on (the
process then exits without it: SIGINT/SIGTERM end a command within 2 s). HiGHS 1.16 does
not look at the interrupt during a MIP's root LP (cancelSolve went unanswered for 10 s on a
40-scenario synthetic instance), so the grace is mostly waited in full; at 1.5 s, the exit
took 2.07 and 2.45 s under load (issue 21), at 0.5 s it leaves a second for the rest."""


def run_interruptible(h: highspy.Highs) -> None:
    """``h.run()`` in HiGHS's solver thread while this thread waits in short, interruptible
    steps. A signal (or any exception) here asks HiGHS to stop (``cancelSolve``, seen at its
    interrupt checks), waits at most :data:`STOP_GRACE` seconds, and is raised again: Ctrl-C
    no longer waits for the solve to end, nor turns into a "solve error"."""
    h.HandleUserInterrupt = True
    thread = h.startSolve()
    try:
        while not h.wait(0.1)[0]:
            pass
    except BaseException:
        h.cancelSolve()
        thread.join(STOP_GRACE)
        raise


def highs_lp(c: np.ndarray, offset: float, col_lo: np.ndarray, col_hi: np.ndarray,
             row_lo: np.ndarray, row_hi: np.ndarray, A_csc: Any, integer: np.ndarray
             ) -> highspy.HighsLp:
    """A HighsLp from arrays (A column-wise, scipy CSC): min c'x + offset, row_lo <= Ax <=
    row_hi, col_lo <= x <= col_hi, integer where ``integer``; infinities as HiGHS's."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A_csc.shape[1], A_csc.shape[0]
    lp.col_cost_ = c
    lp.col_lower_, lp.col_upper_ = col_lo, np.minimum(col_hi, highspy.kHighsInf)
    lp.row_lower_ = np.maximum(row_lo, -highspy.kHighsInf)
    lp.row_upper_ = np.minimum(row_hi, highspy.kHighsInf)
    lp.offset_ = float(offset)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A_csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A_csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = A_csc.data.astype(float)
    if integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
    return lp


def _start_columns(cols: list[Any], start: list[tuple[Any, float]] | None
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """The model's MIP start as (column indices, values). HiGHS completes a partial start by
    solving the model with those columns fixed (a few nodes at most, option
    ``mip_max_start_nodes``) and keeps it as the first incumbent if feasible; an infeasible
    start is dropped. Variables not among the columns (fixed, eliminated) are skipped."""
    if not start:
        return None
    where = {id(v): j for j, v in enumerate(cols)}
    pairs = [(where[id(v)], float(val)) for v, val in start if id(v) in where]
    if not pairs:
        return None
    idx, val = zip(*pairs)
    return np.array(idx, dtype=np.int32), np.array(val, dtype=float)


def _set_options(h: highspy.Highs, options: SolveOptions) -> None:
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    h.setOptionValue("mip_lp_solver", options.mip_lp_solver)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    for key, value in options.highs_options.items():
        if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise ValueError(f"HiGHS option {key}={value!r}: rejected by HiGHS")


def _version(h: highspy.Highs) -> str:
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _read_status(h: highspy.Highs, is_mip: bool) -> SolveStats:
    ms = h.getModelStatus()
    info = h.getInfo()
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    obj = float(info.objective_function_value) if has_plan else None
    if is_mip:
        bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    else:
        bound = obj if ms == highspy.HighsModelStatus.kOptimal else None
    gap = _relative_gap(obj, bound)
    S = highspy.HighsModelStatus
    version = _version(h)
    status: Status
    if ms == S.kOptimal:
        status, msg = "optimal", "HiGHS proved the plan optimal within the gap tolerance"
    elif ms in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kInterrupt):
        stopped: dict[Any, Status] = {S.kInterrupt: "interrupted", S.kTimeLimit: "time_limit"}
        status = stopped.get(ms, "limit")
        msg = f"HiGHS stopped ({h.modelStatusToString(ms)})" + (
            " with a plan" if has_plan else " before finding any plan")
    elif ms in (S.kInfeasible,):
        status, msg = "infeasible", "HiGHS proved the model infeasible"
    elif ms in (S.kUnbounded, S.kUnboundedOrInfeasible):
        status, msg = "unbounded", f"HiGHS: {h.modelStatusToString(ms)}"
    else:
        status, msg = "error", f"HiGHS: {h.modelStatusToString(ms)}"
    return SolveStats(status=status, has_plan=has_plan and status in (
                          "optimal", "time_limit", "limit", "interrupted"),
                      objective=obj, bound=bound, gap=gap, message=msg,
                      solver_version=version)


def _solve_appsi(model: pyo.ConcreteModel, options: SolveOptions) -> SolveStats:
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.base import TerminationCondition as TC
    from pyomo.contrib.appsi.solvers.highs import Highs as AppsiHighs

    opt = AppsiHighs()
    opt.config.stream_solver = bool(options.log)
    opt.config.load_solution = False
    if options.time_limit is not None:
        opt.config.time_limit = options.time_limit
    opt.config.mip_gap = options.mip_gap
    if options.threads is not None:
        opt.highs_options = {"threads": int(options.threads)}
    t0 = time.perf_counter()
    opt.set_instance(model)
    handoff = time.perf_counter() - t0
    t1 = time.perf_counter()
    res = opt.solve(model)
    solve_s = time.perf_counter() - t1
    tc = res.termination_condition
    obj = res.best_feasible_objective
    has_plan = obj is not None and math.isfinite(obj)
    bound = res.best_objective_bound
    bound = float(bound) if bound is not None and math.isfinite(bound) else None
    status = {TC.optimal: "optimal", TC.maxTimeLimit: "time_limit",
              TC.infeasible: "infeasible", TC.unbounded: "unbounded",
              TC.infeasibleOrUnbounded: "unbounded", TC.interrupted: "interrupted"}.get(tc, "error")
    if has_plan:
        res.solution_loader.load_vars()
    version = ".".join(str(p) for p in opt.version())
    variables = list(model.component_data_objects(pyo.Var, active=True, descend_into=True))
    n_rows = sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True))
    return SolveStats(n_variables=len(variables), n_constraints=n_rows,
                      n_integer=sum(1 for v in variables if v.is_integer() or v.is_binary()),
                      status=status, has_plan=has_plan,  # type: ignore[arg-type]
                      objective=float(obj) if has_plan else None, bound=bound,
                      gap=_relative_gap(float(obj) if has_plan else None, bound),
                      message=f"appsi_highs: {tc}", solver_version=version,
                      handoff_seconds=handoff, solve_seconds=solve_s)
