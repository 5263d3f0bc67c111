"""Disruption scenarios from real supply data: the event library, its calibration, seeded
sampling, scenario reduction and writing scenarios into an instance (docs/scenarios.md)."""

from .events import EventType
from .generator import Draws, ScenarioSet, nds_periods, sample
from .kinds import EventKind, Slot, Strike
from .library import DEFAULT_LIBRARY, Library
from .reduction import fast_forward, features
from .writer import with_scenarios

__all__ = ["DEFAULT_LIBRARY", "Draws", "EventKind", "EventType", "Library", "ScenarioSet",
           "Slot", "Strike", "fast_forward", "features", "nds_periods", "sample",
           "with_scenarios"]
