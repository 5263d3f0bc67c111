"""``stockpile solve --engine ph``: progressive hedging over MPI (mpi-sppy).

Tests marked ``mpi`` start ``mpiexec`` in a subprocess (own CI step, after
``pip install -e ".[mpi]"``). The others need no MPI: the missing-MPI message, rho and bundles.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stockpile.cli import main
from stockpile.instance import load
from stockpile.model.build import build_model
from stockpile.model.data import model_data
from stockpile.solve.ph_scenarios import bundle_groups, cost_proportional_rho, nonant_components
from test_regression import LEDGER

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "instances" / "tiny_sharing.yaml"
US_JAPAN = ROOT / "instances" / "us_japan_2026_quick.yaml"  # the default data, 20 scenarios


# ---- without MPI ------------------------------------------------------------------------
def test_missing_mpi_is_one_clear_message(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    """No mpi4py, no mpi-sppy: exit 2, one message naming both and the install command,
    nothing written."""
    for name in ("mpi4py", "mpi4py.MPI", "mpisppy"):
        monkeypatch.setitem(sys.modules, name, None)  # import raises ImportError
    out = tmp_path / "report"
    code = main(["solve", str(TINY), "--engine", "ph", "--out", str(out)])
    assert code == 2
    msg = capsys.readouterr().err
    assert "mpi4py" in msg and "mpi-sppy" in msg
    assert 'pip install -e ".[mpi]"' in msg and "mpiexec" in msg
    assert not out.exists()


def test_rho_is_proportional_to_first_stage_cost() -> None:
    """tiny_sharing: a lot costs price 10 + one year of holding 1 = 11; the agreement's fixed
    cost 20 (half per holder); a programme costs nothing, so it gets the smallest positive
    coefficient (11)."""
    data = model_data(load(TINY), "bilateral")
    m = build_model(data.with_scenarios([0]), expected=False)
    rho = dict(cost_proportional_rho(m, 0.5))
    by_name = {v.name: rho[id(v)] for comp in nonant_components(m) for v in comp.values()}
    assert by_name == {"buy[A,ga4n]": 5.5, "buy[B,ga4n]": 5.5, "programme[A,ga]": 5.5,
                       "programme[B,ga]": 5.5, "agree[A|B|ga]": 10.0}


def test_storage_assignment_is_not_nonanticipative() -> None:
    data = model_data(load(US_JAPAN), "bilateral")
    m = build_model(data.with_scenarios([0]), expected=False)
    names = {c.name for c in nonant_components(m)}
    assert names == {"buy", "programme", "facility_used", "agree"}
    assert all(v.is_integer() or v.is_binary()
               for c in nonant_components(m) for v in c.values())


def test_bundle_groups() -> None:
    assert bundle_groups(3, None) == [[0], [1], [2]]
    assert bundle_groups(5, 2) == [[0, 1], [2, 3], [4]]
    assert bundle_groups(4, 4) == [[0, 1, 2, 3]]


# ---- with MPI -----------------------------------------------------------------------------
def _mpiexec() -> list[str]:
    exe = Path(sys.executable).parent / "mpiexec"
    found = str(exe) if exe.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.fail('mpiexec not found: pip install -e ".[mpi]"')
    cmd = [found]
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        cmd.append("--oversubscribe")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
    return cmd


def _run_ph(instance: Path, ranks: int, out: Path, *extra: str, timeout: float = 600
            ) -> tuple[subprocess.CompletedProcess[str], dict]:
    cmd = [*_mpiexec(), "-n", str(ranks), sys.executable, "-m", "stockpile", "solve",
           str(instance), "--engine", "ph", "--out", str(out), "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=out.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, json.loads((out / "result.json").read_text())


def _check_within_gap(result: dict, ef_optimum: float, ranks: int) -> None:
    """The PH plan's cost is at least the EF optimum and within its own reported gap of it;
    the reported bound is a true lower bound; result.json says how it was solved."""
    s = result["solver"]
    assert s["options"]["engine"] == "ph" and s["interface"] == "ph"
    assert s["options"]["ranks"] == ranks and s["options"]["ph_iterations_run"] >= 1
    obj, bound, gap = s["objective"], s["bound"], s["gap"]
    assert obj >= ef_optimum * (1 - 1e-6)
    assert bound <= ef_optimum * (1 + 1e-6)
    assert (obj - ef_optimum) / abs(obj) <= gap + 1e-6
    assert s["options"]["inner_bound"] == pytest.approx(obj, rel=1e-6)
    assert s["status"] == ("optimal" if gap <= s["options"]["mip_rel_gap"] else "limit") or \
        s["status"] == "time_limit"
    assert s["proven_optimal"] == (s["status"] == "optimal")
    assert result["plan"]  # the usual report figures


@pytest.mark.mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_ph_tiny_sharing(ranks: int, tmp_path: Path) -> None:
    proc, result = _run_ph(TINY, ranks, tmp_path / "tiny")
    _check_within_gap(result, LEDGER["tiny_sharing", "bilateral"][0], ranks)
    assert "progressive hedging on" in proc.stdout
    assert (tmp_path / "tiny" / "report.md").exists()


@pytest.mark.mpi
def test_ph_tiny_sharing_bundles(tmp_path: Path) -> None:
    _, result = _run_ph(TINY, 3, tmp_path / "tiny", "--bundles", "2", "--mode", "national")
    _check_within_gap(result, LEDGER["tiny_sharing", "national"][0], 3)
    assert result["solver"]["options"]["bundle_size"] == 2
    assert result["solver"]["options"]["subproblems"] == 2


@pytest.mark.mpi
def test_ph_us_japan_national(tmp_path: Path) -> None:
    _, result = _run_ph(US_JAPAN, 3, tmp_path / "uj", "--mode", "national",
                        "--time-limit", "60", "--ph-iterations", "30")
    _check_within_gap(result, LEDGER["us_japan_2026_quick", "national"][0], 3)


@pytest.mark.mpi
def test_too_few_ranks_is_clear(tmp_path: Path) -> None:
    cmd = [*_mpiexec(), "-n", "1", sys.executable, "-m", "stockpile", "solve", str(TINY),
           "--engine", "ph", "--out", str(tmp_path / "r")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert "multiple of 3" in proc.stderr
    assert not (tmp_path / "r").exists()
