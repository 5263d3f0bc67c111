"""The decomposition size: the default instance's data with N scenarios from the calibrated
event library (10,000 by default), solved by the L-shaped engine on 1, 2 and 4 MPI ranks,
and the extensive form beside it (arrays straight into HiGHS, with a time limit).

    python benchmarks/suite.py --decomposition                      # 10,000 scenarios
    python benchmarks/decomposition.py --scenarios 2000 --ranks 1,2 --gap 1e-3

The scenarios are those of ``stockpile scenarios instances/us_japan_2026.yaml --n N --seed S
--out FILE`` (the same sampler, seed and library), drawn in memory: loading the 13.6 MB
instance file of 10,000 scenarios costs 41 s of YAML and pydantic that says nothing about the
decomposition. Each run is a fresh ``mpiexec -n R`` (one process for R = 1, no MPI), and
prints per rank count: time to a proven 1 % and 0.1 % gap (from the loop's per-iteration
bounds), the final gap, iterations, where the time went on rank 0 (setup: building the
bundles' LPs; master; subproblems; communication, which on rank 0 includes waiting for
the slowest rank) and the peak resident memory of every rank. The machine has 2 cores: 4
ranks are oversubscribed (two processes per core), so their times measure the overhead of
more ranks, not a speed-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT / "instances" / "us_japan_2026.yaml"


def library_data(n: int, seed: int, mode: str) -> Any:
    """ModelData of the default instance with ``n`` library scenarios (``seed``)."""
    from stockpile.instance import load
    from stockpile.model.data import model_data
    from stockpile.scenarios import DEFAULT_LIBRARY, sample

    inst = load(DEFAULT)
    return sample(inst, n, seed, DEFAULT_LIBRARY).apply(model_data(inst, mode))  # type: ignore


def time_to(history: list[list[float]], gap: float) -> float | None:
    """Seconds until the proven gap first reached ``gap`` (None: never)."""
    from stockpile.solve.benders import relative_gap

    for seconds, lower, upper in history:
        if relative_gap(upper, lower) <= gap:
            return seconds
    return None


def worker(args: argparse.Namespace) -> None:
    """One L-shaped run on every rank of this mpiexec; rank 0 writes the figures."""
    from stockpile.solve.benders import BendersOptions, decompose, world_comm

    comm = world_comm()
    t0 = time.perf_counter()
    data = library_data(args.scenarios, args.seed, args.mode)
    sample_s = time.perf_counter() - t0
    cpu = time.process_time()
    res = decompose(data, BendersOptions(gap=args.gap, time_limit=args.time_limit,
                                         bundle_size=args.bundle_size, cuts=args.cuts,
                                         cut_groups=args.cut_groups), comm)
    if comm.Get_rank() == 0:
        out = {"engine": "benders", "cuts": args.cuts, "cpu": time.process_time() - cpu,
               "ranks": res.ranks, "bundles": res.bundles,
               "upper": res.upper, "lower": res.lower, "gap": res.gap,
               "iterations": res.iterations, "stop": res.stop, "seconds": res.seconds,
               "sample_seconds": sample_s, "timing": res.timing,
               "peak_mb": res.peak_rss_mb, "history": [list(h) for h in res.history]}
        Path(args.json).write_text(json.dumps(out))


def ef_worker(args: argparse.Namespace) -> None:
    """The extensive form of the same data, arrays into HiGHS, with the time limit."""
    import resource

    from stockpile.model.arrays import build_arrays
    from stockpile.solve.direct import solve_arrays

    data = library_data(args.scenarios, args.seed, args.mode)
    t0 = time.perf_counter()
    arr = build_arrays(data)
    build = time.perf_counter() - t0
    res = solve_arrays(arr, mip_gap=args.gap, time_limit=args.ef_time_limit)
    out = {"engine": "ef", "ranks": 1, "vars": arr.n_vars, "rows": arr.n_rows,
           "nnz": arr.nnz, "build": build, "handoff": res.handoff, "solve": res.solve,
           "upper": res.objective, "lower": res.bound, "gap": res.gap,
           "status": res.status,
           "peak_mb": [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]}
    Path(args.json).write_text(json.dumps(out))


def mpiexec(ranks: int) -> list[str]:
    if ranks == 1:
        return []
    exe = Path(sys.executable).parent / "mpiexec"
    found = str(exe) if exe.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit('mpiexec not found: pip install -e ".[mpi]"')
    cmd = [found, "-n", str(ranks)]
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        cmd.append("--oversubscribe")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
    return cmd


def run(kind: str, ranks: int, args: argparse.Namespace) -> dict[str, Any]:
    out = Path(f"/tmp/stockpile-decomposition-{os.getpid()}-{kind}-{ranks}.json")
    cmd = [*mpiexec(ranks), sys.executable, str(Path(__file__).resolve()), f"--{kind}-worker",
           "--scenarios", str(args.scenarios), "--seed", str(args.seed), "--mode", args.mode,
           "--gap", str(args.gap), "--json", str(out), "--cuts", args.cuts,
           "--cut-groups", str(args.cut_groups)]
    if args.time_limit is not None:
        cmd += ["--time-limit", str(args.time_limit)]
    if args.bundle_size is not None:
        cmd += ["--bundle-size", str(args.bundle_size)]
    if args.ef_time_limit is not None:
        cmd += ["--ef-time-limit", str(args.ef_time_limit)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} on {ranks} rank(s) failed:\n{proc.stderr[-3000:]}")
    res = json.loads(out.read_text())
    out.unlink()
    res["wall"] = time.perf_counter() - t0
    return res


HEAD = ["engine", "ranks", "time to 1 %", "time to the requested gap",
        "final gap (stopped by)",
        "iterations", "upper bound (plan) USD", "lower bound USD",
        "rank 0: setup / master / subproblems / communication s", "rank 0 CPU s",
        "peak MB per rank", "wall s"]


def _s(x: float | None) -> str:
    return "not reached" if x is None else f"{x:.1f}"


def row(r: dict[str, Any], gap: float) -> str:
    mb = " / ".join(f"{m:,.0f}" for m in r["peak_mb"])
    if r["engine"] == "ef":
        gap = r["gap"]
        t1 = r["handoff"] + r["solve"] if gap is not None and gap <= 1e-2 else None
        t01 = r["handoff"] + r["solve"] if r["gap"] is not None and r["gap"] <= gap else None
        gap_s = "no bound" if r["gap"] is None else f"{r['gap']:.3%} ({r['status']})"
        return (f"| extensive form ({r['vars']:,} vars, {r['nnz']:,} nnz) | 1 | {_s(t1)} | "
                f"{_s(t01)} | {gap_s} | - | {r['upper'] or float('nan'):,.0f} | "
                f"{r['lower'] or float('nan'):,.0f} | build {r['build']:.1f}, hand-off "
                f"{r['handoff']:.1f}, HiGHS {r['solve']:.1f} | - | {mb} | {r['wall']:.1f} |")
    t = r["timing"]
    return (f"| L-shaped, {r['cuts']} cuts ({r['bundles']} bundles) | {r['ranks']} | "
            f"{_s(time_to(r['history'], 1e-2))} | {_s(time_to(r['history'], gap))} | "
            f"{r['gap']:.3%} ({r['stop']}) | {r['iterations']} | {r['upper']:,.0f} | "
            f"{r['lower']:,.0f} | {t['setup']:.1f} / {t['master']:.1f} / "
            f"{t['subproblems']:.1f} / {t['communication']:.1f} | {r['cpu']:.1f} | {mb} | "
            f"{r['wall']:.1f} |")


def summary(results: list[dict[str, Any]], gap: float) -> list[str]:
    """Medians per cut mode and rank count: time to the requested gap (wall, from the
    loop's start; runs that never reach it count as their whole time and are flagged),
    rank 0's CPU, and the ratio of each mode's median to the block cuts'."""
    import statistics

    out = [f"| cuts | ranks | runs | median s to {gap:g} (runs reaching it) | median rank 0 "
           "CPU s | median / block cuts' |", "| --- | --- | --- | --- | --- | --- |"]
    med: dict[tuple[str, int], float] = {}
    for key in sorted({(r["cuts"], r["ranks"]) for r in results if r["engine"] == "benders"}):
        rs = [r for r in results if r["engine"] == "benders" and (r["cuts"], r["ranks"]) == key]
        times = [time_to(r["history"], gap) for r in rs]
        med[key] = statistics.median(t if t is not None else r["seconds"]
                                     for t, r in zip(times, rs))
        cpu = statistics.median(r["cpu"] for r in rs)
        ratio = med[key] / med[("block", key[1])] if ("block", key[1]) in med else math.nan
        out.append(f"| {key[0]} | {key[1]} | {len(rs)} | {med[key]:.1f} "
                   f"({sum(t is not None for t in times)}) | {cpu:.1f} | {ratio:.2f} |")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", default="bilateral", choices=["national", "bilateral", "pooled"])
    ap.add_argument("--ranks", default="1,2,4", help="rank counts to run, comma-separated")
    ap.add_argument("--gap", type=float, default=1e-3, help="requested gap (default 0.1 %%)")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per L-shaped run")
    ap.add_argument("--bundle-size", type=int, default=None, help="scenarios per bundle")
    ap.add_argument("--cuts", default="block",
                    help="block, bundle or both (comma-separated: each in the same run)")
    ap.add_argument("--cut-groups", type=int, default=1, help="block cuts: groups of bundles")
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration")
    ap.add_argument("--ef-time-limit", type=float, default=None,
                    help="also solve the extensive form with this time limit (seconds)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--json", help=argparse.SUPPRESS)
    ap.add_argument("--benders-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ef-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.benders_worker:
        return worker(args)
    if args.ef_worker:
        return ef_worker(args)

    lines = ["| " + " | ".join(HEAD) + " |", "|" + " --- |" * len(HEAD)]
    print(*lines, sep="\n", flush=True)
    results = []
    for ranks in (int(x) for x in args.ranks.split(",")):
        for _ in range(args.repeat):
            for cuts in args.cuts.split(","):
                r = run("benders", ranks, argparse.Namespace(**{**vars(args), "cuts": cuts}))
                results.append(r)
                lines.append(row(r, args.gap))
                print(lines[-1], flush=True)
    if args.ef_time_limit is not None:
        r = run("ef", 1, args)
        results.append(r)
        lines.append(row(r, args.gap))
        print(lines[-1], flush=True)
    lines += ["", *summary(results, args.gap)]
    print(*summary(results, args.gap), sep="\n")
    note = (f"Command: `python {' '.join(sys.argv)}`; us_japan_2026's data with "
            f"{args.scenarios:,} library scenarios (seed {args.seed}), {args.mode} mode, "
            f"requested gap {args.gap:g}, time limit {args.time_limit:g} s per run; "
            f"{os.cpu_count()} cores (more ranks than cores are oversubscribed); wall includes "
            "starting the interpreters and sampling the scenarios; load average at the end "
            f"{os.getloadavg()[0]:.1f}.")
    print("\n" + note)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M")
    path = args.out / f"{stamp}-decomposition-{args.scenarios}.md"
    path.write_text(f"# Decomposition, {args.scenarios:,} scenarios, {stamp}\n\n"
                    + "\n".join(lines) + "\n\n" + note + "\n")
    (path.with_suffix(".json")).write_text(json.dumps(results, indent=1) + "\n")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
