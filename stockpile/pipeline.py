"""The solve pipeline in one screen: load -> validate -> build -> solve -> extract.

Reports are written from the :class:`Outcome` by ``stockpile.report``.
"""

from __future__ import annotations

import datetime as _dt
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .extract import extract
from .figures import SolveFigures
from .instance import Instance, content_hash, load
from .model.data import Mode, ModelData, model_data
from .model.diagnose import infeasibility_reasons
from .model.plan import Plan, plan_from_model
from .solve.highs import SolveOptions, solve
from .solve.result import SolveStats

if TYPE_CHECKING:
    from .analysis.evidence import EvidenceOptions


@dataclass
class Outcome:
    instance: Instance
    instance_hash: str
    data: ModelData
    stats: SolveStats
    figures: SolveFigures | None  # None when there is no plan
    reasons: list[str]  # why the instance is infeasible, where it can be told
    plan: Plan | None = None  # the first stage found, when there is one

    def as_dict(self) -> dict[str, Any]:
        """Everything a report shows, machine-readable (result.json)."""
        return {
            "stockpile_version": __version__,
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "packages": package_versions(),
            "instance": {
                "name": self.instance.name, "description": self.instance.description,
                "content_hash": self.instance_hash,
                "holders": len(self.data.holders), "materials": len(self.data.materials),
                "products": len(self.data.products), "periods": len(self.data.periods),
                "scenarios": len(self.data.scenarios), "holding_years": self.data.holding_years,
                "sources": list(self.instance.sources),
            },
            "mode": self.data.mode,
            "solver": self.stats.as_dict(),
            "infeasibility_reasons": self.reasons,
            **(self.figures.to_dict() if self.figures is not None else {}),
        }


PACKAGES = ("highspy", "pyomo", "numpy", "scipy", "pydantic", "pyyaml", "openpyxl", "mpi-sppy",
            "mpi4py")
"""The packages whose versions a result records (those installed)."""


def package_versions() -> dict[str, str]:
    """{package: installed version} of PACKAGES, for the provenance of a result."""
    found = {name: _version(name) for name in PACKAGES}
    return {k: v for k, v in found.items() if v is not None}


def _version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def run_solve(instance: Instance | str | Path, mode: Mode = "bilateral",
              options: SolveOptions | None = None,
              agreements: dict[str, bool] | None = None, why: bool = True) -> Outcome:
    """Solve one instance in one mode; never raises for an infeasible or stopped solve.

    ``why`` (default on) adds the explanation of the plan (analysis/why.py): LPs around the
    solved plan, about 15 % of the solve time on 200,000-variable models.

    ``agreements`` forces candidate agreements signed (True) or not (False) in bilateral
    mode, keyed "H1|H2|material" as in the report.
    """
    inst = instance if isinstance(instance, Instance) else load(instance)
    digest = content_hash(inst)
    data = model_data(inst, mode)
    reasons = infeasibility_reasons(data)
    if reasons:
        stats = SolveStats(status="infeasible", has_plan=False,
                           message="; ".join(reasons), solver_version="")
        return Outcome(inst, digest, data, stats, None, reasons)
    if options is not None and options.interface == "arrays":  # no Pyomo (solve/direct.py)
        from .solve.direct import solve_direct

        stats, values = solve_direct(data, options, agreements)
        return Outcome(inst, digest, data, stats,
                       extract(values, data) if values is not None else None, [])
    from .model.build import build_model

    t0 = time.perf_counter()
    model = build_model(data)
    for key, signed in (agreements or {}).items():
        if key not in model.agree:
            raise KeyError(f"agreement {key!r}: not a candidate agreement of this instance in "
                           f"{mode} mode (candidates: {', '.join(model.agree) or 'none'})")
        model.agree[key].fix(1 if signed else 0)
    build_s = time.perf_counter() - t0
    stats = solve(model, options or SolveOptions(), build_seconds=build_s)
    if not stats.has_plan:
        return Outcome(inst, digest, data, stats, None, [])
    return Outcome(inst, digest, data, stats, _figures(model, data, inst, stats, why), [],
                   plan_from_model(model, data))


def add_evidence(outcome: Outcome, options: EvidenceOptions) -> None:
    """The out-of-sample check (and statistical gap) of analysis/evidence.py added to the
    outcome's figures; an instance whose periods the library cannot sample is noted, not
    checked."""
    from .analysis.evidence import run_evidence
    if outcome.plan is None or outcome.figures is None:
        return
    try:
        ev = run_evidence(outcome.instance, outcome.data, outcome.plan, options)
    except ValueError as e:
        ev = {"skipped": str(e)}
    outcome.figures.evidence = ev


def _figures(model: Any, data: ModelData, inst: Instance, stats: SolveStats,
             why: bool = True) -> SolveFigures | None:
    """What the solved model says (extract), and why this plan (analysis/why.py)."""
    if not stats.has_plan:
        return None
    from .analysis.why import explain

    figures = extract(model, data)
    if not why:
        return figures
    try:
        figures.why = explain(model, data, inst)
    except RuntimeError as e:  # an explanation LP failed: the plan stands, the reason is told
        figures.why = {"error": str(e)}
    return figures


def _evaluate_ph_plan(data: ModelData, first_stage: Any, options: SolveOptions
                      ) -> tuple[SolveStats, Any]:
    """The PH plan's lots, programmes, facilities and agreements fixed in the first stage
    alone (no scenario), solved for a storage assignment; then its expected cost and every
    scenario's figures from the scenario bundles' LPs: no extensive form."""
    from .model.build import build_model, first_stage_variables, fix_first_stage
    from .solve.benders import evaluate_plan

    t0 = time.perf_counter()
    model = build_model(data.with_scenarios([]))
    fix_first_stage(model, first_stage)
    stats = solve(model, SolveOptions(mip_gap=options.mip_gap, threads=options.threads))
    values = None
    if stats.has_plan:
        plan = {c.local_name: {k: float(v.value or 0.0) for k, v in c.items()}
                for c in first_stage_variables(model)}
        stats.objective, values = evaluate_plan(data, plan)
    stats.build_seconds = time.perf_counter() - t0 - stats.solve_seconds
    return stats, values


def run_solve_ph(instance: Instance | str | Path, mode: Mode = "bilateral",
                 options: SolveOptions | None = None, ph: Any = None) -> Outcome | None:
    """Solve by progressive hedging over MPI (every rank calls this; see solve/ph.py).

    The decomposition finds the best plan (xhat, the inner bound) and a proven lower bound
    (the outer bound). Global rank 0 then fixes that plan's first stage (``fix_first_stage``)
    in the first-stage model alone for a storage assignment, and evaluates it scenario bundle
    by bundle (``solve.benders.evaluate_plan``): the same extraction and figures as the
    extensive form's, without building it. The status is "optimal" only if
    ``(objective - outer) / |objective| <= options.mip_gap``; otherwise "time_limit" or
    "limit", with the plan and that gap. Returns None on the other ranks.
    """
    from .solve.ph import PHOptions, decompose, require_mpi

    options = options or SolveOptions()
    ph = ph or PHOptions(time_limit=options.time_limit, mip_gap=options.mip_gap)
    world = require_mpi()
    inst = instance if isinstance(instance, Instance) else load(instance)
    digest = content_hash(inst)
    data = model_data(inst, mode)
    reasons = infeasibility_reasons(data)
    if reasons:  # the same on every rank: nobody starts the wheel
        if world.Get_rank() != 0:
            return None
        stats = SolveStats(status="infeasible", has_plan=False,
                           message="; ".join(reasons), solver_version="")
        return Outcome(inst, digest, data, stats, None, reasons)
    result = decompose(data, ph, world)
    if result is None:
        return None
    ph_info = {"engine": "ph", "ranks": result.ranks, "cylinders": result.cylinders,
               "ph_iterations_run": result.iterations, "inner_bound": result.inner_bound,
               "outer_bound": result.outer_bound, "ph_gap": result.gap,
               "ph_seconds": result.seconds, **result.extra, **ph.as_dict()}
    if result.first_stage is None:
        stats = SolveStats(status="time_limit" if ph.time_limit else "limit", has_plan=False,
                           bound=result.outer_bound, solver="HiGHS via mpi-sppy PH",
                           interface="ph", options=ph_info, solve_seconds=result.seconds,
                           message="progressive hedging found no feasible plan")
        return Outcome(inst, digest, data, stats, None, [])
    stats, values = _evaluate_ph_plan(data, result.first_stage, options)
    stats.options = ph_info
    stats.solver, stats.interface = "HiGHS via mpi-sppy PH", "ph"
    stats.solve_seconds += result.seconds
    if not stats.has_plan:  # the xhat spoke checked the plan in every scenario: unexpected
        stats.status, stats.message = "error", f"the PH plan failed in the first stage: " \
                                               f"{stats.message}"
        return Outcome(inst, digest, data, stats, None, [])
    _ph_status(stats, result, ph, options.mip_gap)
    return Outcome(inst, digest, data, stats, extract(values, data), [])


def _ph_status(stats: SolveStats, result: Any, ph: Any, mip_gap: float) -> None:
    """The PH plan's bound, gap and status: "optimal" only within ``mip_gap`` of the outer
    (Lagrangian) bound."""
    obj = stats.objective
    outer = result.outer_bound
    stats.bound = outer
    stats.gap = None if outer is None or obj is None else \
        max(0.0, obj - outer) / max(abs(obj), 1e-10)
    if stats.gap is not None and stats.gap <= mip_gap:
        stats.status, stats.message = "optimal", (
            "progressive hedging: the plan's expected cost is within the requested gap of "
            "the Lagrangian lower bound")
    else:
        hit_time = ph.time_limit is not None and result.seconds >= 0.95 * ph.time_limit
        stats.status = "time_limit" if hit_time else "limit"
        stats.message = (f"progressive hedging stopped after {result.iterations} iterations "
                         f"({'time limit' if hit_time else 'iteration limit or convergence'})"
                         " with the gap above the requested one")


def run_solve_benders(instance: Instance | str | Path, mode: Mode = "bilateral",
                      options: SolveOptions | None = None, benders: Any = None,
                      comm: Any = None) -> Outcome | None:
    """Solve by the L-shaped (Benders) method (solve/benders.py); every MPI rank calls this.

    No extensive form is built: the figures come from the bundles' second-stage solutions at
    the best plan, gathered by rank 0. The status is "optimal" only if the proven gap
    ``(upper - lower) / upper`` is at most the requested one. Returns None on ranks > 0."""
    from .solve.benders import BendersOptions, decompose, world_comm

    options = options or SolveOptions()
    benders = benders or BendersOptions(gap=options.mip_gap, time_limit=options.time_limit)
    comm = comm or world_comm()
    t0 = time.perf_counter()
    inst = instance if isinstance(instance, Instance) else load(instance)
    digest = content_hash(inst)
    data = model_data(inst, mode)
    reasons = infeasibility_reasons(data)
    if reasons:
        if comm.Get_rank() != 0:
            return None
        stats = SolveStats(status="infeasible", has_plan=False,
                           message="; ".join(reasons), solver_version="")
        return Outcome(inst, digest, data, stats, None, [])
    load_s = time.perf_counter() - t0
    res = decompose(data, benders, comm)
    if comm.Get_rank() != 0:
        return None
    info = {"engine": "benders", "ranks": res.ranks, "bundles": res.bundles,
            "iterations_run": res.iterations, "stopped_by": res.stop,
            "upper_bound": res.upper, "lower_bound": res.lower, "benders_gap": res.gap,
            "benders_seconds": res.seconds, "seconds": {"load": load_s, **res.timing},
            "peak_rss_mb_per_rank": res.peak_rss_mb,
            "history": [list(h) for h in res.history], **benders.as_dict()}
    proven = res.gap <= benders.gap
    status = "optimal" if proven else ("time_limit" if res.stop == "time_limit" else "limit")
    stats = SolveStats(status=status, has_plan=res.model is not None,  # type: ignore[arg-type]
                       objective=res.upper if res.model is not None else None,
                       bound=res.lower if res.lower > -1e300 else None,
                       gap=res.gap if res.model is not None else None,
                       solver="HiGHS (L-shaped over MPI)", solver_version=res.version,
                       interface="benders", options=info, build_seconds=res.timing["setup"],
                       solve_seconds=res.seconds - res.timing["setup"],
                       message=("L-shaped method: the plan's expected cost is within the "
                                "requested gap of the proven lower bound") if proven else
                       f"L-shaped method stopped ({res.stop}) above the requested gap")
    if res.model is None:
        return Outcome(inst, digest, data, stats, None, [])
    return Outcome(inst, digest, data, stats, extract(res.model, data), [],
                   plan_from_model(res.model, data))

