"""A first stage as data: the one ``Plan`` type every path passes around.

Solve, evaluation, the rules agencies use today, IEA sharing, compare and progressive hedging
all describe a first stage by the lots bought per (holder, product), the agreements signed and
the facilities used; programmes follow from the lots (a programme runs where something of
the material is bought). Agreement keys are written and read only by :func:`agreement_key`
(defined in data.py) and :func:`parse_agreement_key`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .data import ModelData, agreement_key

__all__ = ["Plan", "agreement_key", "parse_agreement_key", "plan_from_model"]


def parse_agreement_key(key: str) -> tuple[str, str, str]:
    """'US-DLA|JP-JOGMEC|gallium' -> ('US-DLA', 'JP-JOGMEC', 'gallium')."""
    h1, h2, mat = key.split("|")
    return h1, h2, mat


@dataclass
class Plan:
    """A first stage: lots per (holder, product), the agreements signed, facilities used.

    ``facilities`` None means: the cheapest facilities that hold the stock (costs.py).
    ``status`` says whether the plan is feasible in the model ('feasible'), was scaled back
    to become so ('scaled back: ...'), or is not ('infeasible: ...').
    """

    name: str
    lots: np.ndarray  # (H, K) whole lots bought
    agreements: frozenset[str] = frozenset()  # keys "H1|H2|material"
    facilities: frozenset[str] | None = None
    status: str = "feasible"
    notes: list[str] = field(default_factory=list)

    def stock(self, data: ModelData) -> np.ndarray:
        """X_hk = I0_hk + lot_k n_hk, (H, K)."""
        return data.inventory + self.lots * data.lot[None, :]

    def bought(self, data: ModelData) -> np.ndarray:
        """x_hk = lot_k n_hk, (H, K)."""
        return self.lots * data.lot[None, :]

    def programmes(self, data: ModelData) -> np.ndarray:
        """y_hm: a programme runs where some product of the material is bought, (H, M) bool."""
        y = np.zeros((len(data.holders), len(data.materials)), bool)
        h, k = np.nonzero(self.lots > 0)
        y[h, data.material_of[k]] = True
        return y

    @property
    def feasible(self) -> bool:
        return not self.status.startswith("infeasible")


def plan_from_model(m: object, data: ModelData, name: str = "optimised") -> Plan:
    """The plan of a solved model (values loaded): lots, agreements signed, facilities used."""
    import pyomo.environ as pyo

    lots = np.zeros((len(data.holders), len(data.products)))
    hi = {h: i for i, h in enumerate(data.holders)}
    ki = {k: i for i, k in enumerate(data.products)}
    for (h, k), v in m.buy.items():  # type: ignore[attr-defined]
        lots[hi[h], ki[k]] = round(pyo.value(v))
    signed = frozenset(a for a, v in m.agree.items()  # type: ignore[attr-defined]
                       if pyo.value(v) > 0.5)
    used = frozenset(f for f, v in m.facility_used.items()  # type: ignore[attr-defined]
                     if pyo.value(v) > 0.5)
    return Plan(name, lots, signed, used)
