"""The ``stockpile scenarios`` pipeline, callable from Python without the command line:

    sample from the event library -> count the events that reach the instance
    -> (optionally) keep n scenarios by fast forward selection -> the new instance

and the fresh out-of-sample draw that ``evaluate`` and ``frontier`` share (:func:`draw`).

Example::

    from stockpile.instance import load
    from stockpile.scenarios.pipeline import SampleOptions, ScenariosOptions, run_scenarios

    result = run_scenarios(load("instances/us_japan_2026.yaml"),
                           ScenariosOptions(SampleOptions(n=2000, seed=1), reduce=100))
    result.instance            # the instance with 100 scenarios, probabilities summing to 1
    result.disrupted_share     # share of the 2,000 sampled scenarios with some disruption
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..instance.schema import Instance
from .generator import ScenarioSet, TimeStructure

MAX_REDUCE = 5000
"""Most scenarios fast forward selection starts from (it keeps an n x n distance matrix)."""


@dataclass(frozen=True)
class SampleOptions:
    """One draw from the calibrated event library (docs/scenarios.md)."""

    n: int  # scenarios to sample (>= 1)
    seed: int  # random seed (>= 0)
    rate_scale: float = 1.0  # every event rate times this (stress test; > 0)
    # "instance": events start in any period; "nds": a conflict phase in which events start,
    # then recovery years (the National Defense Stockpile's structure)
    structure: TimeStructure = "instance"
    conflict_years: float = 1.0  # nds: length of the conflict phase in years
    recovery_years: int = 3  # nds: recovery years after the conflict phase
    conflict_factor: float = 1.0  # nds: event rates in the conflict phase times this
    keep_periods: bool = False  # nds: keep the instance's periods, the first the conflict

    def describe(self) -> str:
        """The options as the command that gives them (an instance's provenance note)."""
        return (f"stockpile scenarios --n {self.n} --seed {self.seed} --structure "
                f"{self.structure} --rate-scale {self.rate_scale:g}")


def draw(inst: Instance, sampling: SampleOptions, prefix: str = "g") -> ScenarioSet:
    """``sampling.n`` scenarios for ``inst`` from the event library scaled by its rate."""
    from . import DEFAULT_LIBRARY, sample

    return sample(inst, sampling.n, sampling.seed, DEFAULT_LIBRARY.scaled(sampling.rate_scale),
                  sampling.structure, sampling.conflict_years, sampling.recovery_years,
                  sampling.conflict_factor, prefix=prefix, keep_periods=sampling.keep_periods)


def fresh_sample(inst: Instance, sampling: SampleOptions) -> ScenarioSet:
    """The fresh sample a plan of ``inst`` is evaluated on; with the nds structure the
    instance's periods must be NDS ones (a plan is evaluated on the periods it was made for).
    Raises ValueError otherwise."""
    sset = draw(inst, sampling, prefix="oos")
    have = [(p.id, p.years) for p in inst.periods]
    want = [(p.id, p.years) for p in sset.periods]
    if have != want:
        raise ValueError(f"--structure {sampling.structure}: gives periods {want}, the "
                         f"instance has {have}; generate the instance with the same structure")
    return sset


@dataclass(frozen=True)
class ScenariosOptions:
    """What ``stockpile scenarios`` does; checked when made (ValueError naming the option)."""

    sampling: SampleOptions = SampleOptions(n=1000, seed=1)
    reduce: int | None = None  # keep this many scenarios by fast forward selection
    name: str | None = None  # the new instance's name (None: the source's)

    def __post_init__(self) -> None:
        n = self.sampling.n
        if self.reduce is not None and self.reduce > n:
            raise ValueError(f"--reduce {self.reduce}: must be at most --n ({n})")
        if self.reduce is not None and n > MAX_REDUCE:
            raise ValueError(f"--n {n} with --reduce: fast forward selection keeps an n x n "
                             f"distance matrix; at most {MAX_REDUCE} scenarios")


@dataclass(frozen=True)
class EventCount:
    """Events of one kind that hit the instance's materials, and their mean depth."""

    type: str
    events: int
    mean_depth: float


@dataclass
class ScenariosResult:
    """The new instance and what was sampled for it."""

    instance: Instance  # the source with the sampled (or kept) scenarios
    source: str  # the source instance's name
    sampling: SampleOptions
    event_types: list[EventCount]  # kinds with at least one event hitting the instance
    disrupted_share: float  # share of the sampled scenarios with some disruption
    unmatched: list[str]  # materials without supply data (only demand and midstream events)
    reduced_to: int | None = None
    distance: float | None = None  # Kantorovich distance of the kept set to the sample
    note: str = ""  # the provenance written into the instance's scenarios

    def summary(self, file: str) -> dict[str, Any]:
        """The head of scenarios.json (``file``: where the instance was written)."""
        s = self.sampling
        return {"source": self.source, "n": s.n, "seed": s.seed, "structure": s.structure,
                "rate_scale": s.rate_scale, "disrupted_share": self.disrupted_share,
                "event_types": [{"type": e.type, "events": e.events,
                                 "mean_depth": e.mean_depth} for e in self.event_types],
                "file": file, "reduced_to": self.reduced_to, "distance": self.distance}


def event_counts(sset: ScenarioSet) -> list[EventCount]:
    """Events per kind that hit the instance's materials (kinds with none left out)."""
    import numpy as np

    ev = sset.events
    hit = ev["materials"].any(axis=1) if ev else np.zeros(0, bool)
    counts = []
    for i, kind in enumerate(t.name for t in sset.event_types):
        mask = (ev["type"] == i) & hit if ev else np.zeros(0, bool)
        if mask.any():
            counts.append(EventCount(kind, int(mask.sum()), float(ev["depth"][mask].mean())))
    return counts


def disrupted_share(sset: ScenarioSet) -> float:
    """Share of scenarios where some supply is cut, demand surges or capacity falls."""
    disrupted = (sset.supply < 1).any(axis=(1, 2, 3)) | (sset.demand_mult > 1).any(
        axis=(1, 2, 3)) | (sset.capacity_mult < 1).any(axis=(1, 2, 3))
    return float(disrupted.mean())


def reduce_scenarios(inst: Instance, sset: ScenarioSet, n: int) -> tuple[ScenarioSet, float]:
    """Fast forward selection of ``n`` scenarios: the subset and its Kantorovich distance."""
    import numpy as np

    from ..model.data import model_data
    from .reduction import fast_forward, features

    base = replace(model_data(inst, "national"), periods=[p.id for p in sset.periods],
                   years=np.array([p.years for p in sset.periods]))
    data = sset.apply(base)
    sel, q, dist = fast_forward(features(data), data.probability, n)
    return sset.subset(sel, q), float(dist)


def run_scenarios(inst: Instance, options: ScenariosOptions = ScenariosOptions()
                  ) -> ScenariosResult:
    """Sample ``options.sampling`` for ``inst``, optionally reduce, and build the new
    instance (validated; nothing written)."""
    from .calibration import match_material
    from .writer import with_scenarios

    s = options.sampling
    sset = draw(inst, s)
    result = ScenariosResult(
        inst, inst.name, s, event_counts(sset), disrupted_share(sset),
        [m.id for m in inst.materials if match_material(m.id, m.name) is None])
    note = f"scenarios: {s.describe()}"
    if options.reduce is not None:
        sset, result.distance = reduce_scenarios(inst, sset, options.reduce)
        result.reduced_to = options.reduce
        note += (f" --reduce {options.reduce} (fast forward selection, distance "
                 f"{result.distance:.6g})")
    result.note = note
    result.instance = with_scenarios(inst, sset, note, name=options.name)
    return result
