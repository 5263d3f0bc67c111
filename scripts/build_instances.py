"""Rebuild the shipped instances from the data files in data/.

    python scripts/build_instances.py [--out DIR]

Reads only data/ (USGS-derived tables copied from the USGS Mineral Commodity Summaries data
releases, the catalogue of real disruption events, and the curated tables in data/curated/
whose every row names its basis and source and says whether it is our estimate), and writes:

- instances/us_japan_2026.yaml: the default instance (US-DLA and JP-JOGMEC, 15 materials,
  21 products, 3 periods, 16 scenarios drawn from real events);
- instances/us_japan_2026_s100.yaml: the same data with 100 scenarios sampled from the same
  events (seed 2026), to measure how solve time scales;
- instances/tiny_sharing.yaml: a two-holder example whose optima are derived by hand.

The output is deterministic: running the script twice gives byte-identical files.
Policy parameters that no source gives (budgets of JOGMEC, tier costs, fixed costs, storage)
are set below, each with its reason; docs/data.md lists them all.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CURATED = DATA / "curated"

HOLDERS = [
    # US-DLA: USD 2 bn for NDS acquisitions from P.L. 119-21 (July 2025), a multi-year
    # appropriation available until 2029, used once for the whole plan (not a yearly budget).
    {"id": "US-DLA", "name": "US Defense Logistics Agency, National Defense Stockpile",
     "budget": 2.0e9,
     # ESTIMATE: depot space in m3 and the fixed cost of opening it for new material
     "facilities": [{"id": "US-DLA-depot-east", "capacity": 20000.0, "fixed_cost": 2.0e6},
                    {"id": "US-DLA-depot-west", "capacity": 40000.0, "fixed_cost": 5.0e6}]},
    # JP-JOGMEC: no public acquisition budget; ESTIMATE of the order of the national
    # stockpile's annual purchases (a quarter of the NDS figure).
    {"id": "JP-JOGMEC", "name": "Japan Organization for Metals and Energy Security",
     "budget": 5.0e8,
     "facilities": [{"id": "JP-JOGMEC-takahagi", "capacity": 15000.0, "fixed_cost": 3.0e6},
                    {"id": "JP-JOGMEC-second", "capacity": 30000.0, "fixed_cost": 6.0e6}]},
]
PERIODS = [  # NDS time structure: a conflict year, then recovery
    {"id": "y1-conflict", "years": 1.0},
    {"id": "y2-recovery", "years": 1.0},
    {"id": "y3-4-recovery", "years": 2.0},
]
HOLDING_YEARS = 5.0  # Y: years of holding cost charged (the planning horizon of a stockpile plan)
# Stock is an asset (extension E1 of the model): the share of the price recovered when stock
# is released to the users who receive it or sold at the end. ASSUMPTION: 0.8 (a fifth lost to
# disposal discounts on large government sales, handling and grade deterioration).
RESIDUAL_VALUE_SHARE = 0.8
# The money tied up in the recoverable value forgoes the Treasury rate of the same term as the
# holding years (OMB Circular A-94, Appendix C: cost-effectiveness analyses discount at the
# Treasury rate of matching maturity). 5-year constant-maturity yield, 2025 average about 4 %
# (Federal Reserve H.15, series DGS5; rounded).
CAPITAL_RATE = 0.04
CAPITAL_SOURCE = ("US Treasury 5-year constant-maturity yield, 2025 average about 4 % (Federal "
                  "Reserve H.15, series DGS5, rounded), the term of the 5 holding years as OMB "
                  "Circular A-94 Appendix C prescribes for cost-effectiveness analysis")
INSURANCE_RATE = 0.005  # rho_k = CAPITAL_RATE x omega x p_k + 0.5 % of p_k insurance and losses
STORAGE_COST = 20.0  # ... + 20 USD/t/yr of warehousing (assumption)
PACKING = 1.5  # storage space per tonne = PACKING / density (drums, pallets, aisles)
TIERS = [  # share of demand and relative weight of a tonne unmet (x the price x the material's
    # scale f_m below). Shares and weights are the same for every material (assumption: no public
    # source gives per-material defence or essential-civilian shares; the tiers stand for the
    # RAMF-SM requirement categories military, essential civilian and the rest, CRS R47833).
    ("essential", "defence and critical infrastructure", 0.2, 500.0),
    ("important", "industry with few substitutes", 0.3, 100.0),
    ("general", "the rest of the economy", 0.5, 10.0),
]
# Per-material scale f_m of the tier costs (data/curated/shortfall_costs.csv, docs/data.md):
# kappa_hkq = f_m * weight_q * p_k, with f_m set so that the model's own cost of the material's
# reference disruption (a year without the reference country's supply: the US loses a share e_m
# of its demand of every product of m, the cheapest tiers going unmet first) equals the
# published US GDP loss G_m (USGS OFR 2024-1057, OFR 2025-1047). A material without a published
# figure gets G_m = min(M * e_m * V_m, bound_m): V_m the value of the US demand of m, M the
# lowest GDP loss per USD of lost supply among the published figures, bound_m from the USGS
# ranking (the cap_basis column). Japan's tiers use the same f_m (no Japanese figure).
REFERENCE_HOLDER = "US-DLA"
PROGRAMME_COST = {"US-DLA": 1.0e6, "JP-JOGMEC": 5.0e5}  # sigma_hm per material (assumption)
AGREEMENT_MATERIALS = ["ndpr", "dysprosium", "terbium", "gallium", "germanium", "graphite",
                       "antimony", "tungsten", "cobalt"]
AGREEMENT = {"fixed_cost": 2.0e6, "share_cap": 0.3, "transport_cost": 300.0}  # assumption
SAMPLED_SEED = 2026
SAMPLED_SCENARIOS = 100
LIBRARY_SEED = 1  # the default instance's scenarios: drawn from the calibrated event library
LIBRARY_SCENARIOS = 100
QUICK_SCENARIOS = 20  # us_japan_2026_quick: the same data in seconds (tests, demonstrations)


def read(name: str) -> list[dict[str, str]]:
    with (CURATED / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def usgs_world() -> dict[str, float]:
    """World production 2025e in tonnes per USGS material (summary table of MCS 2026)."""
    scale = {"metric tons": 1.0, "kilograms": 1e-3, "thousand metric tons": 1e3}
    out = {}
    with (DATA / "usgs" / "critical_materials_summary_mcs2026.csv").open(
            encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            out[r["material"]] = float(r["world_2025"]) * scale[r["prod_unit"]]
    return out


def materials() -> list[dict[str, Any]]:
    world = usgs_world()
    out = []
    for r in read("materials.csv"):
        w = float(r["world_production_t"])
        if r["usgs_material"]:  # check the curated figure against the USGS table (x its share)
            usgs = world[r["usgs_material"]] * float(r["usgs_share"])
            if abs(usgs - w) > 1e-6 * max(w, 1):
                raise SystemExit(f"materials.csv {r['material']}: {w} t differs from the USGS "
                                 f"table's {usgs} t (x usgs_share {r['usgs_share']})")
        out.append({"id": r["material"], "name": r["name"], "world_production": w,
                    "market_cap_share": float(r["market_cap_share"])})
    return out


def _metal_content(r: dict[str, str]) -> dict[str, Any]:
    """metal_content and its source where a product is not counted as its material itself
    (t of the material, in the unit of its world production, per t of product)."""
    content = float(r["metal_content"])
    if content == 1.0:
        return {}
    return {"metal_content": content, "metal_content_source": r["metal_content_basis"]}


def products() -> list[dict[str, Any]]:
    out = []
    for r in read("products.csv"):
        price = float(r["price_usd_t"])
        out.append({"id": r["product"], "material": r["material"], "grade": r["grade"],
                    "price": price, "lot": float(r["lot_t"]),
                    "holding_cost": round((CAPITAL_RATE * RESIDUAL_VALUE_SHARE + INSURANCE_RATE)
                                          * price + STORAGE_COST, 2),
                    "residual_value_share": RESIDUAL_VALUE_SHARE,
                    "volume": round(PACKING / float(r["density_t_m3"]), 4),
                    **_metal_content(r)})
    return out


def reference_weight(e: float) -> float:
    """Sum over tiers of weight x share of demand unmet when a share e of supply is lost, the
    cheapest tiers going unmet first (as the model leaves them)."""
    left, total = e, 0.0
    for _, _, share, weight in sorted(TIERS, key=lambda t: t[3]):
        take = min(left, share)
        total += take * weight
        left -= take
    return total


def shortfall_scale(prices: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per material: e, V (USD), G (USD), f and M; the derivation of the TIERS comment."""
    material_of = {r["product"]: r["material"] for r in read("products.csv")}
    value: dict[str, float] = {}
    for r in read("demand.csv"):
        if r["holder"] == REFERENCE_HOLDER:
            m = material_of[r["product"]]
            value[m] = value.get(m, 0.0) + float(r["annual_t"]) * prices[r["product"]]
    rows = read("shortfall_costs.csv")
    out = {r["material"]: {"e": float(r["reference_exposure"]), "V": value[r["material"]]}
           for r in rows}
    published = {r["material"]: float(r["gdp_loss_usd"]) for r in rows if r["gdp_loss_usd"]}
    lowest = min(g / (out[m]["e"] * out[m]["V"]) for m, g in published.items())
    for r in rows:
        d = out[r["material"]]
        d["G"] = published.get(r["material"]) or min(lowest * d["e"] * d["V"],
                                                     float(r["gdp_cap_usd"]))
        d["M"] = lowest
        d["f"] = d["G"] / (d["V"] * reference_weight(d["e"]))
    return out


def demand(prices: dict[str, float]) -> list[dict[str, Any]]:
    material_of = {r["product"]: r["material"] for r in read("products.csv")}
    scale = shortfall_scale(prices)
    return [{"holder": r["holder"], "product": r["product"], "annual": float(r["annual_t"]),
             "shortfall": [{"tier": q, "share": share,
                            "cost": round(scale[material_of[r["product"]]]["f"] * weight
                                          * prices[r["product"]])}
                           for q, _, share, weight in TIERS]}
            for r in read("demand.csv")]


def routes() -> list[dict[str, Any]]:
    out = []
    for r in read("routes.csv"):
        cap = {h["id"]: float(r[f"capacity_{h['id']}"]) for h in HOLDERS
               if float(r[f"capacity_{h['id']}"]) > 0}
        out.append({"id": r["route"], "from": r["from"], "to": r["to"],
                    "yield": float(r["yield"]), "cost": float(r["cost_usd_per_input_t"]),
                    "capacity": cap})
    return out


def effects_by_scenario() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for r in read("scenario_effects.csv"):
        out.setdefault(r["scenario"], []).append(r)
    return out


def _effect(r: dict[str, str], values: list[float]) -> dict[str, Any]:
    e: dict[str, Any] = {}
    if r["holder"]:
        e["holder"] = r["holder"]
    for key in ("material", "product", "route"):
        if r[key]:
            e[key] = r[key]
    e["values"] = [round(v, 4) for v in values]
    return e


def scenario_entry(sid: str, prob: float, events: str, description: str,
                   effects: list[tuple[dict[str, str], list[float]]]) -> dict[str, Any]:
    sc: dict[str, Any] = {"id": sid, "probability": prob, "description": description}
    if events:
        sc["events"] = events.split(";")
    for kind in ("supply", "demand", "conversion"):
        rows = [_effect(r, v) for r, v in effects if r["kind"] == kind]
        # two entries with one selector are an error (issue 21): the later one overwrites
        # the earlier wholly, so only the later is written (the same scenario)
        selectors = [tuple(sorted((k, v) for k, v in e.items() if k != "values"))
                     for e in rows]
        rows = [e for j, e in enumerate(rows) if selectors[j] not in selectors[j + 1:]]
        if rows:
            sc[kind] = rows
    return sc


def scenarios() -> list[dict[str, Any]]:
    eff = effects_by_scenario()
    out = []
    for r in read("scenarios.csv"):
        rows = [(e, [float(e["y1"]), float(e["y2"]), float(e["y3"])])
                for e in eff.get(r["scenario"], [])]
        out.append(scenario_entry(r["scenario"], float(r["probability"]), r["events"],
                                  r["description"], rows))
    total = sum(s["probability"] for s in out)
    if abs(total - 1.0) > 1e-9:
        raise SystemExit(f"scenarios.csv: probabilities sum to {total}, not 1")
    return out


def sampled_scenarios(n: int, seed: int) -> list[dict[str, Any]]:
    """n scenarios: each real event occurs independently with its scenario's probability,
    its depth scaled by a factor drawn uniformly in [0.5, 1.5] (capped to the valid range);
    where two events touch the same holder and product, the later one overwrites, as in the
    instance format. Equal probabilities 1/n."""
    rng = np.random.default_rng(seed)
    eff = effects_by_scenario()
    base = [r for r in read("scenarios.csv") if r["scenario"] in eff]
    out = []
    for i in range(n):
        rows, names = [], []
        for r in base:
            if rng.random() >= float(r["probability"]) * 2.5:  # about 1.5 events per scenario
                continue
            factor = float(rng.uniform(0.5, 1.5))
            names.append(r["scenario"])
            for e in eff[r["scenario"]]:
                vals = [float(e[k]) for k in ("y1", "y2", "y3")]
                if e["kind"] == "supply":
                    vals = [min(1.0, max(0.0, 1 - (1 - v) * factor)) for v in vals]
                elif e["kind"] == "demand":
                    vals = [max(0.0, 1 + (v - 1) * factor) for v in vals]
                else:
                    vals = [min(1.0, max(0.0, 1 - (1 - v) * factor)) for v in vals]
                rows.append((e, vals))
        desc = "sampled: " + (", ".join(names) if names else "no disruption")
        out.append(scenario_entry(f"s{i:03d}", 1.0 / n, "", desc, rows))
    out[-1]["probability"] = 1.0 - (n - 1) * (1.0 / n)
    return out


def agreements() -> list[dict[str, Any]]:
    return [{"holders": ["US-DLA", "JP-JOGMEC"], "material": m, **AGREEMENT}
            for m in AGREEMENT_MATERIALS]


def inventory() -> list[dict[str, Any]]:
    return [{"holder": r["holder"], "product": r["product"], "tonnes": float(r["tonnes"])}
            for r in read("inventory.csv")]


SOURCES = [
    "USGS Mineral Commodity Summaries 2026 data release (ScienceBase 696a75d5d4be0228872d3bf8): "
    "world production 2025e, US apparent consumption, prices (data/usgs/)",
    "USGS Mineral Commodity Summaries 2025 data release (ScienceBase 677eaf95d34e760b392c4970): "
    "gallium low- and high-purity prices 2024 (scaled to 2025e)",
    "Catalogue of real disruption events with dates, depth and sources (data/events/"
    "disruption_events.csv)",
    "Curated tables with the basis and source of every figure, estimates marked "
    "(data/curated/*.csv; docs/data.md)",
    "P.L. 119-21 (July 2025): USD 2 bn to the NDS Transaction Fund for acquisitions, a "
    "multi-year appropriation available until 2029 (DLA news, Aug 2025); the whole plan's money",
    "USGS OFR 2024-1057 (Nassar et al. 2024): US GDP loss of a Chinese Ga/Ge export restriction "
    "(shortfall cost calibration, data/curated/shortfall_costs.csv)",
    "USGS OFR 2025-1047 (Nassar, Pineault et al. 2025): ranking and probability-weighted US GDP "
    "losses of year-long trade disruptions (Dy, Tb figures as quoted second-hand; bounds)",
    "MP Materials Form 10-K 2021: NdPr share of REO at Mountain Pass (NdPr world output)",
    "Europe (outside-China) Dy and Tb oxide prices, May 2025 (trade press, data/curated/products.csv)",
]


ASSUMPTIONS = [  # the figures that drive the answer, each marked (issue 20 item 12)
    ("US-DLA budget, USD 2.0 bn for the whole plan", "sourced",
     "P.L. 119-21 (July 2025): a multi-year appropriation to the NDS Transaction Fund, "
     "available until 2029 (DLA news, Aug 2025)"),
    ("JP-JOGMEC budget, USD 0.5 bn", "assumed",
     "no public acquisition budget found; a quarter of the NDS figure"),
    ("US demand per material (USGS apparent consumption, 2024-2025e)", "sourced",
     "USGS MCS 2026 data release (W withheld: 10,000 t assumed)"),
    ("US demand split between forms; Dy and Tb shares of heavy-REE imports", "assumed",
     "no public split (data/curated/demand.csv)"),
    ("Japan's demand", "assumed",
     "rare earths, Ga and graphite from trade press (uncertain), the rest assumed"),
    ("World production W_m (USGS MCS 2026, 2025e)", "sourced",
     "USGS MCS 2026 data release; NdPr x 0.157 (MP Materials 10-K)"),
    ("World output of Dy, Tb (oxide) and Ge", "derived",
     "heavy-REE feed x element share; Ge from USGS OFR 2024-1057 (second-hand)"),
    ("Market caps, 5 % of world output a year", "assumed",
     "policy; basis: the 2025 NDS purchase plans, 3.5-4 % of a year's output"),
    ("Metal content of oxide products (V2O5 0.5602, Ta2O5 0.8190, GeO2 0.6942, ...)",
     "derived", "molar-mass arithmetic (docs/data.md)"),
    ("Prices (USGS MCS 2026, 2025e; Dy, Tb outside China, May 2025)", "sourced",
     "USGS MCS 2026 data release; trade press for Dy, Tb"),
    ("Prices of NdPr and Dy metal, spherical graphite, Co hydroxide, Ga grades", "derived",
     "from the USGS prices by metal content, processing cost and scaling"),
    ("Tier scale f_m of Ga, Ge, Dy, Tb (published US GDP losses)", "sourced",
     "USGS OFR 2024-1057; OFR 2025-1047 (Dy, Tb second-hand)"),
    ("Tier scale f_m of the other 11 materials", "derived",
     "the lowest published GDP loss per USD of lost supply x exposure x value, bounded"),
    ("Tier shares 20 / 30 / 50 % (essential / important / general)", "assumed",
     "no public per-material shares; the RAMF-SM categories give names, not shares"),
    ("Tier shape 500 : 100 : 10 x price x f_m", "assumed",
     "no published basis found; the report shows the plan under a flatter and a steeper "
     "shape"),
    ("Residual value 0.8 of the price (E1)", "assumed",
     "disposal discounts, handling and deterioration"),
    ("Capital cost 4 % a year", "sourced",
     "US Treasury 5-year yield 2025 (H.15 DGS5), OMB Circular A-94"),
    ("Insurance 0.5 % of the price, warehousing 20 USD/t a year", "assumed", "no source"),
    ("Facilities, programme and agreement fixed costs; share cap 30 %", "assumed",
     "no public figures"),
    ("Existing inventory quantities (NDS W, Co, Ta; JOGMEC V)", "assumed",
     "holdings are known, quantities are not public"),
    ("Disruption scenarios (event library calibrated on 2010-2025 events)", "derived",
     "data/events/disruption_events.csv, USGS import and producer shares"),
]


def instance(name: str, description: str, scen: list[dict[str, Any]],
             stress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    prods = products()
    prices = {p["id"]: p["price"] for p in prods}
    return {
        "name": name, "description": description, "currency": "USD",
        "holding_years": HOLDING_YEARS, "periods": PERIODS,
        "holders": HOLDERS,
        "materials": materials(), "products": prods,
        "tiers": [{"id": q, "name": nm} for q, nm, _, _ in TIERS],
        "demand": demand(prices), "inventory": inventory(),
        "programmes": [{"holder": h["id"], "material": m["material"],
                        "fixed_cost": PROGRAMME_COST[h["id"]]}
                       for h in HOLDERS for m in read("materials.csv")],
        "agreements": agreements(), "routes": routes(), "scenarios": scen,
        **({"stress_tests": stress} if stress else {}),
        "capital_cost": {"rate": CAPITAL_RATE, "source": CAPITAL_SOURCE},
        "sources": SOURCES,
        "assumptions": [{"figure": f, "basis": b, "source": src} for f, b, src in ASSUMPTIONS],
    }


def library_scenarios(draft: dict[str, Any], n: int, seed: int) -> list[dict[str, Any]]:
    """n equally likely scenarios from the package's calibrated event library
    (stockpile.scenarios.sample, the instance's own periods), as an instance block."""
    sys.path.insert(0, str(ROOT))
    from stockpile.instance import parse
    from stockpile.scenarios import sample
    from stockpile.scenarios.writer import scenarios_block

    inst = parse(draft)
    block = scenarios_block(inst, sample(inst, n, seed, prefix="lib"))
    return block


def tiny_sharing() -> dict[str, Any]:
    """A hand-checkable example (tests/test_model_hand.py::test_share_cap_binding): two
    holders, one product at 10 USD/t held at 1 USD/t/yr for a year, each cut alone with
    probability 1/4, shortfall 100 USD/t, an agreement with share cap 0.5 and fixed cost 20.
    Optima: national 220, bilateral 177, pooled 115."""
    tier = [{"tier": "essential", "share": 1.0, "cost": 100.0}]
    return {
        "name": "tiny_sharing",
        "description": "Two holders, one product, each cut alone with probability 1/4: "
                       "national 220, bilateral 177, pooled 115 USD (derived by hand).",
        "holding_years": 1.0, "periods": [{"id": "y1", "years": 1.0}],
        "holders": [{"id": "A", "budget": 1.0e6}, {"id": "B", "budget": 1.0e6}],
        "materials": [{"id": "ga", "world_production": 1000.0, "market_cap_share": 1.0}],
        "products": [{"id": "ga4n", "material": "ga", "price": 10.0, "lot": 1.0,
                      "holding_cost": 1.0}],
        "tiers": [{"id": "essential"}],
        "demand": [{"holder": h, "product": "ga4n", "annual": 10.0, "shortfall": tier}
                   for h in "AB"],
        "agreements": [{"holders": ["A", "B"], "material": "ga", "fixed_cost": 20.0,
                        "share_cap": 0.5, "transport_cost": 2.0}],
        "scenarios": [
            {"id": "calm", "probability": 0.5},
            {"id": "cutA", "probability": 0.25,
             "supply": [{"holder": "A", "material": "ga", "values": 0.0}]},
            {"id": "cutB", "probability": 0.25,
             "supply": [{"holder": "B", "material": "ga", "values": 0.0}]}],
    }


def write(data: dict[str, Any], path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from stockpile.instance import parse

    parse(data, source=str(path))  # never write an instance that does not validate
    header = ("# Generated by scripts/build_instances.py from data/ -- do not edit by hand.\n"
              "# Units: t, USD, yr, m3. Sources: see `sources` below and docs/data.md.\n")
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                                            width=100), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description="Rebuild instances/ from data/.")
    ap.add_argument("--out", type=Path, default=ROOT / "instances")
    ap.add_argument("--library-scenarios", type=int, default=LIBRARY_SCENARIOS,
                    help="scenarios of the default instance (to study their number)")
    args = ap.parse_args()
    out, n_lib = args.out, args.library_scenarios
    out.mkdir(parents=True, exist_ok=True)
    named = scenarios()
    desc = ("US National Defense Stockpile and Japan's JOGMEC: 15 critical materials in 21 "
            f"grades or forms, {n_lib} equally likely disruption scenarios sampled "
            f"(seed {LIBRARY_SEED}) from the event library calibrated on real events "
            "(2010-2025), a conflict year then recovery; the 16 named historical analogues as "
            "stress tests; stock valued as an asset (residual value 0.8 of the price).")
    draft = instance("us_japan_2026", desc, named)
    default = instance("us_japan_2026", desc,
                       library_scenarios(draft, n_lib, LIBRARY_SEED),
                       stress=[{k: v for k, v in s.items() if k != "probability"}
                               | {"probability": 1.0} for s in named
                               if s.get("supply") or s.get("demand") or s.get("conversion")])
    write(default, out / "us_japan_2026.yaml")
    quick_desc = (f"The default instance's data with only {QUICK_SCENARIOS} library scenarios "
                  f"(seed {LIBRARY_SEED}): solves in seconds, for trying the commands and for "
                  "tests; its plan is not a recommendation (too few scenarios).")
    quick = instance("us_japan_2026_quick", quick_desc,
                     library_scenarios(draft, QUICK_SCENARIOS, LIBRARY_SEED),
                     stress=default["stress_tests"])
    write(quick, out / "us_japan_2026_quick.yaml")
    write(instance("us_japan_2026_s100",
                   f"The default instance's data with {SAMPLED_SCENARIOS} scenarios sampled "
                   f"from the same events (seed {SAMPLED_SEED}), to measure scaling.",
                   sampled_scenarios(SAMPLED_SCENARIOS, SAMPLED_SEED)),
          out / "us_japan_2026_s100.yaml")
    write(tiny_sharing(), out / "tiny_sharing.yaml")
    print(f"wrote us_japan_2026.yaml, us_japan_2026_quick.yaml, us_japan_2026_s100.yaml and "
          f"tiny_sharing.yaml in {out}")


if __name__ == "__main__":
    main()
