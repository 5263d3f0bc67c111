"""The event library: a tuple of event kinds (``kinds.py``), and the calibrated default.

The default library's numbers and where they come from are in ``events.py`` and
docs/scenarios.md. A library is drawn kind by kind in its order (``Slot.turn`` aside), so
the same seed gives the same scenarios only for the same library.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

from .events import CHINA_REGIMES, EventType, Regime
from .kinds import DemandSurge, EventKind, Licensing, Midstream, Outage, Quota

K = TypeVar("K", bound=EventKind)


@dataclass(frozen=True)
class Library:
    """The event kinds scenarios are sampled from; ``events['type']`` of a sample indexes
    ``names``."""

    kinds: tuple[EventKind, ...]

    def __post_init__(self) -> None:
        names = [k.name for k in self.kinds]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"event library: kind name {name!r} appears "
                                 f"{names.count(name)} times; each kind needs its own name")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.kinds)

    def kind(self, name: str) -> EventKind:
        for k in self.kinds:
            if k.name == name:
                return k
        raise KeyError(f"event library: no kind {name!r}; the kinds are {list(self.names)}")

    def types(self) -> dict[str, EventType]:
        """Each kind's parameters, by name."""
        return {k.name: k.params for k in self.kinds}

    def scaled(self, factor: float) -> Library:
        """The same library with every rate multiplied by ``factor`` (stress testing)."""
        return Library(tuple(replace(k, params=replace(k.params, rate=k.params.rate * factor))
                             for k in self.kinds))

    def kind_of(self, name: str, cls: type[K]) -> K:
        """The kind ``name``, which must be a ``cls``."""
        k = self.kind(name)
        if not isinstance(k, cls):
            raise TypeError(f"event library: kind {name!r} is a {type(k).__name__}, "
                            f"not a {cls.__name__}")
        return k

    # The default kinds' parameters under their old names (tests and reports read them).
    @property
    def licensing(self) -> EventType:
        return self.kind("licensing").params

    @property
    def regimes(self) -> tuple[Regime, ...]:
        """What a licensing onset re-enacts."""
        return self.kind_of("licensing", Licensing).regimes

    def licensing_rate(self, key: str) -> float:
        """Yearly rate at which licensing regimes hit a material of regime key ``key``."""
        return self.kind_of("licensing", Licensing).rate_for(key)

    @property
    def outage_min_share(self) -> float:
        """Producer countries with at least this world share have an outage slot."""
        return self.kind_of("outage", Outage).min_share


DEFAULT_LIBRARY = Library((
    Licensing(EventType("licensing", 0.375, 2.55, 0.45, 0.25, 1.2, 0.5, 0.8,
                        ("REE2010", "REE2010JP", "GAGE2023", "GAJP2023", "GRAPH2023",
                         "SB2024", "W2025", "BI2025", "REE2025")),
              regimes=CHINA_REGIMES, target_probability=0.5, country="China"),
    Quota(EventType("cobalt_quota", 0.0625, 5.6, 4.4, 0.7, 0.5, 1.0, 0.5, ("CO2025",)),
          country="Congo (Kinshasa)", keys=("cobalt",)),
    Outage(EventType("outage", 0.01, 2.0, 2.0, 0.5, 0.8, 0.5, 0.8, ("PD2022", "CO2025")),
           min_share=0.2),
    Midstream(EventType("midstream", 0.05, 2.0, 2.0, 0.25, 0.8, 0.25, 0.8, ())),
    DemandSurge(EventType("demand_surge", 0.02, 2.0, 4.67, 0.5, 0.8, 0.5, 0.8, ("LI2022",)),
                scale=1.0),
))
