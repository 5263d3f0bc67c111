"""Seeded, vectorised sampling of disruption scenarios from the event library.

The library is a tuple of event kinds (``kinds.py``); the sampler knows none of them: it
loops over every slot of every kind (``schedule``), and each kind draws and applies its own
events into ``Draws``. For each slot (an actor and its materials) and each period t of
length L_t, an onset occurs in a scenario with probability 1 - exp(-lambda_t L_t), at a
uniform time inside the period; its depth, duration and recovery are drawn as in
``events.py``. Losses of one scenario combine multiplicatively per holder h, material m and
period t; for the default kinds:

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
from .events import EventType, period_profile
from .kinds import EventKind, Slot, Strike
from .library import DEFAULT_LIBRARY, Library

TimeStructure = Literal["instance", "nds"]
EVENT_TYPES = DEFAULT_LIBRARY.names
"""The default library's kind names: ``events['type']`` of a sample drawn from it indexes
them (any library: ``ScenarioSet.event_types``)."""


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
    # the parameters of the library's kinds, indexed by events["type"]
    event_types: tuple[EventType, ...] = tuple(DEFAULT_LIBRARY.types().values())

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
                           self.capacity_mult[idx], ev, self.event_types)

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


class Draws:
    """What the event kinds draw from and multiply into: one random stream, the instance's
    axes and profiles, the arrays a (S, T, H, M), mu (S, T, H, M) and g (S, T, H, R), and
    the event table's rows. Materials, not products: every product of a material shares its
    a and mu (``scenario_set``)."""

    def __init__(self, inst: Instance, n: int, rng: np.random.Generator,
                 periods: list[Period], factor: np.ndarray) -> None:
        self.n, self.rng, self.periods = n, rng, periods
        self.L = np.array([p.years for p in periods])
        self.ends = np.cumsum(self.L)
        self.starts = self.ends - self.L
        self.factor = factor
        self.H = [h.id for h in inst.holders]
        self.mats = inst.materials
        self.prof = [cal.match_material(m.id, m.name) for m in self.mats]
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

    def profile(self, onset: np.ndarray, dur: np.ndarray, rec: np.ndarray) -> np.ndarray:
        """(N, T): the period means of the events' loss profiles."""
        return period_profile(onset, dur, rec, self.starts, self.ends)

    def record(self, kind: int, actor: str, ev: Strike) -> None:
        """The events of one slot as rows of the table (``kind``: index in the library)."""
        n_ev = len(ev.scenario)
        self.rows.append({
            "type": np.full(n_ev, kind), "scenario": ev.scenario, "period": ev.period,
            "onset": ev.onset, "depth": ev.depth, "duration": ev.duration,
            "recovery": ev.recovery, "materials": ev.materials, "target": ev.target,
            "actor": np.full(n_ev, actor, dtype=object), "regime": ev.regime})

    def scenario_set(self, prefix: str, library: Library) -> ScenarioSet:
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
            capacity_mult=self.g, events=events, event_types=tuple(library.types().values()))


def schedule(library: Library, draws: Draws) -> list[tuple[int, EventKind, Slot]]:
    """Every slot of every kind, with its kind's index in the library, in the order the
    random stream is consumed: by the slot's turn, then library order, then the kind's own
    order (sorting is stable). For the default library: licensing, cobalt quota, every
    outage, then material by material its midstream outage and demand surge; a kind appended
    with slots of the default turn (``kinds.LAST``) draws after all of them."""
    jobs = [(k, kind, slot) for k, kind in enumerate(library.kinds)
            for slot in kind.slots(draws)]
    return sorted(jobs, key=lambda job: job[2].turn)


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
    draws = Draws(inst, n, np.random.default_rng(seed), periods, factor)
    for k, kind, slot in schedule(library, draws):
        ev = kind.sample(draws, slot)
        if ev is not None:
            draws.record(k, slot.actor, ev)
    return draws.scenario_set(prefix, library)
