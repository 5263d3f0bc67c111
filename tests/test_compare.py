"""``stockpile compare``: modes, value of cooperation, settlement, what-ifs, the command.

Two-holder cases build on tests/test_model_hand.py (``sharing(psi, theta)``): each holder is
cut alone with probability 1/4, a tonne held costs 11, unmet demand 100 USD/t, transport
2 USD/t.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import solve_dict, tiny
from stockpile import cli
from stockpile.analysis.compare import CompareOptions, run_compare, value_of_cooperation
from stockpile.analysis.whatif import WhatIf, WhatIfError, apply_whatif
from stockpile.instance import parse
from stockpile.report.compare_content import voc_sentence
from stockpile.report.compare_files import render_compare_html, render_compare_markdown
from stockpile.solve.highs import SolveOptions
from test_model_hand import sharing


def compare(raw: dict, whatif: WhatIf | None = None, **kw) -> dict:
    opts = CompareOptions(solve=SolveOptions(mip_gap=1e-9), workers=1, **kw)
    return run_compare(parse(raw), whatif, opts)


def objectives(r: dict) -> dict[str, float]:
    return {m: d["solver"]["objective"] for m, d in r["modes"].items()}


def a_holds_ten(psi: float = 20, theta: float = 1.0) -> dict:
    raw = sharing(psi, theta)
    raw["inventory"] = [{"holder": "A", "product": "ga4n", "tonnes": 10}]
    return raw


def test_sharing_pays_with_settlement() -> None:
    """A already holds 10 t. National: A holds them (10), B buys 10 t (110): 120.
    Bilateral: A's 10 t serve B too: 10 + psi 20 + transport 0.25 * 10 * 2 = 35.
    Pooled: no psi: 15. Value of cooperation 85 (70.8%) and 105 (87.5%).
    Settled (B pays A 10 USD/t for the 10 t it receives with probability 1/4 = 25):
    bilateral A = 10 + 10 - 25 = -5, B = 10 + 5 + 25 = 40; pooled A = -15, B = 30."""
    r = compare(a_holds_ten())
    assert objectives(r) == pytest.approx({"national": 120, "bilateral": 35, "pooled": 15})
    voc = r["value_of_cooperation"]
    assert voc["bilateral"]["difference"] == pytest.approx(85)
    assert voc["bilateral"]["percent"] == pytest.approx(85 / 120)
    assert voc["pooled"]["difference"] == pytest.approx(105)
    assert voc["bilateral"]["verdict"] == voc["pooled"]["verdict"] == "gain"
    settled = {(h["holder"], h["mode"]): h["settled"] for h in r["holders"]}
    assert settled == pytest.approx({("A", "national"): 10, ("B", "national"): 110,
                                     ("A", "bilateral"): -5, ("B", "bilateral"): 40,
                                     ("A", "pooled"): -15, ("B", "pooled"): 30})
    gains = {h["holder"]: h["gain_vs_national"] for h in r["holders"]
             if h["mode"] == "bilateral"}
    assert gains == pytest.approx({"A": 15, "B": 70})
    # the game: c(A) = 10, c(B) = 110, c(AB) = 35: phi_A = 10/2 + (35 - 110)/2 = -32.5,
    # phi_B = 110/2 + (35 - 10)/2 = 67.5
    assert {s["holder"]: s["shapley"] for s in r["game"]["shapley"]} == pytest.approx(
        {"A": -32.5, "B": 67.5})
    # flows: in cutB, 10 t from A to B in both joint modes
    flows = {(f["mode"], f["scenario"], f["from"], f["to"]): f["tonnes"] for f in r["flows"]}
    assert flows == pytest.approx({("bilateral", "cutB", "A", "B"): 10,
                                   ("pooled", "cutB", "A", "B"): 10})
    cover = {(c["holder"], c["mode"]): c["days_of_cover"] for c in r["cover"]}
    assert cover[("A", "national")] == pytest.approx(365)  # 10 t for 10 t/yr
    assert cover[("B", "pooled")] == 0  # B holds nothing when the stock is pooled


def test_sharing_that_does_not_pay_is_no_gain() -> None:
    # psi = 200: the agreement would cost 315 > 220, so bilateral = national = 220; pooled 115
    r = compare(sharing(200, 1.0), rules=False, shapley=False)
    assert objectives(r) == pytest.approx({"national": 220, "bilateral": 220, "pooled": 115})
    v = r["value_of_cooperation"]["bilateral"]
    assert v["verdict"] == "no difference" and v["difference"] == pytest.approx(0)
    assert "no saving" in voc_sentence("bilateral", v)


def test_pooled_beats_bilateral_under_a_share_cap() -> None:
    # theta = 1/2: bilateral needs 14 t (177, test_model_hand.test_share_cap_binding);
    # pooled shares everything: 115. Savings 43 and 105 against national 220.
    r = compare(sharing(20, 0.5), rules=False, shapley=False)
    assert objectives(r) == pytest.approx({"national": 220, "bilateral": 177, "pooled": 115})
    assert r["value_of_cooperation"]["bilateral"]["difference"] == pytest.approx(43)
    assert r["value_of_cooperation"]["pooled"]["difference"] == pytest.approx(105)


def test_a_difference_inside_the_gaps_is_not_a_gain() -> None:
    # national 100 proven >= 99, bilateral 99.5 proven >= 99: the true saving lies in
    # [99 - 99.5, 100 - 99] = [-0.5, 1]
    v = value_of_cooperation({"objective": 100.0, "bound": 99.0},
                             {"objective": 99.5, "bound": 99.0})
    assert v["verdict"] == "within the solver gaps"
    assert (v["proven_low"], v["proven_high"]) == pytest.approx((-0.5, 1.0))
    assert "not a proven gain" in voc_sentence("bilateral", v)
    # no bound proven: nothing can be claimed
    v = value_of_cooperation({"objective": 100.0, "bound": None},
                             {"objective": 50.0, "bound": 50.0})
    assert v["verdict"] == "within the solver gaps"


# ---- what-ifs ------------------------------------------------------------------------------------
def test_whatif_budget_and_agreements() -> None:
    # B's budget 5 cannot pay half of psi (10) nor a tonne (10): A 110 + B unmet 250 = 360
    r = compare(sharing(20, 1.0), WhatIf(budgets=("B=5",)), rules=False, shapley=False)
    assert objectives(r)["bilateral"] == pytest.approx(360)
    assert r["whatif"] == ["budget B=5 USD"]
    # forcing the dear agreement: 135 - 20 + 200 = 315; forbidding the cheap one: 220
    r = compare(sharing(200, 1.0), WhatIf(force=("B|A|ga",)), rules=False)
    assert objectives(r)["bilateral"] == pytest.approx(315)
    assert r["game"]["coalitions"][-1]["objective"] == pytest.approx(315)
    r = compare(sharing(20, 1.0), WhatIf(forbid=("A,B,ga",)), rules=False, shapley=False)
    assert objectives(r)["bilateral"] == pytest.approx(220)


def test_whatif_remove_material() -> None:
    # a second material ge, never disrupted: it costs nothing. Removing ga leaves 0;
    # removing ge leaves the base optimum 110.
    raw = tiny(materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 1.0},
                          {"id": "ge", "world_production": 100, "market_cap_share": 1.0}],
               products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1,
                          "holding_cost": 1},
                         {"id": "ge5n", "material": "ge", "price": 10, "lot": 1}],
               demand=[{"holder": "A", "product": k, "annual": 10,
                        "shortfall": [{"tier": "essential", "share": 1, "cost": 100}]}
                       for k in ("ga4n", "ge5n")])
    inst = parse(raw)
    no_ga = apply_whatif(inst, WhatIf(remove_materials=("ga",))).instance
    assert [k.id for k in no_ga.products] == ["ge5n"] and no_ga.scenarios[1].supply == []
    assert solve_dict(no_ga.model_dump(by_alias=True)).stats.objective == pytest.approx(0)
    no_ge = apply_whatif(inst, WhatIf(remove_materials=("ge",))).instance
    assert solve_dict(no_ge.model_dump(by_alias=True)).stats.objective == pytest.approx(110)
    assert inst.materials[1].id == "ge"  # the validated original is untouched


@pytest.mark.parametrize(("whatif", "option", "words"), [
    (WhatIf(budgets=("Z=5",)), "--budget", "names no holder 'Z'"),
    (WhatIf(budgets=("B=-5",)), "--budget", ">= 0"),
    (WhatIf(budgets=("B=lots",)), "--budget", "not a number"),
    (WhatIf(budgets=("B",)), "--budget", "HOLDER=USD"),
    (WhatIf(force=("A|B",)), "--force-agreement", "HOLDER1|HOLDER2|MATERIAL"),
    (WhatIf(force=("A|B|zz",)), "--force-agreement", "not a candidate agreement"),
    (WhatIf(forbid=("A|Q|ga",)), "--forbid-agreement", "names no holder 'Q'"),
    (WhatIf(force=("A|B|ga",), forbid=("B|A|ga",)), "--forbid-agreement", "also forced"),
    (WhatIf(remove_materials=("zz",)), "--remove-material", "names no material"),
    (WhatIf(remove_materials=("ga",)), "--remove-material", "only material"),
])
def test_bad_overrides_name_option_value_and_rule(whatif: WhatIf, option: str,
                                                  words: str) -> None:
    with pytest.raises(WhatIfError) as e:
        apply_whatif(parse(sharing(20, 1.0)), whatif)
    assert e.value.option == option and words in str(e.value)
    assert repr(e.value.value) in str(e.value)


# ---- the command ---------------------------------------------------------------------------------
def write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "inst.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_compare_command_writes_the_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    code = cli.main(["compare", str(write(tmp_path, a_holds_ten())), "--out", str(out),
                     "--workers", "1", "--quiet", "--gap", "1e-9"])
    assert code == cli.EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == [
        ".stockpile-report", "compare.html", "compare.json", "compare.md", "compare.xlsx"]
    result = json.loads((out / "compare.json").read_text())
    assert result["value_of_cooperation"]["bilateral"]["difference"] == pytest.approx(85)
    html = (out / "compare.html").read_text()
    # four charts, each drawn for wide and for narrow pages (report/html._figure)
    assert html.count('<div class="chart-wide"><svg') == 4 and html.count("<svg") == 8
    assert "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    md = (out / "compare.md").read_text()
    assert "save USD 85 (70.8%)" in md and "Shapley" in md and "IEA rule" in md
    from openpyxl import load_workbook
    sheets = load_workbook(out / "compare.xlsx").sheetnames
    assert {"Modes", "Holders", "Shapley", "Core", "Sharing rules"} <= set(sheets)
    assert "save USD 85" in capsys.readouterr().out


def test_default_folder_and_renderers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, sharing(20, 1.0))
    assert cli.main(["compare", str(path), "--workers", "1", "--quiet", "--no-shapley",
                     "--no-rules"]) == cli.EXIT_OK
    r = json.loads((tmp_path / "reports" / "tiny" / "compare" / "compare.json").read_text())
    assert "Not computed" in render_compare_markdown(r)
    assert "<svg" in render_compare_html(r)


@pytest.mark.parametrize(("args", "words"), [
    (["--budget", "Z=1"], "--budget 'Z=1': names no holder 'Z'"),
    (["--force-agreement", "A|B|ge"], "not a candidate agreement"),
    (["--remove-material", "ga"], "only material"),
])
def test_bad_override_exits_2_and_writes_nothing(tmp_path: Path, capsys, args: list[str],
                                                 words: str) -> None:
    out = tmp_path / "cmp"
    code = cli.main(["compare", str(write(tmp_path, sharing(20, 1.0))), "--out", str(out),
                     "--workers", "1", "--quiet", *args])
    assert code == cli.EXIT_INPUT
    err = capsys.readouterr().err
    assert words in err and "nothing written" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "inst.yaml"]


def test_bad_instance_and_bad_option_exit_2(tmp_path: Path, capsys) -> None:
    raw = sharing(20, 1.0)
    raw["agreements"][0]["share_cap"] = 1.5
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(write(tmp_path, raw)), "--out", str(out)]) == 2
    assert "agreements[0].share_cap" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["compare", str(tmp_path / "inst.yaml"), "--workers", "0"])
    assert e.value.code == 2
    assert not out.exists()


def test_infeasible_exits_3_and_writes_nothing(tmp_path: Path, capsys) -> None:
    # inventory of 5 m3 in a 3 m3 depot: no plan in any mode
    raw = tiny(products=[{"id": "ga4n", "material": "ga", "price": 10, "lot": 1, "volume": 1}],
               holders=[{"id": "A", "budget": 100,
                         "facilities": [{"id": "depot", "capacity": 3}]}],
               inventory=[{"holder": "A", "product": "ga4n", "tonnes": 5}])
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(write(tmp_path, raw)), "--out", str(out), "--workers",
                     "1", "--quiet"]) == cli.EXIT_INFEASIBLE
    assert "national" in capsys.readouterr().err
    assert not out.exists()


def test_coalition_drops_stress_test_effects_of_other_holders() -> None:
    # Stress tests name holders like scenarios do; a stand-alone coalition must drop the
    # effects on holders outside it (the shipped instance failed compare with 'names no
    # holder of the instance' before).
    from stockpile.analysis.whatif import restrict_holders
    from stockpile.instance import load

    inst = load(Path(__file__).resolve().parent.parent / "instances"
                / "us_japan_2026_quick.yaml")
    assert inst.stress_tests, "the shipped instance is expected to carry stress tests"
    alone = restrict_holders(inst, ["US-DLA"])
    holders = {e.holder for s in alone.stress_tests for e in [*s.supply, *s.demand]
               if e.holder is not None}
    assert holders <= {"US-DLA"}


def test_errors_cross_process_boundaries() -> None:
    # compare runs coalitions in worker processes: their errors must unpickle whole.
    import pickle

    from stockpile.instance import InstanceError
    from stockpile.instance.validate import Problem

    e = InstanceError("x.yaml", [Problem("holders[0].id", "a b", "must be a name")])
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and back.problems == e.problems
    w = pickle.loads(pickle.dumps(WhatIfError("--budget", "US=x", "must be a number")))
    assert str(w) == "--budget 'US=x': must be a number"


def test_national_is_not_standing_alone() -> None:
    """Item 9's contradiction by hand. Both holders demand 10 t/yr of ga, cut together with
    probability 1/2; the market cap is 12 t, so each is entitled to 6 t. A's shortfall costs
    100 USD/t, B's 5 USD/t; a tonne held costs 11.
    Alone: A buys its 6 t: 66 + 0.5 * 4 * 100 = 266; B buys nothing (0.5 * 5 < 11): 25.
    National: the joint cap lets A buy all 10 t: A 110, B 25, total 135 = bilateral (no
    agreement to sign) = c(AB). So A's national cost is 156 below its stand-alone cost: it
    uses cap room B's entitlement holds. Shapley: A 266/2 + (135 - 25)/2 = 188, B 25/2 +
    (135 - 266)/2 = -53: each saves 78 against alone, and A pays B 188 - 110 = 78 to get
    there from the settlement. Nobody pays more than alone; the split is in the core."""
    raw = tiny(holders=[{"id": "A", "budget": 1e6}, {"id": "B", "budget": 1e6}],
               demand=[{"holder": h, "product": "ga4n", "annual": 10,
                        "shortfall": [{"tier": "essential", "share": 1, "cost": c}]}
                       for h, c in (("A", 100), ("B", 5))],
               materials=[{"id": "ga", "world_production": 1000, "market_cap_share": 0.012}])
    r = compare(raw, rules=False)
    alone = {s["holder"]: s for s in r["standalone"]}
    assert alone["A"]["standalone"] == pytest.approx(266.0)
    assert alone["A"]["national"] == pytest.approx(110.0)
    assert alone["A"]["national_minus_alone"] == pytest.approx(-156.0)
    assert alone["A"]["shapley"] == pytest.approx(188.0)
    assert alone["B"]["shapley_minus_alone"] == pytest.approx(-78.0)
    assert not any(s[f"{k}_pays_more"] for s in alone.values()
                   for k in ("national", "bilateral", "shapley"))
    # the residual value column is there and the items add up to the settled cost
    for h in r["holders"]:
        items = ("purchase_and_holding", "residual_value", "fixed_costs", "expected_shortfall",
                 "expected_transport_and_conversion", "transfer_settlement")
        assert sum(h[k] for k in items) == pytest.approx(h["settled"])
    md = render_compare_markdown(r)
    assert "Who pays more than alone under the Shapley split: nobody, beyond the solver " \
        "gaps." in md
    assert "From the bilateral settlement to the Shapley split: A pays USD 78 to the " \
        "others, though it still pays less than alone." in md
    assert "A's national cost USD 110 is USD 156 below its stand-alone cost" in md
    assert "| A | 266 | 110 | -156 | 110 | -156 | 188 | -78 | 78 | no |" in md
