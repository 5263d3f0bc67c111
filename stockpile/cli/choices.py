"""Choices the argument parsers offer, without importing the model or the solver (so
``stockpile --help`` starts fast): re-exported from the light modules that define them.
tests/test_cli_fast.py checks they equal what the model and solver use."""

from ..model.modes import MODES
from ..solve.options import INTERFACES

__all__ = ["INTERFACES", "MODES"]
