"""Does the order of rows and columns explain why HiGHS is slower on the array-built model?

tests/test_lp_equal.py shows the Pyomo model (compiled to standard form) and build_arrays
write the same LP entry by entry, up to the order of columns and rows and the sign of some
rows. This script hands HiGHS four versions of the same extensive form and times each:

  pyomo      Pyomo's standard form, as the product solves it
  arrays     build_arrays as it is (--interface arrays, the L-shaped engine's master)
  permuted   build_arrays with columns and rows put in Pyomo's order, signs as Pyomo's
  unsigned   Pyomo's order, build_arrays's row signs

    PYTHONPATH=. python benchmarks/order.py [--instance PATH] [--repeat N] [--gap REL]
        [--samples K --sample-size N] [--permutations P]

Prints HiGHS seconds per version and run, medians, objectives and the ratio to pyomo.
``--samples K`` solves K instances instead of one: the instance's data with N scenarios drawn
from the calibrated library (seeds 1..K), to tell an effect of the order from the
performance variability of one MIP. ``--permutations P`` adds P random orders of the array
model (seeds 0..P-1) per instance, the spread any order could give.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, diags

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def versions(data: object, permutations: int = 0) -> dict[str, tuple]:
    from stockpile.model.arrays import build_arrays
    from test_lp_equal import _column_map, _pyomo_lp, _row_map

    _m, lp, repn, integer, rows = _pyomo_lp(data)
    arr = build_arrays(data)
    col = _column_map(data, arr, repn)
    row = _row_map(data, arr, rows)
    A_py = csr_matrix(repn.A)
    A_perm = arr.A.tocsr()[row][:, col]
    # the sign of each row: +1 where Pyomo wrote it as the arrays do
    first = np.array([A_py[i].indices[0] if A_py[i].nnz else -1 for i in range(A_py.shape[0])])
    sign = np.array([1.0 if j < 0 or A_py[i, j] * A_perm[i, j] > 0 else -1.0
                     for i, j in enumerate(first)])
    lo, hi = arr.row_lo[row], arr.row_hi[row]
    s_lo = np.where(sign > 0, lo, -hi)
    s_hi = np.where(sign > 0, hi, -lo)
    py = (np.asarray(lp.col_cost_), float(lp.offset_), np.asarray(lp.col_lower_),
          np.asarray(lp.col_upper_), np.asarray(lp.row_lower_), np.asarray(lp.row_upper_),
          A_py.tocsc(), integer)
    A = arr.A.tocsr()
    shuffled = {}
    for seed in range(permutations):
        rng = np.random.default_rng(seed)
        pc, pr = rng.permutation(arr.n_vars), rng.permutation(arr.n_rows)
        shuffled[f"random {seed}"] = (arr.c[pc], arr.offset, arr.col_lo[pc], arr.col_hi[pc],
                                      arr.row_lo[pr], arr.row_hi[pr], A[pr][:, pc].tocsc(),
                                      arr.integer[pc])
    return {
        "pyomo": py,
        "arrays": (arr.c, arr.offset, arr.col_lo, arr.col_hi, arr.row_lo, arr.row_hi,
                   arr.A.tocsc(), arr.integer),
        "permuted": (arr.c[col], arr.offset, arr.col_lo[col], arr.col_hi[col], s_lo, s_hi,
                     (diags(sign) @ A_perm).tocsc(), arr.integer[col]),
        "unsigned": (arr.c[col], arr.offset, arr.col_lo[col], arr.col_hi[col], lo, hi,
                     A_perm.tocsc(), arr.integer[col]),
        **shuffled,
    }


def main() -> None:
    from stockpile.instance import load
    from stockpile.model.data import model_data
    from stockpile.scenarios import sample
    from stockpile.solve.highs import SolveOptions, highs_lp, run_lp

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "us_japan_2026.yaml"))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--samples", type=int, default=0)
    ap.add_argument("--sample-size", type=int, default=40)
    ap.add_argument("--permutations", type=int, default=0)
    args = ap.parse_args()
    inst = load(Path(args.instance))
    base = model_data(inst, "bilateral")
    cases = [("file", base)] if not args.samples else [
        (f"sample {k}", sample(inst, args.sample_size, k).apply(base))
        for k in range(1, args.samples + 1)]
    times: dict[str, list[float]] = {}
    for label, data in cases:
        for name, v in versions(data, args.permutations).items():
            for r in range(args.repeat):
                lp = highs_lp(*v)
                t0 = time.perf_counter()
                _h, st, _handoff, solve_s = run_lp(lp, v[-1], SolveOptions(mip_gap=args.gap),
                                                   None, t0)
                key = "random" if name.startswith("random") else name
                times.setdefault(key, []).append(solve_s)
                print(f"{label} run {r + 1} {name:9s} HiGHS {solve_s:7.2f} s  {st.status}  "
                      f"objective {st.objective:,.0f}  bound {st.bound:,.0f}", flush=True)
    ref = statistics.median(times["pyomo"])
    for name, t in times.items():
        m = statistics.median(t)
        print(f"median {name:9s} {m:7.2f} s  = {m / ref:.2f} x pyomo  (n = {len(t)}, "
              f"min {min(t):.2f}, max {max(t):.2f})")


if __name__ == "__main__":
    main()
