"""``stockpile frontier``: optimised plans over a range of budgets and risk weights, each
evaluated out of sample; a table, a chart and the marginal value of budget."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..model.modes import MODES
from .common import EXIT_INPUT, EXIT_NO_PLAN, EXIT_OK, add_solve_limits, err
from .scenarios import add_sampling_options, add_structure_options


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
    add_sampling_options(s, 10000, 20261)
    add_structure_options(s)
    add_solve_limits(s)
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/frontier/)")


def frontier_markdown(name: str, rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    from ..report import evaluate_report as rep
    from ..report import format as fmt

    cols = [("lambda", "lambda", lambda v: f"{v:g}"), ("budget (USD)", "budget", fmt.usd),
            ("status", "status", fmt.text), ("stock (t)", "stock_t", fmt.tonnes),
            ("mean cost (USD)", "mean", fmt.usd),
            ("95% CI", "ci95", lambda v: f"{fmt.usd(v[0])} to {fmt.usd(v[1])}"),
            ("CVaR 95%", "cvar95", fmt.usd),
            ("expected shortfall", "expected_shortfall", fmt.usd),
            ("marginal value of 1 USD", "marginal_value",
             lambda v: fmt.DASH if v is None else f"{v:.3f}"),
            ("shortfall avoided per USD", "shortfall_avoided_per_usd",
             lambda v: fmt.DASH if v is None else f"{v:.3f}")]
    lines = [f"# Budget and risk frontier: {name}", "",
             f"Each plan minimises expected cost + lambda * CVaR {args.alpha:g} on the "
             f"instance's scenarios and is evaluated on {args.n:,} fresh scenarios (seed "
             f"{args.seed}). The marginal value of budget is the fall of expected total cost "
             "per extra dollar between consecutive budgets.", ""]
    return "\n".join(lines + rep._table(rows, cols) + [""])


def cmd_frontier(args: argparse.Namespace) -> int:
    from ..analysis.frontier import frontier
    from ..instance import load
    from ..model.data import model_data
    from ..report import evaluate_report as rep
    from ..report.files import output_folder
    from ..solve.highs import SolveOptions
    from .evaluate import out_of_sample

    if not 0 <= args.alpha < 1:
        err(f"stockpile frontier: --alpha {args.alpha!r}: must be in [0, 1); nothing written.")
        return EXIT_INPUT
    inst = load(args.instance)
    out_dir = output_folder(args.out, inst.name, "frontier")
    try:
        data_in = model_data(inst, args.mode)
        data_out = out_of_sample(inst, args).apply(data_in)
        rows = frontier(data_in, data_out, args.budgets, args.lambdas, args.alpha,
                        SolveOptions(mip_gap=args.gap, time_limit=args.time_limit))
    except ValueError as e:
        err(f"stockpile frontier: {e}; nothing written.")
        return EXIT_INPUT
    except RuntimeError as e:
        err(f"stockpile frontier: {e}; nothing written.")
        return EXIT_NO_PLAN
    md = frontier_markdown(inst.name, rows, args)
    series_es = {f"lambda {lam:g}": [(r["budget"], r["expected_shortfall"]) for r in rows
                                     if r["lambda"] == lam] for lam in args.lambdas}
    series_cv = {f"lambda {lam:g}": [(r["budget"], r["cvar95"]) for r in rows
                                     if r["lambda"] == lam] for lam in args.lambdas}
    charts = [rep.line_chart(series_es, "Expected shortfall cost against budget",
                             "total budget (USD)", "expected shortfall cost out of sample"),
              rep.line_chart(series_cv, "CVaR 95% of total cost against budget",
                             "total budget (USD)", "CVaR 95% of total cost out of sample")]
    keys = ["lambda", "budget_scale", "budget", "status", "gap", "in_sample_objective",
            "stock_t", "mean", "std_error", "cvar95", "expected_shortfall",
            "probability_any_shortfall", "marginal_value", "shortfall_avoided_per_usd"]
    written = rep.write_files({
        "frontier.md": md, "frontier.html": rep.page(f"Frontier of {inst.name}", md, charts),
        "frontier.csv": rep.csv_text(rows, keys),
        "frontier.json": {"instance": inst.name, "alpha": args.alpha, "scenarios": args.n,
                          "seed": args.seed, "rows": rows}}, out_dir)
    print(md)
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
