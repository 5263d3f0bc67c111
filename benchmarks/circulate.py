"""The plan to circulate, timed: N library scenarios of the default data proven to a gap by
the L-shaped engine, then the multiple-replication statistical gap (G replications of N,
each bounded by the same engine), as ``stockpile solve --sample N --engine benders
--replications G --replication-engine benders`` computes them, without the report.

    PYTHONPATH=. python benchmarks/circulate.py --scenarios 1000 --gap 3e-3 --replications 3
    PYTHONPATH=. python benchmarks/circulate.py --repeat 3

Prints per run: wall and CPU seconds of the solve and of the replications, the proven gap,
the 95 % statistical gap; then medians per cut mode and their ratio to the block cuts'
(``--cuts bundle`` times the solve with the engine before; its replications, bounded by
``saa.statistical_gap``, use the default block cuts).
Each run is its own process (python's and HiGHS's start-up not counted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One plan to circulate: the solve, then the replications; seconds of each."""
    from benchmarks.decomposition import DEFAULT, library_data
    from stockpile.analysis import saa
    from stockpile.instance import load
    from stockpile.model.data import model_data
    from stockpile.model.plan import plan_from_model
    from stockpile.solve.benders import BendersOptions, SerialComm, decompose
    from stockpile.solve.highs import SolveOptions

    inst = load(DEFAULT)
    data = library_data(args.scenarios, args.seed, args.mode)
    w, c = time.perf_counter(), time.process_time()
    res = decompose(data, BendersOptions(gap=args.gap, time_limit=args.time_limit,
                                         cuts=args.cuts), SerialComm())
    solve = (time.perf_counter() - w, time.process_time() - c)
    plan = plan_from_model(res.model, data)
    w, c = time.perf_counter(), time.process_time()
    sg = saa.statistical_gap(inst, model_data(inst, args.mode), plan, args.replications,
                             args.scenarios, args.seed + 1000,
                             SolveOptions(mip_gap=args.gap, time_limit=args.time_limit),
                             engine="benders")
    reps = (time.perf_counter() - w, time.process_time() - c)
    return {"cuts": args.cuts, "solve_wall": solve[0], "solve_cpu": solve[1],
            "reps_wall": reps[0], "reps_cpu": reps[1], "gap": res.gap, "stop": res.stop,
            "upper": res.upper, "stat_gap": sg["gap_upper95_relative"],
            "rep_gaps": [r["gap"] for r in sg["per_replication"]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", default="bilateral")
    ap.add_argument("--gap", type=float, default=3e-3)
    ap.add_argument("--replications", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=600.0, help="per L-shaped loop")
    ap.add_argument("--cuts", default="block", help="block, bundle, or both comma-separated")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    rows, results = [], []
    head = ("| cuts | solve wall s (CPU) | proven gap | 3 replications wall s (CPU) | "
            "whole wall s (CPU) | 95 % statistical gap |\n| --- | --- | --- | --- | --- | --- |")
    print(head, flush=True)
    for _ in range(args.repeat):
        for cuts in args.cuts.split(","):
            argv = list(sys.argv[1:])
            cmd = [sys.executable, __file__, *argv, "--worker", "--cuts", cuts]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append(r)
            rows.append(f"| {cuts} | {r['solve_wall']:.1f} ({r['solve_cpu']:.1f}) | "
                        f"{r['gap']:.3%} ({r['stop']}) | {r['reps_wall']:.1f} "
                        f"({r['reps_cpu']:.1f}) | {r['solve_wall'] + r['reps_wall']:.1f} "
                        f"({r['solve_cpu'] + r['reps_cpu']:.1f}) | {r['stat_gap']:.3%} |")
            print(rows[-1], flush=True)
    summary = ["| cuts | runs | median whole wall s | median whole CPU s | "
               "median / block cuts' |", "| --- | --- | --- | --- | --- |"]
    med = {}
    for cuts in args.cuts.split(","):
        rs = [r for r in results if r["cuts"] == cuts]
        med[cuts] = statistics.median(r["solve_wall"] + r["reps_wall"] for r in rs)
        cpu = statistics.median(r["solve_cpu"] + r["reps_cpu"] for r in rs)
        ratio = med[cuts] / med["block"] if "block" in med else float("nan")
        summary.append(f"| {cuts} | {len(rs)} | {med[cuts]:.1f} | {cpu:.1f} | {ratio:.2f} |")
    print("", *summary, sep="\n")
    load = os.getloadavg()
    note = (f"Command: `python {' '.join(sys.argv)}`; {args.scenarios:,} library scenarios "
            f"(seed {args.seed}) to a proven {args.gap:g}, {args.replications} replications "
            f"of {args.scenarios:,} (seeds {args.seed + 1000}...), {args.mode}; "
            f"{os.cpu_count()} cores, load average at the end {load[0]:.1f}.")
    print(note)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    path = args.out / f"{stamp}-circulate-{args.scenarios}.md"
    path.write_text(f"# The plan to circulate, {stamp}\n\n{head}\n" + "\n".join(rows)
                    + "\n\n" + "\n".join(summary) + "\n\n" + note + "\n")
    path.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
