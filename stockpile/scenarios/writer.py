"""Generated scenarios into an instance, and back.

Each scenario becomes a :class:`~stockpile.instance.schema.Scenario` with one ``supply`` or
``demand`` effect per (holder, material) whose values differ from 1 in some period and one
``conversion`` effect per (holder, route); values are the rounded arrays themselves, so
``model_data`` of the written instance gives back exactly the sampled arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..instance import Instance, parse
from .generator import ScenarioSet


def _describe(sset: ScenarioSet, s: int, materials: list[str], holders: list[str]) -> str:
    ev = sset.events
    if not ev:
        return "no disruption"
    rows = np.nonzero((ev["scenario"] == s) & ev["materials"].any(axis=1))[0]
    if len(rows) == 0:
        return "no disruption"
    parts = []
    for i in rows:
        kind = sset.event_types[int(ev["type"][i])].name
        mats = [materials[j] for j in np.nonzero(ev["materials"][i])[0]]
        tgt = int(ev["target"][i])
        parts.append(
            f"{kind} {ev['actor'][i]} [{', '.join(mats) or 'no instance material'}] depth "
            f"{ev['depth'][i]:.2f}{' (ban on ' + holders[tgt] + ')' if tgt >= 0 else ''} from "
            f"year {ev['onset'][i]:.2f} for {ev['duration'][i]:.2f} yr, recovery "
            f"{ev['recovery'][i]:.2f} yr")
    return "; ".join(parts)


def _calibrated_on(sset: ScenarioSet, s: int) -> list[str]:
    ev = sset.events
    if not ev:
        return []
    mine = (ev["scenario"] == s) & ev["materials"].any(axis=1)
    kinds = {int(t) for t in ev["type"][mine]}
    return sorted({e for k in kinds for e in sset.event_types[k].calibrated_on})


def scenarios_block(inst: Instance, sset: ScenarioSet) -> list[dict[str, Any]]:
    """The ``scenarios`` block of an instance file for ``sset``."""
    H = [h.id for h in inst.holders]
    M = [m.id for m in inst.materials]
    first_product: dict[str, int] = {}
    for i, product in enumerate(inst.products):
        first_product.setdefault(product.material, i)
    R = [r.id for r in inst.routes]
    out = []
    for s in range(len(sset)):
        supply: list[dict[str, Any]] = []
        demand: list[dict[str, Any]] = []
        conversion: list[dict[str, Any]] = []
        for h, hid in enumerate(H):
            for mat in M:
                if mat not in first_product:
                    continue
                k = first_product[mat]
                for arr, dest in ((sset.supply, supply), (sset.demand_mult, demand)):
                    vals = arr[s, :, h, k]
                    if np.any(vals != 1.0):
                        dest.append({"holder": hid, "material": mat,
                                     "values": [float(v) for v in vals]})
            for r, rid in enumerate(R):
                vals = sset.capacity_mult[s, :, h, r]
                if np.any(vals != 1.0):
                    conversion.append({"holder": hid, "route": rid,
                                       "values": [float(v) for v in vals]})
        sc: dict[str, Any] = {"id": sset.ids[s], "probability": float(sset.probability[s]),
                              "description": _describe(sset, s, M, H),
                              "events": _calibrated_on(sset, s)}
        sc.update({key: val for key, val in
                   (("supply", supply), ("demand", demand), ("conversion", conversion)) if val})
        out.append(sc)
    return out


def with_scenarios(inst: Instance, sset: ScenarioSet, source_note: str = "",
                   name: str | None = None) -> Instance:
    """``inst`` with its periods and scenarios replaced by ``sset`` (validated).

    ``name``: the new instance's name (the report folder); its description then says whose
    data it is and where its scenarios come from, not what the source instance's said."""
    raw = inst.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if name is not None and name != inst.name:
        raw["name"] = name
        raw["description"] = (f"The data of {inst.name} with {len(sset)} scenarios from the "
                              "calibrated event library (stockpile scenarios).")
    raw["periods"] = [p.model_dump() for p in sset.periods]
    raw["scenarios"] = scenarios_block(inst, sset)
    if source_note:
        raw["sources"] = [*raw.get("sources", []), source_note]
    return parse(raw, source=f"{inst.name} with generated scenarios")
