"""Recommendation reports: content, self-containment, file round trips and atomic writing.

The result dicts are built by hand in the shape of ``Outcome.as_dict()``; no solve is run.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from stockpile import report
from stockpile.report import files, render_html, render_markdown, write_solve_report
from stockpile.report import format as fmt

REPORT_FILES = {"report.md", "report.html", "report.xlsx", "plan.csv", "result.json"}


def _plan(holder: str, product: str, material: str, lots: int, lot: float, price: float,
          demand: float, inventory: float = 0.0) -> dict[str, Any]:
    bought = lots * lot
    stock = inventory + bought
    return {"holder": holder, "product": product, "material": material,
            "inventory_t": inventory, "lots": lots, "bought_t": bought, "stock_t": stock,
            "purchase_cost": bought * price, "holding_cost": stock * price * 0.02,
            "annual_demand_t": demand,
            "days_of_cover": 365.0 * stock / demand if demand > 0 else None}


def make_result() -> dict[str, Any]:
    """A proven-optimal bilateral solve with flows, conversions and facilities."""
    flow = {"scenario": "china-ga-ban", "period": "y1", "from": "JP", "to": "US",
            "product": "ga4n", "material": "ga", "tonnes": 12.5}
    plan = [_plan("US", "ga4n", "ga", 30, 5.0, 600_000.0, 40.0),
            _plan("US", "ndpr-oxide", "ree", 40, 25.0, 1_300_000.0, 900.0, inventory=100.0),
            _plan("JP", "ga4n", "ga", 10, 5.0, 600_000.0, 30.0),
            _plan("JP", "ge-metal", "ge", 0, 1.0, 1_500_000.0, 0.0, inventory=3.0)]
    return {
        "stockpile_version": "0.1.0", "created_utc": "2026-11-24T08:36:40+00:00",
        "python": "3.11.7",
        "instance": {"name": "us-japan", "description": "US and Japan, real USGS shares",
                     "content_hash": "ab12cd34" * 8, "holders": 2, "materials": 3,
                     "products": 3, "periods": 1, "scenarios": 2, "holding_years": 5.0,
                     "sources": ["USGS Mineral Commodity Summaries 2025",
                                 "JOGMEC annual report <2024> & notes"]},
        "mode": "bilateral",
        "solver": {"status": "optimal", "has_plan": True, "objective": 1_534_250_000.0,
                   "bound": 1_534_100_000.0, "gap": 9.777e-05,
                   "message": "HiGHS proved the plan optimal within the gap tolerance",
                   "solver": "HiGHS", "solver_version": "1.16.0", "interface": "standard_form",
                   "options": {"time_limit": None, "mip_rel_gap": 0.0001, "threads": 4,
                               "interface": "standard_form"},
                   "build_seconds": 0.25, "handoff_seconds": 1.5, "solve_seconds": 42.125,
                   "n_variables": 1234, "n_integer": 56, "n_constraints": 789,
                   "n_nonzeros": 4567, "proven_optimal": True,
                   "summary": "optimal within the requested tolerance (proven gap 0.0098%)"},
        "infeasibility_reasons": [],
        "objective_terms": {"purchase": 1_420_000_000.0, "residual_value": 0.0,
                            "holding": 40_000_000.0,
                            "programmes": 2_000_000.0, "facilities": 1_500_000.0,
                            "agreements": 250_000.0, "expected_shortfall": 70_000_000.0,
                            "expected_transport": 300_000.0, "expected_conversion": 200_000.0},
        "objective_recomputed": 1_534_250_000.0, "first_stage_cost": 1_463_750_000.0,
        "plan": plan,
        "programmes": [{"holder": "US", "material": "ga", "fixed_cost": 1_000_000.0},
                       {"holder": "JP", "material": "ga", "fixed_cost": 1_000_000.0}],
        "facilities": [{"holder": "US", "facility": "depot-east", "used": True,
                        "capacity_m3": 5000.0, "used_m3": 3210.4, "fixed_cost": 1_500_000.0},
                       {"holder": "JP", "facility": "kobe", "used": False,
                        "capacity_m3": 800.0, "used_m3": 0.0, "fixed_cost": 900_000.0}],
        "agreements": [{"holders": ["US", "JP"], "material": "ga", "fixed_cost": 500_000.0,
                        "share_cap": 0.5, "signed": True, "flows": [flow]},
                       {"holders": ["US", "JP"], "material": "ree", "fixed_cost": 800_000.0,
                        "share_cap": 0.3, "signed": False, "flows": []}],
        "flows": [flow],
        "conversions": [{"scenario": "china-ga-ban", "period": "y1", "holder": "US",
                         "route": "oxide-to-metal", "input_t": 20.0, "output_t": 17.0}],
        "holders": [
            {"holder": h, "budget": 1e9, "budget_used": 7.5e8, "purchase_cost": 7.1e8,
             "holding_cost": 2e7, "residual_value": 0.0, "programme_cost": 1e6,
             "facility_cost": f,
             "agreement_cost": 125_000.0, "expected_shortfall_cost": 3.5e7,
             "expected_conversion_cost": c, "expected_transport_cost": t,
             "expected_transfer_settlement": s, "expected_cost_settled": settled,
             "no_stock_expected_shortfall": 6e8}
            for h, f, c, t, s, settled in [
                ("US", 1_500_000.0, 200_000.0, 300_000.0, 3_750_000.0, 771_875_000.0),
                ("JP", 0.0, 0.0, 0.0, -3_750_000.0, 762_375_000.0)]],
        "scenarios": [
            {"scenario": "calm", "probability": 0.7, "total_cost": 1_463_750_000.0,
             "shortfall_cost": 0.0, "unmet_t": 0.0, "transport_cost": 0.0,
             "conversion_cost": 0.0, "no_stock_shortfall_cost": 0.0},
            {"scenario": "china-ga-ban", "probability": 0.3, "total_cost": 1_698_750_000.0,
             "shortfall_cost": 233_333_333.0, "unmet_t": 14.25, "transport_cost": 1_000_000.0,
             "conversion_cost": 666_667.0, "no_stock_shortfall_cost": 4e9}],
        "scenario_cost_distribution": {"mean": 1_534_250_000.0, "min": 1_463_750_000.0,
                                       "p05": 1_463_750_000.0, "p50": 1_463_750_000.0,
                                       "p95": 1_698_750_000.0, "max": 1_698_750_000.0,
                                       "cvar95": 1_698_750_000.0},
        "shortfall_by_material": {"ga": 50_000_000.0, "ree": 20_000_000.0, "ge": 0.0},
        "no_stock": {"expected_shortfall_cost": 1_200_000_000.0,
                     "expected_shortfall_avoided": 1_130_000_000.0},
    }


def time_limited(result: dict[str, Any]) -> dict[str, Any]:
    """The same result, stopped at the time limit with a 3.5% gap."""
    r = copy.deepcopy(result)
    r["solver"].update(status="time_limit", proven_optimal=False, gap=0.035,
                       message="HiGHS stopped (Time limit reached) with a plan",
                       summary="NOT proven optimal: stopped at the time limit with a plan, "
                               "proven gap 3.5000%")
    return r


def bare(result: dict[str, Any]) -> dict[str, Any]:
    """No plan entries, agreements, flows, conversions or facilities."""
    r = copy.deepcopy(result)
    for key in ("plan", "programmes", "facilities", "agreements", "flows", "conversions"):
        r[key] = []
    r["instance"]["sources"] = []
    return r


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", html, flags=re.S))


# --- formatting -----------------------------------------------------------------------------

def test_format_helpers() -> None:
    assert fmt.money(1_534_250_000.0) == "USD 1.53 bn"
    assert fmt.money(70_000_000.0) == "USD 70.0 M"
    assert fmt.money(999_999.0) == "USD 999,999"
    assert fmt.money(-3_750_000.0) == "USD -3.8 M"
    assert fmt.usd(1_463_750_000.4) == "1,463,750,000"
    # a tiny negative difference (solver round-off) is zero, never "-0"
    assert fmt.money(-0.3) == "USD 0" and fmt.usd(-0.4) == "0" and fmt.number(-1e-3, 2) == "0.00"
    assert fmt.money(-40_000.0) == "USD -40,000" and fmt.usd(-12.0) == "-12"
    assert fmt.tonnes(12.5) == "12.5" and fmt.tonnes(1000.0) == "1,000"
    assert fmt.tonnes(0.1234) == "0.123" and fmt.tonnes(150.04) == "150"
    assert fmt.mass(10.0) == "10 t"
    assert fmt.gap(9.777e-05) == "0.0098%" and fmt.percent(0.5) == "50.0%"
    for f in (fmt.money, fmt.usd, fmt.tonnes, fmt.days, fmt.gap, fmt.seconds, fmt.integer):
        assert f(None) == "\u2014" and f(math.nan) == "\u2014"


# --- Markdown and HTML ----------------------------------------------------------------------

def test_markdown_has_key_figures() -> None:
    md = render_markdown(make_result())
    # no out-of-sample check in this result: a first look, not a recommendation (item 8)
    assert md.startswith("# Stockpile first look (not a recommendation): us-japan (bilateral "
                         "mode)")
    summary = md.split("## Purchases")[0]
    assert "optimal within the requested tolerance (proven gap 0.0098%)" in summary
    assert "USD 1.53 bn" in summary  # objective
    assert "USD 1.13 bn" in summary  # shortfall avoided against no stock
    assert "1,000 t of ndpr-oxide for US (USD 1.30 bn)" in summary  # largest purchase first
    assert summary.index("ndpr-oxide") < summary.index("150 t of ga4n for US")
    assert "US \u2013 JP (ga)" in summary  # the signed agreement
    assert "0.0098%" in summary
    # plan table: tonnes, lots, cost and days of cover; no demand shows a dash
    assert "| US | ndpr-oxide | ree | 100 | 40 | 1,000 | 1,100 | 1,300,000,000 |" in md
    assert "| JP | ge-metal | ge | 3 | 0 | 0 | 3 | 0 |" in md and md.count("| \u2014 |") >= 1
    assert "| china-ga-ban | y1 | JP | US | ga4n | ga | 12.5 |" in md  # flow
    assert "| china-ga-ban | y1 | US | oxide-to-metal | 20 | 17 |" in md  # conversion
    assert "| US | depot-east | yes | 3,210 | 5,000 | 64.2% | 1,500,000 |" in md  # facility
    assert "| CVaR 95% (mean of the worst 5%) | 1,698,750,000 |" in md
    assert "| Expected shortfall | 70,000,000 |" in md
    assert "receiver pays the sender the product's price for each tonne received" in md
    # per holder, one row per term adding up to the settled cost, one column per holder
    assert "| Budget | 1,000,000,000 | 1,000,000,000 | 2,000,000,000 |" in md
    assert "| 3,750,000 | -3,750,000 | 0 |" in md
    assert "| Expected cost, settled (the sum) | 771,875,000 | 762,375,000 | 1,534,250,000 |" \
        in md
    assert "| ga | 50,000,000 |" in md  # shortfall by material
    for fact in ("ab12cd34" * 8, "HiGHS 1.16.0", "standard_form", "mip_rel_gap=0.0001",
                 "threads=4", "42.1 s", "1.500 s", "1,234 variables (56 integer)",
                 "0.1.0", "2026-11-24T08:36:40+00:00", "USGS Mineral Commodity Summaries 2025"):
        assert fact in md, fact


def test_html_is_self_contained_with_charts() -> None:
    html = render_html(make_result())
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)
    assert "@import" not in html and "url(" not in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) >= 5  # purchases, days of cover, cost distribution, holders, shortfall
    for s in svgs:
        ET.fromstring(s)  # noqa: S314  (well-formed; our own output, not untrusted input)
    for caption in ("Purchase cost by holder and product", "Days of cover",
                    "Cumulative distribution of scenario cost", "Expected cost per holder"):
        assert caption in html
    # text is escaped, and the content matches the Markdown's
    assert "JOGMEC annual report &lt;2024&gt; &amp; notes" in html
    assert "<2024>" not in html
    text = visible_text(html)
    for figure in ("USD 1.53 bn", "USD 1.13 bn", "1,300,000,000", "12.5", "1,698,750,000"):
        assert figure in text


@pytest.mark.parametrize("render", [render_markdown, render_html])
def test_not_proven_optimal_is_never_called_optimal(render: Any) -> None:
    for r in (time_limited(make_result()), time_limited(bare(make_result()))):
        out = render(r)
        assert "NOT proven optimal" in out and "3.5000%" in out
        rest = out.replace("NOT proven optimal", "")
        assert "optimal" not in rest.lower()
    # a stop that the solver summary does not flag is still flagged, with its gap
    r = time_limited(make_result())
    r["solver"].update(status="interrupted", summary="interrupted: HiGHS stopped with a plan")
    out = render(r)
    assert "NOT proven optimal" in out and "3.5000%" in out
    assert "optimal" not in out.replace("NOT proven optimal", "").lower()


def test_missing_proof_flag_is_not_read_as_optimal() -> None:
    r = time_limited(make_result())
    del r["solver"]["proven_optimal"]
    assert "NOT proven optimal" in render_markdown(r).split("## Purchases")[0]


def test_edge_cases_render() -> None:
    r = bare(make_result())
    md, html = render_markdown(r), render_html(r)
    assert "What to buy: nothing" in md
    assert "no bilateral sharing agreement" in md
    assert "No stock moves between holders" in md
    assert "No conversion is used" in md
    assert "no storage facilities" in md
    assert "none listed" in md
    assert "<svg" in html  # distribution and holders still drawn
    r["solver"]["bound"] = None
    r["solver"]["gap"] = None
    assert "the solver proved no bound" in render_markdown(r)
    r2 = make_result()
    for p in r2["plan"]:
        p["days_of_cover"] = None
    assert "Days of cover by holder" not in render_html(r2)
    no_plan = {"instance": {"name": "x"}, "mode": "national",
               "solver": {"status": "infeasible", "has_plan": False, "proven_optimal": False,
                          "summary": "infeasible: budget too small"},
               "infeasibility_reasons": ["holder A: budget too small"]}
    out = render_markdown(no_plan)
    assert "No plan was found" in out and "holder A: budget too small" in out
    assert "<svg" not in render_html(no_plan)


# --- files ----------------------------------------------------------------------------------

def test_write_report_files_round_trip(tmp_path: Path) -> None:
    result = make_result()
    result["plan"][0]["holding_cost"] = math.nan  # result.json must stay NaN-free
    out = tmp_path / "reports" / "us-japan"
    written = write_solve_report(result, out)
    assert {p.name for p in written} == REPORT_FILES
    assert all(p.parent == out.absolute() and p.is_file() for p in written)
    assert sorted(p.name for p in tmp_path.joinpath("reports").iterdir()) == ["us-japan"]

    text = (out / "result.json").read_text()
    assert "NaN" not in text
    back = json.loads(text)
    assert back["plan"][0]["holding_cost"] is None
    expected = copy.deepcopy(result)
    expected["plan"][0]["holding_cost"] = None
    assert back == expected and list(back) == list(result)

    with (out / "plan.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["holder", "product", "material", "inventory_t", "lots",
                             "bought_t", "stock_t", "purchase_cost_usd", "holding_cost_usd",
                             "annual_demand_t", "days_of_cover"]
    assert len(rows) == len(result["plan"])
    for row, p in zip(rows, make_result()["plan"]):
        assert (row["holder"], row["product"], row["material"]) == (
            p["holder"], p["product"], p["material"])
        assert int(row["lots"]) == p["lots"]
        for col, key in (("bought_t", "bought_t"), ("stock_t", "stock_t"),
                         ("purchase_cost_usd", "purchase_cost"),
                         ("annual_demand_t", "annual_demand_t")):
            assert float(row[col]) == p[key]
        assert (row["days_of_cover"] == "" if p["days_of_cover"] is None  # 12 digits
                else float(row["days_of_cover"]) == pytest.approx(p["days_of_cover"], rel=1e-11))
    assert rows[0]["holding_cost_usd"] == ""

    assert (out / "report.md").read_text() == render_markdown(result)
    html = (out / "report.html").read_text()
    assert "<svg" in html

    from openpyxl import load_workbook  # the one test that needs openpyxl to read

    wb = load_workbook(out / "report.xlsx")
    assert wb.sheetnames[0] == "Summary" and "Plan" in wb.sheetnames
    assert {"Flows", "Facilities", "Scenarios", "Holders", "Assumptions"} <= set(wb.sheetnames)
    plan = wb["Plan"]
    assert plan["A1"].value == "Holder"
    assert plan["H3"].value == 1_300_000_000.0  # raw number, not text
    assert plan.max_row == 1 + len(result["plan"])


def test_write_report_with_empty_sections(tmp_path: Path) -> None:
    written = write_solve_report(bare(make_result()), tmp_path / "r")
    assert {p.name for p in written} == REPORT_FILES
    with (tmp_path / "r" / "plan.csv").open() as f:
        assert len(list(csv.reader(f))) == 1  # header only


def test_rewrite_replaces_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "r"
    write_solve_report(make_result(), out)
    r = make_result()
    r["instance"]["description"] = "second run"
    write_solve_report(r, out)
    assert {p.name for p in out.iterdir()} == REPORT_FILES | {files.MARKER}
    assert json.loads((out / "result.json").read_text())["instance"]["description"] == "second run"
    assert [p.name for p in tmp_path.iterdir()] == ["r"]
    # a file stockpile did not write: the folder is refused, nothing is touched
    (out / "notes.txt").write_text("the user's")
    with pytest.raises(files.UnsafeOutput, match=r"notes\.txt"):
        write_solve_report(make_result(), out)
    assert (out / "notes.txt").read_text() == "the user's"
    assert json.loads((out / "result.json").read_text())["instance"]["description"] == "second run"


@pytest.mark.parametrize(("module", "broken"), [(files, "write_xlsx"), (report, "render_html"),
                                            (files, "_replace")])
def test_failed_write_keeps_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            module: Any, broken: str) -> None:
    out = tmp_path / "r"

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # no previous report: nothing at all is left
    monkeypatch.setattr(module, broken, boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_solve_report(make_result(), out)
    assert list(tmp_path.iterdir()) == []

    # a previous report stays exactly as it was
    monkeypatch.undo()
    write_solve_report(make_result(), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(module, broken, boom)
    r = make_result()
    r["instance"]["description"] = "must not appear"
    with pytest.raises(RuntimeError, match="disk full"):
        write_solve_report(r, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_interrupt_while_writing_leaves_nothing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "write_plan_csv", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_solve_report(make_result(), tmp_path / "r")
    assert list(tmp_path.iterdir()) == []


def test_evaluation_warns_when_a_rule_beats_the_plan() -> None:
    """A baseline whose paired difference to the optimised plan is below zero with 95%
    confidence is named in a warning at the top of the evaluation report; one whose interval
    straddles zero is not."""
    from stockpile.report.evaluate_report import (
        cheaper_than_first,
        evaluation_markdown,
        warning_text,
    )

    def plan(name: str, lo: float, hi: float) -> dict:
        return {"plan": name, "days_of_cover": 60, "first_stage_cost": 1.0, "mean": 10.0,
                "ci95": [9.0, 11.0], "p50": 10.0, "p95": 12.0, "cvar95": 12.0,
                "expected_shortfall": 1.0, "minus_first": {"mean": (lo + hi) / 2,
                                                           "ci95": [lo, hi]},
                "probability_any_shortfall": 0.5, "lp_scenarios": 0}

    res = {"instance": "x", "scenarios": 1000, "seed": 1, "structure": "instance",
           "in_sample_scenarios": 16, "mode": "bilateral", "seconds": 1.0,
           "plans": [plan("optimised", 0, 0), plan("KOMIR 100 days", -5.0, -1.0),
                     plan("IEA 90 days", -1.0, 2.0), plan("no stock", 3.0, 4.0)]}
    assert cheaper_than_first(res) == ["KOMIR 100 days"]
    assert "Warning: KOMIR 100 days cost less than the optimised plan" in evaluation_markdown(res)
    assert "stockpile scenarios INSTANCE" in warning_text(res)
    res["plans"][1]["minus_first"]["ci95"] = [-5.0, 0.5]
    assert warning_text(res) == "" and "Warning" not in evaluation_markdown(res)


def test_every_objective_term_has_a_label_in_the_cost_breakdown() -> None:
    # a term without a label printed its raw key ("residual_value") in the report
    from dataclasses import fields

    from stockpile.figures import ObjectiveTerms
    from stockpile.report.content import TERM_LABELS

    assert {f.name for f in fields(ObjectiveTerms)} == set(TERM_LABELS)


# --- what a report is, and out-of-sample figures first (issue 20 items 3, 4, 8) ------------

def _oos_plan(name: str, mean: float, cvar: float) -> dict[str, Any]:
    return {"plan": name, "mean": mean, "ci95": [mean - 1e7, mean + 1e7], "cvar95": cvar,
            "p05": mean / 2, "p50": mean, "p95": 2 * mean, "max": 3 * mean,
            "probability_any_shortfall": 0.9, "status": "feasible", "notes": [],
            "minus_plan": None if name == "optimised" else
            {"mean": mean - 1.6e9, "ci95": [mean - 1.7e9, mean - 1.5e9]}}


def with_evidence(gap: float | None = None) -> dict[str, Any]:
    """make_result() with an out-of-sample check: the plan 1.60 bn against the rule 2.0 bn and
    no stock 3.0 bn on 5,000 fresh scenarios; 1.534 bn in sample, where holding nothing
    costs 1.2 bn (milder than the 3.0 bn out of sample). Two named analogues: the rule
    beats the plan in 'sb-ban' by 50 M (antimony: the plan holds 0 t, the rule 500 t)."""
    r = make_result()
    r["evidence"] = {
        "out_of_sample": {"scenarios": 5000, "seed": 20260, "source": "library",
                          "plans": [_oos_plan("optimised", 1.6e9, 9.0e9),
                                    _oos_plan("rule", 2.0e9, 12.0e9),
                                    _oos_plan("no stock", 3.0e9, 20.0e9)]},
        "verdict": {"beats_every_rule": True, "best_rule": "rule",
                    "best_rule_saving": {"mean": 4e8, "ci95": [3e8, 5e8]},
                    "rules_better_than_plan": [], "undecided": []},
        "stress_tests": [
            {"scenario": "sb-ban", "description": "antimony ban", "events": ["SB2024"],
             "cost": {"optimised": 150e6, "no stock": 200e6, "rule": 100e6},
             "shortfall_by_material": {"optimised": {"sb": 150e6}, "no stock": {"sb": 200e6},
                                       "rule": {"sb": 100e6}}},
            {"scenario": "ree-cut", "description": "rare earths", "events": ["REE2010"],
             "cost": {"optimised": 10e6, "no stock": 900e6, "rule": 400e6},
             "shortfall_by_material": {"optimised": {"ree": 10e6}, "no stock": {"ree": 9e8},
                                       "rule": {"ree": 4e8}}}],
        "stock_by_material": {"optimised": {"sb": 0.0, "ree": 1100.0},
                              "rule": {"sb": 500.0, "ree": 300.0}},
        "in_sample_no_stock_mean": 1.2e9,
        "hit_frequency": [{"material": "ga", "in_sample": 0.3, "out_of_sample": 0.2}]}
    if gap is not None:
        r["evidence"]["statistical_gap"] = {
            "method": "MMW", "replications": 3, "scenarios_per_replication": 1000,
            "gap_mean": gap * 1e9, "gap_upper95": gap * 1.6e9, "gap_upper95_relative": gap,
            "engine": "ef", "stability": {"purchases": []}}
    return r


def test_out_of_sample_figures_lead_and_in_sample_ones_are_labelled() -> None:
    md = render_markdown(with_evidence())
    summary = md.split("## Purchases")[0]
    bullets = [b for b in summary.splitlines() if b.startswith("- ")]
    assert bullets[0].startswith("- What this is: a first look, not a recommendation: the "
                                 "plan beats every rule out of sample, but how far")
    # the first money figure of the summary is the out-of-sample mean
    first = re.search(r"USD [\d,.]+ (bn|M)", summary)
    assert first is not None and first.group(0) == fmt.money(1.6e9) == "USD 1.60 bn"
    assert "Expected total cost out of sample: USD 1.60 bn (95 % interval USD 1.59 bn to " \
           "USD 1.61 bn)" in summary
    assert "the worst 5 % of them cost USD 9.00 bn on average (CVaR 95 %)" in summary
    # in sample: labelled, and why it is lower (fitted; milder scenarios: 1.2 vs 3.0 bn)
    assert "On the 2 scenarios the plan was optimised on (in sample) its expected total " \
           "cost is USD 1.53 bn, lower than out of sample because the plan is fitted to the " \
           "very scenarios it is scored on (optimisation bias) and those scenarios are " \
           "milder than the calibrated risk (holding nothing costs USD 1.20 bn on them, " \
           "USD 3.00 bn on the fresh sample)" in summary
    # the distribution table puts both side by side; the chart says it is in sample
    assert "| CVaR 95% (mean of the worst 5%) | 1,698,750,000 | 9,000,000,000 |" in md
    assert "The in-sample CVaR 95 % (USD 1.70 bn) is lower than out of sample (USD 9.00 bn)" \
        in md
    html = render_html(with_evidence())
    assert "Cumulative distribution of scenario cost, in sample (the 2 scenarios" in html
    first_li = re.sub(r"<[^>]+>", "", re.findall(r"<li>(.*?)</li>", html)[2])  # amounts' spans
    assert first_li.startswith("Expected total cost out of sample: USD 1.60 bn")


def test_stress_tests_say_where_the_plan_loses_and_why() -> None:
    summary = render_markdown(with_evidence()).split("## Purchases")[0]
    assert "Named historical analogues: the plan costs more than the best rule (rule) in 1 " \
           "of the 2: sb-ban (USD 150.0 M against USD 100.0 M, USD 50.0 M more). Where it " \
           "loses, the plan's extra shortfall is in sb (USD 50.0 M over those analogues; " \
           "the plan holds 0 t, the rule 500 t)." in summary


@pytest.mark.parametrize(("gap", "title"), [
    (None, "first look (not a recommendation)"), (0.025, "first look (not a recommendation)"),
    (0.004, "recommendation")])
def test_only_a_plan_whose_evidence_holds_is_titled_a_recommendation(
        gap: float | None, title: str) -> None:
    md = render_markdown(with_evidence(gap))
    assert md.startswith(f"# Stockpile {title}: us-japan (bilateral mode)")
    if gap == 0.025:
        assert "its statistical optimality gap, 2.50% at 95 % confidence, is above the 1 %" in md
    lost = with_evidence(0.004)
    lost["evidence"]["verdict"]["beats_every_rule"] = False
    assert render_markdown(lost).startswith("# Stockpile first look (not a recommendation)")
    demo = with_evidence(0.004)
    demo["instance"]["description"] = "20 scenarios; its plan is not a recommendation."
    assert render_markdown(demo).startswith("# Stockpile demonstration (not a recommendation)")
    template = with_evidence(0.004)
    template["instance"]["description"] = "Template from stockpile init: one holder."
    assert render_markdown(template).startswith("# Stockpile template run (not a "
                                                "recommendation)")


def test_plan_csv_and_xlsx_have_no_float_noise(tmp_path: Path) -> None:
    # 102 lots of 0.1 t is 10.200000000000001 t in binary floating point; written to 12
    # significant digits it is 10.2 (issue 20 item 13)
    from openpyxl import load_workbook

    from stockpile.report.cells import tidy

    assert tidy(102 * 0.1) == 10.2 and tidy(30600000.000000004) == 30600000.0
    assert tidy(1.0 / 3.0) == 0.333333333333 and tidy("x") == "x" and tidy(7) == 7
    r = make_result()
    r["plan"][0].update(bought_t=102 * 0.1, stock_t=102 * 0.1, purchase_cost=30600000.000000004)
    write_solve_report(r, tmp_path / "r")
    text = (tmp_path / "r" / "plan.csv").read_text()
    assert "US,ga4n,ga,0.0,30,10.2,10.2,30600000.0," in text
    assert "00000001" not in text
    wb = load_workbook(tmp_path / "r" / "report.xlsx")
    values = [c.value for row in wb["Plan"].iter_rows() for c in row]
    assert 10.2 in values and not any(isinstance(v, float) and "00000001" in repr(v)
                                      for v in values)


def test_narrow_charts_keep_every_label_and_value_in_view() -> None:
    # At 420 px the wide charts were scrolled sideways with the largest bars' values out of
    # view (issue 20 item 13). Each chart is now also drawn 400 units wide and shown instead
    # below 760 px; every text of it, at 6.7 units per character (Helvetica at 12 px
    # averages about 6.7), stays within the chart. Long labels wrap instead.
    r = with_evidence()
    r["plan"][0]["product"] = "a-very-long-product-name-for-a-narrow-chart"
    r["plan"][0]["purchase_cost"] = 36_964_221_549.0
    html = render_html(r)
    narrow = re.findall(r'<div class="chart-narrow">(<svg\b.*?</svg>)</div>', html, re.S)
    wide = re.findall(r'<div class="chart-wide">(<svg\b.*?</svg>)</div>', html, re.S)
    assert len(narrow) == len(wide) >= 5
    assert ".chart-narrow { display: none; }" in html and "min-width: 600px" not in html
    for s in narrow:
        root = ET.fromstring(s)  # noqa: S314  (our own output)
        assert root.get("viewBox", "").split()[2] == "400"
        for t in root.iter("{http://www.w3.org/2000/svg}text") if root.tag.startswith("{") \
                else root.iter("text"):
            lines = [sp.text or "" for sp in t] or [t.text or ""]
            xs = [float(sp.get("x", t.get("x"))) for sp in t] or [float(t.get("x"))]
            for x, line in zip(xs, lines):
                w = 6.7 * len(line) * (11 / 12 if t.get("font-size") == "11" else 1)
                anchor = t.get("text-anchor", "start")
                lo, hi = {"start": (x, x + w), "end": (x - w, x),
                          "middle": (x - w / 2, x + w / 2)}[anchor]
                if t.get("transform"):  # the rotated axis title
                    continue
                assert lo >= -1 and hi <= 401, (line, lo, hi)
    # headers break between words only
    assert "overflow-wrap: normal; word-break: normal" in html


# --- a section's paragraphs and tables in the order they were written -----------------------

def test_section_keeps_paragraphs_tables_and_bullets_in_written_order() -> None:
    from stockpile.report.blocks import Column, Section, Table

    t1, t2 = Table("One", [Column("a")], [["x"]]), Table("Two", [Column("b")], [["y"]])
    sec = Section("k", "K", paragraphs=["intro"])
    sec.tables.append(t1)
    sec.paragraphs.append("about two")
    sec.tables.append(t2)
    sec.paragraphs.insert(0, "first")  # before the first paragraph, not at the top of tables
    sec.bullets = ["b1", "b2"]  # placed where it is set: last
    assert list(sec.parts()) == ["first", "intro", t1, "about two", t2, ["b1", "b2"]]
    assert sec.paragraphs == ["first", "intro", "about two"] and list(sec.tables) == [t1, t2]
    sec.paragraphs[1] = "intro, reworded"  # replaced where it stands
    sec.paragraphs += ["closing"]  # why_content extends this way
    assert list(sec.parts()) == ["first", "intro, reworded", t1, "about two", t2,
                                 ["b1", "b2"], "closing"]
    del sec.tables[0]
    assert [p if isinstance(p, str) else "T" for p in sec.parts()] == [
        "first", "intro, reworded", "about two", "T", "T", "closing"]  # bullets list = "T"
    with pytest.raises(TypeError, match="take Table, not str"):
        sec.tables.append("not a table")  # type: ignore[arg-type]
    # given to the constructor: paragraphs, bullets, tables
    assert list(Section("k", "K", ["p"], ["b"], [t1]).parts()) == ["p", ["b"], t1]


def test_evidence_explanations_sit_above_their_own_tables() -> None:
    # The evidence section writes: paragraph, 'Out of sample' table, paragraph, 'Stress
    # tests', paragraph, 'Hit frequency', paragraph, 'Stability'. The renderers printed all
    # four paragraphs, then all four tables, so the stress-test explanation sat above the
    # out-of-sample table. Now each paragraph comes just before the table it explains, in
    # report.md and report.html alike.
    r = with_evidence(0.004)
    r["evidence"]["statistical_gap"]["stability"]["purchases"] = [
        {"holder": "US", "product": "ga4n", "plan_t": 3.0, "min_t": 2.0, "max_t": 3.0,
         "replications_buying": 3}]
    md = render_markdown(r).split("## Evidence")[1].split("\n## ")[0]
    html = render_html(r).split('<section id="evidence">')[1].split("</section>")[0]
    marks = [("Every plan below is evaluated", "| Plan | Expected cost (USD)",
              'data-sheet="Out of sample"'),
             ("Named historical analogues", "| Analogue | Events", 'data-sheet="Stress tests"'),
             ("How often each material", "| Material | Share cut, in the instance",
              'data-sheet="Hit frequency"'),
             ("Statistical optimality gap (MMW)", "| Holder | Product | Plan (t)",
              'data-sheet="Stability"')]
    md_at = [k for p, t, _ in marks for k in (md.index(p), md.index(t))]
    html_at = [k for p, _, t in marks for k in (html.index(p), html.index(t))]
    assert md_at == sorted(md_at) and html_at == sorted(html_at)
    # the hit frequency as shares (0.3 and 0.2 in with_evidence), not bare fractions
    assert "| ga | 30.0% | 20.0% |" in md
    # and the Excel sheets follow the same reading order
    from stockpile.report.content import document
    sheets = [t.sheet for t in document(r).tables()]
    assert sheets.index("Out of sample") < sheets.index("Stress tests") \
        < sheets.index("Hit frequency") < sheets.index("Stability")


def test_charts_come_before_their_sections_first_table() -> None:
    html = render_html(with_evidence())
    dist = html.split('<section id="distribution">')[1].split("</section>")[0]
    # paragraph (in and out of sample), paragraph (why CVaR differs), chart, the two tables
    at = [dist.index(s) for s in ("<p>Total cost of the plan", "<p>The in-sample CVaR",
                                  "<figure>", 'data-sheet="Cost distribution"',
                                  'data-sheet="Scenarios"')]
    assert at == sorted(at)


def test_long_axis_titles_wrap_inside_a_narrow_chart() -> None:
    # Chromium at 420 px found the last-lot chart's axis title, 87 characters on one line
    # (about 626 units of bold 12 px text), cut by both edges of the 400-unit chart. Axis
    # titles now wrap to lines of at most (400 - 16) / 7.2 = 53 characters, centred where
    # they fit and moved inwards where they would cross an edge.
    from stockpile.report import svg

    title = ("USD avoided per USD of cost (price less residual value, plus holding; "
             "1 = break-even)")
    with svg.narrow():
        bars = svg.hbar([("US \u00b7 cobalt", 1.25), ("JP \u00b7 gallium", 3.5)], "t",
                        lambda v: f"{v:.2f}", title, "Holder \u00b7 product")
        tornado = svg.tornado([("Prices", -2e8, 3e8)], "t", lambda v: f"{v:,.0f}", title,
                              "Input")
    for chart in (bars, tornado):
        root = ET.fromstring(chart)  # noqa: S314  (our own output)
        (axis,) = [t for t in root.iter("text") if t.get("class") == "axis-label"
                   and t.get("text-anchor") == "middle"]
        lines = [(float(sp.get("x")), sp.text or "") for sp in axis]
        assert [line for _, line in lines] == [
            "USD avoided per USD of cost (price less residual", "value, plus holding; 1 = "
            "break-even)"]
        for x, line in lines:
            assert x - 7.2 * len(line) / 2 >= 8 - 1e-9 and x + 7.2 * len(line) / 2 <= 392
        # the chart is one line taller than with a short title, so nothing overlaps
        height = float(root.get("viewBox").split()[3])
        last = max(float(t.get("y")) for t in root.iter("text"))
        assert last + svg.AXIS_LINE <= height


def test_table_cells_break_between_words_and_identifiers_not_at_all() -> None:
    # Chromium at 1400 px showed 'antimon|y', 'palladiu|m', 'dysprosiu|m' and 'JP-|JOGMEC'
    # in the why-not and last-lot tables: cells could break anywhere (overflow-wrap:
    # anywhere shrinks a column below its longest word). Now a one-word cell of at most 24
    # characters stays on one line, text breaks between words, and only a cell with a
    # longer word (a hash, a path) may break inside it.
    from stockpile.report.html import _html_table

    digest = "ec35ef80228c337f5e8876e3683685313fc88b781ac66a291059d9066c2c6e4f"
    html = _html_table("T", ["Holder", "Material", "Note", "Hash", "Cost (USD)"],
                       [["JP-JOGMEC", "antimony", "not worth its cost", digest, "1,234"]],
                       [False, False, False, False, True])
    cells = re.findall(r"<td( class=\"(\w+)\")? data-label", html)
    assert [c[1] for c in cells] == ["id", "id", "", "long", "num"]
    assert "th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: " \
           "left;\n         vertical-align: top; overflow-wrap: break-word; }" in render_html(
               make_result())


def test_rules_cheaper_than_the_plan_are_told_as_a_positive_amount() -> None:
    # The tiny instance's report said "JOGMEC 60/180 days, KOMIR 100 days, ... costs less:
    # the best rule (KOMIR 100 days) minus the plan is USD -76 [USD -78, USD -74]": a plural
    # with 'costs' and a saving a reader has to negate. Rule 1.55 bn against the plan
    # 1.60 bn: 50 M less, interval [-60 M, -40 M] negated to 40 M to 60 M.
    r = with_evidence()
    r["evidence"]["verdict"].update(
        beats_every_rule=False, best_rule="rule", rules_better_than_plan=["rule"],
        best_rule_saving={"mean": -5e7, "ci95": [-6e7, -4e7]})
    md = render_markdown(r)
    assert "rule costs less than the plan; the best rule (rule) by USD 50.0 M (95 % " \
           "interval USD 40.0 M to USD 60.0 M)." in md
    r["evidence"]["verdict"]["rules_better_than_plan"] = ["rule", "other rule"]
    assert "rule, other rule cost less than the plan; the best rule (rule) by USD 50.0 M" \
        in render_markdown(r)


def test_amounts_stay_with_their_units_in_html() -> None:
    # At 420 px Chromium broke 'USD -78, USD | -74]' and 'USD 2.34 | bn' across lines: an
    # amount and its unit are now one unbreakable span in prose, bullets and table cells;
    # the text a reader sees (and copies) is unchanged.
    from stockpile.report.html import _prose

    assert _prose("USD -76 [USD -78, USD -74]; 10,460 t; 95 % of USD 2.24 bn, 548 days, "
                  "USD 54.2 M/t <b>") == (
        '<span class="nw">USD -76</span> [<span class="nw">USD -78</span>, <span class="nw">'
        'USD -74</span>]; <span class="nw">10,460 t</span>; <span class="nw">95 %</span> of '
        '<span class="nw">USD 2.24 bn</span>, <span class="nw">548 days</span>, '
        '<span class="nw">USD 54.2 M/t</span> &lt;b&gt;')
    html = render_html(with_evidence())
    assert "td.id, span.nw { white-space: nowrap; }" in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "Expected total cost out of sample: USD 1.60 bn (95 % interval USD 1.59 bn to " \
           "USD 1.61 bn)" in text


def test_cdf_markers_sharing_a_line_keep_their_own_figures() -> None:
    # The quick instance's chart said 'mean / p95: USD 3.60 bn' although p95 is 4.03 bn: on
    # a 0-38 bn axis the two lines are under 4 units apart and shared one label with the
    # first one's value. Each now keeps its own figure where the figures differ.
    from stockpile.report import svg

    points = [(0.59e9, 0.5), (4.03e9, 0.45), (36.96e9, 0.05)]
    markers = [("mean", 3.597e9), ("p95", 4.025e9), ("CVaR 95%", 36.96e9)]
    with svg.narrow():
        chart = svg.cdf(points, markers, "t", fmt.money)
    assert ">mean: USD 3.60 bn / p95: USD 4.03 bn</text>" in chart
    assert ">CVaR 95%: USD 36.96 bn</text>" in chart
    same = svg.cdf(points, [("mean", 3.6e9), ("p95", 3.6e9)], "t", fmt.money)
    assert ">mean / p95: USD 3.60 bn</text>" in same


def test_cdf_marker_labels_take_a_free_row() -> None:
    # Chromium at 420 px (national mode, quick instance): 'mean: USD 3.66 bn / p95 ...' and
    # 'CVaR 95% in sample: USD 36.83 bn' overlapped: labels alternated between two rows by
    # their order, and the CVaR label, anchored at the right end, ran left over the mean's.
    # Each label now takes the first row where it overlaps no earlier label (12 units per
    # row, 6 units apart), and the plot starts below the rows used.
    from stockpile.report import svg

    points = [(0.43e9, 0.5), (4.81e9, 0.45), (36.83e9, 0.05)]
    markers = [("mean", 3.66e9), ("p95", 4.81e9), ("CVaR 95% in sample", 36.83e9)]
    with svg.narrow():
        chart = svg.cdf(points, markers, "t", fmt.money)
    root = ET.fromstring(chart)  # noqa: S314  (our own output)
    labels = [t for t in root.iter("text") if t.get("font-size") == "11"]
    spans = []
    for t in labels:
        x, w = float(t.get("x")), 6.2 * len(t.text or "")
        lo, hi = (x - w, x) if t.get("text-anchor") == "end" else (x, x + w)
        spans.append((float(t.get("y")), lo, hi))
        assert lo >= -1 and hi <= 401, (t.text, lo, hi)
    for i, (y1, lo1, hi1) in enumerate(spans):
        for y2, lo2, hi2 in spans[i + 1:]:
            assert y1 != y2 or hi1 <= lo2 or hi2 <= lo1  # same row: apart
    assert len({y for y, _, _ in spans}) == 3  # three labels, three rows here
    lines = [ln for ln in root.iter("line") if ln.get("stroke-dasharray")]
    assert min(float(ln.get("y1")) for ln in lines) > max(y for y, _, _ in spans)


def test_paper_gets_the_wide_charts() -> None:
    # A4 minus margins is about 700 px, under the 760 px where screens switch to the charts
    # drawn 400 units wide; printed, those came out at 1.75 times the page's text (12-unit
    # labels 23 px high, measured by Chromium). The narrow-screen rules now apply to screens
    # only, and print shows the 720-unit charts in any case.
    html = render_html(with_evidence())
    printed = html.split("@media print {")[1].split("\n}\n")[0]
    assert ".chart-wide { display: block; } .chart-narrow { display: none; }" in printed
    # and tables of 4 to 8 columns, which fit across A4, stack per row on narrow screens
    # only: on paper they stacked too (a 7-column flows table became 7 lines a row); the
    # quick instance's printed solve report went from 56,915 to 31,213 px at A4 width
    assert "@media (max-width" not in html
    assert html.count("@media screen and (max-width: 760px) {") == 2


def test_a_transposed_table_names_rows_whose_first_column_repeats() -> None:
    # A frontier-like table of 9 columns and 4 rows is shown transposed (html.WIDE,
    # TRANSPOSE_ROWS). Its first column (lambda) is 0, 0, 1, 1: the head names each row by
    # lambda and budget ('0 / 1', '0 / 2', ...), and the budget is not repeated as a body row.
    # A first column that is unique alone stays the head's only key.
    from stockpile.report.blocks import Column, Table
    from stockpile.report.html import _table

    cols = [Column("Lambda"), Column("Budget"), *(Column(f"c{i}") for i in range(7))]
    rows = [[lam, bud, *("x" * 7)] for lam in ("0", "1") for bud in ("1", "2")]
    html = _table(Table("Frontier", cols, rows))
    head = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html)
    assert head[:5] == ["Lambda / Budget", "0 / 1", "0 / 2", "1 / 1", "1 / 2"]
    assert "<th>Budget</th>" not in html and ">Budget<" not in html.split("</thead>")[1]
    unique = _table(Table("Plans", cols, [[f"p{i}", "1", *("x" * 7)] for i in range(3)]))
    assert re.findall(r"<th(?: [^>]*)?>(.*?)</th>", unique)[:4] == ["Lambda", "p0", "p1", "p2"]


def test_in_sample_reasons_point_the_way_of_the_difference() -> None:
    # Harsher in-sample scenarios raise the in-sample cost, milder ones lower it; a harshness
    # that pulls against the difference is said with 'although', never as its reason. The
    # plan to circulate (1,000 scenarios) read "lower than out of sample because ... those
    # scenarios are harsher (4.38 vs 4.34 bn)": the words contradicted the numbers.
    from stockpile.report.evidence import in_sample_sentence

    r = with_evidence()  # objective 1.53 bn, out of sample 1.60 bn, no stock 3.00 bn fresh
    r["evidence"]["in_sample_no_stock_mean"] = 3.5e9  # harsher in sample
    said = in_sample_sentence(r, 1.53e9)
    assert "lower than out of sample because the plan is fitted to the very scenarios it is " \
           "scored on (optimisation bias), although those scenarios are harsher than the " \
           "calibrated risk (holding nothing costs USD 3.50 bn on them, USD 3.00 bn" in said
    said = in_sample_sentence(r, 1.7e9)  # higher, and harsher: that is the reason
    assert "higher than out of sample because those scenarios are harsher" in said
    r["evidence"]["in_sample_no_stock_mean"] = 1.2e9  # higher, but milder: no reason given
    said = in_sample_sentence(r, 1.7e9)
    assert "higher than out of sample, although those scenarios are milder" in said


def test_a_report_without_explanation_says_why() -> None:
    # The plan to circulate (--engine benders) said "Not computed (solve --no-why)" though
    # nobody asked for --no-why: the explanation's LPs need the extensive form.
    from stockpile.report.content import Solved
    from stockpile.report.why_content import _why_absent

    r = with_evidence()
    r["solver"] = {**r["solver"], "interface": "benders", "has_plan": True}
    assert "solved by --engine benders; solve with --engine ef" in _why_absent(Solved(r, None))
    r["solver"]["interface"] = "standard_form"
    assert _why_absent(Solved(r, None)) == "Not computed for this report (solve --no-why)."
    r["solver"]["has_plan"] = False
    assert _why_absent(Solved(r, None)) == "No plan, so nothing to explain."


def test_the_summary_says_the_tier_shape_is_assumed_and_what_it_moves() -> None:
    # Issue 20 item 12: the assumption that drives the answer is in the first screen, not only
    # in its section. One shape moves the plan and costs it beyond its interval; the other
    # does not move it: each said in those words; no shapes, no line.
    from stockpile.report.tiers_content import tier_shapes_bullets

    steeper = {"shape": "steeper", "gamma": 1.5, "status": "optimal", "objective": 2.0e9,
               "moved_share": 0.043, "materials": [{"material": "graphite", "change_t": 19550}],
               "out_of_sample": {"base_minus_shape": {"mean": 86.3e6,
                                                      "ci95": [50.6e6, 122.0e6]}}}
    flatter = {"shape": "flatter", "gamma": 0.5, "status": "optimal", "objective": 1.5e9,
               "moved_share": 0.0, "materials": [], "regret": 0.0,
               "out_of_sample": {"base_minus_shape": {"mean": 0.3e6, "ci95": [-0.9e6, 1.6e6]}}}
    [line] = tier_shapes_bullets({"tier_shapes": {"shapes": [flatter, steeper]}})
    assert line.startswith("The shape of the shortfall tiers (how much dearer an essential "
                           "tonne unmet is than a general one) is assumed")
    assert "under a flatter shape (exponent 0.5) the plan does not move; holding this plan " \
           "instead costs USD +300,000 out of sample [USD -900,000, USD 1.6 M], no " \
           "measurable difference" in line
    assert "under a steeper shape (exponent 1.5) 4.3% of the purchase spend moves (graphite " \
           "+19,550 t); holding this plan instead costs USD +86.3 M out of sample " \
           "[USD 50.6 M, USD 122.0 M] (section" in line
    assert tier_shapes_bullets({"tier_shapes": {"skipped": "--no-tier-shapes"}}) == []
