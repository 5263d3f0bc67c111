"""Start-up and fixed overhead of the command: medians of repeated fresh processes.

    python benchmarks/startup.py [--repeat 7] [--solve-repeat 5]

Prints, as medians of ``--repeat`` runs (each a new process, timed from outside):
a bare Python start (``python -c pass``), ``stockpile --help``, ``stockpile --version`` and
``stockpile validate`` on the default instance, each with its ratio to the bare start
(target of issue 14: --help within 3 x); then the default solve (``stockpile solve
instances/us_japan_2026.yaml``, report written to a temporary folder): the whole command's
wall time, HiGHS's own time (result.json's ``solver.solve_seconds``) and their ratio
(target: at most 1.5), with the model build and hand-off it reports, for the default
hand-off (Pyomo, standard form) and for ``--interface arrays`` (no Pyomo), each with the
solve's own work only (``--no-check --no-why``), with the explanation LPs (``--no-check``),
and as shipped (the out-of-sample check of 5,000 scenarios against today's rules too).
``--variants`` picks some of them (each default solve of the 100-scenario instance takes a
minute or more).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STOCKPILE = str(BIN / "stockpile") if (BIN / "stockpile").exists() else None


def command(*args: str) -> list[str]:
    return [STOCKPILE, *args] if STOCKPILE else [sys.executable, "-m", "stockpile", *args]


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs per start-up command")
    ap.add_argument("--solve-repeat", type=int, default=5, help="runs of the default solve")
    ap.add_argument("--variants", default="bare,why,shipped",
                    help="comma-separated: bare (--no-check --no-why), why (--no-check), "
                         "shipped (no option)")
    ap.add_argument("--interfaces", default="standard_form,arrays")
    args = ap.parse_args()
    instance = str(ROOT / "instances" / "us_japan_2026.yaml")
    cases = [("bare Python start (python -c pass)", [sys.executable, "-c", "pass"]),
             ("stockpile --help", command("--help")),
             ("stockpile --version", command("--version")),
             ("stockpile validate instances/us_japan_2026.yaml", command("validate", instance))]
    print("| command | median s | x bare Python |", "| --- | --- | --- |", sep="\n")
    bare = None
    for name, cmd in cases:
        wall(cmd)  # warm the file cache
        med = statistics.median(wall(cmd) for _ in range(args.repeat))
        bare = bare or med
        print(f"| {name} | {med:.3f} | {med / bare:.1f} |", flush=True)

    print("\n| default solve, median s | whole command (wall) | HiGHS's own time | model build | "
          "hand-off | wall / HiGHS |", "| --- | --- | --- | --- | --- | --- |", sep="\n")
    extra = {"bare": ["--no-check", "--no-why"], "why": ["--no-check"], "shipped": []}
    for interface, variant in ((i, v) for i in args.interfaces.split(",")
                               for v in args.variants.split(",")):
        walls, highs, build, handoff = [], [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report"
            for _ in range(args.solve_repeat):
                walls.append(wall(command("solve", instance, "--out", str(out), "--quiet",
                                          "--interface", interface, *extra[variant])))
                st = json.loads((out / "result.json").read_text())["solver"]
                highs.append(st["solve_seconds"])
                build.append(st["build_seconds"])
                handoff.append(st["handoff_seconds"])
        w, h = statistics.median(walls), statistics.median(highs)
        print(f"| `--interface {interface} {' '.join(extra[variant])}` | {w:.2f} | {h:.2f} | "
              f"{statistics.median(build):.2f} | {statistics.median(handoff):.2f} | "
              f"{w / h:.2f} |", flush=True)
    print(f"\n{args.repeat} runs per start-up command, {args.solve_repeat} solves; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end.")


if __name__ == "__main__":
    main()
