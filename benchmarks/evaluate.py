"""Benchmark of out-of-sample evaluation: 100,000 scenarios of the default instance.

    PYTHONPATH=. python benchmarks/evaluate.py [--instance instances/us_japan_2026.yaml]
        [--n 100000] [--repeats 3] [--evpi 50] [--mode bilateral]

Measures (median of --repeats runs): sampling the scenarios, evaluating the optimised plan
(vectorised second stage, exact LP where sharing or conversion matter), scenarios per
second; then every baseline on the same sample with 95% confidence intervals, VSS and EVPI
with their standard errors. Without the default instance it uses a stand-in of the same
shape built from the real material names (the figures then say so).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from stockpile.analysis import baselines
from stockpile.analysis.evaluate import Plan, evaluate
from stockpile.analysis.frontier import (
    optimise,
    value_of_perfect_information,
    value_of_stochastic_solution,
)
from stockpile.instance import load, parse
from stockpile.model.data import model_data
from stockpile.scenarios import sample
from stockpile.solve.highs import SolveOptions

DEFAULT = Path("instances/us_japan_2026.yaml")
MATS = {"rare_earths": 9e4, "gallium": 4e5, "germanium": 1.5e6, "graphite": 1e3,
        "antimony": 2.5e4, "tungsten": 5e4, "cobalt": 3.3e4, "niobium": 4.5e4}


def stand_in() -> object:
    """Two holders, eight real materials in two grades, a conversion route per material,
    a candidate agreement per material, 30 sampled scenarios."""
    H = {"US-DLA": (1.0, 5e8), "JP-JOGMEC": (0.5, 2e8)}
    raw = {"name": "stand_in_us_japan", "holding_years": 5,
           "periods": [{"id": f"y{i + 1}", "years": 1} for i in range(3)],
           "holders": [{"id": h, "budget": b} for h, (_, b) in H.items()],
           "materials": [{"id": m, "world_production": 1e5, "market_cap_share": 0.05}
                         for m in MATS],
           "products": [{"id": f"{m}-{g}", "material": m, "price": p * f, "lot": 1,
                         "holding_cost": 0.02 * p * f}
                        for m, p in MATS.items() for g, f in (("raw", 1.0), ("refined", 1.6))],
           "tiers": [{"id": "essential"}, {"id": "general"}],
           "demand": [{"holder": h, "product": f"{m}-{g}", "annual": 400 * s,
                       "shortfall": [{"tier": "essential", "share": 0.3, "cost": 20 * p},
                                     {"tier": "general", "share": 0.7, "cost": 3 * p}]}
                      for h, (s, _) in H.items() for m, p in MATS.items()
                      for g in ("raw", "refined")],
           "routes": [{"id": f"{m}-refine", "from": f"{m}-raw", "to": f"{m}-refined",
                       "yield": 0.9, "cost": 0.1 * p, "capacity": {"JP-JOGMEC": 100}}
                      for m, p in MATS.items()],
           "agreements": [{"holders": list(H), "material": m, "share_cap": 0.5,
                           "transport_cost": 0.05 * p} for m, p in MATS.items()],
           "scenarios": [{"id": "calm", "probability": 1}]}
    from stockpile.scenarios import with_scenarios
    inst = parse(raw)
    return with_scenarios(inst, sample(inst, 30, 11), "stand-in scenarios")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", type=Path, default=DEFAULT)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--evpi", type=int, default=50)
    ap.add_argument("--mode", default="bilateral")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--nds", action="store_true",
                    help="events start only in the instance's first period (conflict phase)")
    args = ap.parse_args()
    inst = load(args.instance) if args.instance.exists() else stand_in()
    print(f"instance {inst.name} ({len(inst.holders)} holders, {len(inst.materials)} "
          f"materials, {len(inst.products)} products, {len(inst.periods)} periods, "
          f"{len(inst.scenarios)} in-sample scenarios), mode {args.mode}")
    data_in = model_data(inst, args.mode)
    t = time.perf_counter()
    plan, stats = optimise(data_in, SolveOptions(mip_gap=1e-4))
    print(f"in-sample solve {time.perf_counter() - t:.1f} s: {stats.describe()}")
    t_sample, t_eval, ev = [], [], None
    for r in range(args.repeats):
        t = time.perf_counter()
        sset = sample(inst, args.n, 1000 + r, prefix="oos",
                      structure="nds" if args.nds else "instance", keep_periods=True)
        t_sample.append(time.perf_counter() - t)
        data_out = sset.apply(data_in)
        t = time.perf_counter()
        ev = evaluate(data_out, plan)
        t_eval.append(time.perf_counter() - t)
        print(f"  run {r + 1}: sample {t_sample[-1]:.2f} s, evaluate {t_eval[-1]:.2f} s "
              f"({ev.lp_scenarios} scenarios by exact LP)")
    med_s, med_e = statistics.median(t_sample), statistics.median(t_eval)
    print(f"median of {args.repeats}: sample {med_s:.2f} s + evaluate {med_e:.2f} s = "
          f"{med_s + med_e:.2f} s for {args.n:,} scenarios "
          f"({args.n / (med_s + med_e):,.0f} scenarios/s end to end, "
          f"{args.n / med_e:,.0f} scenarios/s evaluation)")
    names = [m.name for m in inst.materials]
    rows = []
    plans = [plan, *baselines.all_rules(data_out, names), Plan("no stock", 0 * plan.lots)]
    evals = [ev] + [evaluate(data_out, p) for p in plans[1:]]
    print(f"\n{'plan':30s} {'mean (USD)':>16s} {'95% CI':>34s} {'CVaR95':>16s} "
          f"{'E[shortfall]':>16s} {'P(short)':>8s}")
    for p, e in zip(plans, evals):
        s = e.summary()
        rows.append({k: v for k, v in s.items()})
        print(f"{p.name:30s} {s['mean']:16,.0f} [{s['ci95'][0]:15,.0f},{s['ci95'][1]:16,.0f}]"
              f" {s['cvar95']:16,.0f} {s['expected_shortfall']:16,.0f} "
              f"{s['probability_any_shortfall']:8.1%}")
    vss = value_of_stochastic_solution(data_in, data_out, evals[0])["vss"]
    print(f"\nVSS {vss['mean']:,.0f} USD (standard error {vss['std_error']:,.0f})")
    evpi = value_of_perfect_information(data_out, evals[0], args.evpi)["evpi"]
    print(f"EVPI {evpi['mean']:,.0f} USD (standard error {evpi['std_error']:,.0f}, "
          f"{evpi['scenarios']} scenarios)")
    if args.json:
        args.json.write_text(json.dumps({
            "instance": inst.name, "n": args.n, "sample_s": t_sample, "evaluate_s": t_eval,
            "plans": rows, "vss": vss, "evpi": evpi}, indent=2, default=float))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
