"""``stockpile evaluate``: a plan (the optimiser's or a file's) and today's rules on a fresh,
larger, independent scenario sample, with VSS and EVPI."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .choices import MODES
from .common import EXIT_OK, add_solve_limits, err, load, run_pipeline
from .progress import Progress, add_quiet
from .scenarios import add_sampling_options, add_structure_options, sampling_options, whole
from .whatif_args import add_whatif, whatif_folder, whatif_of

# The one default out-of-sample draw (evaluate and frontier): the same figures in both;
# analysis.evidence.DEFAULT_SEED, written here so that --help imports no analysis module.
DEFAULT_SEED = 20260


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("evaluate", help="evaluate plans out of sample against today's rules")
    s.set_defaults(run=cmd_evaluate)
    s.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    s.add_argument("--plan", type=Path, default=None,
                   help="plan.csv or result.json of 'stockpile solve' (default: optimise the "
                        "instance on its own scenarios)")
    s.add_argument("--mode", choices=MODES, default="bilateral")
    add_sampling_options(s, 10000, DEFAULT_SEED)
    add_structure_options(s)
    s.add_argument("--no-baselines", action="store_true", help="skip the days-of-cover rules")
    s.add_argument("--vss", action="store_true",
                   help="value of the stochastic solution (solves the mean-value problem)")
    s.add_argument("--evpi", type=whole(2), default=None, metavar="N",
                   help="expected value of perfect information on N scenarios solved alone")
    add_solve_limits(s)
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/evaluate/)")
    add_whatif(s)
    add_quiet(s)


def evaluation_options(args: argparse.Namespace, progress: Progress) -> Any:
    """The options of the evaluate command line, progress lines to ``progress``."""
    from ..analysis.out_of_sample import EvaluationOptions
    from ..solve.highs import SolveOptions

    def step(text: str, total: int) -> None:
        progress.total = total
        progress.step(text)

    return EvaluationOptions(
        mode=args.mode, plan=args.plan, sampling=sampling_options(args),
        baselines=not args.no_baselines, vss=args.vss, evpi=args.evpi,
        solve=SolveOptions(mip_gap=args.gap, time_limit=args.time_limit),
        whatif=whatif_of(args), progress=step)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..analysis.out_of_sample import run_evaluation
    from ..report import evaluate_report as rep
    from ..report.files import output_folder

    inst = load(args.instance)
    out_dir = output_folder(args.out, inst.name,
                            *[p for p in ("evaluate", whatif_folder(args)) if p])
    bar = Progress(0, args.quiet, "evaluate")
    result = run_pipeline("evaluate",
                          lambda: run_evaluation(inst, evaluation_options(args, bar)))
    if isinstance(result, int):
        return result
    res = result.to_dict()
    written = rep.write_files(rep.evaluation_files(res), out_dir)
    for o in result.plans:
        r, d = o.figures, o.minus_first
        print(f"{o.plan.name:28s} mean {r['mean']:>15,.0f} [{r['ci95'][0]:,.0f}, "
              f"{r['ci95'][1]:,.0f}]  minus first [{d['ci95'][0]:,.0f}, {d['ci95'][1]:,.0f}]"
              f"  CVaR95 {r['cvar95']:,.0f}  P(shortfall) {r['probability_any_shortfall']:.1%}")
    for key in ("vss", "evpi"):
        if key in res:
            d = res[key][key]
            print(f"{key.upper()}: {d['mean']:,.0f} USD (standard error {d['std_error']:,.0f})")
    warning = rep.warning_text(res)
    if warning:
        err(warning)
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
