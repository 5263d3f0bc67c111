"""The "Why this plan" section of the solve report, from ``result["why"]``
(stockpile/analysis/why.py): binding limits with marginal values, what the last lot of each
purchase avoids and which scenarios drive it, and the assumptions that drive both."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from .content import Column, Section, Solved, Table

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


def _why(s: Solved, key: str, title: str) -> tuple[Section, dict[str, Any]]:
    why = (s.figures.why if s.figures is not None else None) or {}
    sec = Section(key, title)
    if not why:
        sec.paragraphs.append("Not computed for this report (solve --no-why)." if s.has_plan()
                              else "No plan, so nothing to explain.")
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
        "cost, weighted by probability). Per USD all-in (purchase plus holding) it is at "
        "least 1 for every lot of an optimal plan: a lot that avoided less than it costs "
        "would be dropped.")
    purchases = why.get("purchases") or []
    if not purchases:
        sec.paragraphs.append("The plan buys nothing.")
        return sec
    sec.tables.append(Table("Last lots", [
        Column("Holder"), Column("Product"), Column("Lots", fmt.integer, True),
        Column("Lot (t)", fmt.tonnes, True), Column("Lot cost (USD)", fmt.usd, True),
        Column("Last lot avoids (USD)", fmt.usd, True),
        Column("Avoided per USD of purchase", ratio, True),
        Column("Avoided per USD all-in", ratio, True), Column("Driving scenarios")],
        [[p["holder"], p["product"], p["lots"], p["lot_t"], p["lot_purchase_cost"],
          p["last_lot_avoids"], p["avoided_per_usd"], p["avoided_per_usd_all_in"],
          drivers_text(p["drivers"])] for p in purchases]))
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
