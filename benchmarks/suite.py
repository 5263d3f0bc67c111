"""The size suite: build and solve seeded synthetic instances through the product's Pyomo
path and through the array yardstick (stockpile/model/arrays.py), one subprocess per size
and path so that peak memory is per size.

    python benchmarks/suite.py --quick                  # 4 sizes, a few minutes
    python benchmarks/suite.py --full --time-limit 600  # all 12 sizes (scenarios 10/100/1000
                                                        # x materials 12/50 x holders 2/4)
    python benchmarks/suite.py --sizes 100:50:4,1000:12:2 --repeat 3
    python benchmarks/suite.py --decomposition          # 10,000 library scenarios, L-shaped
                                                        # on 1, 2, 4 MPI ranks (decomposition.py)

Per size it prints variables (integer), rows, nonzeros, then for the Pyomo path: model build,
hand-off to HiGHS (standard-form compile + passModel + MIP start), HiGHS's own solve time,
peak memory, and (build + hand-off) / solve; for the array path: build, hand-off, solve, peak
memory; the ratio of the Pyomo path's total to HiGHS's solve time on the array-built model;
and whether the two optima agree (their proven intervals [bound, objective] must overlap: each
holds the true optimum). Timings are medians of --repeat runs. A solve stopped by the time
limit shows its status and gap, never "optimal". The table also goes to
benchmarks/results/<date>-<label>.md with the machine and the command line.

Targets (issue 5): (build + hand-off) / solve < 0.25 at 100 scenarios; Pyomo total <= 1.5 x
HiGHS's solve time of the array-built model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

QUICK = [(10, 12, 2), (100, 12, 2), (10, 50, 4), (100, 50, 4)]
FULL = [(s, m, h) for m, h in ((12, 2), (12, 4), (50, 2), (50, 4)) for s in (10, 100, 1000)]
GRADES, PERIODS = 3, 8


def measure(path: str, scenarios: int, materials: int, holders: int, *, seed: int = 1,
            grades: int = GRADES, periods: int = PERIODS, mode: str = "bilateral",
            time_limit: float | None = None, threads: int | None = None,
            mip_gap: float = 1e-4, warm_up: bool = True,
            interface: str = "standard_form") -> dict[str, Any]:
    """One build and solve of one size through ``path`` ("pyomo" or "arrays"), in this
    process. Figures in seconds, MB, USD."""
    from stockpile.instance.schema import Instance
    from stockpile.model.data import model_data
    from synthetic import synthetic

    inst = Instance.model_validate(synthetic(materials, grades, holders, periods, scenarios,
                                             seed))
    data = model_data(inst, mode)  # type: ignore[arg-type]
    if warm_up:
        # pay the one-off costs of a fresh interpreter (lazy imports in Pyomo's compiler,
        # HiGHS's first run: about 0.5 s) on a tiny instance, outside the timings
        measure(path, 2, 2, 2, grades=1, periods=2, warm_up=False, interface=interface)
    if path == "pyomo":
        from stockpile.model.build import build_model
        from stockpile.solve.highs import SolveOptions, solve
        t0 = time.perf_counter()
        model = build_model(data)
        build = time.perf_counter() - t0
        st = solve(model, SolveOptions(time_limit=time_limit, threads=threads,
                                       mip_gap=mip_gap, interface=interface))
        out = {"handoff": st.handoff_seconds, "solve": st.solve_seconds,
               "objective": st.objective, "bound": st.bound, "gap": st.gap,
               "status": st.status, "vars": st.n_variables, "ints": st.n_integer,
               "rows": st.n_constraints, "nnz": st.n_nonzeros}
    elif path == "arrays":
        from stockpile.model.arrays import build_arrays
        from stockpile.solve.direct import solve_arrays
        t0 = time.perf_counter()
        arr = build_arrays(data)
        build = time.perf_counter() - t0
        res = solve_arrays(arr, mip_gap=mip_gap, threads=threads, time_limit=time_limit)
        out = {k: getattr(res, k) for k in ("handoff", "solve", "objective", "bound", "gap",
                                              "status")}
        out.update(vars=arr.n_vars, ints=arr.n_int, rows=arr.n_rows, nnz=arr.nnz)
    else:
        raise ValueError(f"path {path!r}: must be pyomo or arrays")
    out.update(path=path, build=build,
               peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def _child(path: str, size: tuple[int, int, int], args: argparse.Namespace) -> dict[str, Any]:
    """``measure`` in a fresh interpreter (peak memory of that size alone)."""
    s, m, h = size
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", path, f"{s}:{m}:{h}",
           "--seed", str(args.seed), "--mode", args.mode, "--gap", str(args.gap),
           "--interface", args.interface]
    if args.time_limit is not None:
        cmd += ["--time-limit", str(args.time_limit)]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"size {s}:{m}:{h} path {path} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def agree(a: dict[str, Any], b: dict[str, Any], tol: float = 1e-6) -> str:
    """'agree' if the proven intervals [bound, objective] of both solves overlap."""
    if a["objective"] is None or b["objective"] is None:
        return "no plan"
    lo = max(a["bound"] if a["bound"] is not None else -float("inf"),
             b["bound"] if b["bound"] is not None else -float("inf"))
    hi = min(a["objective"], b["objective"])
    return "agree" if lo <= hi + tol * max(abs(hi), 1.0) else "DIFFER"


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _status(r: dict[str, Any]) -> str:
    if r["status"] == "optimal":
        return "optimal"
    gap = f" gap {r['gap']:.2%}" if r.get("gap") is not None else " no bound"
    return f"{r['status']}{gap}"


def row(size: tuple[int, int, int], pyo: list[dict[str, Any]], arr: list[dict[str, Any]] | None
        ) -> tuple[str, dict[str, Any]]:
    s, m, h = size
    p0 = pyo[0]
    b, ho, sv = (_median(pyo, k) for k in ("build", "handoff", "solve"))
    fig: dict[str, Any] = {"scenarios": s, "materials": m, "holders": h, **{
        k: p0[k] for k in ("vars", "ints", "rows", "nnz")}, "build": b, "handoff": ho,
        "solve": sv, "peak_mb": max(r["peak_mb"] for r in pyo), "status": _status(p0),
        "objective": p0["objective"], "ratio": (b + ho) / max(sv, 1e-9)}
    cells = [f"{s}", f"{m}", f"{h}", f"{p0['vars']:,} ({p0['ints']:,})", f"{p0['rows']:,}",
             f"{p0['nnz']:,}", f"{b:.2f}", f"{ho:.2f}", f"{sv:.2f}", f"{fig['peak_mb']:,.0f}",
             f"{fig['ratio']:.2f}", fig["status"]]
    if arr:
        ab, ah, asv = (_median(arr, k) for k in ("build", "handoff", "solve"))
        fig.update(arr_build=ab, arr_handoff=ah, arr_solve=asv,
                   arr_peak_mb=max(r["peak_mb"] for r in arr),
                   total_over_arr_solve=(b + ho + sv) / max(asv, 1e-9),
                   agree=agree(p0, arr[0]))
        cells += [f"{ab:.2f}", f"{ah:.2f}", f"{asv:.2f}", f"{fig['arr_peak_mb']:,.0f}",
                  f"{fig['total_over_arr_solve']:.2f}", _status(arr[0]), fig["agree"]]
    return "| " + " | ".join(cells) + " |", fig


HEAD = ["scenarios", "materials", "holders", "variables (integer)", "rows", "nonzeros",
        "build s", "hand-off s", "HiGHS s", "peak MB", "(build+hand-off)/HiGHS", "status"]
HEAD_ARR = ["array build s", "array hand-off s", "array HiGHS s", "array peak MB",
            "Pyomo total / array HiGHS", "array status", "optima"]


def machine() -> str:
    import pyomo

    from stockpile.solve.highs import new_highs
    h = new_highs()
    return (f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}, Pyomo {pyomo.__version__}, HiGHS "
            f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}")


def _sizes(text: str) -> list[tuple[int, int, int]]:
    out = []
    for part in text.split(","):
        try:
            s, m, h = (int(x) for x in part.split(":"))
        except ValueError:
            raise SystemExit(f"--sizes {part!r}: must be SCENARIOS:MATERIALS:HOLDERS, "
                             "e.g. 100:50:4") from None
        out.append((s, m, h))
    return out


def main() -> None:
    if "--decomposition" in sys.argv[1:]:  # the L-shaped engine at 10,000 scenarios
        from decomposition import main as decomposition
        return decomposition([a for a in sys.argv[1:] if a != "--decomposition"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    grp = ap.add_mutually_exclusive_group()
    grp.add_argument("--quick", action="store_true", help="4 sizes (default)")
    grp.add_argument("--full", action="store_true", help="all 12 sizes of issue 5")
    grp.add_argument("--sizes", type=_sizes, help="S:M:H,... (scenarios:materials:holders)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size and path (median)")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve")
    ap.add_argument("--threads", type=int, default=None, help="HiGHS threads")
    ap.add_argument("--gap", type=float, default=1e-4, help="relative MIP gap")
    ap.add_argument("--mode", default="bilateral", choices=["national", "bilateral", "pooled"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-arrays", action="store_true", help="Pyomo path only")
    ap.add_argument("--interface", default="standard_form", choices=["standard_form", "appsi"],
                    help="the Pyomo path's hand-off to HiGHS (appsi: Pyomo's persistent "
                    "interface, for comparison)")
    ap.add_argument("--label", default=None, help="name of the results file")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--one", nargs=2, metavar=("PATH", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:
        (size,) = _sizes(args.one[1])
        res = measure(args.one[0], *size, seed=args.seed, mode=args.mode,
                      time_limit=args.time_limit, threads=args.threads, mip_gap=args.gap,
                      interface=args.interface)
        print(json.dumps(res))
        return

    sizes = args.sizes or (FULL if args.full else QUICK)
    label = args.label or ("full" if args.full else "quick" if not args.sizes else "sizes")
    head = HEAD + ([] if args.no_arrays else HEAD_ARR)
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    print(lines[0], lines[1], sep="\n", flush=True)
    figures = []
    for size in sizes:
        pyo = [_child("pyomo", size, args) for _ in range(args.repeat)]
        arr = None if args.no_arrays else [_child("arrays", size, args)
                                           for _ in range(args.repeat)]
        line, fig = row(size, pyo, arr)
        lines.append(line)
        figures.append(fig)
        print(line, flush=True)
    notes = [f"Machine: {machine()}.",
             f"Command: `python benchmarks/suite.py {' '.join(sys.argv[1:])}`; {args.mode} "
             f"mode, Pyomo hand-off {args.interface}, "
             f"{GRADES} grades, {PERIODS} periods, seed {args.seed}, mip_rel_gap "
             f"{args.gap:g}, time limit {args.time_limit:g} s per solve, medians of "
             f"{args.repeat} run(s); wall-clock seconds; peak memory is the subprocess's "
             "maximum resident set."]
    print("\n" + "\n".join(notes))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    path = args.out / f"{stamp}-{label}.md"
    path.write_text(f"# Benchmark suite, {stamp}\n\n" + "\n".join(lines) + "\n\n"
                    + "\n\n".join(notes) + "\n")
    (args.out / f"{stamp}-{label}.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
