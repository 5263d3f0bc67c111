"""``--interface arrays`` (stockpile/solve/direct.py): the extensive form from arrays into
HiGHS, read back without Pyomo, gives the Pyomo path's optimum and figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stockpile.pipeline import run_solve
from stockpile.solve.highs import SolveOptions
from test_regression import GAP, LEDGER, tolerance

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "instances" / "tiny_sharing.yaml"


@pytest.mark.parametrize(("name", "mode"), [
    ("tiny_sharing", "national"), ("tiny_sharing", "bilateral"),
    # the quick instance (20 scenarios) stands for the shipped data: the 100-scenario default
    # is solved in the slow step by the ledger alone (one large solve per mode in all of CI),
    # and its array model equals Pyomo's entry by entry (tests/test_lp_equal.py)
    pytest.param("us_japan_2026_quick", "bilateral", marks=pytest.mark.slow)])
def test_optimum_and_figures_as_the_pyomo_path(name: str, mode: str) -> None:
    path = ROOT / "instances" / f"{name}.yaml"
    gap = GAP.get(name, 1e-9)
    fast = run_solve(path, mode, SolveOptions(mip_gap=gap, interface="arrays"))  # type: ignore
    slow = run_solve(path, mode, SolveOptions(mip_gap=gap))  # type: ignore[arg-type]
    objective, n_vars, n_int, n_rows = LEDGER[name, mode]
    st = fast.stats
    assert st.status == "optimal" and st.interface == "arrays"
    assert st.objective == pytest.approx(objective, rel=tolerance(name))
    assert (st.n_variables, st.n_integer, st.n_constraints) == (n_vars, n_int, n_rows)
    assert fast.figures is not None and slow.figures is not None
    assert fast.figures.objective_recomputed == pytest.approx(st.objective, rel=1e-9)
    if name in GAP:  # solved to a gap, the two paths may stop at different (equal-cost) plans
        return
    assert dict(fast.figures.objective_terms.items()) == pytest.approx(
        dict(slow.figures.objective_terms.items()), rel=1e-6)
    if name == "tiny_sharing" and mode == "bilateral":
        return  # symmetric optima (A and B may swap 8 and 6 t): scenario costs may differ
    assert [s.total_cost for s in fast.figures.scenarios] == pytest.approx(
        [s.total_cost for s in slow.figures.scenarios], rel=1e-6)


def test_forced_agreement() -> None:
    """tiny_sharing bilateral with the agreement forced off is the national optimum (220)."""
    out = run_solve(TINY, "bilateral", SolveOptions(mip_gap=1e-9, interface="arrays"),
                    agreements={"A|B|ga": False})
    assert out.stats.objective == pytest.approx(220.0)
    with pytest.raises(KeyError, match="not a candidate agreement"):
        run_solve(TINY, "bilateral", SolveOptions(interface="arrays"), agreements={"A|B|x": True})


def test_no_pyomo_import(tmp_path: Path) -> None:
    """The arrays path solves and writes the report without importing Pyomo."""
    code = ("import sys; from stockpile.cli import main; "
            f"rc = main(['solve', {str(TINY)!r}, '--interface', 'arrays', '--quiet', "
            f"'--out', {str(tmp_path / 'r')!r}]); "
            "assert rc == 0; assert not [m for m in sys.modules if m.startswith('pyomo')]")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
