"""Regression ledger: objective and model size of named instances, per mode.

A change that moves any of these is a change of meaning or of formulation: explain it in the
commit that updates the ledger. Objectives are compared to 1e-6 relative (HiGHS stops at
mip_rel_gap 1e-4, so the ledger's objectives were taken with the gap set to 1e-9).

History:
- 2026-11-24: first ledger (canonical model; sparse second stage).
- 2026-11-24: us_japan_2026_library added (no existing value moved).
- 2026-11-30: us_japan_2026_library moved (4.37bn -> 5.29bn national, 4.35 -> 5.28 bilateral,
  4.34 -> 5.27 pooled): its scenarios were resampled after the licensing fix (China's regimes
  never matched rare earths; each onset now re-enacts one of the six historical regimes), so
  rare earths are now cut; the model did not change.
- 2026-11-30: issue 10 data corrections (data/curated, stockpile/scenarios/data; docs/data.md):
  NdPr world output and market cap on NdPr (61,230 t) instead of all REO; every market cap 5 %
  of world output (was 2-5 %); US rare-earth demand from 2024 (9,010 t, not 27,000 t 2025e);
  heavy-REE imports 74 t (2024), half to Dy, 15 % to Tb (not all 100 t); Dy and Tb priced
  outside China (850 and 3,000 USD/kg); Ga prices scaled to 2025e; the 2010 quota scenario at a
  0.2 loss (was 0.4); graphite exposure 0.46 (was 0.78); palladium a threat with a 10 % loss of
  Russian supply for a year (was 50 % for two years); scenario data: rare-earth and antimony
  NIR 2024 (provisional 2025e), "Korea, Republic of" parsed whole.
- 2026-11-30: shortfall (tier) costs per material from published USGS GDP-loss estimates
  (data/curated/shortfall_costs.csv, docs/data.md) instead of 500/100/10 x the price for every
  material: one country's supply lost for a year now costs the US the published figure.
- 2026-11-30: us_japan_2026 is the instance to circulate: 100 scenarios from the calibrated
  library (Dy, Tb with their own supply profile), the 16 hand-written ones kept as stress
  tests, stock as an asset (E1); the library instance is dropped (the default replaces it).
  Its entries run in the slow step at mip_rel_gap 1e-6 (GAP).
- 2026-12-07: issue 20 item 11, market caps in contained material: products gain
  metal_content (V2O5 0.5602, Ta2O5 0.8190, GeO2 0.6942 t of metal per t; NdPr and Dy metal
  1.1664 and 1.1477 t of oxide equivalent per t, their world output being counted as oxide),
  and two US demands are put in product tonnes (tantalum 890 t Ta = 1,086.7 t Ta2O5; GeO2
  10 t Ge = 14.4 t GeO2), which moves the rule-derived tier scale of Ta and V (M 15.2 -> 13.8,
  docs/data.md). Model sizes are unchanged (the same caps are written). Every value moved;
  the comment at each says by how much and from which part.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stockpile.instance import load
from stockpile.pipeline import run_solve
from stockpile.solve.highs import SolveOptions

ROOT = Path(__file__).resolve().parents[1]

# (instance, mode): (objective USD, variables, integer variables, constraints)
LEDGER = {
    # hand-derived: tests/test_model_hand.py::test_share_cap_binding and neighbours
    ("tiny_sharing", "national"): (220.0, 8, 4, 9),
    ("tiny_sharing", "bilateral"): (177.0, 11, 5, 15),
    ("tiny_sharing", "pooled"): (115.0, 10, 4, 11),
    # 2026-11-30, three changes in turn (national): data corrections of issue 10 4,707.6 ->
    # 3,826.5 M USD (US NdPr demand 6,750 -> 2,252 t, shallower 2010 and palladium scenarios);
    # shortfall costs per material from USGS GDP-loss estimates 3,826.5 -> 1,713.1 M (lower
    # costs for most materials); then the default instance became the one to circulate:
    # 100 scenarios from the calibrated library (the licensing fix lets China's regimes reach
    # rare earths; Dy and Tb with their own supply profile, US exposure 1.0) instead of the 16
    # hand-written ones (now stress tests, not optimised over), and stock valued as an asset
    # (E1: residual value 0.8, capital cost 4 %/yr in the holding cost) 1,713.1 -> 1,983.5 M.
    # Taken at mip_rel_gap 1e-6 (GAP below): bilateral needs 74 s even so.
    # 2026-12-07 (issue 20 item 11), national 1,983.49 -> 1,953.18 M USD in two parts: the
    # demand corrections (Ta, GeO2 in product tonnes) and the tier scale they move,
    # 1,983.49 -> 1,982.67 M (-0.8 M, measured with every metal_content set to 1); then
    # metal_content, -29.5 M: on these 100 scenarios the looser caps of V2O5, Ta2O5 and GeO2
    # (in effect 2.8 %, 4.1 % and 3.5 % of world metal before, 5 % now) give back more than
    # the tighter NdPr and Dy metal caps take (on the quick instance's 20 scenarios it is the
    # other way round, +49.1 M)
    ("us_japan_2026", "national"): (1_953_181_783.82, 7691, 76, 2951),
    # 2026-12-07: 1,944.02 -> 1,920.57 M (-23.4 M), the same two changes (146 s at 1e-6
    # on the shared machine)
    ("us_japan_2026", "bilateral"): (1_920_572_007.72, 9134, 85, 4103),
    # 2026-12-07: 1,879.58 -> 1,879.02 M (-0.6 M), the same two changes
    ("us_japan_2026", "pooled"): (1_879_022_048.69, 9437, 76, 2951),
    # 2026-11-30 new: the default data with 20 library scenarios (tests, demonstrations)
    # 2026-12-07 (issue 20 item 11), national 3,659.37 -> 3,710.91 M USD in two parts: the
    # demand corrections (Ta, GeO2 in product tonnes) and the tier scale they move,
    # 3,659.37 -> 3,661.84 M (+2.5 M, measured with every metal_content set to 1); then
    # metal_content, +49.1 M: NdPr and Dy metal now use 1.17 and 1.15 t of a cap counted in
    # oxide, so less of them fits, more than the looser V2O5, Ta2O5 and GeO2 caps give back
    ("us_japan_2026_quick", "national"): (3_710_905_186.86, 1756, 76, 690),
    # 2026-12-07: 3,596.38 -> 3,662.10 M (+65.7 M), the same two changes
    ("us_japan_2026_quick", "bilateral"): (3_662_100_429.07, 2061, 85, 902),
    # 2026-12-07: 3,519.91 -> 3,585.51 M (+65.6 M), the same two changes
    ("us_japan_2026_quick", "pooled"): (3_585_507_159.38, 2126, 76, 690),
}


SLOW = {"us_japan_2026"}
"""Instances whose ledger runs in the slow step (100 scenarios, stock as an asset: 10-74 s
per mode, twice with the array build)."""
GAP = {"us_japan_2026": 1e-6}
"""mip_rel_gap of the ledger solve where 1e-9 would take too long; the value was taken at the
same gap and is compared to twice that tolerance (both solves are within the gap of the
optimum)."""


def ledger_cases() -> list:
    return [pytest.param(n, m, marks=pytest.mark.slow) if n in SLOW else pytest.param(n, m)
            for n, m in LEDGER]


def tolerance(name: str) -> float:
    return max(1e-6, 2 * GAP.get(name, 0.0))


@pytest.mark.parametrize(("name", "mode"), ledger_cases())
def test_ledger(name: str, mode: str) -> None:
    objective, n_vars, n_int, n_rows = LEDGER[name, mode]
    out = run_solve(load(ROOT / "instances" / f"{name}.yaml"), mode,  # type: ignore[arg-type]
                    SolveOptions(mip_gap=GAP.get(name, 1e-9)))
    st = out.stats
    assert st.status == "optimal"
    assert st.objective == pytest.approx(objective, rel=tolerance(name))
    assert (st.n_variables, st.n_integer, st.n_constraints) == (n_vars, n_int, n_rows)
