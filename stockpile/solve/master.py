"""The L-shaped method's master problem (stockpile/solve/benders.py): the first stage of
the model with one cost-to-go variable per independent second-stage block, and the cuts."""

from __future__ import annotations

import math
from typing import Any

import highspy
import numpy as np

from ..model.arrays import LinearArrays
from .highs import highs_lp, new_highs


class Master:
    """min c'x + sum_b theta_b over the first-stage rows and the cuts, in one HiGHS."""

    def __init__(self, first: LinearArrays, n_theta: int, gap: float) -> None:
        self.n = first.n_vars
        self.nb = n_theta
        self.integer = first.integer
        c = np.concatenate([first.c, np.ones(n_theta)])
        lo = np.concatenate([first.col_lo, np.zeros(n_theta)])
        hi = np.concatenate([first.col_hi, np.full(n_theta, math.inf)])
        A = first.A.tocsc()
        A.resize((A.shape[0], self.n + n_theta))
        self.h = new_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("mip_rel_gap", gap)
        self.h.passModel(highs_lp(c, first.offset, lo, hi, first.row_lo, first.row_hi, A,
                                  np.concatenate([first.integer, np.zeros(n_theta, bool)])))
        self.cuts = 0
        self.relaxed = False
        # the MILP stops once its proven bound reaches ``enough`` (the bound at which the loop
        # is done: the plan's cost less the requested gap); its bound is then the loop's
        self.enough = math.inf
        self.h.cbMipInterrupt += self._enough

    def _enough(self, event: Any) -> None:
        if event.data_out.mip_dual_bound >= self.enough:
            event.interrupt()

    def relax(self, relaxed: bool) -> None:
        self.relaxed = relaxed
        idx = np.nonzero(self.integer)[0].astype(np.int32)
        kind = highspy.HighsVarType.kContinuous if relaxed else highspy.HighsVarType.kInteger
        self.h.changeColsIntegrality(len(idx), idx, np.array([kind] * len(idx)))

    def add_cuts(self, q: np.ndarray, slopes: np.ndarray, x: np.ndarray,
                 theta: np.ndarray | None = None) -> int:
        """theta_j - slope_j'x >= Q_j(x^) - slope_j'x^ for every cost-to-go variable j whose
        master value ``theta`` (at x^) is below Q_j(x^); the number of cuts added.

        Leaving out a cut that the master already satisfies at x^ loses nothing the loop
        needs: if no cut is added the master's value at x^ is at least c'x^ + sum Q_j(x^),
        the plan's cost, so the bounds meet (a non-violated cut may help later iterations,
        but the master stays a relaxation of the extensive form either way)."""
        todo = np.arange(self.nb)
        if theta is not None:
            todo = np.nonzero(q - theta > 1e-9 * np.maximum(1.0, np.abs(q)))[0]
        if len(todo) == 0:
            return 0
        nz = [np.nonzero(slopes[j])[0] for j in todo]
        starts = np.cumsum([0] + [len(i) + 1 for i in nz[:-1]]).astype(np.int32)
        index = np.concatenate([np.append(i, self.n + j) for j, i in zip(todo, nz)])
        value = np.concatenate([np.append(-slopes[j][i], 1.0) for j, i in zip(todo, nz)])
        lo = q[todo] - slopes[todo] @ x
        self.h.addRows(len(todo), lo, np.full(len(todo), highspy.kHighsInf), len(index),
                       starts, index.astype(np.int32), value)
        self.cuts += len(todo)
        return len(todo)

    def solve(self, time_limit: float | None, gap: float,
              start: tuple[np.ndarray, np.ndarray] | None = None, enough: float = math.inf
              ) -> tuple[np.ndarray, np.ndarray, float, bool]:
        """(x, theta, proven lower bound, exact): x is the master's first stage and theta its
        cost-to-go variables; exact when the master was a MILP (or has no integer column),
        so x is a plan of the model.

        ``gap``: the MILP's own relative gap; ``start``: the best plan x and its Q_b, which
        satisfy every cut (each under-estimates Q_b), so HiGHS starts with that incumbent;
        ``enough``: stop the MILP once its proven bound reaches this (its incumbent and
        bound are then returned as after any stop)."""
        self.enough = enough
        if time_limit is not None:
            self.h.setOptionValue("time_limit", max(1.0, time_limit))
        self.h.setOptionValue("mip_rel_gap", gap)
        if start is not None and not self.relaxed:
            sol = np.concatenate(start)
            self.h.setSolution(len(sol), np.arange(len(sol), dtype=np.int32), sol)
        self.h.run()
        if self.h.getInfo().primal_solution_status != 2:
            # "optimal" without a feasible primal solution: HiGHS's unscaled solution broke a
            # tolerance after the cuts were added (seen on the default instance with stock as
            # an asset); solve again from scratch before giving up
            self.h.clearSolver()
            self.h.run()
        info = self.h.getInfo()
        status = self.h.getModelStatus()
        if info.primal_solution_status != 2:
            raise RuntimeError("the Benders master found no first stage "
                               f"({self.h.modelStatusToString(status)})")
        col = np.asarray(self.h.getSolution().col_value)
        x, theta = col[:self.n], col[self.n:]
        if self.relaxed or not self.integer.any():
            if status != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(f"the Benders master LP ended "
                                   f"{self.h.modelStatusToString(status)}")
            return x, theta, float(info.objective_function_value), not self.relaxed
        return np.where(self.integer, np.round(x), x), theta, float(info.mip_dual_bound), True
