"""``stockpile sensitivity``: how the optimal plan and its expected cost move when tier costs,
prices, market caps, budgets and disruption probabilities move (a table and a tornado chart)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .choices import MODES
from .common import (
    EXIT_INPUT,
    EXIT_NO_PLAN,
    EXIT_OK,
    add_solve_limits,
    err,
    positive_float,
    workers_arg,
)
from .progress import Progress, add_quiet
from .whatif_args import add_whatif, whatif_folder, whatif_of


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("sensitivity", help="how the plan and its cost move when the inputs move")
    s.set_defaults(run=cmd_sensitivity)
    s.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    s.add_argument("--mode", choices=MODES, default="bilateral")
    s.add_argument("--step", type=positive_float, default=0.2,
                   help="each input scaled by 1 - STEP and 1 + STEP (default 0.2)")
    add_whatif(s)
    add_solve_limits(s)
    s.add_argument("--workers", type=workers_arg, default=min(2, os.cpu_count() or 1),
                   help="re-solves at once, one process each (default: 2, or 1 on one core)")
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/sensitivity/)")
    add_quiet(s)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from ..analysis.sensitivity import PARAMETERS, library_reweight, sensitivity
    from ..analysis.whatif import WhatIfError, apply_whatif
    from ..instance import load
    from ..model.data import model_data
    from ..report import evaluate_report as rep
    from ..report.html import html_document
    from ..report.markdown import markdown
    from ..report.sensitivity_report import sensitivity_document, tornado_chart
    from ..solve.highs import SolveOptions

    if not args.step < 1:
        err(f"stockpile sensitivity: --step {args.step!r}: must be in (0, 1); nothing written.")
        return EXIT_INPUT
    inst = load(args.instance)
    try:
        applied = apply_whatif(inst, whatif_of(args))
    except WhatIfError as e:
        err(f"stockpile: {e}; nothing written.")
        return EXIT_INPUT
    out_dir = args.out or Path("reports") / inst.name / "sensitivity" / whatif_folder(args)
    bar = Progress(1 + 2 * len(PARAMETERS), args.quiet, "sensitivity")
    try:
        data = model_data(applied.instance, args.mode)
        sens = sensitivity(data, args.step,
                           SolveOptions(mip_gap=args.gap, time_limit=args.time_limit,
                                        progress=False), bar.step,
                           library_reweight(applied.instance, data), args.workers)
    except RuntimeError as e:
        err(f"stockpile sensitivity: {e}; nothing written.")
        return EXIT_NO_PLAN
    result = {"instance": inst.name, "mode": args.mode, "whatif": applied.notes,
              "sensitivity": sens}
    doc = sensitivity_document(inst.name, args.mode, result)
    written = rep.write_files({
        "sensitivity.md": markdown(doc),
        "sensitivity.html": html_document(doc, result, {"sensitivity": [tornado_chart]},
                                          ok=sens["base_status"] == "optimal"),
        "sensitivity.xlsx": doc, "sensitivity.json": result}, out_dir)
    for row in sens["ranking"]:
        why = "; ".join(f"{side}: {row[f'why_{side}']}" for side in ("down", "up")
                        if row.get(f"why_{side}"))
        print(f"{row['parameter']:26s} down {_usd(row['down'])}  up {_usd(row['up'])}"
              + (f"  NOT RELIABLE ({why})" if why else ""))
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK


def _usd(x: float | None) -> str:
    return f"{'n/a':>16s}" if x is None else f"{x:>+16,.0f} USD"
