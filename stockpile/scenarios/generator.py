"""Seeded, vectorised sampling of disruption scenarios from the event library.

For each slot (an actor and its materials) and each period t of length L_t, an onset occurs
in a scenario with probability 1 - exp(-lambda_t L_t), at a uniform time inside the period;
its depth, duration and recovery are drawn as in ``events.py``. Losses of one scenario
combine multiplicatively per holder h, material m and period t:

    a_hmt = prod_e (1 - depth_eh * e_hmc(e) * f_e(t))     (supply share that still arrives)
    mu_hmt = prod_e (1 + scale * depth_e * f_e(t))          (demand surges)
    g_hrt = prod_e (1 - depth_e * f_e(t))                   (midstream outages, routes of m)

with e_hmc the exposure of ``calibration.py`` and f_e(t) the period mean of the loss
profile. Every product of a material shares its a, mu; values are rounded to 6 decimals so
that writing them into an instance and reading them back is exact.

Time structures: ``instance`` keeps the instance's periods and lets events start in any of
them; ``nds`` replaces them by the National Defense Stockpile's: a conflict phase of
``conflict_years`` in which events start (rates times ``conflict_factor``), then
``recovery_years`` one-year periods of recovery in which no new event starts (or, with
``keep_periods``, the instance's own periods, the first being the conflict phase).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from ..instance.schema import Instance, Period
from ..model.data import ModelData
from . import calibration as cal
from .events import DEFAULT_LIBRARY, EventType, Library, Regime, period_profile

TimeStructure = Literal["instance", "nds"]
EVENT_TYPES = ("licensing", "cobalt_quota", "outage", "midstream", "demand_surge")


@dataclass
class ScenarioSet:
    """Sampled scenarios as arrays (axes as ModelData) plus the table of events drawn."""

    ids: list[str]
    probability: np.ndarray  # (S,)
    periods: list[Period]
    supply: np.ndarray  # a (S, T, H, K)
    demand_mult: np.ndarray  # mu (S, T, H, K)
    capacity_mult: np.ndarray  # g (S, T, H, R)
    events: dict[str, np.ndarray] = field(default_factory=dict)  # one row per event

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, idx: np.ndarray, probability: np.ndarray) -> ScenarioSet:
        idx = np.asarray(idx, dtype=int)
        pos = {int(s): i for i, s in enumerate(idx)}
        keep = np.isin(self.events.get("scenario", np.zeros(0, int)), idx)
        ev = {k: v[keep] for k, v in self.events.items()}
        if "scenario" in ev:
            ev["scenario"] = np.array([pos[int(s)] for s in ev["scenario"]], dtype=int)
        return ScenarioSet([self.ids[i] for i in idx], np.asarray(probability, float),
                           self.periods, self.supply[idx], self.demand_mult[idx],
                           self.capacity_mult[idx], ev)

    def apply(self, data: ModelData) -> ModelData:
        """``data`` with these scenarios in place of its own (same periods required)."""
        if [p.id for p in self.periods] != data.periods:
            raise ValueError(f"scenario periods {[p.id for p in self.periods]} differ from the "
                             f"instance's {data.periods}; build the instance with these periods")
        return replace(data, scenarios=list(self.ids), probability=self.probability,
                       supply=self.supply, demand_mult=self.demand_mult,
                       capacity_mult=self.capacity_mult)


def nds_periods(conflict_years: float = 1.0, recovery_years: int = 3) -> list[Period]:
    return [Period(id="conflict", years=conflict_years)] + [
        Period(id=f"recovery{i + 1}", years=1.0) for i in range(recovery_years)]


def sample(inst: Instance, n: int, seed: int, library: Library = DEFAULT_LIBRARY,
           structure: TimeStructure = "instance", conflict_years: float = 1.0,
           recovery_years: int = 3, conflict_factor: float = 1.0,
           prefix: str = "g", keep_periods: bool = False) -> ScenarioSet:
    """``n`` equally likely scenarios for ``inst``, reproducible from ``seed``.

    ``keep_periods`` with the ``nds`` structure keeps the instance's periods, its first
    period being the conflict phase (events start only there).
    """
    if n < 1:
        raise ValueError(f"n {n}: the number of scenarios must be >= 1")
    rng = np.random.default_rng(seed)
    periods = (nds_periods(conflict_years, recovery_years)
               if structure == "nds" and not keep_periods else list(inst.periods))
    L = np.array([p.years for p in periods])
    ends = np.cumsum(L)
    starts = ends - L
    factor = (np.where(np.arange(len(L)) == 0, conflict_factor, 0.0) if structure == "nds"
              else np.ones(len(L)))
    H = [h.id for h in inst.holders]
    mats = inst.materials
    prof = [cal.match_material(m.id, m.name) for m in mats]
    first = [p.key.split("_")[0] if p else "" for p in prof]
    keys = [cal.regime_key(m.id, m.name) for m in mats]
    mat_ix = {m.id: i for i, m in enumerate(mats)}
    mat_of = np.array([mat_ix[k.material] for k in inst.products], dtype=int)
    route_mat = np.array([mat_ix[next(k.material for k in inst.products
                                      if k.id == r.from_product)] for r in inst.routes], int)
    nT, nH, nM, nR = len(L), len(H), len(mats), len(inst.routes)
    a = np.ones((n, nT, nH, nM))
    mu = np.ones((n, nT, nH, nM))
    g = np.ones((n, nT, nH, nR))
    rows: list[dict[str, np.ndarray]] = []

    def onsets(et: EventType) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scenario index, period index and onset time of every onset of one slot."""
        p = 1.0 - np.exp(-et.rate * L * factor)
        hit = rng.random((n, nT)) < p[None, :]
        s_idx, t_idx = np.nonzero(hit)
        return s_idx, t_idx, starts[t_idx] + rng.random(len(s_idx)) * L[t_idx]

    def draw(et: EventType, n_ev: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        depth = rng.beta(et.depth_a, et.depth_b, n_ev)
        dur = et.duration_median * np.exp(et.duration_sigma * rng.standard_normal(n_ev))
        rec = et.recovery_median * np.exp(et.recovery_sigma * rng.standard_normal(n_ev))
        return depth, dur, rec, np.zeros(n_ev)

    def record(kind: str, s_idx: np.ndarray, t_idx: np.ndarray, onset: np.ndarray,
               depth: np.ndarray, dur: np.ndarray, rec: np.ndarray, hit_m: np.ndarray,
               target: np.ndarray, actor: str, regime: np.ndarray | None = None) -> None:
        rows.append({"type": np.full(len(s_idx), EVENT_TYPES.index(kind)), "scenario": s_idx,
                     "period": t_idx, "onset": onset, "depth": depth, "duration": dur,
                     "recovery": rec, "materials": hit_m, "target": target,
                     "actor": np.full(len(s_idx), actor, dtype=object),
                     "regime": np.full(len(s_idx), -1) if regime is None else regime})

    def supply_event(kind: str, et: EventType, country: str, candidates: np.ndarray,
                     regimes: tuple[Regime, ...] | None) -> None:
        s_idx, t_idx, onset = onsets(et)
        n_ev = len(s_idx)
        if n_ev == 0:
            return
        depth, dur, rec, _ = draw(et, n_ev)
        which = None
        if regimes is not None:  # each onset re-enacts one historical regime, drawn uniformly
            which = rng.integers(0, len(regimes), n_ev)
            named = np.array([[key in r.keys for key in keys] for r in regimes], bool)  # (R, M)
            hit_m = named[which]
        else:
            hit_m = np.broadcast_to(candidates, (n_ev, nM)).copy()
        target = np.full(n_ev, -1)
        if kind == "licensing" and nH:
            tg = rng.random(n_ev) < library.target_probability
            target[tg] = rng.integers(0, nH, int(tg.sum()))
        depth_h = np.repeat(depth[:, None], nH, axis=1)
        depth_h[target >= 0, target[target >= 0]] = 1.0
        expo = cal.exposure_matrix(H, prof, country)  # (H, M)
        prof_t = period_profile(onset, dur, rec, starts, ends)  # (N, T)
        loss = (depth_h[:, None, :, None] * expo[None, None] * hit_m[:, None, None, :]
                * prof_t[:, :, None, None])
        np.multiply.at(a, s_idx, np.clip(1.0 - loss, 0.0, 1.0))
        record(kind, s_idx, t_idx, onset, depth, dur, rec, hit_m, target, country, which)

    has_profile = np.array([p is not None for p in prof])
    if library.regimes:
        supply_event("licensing", library.licensing, "China", has_profile, library.regimes)
    cobalt = np.array([f == "cobalt" for f in first])
    if cobalt.any():
        supply_event("cobalt_quota", library.cobalt_quota, "Congo (Kinshasa)", cobalt, None)
    for j, p in enumerate(prof):
        if p is None:
            continue
        for country, w in sorted(p.world_share.items()):
            if w >= library.outage_min_share:
                only = np.arange(nM) == j
                supply_event("outage", library.outage, country, only, None)
    for j in range(nM):
        routes = np.nonzero(route_mat == j)[0]
        only = np.arange(nM) == j
        for kind in (("midstream",) if len(routes) else ()) + ("demand_surge",):
            et = library.midstream if kind == "midstream" else library.demand_surge
            s_idx, t_idx, onset = onsets(et)
            if len(s_idx) == 0:
                continue
            depth, dur, rec, _ = draw(et, len(s_idx))
            prof_t = period_profile(onset, dur, rec, starts, ends)
            # only the slice the event touches is multiplied (the rest would be times 1)
            if kind == "midstream":
                cut = np.clip(1.0 - depth[:, None] * prof_t, 0.0, 1.0)  # (N, T)
                for r in routes:
                    np.multiply.at(g[:, :, :, r], s_idx, cut[:, :, None])
            else:
                surge = 1.0 + library.surge_scale * depth[:, None] * prof_t
                np.multiply.at(mu[:, :, :, j], s_idx, surge[:, :, None])
            record(kind, s_idx, t_idx, onset, depth, dur, rec,
                   np.broadcast_to(only, (len(s_idx), nM)).copy(), np.full(len(s_idx), -1),
                   mats[j].id)

    events = ({k: np.concatenate([r[k] for r in rows]) for k in rows[0]} if rows else {})
    width = len(str(n))
    for arr in (a, mu, g):  # rounded in place: at 100,000 scenarios a copy is gigabytes
        np.round(arr, 6, out=arr)
    return ScenarioSet(
        ids=[f"{prefix}{i + 1:0{width}d}" for i in range(n)],
        probability=np.full(n, 1.0 / n), periods=periods,
        supply=a[:, :, :, mat_of], demand_mult=mu[:, :, :, mat_of], capacity_mult=g,
        events=events)
