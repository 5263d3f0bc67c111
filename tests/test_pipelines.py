"""The evaluate, frontier and scenarios pipelines called from Python with options dataclasses
(no argparse): their typed results are what the commands write, number for number."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import tiny
from stockpile.analysis.frontier import DEFAULT_SAMPLE, FrontierOptions, run_frontier
from stockpile.analysis.out_of_sample import EvaluationOptions, run_evaluation
from stockpile.analysis.whatif import WhatIf, WhatIfError
from stockpile.cli import main
from stockpile.instance import dump_yaml, load, parse
from stockpile.scenarios.pipeline import (
    SampleOptions,
    ScenariosOptions,
    fresh_sample,
    run_scenarios,
)
from stockpile.solve.highs import SolveOptions
from test_scenarios import _inst

ROOT = Path(__file__).resolve().parents[1]
SHARING = ROOT / "instances" / "tiny_sharing.yaml"


def _without_seconds(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _without_seconds(v) for k, v in d.items() if k != "seconds"}
    if isinstance(d, list):
        return [_without_seconds(v) for v in d]
    return d


def _same(a: Any, b: Any) -> None:
    """Equal structures, key order included (the JSON), floats to 1e-12."""
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and isinstance(b, (int, float)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12) or (math.isnan(a) and b is None)
    else:
        assert a == b


def test_run_scenarios_is_what_the_command_writes(tmp_path: Path) -> None:
    src = tmp_path / "inst.yaml"
    dump_yaml(_inst(2), src)
    sampling = SampleOptions(n=300, seed=1, rate_scale=3, structure="nds")
    result = run_scenarios(load(src), ScenariosOptions(sampling, reduce=20, name="gen"))
    assert main(["scenarios", str(src), "--out", str(tmp_path / "gen.yaml"), "--n", "300",
                 "--reduce", "20", "--structure", "nds", "--rate-scale", "3",
                 "--report", str(tmp_path / "rep")]) == 0
    written = json.loads((tmp_path / "rep" / "scenarios.json").read_text())
    head = {k: v for k, v in written.items() if k != "scenarios"}
    _same(result.summary(str(tmp_path / "gen.yaml")), head)
    assert result.reduced_to == 20 and result.distance == pytest.approx(written["distance"])
    assert result.distance > 0  # 300 scenarios are not 20
    assert [e.type for e in result.event_types] == [e["type"] for e in written["event_types"]]
    assert sum(e.events for e in result.event_types) == sum(
        e["events"] for e in written["event_types"]) > 0
    assert 0 < result.disrupted_share == written["disrupted_share"] <= 1
    # the instance returned is the one written
    new = load(tmp_path / "gen.yaml")
    assert result.instance.name == new.name == "gen"
    assert [s.id for s in result.instance.scenarios] == [s.id for s in new.scenarios]
    assert [s.probability for s in result.instance.scenarios] == pytest.approx(
        [s.probability for s in new.scenarios])
    assert sum(s.probability for s in new.scenarios) == pytest.approx(1.0)


@pytest.mark.parametrize(("options", "message"), [
    ({"sampling": SampleOptions(n=10, seed=1), "reduce": 20}, "--reduce 20: must be at most"),
    ({"sampling": SampleOptions(n=6000, seed=1), "reduce": 20}, "at most 5000"),
])
def test_scenarios_options_checked_when_made(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScenariosOptions(**options)


def test_run_evaluation_is_what_the_command_writes(tmp_path: Path) -> None:
    sampling = SampleOptions(n=400, seed=7)
    options = EvaluationOptions(mode="bilateral", sampling=sampling, vss=True,
                                solve=SolveOptions(mip_gap=1e-4))
    result = run_evaluation(load(SHARING), options)
    assert main(["evaluate", str(SHARING), "--n", "400", "--seed", "7", "--vss", "--quiet",
                 "--out", str(tmp_path / "e")]) == 0
    written = json.loads((tmp_path / "e" / "evaluation.json").read_text())
    _same(_without_seconds(result.to_dict()), _without_seconds(written))
    names = [o.plan.name for o in result.plans]
    assert names[0] == "optimised" and names[-1] == "no stock"
    assert result.plans[0].mean == written["plans"][0]["mean"]
    assert result.plans[0].minus_first["mean"] == 0.0  # the first plan minus itself
    assert result.vss is not None
    assert result.vss["vss"]["mean"] == pytest.approx(written["vss"]["vss"]["mean"])
    assert result.in_sample_scenarios == len(load(SHARING).scenarios) == 3  # calm, cutA, cutB


def test_evaluation_of_no_stock_by_hand() -> None:
    """One holder, one product, one period of one year, demand d = 10 t, one tier of cost
    100 USD/t and share 1. With no stock, scenario s leaves (mu_s - a_s)^+ d L unmet, all in
    the one tier: cost_s = 100 x 10 x (mu_s - a_s)^+, and the mean is the average over the
    equally likely fresh scenarios. A Plan object is evaluated as given."""
    from stockpile.model.plan import Plan

    inst = parse(tiny())
    sampling = SampleOptions(n=300, seed=3, rate_scale=20)
    none = Plan("no stock", np.zeros((1, 1)))
    result = run_evaluation(inst, EvaluationOptions(mode="national", plan=none,
                                                    sampling=sampling, baselines=False))
    sset = fresh_sample(inst, sampling)
    cost = 100.0 * 10.0 * np.clip(sset.demand_mult - sset.supply, 0, None).reshape(300)
    assert cost.max() > 0  # some scenario has a shortfall at 20 times the event rates
    assert [o.plan.name for o in result.plans] == ["no stock", "no stock"]
    assert result.plans[0].mean == pytest.approx(cost.mean(), rel=1e-12)
    assert result.plans[0].figures["first_stage_cost"] == 0.0
    assert result.in_sample_scenarios is None  # a Plan given: not known


def test_run_evaluation_bad_options() -> None:
    inst = load(SHARING)
    with pytest.raises(WhatIfError, match="not available in 'evaluate'"):
        run_evaluation(inst, EvaluationOptions(whatif=WhatIf(forbid=("A|B|ga",))))
    with pytest.raises(ValueError, match="--structure nds"):
        run_evaluation(inst, EvaluationOptions(sampling=SampleOptions(10, 1, structure="nds")))


def test_run_frontier_is_what_the_command_writes(tmp_path: Path) -> None:
    sampling = SampleOptions(n=300, seed=DEFAULT_SAMPLE.seed)
    options = FrontierOptions(budgets=(1.0, 0.5), lambdas=(0.0, 1.0), sampling=sampling)
    result = run_frontier(load(SHARING), options)
    assert main(["frontier", str(SHARING), "--n", "300", "--budgets", "1,0.5", "--lambdas",
                 "0,1", "--workers", "1", "--quiet", "--out", str(tmp_path / "f")]) == 0
    written = json.loads((tmp_path / "f" / "frontier.json").read_text())
    _same(_without_seconds(result.to_dict()), _without_seconds(written))
    pts = result.points
    assert [(p.lam, p.budget_scale) for p in pts] == [(0, 0.5), (0, 1), (1, 0.5), (1, 1)]
    assert pts[1].budget == 2 * pts[0].budget == 2e6  # two holders of B_h = 1e6
    for lo, hi in ((pts[0], pts[1]), (pts[2], pts[3])):
        assert lo.marginal_value is None
        assert hi.marginal_value == pytest.approx((lo.mean - hi.mean) / (hi.budget - lo.budget))
    # the point at budget x1, lambda 0 is the optimised plan of evaluate on the same draw
    ev = run_evaluation(load(SHARING), EvaluationOptions(sampling=sampling, baselines=False))
    assert pts[1].mean == pytest.approx(ev.plans[0].mean, rel=1e-9)


def test_frontier_options_checked_when_made() -> None:
    with pytest.raises(ValueError, match=r"--alpha 1\.0: must be in \[0, 1\)"):
        FrontierOptions(alpha=1.0)
    with pytest.raises(ValueError, match="--budgets"):
        FrontierOptions(budgets=(0.0, 1.0))
    with pytest.raises(ValueError, match="--lambdas"):
        FrontierOptions(lambdas=(-1.0,))


def test_command_line_default_seed_is_the_library_one() -> None:
    from stockpile.cli.evaluate import DEFAULT_SEED

    assert DEFAULT_SAMPLE.seed == DEFAULT_SEED
    assert EvaluationOptions().sampling == FrontierOptions().sampling == DEFAULT_SAMPLE
