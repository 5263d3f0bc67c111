"""Build, hand-off and solve times of named instances, with both Pyomo-to-HiGHS hand-offs.

    python benchmarks/solve_times.py [INSTANCE ...] [--repeat N] [--interfaces a,b] [--mode M]

Prints, per instance and hand-off, the model size and the median of N runs of: model build
(Pyomo components), hand-off (compile + pass to HiGHS), HiGHS solve, and the ratio of
build + hand-off to the solve. Figures are wall-clock seconds on this machine; quote medians
and ratios, not single runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stockpile.instance import load  # noqa: E402
from stockpile.model.build import build_model  # noqa: E402
from stockpile.model.data import model_data  # noqa: E402
from stockpile.solve.highs import SolveOptions, solve  # noqa: E402

DEFAULT = [ROOT / "instances" / "us_japan_2026.yaml", ROOT / "instances" / "us_japan_2026_s100.yaml"]


def run_once(path: Path, mode: str, interface: str, threads: int | None) -> dict[str, float]:
    inst = load(path)
    data = model_data(inst, mode)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    model = build_model(data)
    build = time.perf_counter() - t0
    st = solve(model, SolveOptions(interface=interface, threads=threads, mip_gap=1e-4))
    return {"build": build, "handoff": st.handoff_seconds, "solve": st.solve_seconds,
            "objective": st.objective or float("nan"), "gap": st.gap or 0.0,
            "vars": st.n_variables, "ints": st.n_integer, "rows": st.n_constraints,
            "nnz": st.n_nonzeros, "status": st.status}  # type: ignore[dict-item]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--interfaces", default="standard_form,appsi")
    ap.add_argument("--mode", default="bilateral")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    head = (f"{'instance':28} {'hand-off':13} {'status':8} {'vars':>7} {'ints':>5} {'rows':>7} "
            f"{'nnz':>8} {'build s':>8} {'handoff s':>9} {'solve s':>8} {'(b+h)/s':>8} "
            f"{'objective':>16}")
    print(head)
    print("-" * len(head))
    for path in args.instances:
        for interface in args.interfaces.split(","):
            runs = [run_once(path, args.mode, interface, args.threads) for _ in range(args.repeat)]
            med = {k: statistics.median(r[k] for r in runs) for k in ("build", "handoff", "solve")}
            r0 = runs[0]
            ratio = (med["build"] + med["handoff"]) / max(med["solve"], 1e-9)
            print(f"{path.stem:28} {interface:13} {r0['status']:8} {r0['vars']:>7} "
                  f"{r0['ints']:>5} {r0['rows']:>7} {r0['nnz']:>8} {med['build']:>8.2f} "
                  f"{med['handoff']:>9.2f} {med['solve']:>8.2f} {ratio:>8.2f} "
                  f"{r0['objective']:>16,.0f}", flush=True)
    print(f"\nmedians of {args.repeat} runs; mode {args.mode}; mip_rel_gap 1e-4")


if __name__ == "__main__":
    main()
