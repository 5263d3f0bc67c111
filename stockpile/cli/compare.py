"""``stockpile compare``: national vs bilateral vs pooled, value of cooperation, fair split."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from .choices import INTERFACES
from .common import (
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_NO_PLAN,
    EXIT_OK,
    add_solve_limits,
    count_arg,
    err,
    load,
    threads_arg,
    workers_arg,
)
from .progress import Progress
from .whatif_args import add_whatif, whatif_folder, whatif_of


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("compare", help="national vs bilateral vs pooled: value of cooperation, "
                                       "settlement, Shapley split and core, IEA-style rules")
    c.set_defaults(run=cmd_compare)
    c.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    add_whatif(c)
    add_solve_limits(c)
    c.add_argument("--threads", type=threads_arg, default=None, help="HiGHS threads per solve")
    c.add_argument("--interface", choices=INTERFACES, default="standard_form")
    c.add_argument("--workers", type=workers_arg, default=min(2, os.cpu_count() or 1),
                   help="parallel processes for the mode, coalition and rule solves "
                        "(default: 2, or 1 on a one-core machine)")
    c.add_argument("--permutations", type=count_arg, default=200, metavar="N",
                   help="random orders for the sampled Shapley value above 6 holders")
    c.add_argument("--seed", type=int, default=0, help="seed of the sampled orders")
    c.add_argument("--no-shapley", action="store_true", help="skip the coalition game")
    c.add_argument("--no-rules", action="store_true", help="skip the IEA-style rules")
    c.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/compare/)")
    c.add_argument("--quiet", action="store_true", help="no progress lines")


def cmd_compare(args: argparse.Namespace) -> int:
    from ..analysis.compare import CompareOptions, run_compare
    from ..analysis.whatif import WhatIfError
    from ..report.compare_content import voc_sentence
    from ..report.compare_files import write_compare_report
    from ..report.files import output_folder
    from ..solve.highs import SolveOptions

    t0 = time.perf_counter()
    inst = load(args.instance)
    whatif = whatif_of(args)
    out_dir = output_folder(args.out, inst.name,
                            *[p for p in ("compare", whatif_folder(args)) if p])
    options = CompareOptions(
        solve=SolveOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads,
                           interface=args.interface),
        workers=args.workers, permutations=args.permutations, seed=args.seed,
        shapley=not args.no_shapley, rules=not args.no_rules,
        progress=None if args.quiet else Progress(0, False, "compare").done)
    if not args.quiet:
        n = len(inst.holders)
        err(f"[stockpile] comparing '{inst.name}': 3 modes"
            + (f" and {2 ** n - 2 if n <= options.exact_max_holders else 'sampled'} "
               "coalitions" if n > 1 and options.shapley else "")
            + f" on {len(inst.scenarios)} scenarios, {options.workers} process(es)")
    try:
        result = run_compare(inst, whatif, options)
    except WhatIfError as e:
        err(f"stockpile: {e}; nothing written.")
        return EXIT_INPUT
    if not result["ok"]:
        infeasible = any(m["solver"]["status"] in ("infeasible", "unbounded")
                         for m in result["modes"].values())
        err(f"stockpile: no comparison for '{inst.name}'; nothing written.")
        for mode, why in result["failed_modes"].items():
            err(f"  - {mode}: {why}")
            for reason in result["reasons"].get(mode, []):
                err(f"      {reason}")
        return EXIT_INFEASIBLE if infeasible else EXIT_NO_PLAN
    written = write_compare_report(result, out_dir)
    for mode, d in result["modes"].items():
        print(f"{mode:9s} {d['solver']['objective']:>18,.0f} USD  {d['solver']['summary']}")
    for j, v in result["value_of_cooperation"].items():
        print(voc_sentence(j, v))
    game = result.get("game") or {}
    if game.get("available"):
        print(game["core"]["sentence"])
    print(f"compare took {time.perf_counter() - t0:.1f} s")
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
