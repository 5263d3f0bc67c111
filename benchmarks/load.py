"""Load time and peak memory of instances of the quick instance's shape with many scenarios.

    python benchmarks/load.py                      # 6,000, 60,000 and 600,000 scenarios
    python benchmarks/load.py --sizes 6000 60000 --out benchmarks/results/<stamp>-load.md

Each size is written as a YAML file (instances/us_japan_2026_quick.yaml with its scenarios
replaced by N equally likely ones, each a supply cut of one holder and material over the
three periods, about 130 bytes a scenario, the shape of issue 21's probe) and loaded by
``stockpile validate`` in a fresh process (which also computes the content hash and lists
overlapping entries); its wall time, CPU time and peak resident memory (ru_maxrss) are
printed, with the machine's load average. Issue 21: loading must grow linearly, and an instance too
large for the machine must be refused up front with its size and the memory it would need.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUICK = ROOT / "instances" / "us_japan_2026_quick.yaml"


def instance_text(n: int) -> str:
    """The quick instance's YAML with ``n`` small equally likely scenarios."""
    raw = yaml.safe_load(QUICK.read_text(encoding="utf-8"))
    raw.pop("scenarios")
    raw["name"] = f"load_{n}"
    raw["scenarios"] = []  # last, so the scenarios below are appended to it
    head = yaml.safe_dump(raw, sort_keys=False)
    holders = [h["id"] for h in raw["holders"]]
    materials = [m["id"] for m in raw["materials"]]
    p = repr(1.0 / n)
    lines = [head.replace("scenarios: []\n", "scenarios:\n")]
    for i in range(n):
        h, m = holders[i % len(holders)], materials[i % len(materials)]
        cut = round(0.1 + 0.8 * ((i * 7919) % 1000) / 1000, 3)
        lines.append(f"- id: s{i}\n  probability: {p}\n  supply:\n  - {{holder: {h}, "
                     f"material: {m}, values: [{cut}, {cut}, 1.0]}}\n")
    return "".join(lines)


def measure(path: Path, timeout: float) -> tuple[float, float, float, int, str]:
    """(wall seconds, CPU seconds, peak MB of the child, exit code, last line of its output).
    CPU time (user + system) is what a shared machine's load inflates least."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu0 = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    t0 = time.perf_counter()
    env = dict(os.environ, STOCKPILE_MAX_INPUT_MB="128")
    proc = subprocess.run([sys.executable, "-m", "stockpile", "validate", str(path)],
                          capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)
    wall = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = (proc.stdout + proc.stderr).strip().splitlines()
    # ru_maxrss of the children is the largest so far: sizes are measured in rising order
    return (wall, usage.ru_utime + usage.ru_stime - cpu0, max(usage.ru_maxrss, before) / 1024,
            proc.returncode, out[-1] if out else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[6000, 60000, 600000])
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args()
    rows = ["| scenarios | file MB | wall s | CPU s | peak MB | exit | last line |",
            "|---:|---:|---:|---:|---:|---:|---|"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(rows[0])
    print(rows[1])
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(args.sizes):
            path = Path(tmp) / f"load_{n}.yaml"
            path.write_text(instance_text(n), encoding="utf-8")
            mb = path.stat().st_size / 2**20
            wall, cpu, peak, code, last = measure(path, args.timeout)
            row = (f"| {n:,} | {mb:.1f} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {code} | "
                   f"{last[:100]} |")
            rows.append(row)
            print(row, flush=True)
    if args.out:
        args.out.write_text(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
                            "cores\n\n" + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
