"""``stockpile compare``: national vs bilateral vs pooled on the same scenarios.

One visible pipeline:

    what-if overrides -> solve the three modes and every coalition (parallel processes)
    -> IEA-rule sharing on the joint modes' first stages (parallel) -> figures

Value of cooperation of a joint mode J (bilateral or pooled) against national N:

    VoC_J = z_N - z_J  (USD),   VoC_J / z_N  (per cent)

with z the objectives found. Each solve proves a bound b <= optimum <= z, so the true
difference lies in [b_N - z_J, z_N - b_J]. A gain is claimed only when that whole interval is
above zero; a difference inside the gaps is reported as such, never as a gain.

Per holder, costs are those each country would see: first-stage costs plus expected
second-stage costs, with every transfer paid by the receiver at the sender's replacement
price p_k (``expected_cost_settled`` of the extraction).
"""

from __future__ import annotations

import datetime as _dt
import math
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..figures import HolderRow, SolveFigures
from ..instance import Instance, content_hash
from ..solve.highs import SolveOptions
from ..solve.result import SolveStats
from . import coalitions as game
from .iea import RULES, evaluate_rule
from .whatif import Applied, WhatIf, apply_whatif

JOINT = ("bilateral", "pooled")
MODES = ("national", "bilateral", "pooled")


@dataclass
class CompareOptions:
    solve: SolveOptions = field(default_factory=SolveOptions)
    workers: int = 2  # processes for the coalition, mode and rule solves
    permutations: int = 200  # sampled orders when holders > exact_max_holders
    seed: int = 0
    exact_max_holders: int = game.EXACT_MAX_HOLDERS
    shapley: bool = True
    rules: bool = True
    progress: Callable[[str], None] | None = None  # called with a line per finished solve


def _tell(options: CompareOptions, tasks: list[tuple[Any, ...]]
          ) -> Callable[[int], None] | None:
    """A progress callback naming each finished solve: mode, coalition or rule."""
    if options.progress is None:
        return None
    say = options.progress

    def done(i: int) -> None:
        kind, *args = tasks[i]
        what = {"mode": lambda: f"{args[1]} mode", "coalition": lambda: "coalition "
                + "+".join(args[1]), "rule": lambda: f"{args[1]} {args[3]} rule"}
        say(what.get(kind, lambda: kind)())
    return done


def _task(kind: str, *args: Any) -> Any:
    """One unit of parallel work (a top-level function, so processes can run it)."""
    if kind == "mode":
        from ..pipeline import run_solve

        inst, mode, options, agreements = args
        return run_solve(inst, mode, options, agreements=agreements if mode == "bilateral"
                         else None)
    if kind == "coalition":
        return game.solve_coalition(*args)
    if kind == "rule":
        return evaluate_rule(*args)
    raise ValueError(kind)


def value_of_cooperation(national: dict[str, Any], joint: dict[str, Any]) -> dict[str, Any]:
    """z_N - z_J with the interval the proven bounds allow, and a verdict."""
    zn, zj = national["objective"], joint["objective"]
    bn, bj = national.get("bound"), joint.get("bound")
    diff = zn - zj
    low = bn - zj if bn is not None else -math.inf
    high = zn - bj if bj is not None else math.inf
    tiny = 1e-9 * max(1.0, abs(zn))
    if low > tiny:
        verdict = "gain"
    elif high < -tiny:
        verdict = "loss"
    elif abs(diff) <= tiny and high - low <= 2 * tiny:
        verdict = "no difference"
    else:
        verdict = "within the solver gaps"
    return {"difference": diff, "percent": diff / zn if zn else None,
            "proven_low": low, "proven_high": high, "verdict": verdict}


def _first_and_shortfall(h: HolderRow) -> dict[str, float]:
    """The holder's cost items; they add up to its settled cost. The residual value (E1)
    is a credit, shown negative whatever sign the extraction stores it with."""
    return {
        "purchase_and_holding": h.purchase_cost + h.holding_cost,
        "residual_value": -abs(h.residual_value),
        "fixed_costs": h.programme_cost + h.facility_cost + h.agreement_cost,
        "expected_shortfall": h.expected_shortfall_cost,
        "expected_transport_and_conversion": (h.expected_transport_cost
                                              + h.expected_conversion_cost),
        "transfer_settlement": h.expected_transfer_settlement,
        "settled": h.expected_cost_settled,
    }


def _settled(figures: SolveFigures) -> dict[str, float]:
    """Each holder's expected cost with transfers settled."""
    return {h.holder: h.expected_cost_settled for h in figures.holders}


def abs_gap(solver: dict[str, Any]) -> float:
    """objective - proven bound of one solve (USD); infinite without a bound."""
    obj, bound = solver.get("objective"), solver.get("bound")
    if obj is None or bound is None:
        return math.inf
    return abs(float(obj) - float(bound))


def holder_rows(figures: dict[str, SolveFigures],
                solvers: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per holder and mode: cost items, settled cost, and the gain against national, marked
    ``gain_within_gaps`` when it is no larger than the two solves' proven gaps summed (a
    holder's share can move that much between plans of the same proven quality)."""
    national = _settled(figures["national"])
    rows = []
    for mode in MODES:
        tol = (abs_gap(solvers["national"]) + abs_gap(solvers[mode])
               if solvers and mode != "national" else 0.0)
        for h in figures[mode].holders:
            costs = _first_and_shortfall(h)
            row: dict[str, Any] = {"holder": h.holder, "mode": mode, **costs}
            row["gain_vs_national"] = national[h.holder] - costs["settled"]
            row["gain_within_gaps"] = (mode != "national"
                                       and abs(row["gain_vs_national"]) <= tol)
            rows.append(row)
    return rows


def standalone_rows(holders: list[dict[str, Any]], g: dict[str, Any]) -> list[dict[str, Any]]:
    """Each holder's costs against standing alone, c({h}) (its own optimum with its
    entitlement to the market caps; coalitions.py): national and bilateral settled costs
    and the Shapley share, each minus c({h}), and whether the holder pays more than alone
    beyond the solver gaps (the coalition gaps summed: its own and the joint solve's).

    National is not standing alone: the national optimum still shares the market caps
    between the holders (constraint 4 is joint), so one holder's national cost can be
    below its stand-alone cost by using cap room another holder's entitlement holds."""
    if not g.get("available"):
        return []
    gap = {tuple(sorted(c["members"])): abs_gap(c) for c in g["coalitions"]}
    grand = max(gap, key=len)
    settled = {(h["holder"], h["mode"]): h["settled"] for h in holders}
    out = []
    for s in g["shapley"]:
        h, alone = s["holder"], s["standalone"]
        tol = gap.get((h,), math.inf) + gap[grand]
        row: dict[str, Any] = {"holder": h, "standalone": alone, "tolerance": tol,
                               "shapley": s["shapley"]}
        for key, value in (("national", settled.get((h, "national"))),
                           ("bilateral", settled.get((h, "bilateral"))),
                           ("shapley", s["shapley"])):
            row[key] = value
            over = None if value is None else value - alone
            row[f"{key}_minus_alone"] = over
            row[f"{key}_pays_more"] = None if over is None else over > tol
        out.append(row)
    return out


def cover_rows(figures: dict[str, SolveFigures]) -> list[dict[str, Any]]:
    """Days of cover per holder, material and mode: 365 * sum_k X_hk / sum_k d_hk over k of m.

    Tonnes of different grades of one material are added as they are.
    """
    rows = []
    for mode in MODES:
        stock: dict[tuple[str, str], float] = defaultdict(float)
        demand: dict[tuple[str, str], float] = defaultdict(float)
        for p in figures[mode].plan:
            stock[p.holder, p.material] += p.stock_t
            demand[p.holder, p.material] += p.annual_demand_t
        for (h, mat), x in stock.items():
            d = demand[h, mat]
            rows.append({"holder": h, "material": mat, "mode": mode, "stock_t": x,
                         "annual_demand_t": d, "days_of_cover": 365.0 * x / d if d > 0 else None})
    return rows


def flow_rows(figures: dict[str, SolveFigures]) -> list[dict[str, Any]]:
    """Tonnes moved between holders per joint mode, scenario, sender, receiver and material."""
    rows = []
    for mode in JOINT:
        prob = {s.scenario: s.probability for s in figures[mode].scenarios}
        total: dict[tuple[str, str, str, str], float] = defaultdict(float)
        for f in figures[mode].flows:
            total[f.scenario, f.from_, f.to, f.material] += f.tonnes
        for (s, a, b, mat), t in total.items():
            rows.append({"mode": mode, "scenario": s, "probability": prob[s], "from": a,
                         "to": b, "material": mat, "tonnes": t})
    return rows


def _game(players: list[str], costs: dict[game.Coalition, game.CoalitionCost],
          orders: list[tuple[str, ...]] | None) -> dict[str, Any]:
    """Shapley values and the core check from solved coalition costs."""
    solved = [c for c in costs.values() if not c.has_plan]
    if solved:
        bad = "; ".join(f"{{{', '.join(c.members)}}}: {c.status}" for c in solved)
        return {"available": False, "reason": f"coalitions without a plan: {bad}",
                "coalitions": [c.as_dict() for c in costs.values()]}
    value = {s: float(c.objective) for s, c in costs.items()}  # type: ignore[arg-type]
    gaps = {s: c.abs_gap for s, c in costs.items()}
    if orders is None:
        phi = game.shapley_exact(players, value)
        se = dict.fromkeys(players, 0.0)
        effect = game.shapley_gap_effect(players, gaps)
        method = "exact"
    else:
        phi, se = game.shapley_sampled(players, value, orders)
        effect = {p: max(gaps.values()) * 2 for p in players}
        method = f"sampled ({len(orders)} random orders)"
    core = game.check_core(players, value, phi, gaps)
    return {
        "available": True, "method": method,
        "coalitions": [c.as_dict() for c in sorted(costs.values(),
                                                   key=lambda c: (len(c.members), c.members))],
        "shapley": [{"holder": p, "shapley": phi[p], "standalone": value[frozenset([p])],
                     "saving": value[frozenset([p])] - phi[p], "standard_error": se[p],
                     "gap_effect": effect[p]} for p in players],
        "core": {**core.as_dict(), "sentence": core.sentence()},
    }


def _coalitions_wanted(players: list[str], options: CompareOptions
                       ) -> tuple[list[game.Coalition], list[tuple[str, ...]] | None]:
    """The coalitions to solve for the Shapley values (all of them, or the prefixes of
    sampled orders, which are returned too); none with one holder or without --shapley."""
    if not (options.shapley and len(players) > 1):
        return [], None
    if len(players) <= options.exact_max_holders:
        return game.all_coalitions(players), None
    orders = game.sample_orders(players, options.permutations, options.seed)
    return sorted(game.prefixes(orders), key=lambda s: (len(s), sorted(s))), orders


def _result_head(inst: Instance, base_hash: str, applied: Applied, options: CompareOptions,
                 outcomes: dict[str, Any], failed: dict[str, str]) -> dict[str, Any]:
    """Provenance, the instance, the what-if and the solver status of each mode."""
    opts = options.solve
    return {
        "stockpile_version": __version__,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "instance": {"name": inst.name, "description": inst.description,
                     "content_hash": base_hash, "content_hash_after_whatif": content_hash(inst),
                     "holders": len(inst.holders), "materials": len(inst.materials),
                     "products": len(inst.products), "periods": len(inst.periods),
                     "scenarios": len(inst.scenarios), "sources": list(inst.sources)},
        "whatif": applied.notes,
        "options": {**opts.as_dict(), "workers": options.workers,
                    "permutations": options.permutations, "seed": options.seed},
        "ok": not failed, "failed_modes": failed,
        "reasons": {m: o.reasons for m, o in outcomes.items() if o.reasons},
        "modes": {m: {"solver": o.stats.as_dict()} for m, o in outcomes.items()},
    }


def _game_section(players: list[str], wanted: list[game.Coalition], costs_done: list[Any],
                  bilateral: SolveStats, orders: list[tuple[str, ...]] | None
                  ) -> dict[str, Any]:
    """Shapley values and the core from the coalitions' costs (the grand coalition is the
    bilateral solve), or why there are none."""
    if not wanted:
        return {"available": False, "reason": "one holder: nothing to split"
                if len(players) == 1 else "not requested (--no-shapley)"}
    costs = dict(zip([s for s in wanted if s != frozenset(players)], costs_done))
    b = bilateral
    costs[frozenset(players)] = game.CoalitionCost(
        tuple(players), b.status, b.has_plan, b.objective, b.bound, b.gap,
        b.build_seconds + b.handoff_seconds + b.solve_seconds)
    return _game(players, costs, orders)


def run_compare(inst: Instance, whatif: WhatIf | None = None,
                options: CompareOptions | None = None) -> dict[str, Any]:
    """Everything the comparison report shows (JSON-ready), or raises WhatIfError.

    The result has ``ok`` False (and ``failed_modes``) when a mode has no plan.
    """
    options = options or CompareOptions()
    t0 = time.perf_counter()
    base_hash = content_hash(inst)
    applied = apply_whatif(inst, whatif or WhatIf())
    inst, fixed = applied.instance, applied.agreements
    players = [h.id for h in inst.holders]
    opts = options.solve
    tasks: list[tuple[Any, ...]] = [("mode", inst, m, opts, fixed) for m in MODES]
    wanted, orders = _coalitions_wanted(players, options)
    tasks += [("coalition", inst, tuple(p for p in players if p in s), fixed, opts)
              for s in wanted if s != frozenset(players)]
    done = game.parallel_map(_task, tasks, options.workers, _tell(options, tasks))
    outcomes = dict(zip(MODES, done[:3]))
    failed = {m: o.stats.describe() for m, o in outcomes.items() if not o.stats.has_plan}
    result = _result_head(inst, base_hash, applied, options, outcomes, failed)
    if failed:
        result["seconds"] = time.perf_counter() - t0
        return result
    figures: dict[str, SolveFigures] = {m: o.figures for m, o in outcomes.items()}
    as_json = {m: f.to_dict() for m, f in figures.items()}  # the edge: compare.json
    for m in MODES:
        f = as_json[m]
        result["modes"][m].update({k: f[k] for k in (
            "objective_terms", "first_stage_cost", "agreements", "no_stock",
            "scenario_cost_distribution", "shortfall_by_material")})
    stats = {m: result["modes"][m]["solver"] for m in MODES}
    result["value_of_cooperation"] = {j: value_of_cooperation(stats["national"], stats[j])
                                      for j in JOINT}
    result["holders"] = holder_rows(figures, stats)
    result["cover"] = cover_rows(figures)
    result["flows"] = flow_rows(figures)
    result["plans"] = [{"mode": m, **p} for m in MODES for p in as_json[m]["plan"]]
    result["game"] = _game_section(players, wanted, done[3:], outcomes["bilateral"].stats,
                                   orders)
    result["standalone"] = standalone_rows(result["holders"], result["game"])
    if options.rules:
        rule_tasks = [("rule", inst, j, figures[j], r, opts) for j in JOINT for r in RULES]
        rules = game.parallel_map(_task, rule_tasks, options.workers,
                                  _tell(options, rule_tasks))
        result["sharing_rules"] = _rule_rows(stats, figures, rules)
    result["seconds"] = time.perf_counter() - t0
    return result


def _rule_rows(stats: dict[str, dict[str, Any]], figures: dict[str, SolveFigures],
               rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Optimised sharing and each rule per joint mode, with per-holder settled costs."""
    rows = []
    for j in JOINT:
        opt = stats[j]["objective"]
        rows.append({"mode": j, "rule": "optimised", "name": "optimised sharing",
                     "status": stats[j]["status"], "objective": opt, "extra_cost": 0.0,
                     "holders": _settled(figures[j])})
    for r in rules:
        f: SolveFigures | None = r["figures"]
        obj = r["solver"]["objective"]
        extra = None if obj is None else obj - stats[r["mode"]]["objective"]
        rows.append({
            "mode": r["mode"], "rule": r["rule"], "name": r["name"],
            "status": r["solver"]["status"], "objective": obj, "extra_cost": extra,
            # the optimised side is a MIP incumbent, its second stage optimal only to the gap
            "extra_within_gaps": extra is not None and abs(extra) <= abs_gap(
                stats[r["mode"]]) + abs_gap(r["solver"]),
            "holders": _settled(f) if f is not None else {}})
    return sorted(rows, key=lambda r: (JOINT.index(r["mode"]),
                                       ["optimised", *RULES].index(r["rule"])))
