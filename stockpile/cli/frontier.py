"""``stockpile frontier``: optimised plans over a range of budgets and risk weights, each
evaluated out of sample; a table, a chart and the marginal value of budget."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .choices import MODES
from .common import (
    EXIT_INPUT,
    EXIT_OK,
    add_solve_limits,
    count_arg,
    err,
    load,
    run_pipeline,
    workers_arg,
)
from .evaluate import DEFAULT_SEED
from .progress import Progress, add_quiet
from .scenarios import add_sampling_options, add_structure_options, sampling_options, whole
from .whatif_args import add_whatif, whatif_folder, whatif_of


def number_list(minimum: float, strict: bool):  # noqa: ANN201
    def parse(text: str) -> list[float]:
        try:
            values = [float(x) for x in text.split(",") if x.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"value {text!r}: must be numbers separated by commas") from None
        bad = [v for v in values if v < minimum or (strict and v == minimum)]
        if not values or bad:
            rule = f"> {minimum:g}" if strict else f">= {minimum:g}"
            raise argparse.ArgumentTypeError(f"value {text!r}: every number must be {rule}")
        return values
    return parse


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("frontier", help="plans over budgets and risk weights, out of sample")
    s.set_defaults(run=cmd_frontier)
    s.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    s.add_argument("--budgets", type=number_list(0.0, True), default=[0.5, 1.0, 1.5, 2.0],
                   help="budget scales, every holder's B_h times each (default 0.5,1,1.5,2)")
    s.add_argument("--lambdas", type=number_list(0.0, False), default=[0.0, 1.0],
                   help="risk weights lambda of CVaR (default 0,1)")
    s.add_argument("--alpha", type=float, default=0.95, help="CVaR level (default 0.95)")
    s.add_argument("--mode", choices=MODES, default="bilateral")
    add_sampling_options(s, 10000, DEFAULT_SEED)  # evaluate's sample: the same figures
    s.add_argument("--sample", type=count_arg, default=None, metavar="N",
                   help="optimise on N equally likely library scenarios instead of the "
                        "instance's own (the CVaR tail should hold 10 or more: N (1 - alpha) "
                        ">= 10)")
    s.add_argument("--sample-seed", type=whole(0), default=1, metavar="S",
                   help="seed of --sample (default 1: with the instance's size, its own "
                        "scenarios again)")
    add_structure_options(s)
    add_solve_limits(s)
    s.add_argument("--workers", type=workers_arg, default=min(2, os.cpu_count() or 1),
                   help="points solved and evaluated at once, one process each (default: "
                        "2, or 1 on one core)")
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/frontier/)")
    add_whatif(s)
    add_quiet(s)


def cmd_frontier(args: argparse.Namespace) -> int:
    from ..analysis.frontier import FrontierOptions, run_frontier
    from ..report import evaluate_report as rep
    from ..report.files import output_folder
    from ..solve.highs import SolveOptions

    bar = Progress(len(args.budgets) * len(args.lambdas), args.quiet, "frontier")
    try:
        options = FrontierOptions(
            tuple(args.budgets), tuple(args.lambdas), args.alpha, args.mode,
            sampling_options(args), SolveOptions(mip_gap=args.gap, time_limit=args.time_limit),
            args.workers, whatif_of(args), bar.step, args.sample, args.sample_seed)
    except ValueError as e:
        err(f"stockpile frontier: {e}; nothing written.")
        return EXIT_INPUT
    inst = load(args.instance)
    out_dir = output_folder(args.out, inst.name,
                            *[p for p in ("frontier", whatif_folder(args)) if p])
    result = run_pipeline("frontier", lambda: run_frontier(inst, options))
    if isinstance(result, int):
        return result
    res = result.to_dict()
    written = rep.write_files(rep.frontier_files(res), out_dir)
    for line in res["warnings"]:
        err(f"stockpile frontier: warning: {line}")
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
