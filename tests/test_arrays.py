"""The array-built model (stockpile/model/arrays.py) has the same optimum as the Pyomo one:
on every instance and mode of the regression ledger (slow step: tests/test_lp_equal.py
compares the two matrices entry by entry in the default run, so the ledger is not solved
twice there) and on a synthetic instance with conversion routes, facilities and partial
share caps."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from stockpile.instance import load
from stockpile.instance.schema import Instance
from stockpile.model.arrays import build_arrays
from stockpile.model.data import MODES, model_data
from stockpile.pipeline import run_solve
from stockpile.solve.direct import solve_arrays
from stockpile.solve.highs import SolveOptions

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import synthetic  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from test_regression import GAP, LEDGER, SLOW, tolerance  # noqa: E402


# The matrices are compared entry by entry in the default run (tests/test_lp_equal.py). The
# 100-scenario default is left out here: CI solves it once per mode, in the ledger.
@pytest.mark.slow
@pytest.mark.parametrize(("name", "mode"), [(n, m) for n, m in LEDGER if n not in SLOW])
def test_arrays_match_ledger(name: str, mode: str) -> None:
    objective, n_vars, n_int, n_rows = LEDGER[name, mode]
    arr = build_arrays(model_data(load(ROOT / "instances" / f"{name}.yaml"), mode))
    assert (arr.n_vars, arr.n_int, arr.n_rows) == (n_vars, n_int, n_rows)
    out = solve_arrays(arr, mip_gap=GAP.get(name, 1e-9))
    assert out.status == "optimal"
    assert out.objective == pytest.approx(objective, rel=tolerance(name))


def test_tiny_sharing_bilateral_by_hand() -> None:
    """tiny_sharing, bilateral: 177 USD, derived by hand in test_model_hand.py; the array
    model's plan must cost the same when its objective is recomputed from c'x + offset."""
    arr = build_arrays(model_data(load(ROOT / "instances" / "tiny_sharing.yaml"), "bilateral"))
    out = solve_arrays(arr, mip_gap=1e-9)
    x = out.x
    assert x is not None
    assert float(arr.c @ x + arr.offset) == pytest.approx(177.0, abs=1e-6)
    act = arr.A @ x
    assert np.all(act >= arr.row_lo - 1e-6) and np.all(act <= arr.row_hi + 1e-6)
    assert np.allclose(x[arr.integer], np.round(x[arr.integer]), atol=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_synthetic_same_model_and_optimum(mode: str) -> None:
    inst = Instance.model_validate(synthetic(materials=4, grades=2, holders=3, periods=3,
                                             scenarios=6, seed=3))
    data = model_data(inst, mode)  # type: ignore[arg-type]
    arr = build_arrays(data)
    st = run_solve(inst, mode, SolveOptions(mip_gap=1e-9)).stats  # type: ignore[arg-type]
    assert (arr.n_vars, arr.n_int, arr.n_rows, arr.nnz) == (
        st.n_variables, st.n_integer, st.n_constraints, st.n_nonzeros)
    out = solve_arrays(arr, mip_gap=1e-9)
    assert out.status == st.status == "optimal"
    assert out.objective == pytest.approx(st.objective, rel=1e-7)
