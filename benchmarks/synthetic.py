"""Seeded synthetic instances of the canonical model's shape, for scaling measurements only.

    python benchmarks/synthetic.py --materials 30 --grades 3 --holders 4 --periods 8 \
        --scenarios 100 --seed 1 --out /tmp/syn.json

Figures are random but plausible (prices 1e3-1e6 USD/t, demand 10-1e4 t/yr); the shipped
real instances live in instances/. Never used by the product itself.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def synthetic(materials: int, grades: int, holders: int, periods: int, scenarios: int,
              seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    H = [f"H{i}" for i in range(holders)]
    M = [f"m{j}" for j in range(materials)]
    prods, demand, routes = [], [], []
    for j, m in enumerate(M):
        base = float(10 ** rng.uniform(3, 6))
        for g in range(grades):
            k = f"{m}g{g}"
            prods.append({"id": k, "material": m, "grade": f"grade {g}",
                          "price": round(base * (1 + 0.5 * g), 2),
                          "lot": float(rng.choice([1, 5, 10, 25])),
                          "holding_cost": round(0.02 * base, 2),
                          "volume": round(float(rng.uniform(0.1, 0.5)), 3)})
            for h in H:
                if rng.random() < 0.7:
                    d = float(np.round(10 ** rng.uniform(1, 4), 1))
                    demand.append({"holder": h, "product": k, "annual": d, "shortfall": [
                        {"tier": "essential", "share": 0.2, "cost": round(base * 40, 2)},
                        {"tier": "important", "share": 0.3, "cost": round(base * 8, 2)},
                        {"tier": "general", "share": 0.5, "cost": round(base * 1.5, 2)}]})
            if g > 0:
                routes.append({"id": f"{m}r{g}", "from": f"{m}g{g - 1}", "to": k, "yield": 0.9,
                               "cost": round(base * 0.1, 2),
                               "capacity": {h: float(np.round(rng.uniform(0, 200), 1))
                                            for h in H if rng.random() < 0.5}})
    total_value = sum(p["price"] * 10 for p in prods)
    hold = [{"id": h, "budget": round(total_value * rng.uniform(0.2, 0.6) / holders, -3),
             "facilities": [{"id": f"{h}f{i}", "capacity": float(rng.uniform(2e4, 8e4)),
                             "fixed_cost": float(rng.uniform(1e5, 1e6))} for i in range(2)]}
            for h in H]
    agreements = [{"holders": [H[a], H[b]], "material": m, "fixed_cost": 2e5, "share_cap": 0.4,
                   "transport_cost": 100.0}
                  for a in range(holders) for b in range(a + 1, holders) for m in M[: materials // 2]]
    scen = []
    p = np.full(scenarios, 1.0 / scenarios)
    for s in range(scenarios):
        hit = rng.choice(M, size=max(1, materials // 5), replace=False)
        supply = []
        for m in hit:
            depth = float(rng.uniform(0.3, 1.0))
            dur = int(rng.integers(1, periods + 1))
            vals = [round(1 - depth * max(0.0, 1 - t / dur), 3) for t in range(periods)]
            supply.append({"material": str(m), "values": vals})
        scen.append({"id": f"s{s}", "probability": float(p[s]), "supply": supply})
    scen[-1]["probability"] = float(1.0 - p[:-1].sum())
    return {
        "name": f"synthetic_m{materials}_g{grades}_h{holders}_t{periods}_s{scenarios}",
        "holding_years": 5,
        "periods": [{"id": f"t{t}", "years": 1.0} for t in range(periods)],
        "holders": hold,
        "materials": [{"id": m, "world_production": 1e5, "market_cap_share": 0.05} for m in M],
        "products": prods,
        "tiers": [{"id": "essential"}, {"id": "important"}, {"id": "general"}],
        "demand": demand, "routes": routes, "agreements": agreements, "scenarios": scen,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    for name, default in (("materials", 30), ("grades", 3), ("holders", 4), ("periods", 8),
                          ("scenarios", 10), ("seed", 1)):
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    data = synthetic(a.materials, a.grades, a.holders, a.periods, a.scenarios, a.seed)
    a.out.write_text(json.dumps(data))
    print(a.out)


if __name__ == "__main__":
    main()
