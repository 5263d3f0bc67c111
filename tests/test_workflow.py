"""The analyst's workflow: sensitivity, what-ifs in their own folder, diff, init, the
scenarios report, and a fast --help. Tiny instances with hand-derived figures (tests/conftest.py:
10 t held at 10 + 1 USD/t avoid 0.5 * 100 USD/t each in expectation; the optimum buys
10 t for 110 USD)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import tiny
from stockpile.analysis.sensitivity import sensitivity
from stockpile.cli import main
from stockpile.instance import load, parse
from stockpile.model.data import model_data
from stockpile.solve.highs import SolveOptions

ROOT = Path(__file__).resolve().parent.parent


def test_sensitivity_by_hand() -> None:
    # Tier costs, caps, budgets and probabilities -/+20% leave the plan at 10 t (a tonne still
    # avoids at least 0.4 * 100 = 40 > 11): cost 110 throughout. Prices -/+20%: 10 t at
    # 8 + 1 or 12 + 1: 90 and 130, so -20 and +20, the widest swing, no plan moved.
    data = model_data(parse(tiny()), "bilateral")
    s = sensitivity(data, 0.2, SolveOptions(mip_gap=1e-9, progress=False))
    assert s["base_objective"] == pytest.approx(110.0)
    first = s["ranking"][0]
    assert first["parameter"] == "prices"
    assert first["down"] == pytest.approx(-20.0) and first["up"] == pytest.approx(20.0)
    assert first["moved_down"] == pytest.approx(0.0)
    others = {e["parameter"]: e for e in s["ranking"][1:]}
    assert set(others) == {"tier costs", "market caps", "budgets", "disruption probabilities"}
    for e in others.values():
        assert e["down"] == pytest.approx(0.0, abs=1e-6) and e["up"] == pytest.approx(0.0,
                                                                                    abs=1e-6)
    # probabilities: the cut scenario 0.5 -> 0.4 and 0.6, calm takes up the rest
    probs = [r for r in s["rows"] if r["parameter"] == "disruption probabilities"]
    assert [r["status"] for r in probs] == ["optimal", "optimal"]


def test_sensitivity_probabilities_move_the_cost() -> None:
    # lot 4 t, budget 60: 1 lot. Cost = 44 + p * 6 * 100 with p the cut probability:
    # p = 0.5 * 0.8 = 0.4 -> 284 (-60); p = 0.6 -> 404 (+60)
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 4,
                          "holding_cost": 1}], holders=[{"id": "A", "budget": 60}])
    s = sensitivity(model_data(parse(raw), "bilateral"), 0.2,
                    SolveOptions(mip_gap=1e-9, progress=False))
    (probs,) = [e for e in s["ranking"] if e["parameter"] == "disruption probabilities"]
    assert probs["down"] == pytest.approx(-60.0) and probs["up"] == pytest.approx(60.0)
    # budget x1.2 = 72 still buys 1 lot of 40: no change; tier costs -/+20% move the
    # shortfall part 0.5 * 6 * 100 = 300 by -/+60 too
    (tiers,) = [e for e in s["ranking"] if e["parameter"] == "tier costs"]
    assert tiers["down"] == pytest.approx(-60.0) and tiers["up"] == pytest.approx(60.0)


def _write(tmp_path: Path, raw: dict) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return p


def test_whatif_writes_its_own_folder_and_diff(tmp_path: Path, monkeypatch,
                                               capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    inst = _write(tmp_path, tiny())
    assert main(["solve", str(inst), "--quiet"]) == 0
    # budget 5 buys no tonne (10 USD/t): 0.5 * 10 * 100 = 500
    assert main(["solve", str(inst), "--budget", "A=5", "--quiet"]) == 0
    base, what = tmp_path / "reports" / "tiny", tmp_path / "reports" / "tiny" / "whatif-budget-A-5"
    assert json.loads((base / "result.json").read_text())["solver"]["objective"] == \
        pytest.approx(110.0)
    r = json.loads((what / "result.json").read_text())
    assert r["solver"]["objective"] == pytest.approx(500.0)
    assert r["whatif"] == ["budget A=5 USD"]
    assert "What-if overrides applied (the instance file is unchanged): budget A=5 USD" in \
        (what / "report.md").read_text()
    capsys.readouterr()
    assert main(["diff", str(base), str(what), "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert ("Expected total cost in sample (each on its own scenarios), B minus A: USD 390 "
            "(354.55%).") in out
    # both checked on the same fresh sample: that difference comes first, and it can have the
    # other sign: the tiny instance's own 2 scenarios cut all gallium half the time, the
    # calibrated library far less often, so holding nothing is cheaper out of sample
    oos = out.index("Expected total cost out of sample (the same 5,000 fresh scenarios, seed "
                    "20260), B minus A: USD -")
    assert oos < out.index("Expected total cost in sample")
    assert "Plan: 1 of 1 holdings differ in stock" in out
    md = (tmp_path / "d" / "diff.md").read_text()
    assert "| A | ga4n | 10 | 0 | -10 | 100 | 0 | -100 |" in md
    assert {p.name for p in (tmp_path / "d").iterdir() if not p.name.startswith(".")} == {
        "diff.md", "diff.html", "diff.xlsx"}  # and the report marker (.stockpile-report)


def test_whatif_errors_name_the_option(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    inst = _write(tmp_path, tiny())
    assert main(["solve", str(inst), "--budget", "Z=5", "--out", str(tmp_path / "o")]) == 2
    assert "--budget 'Z=5'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(["diff", str(tmp_path), str(tmp_path)]) == 2
    assert "cannot read result.json" in capsys.readouterr().err


def test_init_writes_valid_templates(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for name in ("i.yaml", "i.xlsx"):
        assert main(["init", str(tmp_path / name)]) == 0
        inst = load(tmp_path / name)
        assert inst.name == "my_stockpile" and len(inst.products) == 2
    assert load(tmp_path / "i.yaml") == load(tmp_path / "i.xlsx")
    assert "# Units: tonnes (t)" in (tmp_path / "i.yaml").read_text()
    assert main(["init", str(tmp_path / "i.yaml")]) == 2
    assert "exists; give --force" in capsys.readouterr().err
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "i.xlsx")
    assert [c.value for c in wb["holders"][1]] == ["id", "name", "budget (USD)"]
    assert wb["holders"]["C1"].comment.text == "B_h, acquisition budget (USD)"
    assert wb["demand"].data_validations.dataValidation[0].formula1 == "=holders!$A$2:$A$1000"


def test_scenarios_report_and_readable_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert main(["scenarios", str(ROOT / "instances" / "us_japan_2026.yaml"), "--n", "40",
                     "--reduce", "5", "--out", str(tmp_path / "new.yaml"),
                     "--report", str(tmp_path / "rep")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644
    rep = json.loads((tmp_path / "rep" / "scenarios.json").read_text())
    assert rep["n"] == 40 and rep["reduced_to"] == 5 and len(rep["scenarios"]) == 5
    assert sum(s["probability"] for s in rep["scenarios"]) == pytest.approx(1.0)
    md = (tmp_path / "rep" / "scenarios.md").read_text()
    assert "## Scenarios written" in md and "## Events sampled, by type" in md


def test_help_does_not_import_the_model() -> None:
    code = ("import sys, stockpile.cli; from stockpile.cli.choices import MODES, INTERFACES;"
            "bad = [m for m in ('pyomo.environ', 'highspy', 'pydantic') if m in sys.modules];"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    from stockpile.cli.choices import INTERFACES, MODES
    from stockpile.model.data import MODES as MODEL_MODES
    from stockpile.solve.highs import INTERFACES as SOLVER_INTERFACES

    assert MODES == MODEL_MODES and INTERFACES == SOLVER_INTERFACES



def test_evaluate_whatif_folder(tmp_path: Path, monkeypatch,
                                capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    inst = _write(tmp_path, tiny())
    assert main(["evaluate", str(inst), "--budget", "A=5", "--n", "20", "--no-baselines",
                 "--quiet"]) == 0
    res = json.loads((tmp_path / "reports" / "tiny" / "evaluate" / "whatif-budget-A-5" /
                      "evaluation.json").read_text())
    assert res["whatif"] == ["budget A=5 USD"]
    # budget 5 buys nothing: the optimised plan holds no stock, as the 'no stock' plan
    assert res["plans"][0]["mean"] == pytest.approx(res["plans"][-1]["mean"])
    assert main(["evaluate", str(inst), "--forbid-agreement", "A|B|ga", "--n", "20"]) == 2
    assert "--forbid-agreement 'A|B|ga': not available in 'evaluate'" in capsys.readouterr().err


def test_evaluate_and_frontier_agree_by_default(tmp_path: Path) -> None:
    # one default out-of-sample draw: the optimised plan at budget x1, lambda 0 has the same
    # out-of-sample mean in both reports (they used seeds 20260 and 20261 before)
    inst = str(ROOT / "instances" / "tiny_sharing.yaml")
    assert main(["evaluate", inst, "--n", "200", "--no-baselines", "--out",
                 str(tmp_path / "e"), "--quiet"]) == 0
    assert main(["frontier", inst, "--n", "200", "--budgets", "1", "--lambdas", "0", "--out",
                 str(tmp_path / "f"), "--quiet"]) == 0
    ev = json.loads((tmp_path / "e" / "evaluation.json").read_text())
    fr = json.loads((tmp_path / "f" / "frontier.json").read_text())
    assert ev["seed"] == fr["seed"] == 20260
    assert fr["rows"][0]["mean"] == pytest.approx(ev["plans"][0]["mean"], rel=1e-9)


def test_validate_counts_in_words(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # "1 holders" was printed for one holder (issue 20 item 13)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny()), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "(1 holder, 1 material, 1 product, 1 period, 2 scenarios)" in capsys.readouterr().out


def test_sensitivity_marks_what_is_not_an_effect() -> None:
    # The hand instance of test_sensitivity_by_hand (mip_gap 1e-9: proven gaps ~0): prices
    # move the cost by -/+20 beyond the gaps and are monotone, so they are effects; the
    # other inputs leave it at 110, a change of 0 within the gaps: not an effect, marked so
    # in the row and in the ranking's cells.
    from stockpile.report.markdown import markdown
    from stockpile.report.sensitivity_report import sensitivity_document

    said: list[str] = []
    s = sensitivity(model_data(parse(tiny()), "bilateral"), 0.2,
                    SolveOptions(mip_gap=1e-9, progress=False), said.append)
    rows = {(r["parameter"], r["factor"]): r for r in s["rows"]}
    assert rows["prices", 0.8]["reliable"] and rows["prices", 1.2]["reliable"]
    # the cap is already 100 % of world output: x1.2 changes nothing and is not re-solved
    assert "market caps x1.2: the same data as the base, not re-solved" in said
    assert len(s["seconds"]["re_solves"]) == 9
    assert rows["market caps", 1.2]["objective"] == s["base_objective"]
    assert rows["prices", 0.8]["change_ci95"] == pytest.approx([-20.0, -20.0])
    tiers = rows["tier costs", 1.2]
    assert tiers["within_gap"] and not tiers["reliable"]
    assert tiers["unreliable_because"][0].startswith("within the solver gaps")
    md = markdown(sensitivity_document("tiny", "bilateral", {"sensitivity": s}))
    assert "| prices | USD -20 | USD +20 |" in md
    assert "(NOT AN EFFECT: within the solver gaps)" in md
    assert "8 of 10 changes are not measured effects" in md


def test_reliability_of_a_change_by_hand() -> None:
    # Four equally likely scenarios, base costs 10, 20, 30, 40 (gap 0). A varied optimum
    # costing -10, +10, -10, +10 against the base per scenario: mean 0 reported as a change
    # of 5 (beyond the gaps), paired sd sqrt(4 * 100 / 3) = 11.547, se 5.774, 95 % interval
    # +/- 11.32: it holds zero, so the sign is not established (checked only where the
    # input is not monotone). Probabilities 0.7, 0.1, 0.1, 0.1: effective sample
    # 1 / (0.49 + 0.03) = 1.92 of 4, under half.
    import numpy as np

    from stockpile.analysis.sensitivity import _reliability, _Solved

    data = model_data(parse(tiny(scenarios=[
        {"id": f"s{i}", "probability": 0.25} for i in range(4)])), "bilateral")
    base_total = np.array([10.0, 20.0, 30.0, 40.0])
    base = _Solved("optimal", 25.0, 25.0, np.zeros((1, 1)), {}, base_total)
    moved = _Solved("optimal", 30.0, 30.0, np.zeros((1, 1)), {},
                    base_total + np.array([-10.0, 10.0, -10.0, 10.0]))
    out = _reliability(data, base, data, moved, 5.0, True)
    assert out["change_ci95"] == pytest.approx([-11.316, 11.316], abs=1e-3)
    assert not out["reliable"] and out["unreliable_because"][0].startswith(
        "sign not established: 95 % interval -11 to 11 USD")
    assert _reliability(data, base, data, moved, 5.0, False)["reliable"]  # monotone input
    import dataclasses

    skewed = dataclasses.replace(data, probability=np.array([0.7, 0.1, 0.1, 0.1]))
    out = _reliability(data, base, skewed, moved, 5.0, False)
    assert out["effective_sample"] == pytest.approx(1 / 0.52)
    assert out["unreliable_because"] == ["effective sample 2 of 4 scenarios"]


def test_diff_marks_a_change_within_the_gaps() -> None:
    # A: 1,000,000 proven >= 999,000; B: 1,000,500 proven >= 999,900. The difference 500 is
    # within the gaps 1,000 + 600 = 1,600: not an effect, and the holdings that differ are
    # called what they may be (another plan of the same proven quality).
    from stockpile.report.diff_report import diff_document, within_gaps

    def result(obj: float, bound: float, t: float) -> dict:
        return {"instance": {"name": "i", "content_hash": "h"}, "mode": "bilateral",
                "solver": {"objective": obj, "bound": bound, "status": "optimal"},
                "plan": [{"holder": "A", "product": "p", "stock_t": t,
                          "purchase_cost": 10 * t}]}

    a, b = result(1_000_000, 999_000, 10), result(1_000_500, 999_900, 12)
    assert within_gaps(a, b) == (True, pytest.approx(1600.0))
    bullets = diff_document(a, b).summary.bullets
    assert bullets[3].startswith("NOT AN EFFECT: the difference of expected total cost is "
                                 "within the two solves' proven gaps (USD 1,600")
    # a difference beyond the gaps is not marked
    c = result(1_010_000, 1_009_900, 12)
    assert within_gaps(a, c)[0] is False
    assert not any(x.startswith("NOT AN EFFECT") for x in diff_document(a, c).summary.bullets)
