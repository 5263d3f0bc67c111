"""HiGHS's LP solvers on the root LP (the LP relaxation) of large extensive forms, and the
MIP with each as its LP solver.

    python benchmarks/root_lp.py --scenarios 2000 [--sizes 1000:50:4] [--time-limit 300]
    python benchmarks/root_lp.py --scenarios 1000 --mip       # also the MIP per mip_lp_solver

Instances: the default instance's data with N calibrated-library scenarios (as
benchmarks/decomposition.py), and synthetic sizes S:M:H (benchmarks/synthetic.py). Each
extensive form is built as arrays (model/arrays.py), its integrality dropped, and solved by
``solver`` = simplex (HiGHS's dual simplex), ipm (IPX, with crossover), hipo (HiGHS's new
interior point; needs the highspy-extras package, reported as unavailable otherwise) and
pdlp (first-order, on the CPU), each in a fresh HiGHS with the time limit; with ``--mip`` the
MIP is solved once per ``mip_lp_solver`` (choose, simplex, ipm, hipo) to the gap. Prints
seconds, status and objective; one run each (say so when quoting).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

LP_SOLVERS = ("simplex", "ipm", "hipo", "pdlp")
MIP_LP_SOLVERS = ("choose", "simplex", "ipm", "hipo")


def instances(args: argparse.Namespace) -> list[tuple[str, Any]]:
    from stockpile.instance.schema import Instance
    from stockpile.model.data import model_data

    out = []
    for n in args.scenarios:
        from decomposition import library_data
        out.append((f"us_japan_2026 + {n:,} library scenarios", library_data(n, 1, args.mode)))
    for s, m, h in args.sizes:
        from synthetic import synthetic
        inst = Instance.model_validate(synthetic(m, 3, h, 8, s, 1))
        out.append((f"synthetic {s}:{m}:{h}", model_data(inst, args.mode)))  # type: ignore
    return out


def run(arr: Any, integer: bool, options: dict[str, Any], time_limit: float) -> dict[str, Any]:
    import numpy as np

    from stockpile.solve.highs import highs_lp, new_highs

    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    for k, v in options.items():
        if str(h.setOptionValue(k, v)) != "HighsStatus.kOk":
            return {"status": f"option {k}={v} rejected", "seconds": None, "objective": None}
    ints = arr.integer if integer else np.zeros(arr.n_vars, bool)
    h.passModel(highs_lp(arr.c, arr.offset, arr.col_lo, arr.col_hi, arr.row_lo, arr.row_hi,
                         arr.A.tocsc(), ints))
    t0 = time.perf_counter()
    rc = h.run()
    took = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus())
    if str(rc) == "HighsStatus.kError":
        status = f"error ({status})"
    info = h.getInfo()
    obj = info.objective_function_value if info.primal_solution_status == 2 else None
    gap = info.mip_gap if integer else None
    return {"status": status, "seconds": took, "objective": obj, "gap": gap}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=lambda t: [int(x) for x in t.split(",")], default=[])
    ap.add_argument("--sizes", type=lambda t: [tuple(int(y) for y in x.split(":"))
                                               for x in t.split(",")], default=[])
    ap.add_argument("--mode", default="bilateral")
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--gap", type=float, default=1e-4, help="MIP gap with --mip")
    ap.add_argument("--solvers", default=",".join(LP_SOLVERS))
    ap.add_argument("--mip", action="store_true", help="also the MIP per mip_lp_solver")
    ap.add_argument("--mip-solvers", default=",".join(MIP_LP_SOLVERS))
    args = ap.parse_args()
    from stockpile.model.arrays import build_arrays

    print("| instance | variables | nonzeros | problem | solver | seconds | status | objective |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
    for name, data in instances(args):
        arr = build_arrays(data)
        for solver in args.solvers.split(","):
            r = run(arr, False, {"solver": solver}, args.time_limit)
            _line(name, arr, "root LP", solver, r)
        if args.mip:
            for solver in args.mip_solvers.split(","):
                r = run(arr, True, {"mip_lp_solver": solver, "mip_rel_gap": args.gap},
                        args.time_limit)
                _line(name, arr, f"MIP (gap {args.gap:g})", f"mip_lp_solver={solver}", r)
    print(f"\nCommand: `python {' '.join(sys.argv)}`; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end; one run each, time limit "
          f"{args.time_limit:g} s.")


def _line(name: str, arr: Any, problem: str, solver: str, r: dict[str, Any]) -> None:
    sec = "-" if r["seconds"] is None else f"{r['seconds']:.1f}"
    obj = "-" if r["objective"] is None else f"{r['objective']:,.0f}"
    gap = f", gap {r['gap']:.3%}" if r.get("gap") is not None else ""
    print(f"| {name} | {arr.n_vars:,} | {arr.nnz:,} | {problem} | {solver} | {sec} | "
          f"{r['status']}{gap} | {obj} |", flush=True)


if __name__ == "__main__":
    main()
