"""Solver status as data: what a solve proved, never more."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["optimal", "time_limit", "limit", "infeasible", "unbounded", "interrupted",
                 "error"]
"""optimal: proven within the gap tolerance; time_limit / limit (another work limit) /
interrupted: stopped early, with or without a plan; infeasible, unbounded: no plan exists;
error: the solver failed."""


@dataclass
class SolveStats:
    """What the solver proved and how long each step took."""

    status: Status
    has_plan: bool
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    message: str = ""
    solver: str = "HiGHS"
    solver_version: str = ""
    interface: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    build_seconds: float = 0.0
    handoff_seconds: float = 0.0
    solve_seconds: float = 0.0
    n_variables: int = 0
    n_integer: int = 0
    n_constraints: int = 0
    n_nonzeros: int = 0

    @property
    def proven_optimal(self) -> bool:
        return self.status == "optimal"

    def describe(self) -> str:
        """One honest line: optimal within the gap, or stopped with a plan and its gap."""
        if self.status == "optimal":
            gap = f" (proven gap {self.gap:.4%})" if self.gap is not None else ""
            return f"optimal within the requested tolerance{gap}"
        if self.has_plan:
            gap = f"{self.gap:.4%}" if self.gap is not None else "unknown"
            why = {"time_limit": "at the time limit", "limit": "at a work limit",
                   "interrupted": "on interruption"}.get(self.status, f"({self.status})")
            return f"NOT proven optimal: stopped {why} with a plan, proven gap {gap}"
        return f"{self.status}: {self.message}".strip(": ")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["proven_optimal"] = self.proven_optimal
        out["summary"] = self.describe()
        return out
