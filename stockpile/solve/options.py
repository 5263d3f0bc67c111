"""Solver options as plain data, importable without HiGHS or Pyomo (the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTERFACES = ("standard_form", "appsi", "arrays")  # arrays: solve/direct.py, no Pyomo


@dataclass
class SolveOptions:
    time_limit: float | None = None  # seconds
    mip_gap: float = 1e-4  # relative
    threads: int | None = None
    progress: bool = False  # print progress to stderr every few seconds
    log: bool = False  # HiGHS's own log to stdout
    interface: str = "standard_form"
    # hand HiGHS the model's ``mip_start`` (build_model: the do-nothing plan) so that a solve
    # stopped early has a plan and a proven gap; standard_form hand-off only
    warm_start: bool = True
    # HiGHS's LP solver inside the MIP (its root LP): "ipm" measured faster than HiGHS's own
    # choice (simplex) on every instance tried (docs/solver.md, benchmarks/root_lp.py)
    mip_lp_solver: str = "ipm"
    highs_options: dict[str, Any] = field(default_factory=dict)  # any other HiGHS option

    def as_dict(self) -> dict[str, Any]:
        return {"time_limit": self.time_limit, "mip_rel_gap": self.mip_gap,
                "threads": self.threads, "interface": self.interface,
                "warm_start": self.warm_start, "mip_lp_solver": self.mip_lp_solver,
                **self.highs_options}
