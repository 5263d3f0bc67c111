"""``stockpile solve --engine benders``: the L-shaped method (stockpile/solve/benders.py).

Without MPI (one process): the cut is valid and exact, complete recourse, the optimum of the
ledger's instances, the report from the bundles' solutions. Marked ``mpi``: 2 ranks under
mpiexec give the 1-rank answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stockpile.cli import main
from stockpile.extract import no_stock_shortfall
from stockpile.instance import load
from stockpile.model.arrays import build_arrays
from stockpile.model.data import model_data
from stockpile.pipeline import run_solve, run_solve_benders
from stockpile.solve.benders import BendersOptions, Bundle, SerialComm, bundles_of, decompose
from stockpile.solve.blocks import common_blocks
from stockpile.solve.highs import SolveOptions
from test_ph import _mpiexec
from test_regression import LEDGER

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "instances" / "tiny_sharing.yaml"
US_JAPAN = ROOT / "instances" / "us_japan_2026.yaml"


def _bundle(path: Path, mode: str, scenarios: list[int], by_block: bool = False
            ) -> tuple[Bundle, int]:
    data = model_data(load(path), mode)  # type: ignore[arg-type]
    first = build_arrays(data.with_scenarios([]))
    return (Bundle(data, np.array(scenarios), first.n_vars, first.n_rows, {}, by_block),
            first.n_vars)


def test_no_stock_recourse_is_the_hand_shortfall() -> None:
    """Complete recourse at the do-nothing plan: tiny_sharing (no opening stock, one tier at
    100 USD/t, demand 10 t/yr, 1 yr) with nothing bought leaves every deficit unmet:
    calm 0, cutA 10 t x 100 = 1,000 USD, cutB 1,000 USD; weighted 0.25 + 0.25 -> 500 USD,
    which is also extract.no_stock_shortfall's figure. National mode (no sharing)."""
    b, n = _bundle(TINY, "national", [0, 1, 2])
    q, slope = b.solve(np.zeros(n))
    assert q == pytest.approx(500.0)
    data = model_data(load(TINY), "national")
    assert q == pytest.approx(float(data.probability @ no_stock_shortfall(data).sum(1)))
    buy_a = 0  # buy (A, ga4n) is the first column; lot 1 t
    # at zero stock Q is not differentiable (less stock is infeasible): any slope <= -25
    assert slope[buy_a] <= -25.0 + 1e-9
    # 5 t held by A: cutA leaves 5 t unmet (0.25 x 500 = 125), cutB 250: Q = 375, and each
    # further tonne of A saves 0.25 x 100 = 25 USD: the slope is exactly -25
    x = np.zeros(n)
    x[buy_a] = 5.0
    q, slope = b.solve(x)
    assert q == pytest.approx(375.0)
    assert slope[buy_a] == pytest.approx(-25.0)


@pytest.mark.parametrize("mode", ["national", "bilateral", "pooled"])
def test_cut_is_exact_at_the_point_and_below_elsewhere(mode: str) -> None:
    """Q_b(x') >= Q_b(x) + g'(x' - x) for first stages x' around x (convexity of an LP value
    in its right-hand side); equality at x. On the first 16 of the default instance's scenarios."""
    b, n = _bundle(US_JAPAN, mode, list(range(16)))
    data = model_data(load(US_JAPAN), mode)  # type: ignore[arg-type]
    first = build_arrays(data.with_scenarios([]))
    rng = np.random.default_rng(3)
    x = np.minimum(first.col_hi, rng.integers(0, 4, n)).astype(float)
    q, g = b.solve(x)
    assert q > 0
    for _ in range(5):
        x2 = np.minimum(first.col_hi, x + rng.integers(-2, 3, n)).clip(0)
        q2, _ = b.solve(x2)
        assert q2 >= q + g @ (x2 - x) - 1e-6 * max(1.0, abs(q))
    assert b.solve(x)[0] == pytest.approx(q)


def test_blocks_of_tiny_by_hand() -> None:
    """tiny_sharing, national: with no agreement A's and B's second stages share no row, and
    each reads only its own lot, so two blocks. At 5 t held by A (and 0 by B): A's block
    leaves 5 t unmet in cutA (0.25 x 5 x 100 = 125 USD) and saves 25 USD per further tonne of
    A; B's leaves 10 t unmet in cutB (0.25 x 1,000 = 250 USD), slope -25 on B's lot (at zero
    stock any slope <= -25 is a subgradient; HiGHS's dual gives -25). Their sum is the bundle's
    375 USD. Bilateral and pooled: the agreement's column (bilateral) or the shared pool
    (pooled) links the holders: one block."""
    b, n = _bundle(TINY, "national", [0, 1, 2], by_block=True)
    assert b.split is not None and b.split.count == 2 == len(b.block_columns())
    x = np.zeros(n)
    x[0] = 5.0  # buy (A, ga4n); column 1 is buy (B, ga4n)
    q, g = b.solve_cuts(x)
    assert sorted(q) == pytest.approx([125.0, 250.0])
    a_block = int(np.argmin(q))
    assert g[a_block, 0] == pytest.approx(-25.0) and g[a_block, 1] == 0.0
    assert g[1 - a_block, 0] == 0.0 and g[1 - a_block, 1] == pytest.approx(-25.0)
    assert q.sum() == pytest.approx(b.solve(x)[0])
    for mode in ("bilateral", "pooled"):
        b, _ = _bundle(TINY, mode, [0, 1, 2], by_block=True)
        assert len(b.block_columns()) == 1


@pytest.mark.parametrize(("mode", "count"), [("national", 30), ("bilateral", 21),
                                             ("pooled", 15)])
def test_block_cuts_sum_to_the_bundle_cut_and_each_is_valid(mode: str, count: int) -> None:
    """The default instance's first 16 scenarios: the blocks (from the matrix alone) are one
    per material and holder, merged where an agreement (bilateral: 15 materials, 9 of them
    with agreements, 2 holders -> 9 + 6 x 2 = 21) or the pool (pooled: 15) links holders;
    national: 15 x 2 = 30. The block values and slopes sum to the bundle's, and every block's
    cut is exact at x and below that block's value at other first stages."""
    b, n = _bundle(US_JAPAN, mode, list(range(16)), by_block=True)
    assert len(b.block_columns()) == count
    data = model_data(load(US_JAPAN), mode)  # type: ignore[arg-type]
    first = build_arrays(data.with_scenarios([]))
    rng = np.random.default_rng(5)
    x = np.minimum(first.col_hi, rng.integers(0, 4, n)).astype(float)
    q, g = b.solve_cuts(x)
    q_all, g_all = b.solve(x)
    assert q.sum() == pytest.approx(q_all, rel=1e-9)
    assert np.allclose(g.sum(axis=0), g_all, rtol=1e-9, atol=1e-6)
    for _ in range(4):
        x2 = np.minimum(first.col_hi, x + rng.integers(-2, 3, n)).clip(0)
        q2, _ = b.solve_cuts(x2)
        assert np.all(q2 >= q + g @ (x2 - x) - 1e-6 * np.maximum(1.0, np.abs(q)))


def test_common_blocks_join_bundles_through_shared_columns() -> None:
    """Bundle 0 has blocks reading first-stage columns {0, 1}, {2} and none (constant);
    bundle 1 has {1, 3} and {4}. Column 1 joins {0, 1} and {1, 3}: common blocks
    {0, 1, 3} -> 0, {2} -> 1, {4} -> 2, constant -> 3 (the last)."""
    cols = [[np.array([0, 1]), np.array([2]), np.array([], dtype=np.int64)],
            [np.array([1, 3]), np.array([4])]]
    numbers, count = common_blocks(cols, 6)
    assert count == 4
    assert numbers[0].tolist() == [0, 1, 3] and numbers[1].tolist() == [0, 2]
    numbers, count = common_blocks([[np.array([5])]], 6)  # no constant block: none counted
    assert count == 1 and numbers[0].tolist() == [0]


QUICK = ROOT / "instances" / "us_japan_2026_quick.yaml"


def _agrees_with_the_ledger(mode: str, gap: float, cuts: str = "block",
                            bundle_size: int | None = None) -> None:
    """The engine's proven interval [lower, upper] holds the extensive form's optimum of the
    ledger (taken at mip_rel_gap 1e-9; 1e-6 relative slack for both solves' tolerances), and
    is at most ``gap`` wide."""
    optimum = LEDGER["us_japan_2026_quick", mode][0]
    data = model_data(load(QUICK), mode)  # type: ignore[arg-type]
    res = decompose(data, BendersOptions(gap=gap, cuts=cuts, bundle_size=bundle_size),
                    SerialComm())
    assert res.stop == "gap" and res.gap <= gap
    assert res.lower <= optimum * (1 + 1e-6) and optimum <= res.upper * (1 + 1e-6)


def test_block_cuts_agree_with_the_extensive_form() -> None:
    """The oracle: us_japan_2026_quick (20 library scenarios), national, block cuts in one
    bundle, to a proven 1e-4: the ledger's extensive-form optimum lies in the interval."""
    _agrees_with_the_ledger("national", 1e-4, bundle_size=20)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["national", "bilateral", "pooled"])
@pytest.mark.parametrize("bundle_size", [None, 1])
def test_engine_agrees_with_the_extensive_form_at_1e6(mode: str, bundle_size: int | None
                                                      ) -> None:
    """The same to 1e-6 in every mode, with block cuts from one bundle of the 20 scenarios
    and from 20 bundles of one (their blocks numbered in common): 10-75 s each under load,
    about 3 minutes for the six."""
    _agrees_with_the_ledger(mode, 1e-6, "block", bundle_size)


def test_bundles_cover_every_scenario_once() -> None:
    groups = bundles_of(250, None)  # default: about 100 bundles -> 3 scenarios each
    assert len(groups) == 84 and sum(len(g) for g in groups) == 250
    assert np.array_equal(np.concatenate(groups), np.arange(250))
    assert [len(g) for g in bundles_of(5, 2)] == [2, 2, 1]


@pytest.mark.parametrize("mode", ["national", "bilateral", "pooled"])
def test_tiny_optimum_and_figures(mode: str) -> None:
    """The ledger's hand-derived optimum (220 / 177 / 115 USD), proven, one scenario per
    bundle; the expected-cost figures equal the extensive form's, and so does every figure
    where the optimal plan is unique (national)."""
    out = run_solve_benders(TINY, mode, SolveOptions(mip_gap=1e-6),  # type: ignore[arg-type]
                            BendersOptions(gap=1e-6, bundle_size=1), SerialComm())
    ef = run_solve(TINY, mode, SolveOptions(mip_gap=1e-9))  # type: ignore[arg-type]
    assert out is not None and out.figures is not None and ef.figures is not None
    st = out.stats
    assert st.status == "optimal" and st.interface == "benders"
    assert st.objective == pytest.approx(LEDGER["tiny_sharing", mode][0], rel=1e-9)
    assert st.bound <= st.objective + 1e-9 and st.gap <= 1e-6
    assert out.figures.objective_recomputed == pytest.approx(st.objective, rel=1e-9)
    assert out.figures.to_dict()["objective_terms"] == pytest.approx(
        ef.figures.to_dict()["objective_terms"])
    if mode != "national":  # several optima: bilateral, A and B may hold 8 and 6 t (the
        return  # extensive form's) or 7 and 7 (block cuts), both 177 USD in expectation but
        # with different worst scenarios; pooled, any split of the 10 t pool. National's
        # plan is unique, so every figure must be the extensive form's
    assert out.figures.to_dict()["scenario_cost_distribution"] == pytest.approx(
        ef.figures.to_dict()["scenario_cost_distribution"])
    assert out.figures.plan == ef.figures.plan
    assert [a.signed for a in out.figures.agreements] == \
        [a.signed for a in ef.figures.agreements]
    flows = lambda f: [(x.scenario, x.from_, x.to, x.product) for x in f]  # noqa: E731
    assert flows(out.figures.flows) == flows(ef.figures.flows)
    assert [x.tonnes for x in out.figures.flows] == pytest.approx(
        [x.tonnes for x in ef.figures.flows])
    for mine, theirs in zip(out.figures.to_dict()["holders"], ef.figures.to_dict()["holders"],
                            strict=True):
        assert mine == pytest.approx(theirs)
    assert [s.total_cost for s in out.figures.scenarios] == pytest.approx(
        [s.total_cost for s in ef.figures.scenarios])


@pytest.mark.slow
def test_default_instance_within_the_requested_gap() -> None:
    """us_japan_2026 (100 scenarios, bilateral; about a minute) at a requested 0.1 %: the
    plan's cost lies between the ledger's optimum and the proven bound's 0.1 %, and the bound
    is below the optimum; the report's expected cost is the plan's. (The ledger's optimum was
    taken at gap 1e-6, hence the 1e-6 slack.)"""
    optimum = LEDGER["us_japan_2026", "bilateral"][0]
    out = run_solve_benders(US_JAPAN, "bilateral", SolveOptions(mip_gap=1e-3),
                            BendersOptions(gap=1e-3, bundle_size=4), SerialComm())
    assert out is not None and out.figures is not None
    st = out.stats
    assert st.status == "optimal" and st.options["bundles"] == 25  # 100 scenarios, 4 per bundle
    assert st.bound <= optimum * (1 + 1e-6) and optimum <= st.objective * (1 + 1e-6)
    assert (st.objective - st.bound) / st.objective <= 1e-3
    assert out.figures.objective_recomputed == pytest.approx(st.objective, rel=1e-9)
    assert len(out.figures.scenarios) == 100


def test_cli_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["solve", str(TINY), "--engine", "benders", "--gap", "1e-6", "--out", str(out),
                 "--quiet"]) == 0
    res = json.loads((out / "result.json").read_text())
    assert res["solver"]["status"] == "optimal"
    assert res["solver"]["options"]["engine"] == "benders"
    assert res["solver"]["objective"] == pytest.approx(177.0)
    assert "L-shaped method on 1 rank(s)" in capsys.readouterr().out


@pytest.mark.mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_benders_over_mpi_matches_one_process(ranks: int, tmp_path: Path) -> None:
    """The default instance, 100 bundles of one scenario spread over the ranks: the same proven
    plan as one process (the loop is deterministic; only where bundles are solved differs)."""
    out = tmp_path / "r"
    cmd = [*_mpiexec(), "-n", str(ranks), sys.executable, "-m", "stockpile", "solve",
           str(US_JAPAN), "--engine", "benders", "--bundles", "1", "--gap", "1e-3",
           "--out", str(out), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads((out / "result.json").read_text())
    one = run_solve_benders(US_JAPAN, "bilateral", SolveOptions(mip_gap=1e-3),
                            BendersOptions(gap=1e-3, bundle_size=1), SerialComm())
    assert one is not None
    assert res["solver"]["options"]["ranks"] == ranks
    assert len(res["solver"]["options"]["peak_rss_mb_per_rank"]) == ranks
    assert res["solver"]["objective"] == pytest.approx(one.stats.objective, rel=1e-9)
    assert res["solver"]["bound"] == pytest.approx(one.stats.bound, rel=1e-9)
    assert len(res["scenarios"]) == len(load(US_JAPAN).scenarios) == 100
