"""``stockpile solve --sample N``: the instance solved on N fresh library scenarios, and the
L-shaped engine's plan checked like the extensive form's."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from stockpile import cli
from stockpile.cli.solve import sampled
from stockpile.instance import load
from stockpile.model.data import model_data

QUICK = Path(__file__).resolve().parent.parent / "instances" / "us_japan_2026_quick.yaml"


def test_sample_with_the_build_seed_gives_the_shipped_scenarios() -> None:
    # The quick instance holds 20 library scenarios drawn with seed 1 (scripts/
    # build_instances.py); --sample 20 --sample-seed 1 must draw exactly those again.
    inst = load(QUICK)
    again = sampled(inst, argparse.Namespace(sample=20, sample_seed=1))
    assert [s.id for s in again.scenarios] == [s.id for s in inst.scenarios]
    a, b = model_data(inst, "bilateral"), model_data(again, "bilateral")
    for field in ("supply", "demand", "probability"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert again.stress_tests == inst.stress_tests
    assert "--sample" in again.sources[-1]
    other = sampled(inst, argparse.Namespace(sample=30, sample_seed=2))
    assert len(other.scenarios) == 30
    assert not np.array_equal(model_data(other, "bilateral").supply[:20], a.supply)


def test_benders_plan_gets_the_out_of_sample_check(tmp_path: Path) -> None:
    out = tmp_path / "r"
    rc = cli.main(["solve", str(QUICK), "--engine", "benders", "--gap", "1e-2", "--sample",
                   "10", "--check-scenarios", "200", "--out", str(out), "--quiet"])
    assert rc == 0
    res = json.loads((out / "result.json").read_text())
    assert res["instance"]["scenarios"] == 10
    assert res["sampled"] == {"scenarios": 10, "seed": 1}
    assert res["solver"]["interface"] == "benders"
    oos = res["evidence"]["out_of_sample"]
    assert oos["scenarios"] == 200
    plans = [p["plan"] for p in oos["plans"]]
    assert plans[0] == "optimised" and "no stock" in plans and len(plans) >= 4
    assert res["evidence"]["stress_tests"], "the stress tests are run for Benders plans too"


def test_whatif_needs_the_extensive_form(tmp_path: Path, capsys) -> None:
    rc = cli.main(["solve", str(QUICK), "--engine", "benders", "--budget", "US-DLA=1e9",
                   "--out", str(tmp_path / "r"), "--quiet"])
    assert rc == 2
    assert "need --engine ef" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_rate_weights_match_a_sample_drawn_at_the_scaled_rates() -> None:
    # Library draws have no calm scenario, so the calm-takes-the-rest rule cannot apply;
    # library_reweight recognises the draw and reweights it by the likelihood ratio of its
    # onsets. Check of the change of measure: on 4,000 draws, the reweighted probability that
    # each material is hit equals (within sampling error) that of 4,000 fresh draws made at
    # the scaled rates, and factor 1 leaves the equal weights.
    from stockpile.analysis.evidence import hit_frequency
    from stockpile.analysis.sensitivity import _probabilities, library_reweight
    from stockpile.scenarios import DEFAULT_LIBRARY, sample

    inst = sampled(load(QUICK), argparse.Namespace(sample=4000, sample_seed=1))
    data = model_data(inst, "bilateral")
    assert _probabilities(data, 1.2) is None  # no calm scenario among 4,000 draws
    reweight = library_reweight(inst, data)
    assert reweight is not None
    assert np.allclose(reweight(1.0).probability, 1 / 4000, rtol=1e-12)
    for f in (0.5, 1.5):
        fresh = sample(inst, 4000, 99, library=DEFAULT_LIBRARY.scaled(f)).apply(data)
        w, d = hit_frequency(reweight(f)), hit_frequency(fresh)
        assert np.abs(w - d).max() < 0.03, (f, w, d)
    dy = [m.id for m in inst.materials].index("dysprosium")
    low, base, high = (hit_frequency(reweight(f))[dy] for f in (0.5, 1.0, 1.5))
    assert low < base < high  # 1 - exp(-rate x horizon) grows with the rate
    # a file whose scenarios are not that draw (another seed) is not recognised
    assert library_reweight(inst, data, seed=2) is None


def test_sensitivity_row_uses_the_reweighting() -> None:
    from stockpile.analysis.sensitivity import _solve, library_reweight, sensitivity
    from stockpile.solve.highs import SolveOptions

    inst = sampled(load(QUICK), argparse.Namespace(sample=4, sample_seed=1))
    data = model_data(inst, "national")
    reweight = library_reweight(inst, data)
    assert reweight is not None
    opts = SolveOptions(mip_gap=1e-6, progress=False)
    sens = sensitivity(data, 0.5, opts, reweight=reweight)
    rows = {(r["parameter"], r["factor"]): r for r in sens["rows"]}
    row = rows[("disruption probabilities", 1.5)]
    assert row["how"].startswith("library event rates scaled (scenarios reweighted; "
                                 "effective sample ")
    # the row's re-solve starts from the base plan (a MIP start), this one does not: the same
    # optimum, to the last bits of floating point
    assert row["objective"] == pytest.approx(_solve(reweight(1.5), opts).objective, rel=1e-12)
    assert rows[("prices", 1.5)]["how"] is None
