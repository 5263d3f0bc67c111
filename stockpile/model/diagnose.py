"""Requirements that cannot be met, told before the solver is asked.

Shortfall variables make every scenario feasible, so the canonical model can only be
infeasible through its first stage: stock that is already held must fit in storage, and the
facilities it needs must fit in the budget. Each check names the holder and the figures.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from .data import ModelData

_MAX_ENUMERATED_FACILITIES = 16


def _cheapest_cover(capacity: np.ndarray, cost: np.ndarray, need: float) -> float | None:
    """Least fixed cost of a set of facilities with total capacity >= need (None: none)."""
    n = len(capacity)
    if n > _MAX_ENUMERATED_FACILITIES:  # too many to enumerate: a valid lower bound instead
        return 0.0 if capacity.sum() >= need else None
    best: float | None = None
    for size in range(1, n + 1):
        for subset in combinations(range(n), size):
            idx = list(subset)
            if capacity[idx].sum() >= need - 1e-9:
                c = float(cost[idx].sum())
                best = c if best is None else min(best, c)
    return best


def infeasibility_reasons(data: ModelData) -> list[str]:
    """Plain-language reasons the instance has no feasible plan (empty when none is known)."""
    reasons = []
    for h, name in enumerate(data.holders):
        mask = data.facility_holder == h
        if not mask.any():
            continue  # no storage limit
        need = float(np.dot(data.inventory[h], data.volume))
        if need <= 0:
            continue
        cap, cost = data.facility_capacity[mask], data.facility_cost[mask]
        if cap.sum() < need - 1e-9:
            reasons.append(
                f"holder {name}: existing inventory needs {need:,.1f} m3 of storage but its "
                f"facilities hold {cap.sum():,.1f} m3 in all")
            continue
        cheapest = _cheapest_cover(cap, cost, need)
        if cheapest is not None and cheapest > data.budget[h] + 1e-6:
            reasons.append(
                f"holder {name}: storing its existing inventory ({need:,.1f} m3) needs "
                f"facilities with fixed costs of at least {cheapest:,.0f} USD, above its "
                f"budget of {data.budget[h]:,.0f} USD")
    return reasons
