"""The extensive form from arrays straight into HiGHS, read back without Pyomo
(``--interface arrays``).

:func:`stockpile.model.arrays.build_arrays` writes the same columns, rows and optimum as the
Pyomo model (tests/test_arrays.py, on every shipped instance and mode); the solution is put
in the Pyomo variables' keys (:func:`stockpile.solve.readback.plan_values`) and read by the
same :func:`stockpile.extract.extract`. No Pyomo import, no standard-form compile: on the
default instance that is most of the command's fixed overhead (docs/solver.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from ..model.arrays import LinearArrays, build_arrays
from ..model.data import ModelData, agreement_key
from .highs import highs_lp, run_lp
from .options import SolveOptions
from .readback import plan_values, second_stage_values
from .result import SolveStats


def solve_direct(data: ModelData, options: SolveOptions,
                 agreements: dict[str, bool] | None = None
                 ) -> tuple[SolveStats, SimpleNamespace | None]:
    """Build, solve, and read back the plan's variables (None without a plan).

    ``agreements`` fixes candidate agreements signed (True) or not, keyed as in the report;
    the MIP start is the do-nothing plan, as the Pyomo path's."""
    t0 = time.perf_counter()
    arr = build_arrays(data)
    build_s = time.perf_counter() - t0
    col_lo, col_hi = arr.col_lo.copy(), arr.col_hi.copy()
    start_agree = arr.blocks["agree"][0]
    keys = [agreement_key(data, int(a)) for a in arr.keys["agree"][0]]
    for key, signed in (agreements or {}).items():
        if key not in keys:
            raise KeyError(f"agreement {key!r}: not a candidate agreement of this instance in "
                           f"{data.mode} mode (candidates: {', '.join(keys) or 'none'})")
        col_lo[start_agree + keys.index(key)] = col_hi[start_agree + keys.index(key)] = \
            1.0 if signed else 0.0
    t1 = time.perf_counter()
    lp = highs_lp(arr.c, arr.offset, col_lo, col_hi, arr.row_lo, arr.row_hi, arr.A.tocsc(),
                  arr.integer)
    idx = np.concatenate([np.arange(*arr.blocks[b], dtype=np.int32)
                          for b in ("buy", "programme", "agree")])
    start = (idx, np.clip(0.0, col_lo[idx], col_hi[idx]))
    h, stats, handoff, solve_s = run_lp(lp, arr.integer, options, start, t1)
    stats.build_seconds, stats.handoff_seconds, stats.solve_seconds = build_s, handoff, solve_s
    stats.n_variables, stats.n_integer = arr.n_vars, arr.n_int
    stats.n_constraints, stats.n_nonzeros = arr.n_rows, arr.nnz
    stats.options, stats.interface = options.as_dict(), "arrays"
    if not stats.has_plan:
        return stats, None
    x = np.asarray(h.getSolution().col_value)
    x = np.where(arr.integer, np.round(x), x)
    part = second_stage_values(arr.keys, arr.blocks, x, np.arange(len(data.scenarios)))
    return stats, plan_values(data, arr, x, [{b: [kv] for b, kv in part.items()}])


@dataclass(frozen=True)
class ArraysSolution:
    """What :func:`solve_arrays` returns: hand-off and solve seconds, the objective, the
    proven bound, the gap and the status (the status words of :class:`SolveStats`), and
    the column values ``x`` (None without a plan)."""

    handoff: float
    solve: float
    objective: float | None
    bound: float | None
    gap: float | None
    status: str
    x: np.ndarray | None


def solve_arrays(arr: LinearArrays, mip_gap: float = 1e-4, threads: int | None = None,
                 time_limit: float | None = None, log: bool = False, warm_start: bool = True
                 ) -> ArraysSolution:
    """Hand the arrays to HiGHS (``passModel``) and solve them as they are (the benchmark
    suite's yardstick and tests/test_arrays.py; the product's path is :func:`solve_direct`).

    ``warm_start``: the same do-nothing MIP start as the Pyomo path (build.do_nothing_start),
    so that both paths give HiGHS the same information."""
    t0 = time.perf_counter()
    lp = highs_lp(arr.c, arr.offset, arr.col_lo, arr.col_hi, arr.row_lo, arr.row_hi,
                  arr.A.tocsc(), arr.integer)
    start = None
    if warm_start:
        idx = np.concatenate([np.arange(*arr.blocks[b], dtype=np.int32)
                              for b in ("buy", "programme", "agree")])
        start = (idx, np.zeros(len(idx)))
    h, st, handoff, solve_s = run_lp(
        lp, arr.integer, SolveOptions(mip_gap=mip_gap, threads=threads, time_limit=time_limit,
                                      log=log), start, t0)
    x = np.asarray(h.getSolution().col_value) if st.has_plan else None
    return ArraysSolution(handoff, solve_s, st.objective, st.bound, st.gap, st.status, x)
