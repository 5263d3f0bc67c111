"""Event kinds as objects: the draws are pinned, and a new kind is one class.

The pinned values were taken from ``sample`` before event kinds became classes (the
generator's branches); any change in the order the random stream is consumed moves the
counts and the hash of the integer columns, so drift in the draws is caught here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from stockpile.instance import load
from stockpile.scenarios import (
    DEFAULT_LIBRARY,
    Draws,
    EventKind,
    EventType,
    Library,
    Slot,
    Strike,
    sample,
)
from stockpile.scenarios.events import period_profile
from stockpile.scenarios.writer import scenarios_block

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


# A new kind is one class: dockers at a port strike, and every holder's supply of one
# material halves for the strike's duration (depth fixed at 0.5, the loss profile of
# events.py: full depth, then a linear recovery).
@dataclass(frozen=True, eq=False)
class PortStrike(EventKind):
    material: str = "graphite"
    cut: float = 0.5

    def slots(self, draws: Draws) -> list[Slot]:
        mats = np.array([m.id == self.material for m in draws.mats])
        return [Slot(f"port of {self.material}", mats)] if mats.any() else []

    def strike(self, draws: Draws, slot: Slot, ev: Strike) -> None:
        ev.depth[:] = self.cut
        for j in np.nonzero(slot.materials)[0]:
            np.multiply.at(draws.a[:, :, :, j], ev.scenario,
                           (1.0 - self.cut * ev.profile)[:, :, None])


STRIKE = PortStrike(EventType("port_strike", 0.3, 2.0, 2.0, 0.1, 0.5, 0.2, 0.5, ("DOCK2099",)))
N = 20000


@pytest.fixture(scope="module")
def quick():
    return load(ROOT / "instances" / "us_japan_2026_quick.yaml")


def test_a_new_kind_reaches_exactly_its_material_at_its_rate(quick) -> None:
    inst = quick
    sset = sample(inst, N, 5, Library((STRIKE,)))
    ev = sset.events
    col = [k.material for k in inst.products]
    g = [i for i, m in enumerate(col) if m == "graphite"]
    others = [i for i, m in enumerate(col) if m != "graphite"]
    # rate: at most one onset per period, probability 1 - exp(-0.3 L) in a period of L years
    p = 1 - np.exp(-0.3 * np.array([per.years for per in inst.periods]))  # periods 1, 1, 2
    expected, var = N * p.sum(), N * (p * (1 - p)).sum()
    assert abs(len(ev["type"]) - expected) <= 4 * np.sqrt(var), (len(ev["type"]), expected)
    for t, pt in enumerate(p):
        share = (ev["period"] == t).sum() / N
        assert abs(share - pt) <= 4 * np.sqrt(pt * (1 - pt) / N), t
    # one kind, one material, every holder, at depth 0.5
    assert set(ev["type"].tolist()) == {0} and sset.event_types[0].name == "port_strike"
    assert ev["materials"].sum(axis=0).tolist() == [
        len(ev["type"]) if m.id == "graphite" else 0 for m in inst.materials]
    assert (ev["depth"] == 0.5).all() and (ev["target"] == -1).all()
    hit = np.zeros(N, bool)
    hit[ev["scenario"]] = True
    for h in range(len(inst.holders)):
        for k in g:
            assert np.array_equal((sset.supply[:, :, h, k] < 1).any(axis=1), hit)
    assert (sset.supply[:, :, :, others] == 1).all()
    assert (sset.demand_mult == 1).all() and (sset.capacity_mult == 1).all()
    # one strike in a scenario: a = 1 - 0.5 f(t), f the period mean of its loss profile
    once = np.nonzero(np.bincount(ev["scenario"], minlength=N) == 1)[0][:50]
    row = {int(s): i for i, s in enumerate(ev["scenario"])}
    starts = np.cumsum([0.0] + [per.years for per in inst.periods])
    for s in once:
        i = row[int(s)]
        f = period_profile(ev["onset"][i:i + 1], ev["duration"][i:i + 1],
                           ev["recovery"][i:i + 1], starts[:-1], starts[1:])[0]
        for h in range(len(inst.holders)):
            np.testing.assert_allclose(sset.supply[s, :, h, g[0]], 1 - 0.5 * f, atol=5e-7)
    # the written scenarios name the kind and the events it was calibrated on
    block = scenarios_block(inst, sset.subset(once[:3], np.full(3, 1 / 3)))
    assert all(sc["description"].startswith("port_strike port of graphite [graphite] depth 0.50")
               and sc["events"] == ["DOCK2099"] for sc in block)


def test_appending_a_kind_leaves_the_other_kinds_draws_unchanged(quick) -> None:
    inst = quick
    base = sample(inst, 2000, 8)
    more = sample(inst, 2000, 8, Library((*DEFAULT_LIBRARY.kinds, STRIKE)))
    assert more.event_types[-1].name == "port_strike"
    old = more.events["type"] < len(DEFAULT_LIBRARY.kinds)
    for key, col in base.events.items():
        assert np.array_equal(more.events[key][old], col), key
    assert (more.events["type"][~old] == 5).all() and (~old).sum() > 0
    graphite = np.array([k.material == "graphite" for k in inst.products])
    assert np.array_equal(more.supply[..., ~graphite], base.supply[..., ~graphite])
    assert (more.supply[..., graphite] <= base.supply[..., graphite] + 1e-6).all()
    assert np.array_equal(more.demand_mult, base.demand_mult)
    assert np.array_equal(more.capacity_mult, base.capacity_mult)


@pytest.mark.parametrize("name", DEFAULT_LIBRARY.names)
def test_each_kind_touches_only_its_reach(quick, name: str) -> None:
    """A library of one default kind changes a, mu or g only where ``reach`` says (supply
    kinds: holders exposed to the country), and reaches every pair of it in 2,000
    scenarios at 20 times the rate."""
    inst = quick
    kind = DEFAULT_LIBRARY.kind(name)
    lib = Library((kind,)).scaled(20)
    sset = sample(inst, 2000, 3, lib)
    draws = Draws(inst, 1, np.random.default_rng(0), list(inst.periods), np.ones(3))
    reach = kind.reach(draws)  # (H, M)
    mat_of = [[m.id for m in inst.materials].index(k.material) for k in inst.products]
    touched = np.zeros_like(reach)
    for arr in (sset.supply, sset.demand_mult):
        moved = (arr != 1).any(axis=(0, 1))  # (H, K)
        for k, j in enumerate(mat_of):
            touched[:, j] |= moved[:, k]
    if name == "midstream":
        route_mat = [mat_of[[k.id for k in inst.products].index(r.from_product)]
                     for r in inst.routes]
        for r, j in enumerate(route_mat):
            touched[:, j] |= (sset.capacity_mult[..., r] != 1).any(axis=(0, 1))
    else:
        assert (sset.capacity_mult == 1).all()
    assert reach.any()
    assert np.array_equal(touched, reach), name


def test_library_checks_its_kinds() -> None:
    with pytest.raises(ValueError, match="kind name 'port_strike' appears 2 times"):
        Library((STRIKE, STRIKE))
    with pytest.raises(KeyError, match="no kind 'strike'"):
        DEFAULT_LIBRARY.kind("strike")
    with pytest.raises(TypeError, match="kind 'licensing' is a PortStrike"):
        Library((PortStrike(replace(STRIKE.params, name="licensing")),)).licensing_rate("gallium")
    assert DEFAULT_LIBRARY.scaled(2).kind("outage").params.rate == 0.02
