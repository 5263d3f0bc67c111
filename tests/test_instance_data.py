"""The shipped instances: rebuilt byte-identical from data/, valid, and what the issue asks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stockpile.instance import load

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["us_japan_2026.yaml", "us_japan_2026_s100.yaml", "tiny_sharing.yaml"]
GENERATED = ["us_japan_2026_library.yaml"]  # by stockpile scenarios, from the default instance


def test_build_script_reproduces_the_shipped_instances(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_instances.py"),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == (ROOT / "instances" / name).read_bytes(), name


@pytest.mark.parametrize("name", SHIPPED + GENERATED)
def test_shipped_instances_validate(name: str) -> None:
    inst = load(ROOT / "instances" / name)
    assert sum(s.probability for s in inst.scenarios) == pytest.approx(1.0, abs=1e-9)


def test_default_instance_covers_the_story() -> None:
    inst = load(ROOT / "instances" / "us_japan_2026.yaml")
    mats = {m.id for m in inst.materials}
    assert len(mats) >= 12
    assert {"ndpr", "dysprosium", "terbium", "gallium", "germanium", "graphite", "antimony",
            "tungsten", "cobalt", "niobium", "palladium"} <= mats
    forms: dict[str, int] = {}
    for k in inst.products:
        forms[k.material] = forms.get(k.material, 0) + 1
    # two grades or forms where form matters
    for m in ("ndpr", "dysprosium", "gallium", "germanium", "graphite", "cobalt"):
        assert forms[m] >= 2, m
    assert {h.id for h in inst.holders} == {"US-DLA", "JP-JOGMEC"}
    assert next(h for h in inst.holders if h.id == "US-DLA").budget == 2.0e9  # FY2025 NDS
    drawn = {e for s in inst.scenarios for e in s.events}
    assert {"REE2010", "GAGE2023", "GRAPH2023", "SB2024", "W2025", "REE2025", "CO2025"} <= drawn
    assert len(inst.periods) == 3 and len(inst.scenarios) == 16


def test_default_instance_reads_no_shared_folder() -> None:
    text = (ROOT / "scripts" / "build_instances.py").read_text()
    assert "shared" not in text


LIBRARY_ARGS = ["--n", "2000", "--reduce", "100"]  # seed 1, structure instance: the defaults


def test_library_instance_is_reproducible(tmp_path: Path) -> None:
    """instances/us_japan_2026_library.yaml is the default instance's data with 100 scenarios
    from the calibrated event library: `stockpile scenarios` rebuilds it byte for byte."""
    from stockpile.cli import main
    out = tmp_path / "us_japan_2026_library.yaml"
    assert main(["scenarios", str(ROOT / "instances" / "us_japan_2026.yaml"), *LIBRARY_ARGS,
                 "--out", str(out)]) == 0
    assert out.read_bytes() == (ROOT / "instances" / "us_japan_2026_library.yaml").read_bytes()


@pytest.mark.slow
def test_library_plan_beats_todays_rules_out_of_sample(tmp_path: Path) -> None:
    """The plan optimised on the library instance costs less than every rule-based plan on
    10,000 fresh library scenarios, each paired 95% interval of (rule - plan) above zero;
    so evaluate writes no warning. (The 16 hand-written scenarios of us_japan_2026 do not
    pass this: docs/evaluation.md.)"""
    import json

    from stockpile.cli import main
    assert main(["evaluate", str(ROOT / "instances" / "us_japan_2026_library.yaml"),
                 "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "evaluation.json").read_text())
    assert res["plans"][0]["plan"] == "optimised"
    for p in res["plans"][1:]:
        assert p["minus_first"]["ci95"][0] > 0, p["plan"]
    assert "Warning" not in (tmp_path / "evaluation.md").read_text()
