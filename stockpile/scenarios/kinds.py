"""Event kinds: each kind of disruption is one class that says where it strikes on an instance
and what its events do (docs/scenarios.md, "Adding an event kind").

A kind has a name and its parameters (an :class:`~.events.EventType`: yearly rate, depth,
duration and recovery). On an instance it has *slots* (:meth:`EventKind.slots`): the
independent places it strikes, each with its own onsets (China's licensing regime, one
(material, country) pair, one material's conversion routes). For each slot,
:meth:`EventKind.sample` draws the onsets in the n scenarios, then each event's depth,
duration and recovery (``Draws.onsets`` and ``Draws.draw``, common to every kind), then
calls the kind's :meth:`EventKind.strike`, which draws whatever else the kind needs and
multiplies its effect into the supply a, demand mu or capacity g arrays of ``Draws``. The
events come back as a :class:`Strike` (one row per event) for the event table.

:meth:`EventKind.reach` says which (holder, material) pairs a kind's events can touch; the
sampler never looks inside a kind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import calibration as cal
from .events import CHINA_REGIMES, EventType, Regime

if TYPE_CHECKING:
    from .generator import Draws


FIRST = -1
"""Turn of the slots drawn before any material's turn (licensing, quota, outage)."""
LAST = 1 << 30
"""Turn of the slots drawn after every other (the default): a kind appended to a library
leaves the draws of the kinds before it unchanged, scenario by scenario."""


@dataclass(frozen=True, eq=False)
class Slot:
    """One place a kind strikes: its onsets are drawn independently of every other slot's.

    ``turn``: the random stream is consumed slot by slot in order of turn (ties in library
    order, then in the kind's own order). Licensing, quota and outage slots take ``FIRST``;
    midstream and demand surge give the slot of material j turn j, so that a material's
    midstream outages and demand surges are drawn one after the other (the generator's
    order before kinds were classes, kept so that every seed gives the same scenarios);
    a new kind's slots default to ``LAST``."""

    actor: str  # recorded with each event: the country or the material
    materials: np.ndarray  # (M,) bool: the materials its events can hit
    turn: int = LAST


@dataclass(eq=False)
class Strike:
    """The events of one slot, one row per onset (N rows)."""

    scenario: np.ndarray  # (N,) scenario index
    period: np.ndarray  # (N,) period of the onset
    onset: np.ndarray  # (N,) onset time, years from the start
    depth: np.ndarray  # (N,)
    duration: np.ndarray  # (N,) full depth, years
    recovery: np.ndarray  # (N,) years
    profile: np.ndarray  # (N, T) period mean of the loss profile
    materials: np.ndarray  # (N, M) bool: the materials each event hit
    target: np.ndarray  # (N,) the holder singled out (depth 1 for it), or -1
    regime: np.ndarray  # (N,) the regime re-enacted (licensing), or -1


@dataclass(frozen=True, eq=False)
class EventKind(ABC):
    """A kind of event: its parameters, its slots on an instance and its effect."""

    params: EventType

    @property
    def name(self) -> str:
        return self.params.name

    @abstractmethod
    def slots(self, draws: Draws) -> list[Slot]:
        """The slots of this kind on the instance behind ``draws`` (none: it never strikes)."""

    @abstractmethod
    def strike(self, draws: Draws, slot: Slot, ev: Strike) -> None:
        """Draw what else the events of ``slot`` need (after their depth, duration and
        recovery), multiply their effect into ``draws``' arrays and set ``ev``'s
        materials, target and regime where they differ from the slot's."""

    def reach(self, draws: Draws) -> np.ndarray:
        """(H, M) bool: the (holder, material) pairs its events can touch (every holder of
        a slot's materials unless a kind says less)."""
        mats = np.zeros(len(draws.mats), bool)
        for slot in self.slots(draws):
            mats |= slot.materials
        return np.broadcast_to(mats, (len(draws.H), len(mats))).copy()

    def sample(self, draws: Draws, slot: Slot) -> Strike | None:
        """Every event of ``slot`` in the n scenarios, drawn and applied (None if none)."""
        s_idx, t_idx, onset = draws.onsets(self.params)
        n_ev = len(s_idx)
        if n_ev == 0:
            return None
        depth, dur, rec = draws.draw(self.params, n_ev)
        ev = Strike(s_idx, t_idx, onset, depth, dur, rec, draws.profile(onset, dur, rec),
                    np.broadcast_to(slot.materials, (n_ev, len(slot.materials))).copy(),
                    np.full(n_ev, -1), np.full(n_ev, -1))
        self.strike(draws, slot, ev)
        return ev


@dataclass(frozen=True, eq=False)
class SupplyKind(EventKind):
    """Events that cut a country's exports (the slot's actor): holder h loses depth times its
    exposure e_hmc to the country of each material hit (a target loses at depth 1)."""

    def reach(self, draws: Draws) -> np.ndarray:
        out = np.zeros((len(draws.H), len(draws.mats)), bool)
        for slot in self.slots(draws):
            out |= (cal.exposure_matrix(draws.H, draws.prof, slot.actor) > 0) & slot.materials
        return out

    def strike(self, draws: Draws, slot: Slot, ev: Strike) -> None:
        self.cut_supply(draws, slot.actor, ev)

    @staticmethod
    def cut_supply(draws: Draws, country: str, ev: Strike) -> None:
        nH = len(draws.H)
        depth_h = np.repeat(ev.depth[:, None], nH, axis=1)
        tg = ev.target >= 0
        depth_h[tg, ev.target[tg]] = 1.0
        expo = cal.exposure_matrix(draws.H, draws.prof, country)  # (H, M)
        loss = (depth_h[:, None, :, None] * expo[None, None] * ev.materials[:, None, None, :]
                * ev.profile[:, :, None, None])
        np.multiply.at(draws.a, ev.scenario, np.clip(1.0 - loss, 0.0, 1.0))


@dataclass(frozen=True, eq=False)
class Licensing(SupplyKind):
    """A country's export-licensing regime: each onset re-enacts one of ``regimes``, drawn
    uniformly, and hits exactly the materials it named (by ``calibration.regime_key``); with
    probability ``target_probability`` one holder, drawn uniformly, loses everything."""

    regimes: tuple[Regime, ...] = CHINA_REGIMES
    target_probability: float = 0.5
    country: str = "China"

    def named(self, draws: Draws) -> np.ndarray:
        """(R, M) bool: the materials each regime named."""
        keys = [cal.regime_key(m.id, m.name) for m in draws.mats]
        return np.array([[key in r.keys for key in keys] for r in self.regimes], bool)

    def rate_for(self, key: str) -> float:
        """Yearly rate at which the regimes hit a material of regime key ``key``."""
        hits = sum(key in r.keys for r in self.regimes)
        return self.params.rate * hits / len(self.regimes) if self.regimes else 0.0

    def slots(self, draws: Draws) -> list[Slot]:
        if not self.regimes:
            return []
        return [Slot(self.country, np.asarray(self.named(draws).any(axis=0)), FIRST)]

    def strike(self, draws: Draws, slot: Slot, ev: Strike) -> None:
        n_ev, nH = len(ev.scenario), len(draws.H)
        ev.regime = draws.rng.integers(0, len(self.regimes), n_ev)
        ev.materials = self.named(draws)[ev.regime]
        if nH:
            tg = draws.rng.random(n_ev) < self.target_probability
            ev.target[tg] = draws.rng.integers(0, nH, int(tg.sum()))
        self.cut_supply(draws, slot.actor, ev)


@dataclass(frozen=True, eq=False)
class Quota(SupplyKind):
    """One country's export quota over the materials whose supply data key starts with one
    of ``keys`` (DRC over cobalt): one slot, hitting all of them together."""

    country: str = "Congo (Kinshasa)"
    keys: tuple[str, ...] = ("cobalt",)

    def slots(self, draws: Draws) -> list[Slot]:
        mats = np.array([(p.key.split("_")[0] if p else "") in self.keys for p in draws.prof],
                        bool)
        return [Slot(self.country, mats, FIRST)] if mats.any() else []


@dataclass(frozen=True, eq=False)
class Outage(SupplyKind):
    """A producer outage: one slot per material and country with at least ``min_share`` of
    the material's world output (countries in alphabetical order)."""

    min_share: float = 0.2

    def slots(self, draws: Draws) -> list[Slot]:
        nM = len(draws.mats)
        return [Slot(country, np.arange(nM) == j, FIRST)
                for j, p in enumerate(draws.prof) if p is not None
                for country, w in sorted(p.world_share.items()) if w >= self.min_share]


@dataclass(frozen=True, eq=False)
class Midstream(EventKind):
    """A separation, refining or conversion outage: one slot per material with conversion
    routes, cutting the capacity g of its routes by depth times the loss profile."""

    def slots(self, draws: Draws) -> list[Slot]:
        nM = len(draws.mats)
        return [Slot(m.id, np.arange(nM) == j, turn=j) for j, m in enumerate(draws.mats)
                if (draws.route_mat == j).any()]

    def strike(self, draws: Draws, slot: Slot, ev: Strike) -> None:
        cut = np.clip(1.0 - ev.depth[:, None] * ev.profile, 0.0, 1.0)  # (N, T)
        for r in np.nonzero(slot.materials[draws.route_mat])[0]:
            np.multiply.at(draws.g[:, :, :, r], ev.scenario, cut[:, :, None])


@dataclass(frozen=True, eq=False)
class DemandSurge(EventKind):
    """A demand surge of one material (defence mobilisation): demand times
    1 + ``scale`` x depth x loss profile, for every holder."""

    scale: float = 1.0

    def slots(self, draws: Draws) -> list[Slot]:
        nM = len(draws.mats)
        return [Slot(m.id, np.arange(nM) == j, turn=j) for j, m in enumerate(draws.mats)]

    def strike(self, draws: Draws, slot: Slot, ev: Strike) -> None:
        surge = 1.0 + self.scale * ev.depth[:, None] * ev.profile
        for j in np.nonzero(slot.materials)[0]:
            np.multiply.at(draws.mu[:, :, :, j], ev.scenario, surge[:, :, None])
