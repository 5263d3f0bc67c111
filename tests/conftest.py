"""Shared helpers: a tiny base instance to vary, and a one-call solve."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stockpile.instance import parse
from stockpile.pipeline import Outcome, run_solve
from stockpile.solve.highs import SolveOptions

BASE: dict[str, Any] = {
    "name": "tiny",
    "holding_years": 1,
    "periods": [{"id": "y1", "years": 1}],
    "holders": [{"id": "A", "budget": 1e6}],
    "materials": [{"id": "ga", "world_production": 1000, "market_cap_share": 1.0}],
    "products": [{"id": "ga4n", "material": "ga", "price": 10, "lot": 1, "holding_cost": 1}],
    "tiers": [{"id": "essential"}, {"id": "general"}],
    "demand": [{"holder": "A", "product": "ga4n", "annual": 10,
                "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]}],
    "scenarios": [{"id": "calm", "probability": 0.5},
                  {"id": "cut", "probability": 0.5, "supply": [{"material": "ga", "values": 0}]}],
}


def tiny(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level blocks replaced."""
    d = copy.deepcopy(BASE)
    d.update(copy.deepcopy(changes))
    return d


def solve_dict(raw: dict[str, Any], mode: str = "bilateral", **opts: Any) -> Outcome:
    return run_solve(parse(raw), mode, SolveOptions(mip_gap=1e-9, **opts))  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _write_to_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Every test runs in its own tmp_path, so a command's default output folder
    (reports/<name>/...) lands there, never in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def base() -> dict[str, Any]:
    return tiny()
