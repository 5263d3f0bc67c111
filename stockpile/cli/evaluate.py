"""``stockpile evaluate``: a plan (the optimiser's or a file's) and today's rules on a fresh,
larger, independent scenario sample, with VSS and EVPI."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from .choices import MODES
from .common import EXIT_INPUT, EXIT_NO_PLAN, EXIT_OK, add_solve_limits, err
from .progress import Progress, add_quiet
from .scenarios import add_sampling_options, add_structure_options, whole
from .whatif_args import add_whatif, load_with_whatif

# The one default out-of-sample draw (evaluate and frontier): the same figures in both.
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


def out_of_sample(inst: Any, args: argparse.Namespace) -> Any:
    """The fresh sample; with the nds structure the instance's periods must be NDS ones."""
    from ..scenarios import DEFAULT_LIBRARY, sample

    sset = sample(inst, args.n, args.seed, DEFAULT_LIBRARY.scaled(args.rate_scale),
                  args.structure, args.conflict_years, args.recovery_years,
                  args.conflict_factor, prefix="oos", keep_periods=args.keep_periods)
    have = [(p.id, p.years) for p in inst.periods]
    want = [(p.id, p.years) for p in sset.periods]
    if have != want:
        raise ValueError(f"--structure {args.structure}: gives periods {want}, the instance "
                         f"has {have}; generate the instance with the same structure")
    return sset


def evaluation_result(inst: Any, args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from ..analysis import baselines
    from ..analysis.evaluate import Plan, evaluate, paired_difference, plan_from_file
    from ..analysis.frontier import (
        optimise,
        value_of_perfect_information,
        value_of_stochastic_solution,
    )
    from ..model.data import model_data
    from ..solve.highs import SolveOptions

    t0 = time.perf_counter()
    bar = Progress(2 + (0 if args.no_baselines else 5) + 1 + bool(args.vss) + bool(args.evpi),
                   getattr(args, "quiet", False), "evaluate")
    options = SolveOptions(mip_gap=args.gap, time_limit=args.time_limit)
    data_in = model_data(inst, args.mode)
    if args.plan is not None:
        plan = plan_from_file(args.plan, data_in)
    else:
        plan, _ = optimise(data_in, options)
    bar.step(f"plan {plan.name!r} ready")
    sset = out_of_sample(inst, args)
    data_out = sset.apply(data_in)
    bar.step(f"{args.n:,} fresh scenarios sampled (seed {args.seed})")
    names = [m.name for m in inst.materials]
    rules = [] if args.no_baselines else baselines.rules_held(data_in, names, options)
    plans = [plan] + [r for r in rules if r.feasible]
    plans.append(Plan("no stock", np.zeros_like(plan.lots)))
    bar.total = 2 + len(plans) + bool(args.vss) + bool(args.evpi)
    evals = []
    for p in plans:
        evals.append(evaluate(data_out, p))
        bar.step(f"evaluated {p.name}")
    rows = []
    for p, ev in zip(plans, evals):
        rows.append({**ev.summary(), "days_of_cover": baselines.days_of_cover(data_out, p),
                     "minus_first": paired_difference(ev, evals[0]),
                     "lots": {f"{data_out.holders[h]}|{data_out.products[k]}": int(p.lots[h, k])
                              for h, k in zip(*np.nonzero(p.lots))},
                     "agreements": sorted(p.agreements), "status": p.status,
                     "notes": list(p.notes)})
    res: dict[str, Any] = {
        "instance": inst.name, "mode": args.mode, "scenarios": args.n, "seed": args.seed,
        "structure": args.structure, "rate_scale": args.rate_scale,
        "in_sample_scenarios": _optimised_on(args.plan, len(inst.scenarios)), "plans": rows,
        "shortfall_by_holder_material": evals[0].shortfall_table(data_out)}
    if args.vss:
        res["vss"] = value_of_stochastic_solution(data_in, data_out, evals[0], options)
        bar.step("value of the stochastic solution")
    if args.evpi:
        res["evpi"] = value_of_perfect_information(data_out, evals[0], args.evpi, options)
        bar.step("expected value of perfect information")
    res["seconds"] = time.perf_counter() - t0
    return res


def _optimised_on(plan: Path | None, instance_scenarios: int) -> int | None:
    """How many scenarios the evaluated plan was optimised on: the instance's for the plan
    optimised here; for a plan file, what its result.json says (None when not known, e.g.
    a plan.csv, rather than the instance's count, which may not be the plan's)."""
    if plan is None:
        return instance_scenarios
    if plan.suffix.lower() == ".json":
        import json

        try:
            n = (json.loads(plan.read_text(encoding="utf-8")).get("instance") or {}).get(
                "scenarios")
        except (OSError, ValueError, AttributeError):
            return None
        return int(n) if isinstance(n, int) else None
    return None


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..report import evaluate_report as rep

    loaded = load_with_whatif(args, "evaluate")
    if loaded is None:
        return EXIT_INPUT
    inst, notes, out_dir = loaded
    try:
        res = evaluation_result(inst, args)
        res["whatif"] = notes
    except ValueError as e:
        err(f"stockpile evaluate: {e}; nothing written.")
        return EXIT_INPUT
    except RuntimeError as e:
        err(f"stockpile evaluate: {e}; nothing written.")
        return EXIT_NO_PLAN
    keys = ["plan", "days_of_cover", "first_stage_cost", "mean", "std_error", "p05", "p50",
            "p95", "cvar95", "expected_shortfall", "shortfall_cvar95",
            "probability_any_shortfall", "lp_scenarios", "seconds"]
    written = rep.write_files(rep.evaluation_files(res, keys), out_dir)
    for r in res["plans"]:
        d = r["minus_first"]
        print(f"{r['plan']:28s} mean {r['mean']:>15,.0f} [{r['ci95'][0]:,.0f}, "
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
