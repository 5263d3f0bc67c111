"""Event kinds as objects: the draws are pinned, and a new kind is one class.

The pinned values were taken from ``sample`` before event kinds became classes (the
generator's branches); any change in the order the random stream is consumed moves the
counts and the hash of the integer columns, so drift in the draws is caught here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from stockpile.instance import load
from stockpile.scenarios import sample

ROOT = Path(__file__).resolve().parents[1]


def _fingerprint(ev: dict[str, np.ndarray]) -> str:
    """Hash of the event table's integer columns and actors (exact on every platform: they
    come from uniform and integer draws only)."""
    m = hashlib.sha256()
    for k in ("type", "scenario", "period", "target", "regime"):
        m.update(ev[k].astype(np.int64).tobytes())
    m.update(ev["materials"].astype(np.uint8).tobytes())
    m.update("|".join(ev["actor"].tolist()).encode())
    return m.hexdigest()[:16]


PINNED = {
    "instance": ({}, [303, 61, 221, 373, 402], "da545f9611cac9b2",
                 {0: [0.6327254031923586, 0.7280801633000874, 1.617275819052947,
                      0.7678799469127815],
                  7: [1.910196129994927, 0.9918496086119192, 0.17673599631252238,
                      0.5908693077813674],
                  1359: [3.6524718773535683, 0.3319238466331303, 0.43378998852380757,
                         0.48149068054836114]},
                 (37037.449268, 37995.796358, 10670.060678)),
    "nds": ({"structure": "nds", "keep_periods": True, "conflict_factor": 2.0},
            [160, 28, 106, 163, 215], "4efb0f607dbdce02",
            {0: [0.6327254031923586, 0.913539513088485, 1.1896510468831543,
                 0.3205738108571753],
             7: [0.910196129994927, 0.7479570519678772, 0.04764060507131204,
                 1.330341371520848],
             671: [0.5728526723850504, 0.2693427136862609, 0.4834556661917608,
                   1.2360982813015564]},
            (37266.034258, 37953.667398, 10713.676712)),
}


@pytest.mark.parametrize("case", sorted(PINNED))
def test_draws_are_pinned(case: str) -> None:
    kwargs, counts, digest, rows, sums = PINNED[case]
    inst = load(ROOT / "instances" / "us_japan_2026_quick.yaml")
    sset = sample(inst, 300, 2026, **kwargs)
    ev = sset.events
    assert np.bincount(ev["type"]).tolist() == counts
    assert _fingerprint(ev) == digest
    for i, values in rows.items():
        got = [float(ev[k][i]) for k in ("onset", "depth", "duration", "recovery")]
        assert got == pytest.approx(values, rel=1e-12), i
    got_sums = (sset.supply.sum(), sset.demand_mult.sum(), sset.capacity_mult.sum())
    assert got_sums == pytest.approx(sums, rel=1e-12)
