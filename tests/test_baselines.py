"""Each baseline rule on a hand case."""

from __future__ import annotations

import numpy as np

from stockpile.analysis import baselines as bl
from stockpile.instance import parse
from stockpile.model.data import model_data
from tests.conftest import tiny

# One holder (US-DLA), gallium (top producer China 99%: high risk; US NIR 100%) and cobalt
# (DRC 74%: high risk; US NIR 79%) and antimony (China 36%: not high risk; NIR 91%).
# Demand 365 t/yr each, so one day of cover is one tonne; lots of 1 t, price 1 USD/t.
RAW = tiny(
    holders=[{"id": "US-DLA", "budget": 1e9}],
    materials=[{"id": m, "world_production": 1e6, "market_cap_share": 1.0}
               for m in ("gallium", "cobalt", "antimony")],
    products=[{"id": f"{m}-p", "material": m, "price": 1, "lot": 1}
              for m in ("gallium", "cobalt", "antimony")],
    demand=[{"holder": "US-DLA", "product": f"{m}-p", "annual": 365,
             "shortfall": [{"tier": "essential", "share": 1, "cost": 10}]}
            for m in ("gallium", "cobalt", "antimony")],
    scenarios=[{"id": "calm", "probability": 1}],
)


def _data(budget: float = 1e9):
    raw = dict(RAW, holders=[{"id": "US-DLA", "budget": budget}])
    return model_data(parse(raw), "national")


def test_jogmec_60_and_180_days() -> None:
    plan = bl.jogmec(_data())
    assert plan.lots[0].tolist() == [180, 180, 60]


def test_komir_100_days() -> None:
    assert bl.komir(_data()).lots[0].tolist() == [100, 100, 100]


def test_iea_90_days_of_net_imports() -> None:
    # 90 days * NIR: gallium 1.00 -> 90 t, cobalt 0.79 -> 71.1 -> 72 lots, antimony 0.86
    # (2024: USGS's 2025e consumption is provisional) -> 77.4 -> 78 lots (ceil: at least the
    # target).
    assert bl.iea(_data()).lots[0].tolist() == [90, 72, 78]


def test_rule_scaled_to_the_budget() -> None:
    # KOMIR wants 300 USD; with 150 USD every target is halved: 50 lots each.
    assert bl.komir(_data(150)).lots[0].tolist() == [50, 50, 50]


def test_risk_ranked_buys_most_concentrated_first() -> None:
    # Scores HHI/1e4 * NIR: gallium 0.98 > cobalt ~0.45 > antimony ~0.26. 180 days each;
    # a budget of 250 USD buys gallium 180 t, then 70 of cobalt's 180 t, nothing else.
    data = _data(250)
    score = bl.risk_score(data, 0)
    assert score[0] > score[1] > score[2]
    assert bl.risk_ranked(data).lots[0].tolist() == [180, 70, 0]
    assert np.all(bl.risk_ranked(_data()).lots[0] == 180)
