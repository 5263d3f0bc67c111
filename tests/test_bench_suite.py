"""The benchmark suite's measurement (benchmarks/suite.py) on the smallest size: both paths
build the same model (same counts) and reach optima whose proven intervals overlap; the
interval check itself is exercised on made-up figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from suite import agree, measure


def test_both_paths_on_a_small_size() -> None:
    p = measure("pyomo", 3, 2, 2, grades=1, periods=2, warm_up=False)
    a = measure("arrays", 3, 2, 2, grades=1, periods=2, warm_up=False)
    assert (p["vars"], p["ints"], p["rows"], p["nnz"]) == (a["vars"], a["ints"], a["rows"],
                                                            a["nnz"])
    assert p["vars"] > 0 and p["nnz"] > 0
    assert p["status"] == a["status"] == "optimal"
    assert p["objective"] == pytest.approx(a["objective"], rel=1e-4)
    assert agree(p, a) == "agree"
    for r in (p, a):
        assert r["build"] > 0 and r["solve"] > 0 and r["peak_mb"] > 0


def test_agree_is_interval_overlap() -> None:
    assert agree({"objective": 100.0, "bound": 99.0}, {"objective": 99.5, "bound": 98.0}) \
        == "agree"
    assert agree({"objective": 100.0, "bound": 99.9}, {"objective": 99.0, "bound": 98.0}) \
        == "DIFFER"
    assert agree({"objective": None, "bound": None}, {"objective": 1.0, "bound": 1.0}) \
        == "no plan"
