"""Which materials each event kind reaches, how often and for which holder, on the shipped
default instance's materials (a regression test for regimes that never matched rare earths).

Expected yearly rate of licensing hits of a material (events.py): 0.375 x (regimes of the six
that named it) / 6: heavy rare earths (REE2010 and REE2025) 0.125, NdPr, Ga, Ge, graphite, Sb,
W, In, Bi 0.0625, the rest 0. An onset in a period of L years happens with probability
1 - exp(-0.375 L), so over the instance's periods (1, 1, 2 years) a material on r regimes is
hit sum_t (1 - exp(-0.375 L_t)) r / 6 times per scenario on average.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from stockpile.instance import load
from stockpile.scenarios import DEFAULT_LIBRARY, sample
from stockpile.scenarios import calibration as cal
from stockpile.scenarios.generator import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[1]
N = 20000


@pytest.fixture(scope="module")
def drawn():
    inst = load(ROOT / "instances" / "us_japan_2026.yaml")
    return inst, sample(inst, N, seed=11)


def test_regime_keys_of_the_shipped_materials(drawn) -> None:
    inst, _ = drawn
    keys = {m.id: cal.regime_key(m.id, m.name) for m in inst.materials}
    assert keys["ndpr"] == "rare_earths_light"
    assert keys["dysprosium"] == keys["terbium"] == "rare_earths_heavy"
    assert keys["gallium"] == "gallium" and keys["graphite"] == "graphite"
    named = {k for r in DEFAULT_LIBRARY.regimes for k in r.keys}
    # every regime key that names a shipped material is one the data can produce
    assert {"rare_earths_light", "rare_earths_heavy", "gallium", "germanium", "graphite",
            "antimony", "tungsten", "indium", "bismuth"} <= set(keys.values()) & named


def test_licensing_hits_each_material_at_its_calibrated_rate(drawn) -> None:
    inst, sset = drawn
    ev = sset.events
    lic = ev["type"] == EVENT_TYPES.index("licensing")
    years = np.array([p.years for p in inst.periods])
    onsets_per_scenario = (1 - np.exp(-DEFAULT_LIBRARY.licensing.rate * years)).sum()
    hits = ev["materials"][lic].sum(axis=0)
    expected_rate = {"ndpr": 0.0625, "dysprosium": 0.125, "terbium": 0.125, "gallium": 0.0625,
                     "germanium": 0.0625, "graphite": 0.0625, "antimony": 0.0625,
                     "tungsten": 0.0625, "indium": 0.0625, "bismuth": 0.0625, "cobalt": 0.0,
                     "niobium": 0.0, "palladium": 0.0, "tantalum": 0.0, "vanadium": 0.0}
    for j, m in enumerate(inst.materials):
        rate = DEFAULT_LIBRARY.licensing_rate(cal.regime_key(m.id, m.name))
        assert rate == pytest.approx(expected_rate[m.id]), m.id
        share = rate / DEFAULT_LIBRARY.licensing.rate  # regimes naming m / 6
        expected = N * onsets_per_scenario * share
        se = math.sqrt(max(expected, 1.0))
        assert abs(hits[j] - expected) <= 4 * se, (m.id, hits[j], expected)
    # materials hit together stay together
    col = {m.id: j for j, m in enumerate(inst.materials)}
    mat = ev["materials"][lic]
    assert np.array_equal(mat[:, col["gallium"]], mat[:, col["germanium"]])
    assert np.array_equal(mat[:, col["dysprosium"]], mat[:, col["terbium"]])
    assert np.array_equal(mat[:, col["tungsten"]], mat[:, col["bismuth"]])
    assert (mat[:, col["ndpr"]] <= mat[:, col["dysprosium"]]).all()  # NdPr only with REE2010


def test_each_kind_reaches_only_its_materials(drawn) -> None:
    inst, sset = drawn
    ev = sset.events
    ids = [m.id for m in inst.materials]
    routes_of = {inst.products[[k.id for k in inst.products].index(r.from_product)].material
                 for r in inst.routes}
    for kind in EVENT_TYPES:
        rows = ev["type"] == EVENT_TYPES.index(kind)
        reached = {ids[j] for j in np.nonzero(ev["materials"][rows].any(axis=0))[0]}
        if kind == "cobalt_quota":
            assert reached == {"cobalt"}
        elif kind == "midstream":
            assert reached == routes_of
        elif kind == "outage":  # a country with at least 20 % of world output
            big = {m.id for m in inst.materials
                   if (p := cal.match_material(m.id, m.name)) is not None
                   and p.top_share >= DEFAULT_LIBRARY.outage_min_share}
            assert reached <= big and len(reached) >= len(big) - 1
        elif kind == "licensing":
            assert reached == {m for m in ids if DEFAULT_LIBRARY.licensing_rate(
                cal.regime_key(m, inst.materials[ids.index(m)].name)) > 0}
        else:
            assert reached == set(ids)


def test_supply_is_cut_exactly_where_an_exposed_holder_is_hit(drawn) -> None:
    """Per holder and material: a_hk < 1 in some period iff a supply event hit the material
    and the holder is exposed to the event's country (exposure > 0)."""
    inst, sset = drawn
    ev = sset.events
    supply_kinds = [EVENT_TYPES.index(k) for k in ("licensing", "cobalt_quota", "outage")]
    first_product = {}
    for i, k in enumerate(inst.products):
        first_product.setdefault(k.material, i)
    for h, holder in enumerate(inst.holders):
        for j, m in enumerate(inst.materials):
            prof = cal.match_material(m.id, m.name)
            hit = np.zeros(N, bool)
            for i in np.nonzero(np.isin(ev["type"], supply_kinds) & ev["materials"][:, j])[0]:
                if cal.exposure(prof, holder.id, str(ev["actor"][i])) > 0:
                    hit[int(ev["scenario"][i])] = True
            cut = (sset.supply[:, :, h, first_product[m.id]] < 1).any(axis=1)
            assert np.array_equal(cut, hit), (holder.id, m.id)


def test_heavy_rare_earths_take_their_own_profile() -> None:
    # USGS MCS 2026: US Tb, Ho, Lu imports 100 % from China, NIR 100 %: exposure 1.0;
    # Japan (estimate) 0.9 from China, NIR 1: 0.9 + 0.1 x 0.9 x 0.5 = 0.945.
    for mat in ("dysprosium", "terbium"):
        p = cal.match_material(mat)
        assert p is not None and p.key == "rare_earths_heavy"
        assert cal.exposure(p, "US-DLA", "China") == pytest.approx(1.0)
        assert cal.exposure(p, "JP-JOGMEC", "China") == pytest.approx(0.945)
    assert cal.match_material("ndpr").key == "rare_earths_REO"


def test_rare_earths_are_cut_for_both_holders(drawn) -> None:
    inst, sset = drawn
    col = [k.material for k in inst.products]
    for mat in ("ndpr", "dysprosium", "terbium"):
        k = col.index(mat)
        for h in range(len(inst.holders)):
            p_cut = float((sset.supply[:, :, h, k] < 1).any(axis=1).mean())
            assert p_cut > 0.1, (mat, h, p_cut)
