"""The frontier: more budget never raises the in-sample objective; risk aversion lowers
CVaR; bad options exit 2 with nothing written."""

from __future__ import annotations

import json

import pytest

from stockpile.cli import main
from stockpile.instance import dump_yaml, parse
from stockpile.scenarios import DEFAULT_LIBRARY, sample, with_scenarios
from tests.test_scenarios import _inst


@pytest.fixture
def gen_path(tmp_path):
    inst = _inst(1)
    raw = inst.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    raw["holders"] = [{"id": "US-DLA", "budget": 400}, {"id": "JP-JOGMEC", "budget": 300}]
    inst = parse(raw)
    inst = with_scenarios(inst, sample(inst, 40, 4, DEFAULT_LIBRARY.scaled(6)))
    path = tmp_path / "gen.yaml"
    dump_yaml(inst, path)
    return path


def test_frontier_rows(gen_path, tmp_path, capsys) -> None:
    out = tmp_path / "fr"
    assert main(["frontier", str(gen_path), "--budgets", "0.5,1,2", "--lambdas", "0,2",
                 "--n", "3000", "--rate-scale", "6", "--mode", "national",
                 "--out", str(out)]) == 0
    rows = json.loads((out / "frontier.json").read_text())["rows"]
    assert len(rows) == 6
    for lam in (0, 2):
        objs = [r["in_sample_objective"] for r in rows if r["lambda"] == lam]
        assert objs[0] >= objs[1] >= objs[2] - 1e-6  # more budget never hurts in sample
        assert rows[1 if lam == 0 else 4]["marginal_value"] is not None
    # at the same budget, lambda 2 holds at least as much stock as lambda 0
    for i in range(3):
        assert rows[3 + i]["stock_t"] >= rows[i]["stock_t"] - 1e-9
    assert "<svg" in (out / "frontier.html").read_text()


@pytest.mark.parametrize(("argv", "message"), [
    (["--budgets", "0,1"], "--budgets"), (["--lambdas", "-1"], "--lambdas"),
    (["--alpha", "1.5"], "--alpha 1.5")])
def test_frontier_bad_options(gen_path, tmp_path, capsys, argv, message) -> None:
    with pytest.raises(SystemExit) if message != "--alpha 1.5" else _nullcontext() as exc:
        code = main(["frontier", str(gen_path), "--out", str(tmp_path / "fr"), *argv])
    if exc is None:
        assert code == 2
    else:
        assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "fr").exists()


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# ---- item 6: in-sample against out-of-sample CVaR -------------------------------------------
def _point(lam: float, out_total, cvar_in: float, tail: int = 1, cvar_out: float = 0.0):
    import numpy as np

    from stockpile.analysis.frontier import FrontierPoint

    return FrontierPoint(lam, 1.0, 100.0, "optimal", 0.0, 0.0, 0.0, {"mean": 0.0},
                         abs_gap=0.0, risk={"cvar_in_sample": cvar_in,
                                            "tail_scenarios_in_sample": tail,
                                            "cvar_out_of_sample": cvar_out},
                         out_total=np.asarray(out_total, dtype=float))


def test_tail_scenarios_and_cvar_terms() -> None:
    import numpy as np

    from stockpile.analysis.frontier import cvar_influence, tail_scenarios
    from stockpile.extract import cvar

    # 20 equally likely scenarios at alpha 0.95: the tail is 1 scenario (the quick
    # instance's case); at 0.8 it is 4; 0.6 of 4 equal scenarios: 1.6 -> 2 (one in part)
    w20 = np.full(20, 0.05)
    assert tail_scenarios(np.arange(20.0), w20, 0.95) == 1
    assert tail_scenarios(np.arange(20.0), w20, 0.8) == 4
    assert tail_scenarios(np.arange(4.0), np.full(4, 0.25), 0.6) == 2
    # the CVaR terms' weighted mean is the CVaR: on any values and weights
    rng = np.random.default_rng(3)
    v, w = rng.gamma(2.0, 10.0, 500), rng.uniform(0.5, 1.5, 500)
    for level in (0.5, 0.9, 0.95):
        assert float(w @ cvar_influence(v, w, level) / w.sum()) == pytest.approx(
            cvar(v, w, level), rel=1e-9)


def test_risk_check_warns_when_risk_aversion_backfires() -> None:
    import numpy as np

    from stockpile.analysis.frontier import FrontierResult, risk_check
    from stockpile.scenarios.pipeline import SampleOptions

    # 1,000 fresh scenarios; the lambda = 1 plan costs 5 more in every one, so its CVaR 0.9
    # is exactly 5 higher and the paired terms differ by 5 everywhere (interval [5, 5]);
    # in sample its CVaR (one tail scenario) is 10 lower: risk aversion backfires.
    base = np.linspace(0.0, 999.0, 1000)
    p = np.full(1000, 1e-3)
    neutral = _point(0.0, base, cvar_in=50.0, cvar_out=949.5)
    averse = _point(1.0, base + 5.0, cvar_in=40.0, cvar_out=954.5)
    check = risk_check(neutral, averse, p, 0.9)
    assert check["verdict"] == "backfires"
    assert check["in_sample_cvar_change"] == pytest.approx(-10.0)
    assert check["out_of_sample_cvar_change"] == pytest.approx(5.0)
    assert check["out_of_sample_ci95"] == pytest.approx([5.0, 5.0])
    assert "in sample it lowers the CVaR 90% by 10 USD, out of sample it raises it by 5 USD" \
        in check["warning"]
    assert "rests on 1 scenario (fewer than 10)" in check["warning"]
    # the same plans with the out-of-sample order reversed: risk aversion lowers the CVaR
    lower = _point(1.0, base - 5.0, cvar_in=40.0, cvar_out=944.5)
    assert risk_check(neutral, lower, p, 0.9)["verdict"] == "lowers"
    averse.against_risk_neutral = check
    result = FrontierResult("x", 0.9, SampleOptions(1000, 1), [neutral, averse],
                            in_sample_scenarios=20)
    warnings = result.to_dict()["warnings"]
    assert warnings[0].startswith("The CVaR 90% the plans minimise rests on 1 of the 20 "
                                  "in-sample scenarios")
    assert warnings[1] == check["warning"]


def test_frontier_reports_in_and_out_of_sample_cvar(gen_path, tmp_path) -> None:
    # 40 in-sample scenarios at alpha 0.95: a tail of 2 scenarios, fewer than 10, so the
    # report warns; with --sample 200 (library draws) the tail holds 10 and it does not
    out = tmp_path / "fr"
    assert main(["frontier", str(gen_path), "--budgets", "1", "--lambdas", "0,1", "--n", "2000",
                 "--rate-scale", "6", "--mode", "national", "--workers", "1", "--quiet",
                 "--out", str(out)]) == 0
    res = json.loads((out / "frontier.json").read_text())
    assert res["in_sample_scenarios"] == 40
    for r in res["rows"]:
        assert r["tail_scenarios_in_sample"] == 2
        assert r["cvar_out_of_sample"] == pytest.approx(r["cvar95"])  # alpha 0.95
        assert r["cvar_in_sample"] >= r["mean_in_sample"]
    assert res["rows"][1]["against_risk_neutral"]["verdict"] in (
        "lowers", "raises", "backfires", "no measurable change")
    assert "rests on 2 of the 40 in-sample scenarios" in res["warnings"][0]
    assert "WARNING: The CVaR 95% the plans minimise" in (out / "frontier.md").read_text()
    assert main(["frontier", str(gen_path), "--budgets", "1", "--lambdas", "1", "--n", "500",
                 "--sample", "200", "--mode", "national", "--workers", "1", "--quiet",
                 "--out", str(tmp_path / "fr200")]) == 0
    res = json.loads((tmp_path / "fr200" / "frontier.json").read_text())
    assert res["in_sample_scenarios"] == 200
    assert res["rows"][0]["tail_scenarios_in_sample"] == 10
    assert res["warnings"] == []
    assert "200 equally likely draws from the calibrated event library" in res["in_sample_note"]


def test_marginal_value_noise_is_marked() -> None:
    import numpy as np

    from stockpile.analysis.frontier import _noise

    # two budgets, proven gaps 10 USD each: a change of mean cost of 15 is within the 20
    a, b = _point(0.0, np.zeros(4), 0.0), _point(0.0, np.zeros(4), 0.0)
    a.abs_gap = b.abs_gap = 10.0
    b.figures = {"mean": -15.0}
    p = np.full(4, 0.25)
    assert _noise(a, b, p) == "within the solver gaps (20 USD)"
    # beyond the gaps, but the paired differences -100, +40, -100, +40 (mean -30, sd
    # sqrt(4/3 * 4,900) = 80.8, se 40.4, interval -109 to +49) hold zero: sampling noise
    b.figures = {"mean": -30.0}
    b.out_total = np.array([-100.0, 40.0, -100.0, 40.0])
    assert _noise(a, b, p) == "sampling noise (95 % interval -109 USD to 49 USD)"
    b.out_total = np.full(4, -30.0)  # the same fall in every scenario: an effect
    assert _noise(a, b, p) is None
