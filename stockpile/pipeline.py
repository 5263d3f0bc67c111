"""The solve pipeline in one screen: load -> validate -> build -> solve -> extract.

Reports are written from the :class:`Outcome` by ``stockpile.report``.
"""

from __future__ import annotations

import datetime as _dt
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .extract import extract
from .instance import Instance, content_hash, load
from .model.build import build_model
from .model.data import Mode, ModelData, model_data
from .model.diagnose import infeasibility_reasons
from .solve.highs import SolveOptions, solve
from .solve.result import SolveStats


@dataclass
class Outcome:
    instance: Instance
    instance_hash: str
    data: ModelData
    stats: SolveStats
    figures: dict[str, Any] | None  # None when there is no plan
    reasons: list[str]  # why the instance is infeasible, where it can be told

    def as_dict(self) -> dict[str, Any]:
        """Everything a report shows, machine-readable (result.json)."""
        return {
            "stockpile_version": __version__,
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
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
            **(self.figures or {}),
        }


def run_solve(instance: Instance | str | Path, mode: Mode = "bilateral",
              options: SolveOptions | None = None,
              agreements: dict[str, bool] | None = None) -> Outcome:
    """Solve one instance in one mode; never raises for an infeasible or stopped solve.

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
    t0 = time.perf_counter()
    model = build_model(data)
    for key, signed in (agreements or {}).items():
        if key not in model.agree:
            raise KeyError(f"agreement {key!r}: not a candidate agreement of this instance in "
                           f"{mode} mode (candidates: {', '.join(model.agree) or 'none'})")
        model.agree[key].fix(1 if signed else 0)
    build_s = time.perf_counter() - t0
    stats = solve(model, options or SolveOptions(), build_seconds=build_s)
    figures = extract(model, data) if stats.has_plan else None
    return Outcome(inst, digest, data, stats, figures, [])
