"""Choices the argument parsers offer, without importing the model or the solver (so
``stockpile --help`` starts fast). tests/test_cli_fast.py checks they equal the originals
(stockpile.model.data.MODES, stockpile.solve.highs.INTERFACES)."""

MODES = ("national", "bilateral", "pooled")
INTERFACES = ("standard_form", "appsi")
