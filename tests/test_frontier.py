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
