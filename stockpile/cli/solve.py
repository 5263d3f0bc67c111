"""``stockpile solve`` and ``stockpile validate``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.modes import MODES
from ..solve.options import INTERFACES, SolveOptions
from .common import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OK,
    count_arg,
    err,
    gap_arg,
    load,
    positive_float,
    threads_arg,
    time_limit_arg,
)
from .progress import Progress, add_quiet
from .whatif_args import add_whatif, whatif_folder, whatif_of

if TYPE_CHECKING:
    from ..pipeline import Outcome


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("solve", help="solve an instance and write the recommendation report")
    s.set_defaults(run=cmd_solve)
    s.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    s.add_argument("--mode", choices=MODES, default="bilateral",
                   help="national: no sharing; bilateral: agreements are decisions (default); "
                        "pooled: one joint pool, the bound on what cooperation can give")
    s.add_argument("--time-limit", type=time_limit_arg, default=None, metavar="SECONDS",
                   help="stop after this many seconds and report the best plan with its gap")
    s.add_argument("--gap", type=gap_arg, default=1e-4, metavar="REL",
                   help="relative optimality gap at which HiGHS stops (default 1e-4)")
    s.add_argument("--threads", type=threads_arg, default=None, help="HiGHS threads")
    s.add_argument("--interface", choices=INTERFACES, default="standard_form",
                   help="hand-off from Pyomo to HiGHS (default: standard_form, the fastest)")
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/<instance name>/)")
    s.add_argument("--engine", choices=("ef", "ph", "benders"), default="ef",
                   help="ef: the extensive form in HiGHS (default); ph: progressive hedging "
                        "over MPI with mpi-sppy, run under mpiexec -n 3; benders: the L-shaped "
                        "method, one process or mpiexec -n K (docs/decomposition.md)")
    s.add_argument("--ph-iterations", type=count_arg, default=100, metavar="N",
                   help="--engine ph: at most N progressive-hedging iterations (default 100)")
    s.add_argument("--rho-factor", type=positive_float, default=1.0, metavar="F",
                   help="--engine ph: rho of each first-stage variable = F times its "
                        "first-stage cost coefficient (default 1)")
    s.add_argument("--bundles", type=count_arg, default=None, metavar="K",
                   help="--engine ph: K scenarios per bundle (each bundle one extensive-form "
                        "subproblem); default: no bundles; --engine benders: K scenarios per "
                        "subproblem LP (default 250, fewer to give every MPI rank one; one "
                        "cut per independent block of all bundles)")
    add_evidence_options(s)
    s.add_argument("--sensitivity", nargs="?", type=positive_float, const=0.2, default=None,
                   metavar="STEP", help="add the sensitivity section: re-solve with tier "
                   "costs, prices, market caps, budgets and disruption probabilities each "
                   "scaled by 1 -/+ STEP (default 0.2)")
    s.add_argument("--no-tier-shapes", action="store_true",
                   help="skip the plan under a flatter and a steeper shape of the shortfall "
                        "tiers (two re-solves warm-started from the plan, at a gap of 0.1%% "
                        "or --gap if tighter, each within --tier-shape-limit)")
    s.add_argument("--tier-shape-limit", type=time_limit_arg, default=30.0, metavar="SECONDS",
                   help="time limit of each tier-shape re-solve (default 30); the proven gap "
                        "is reported")
    s.add_argument("--no-why", action="store_true",
                   help="skip the 'why this plan' LPs (about 15%% of the solve time on "
                        "200,000-variable models)")
    add_whatif(s)
    s.add_argument("--log", action="store_true", help="show HiGHS's own log")
    s.add_argument("--quiet", action="store_true", help="no progress lines")

    v = sub.add_parser("validate", help="check an instance file and print its content hash")
    v.add_argument("instance", type=Path, help="instance file (.yaml, .yml, .json or .xlsx)")
    v.set_defaults(run=cmd_validate)
    add_quiet(v)


def add_evidence_options(s: argparse.ArgumentParser) -> None:
    """The out-of-sample check, the statistical gap and --sample."""
    s.add_argument("--check-scenarios", type=count_arg, default=5000, metavar="N",
                   help="fresh library scenarios of the out-of-sample check of the plan "
                        "against today's rules (default 5000)")
    s.add_argument("--no-check", action="store_true",
                   help="skip the out-of-sample check (the report then says it was skipped)")
    s.add_argument("--replications", type=replications_arg, default=None, metavar="G",
                   help="statistical optimality gap from G sample-average replications "
                        "(Mak, Morton and Wood); default: the instance's own setting, else 0")
    s.add_argument("--replication-size", type=count_arg, default=None, metavar="N",
                   help="scenarios per replication (default: as many as the instance has)")
    s.add_argument("--replication-engine", choices=("ef", "benders"), default="ef",
                   help="how each replication's sample problem is bounded: ef, the extensive "
                        "form (default); benders, the L-shaped method (larger samples)")
    s.add_argument("--replication-gap", type=gap_arg, default=None, metavar="REL",
                   help="relative gap to which each replication's sample problem is solved "
                        "(default: --gap); its proven bound enters the statistical gap")
    s.add_argument("--sample", type=count_arg, default=None, metavar="N",
                   help="solve on N equally likely scenarios drawn from the calibrated event "
                        "library instead of the file's (the file is not changed)")
    s.add_argument("--sample-seed", type=int, default=1, metavar="S",
                   help="seed of --sample (default 1, the seed the shipped instances were "
                        "drawn with: --sample 100 gives the default instance's own scenarios)")


def replications_arg(text: str) -> int:
    value = count_arg(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"value {text!r}: an interval needs >= 2 replications")
    return value


def cmd_validate(args: argparse.Namespace) -> int:
    from ..instance import content_hash, load
    from ..instance.validate import overlaps

    inst = load(args.instance)
    counts = ", ".join(f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
                       for noun, items in (("holder", inst.holders),
                                           ("material", inst.materials),
                                           ("product", inst.products),
                                           ("period", inst.periods),
                                           ("scenario", inst.scenarios)))
    print(f"{args.instance}: valid instance '{inst.name}' ({counts})")
    print(f"content hash: {content_hash(inst)}")
    found = overlaps(inst)
    for line in found[:20]:
        print(f"note: {line}")
    if len(found) > 20:
        print(f"note: and {len(found) - 20:,} more overlapping entries")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    if args.engine == "ph":
        return cmd_solve_ph(args)
    from ..analysis.whatif import WhatIfError, apply_whatif
    from ..report.files import output_folder

    if args.sensitivity is not None and not args.sensitivity < 1:
        err(f"stockpile solve: --sensitivity {args.sensitivity!r}: the step must be in "
            "(0, 1); nothing written.")
        return EXIT_INPUT
    inst = sampled(load(args.instance), args)
    try:
        applied = apply_whatif(inst, whatif_of(args))
    except WhatIfError as e:
        err(f"stockpile: {e}; nothing written.")
        return EXIT_INPUT
    if applied.notes and args.engine != "ef":
        err(f"stockpile: {'; '.join(applied.notes)}: what-ifs need --engine ef; "
            "nothing written.")
        return EXIT_INPUT
    if applied.agreements and args.mode != "bilateral":
        err(f"stockpile: --force-agreement/--forbid-agreement: only in bilateral mode (mode "
            f"{args.mode} has no agreements to fix); nothing written.")
        return EXIT_INPUT
    out_dir = output_folder(args.out, inst.name, *[p for p in (whatif_folder(args),) if p])
    outcome = (solve_benders(args, inst) if args.engine == "benders"
               else solve_ef(args, applied))
    if outcome is None:  # an MPI rank other than 0: rank 0 reports
        return EXIT_OK
    extra: dict[str, Any] = {"whatif": applied.notes} if applied.notes else {}
    extra["command"] = getattr(args, "command_line", None)
    if args.sample:
        extra["sampled"] = {"scenarios": args.sample, "seed": args.sample_seed}
    if outcome.plan is not None and not args.no_check:
        check_plan(args, outcome)
    if outcome.plan is not None:
        extra["tier_shapes"] = tier_shape_figures(args, outcome)
    if args.sensitivity is not None and outcome.stats.has_plan:
        from ..analysis.sensitivity import PARAMETERS, library_reweight, sensitivity

        bar = Progress(1 + 2 * len(PARAMETERS), args.quiet, "sensitivity")
        extra["sensitivity"] = sensitivity(
            outcome.data, args.sensitivity,
            SolveOptions(mip_gap=args.gap, time_limit=args.time_limit, threads=args.threads,
                         progress=False), bar.step,
            library_reweight(outcome.instance, outcome.data, args.sample_seed))
    return _report(outcome, out_dir, extra)


def sampled(inst, args: argparse.Namespace):  # noqa: ANN001, ANN201 (Instance, lazily)
    """``--sample N``: the instance with its scenarios replaced by N equally likely ones
    drawn from the calibrated event library (seed ``--sample-seed``; with the seed and size
    a shipped instance was built with, its own scenarios again)."""
    if not args.sample:
        return inst
    from ..scenarios import sample, with_scenarios

    note = (f"Scenarios: {args.sample} equally likely draws from stockpile's calibrated "
            f"event library (seed {args.sample_seed}; stockpile solve --sample), replacing "
            f"the {len(inst.scenarios)} of the file.")
    return with_scenarios(inst, sample(inst, args.sample, args.sample_seed, prefix="lib"),
                          source_note=note)


def solve_ef(args: argparse.Namespace, applied) -> Outcome:  # noqa: ANN001
    """The extensive form in HiGHS (the default engine), what-ifs applied."""
    from ..pipeline import run_solve

    inst = applied.instance
    options = SolveOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads,
                           progress=not args.quiet, log=args.log, interface=args.interface)
    if not args.quiet:
        err(f"[stockpile] solving '{inst.name}' in {args.mode} mode "
            f"({len(inst.scenarios)} scenarios)"
            + (f" with {'; '.join(applied.notes)}" if applied.notes else ""))
    return run_solve(inst, args.mode, options, applied.agreements or None,
                     why=not args.no_why)


def tier_shape_figures(args: argparse.Namespace, outcome: Outcome) -> dict[str, Any]:
    """The instance's assumptions, marked, and the plan under other tier shapes
    (analysis/tiers.py), for the result's ``tier_shapes`` key."""
    from ..analysis.tiers import SHAPES, TierShapeOptions, assumptions_of, tier_shapes

    out: dict[str, Any] = {"assumptions": assumptions_of(outcome.instance)}
    if args.no_tier_shapes or args.engine != "ef" or outcome.plan is None:
        out["skipped"] = ("--no-tier-shapes" if args.no_tier_shapes
                          else "re-solves need --engine ef")
        return out
    bar = Progress(len(SHAPES), args.quiet, "tier shapes")
    options = TierShapeOptions(mip_gap=min(args.gap, TierShapeOptions.mip_gap),
                               time_limit=args.tier_shape_limit,
                               threads=args.threads,
                               oos_scenarios=0 if args.no_check else
                               min(2000, args.check_scenarios))
    out.update(tier_shapes(outcome.data, outcome.plan, float(outcome.stats.objective or 0.0),
                           options, outcome.instance, bar.step))
    return out


def check_plan(args: argparse.Namespace, outcome: Outcome) -> None:
    """The out-of-sample check against today's rules (and the statistical gap) added to
    the outcome (analysis/evidence.py)."""
    from ..analysis.evidence import EvidenceOptions
    from ..pipeline import add_evidence

    reps = args.replications if args.replications is not None else 0
    if not args.quiet:
        err(f"[stockpile] checking the plan against today's rules on "
            f"{args.check_scenarios:,} fresh scenarios"
            + (f", statistical gap from {reps} replications" if reps else ""))
    add_evidence(outcome, EvidenceOptions(
        scenarios=args.check_scenarios, replications=reps,
        replication_size=args.replication_size,
        replication_engine=args.replication_engine,
        solve=SolveOptions(mip_gap=args.replication_gap or args.gap, threads=args.threads),
        progress=not args.quiet))


def _report(outcome: Outcome, out_dir: Path, extra: dict | None = None) -> int:
    """Exit status, messages and the report of a solve (written only with a plan);
    ``extra`` adds figures to the result (what-ifs, sensitivity)."""
    from ..report import write_solve_report

    inst, st = outcome.instance, outcome.stats
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
    result = {**outcome.as_dict(), **(extra or {})}
    written = write_solve_report(result, out_dir)
    print(f"{st.describe()}")
    from ..report.evidence import headline_bullets, report_kind, verdict_bullets
    print(report_kind(result)[1])
    for line in headline_bullets(result) + verdict_bullets(result):
        (err if line.startswith("WARNING") else print)(line)
    n = len(outcome.data.scenarios)
    print(f"objective (in sample, on the {n} scenarios optimised on) {st.objective:,.0f} USD, "
          f"best bound {st.bound:,.0f} USD" if st.bound is not None else
          f"objective (in sample, on the {n} scenarios optimised on) {st.objective:,.0f} USD, "
          "no bound proven")
    if st.interface == "ph":
        o = st.options
        print(f"progressive hedging on {o['ranks']} ranks ({', '.join(o['cylinders'])}): "
              f"{o['ph_iterations_run']} iterations in {o['ph_seconds']:.1f} s")
    if st.interface == "benders":
        o = st.options
        print(f"L-shaped method on {o['ranks']} rank(s), {o['bundles']} bundles: "
              f"{o['iterations_run']} iterations in {o['benders_seconds']:.1f} s")
    print(f"build {st.build_seconds:.2f} s, hand-off {st.handoff_seconds:.2f} s, "
          f"solve {st.solve_seconds:.2f} s")
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK


def _launcher_rank() -> int:
    """This process's MPI rank as the launcher tells it (0 when not under mpiexec), read from
    the environment so that messages print once even when MPI itself cannot be loaded."""
    for key in ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"):
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key])
    return 0


def cmd_solve_ph(args: argparse.Namespace) -> int:
    """``--engine ph``: every rank runs the decomposition; rank 0 alone reports.

    A missing mpi-sppy/mpi4py/MPI runtime or too few ranks: one message, exit 2, nothing
    written. An unexpected error on one rank aborts every rank (no rank left waiting)."""
    from ..instance import load
    from ..pipeline import run_solve_ph
    from ..solve.highs import SolveOptions
    from ..solve.ph import MPIUnavailable, PHOptions, TooFewRanks, cylinders_for, require_mpi

    rank = _launcher_rank()
    try:
        world = require_mpi()
    except MPIUnavailable as e:
        if rank == 0:
            err(str(e))
        return EXIT_INPUT
    rank = world.Get_rank()
    try:
        cylinders_for(world.Get_size())
    except TooFewRanks as e:
        if rank == 0:
            err(str(e))
        return EXIT_INPUT
    from ..report.files import output_folder

    inst = load(args.instance)
    out_dir = output_folder(args.out, inst.name)
    options = SolveOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads)
    ph = PHOptions(iterations=args.ph_iterations, rho_factor=args.rho_factor,
                   time_limit=args.time_limit, mip_gap=args.gap, bundle_size=args.bundles,
                   threads=args.threads or 1, verbose=args.log or not args.quiet)
    if rank == 0 and not args.quiet:
        err(f"[stockpile] solving '{inst.name}' in {args.mode} mode "
            f"({len(inst.scenarios)} scenarios) by progressive hedging on "
            f"{world.Get_size()} MPI ranks")
    try:
        outcome = _on_every_rank(world, run_solve_ph, inst, args.mode, options, ph,
                                 expected=(TooFewRanks,))
    except TooFewRanks as e:
        if rank == 0:
            err(str(e))
        return EXIT_INPUT
    if outcome is None:  # not rank 0
        return EXIT_OK
    return _report(outcome, out_dir, {"command": getattr(args, "command_line", None)})


def _on_every_rank(comm, run, *args, expected: tuple = ()):  # noqa: ANN001, ANN002, ANN202
    """``run(*args)`` on this rank; an error other than ``expected`` on one rank aborts every
    rank (no rank left waiting in a collective)."""
    try:
        return run(*args)
    except expected:
        raise
    except Exception:
        if comm.Get_size() > 1:
            import traceback
            traceback.print_exc()
            comm.Abort(EXIT_ERROR)
        raise


def solve_benders(args: argparse.Namespace, inst) -> Outcome | None:  # noqa: ANN001
    """``--engine benders``: every rank runs the L-shaped loop; rank 0 alone gets the
    outcome (None on the others). One process needs no MPI; an error on one rank aborts
    every rank."""
    from ..pipeline import run_solve_benders
    from ..solve.benders import BendersOptions, world_comm

    comm = world_comm()
    options = SolveOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads)
    benders = BendersOptions(gap=args.gap, time_limit=args.time_limit,
                             bundle_size=args.bundles, verbose=args.log or not args.quiet)
    if comm.Get_rank() == 0 and not args.quiet:
        err(f"[stockpile] solving '{inst.name}' in {args.mode} mode "
            f"({len(inst.scenarios)} scenarios) by the L-shaped method on "
            f"{comm.Get_size()} rank(s)")
    return _on_every_rank(comm, run_solve_benders, inst, args.mode, options, benders, comm)
