"""``stockpile solve`` and ``stockpile validate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..instance import load
from ..model.data import MODES
from ..solve.highs import INTERFACES, SolveOptions
from .common import (
    EXIT_INFEASIBLE,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OK,
    err,
    gap_arg,
    positive_float,
    threads_arg,
)


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("solve", help="solve an instance and write the recommendation report")
    s.set_defaults(run=cmd_solve)
    s.add_argument("instance", type=Path, help="instance file (.yaml, .yml or .json)")
    s.add_argument("--mode", choices=MODES, default="bilateral",
                   help="national: no sharing; bilateral: agreements are decisions (default); "
                        "pooled: one joint pool, the bound on what cooperation can give")
    s.add_argument("--time-limit", type=positive_float, default=None, metavar="SECONDS",
                   help="stop after this many seconds and report the best plan with its gap")
    s.add_argument("--gap", type=gap_arg, default=1e-4, metavar="REL",
                   help="relative optimality gap at which HiGHS stops (default 1e-4)")
    s.add_argument("--threads", type=threads_arg, default=None, help="HiGHS threads")
    s.add_argument("--interface", choices=INTERFACES, default="standard_form",
                   help="hand-off from Pyomo to HiGHS (default: standard_form, the fastest)")
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/)")
    s.add_argument("--log", action="store_true", help="show HiGHS's own log")
    s.add_argument("--quiet", action="store_true", help="no progress lines")

    v = sub.add_parser("validate", help="check an instance file and print its content hash")
    v.add_argument("instance", type=Path)
    v.set_defaults(run=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..instance import content_hash

    inst = load(args.instance)
    print(f"{args.instance}: valid instance '{inst.name}' ({len(inst.holders)} holders, "
          f"{len(inst.materials)} materials, {len(inst.products)} products, "
          f"{len(inst.periods)} periods, {len(inst.scenarios)} scenarios)")
    print(f"content hash: {content_hash(inst)}")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from ..pipeline import run_solve
    from ..report import write_solve_report

    inst = load(args.instance)
    out_dir = args.out or Path("reports") / inst.name
    options = SolveOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads,
                           progress=not args.quiet, log=args.log, interface=args.interface)
    if not args.quiet:
        err(f"[stockpile] solving '{inst.name}' in {args.mode} mode "
             f"({len(inst.scenarios)} scenarios)")
    outcome = run_solve(inst, args.mode, options)
    st = outcome.stats
    if not st.has_plan:
        if st.status in ("infeasible", "unbounded"):
            err(f"stockpile: no feasible plan for '{inst.name}' ({st.status}).")
            for r in outcome.reasons or [st.message]:
                err(f"  - {r}")
            return EXIT_INFEASIBLE
        if st.status == "interrupted":
            err("stockpile: interrupted before any plan was found; nothing written.")
            return EXIT_INTERRUPTED
        err(f"stockpile: {st.describe()}; nothing written.")
        return EXIT_NO_PLAN
    written = write_solve_report(outcome.as_dict(), out_dir)
    print(f"{st.describe()}")
    print(f"objective {st.objective:,.0f} USD, best bound "
          f"{st.bound:,.0f} USD" if st.bound is not None else
          f"objective {st.objective:,.0f} USD, no bound proven")
    print(f"build {st.build_seconds:.2f} s, hand-off {st.handoff_seconds:.2f} s, "
          f"solve {st.solve_seconds:.2f} s")
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
