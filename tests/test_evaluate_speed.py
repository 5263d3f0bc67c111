"""100,000 scenarios of the default instance's shape evaluated in under 30 s (slow)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from stockpile.analysis.evaluate import evaluate
from stockpile.analysis.frontier import optimise
from stockpile.instance import load
from stockpile.model.data import model_data
from stockpile.scenarios import sample

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_100k_scenarios_under_30_seconds() -> None:
    default = ROOT / "instances" / "us_japan_2026.yaml"
    if default.exists():
        inst = load(default)
    else:
        spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "evaluate.py")
        bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(bench)  # type: ignore[union-attr]
        inst = bench.stand_in()
    data = model_data(inst, "bilateral")
    plan, _ = optimise(data)
    t = time.perf_counter()
    ev = evaluate(sample(inst, 100_000, 5).apply(data), plan)
    assert time.perf_counter() - t < 30.0
    assert len(ev.second) == 100_000
