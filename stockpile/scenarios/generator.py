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


class _Sampler:
    """The draws of :func:`sample`: one random stream, consumed in a fixed order (supply
    events, then per material its midstream outages and demand surges), multiplied into a,
    mu and g, with one table row per event."""

    def __init__(self, inst: Instance, n: int, rng: np.random.Generator, library: Library,
                 periods: list[Period], factor: np.ndarray) -> None:
        self.n, self.rng, self.library, self.periods = n, rng, library, periods
        self.L = np.array([p.years for p in periods])
        self.ends = np.cumsum(self.L)
        self.starts = self.ends - self.L
        self.factor = factor
        self.H = [h.id for h in inst.holders]
        self.mats = inst.materials
        self.prof = [cal.match_material(m.id, m.name) for m in self.mats]
        self.keys = [cal.regime_key(m.id, m.name) for m in self.mats]
        mat_ix = {m.id: i for i, m in enumerate(self.mats)}
        self.mat_of = np.array([mat_ix[k.material] for k in inst.products], dtype=int)
        self.route_mat = np.array([mat_ix[next(k.material for k in inst.products
                                               if k.id == r.from_product)]
                                   for r in inst.routes], int)
        nT, nH, nM, nR = len(self.L), len(self.H), len(self.mats), len(inst.routes)
        self.a = np.ones((n, nT, nH, nM))
        self.mu = np.ones((n, nT, nH, nM))
        self.g = np.ones((n, nT, nH, nR))
        self.rows: list[dict[str, np.ndarray]] = []

    def onsets(self, et: EventType) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Scenario index, period index and onset time of every onset of one slot."""
        L = self.L
        p = 1.0 - np.exp(-et.rate * L * self.factor)
        hit = self.rng.random((self.n, len(L))) < p[None, :]
        s_idx, t_idx = np.nonzero(hit)
        return s_idx, t_idx, self.starts[t_idx] + self.rng.random(len(s_idx)) * L[t_idx]

    def draw(self, et: EventType, n_ev: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Depth, duration and recovery of ``n_ev`` events."""
        depth = self.rng.beta(et.depth_a, et.depth_b, n_ev)
        dur = et.duration_median * np.exp(et.duration_sigma * self.rng.standard_normal(n_ev))
        rec = et.recovery_median * np.exp(et.recovery_sigma * self.rng.standard_normal(n_ev))
        return depth, dur, rec

    def record(self, kind: str, s_idx: np.ndarray, t_idx: np.ndarray, onset: np.ndarray,
               drawn: tuple[np.ndarray, np.ndarray, np.ndarray], hit_m: np.ndarray,
               target: np.ndarray, actor: str, regime: np.ndarray | None = None) -> None:
        depth, dur, rec = drawn
        self.rows.append({
            "type": np.full(len(s_idx), EVENT_TYPES.index(kind)), "scenario": s_idx,
            "period": t_idx, "onset": onset, "depth": depth, "duration": dur,
            "recovery": rec, "materials": hit_m, "target": target,
            "actor": np.full(len(s_idx), actor, dtype=object),
            "regime": np.full(len(s_idx), -1) if regime is None else regime})

    def supply_event(self, kind: str, et: EventType, country: str, candidates: np.ndarray,
                     regimes: tuple[Regime, ...] | None) -> None:
        """One supply slot: losses of the materials hit, through each holder's exposure to
        ``country``; a licensing event may target one holder (depth 1 for it)."""
        s_idx, t_idx, onset = self.onsets(et)
        n_ev, nH, nM = len(s_idx), len(self.H), len(self.mats)
        if n_ev == 0:
            return
        drawn = self.draw(et, n_ev)
        depth, dur, rec = drawn
        which = None
        if regimes is not None:  # each onset re-enacts one historical regime, drawn uniformly
            which = self.rng.integers(0, len(regimes), n_ev)
            named = np.array([[key in r.keys for key in self.keys] for r in regimes],
                             bool)  # (R, M)
            hit_m = named[which]
        else:
            hit_m = np.broadcast_to(candidates, (n_ev, nM)).copy()
        target = np.full(n_ev, -1)
        if kind == "licensing" and nH:
            tg = self.rng.random(n_ev) < self.library.target_probability
            target[tg] = self.rng.integers(0, nH, int(tg.sum()))
        depth_h = np.repeat(depth[:, None], nH, axis=1)
        depth_h[target >= 0, target[target >= 0]] = 1.0
        expo = cal.exposure_matrix(self.H, self.prof, country)  # (H, M)
        prof_t = period_profile(onset, dur, rec, self.starts, self.ends)  # (N, T)
        loss = (depth_h[:, None, :, None] * expo[None, None] * hit_m[:, None, None, :]
                * prof_t[:, :, None, None])
        np.multiply.at(self.a, s_idx, np.clip(1.0 - loss, 0.0, 1.0))
        self.record(kind, s_idx, t_idx, onset, drawn, hit_m, target, country, which)

    def supply_events(self) -> None:
        """Licensing regimes (China), cobalt quotas (Congo), then outages in every country
        with at least the library's share of a material's world production."""
        lib, nM = self.library, len(self.mats)
        has_profile = np.array([p is not None for p in self.prof])
        if lib.regimes:
            self.supply_event("licensing", lib.licensing, "China", has_profile, lib.regimes)
        cobalt = np.array([(p.key.split("_")[0] if p else "") == "cobalt" for p in self.prof])
        if cobalt.any():
            self.supply_event("cobalt_quota", lib.cobalt_quota, "Congo (Kinshasa)", cobalt,
                              None)
        for j, p in enumerate(self.prof):
            if p is None:
                continue
            for country, w in sorted(p.world_share.items()):
                if w >= lib.outage_min_share:
                    self.supply_event("outage", lib.outage, country, np.arange(nM) == j, None)

    def material_event(self, kind: str, j: int, routes: np.ndarray) -> None:
        """A midstream outage (conversion routes out of material j) or a demand surge of j."""
        nM = len(self.mats)
        et = self.library.midstream if kind == "midstream" else self.library.demand_surge
        s_idx, t_idx, onset = self.onsets(et)
        if len(s_idx) == 0:
            return
        drawn = self.draw(et, len(s_idx))
        depth, dur, rec = drawn
        prof_t = period_profile(onset, dur, rec, self.starts, self.ends)
        # only the slice the event touches is multiplied (the rest would be times 1)
        if kind == "midstream":
            cut = np.clip(1.0 - depth[:, None] * prof_t, 0.0, 1.0)  # (N, T)
            for r in routes:
                np.multiply.at(self.g[:, :, :, r], s_idx, cut[:, :, None])
        else:
            surge = 1.0 + self.library.surge_scale * depth[:, None] * prof_t
            np.multiply.at(self.mu[:, :, :, j], s_idx, surge[:, :, None])
        only = np.arange(nM) == j
        self.record(kind, s_idx, t_idx, onset, drawn,
                    np.broadcast_to(only, (len(s_idx), nM)).copy(), np.full(len(s_idx), -1),
                    self.mats[j].id)

    def material_events(self) -> None:
        for j in range(len(self.mats)):
            routes = np.nonzero(self.route_mat == j)[0]
            for kind in (("midstream",) if len(routes) else ()) + ("demand_surge",):
                self.material_event(kind, j, routes)

    def scenario_set(self, prefix: str) -> ScenarioSet:
        """The draws as scenarios on products (every product of a material shares its a and
        mu), rounded to 6 decimals."""
        n, rows, mat_of = self.n, self.rows, self.mat_of
        events = ({k: np.concatenate([r[k] for r in rows]) for k in rows[0]} if rows else {})
        width = len(str(n))
        for arr in (self.a, self.mu, self.g):  # in place: at 100,000 scenarios a copy is GBs
            np.round(arr, 6, out=arr)
        return ScenarioSet(
            ids=[f"{prefix}{i + 1:0{width}d}" for i in range(n)],
            probability=np.full(n, 1.0 / n), periods=self.periods,
            supply=self.a[:, :, :, mat_of], demand_mult=self.mu[:, :, :, mat_of],
            capacity_mult=self.g, events=events)


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
    periods = (nds_periods(conflict_years, recovery_years)
               if structure == "nds" and not keep_periods else list(inst.periods))
    nT = len(periods)
    factor = (np.where(np.arange(nT) == 0, conflict_factor, 0.0) if structure == "nds"
              else np.ones(nT))
    sampler = _Sampler(inst, n, np.random.default_rng(seed), library, periods, factor)
    sampler.supply_events()
    sampler.material_events()
    return sampler.scenario_set(prefix)
