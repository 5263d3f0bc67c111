"""A solution read back into the Pyomo model's keys, without Pyomo.

The L-shaped engine (benders.py) and ``--interface arrays`` (direct.py) solve
:func:`~stockpile.model.arrays.build_arrays`'s columns; these functions name each column by
the Pyomo variable and key it stands for (``model_keys``), so that the same
:func:`stockpile.extract.extract` reads either path's plan (``plan_values``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..model.arrays import LinearArrays
from ..model.data import ModelData, agreement_key

FIRST_STAGE = ("buy", "programme", "agree", "facility_used", "store")
SECOND_STAGE = ("release", "unmet", "ship", "convert")


def second_stage_values(keys: dict[str, tuple[np.ndarray, ...]],
                        blocks: dict[str, tuple[int, int]], y: np.ndarray, scenarios: np.ndarray
                        ) -> dict[str, tuple[tuple[np.ndarray, ...], np.ndarray]]:
    """Non-zero values of each second-stage block of ``y`` (columns ``blocks``), with their
    indices; the scenario index (last) mapped through ``scenarios`` to the global one."""
    out = {}
    for b in SECOND_STAGE:
        v = y[slice(*blocks[b])]
        nz = np.abs(v) > 1e-9
        kk = tuple(k[nz] for k in keys[b])
        out[b] = ((*kk[:-1], scenarios[kk[-1]]), v[nz])
    return out


def model_keys(data: ModelData) -> dict[str, Any]:
    """Per block, the Pyomo variable's key from build_arrays's index arrays."""
    H, K, M, Q = data.holders, data.products, data.materials, data.tiers
    T, S, R, F = data.periods, data.scenarios, data.routes, data.facilities
    return {
        "buy": lambda h, k: (H[h], K[k]),
        "programme": lambda h, m: (H[h], M[m]),
        "agree": lambda a: agreement_key(data, int(a)),
        "facility_used": lambda f: F[f],
        "store": lambda h, k, f: (H[h], K[k], F[f]),
        "release": lambda h, k, t, s: (H[h], K[k], T[t], S[s]),
        "unmet": lambda h, k, q, t, s: (H[h], K[k], Q[q], T[t], S[s]),
        "ship": lambda h, h2, k, t, s: (H[h], H[h2], K[k], T[t], S[s]),
        "convert": lambda h, r, t, s: (H[h], R[r], T[t], S[s]),
    }


def plan_values(data: ModelData, first: LinearArrays, x: np.ndarray,
                parts: list[dict[str, list[Any]]]) -> SimpleNamespace:
    """The plan's variables keyed as the Pyomo model's (first_stage.py, second_stage.py), so
    that :func:`stockpile.extract.extract` reads them; absent second-stage keys are zero."""
    names = model_keys(data)
    ns = SimpleNamespace()
    for b in FIRST_STAGE:
        start, stop = first.blocks[b]
        keys = first.keys[b]
        setattr(ns, b, {names[b](*(int(k[i]) for k in keys)): float(x[start + i])
                        for i in range(stop - start)})
    link = {(int(a), int(b), int(m)): i for i, (a, b, m) in
            enumerate(zip(data.link_from, data.link_to, data.link_material))}
    for b in SECOND_STAGE:
        pieces = [kv for part in parts for kv in part.get(b, [])]
        if not pieces:
            setattr(ns, b, {})
            continue
        keys = tuple(np.concatenate([p[0][j] for p in pieces]) for j in range(len(names_of[b])))
        vals = np.concatenate([p[1] for p in pieces])
        k = dict(zip(names_of[b], keys))
        # the Pyomo builder's key order (second_stage._index), whatever the ranks and bundles
        if b in ("release", "unmet"):
            order = np.lexsort(tuple(k[i] for i in ("q", "k", "h", "t", "s") if i in k))
        elif b == "ship":
            li = np.array([link[a, c, int(data.material_of[kk])]
                           for a, c, kk in zip(k["h"], k["h2"], k["k"])], dtype=np.int64)
            order = np.lexsort((k["t"], k["s"], k["k"], li))
        else:
            order = np.lexsort((k["t"], k["s"], k["r"], k["h"]))
        setattr(ns, b, {names[b](*(int(kk[i]) for kk in keys)): float(vals[i]) for i in order})
    return ns


names_of = {"release": ("h", "k", "t", "s"), "unmet": ("h", "k", "q", "t", "s"),
            "ship": ("h", "h2", "k", "t", "s"), "convert": ("h", "r", "t", "s")}
