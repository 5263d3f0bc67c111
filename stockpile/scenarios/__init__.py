"""Disruption scenarios from real supply data: the event library, its calibration, seeded
sampling, scenario reduction and writing scenarios into an instance (docs/scenarios.md)."""

from .events import DEFAULT_LIBRARY, Library
from .generator import ScenarioSet, nds_periods, sample
from .reduction import fast_forward, features
from .writer import with_scenarios

__all__ = ["DEFAULT_LIBRARY", "Library", "ScenarioSet", "fast_forward", "features",
           "nds_periods", "sample", "with_scenarios"]
