"""The model's two writings hold the same LP, coefficient by coefficient.

The Pyomo builders (model/first_stage.py, second_stage.py) and the array builder
(model/arrays.py, which the L-shaped engine, ``--interface arrays`` and the out-of-sample
evaluator use) must write the same matrix, bounds, costs and integrality. Rather than solve
instances twice and compare optima, this compiles the Pyomo model to standard form and
matches every column through its model index (``readback.model_keys``) and every row
through its constraint family and index (``LinearArrays.row_keys``), then compares each row
entry by entry (a row may be written with the opposite sign, its bounds swapped and
negated). In the spirit of Calliope's golden LP files per constraint family, a second test
checks that every constraint family of the Pyomo model is registered here and that every
family is exercised by some instance below.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from stockpile.instance import load, parse
from stockpile.instance.schema import Instance
from stockpile.model.arrays import LinearArrays, build_arrays
from stockpile.model.build import build_model
from stockpile.model.data import MODES, ModelData, model_data
from stockpile.solve.highs import compile_lp
from stockpile.solve.readback import model_keys

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import synthetic  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from test_evaluate_recourse import _grades_and_route, _random_scenarios  # noqa: E402

# Pyomo constraint component -> the array builder's row family, and how the family's row
# index arrays (LinearArrays.row_keys) name the Pyomo constraint's index
FAMILIES = {
    "programme_link": "programme",
    "storage_balance": "storage balance",
    "storage_capacity": "storage capacity",
    "market_cap": "market cap",
    "budget": "budget",
    "stock_exhaustion": "exhaustion",
    "demand_balance": "demand",
    "share_cap": "share cap",
    "share_link": "agreement link",
}


def _row_names(data: ModelData) -> dict[str, object]:
    H, K, M, F = data.holders, data.products, data.materials, data.facilities
    T, S = data.periods, data.scenarios

    def link(li: int, s: int) -> tuple[str, str, str, str]:
        return (H[int(data.link_from[li])], H[int(data.link_to[li])],
                M[int(data.link_material[li])], S[s])

    return {
        "programme": lambda h, k: (H[h], K[k]),
        "storage balance": lambda h, k: (H[h], K[k]),
        "storage capacity": lambda f: F[f],
        "market cap": lambda m: M[m],
        "budget": lambda h: H[h],
        "exhaustion": lambda h, k, s: (H[h], K[k], S[s]),
        "demand": lambda h, k, t, s: (H[h], K[k], T[t], S[s]),
        "share cap": link,
        "agreement link": link,
    }


def _instances() -> list[tuple[str, ModelData]]:
    out = []
    for name in ("tiny_sharing", "us_japan_2026_quick"):
        inst = load(ROOT / "instances" / f"{name}.yaml")
        out += [(f"{name}-{mode}", model_data(inst, mode)) for mode in MODES]
    # two grades, a route at both holders, share caps, random cuts, surges and capacities
    grades = parse(_grades_and_route())
    out += [(f"grades-{mode}", _random_scenarios(model_data(grades, mode), 6, 4))
            for mode in MODES]
    # the same with products counted in contained metal (metal_content 0.5, 0.8, 1.7) and
    # caps of 20 t of gallium and 30 t of cobalt, below what the budgets reach: the market-cap
    # rows carry metal_content_k lot_k and the lot bounds U_hk shrink with them
    raw = _grades_and_route()
    for product, content in zip(raw["products"], (0.5, 0.8, 1.7), strict=True):
        product.update(metal_content=content, metal_content_source="test")
    for material, share in zip(raw["materials"], (0.02, 0.03), strict=True):
        material["market_cap_share"] = share
    metal = parse(raw)
    out += [(f"grades-metal-{mode}", _random_scenarios(model_data(metal, mode), 6, 4))
            for mode in MODES]
    synth = Instance.model_validate(synthetic(materials=4, grades=2, holders=3, periods=3,
                                              scenarios=6, seed=3))
    out += [(f"synthetic-{mode}", model_data(synth, mode)) for mode in MODES]
    return out


INSTANCES = _instances()


def _pyomo_lp(data: ModelData) -> tuple[object, object, object, np.ndarray,
                                         list[tuple[str, object]]]:
    """The model (kept: its components hold only weak references to it), HiGHS's LP of
    its standard form, the form, integrality, and each row's (component, index)."""
    m = build_model(data)
    lp, repn, integer = compile_lp(m)
    rows = [(con.parent_component().local_name, con.index()) for con, _ in repn.rows]
    return m, lp, repn, integer, rows


def _column_map(data: ModelData, arr: LinearArrays, repn: object) -> np.ndarray:
    """For each Pyomo column, the array column of the same variable."""
    names = model_keys(data)
    where = {}
    for block, (start, stop) in arr.blocks.items():
        for i in range(stop - start):
            key = names[block](*(int(k[i]) for k in arr.keys[block]))
            where[block, key if isinstance(key, tuple) else (key,)] = start + i
    out = []
    for v in repn.columns:  # type: ignore[attr-defined]
        idx = v.index()
        out.append(where[v.parent_component().local_name,
                         idx if isinstance(idx, tuple) else (idx,)])
    return np.array(out, dtype=np.int64)


def _row_map(data: ModelData, arr: LinearArrays, rows: list[tuple[str, object]]
             ) -> np.ndarray:
    """For each Pyomo row, the array row of the same constraint."""
    names = _row_names(data)
    where = {}
    for family, (start, _stop) in arr.row_blocks.items():
        for i, key in enumerate(zip(*arr.row_keys[family])):
            where[family, names[family](*(int(x) for x in key))] = start + i
    return np.array([where[FAMILIES[comp], idx] for comp, idx in rows], dtype=np.int64)


@pytest.mark.parametrize(("label", "data"), INSTANCES, ids=[n for n, _ in INSTANCES])
def test_pyomo_and_arrays_write_the_same_lp(label: str, data: ModelData) -> None:
    _m, lp, repn, integer, rows = _pyomo_lp(data)
    arr = build_arrays(data)
    col = _column_map(data, arr, repn)
    row = _row_map(data, arr, rows)
    assert len(set(col)) == len(col) and len(set(row)) == len(row)
    assert arr.n_rows == len(rows)
    # Pyomo's compiler leaves out a variable that appears in no row and not in the objective
    # (an agreement with no fixed cost where no scenario could ship); so may the arrays
    # keep it, but only so
    extra = np.setdiff1d(np.arange(arr.n_vars), col)
    assert not arr.A.tocsc()[:, extra].nnz and not arr.c[extra].any(), label
    # columns: cost, bounds, integrality
    np.testing.assert_allclose(arr.c[col], np.asarray(lp.col_cost_), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(arr.integer[col], integer)
    np.testing.assert_allclose(arr.col_lo[col], np.asarray(lp.col_lower_), rtol=1e-12)
    hi_py = np.asarray(lp.col_upper_)
    hi_py = np.where(hi_py >= 1e30, np.inf, hi_py)
    np.testing.assert_allclose(arr.col_hi[col], hi_py, rtol=1e-12)
    assert float(arr.offset) == pytest.approx(float(lp.offset_), rel=1e-12, abs=1e-9)
    # rows, entry by entry: A_py[i, j] = sign_i * A_arr[row[i], col[j]]
    A_py = csr_matrix(repn.A)  # type: ignore[attr-defined]
    A_arr = arr.A.tocsr()[row][:, col]
    lo_py = np.where(np.asarray(lp.row_lower_) <= -1e30, -np.inf, np.asarray(lp.row_lower_))
    hi_py = np.where(np.asarray(lp.row_upper_) >= 1e30, np.inf, np.asarray(lp.row_upper_))
    lo_arr, hi_arr = arr.row_lo[row], arr.row_hi[row]
    for i in range(len(rows)):
        a, b = A_py[i], A_arr[i]
        pa = dict(zip(a.indices.tolist(), a.data.tolist()))
        pb = dict(zip(b.indices.tolist(), b.data.tolist()))
        assert pa.keys() == pb.keys(), (label, rows[i])
        j = next(iter(pa))
        sign = 1.0 if pa[j] * pb[j] > 0 else -1.0
        for j, v in pa.items():
            assert v == pytest.approx(sign * pb[j], rel=1e-12), (label, rows[i], j)
        lo, hi = (lo_arr[i], hi_arr[i]) if sign > 0 else (-hi_arr[i], -lo_arr[i])
        assert lo_py[i] == pytest.approx(lo, rel=1e-12, abs=1e-9), (label, rows[i])
        assert hi_py[i] == pytest.approx(hi, rel=1e-12, abs=1e-9), (label, rows[i])


def test_every_constraint_family_is_registered_and_exercised() -> None:
    # every Pyomo constraint component of the canonical model has its array family here,
    # and every family has rows in some instance above, so none goes unchecked
    comps: set[str] = set()
    used: set[str] = set()
    for _label, data in INSTANCES:
        m = build_model(data)
        comps |= {c.local_name for c in m.component_objects(__import__(
            "pyomo.environ", fromlist=["Constraint"]).Constraint, active=True)}
        arr = build_arrays(data)
        used |= {f for f, (a, b) in arr.row_blocks.items() if b > a}
    assert comps == set(FAMILIES), comps ^ set(FAMILIES)
    assert used == set(FAMILIES.values()), set(FAMILIES.values()) - used
    # a hand check of the registry's premise: the tiny instance's one budget row
    tiny = model_data(parse(__import__("conftest").tiny()))
    arr = build_arrays(tiny)
    start, stop = arr.row_blocks["budget"]
    assert stop - start == 1 and arr.row_hi[start] == 1e6
