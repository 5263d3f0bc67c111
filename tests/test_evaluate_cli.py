"""The scenarios and evaluate commands: outputs, and exit 2 with nothing written on bad input."""

from __future__ import annotations

import json

import pytest

from stockpile.cli import main
from stockpile.instance import dump_yaml, load
from tests.test_scenarios import _inst


@pytest.fixture
def inst_path(tmp_path):
    path = tmp_path / "inst.yaml"
    dump_yaml(_inst(2), path)
    return path


def test_scenarios_then_evaluate(inst_path, tmp_path, capsys) -> None:
    gen = tmp_path / "gen.yaml"
    assert main(["scenarios", str(inst_path), "--out", str(gen), "--n", "300", "--reduce",
                 "20", "--structure", "nds", "--rate-scale", "3"]) == 0
    inst = load(gen)
    assert len(inst.scenarios) == 20 and next(p.id for p in inst.periods) == "conflict"
    # named after its file, so that its reports do not overwrite the source instance's
    assert inst.name == "gen" and "calibrated event library" in inst.description
    assert sum(s.probability for s in inst.scenarios) == pytest.approx(1.0)
    out = tmp_path / "rep"
    assert main(["evaluate", str(gen), "--n", "2000", "--structure", "nds", "--rate-scale",
                 "3", "--mode", "national", "--out", str(out)]) == 0
    res = json.loads((out / "evaluation.json").read_text())
    names = [p["plan"] for p in res["plans"]]
    assert names[0] == "optimised" and "KOMIR 100 days" in names and names[-1] == "no stock"
    for p in res["plans"]:
        assert p["ci95"][0] <= p["mean"] <= p["ci95"][1]
    assert "<svg" in (out / "evaluation.html").read_text()


@pytest.mark.parametrize(("argv", "message"), [
    (["scenarios", "{inst}", "--out", "{tmp}/x.txt"], "--out"),
    (["scenarios", "{inst}", "--out", "{tmp}/x.yaml", "--n", "10", "--reduce", "20"],
     "--reduce 20"),
    (["scenarios", "{inst}", "--out", "{tmp}/x.yaml", "--n", "6000", "--reduce", "20"],
     "at most 5000"),
    (["evaluate", "{inst}", "--plan", "{tmp}/missing.csv", "--out", "{tmp}/x"], "--plan"),
    (["evaluate", "{inst}", "--structure", "nds", "--out", "{tmp}/x"], "--structure nds"),
    (["evaluate", "{inst}", "--plan", "{inst}", "--out", "{tmp}/x"], ".csv or .json"),
])
def test_bad_input_exit_2_nothing_written(inst_path, tmp_path, capsys, argv, message) -> None:
    args = [a.format(inst=inst_path, tmp=tmp_path) for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_bad_plan_row(inst_path, tmp_path, capsys) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("holder,product,lots\nUS-DLA,gallium-p,2.5\n")
    assert main(["evaluate", str(inst_path), "--plan", str(plan), "--n", "10",
                 "--out", str(tmp_path / "x")]) == 2
    assert "lots 2.5 must be a whole number" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_evaluate_a_solved_plan_file(inst_path, tmp_path) -> None:
    rep = tmp_path / "solved"
    assert main(["solve", str(inst_path), "--out", str(rep), "--quiet"]) == 0
    for name in ("result.json", "plan.csv"):
        out = tmp_path / f"ev-{name}"
        assert main(["evaluate", str(inst_path), "--plan", str(rep / name), "--n", "500",
                     "--out", str(out)]) == 0
        res = json.loads((out / "evaluation.json").read_text())
        solved = json.loads((rep / "result.json").read_text())
        lots = {f"{p['holder']}|{p['product']}": p["lots"] for p in solved["plan"]
                if p["lots"]}
        assert res["plans"][0]["lots"] == lots
        assert res["plans"][0]["first_stage_cost"] == pytest.approx(
            solved["first_stage_cost"])


def test_same_seed_same_evaluation_csv_bytes(inst_path, tmp_path) -> None:
    # issue 21: evaluation.csv carried a `seconds` column, so the same seed did not give the
    # same bytes; the timing is in evaluation.json (provenance) only
    plan = tmp_path / "plan.csv"
    plan.write_text("holder,product,lots\n")  # the empty plan, and the days-of-cover rules
    texts = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["evaluate", str(inst_path), "--plan", str(plan), "--n", "200",
                     "--out", str(out)]) == 0
        texts.append((out / "evaluation.csv").read_bytes())
        assert "seconds" in json.loads((out / "evaluation.json").read_text())["plans"][0]
    assert texts[0] == texts[1] and b"seconds" not in texts[0]
