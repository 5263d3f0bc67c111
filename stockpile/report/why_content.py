"""The "Why this plan" section of the solve report, from ``result["why"]``
(stockpile/analysis/why.py): binding limits with marginal values, what the last lot of each
purchase avoids and which scenarios drive it, and the assumptions that drive both."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from .blocks import Column, Section, Solved, Table

KIND_UNIT = {"budget": "USD", "storage": "m3", "market cap": "t"}


def per_unit(x: Any) -> str:
    """A marginal value: USD per unit, with decimals when small."""
    if fmt.missing(x):
        return fmt.DASH
    return fmt.number(x, 2 if abs(float(x)) < 100 else 0)


def ratio(x: Any) -> str:
    return fmt.DASH if fmt.missing(x) else fmt.number(x, 2)


def drivers_text(drivers: list[dict[str, Any]]) -> str:
    return "; ".join(f"{d['scenario']} ({fmt.percent(d['share'], 0)})"
                     for d in drivers if d.get("share") is not None) or fmt.DASH


def binding_sentence(why: dict[str, Any]) -> str:
    """One line for the executive summary: the binding limits and what one more unit is worth."""
    binding = [r for r in why.get("limits") or [] if r.get("binding")]
    if not binding:
        return ("Binding limits: none; no budget, storage or market cap stops the plan from "
                "buying more.")
    parts = [f"{r['kind']} {r['name']} ({fmt.percent(r['share_used'], 0)} used, "
             f"USD {per_unit(r['marginal_value'])} per extra {r['unit']})" for r in binding[:6]]
    more = len(binding) - 6
    return ("Binding limits (the value of one more unit): " + "; ".join(parts)
            + (f"; and {more} more" if more > 0 else "") + ".")


def _why_absent(s: Solved) -> str:
    """Why a report has no explanation: no plan, an engine that keeps no single model of
    every scenario (its LPs are built on the extensive form), or --no-why."""
    if not s.has_plan():
        return "No plan, so nothing to explain."
    interface = (s.result.get("solver") or {}).get("interface")
    if interface in ("benders", "ph"):
        return (f"Not computed for this report: the explanation's LPs are built on the "
                f"extensive form, and this plan was solved by --engine {interface}; solve "
                "with --engine ef for it.")
    return "Not computed for this report (solve --no-why)."


def _why(s: Solved, key: str, title: str) -> tuple[Section, dict[str, Any]]:
    why = (s.figures.why if s.figures is not None else None) or {}
    sec = Section(key, title)
    if not why:
        sec.paragraphs.append(_why_absent(s))
    elif why.get("error"):
        sec.paragraphs.append(f"The explanation could not be computed: {why['error']}.")
        why = {}
    return sec, why


def limits_section(s: Solved) -> Section:
    """Budgets, storage and market caps: binding or not, and the value of one more unit."""
    sec, why = _why(s, "why", "Why this plan: the limits that bind it")
    if not why:
        return sec
    objective = (s.result.get("solver") or {}).get("objective")
    relaxed = why.get("relaxed_objective")
    diff = _ratio_text(relaxed, objective)
    sec.paragraphs += [
        "A limit binds when the plan uses all of it. Its marginal value is the fall of "
        "expected total cost for one more unit (USD of budget, m3 of storage, tonne of "
        "market cap), from the linear programme with programmes, facilities and agreements "
        "fixed as chosen and lots allowed to be fractional. That programme costs "
        f"{fmt.money(relaxed)}, {diff} the plan's {fmt.money(objective)}, so its rates "
        "describe the plan closely. A budget with money to spare has marginal value zero: "
        "more of it would buy nothing worth its cost; an unused facility shows what its space "
        "would be worth if it were opened (its fixed cost is not counted)."]
    limits = why.get("limits") or []
    if limits:
        sec.tables.append(Table("Limits", [
            Column("Limit"), Column("Name"), Column("Unit"),
            Column("Size", fmt.tonnes, True), Column("Used by the plan", fmt.tonnes, True),
            Column("Share used", fmt.percent, True), Column("Binding", fmt.yes_no),
            Column("Marginal value (USD per unit)", per_unit, True)],
            [[r["kind"], r["name"], r["unit"], r["limit"], r["used"], r["share_used"],
              r["binding"], r["marginal_value"]] for r in limits]))
    return sec


def last_lots_section(s: Solved) -> Section:
    """What the last lot of each purchase avoids, per USD, and the scenarios behind it."""
    sec, why = _why(s, "last-lots", "Why this plan: what each purchase's last lot avoids")
    if not why:
        return sec
    sec.paragraphs.append(
        "For each purchase, the expected cost of disruptions (shortfall, transport and "
        "conversion) that its last lot avoids, from the plan with that one lot removed and "
        "everything else fixed, and the scenarios that account for it (share of the avoided "
        "cost, weighted by probability). A lot's cost in the objective is its price less the "
        "residual value credited back (extension E1) plus its holding cost; per USD of that "
        "cost, the last lot of an optimal plan avoids at least 1 (dropping it is always "
        "possible and would save its cost), up to the solver's gap. Per USD of price (what "
        "the budget pays) it can be below 1 when part of the price is credited back. A "
        "ratio well above 1 means a limit (budget, market cap, storage) or whole lots, not "
        "the lot's value, stop the next one (see the limits above).")
    purchases = why.get("purchases") or []
    if not purchases:
        sec.paragraphs.append("The plan buys nothing.")
        return sec
    sec.paragraphs.append(_break_even_sentence(s, purchases))
    sec.tables.append(Table("Last lots", [
        Column("Holder"), Column("Product"), Column("Lots", fmt.integer, True),
        Column("Lot (t)", fmt.tonnes, True), Column("Lot price (USD)", fmt.usd, True),
        Column("Lot cost in the objective (USD)", fmt.usd, True),
        Column("Last lot avoids (USD)", fmt.usd, True),
        Column("Avoided per USD of cost", ratio, True),
        Column("Avoided per USD of price", ratio, True), Column("Driving scenarios")],
        [[p["holder"], p["product"], p["lots"], p["lot_t"], p["lot_purchase_cost"],
          p["lot_objective_cost"], p["last_lot_avoids"], p["avoided_per_usd"],
          p["avoided_per_budget_usd"], drivers_text(p["drivers"])] for p in purchases]))
    described = why.get("scenario_descriptions") or {}
    driving = sorted({d["scenario"] for p in purchases for d in p["drivers"]})
    probability = s.probability()
    if driving:
        sec.tables.append(Table("Driving scenarios", [
            Column("Scenario"), Column("Probability", fmt.probability, True),
            Column("Description"), Column("Events")],
            [[d, probability.get(d), (described.get(d) or {}).get("description"),
              ", ".join((described.get(d) or {}).get("events") or [])] for d in driving]))
    return sec


def why_not_reason(r: dict[str, Any]) -> str:
    """Why the plan buys no lot of a material a holder needs, in numbers."""
    avoided, cost = r.get("first_lot_avoids"), r["lot_objective_cost"]
    lot = f"a first lot of {fmt.mass(r['lot_t'])} of {r['product']}"
    would = (f"{lot} would avoid {fmt.money(avoided)} of expected disruption cost, "
             f"{ratio(r.get('avoided_per_usd'))} per USD of its cost {fmt.money(cost)}"
             if avoided is not None else lot)
    limit = r.get("limit")
    if limit == "market cap":
        held = r.get("lot_contained_t", r["lot_t"])
        contained = f" ({fmt.mass(held)} contained)" if held != r["lot_t"] else ""
        return (f"market cap: {lot}{contained} exceeds the {fmt.mass(r['market_cap_t'])} of "
                "contained material all holders together may buy")
    if limit == "not worth its cost":
        return f"not worth its cost: {would} (price less residual value, plus holding)"
    if limit == "programme fixed cost":
        return (f"programme fixed cost: {would}, but the gain "
                f"{fmt.money(float(avoided or 0) - cost)} is below the programme's fixed "
                f"cost {fmt.money(r['programme_cost'])}")
    if limit == "budget":
        return (f"budget: {would}; {fmt.money(r['budget_slack'])} of the budget is left "
                f"for a lot and programme costing {fmt.money(r['lot_price'] + r['programme_cost'])}"
                f", and a USD of budget avoids {per_unit(r['budget_marginal_value'])} USD "
                "more elsewhere in the plan")
    if limit == "storage":
        return (f"storage: {would}, but {fmt.number(r.get('storage_free_m3'), 1)} m3 is free "
                f"and a lot takes {fmt.number(r['lot_volume_m3'], 1)} m3")
    return (f"no single limit: {would}; it is left out by joint effects with other lots or "
            "within the solver's gap")


def why_not_bullets(why: dict[str, Any]) -> list[str]:
    """One summary line: each material with demand that the plan does not buy, the first
    lot's value per USD of its cost for each holder, and the limit that stops it (the
    "Why not" table of the last-lots section says it in full)."""
    rows = why.get("why_not") or []
    if not rows:
        return []
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["material"], []).append(r)
    parts = []
    for mat, rs in by.items():
        limits = {r.get("limit") for r in rs}
        each = ", ".join(f"{r['holder']} {ratio(r.get('avoided_per_usd'))}" for r in rs)
        if len(limits) == 1:
            parts.append(f"{mat} (a first lot avoids {each} per USD of its cost; stopped by: "
                         f"{rs[0].get('limit')})")
        else:
            parts.append(f"{mat} (" + "; ".join(
                f"{r['holder']}: {ratio(r.get('avoided_per_usd'))} per USD, stopped by "
                f"{r.get('limit')}" for r in rs) + ")")
    return ["Not bought although there is demand (why, in the 'Why not' table): "
            + "; ".join(parts) + "."]


def why_not_section(s: Solved) -> Section:
    """Each material with demand that the plan does not buy: what a first lot would avoid
    per USD of its cost, and the limit that stops it."""
    sec, why = _why(s, "why-not", "Why not: materials with demand and no purchase")
    rows = why.get("why_not") or []
    if not why:
        return sec
    if not rows:
        sec.paragraphs.append("The plan buys some of every material a holder needs.")
        return sec
    sec.paragraphs.append(
        "For each holder that needs a material the plan does not buy, the grade whose first "
        "lot would avoid the most expected disruption cost per USD of its cost (that lot "
        "added, everything else fixed, the limits it meets lifted), and what stops it, "
        "checked in this order: no whole lot fits the market cap; the lot avoids less than "
        "its cost (price less residual value, plus holding); less than its cost plus the "
        "programme's fixed cost; the budget has no room or its money avoids more elsewhere "
        "(its marginal value); no storage space is free.")
    sec.tables.append(Table("Why not", [
        Column("Material"), Column("Holder"), Column("Product"),
        Column("Annual demand (t)", fmt.tonnes, True), Column("Lot (t)", fmt.tonnes, True),
        Column("Lot cost in the objective (USD)", fmt.usd, True),
        Column("First lot avoids (USD)", fmt.usd, True),
        Column("Avoided per USD of cost", ratio, True), Column("What stops it")],
        [[r["material"], r["holder"], r["product"], r["annual_demand_t"], r["lot_t"],
          r["lot_objective_cost"], r.get("first_lot_avoids"), r.get("avoided_per_usd"),
          why_not_reason(r)] for r in rows]))
    return sec


def _break_even_sentence(s: Solved, purchases: list[dict[str, Any]]) -> str:
    """How many last lots are at or above break-even, and whether those below it are
    within the solver's absolute gap (objective minus best bound)."""
    solver = s.result.get("solver") or {}
    obj, bound = solver.get("objective"), solver.get("bound")
    slack = None if obj is None or bound is None or fmt.missing(obj) or fmt.missing(
        bound) else max(float(obj) - float(bound), 0.0)
    below = [p for p in purchases if (p["avoided_per_usd"] or 0.0) < 1.0]
    if not below:
        return (f"All {len(purchases)} last lots avoid at least their cost in the objective "
                f"(lowest ratio {ratio(min(p['avoided_per_usd'] or 0.0 for p in purchases))}).")
    short = max(p["lot_objective_cost"] - p["last_lot_avoids"] for p in below)
    if slack is not None and short <= slack:
        return (f"{len(below)} of {len(purchases)} last lots avoid slightly less than their "
                f"cost (at most {fmt.money(short)} less), within the solver's proven gap of "
                f"{fmt.money(slack)}: the plan is optimal only up to that gap.")
    return (f"WARNING: {len(below)} of {len(purchases)} last lots avoid less than their cost, "
            f"by up to {fmt.money(short)}, more than the solver's proven gap "
            f"({fmt.money(slack)}): dropping them would lower the expected cost, so the plan "
            "is not optimal by that much.")


def assumptions_section(s: Solved) -> Section:
    """Per material: market cap, prices, holding cost and shortfall tiers."""
    sec, why = _why(s, "drivers", "Assumptions that drive the plan")
    assumptions = why.get("assumptions") or []
    if not assumptions:
        return sec
    years = (s.result.get("instance") or {}).get("holding_years")
    sec.paragraphs.append(
        "Per material: the market cap (all holders together), the price range of its grades, "
        f"the holding cost (charged for {fmt.number(years, 1)} years in the objective), and "
        "the tiers of shortfall cost (share of demand and cost per tonne unmet, "
        "demand-weighted over holders and grades). Shortfall cost is most of the objective, "
        "so these tiers drive the plan. The residual value share (extension E1) is the part of "
        "the price the holder gets back because stock is an asset (released stock is sold to "
        "its users, what is left can be sold): the objective charges only the rest, the budget "
        "the whole price; 0 means none is credited.")
    sec.tables.append(Table("Assumptions per material", [
        Column("Material"), Column("Market cap (t)", fmt.tonnes, True),
        Column("Price (USD/t)"), Column("Holding (USD/t/yr)", fmt.usd, True),
        Column("Residual value share", fmt.percent, True),
        Column("Annual demand (t)", fmt.tonnes, True), Column("Shortfall tiers")],
        [[a["material"], a["market_cap_t"], _price_range(a), a["holding_per_t_yr"],
          a.get("residual_value_share", 0.0), a["annual_demand_t"], "; ".join(
              f"{t['tier']} {fmt.percent(t['share'], 0)} at {fmt.money(t['cost_per_t'])}/t"
              for t in a["tiers"]) or fmt.DASH] for a in assumptions]))
    return sec


def _ratio_text(x: Any, ref: Any) -> str:
    if fmt.missing(x) or fmt.missing(ref) or not ref:
        return "against"
    return f"{fmt.percent(abs(float(ref) - float(x)) / abs(float(ref)), 3)} " + (
        "below" if float(x) <= float(ref) else "above")


def _price_range(a: dict[str, Any]) -> str:
    lo, hi = a.get("price_min"), a.get("price_max")
    if fmt.missing(lo):
        return fmt.DASH
    return fmt.usd(lo) if lo == hi else f"{fmt.usd(lo)} to {fmt.usd(hi)}"
