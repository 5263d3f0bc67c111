"""The typed figures of a solve (stockpile/figures.py): JSON only at the edge, the documented
keys, reports rendered from the typed result, and a renamed field caught by mypy and by
``from_dict`` instead of printing a dash."""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from stockpile import figures as F
from stockpile.instance import parse
from stockpile.pipeline import run_solve
from stockpile.report import write_solve_report
from stockpile.report.content import Solved, document
from stockpile.solve.highs import SolveOptions

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "instances" / "tiny_sharing.yaml"

ROW_TYPES = {"objective_terms": F.ObjectiveTerms, "plan": F.PlanRow,
             "programmes": F.ProgrammeRow, "facilities": F.FacilityRow,
             "agreements": F.AgreementRow, "flows": F.Flow, "conversions": F.Conversion,
             "holders": F.HolderRow, "scenarios": F.ScenarioRow,
             "scenario_cost_distribution": F.Distribution, "no_stock": F.NoStock}


def json_keys(cls: type) -> list[str]:
    return [f.name.rstrip("_") for f in fields(cls)]


def documented() -> list[tuple[list[str], list[str]]]:
    """(keys, fields) of each row of docs/cli.md's result.json table, in order."""
    text = (ROOT / "docs" / "cli.md").read_text()
    section = text.split("### What result.json holds")[1].split("\n### ")[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            key_cell, what = line.split(" | ", 1)
            rows.append((re.findall(r"`([a-z0-9_]+)`", key_cell),
                         re.findall(r"`([a-z0-9_]+)`", what)))
    return rows


@pytest.fixture(scope="module")
def national() -> Any:
    out = run_solve(TINY, "national", SolveOptions(mip_gap=1e-9))
    assert out.figures is not None
    return out


def test_result_json_keys_are_the_documented_ones(national: Any) -> None:
    """docs/cli.md lists result.json's keys in order and each typed row's fields; both are
    held to the dataclasses and to what a solve writes."""
    rows = documented()
    doc_keys = [k for keys, _ in rows for k in keys]
    for key, cls in ROW_TYPES.items():
        (what,) = [f for keys, f in rows if keys == [key]]
        assert what == json_keys(cls), key
    assert [k for k in doc_keys if k in F.FIGURE_KEYS] == F.FIGURE_KEYS
    figures = copy.deepcopy(national.figures)
    figures.evidence = {"skipped": "not run here"}
    national_result = {**national.as_dict(), **figures.to_dict()}
    assert list(national_result) == [k for k in doc_keys if k in national_result]
    assert set(national_result) >= set(F.FIGURE_KEYS)


def test_to_dict_is_the_json_and_from_dict_reads_it_back(national: Any) -> None:
    """The edge both ways: to_dict is plain JSON (a flow's ``from_`` written "from"), and
    from_dict of that JSON gives back equal typed figures."""
    f = national.figures
    d = f.to_dict()
    text = json.dumps(d)
    assert F.SolveFigures.from_dict(json.loads(text)) == f
    assert list(d) == [k for k in F.FIGURE_KEYS if k != "evidence"]  # evidence not added
    d.pop("why")
    assert "why" not in F.SolveFigures(**{**f.__dict__, "why": None}).to_dict()
    flow = F.Flow("s", "y1", "A", "B", "ga4n", "ga", 2.5)
    assert F.AgreementRow(["A", "B"], "ga", 1.0, 0.5, True, [flow]).key == "A|B|ga"
    assert json.loads(json.dumps(F.SolveFigures.from_dict(
        {**d, "flows": [{"scenario": "s", "period": "y1", "from": "A", "to": "B",
                         "product": "ga4n", "material": "ga", "tonnes": 2.5}]}).to_dict()))[
        "flows"][0]["from"] == "A"


def test_reports_render_from_the_typed_result(national: Any, tmp_path: Path) -> None:
    """tiny_sharing national, derived by hand in tests/test_ledger.py: each of A and B holds
    10 t at 11 USD all-in, 220 USD. The report's tables are the typed rows: the plan, the
    cost breakdown adding up to the objective, the holders."""
    f = national.figures
    assert f.objective_recomputed == pytest.approx(220.0, rel=1e-9)
    assert sorted((p.holder, p.stock_t) for p in f.plan) == [("A", 10.0), ("B", 10.0)]
    result = national.as_dict()
    doc = document(result)
    tables = {t.sheet: t for t in doc.tables()}
    assert tables["Plan"].rows == [
        [p.holder, p.product, p.material, p.inventory_t, p.lots, p.bought_t, p.stock_t,
         p.purchase_cost, p.holding_cost, p.annual_demand_t, p.days_of_cover] for p in f.plan]
    costs = tables["Cost breakdown"].rows
    assert [v for _, v in costs[:-1]] == [v for _, v in f.objective_terms.items()]
    assert sum(v for _, v in costs[:-1]) == pytest.approx(costs[-1][1]) and \
        costs[-1][1] == pytest.approx(220.0)
    assert [c.name for c in tables["Holders"].columns[1:]] == [
        "A (USD)", "B (USD)", "All holders (USD)"]
    assert tables["Holders"].rows[-1][1:3] == [h.expected_cost_settled for h in f.holders]
    written = write_solve_report(result, tmp_path / "r")
    assert len(written) == 5
    with (tmp_path / "r" / "plan.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["holder"], float(r["stock_t"]), float(r["purchase_cost_usd"])) for r in rows] == \
        [(p.holder, p.stock_t, p.purchase_cost) for p in f.plan]
    back = json.loads((tmp_path / "r" / "result.json").read_text())
    assert F.SolveFigures.from_dict(back) == f


def test_a_renamed_or_missing_key_fails_by_name(national: Any, tmp_path: Path) -> None:
    """A result whose plan row says ``stock`` for ``stock_t`` is refused, naming both, and
    no report is written; so is one without ``no_stock``. Before the figures were typed the
    report printed a dash."""
    result = national.as_dict()
    renamed = copy.deepcopy(result)
    renamed["plan"][0]["stock"] = renamed["plan"][0].pop("stock_t")
    with pytest.raises(ValueError, match=r"plan\[0\]: missing stock_t; unknown stock"):
        write_solve_report(renamed, tmp_path / "r")
    assert not (tmp_path / "r").exists()
    del result["no_stock"]
    with pytest.raises(ValueError, match="missing no_stock"):
        Solved.of(result)
    # a result without a plan (infeasible) has no figures and renders as such
    assert Solved.of({"solver": {"has_plan": False}}).figures is None


@pytest.mark.slow  # mypy over a copy of the package: about 8 s
def test_mypy_catches_a_renamed_field(tmp_path: Path) -> None:
    """Rename PlanRow.stock_t in a copy of the package: mypy names every reader of it (the
    report's plan table, compare's cover rows, the IEA rule) and the writer in extract.py.
    This is what the string keys of the untyped dict could not do."""
    pytest.importorskip("mypy")
    pkg = tmp_path / "stockpile"
    shutil.copytree(ROOT / "stockpile", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    fig = pkg / "figures.py"
    text = fig.read_text()
    assert text.count("    stock_t: float\n") == 1
    fig.write_text(text.replace("    stock_t: float\n", "    stock_tonnes: float\n"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    run = subprocess.run([sys.executable, "-m", "mypy", "stockpile", "--cache-dir",
                          str(tmp_path / "cache")], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600)
    out = run.stdout
    assert run.returncode == 1, out
    flagged = {line.split(":")[0] for line in out.splitlines() if "stock_t" in line}
    assert {"stockpile/report/content.py", "stockpile/analysis/compare.py",
            "stockpile/analysis/iea.py", "stockpile/extract.py"} <= flagged, out


def test_holder_terms_add_up_to_settled_cost_and_objective(tmp_path: Path) -> None:
    """Issue 20 item 1. tiny_sharing in bilateral mode with residual value share 0.5 (capital
    cost 10 %/yr: 0.1 x 0.5 x 10 = 0.5 <= holding 1 USD/t/yr). A tonne costs 0.5 x 10 + 1 = 6
    in the objective and saves 100 with probability 1/4 when its holder is cut (25 > 6).
    National: 10 t each, 120. Bilateral: the agreement (20) lets a holder cut alone receive
    half its partner's stock, so 7 t each cover 7 + 3.5 >= 10: 14 x 6 + 20 + transport
    2 x 3 t x (1/4 + 1/4) = 3, total 107 (13 t leaves 0.5 t unmet at 100 w.p. 1/4: 113.75).
    In result.json each holder's terms add up to its settled cost, the settled costs to the
    objective, and every term (the credit included) has one sign: the holders' values sum to
    the objective term of the same name."""
    raw = yaml.safe_load(TINY.read_text())
    raw["products"][0]["residual_value_share"] = 0.5
    raw["capital_cost"] = {"rate": 0.1, "source": "test"}
    out = run_solve(parse(raw), "bilateral", SolveOptions(mip_gap=1e-9))
    assert out.stats.objective == pytest.approx(107.0, rel=1e-9)
    write_solve_report(out.as_dict(), tmp_path / "r")
    res = json.loads((tmp_path / "r" / "result.json").read_text())
    holders, terms = res["holders"], res["objective_terms"]
    assert res["flows"]  # stock moves; symmetric, so the settlements are 7.5 - 7.5 each
    assert sum(h["expected_transfer_settlement"] for h in holders) == pytest.approx(0.0)
    for h in holders:
        assert sum(h[k] for k in F.HolderRow.TERMS) == pytest.approx(
            h["expected_cost_settled"], rel=1e-12)
        assert h["residual_value"] < 0 and h["purchase_cost"] > 0
        assert h["residual_value"] == pytest.approx(-0.5 * h["purchase_cost"])
    assert sum(h["expected_cost_settled"] for h in holders) == pytest.approx(107.0, rel=1e-9)
    assert sum(terms.values()) == pytest.approx(107.0, rel=1e-9)
    same = {"purchase": "purchase_cost", "residual_value": "residual_value",
            "holding": "holding_cost", "programmes": "programme_cost",
            "facilities": "facility_cost", "agreements": "agreement_cost",
            "expected_shortfall": "expected_shortfall_cost",
            "expected_transport": "expected_transport_cost",
            "expected_conversion": "expected_conversion_cost"}
    assert list(same) == list(terms)
    for term, key in same.items():
        assert sum(h[key] for h in holders) == pytest.approx(terms[term], abs=1e-9), term
    assert terms["residual_value"] == pytest.approx(-0.5 * terms["purchase"])
    # the per-holder table of the report: its rows add up to the settled cost, column by
    # column, and the cash line is purchases plus fixed costs, the credit left out
    tables = {t.sheet: t for t in document(res).tables()}
    rows = tables["Holders"].rows
    for j in range(1, len(holders) + 2):
        assert sum(r[j] for r in rows[:-1]) == pytest.approx(rows[-1][j], rel=1e-12)
    cash = next(r for r in tables["Budgets"].rows if r[0].startswith("Cash"))
    assert cash[1:-1] == [h["purchase_cost"] + h["programme_cost"] + h["facility_cost"]
                          + h["agreement_cost"] for h in holders]
