"""The command: exit codes, and nothing written unless a whole report can be."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import tiny
from stockpile import cli
from stockpile.report import files


def write(tmp_path: Path, raw: dict, name: str = "inst.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return path


def test_solve_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    inst = write(tmp_path, tiny())
    out = tmp_path / "rep"
    assert cli.main(["solve", str(inst), "--out", str(out), "--quiet"]) == cli.EXIT_OK
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "report.html", "plan.csv", "result.json"} <= names
    result = json.loads((out / "result.json").read_text())
    assert result["solver"]["status"] == "optimal"
    assert result["solver"]["objective"] == pytest.approx(110.0)
    assert len(result["instance"]["content_hash"]) == 64
    assert "optimal" in capsys.readouterr().out
    # provenance: the command line and the package versions, in result.json and the report
    assert result["command"] == f"stockpile solve {inst} --out {out} --quiet"
    from importlib.metadata import version
    assert result["packages"]["highspy"] == version("highspy")
    assert result["packages"]["pyomo"] == version("pyomo")
    md = (out / "report.md").read_text()
    assert f"| Command line | stockpile solve {inst} --out {out} --quiet |" in md
    assert f"highspy {version('highspy')}, pyomo {version('pyomo')}" in md


def test_default_folder_is_reports_slash_name(tmp_path: Path, monkeypatch) -> None:
    inst = write(tmp_path, tiny())
    monkeypatch.chdir(tmp_path)
    assert cli.main(["solve", str(inst), "--quiet", "--mode", "national"]) == 0
    assert (tmp_path / "reports" / "tiny" / "report.md").exists()


def test_bad_instance_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    raw = tiny()
    raw["products"][0]["price"] = -3
    raw["scenarios"][0]["probability"] = 0.7
    inst = write(tmp_path, raw)
    out = tmp_path / "rep"
    assert cli.main(["solve", str(inst), "--out", str(out)]) == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert "products[0].price" in err and "-3" in err
    assert not out.exists()


def test_infeasible_exits_3_with_the_reason(tmp_path: Path, capsys) -> None:
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1, "volume": 1}],
               holders=[{"id": "A", "budget": 100,
                         "facilities": [{"id": "depot", "capacity": 3}]}],
               inventory=[{"holder": "A", "product": "ga4n", "tonnes": 5}])
    out = tmp_path / "rep"
    assert cli.main(["solve", str(write(tmp_path, raw)), "--out", str(out)]) == \
        cli.EXIT_INFEASIBLE
    assert "existing inventory needs 5.0 m3" in capsys.readouterr().err
    assert not out.exists()


def test_interrupted_solve_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    from stockpile import pipeline

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "solve", interrupted)
    out = tmp_path / "rep"
    assert cli.main(["solve", str(write(tmp_path, tiny())), "--out", str(out)]) == \
        cli.EXIT_INTERRUPTED
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["inst.yaml"]


def test_failed_report_leaves_previous_report(tmp_path: Path, monkeypatch) -> None:
    from stockpile import report

    inst = write(tmp_path, tiny())
    out = tmp_path / "rep"
    assert cli.main(["solve", str(inst), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        cli.main(["solve", str(inst), "--out", str(out), "--quiet", "--mode", "pooled"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.yaml", "rep"]


def test_bad_options_exit_2(tmp_path: Path) -> None:
    inst = str(write(tmp_path, tiny()))
    for bad in (["--gap", "2"], ["--time-limit", "-1"], ["--threads", "0"], ["--mode", "x"]):
        with pytest.raises(SystemExit) as info:
            cli.main(["solve", inst, *bad])
        assert info.value.code == 2


def test_validate_prints_hash(tmp_path: Path, capsys) -> None:
    assert cli.main(["validate", str(write(tmp_path, tiny()))]) == 0
    assert "content hash:" in capsys.readouterr().out


def test_module_entry_point_exit_code(tmp_path: Path) -> None:
    raw = tiny()
    raw["holders"][0]["budjet"] = 1
    proc = subprocess.run([sys.executable, "-m", "stockpile", "validate",
                           str(write(tmp_path, raw))], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "holders[0].budjet" in proc.stderr and "Extra inputs are not permitted" in proc.stderr


def test_solve_keeps_other_reports_in_subfolders(tmp_path: Path) -> None:
    inst = write(tmp_path, tiny())
    out = tmp_path / "rep"
    assert cli.main(["solve", str(inst), "--out", str(out), "--quiet"]) == 0
    # a report of stockpile's own in a sub-folder (marker file) is carried over
    files.write_folder(out / "compare",
                       lambda tmp: [(tmp / "compare.md").write_text("kept") and "compare.md"])
    assert cli.main(["solve", str(inst), "--out", str(out), "--quiet"]) == 0
    assert (out / "compare" / "compare.md").read_text() == "kept"
    assert (out / "report.md").exists()
    # a sub-folder stockpile did not write makes the solve refuse the folder (exit 2)
    (out / "mine").mkdir()
    (out / "mine" / "notes.txt").write_text("mine")
    assert cli.main(["solve", str(inst), "--out", str(out), "--quiet"]) == cli.EXIT_INPUT
    assert (out / "mine" / "notes.txt").read_text() == "mine"
