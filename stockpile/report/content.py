"""What the recommendation report says, independent of its format.

:func:`document` turns a solve result (the dict written as result.json) into a title, an
executive summary and a list of sections made of paragraphs, bullets and tables. The
result's figures are read typed (:class:`Solved`, stockpile/figures.py): a renamed field
fails mypy here and a missing key fails by name, never prints a dash. Markdown,
HTML and Excel render this same content, so the three always agree. Nothing here computes a
model quantity: figures are taken from the result and formatted (sums and sorting for display
only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..figures import PlanRow
from . import format as fmt
from .blocks import Column, Document, Section, Solved, Table
from .evidence import (
    evidence_section,
    headline_bullets,
    in_sample_sentence,
    oos_row,
    report_kind,
    stress_bullets,
    verdict_bullets,
)
from .sensitivity_report import sensitivity_section
from .tiers_content import tier_shapes_bullets, tier_shapes_section
from .why_content import (
    assumptions_section,
    binding_sentence,
    last_lots_section,
    limits_section,
    why_not_bullets,
    why_not_section,
)

TOP_PURCHASES = 5
PAIR = " \u2013 "  # joins the two holders of an agreement
WHATIF = "What-if overrides applied (the instance file is unchanged): "


def _money_col(name: str) -> Column:
    return Column(f"{name} (USD)", fmt.usd, True)


def _t_col(name: str) -> Column:
    return Column(f"{name} (t)", fmt.tonnes, True)


def _ratio(part: Any, whole: Any) -> float | None:
    """part / whole for display, or None when either is missing or whole is zero."""
    if fmt.missing(part) or fmt.missing(whole) or not whole:
        return None
    return float(part) / float(whole)


def is_proven_optimal(result: dict[str, Any]) -> bool:
    """Only an explicit proof counts; a missing flag is never read as optimal."""
    return bool((result.get("solver") or {}).get("proven_optimal", False))


def status_sentence(result: dict[str, Any]) -> str:
    """The solver status in words; a plan without proof says plainly NOT proven optimal."""
    solver = result.get("solver") or {}
    summary = str(solver.get("summary") or solver.get("status") or "unknown status")
    if is_proven_optimal(result):
        return f"Solver: {summary}."
    if "NOT proven optimal" in summary:
        return f"Solver: {summary}."
    return f"Solver: NOT proven optimal ({summary}); proven gap {fmt.gap(solver.get('gap'))}."


def _purchases_sentence(plan: list[PlanRow]) -> str:
    bought = sorted((p for p in plan if (p.bought_t or 0) > 0),
                    key=lambda p: -(p.purchase_cost or 0.0))
    if not bought:
        return "What to buy: nothing; the plan keeps existing inventory only."
    total_usd = sum(p.purchase_cost or 0.0 for p in bought)
    materials = len({p.material for p in bought})
    top = "; ".join(
        f"{fmt.mass(p.bought_t)} of {p.product} for {p.holder} "
        f"({fmt.money(p.purchase_cost)})" for p in bought[:TOP_PURCHASES])
    more = len(bought) - TOP_PURCHASES
    tail = f"; and {more} smaller purchase{'s' if more > 1 else ''}" if more > 0 else ""
    return (f"What to buy: {len(bought)} purchase{'s' if len(bought) > 1 else ''} of "
            f"{materials} material{'s' if materials > 1 else ''} for {fmt.money(total_usd)} "
            "(tonnes are not added across materials). "
            f"Largest first: {top}{tail}.")


def cost_bullets(s: Solved) -> list[str]:
    """What the plan spends in cash, and how the objective adds it up: cash (purchases at
    full price and fixed costs), holding, the residual-value credit (E1) on its own line,
    then the expected cost of disruptions."""
    f = s.figures
    if f is None:
        return []
    t = f.objective_terms
    cash = sum(h.budget_used for h in f.holders)
    fixed = t.programmes + t.facilities + t.agreements
    budget = sum(h.budget for h in f.holders)
    second = t.expected_shortfall + t.expected_transport + t.expected_conversion
    out = [f"Cash spent now: {fmt.money(cash)} of {fmt.money(budget)} of budget "
           f"(purchases at full price {fmt.money(t.purchase)}, programme, facility and "
           f"agreement fixed costs {fmt.money(fixed)})."]
    objective = (s.result.get("solver") or {}).get("objective")
    credit = (f", minus the residual value of the stock {fmt.money(-t.residual_value)} "
              "(extension E1: the share of the price the holders get back when stock is "
              "released or sold; a credit in the objective, not cash now)"
              if t.residual_value else "")
    out.append(
        f"{in_sample_sentence(s.result, objective)} It adds up as: the cash "
        f"{fmt.money(cash)}, plus holding for {_years(s.result)} {fmt.money(t.holding)}"
        f"{credit}, plus the expected cost of disruptions {fmt.money(second)} (shortfall "
        f"{fmt.money(t.expected_shortfall)}, transport and conversion "
        f"{fmt.money(t.expected_transport + t.expected_conversion)}).")
    return out


def _no_plan(s: Solved, bullets: list[str]) -> Section:
    bullets.append("No plan was found, so there is nothing to recommend.")
    bullets += [f"Reason: {r}" for r in s.result.get("infeasibility_reasons") or []]
    return Section("summary", "Executive summary", bullets=bullets)


def _summary(s: Solved) -> Section:
    """Out-of-sample figures first, then what to buy and what it costs, in sample labelled."""
    result, f = s.result, s.figures
    bullets = [report_kind(result)[1], status_sentence(result)]
    if result.get("whatif"):
        bullets.append(WHATIF + "; ".join(result["whatif"]) + ".")
    if not s.has_plan() or f is None:
        return _no_plan(s, bullets)
    bullets += headline_bullets(result)
    bullets += verdict_bullets(result)
    bullets += stress_bullets(result)
    bullets.append(_purchases_sentence(f.plan))
    bullets += cost_bullets(s)
    if (f.why or {}).get("limits") is not None:
        bullets.append(binding_sentence(f.why or {}))
    bullets += why_not_bullets(f.why or {})
    bullets += tier_shapes_bullets(result)
    bullets.append(
        "Expected shortfall cost avoided against holding nothing, in sample: "
        f"{fmt.money(f.no_stock.expected_shortfall_avoided)} (from "
        f"{fmt.money(f.no_stock.expected_shortfall_cost)} with no stock to "
        f"{fmt.money(f.objective_terms.expected_shortfall)} with this plan).")
    signed = [a for a in f.agreements if a.signed]
    if f.agreements:
        names = ", ".join(f"{PAIR.join(a.holders)} ({a.material})" for a in signed)
        bullets.append(f"Sharing agreements to sign: {names}." if signed else
                       "Sharing agreements to sign: none.")
    bullets.append(_proven_gap(result))
    return Section("summary", "Executive summary", bullets=bullets)


def _proven_gap(result: dict[str, Any]) -> str:
    solver = result.get("solver") or {}
    bound = solver.get("bound")
    return (f"Proven gap of the in-sample optimisation: {fmt.gap(solver.get('gap'))} "
            f"(objective {fmt.money(solver.get('objective'))}, best proven bound "
            f"{fmt.money(bound)})." if bound is not None else
            "Proven gap: none; the solver proved no bound.")


def _years(result: dict[str, Any]) -> str:
    """'5 years': the years of holding cost the holding figures cover."""
    y = (result.get("instance") or {}).get("holding_years")
    return f"{fmt.number(y, 1)} year{'' if y == 1 else 's'}"


def _plan(s: Solved) -> Section:
    result = s.result
    cols = [Column("Holder"), Column("Product"), Column("Material"), _t_col("Inventory"),
            Column("Lots", fmt.integer, True), _t_col("Bought"), _t_col("Stock"),
            _money_col("Purchase cost"), _money_col(f"Holding cost, {_years(result)}"),
            _t_col("Annual demand"),
            Column("Days of cover", fmt.days, True)]
    plan = s.figures.plan if s.figures is not None else []
    sec = Section("plan", "Purchases and stock per holder and product", paragraphs=[
        "Days of cover = 365 \u00d7 stock / annual demand; a dash means the holder has no "
        "demand for the product."])
    if plan:
        sec.tables.append(Table("Plan", cols, [
            [p.holder, p.product, p.material, p.inventory_t, p.lots, p.bought_t, p.stock_t,
             p.purchase_cost, p.holding_cost, p.annual_demand_t, p.days_of_cover]
            for p in plan]))
    else:
        sec.paragraphs.insert(0, "The plan holds no stock and has no demand to cover.")
    return sec


def _material_cover(s: Solved) -> Section:
    rows = ((s.figures.why if s.figures else None) or {}).get("cover_by_material") or []
    sec = Section("cover", "Days of cover per material, grades converted at their yields",
                  paragraphs=[
                      "Days of cover = 365 x usable stock / annual demand of the material's "
                      "grades. A grade the holder does not use counts at the best yield of a "
                      "route that converts it into one it uses (conversion capacity "
                      "permitting), and not at all without one; so this can be more than the "
                      "per-grade figures above suggest, or less than a sum of tonnes."])
    if rows:
        sec.tables.append(Table("Cover per material", [
            Column("Holder"), Column("Material"), _t_col("Stock, all grades"),
            _t_col("Usable, at yields"), _t_col("Annual demand"),
            Column("Days of cover", fmt.days, True)],
            [[r["holder"], r["material"], r["stock_t"], r["usable_t"], r["annual_demand_t"],
              r["days_of_cover"]] for r in rows]))
    else:
        sec.paragraphs.append("No holder has demand for any material.")
    return sec


def _programmes(s: Solved) -> Section:
    rows = [[p.holder, p.material, p.fixed_cost]
            for p in (s.figures.programmes if s.figures else [])]
    sec = Section("programmes", "Programmes", paragraphs=[
        "A programme is a holder's stockpiling programme for one material; opening it has a "
        "fixed cost."])
    if rows:
        sec.tables.append(Table("Programmes", [Column("Holder"), Column("Material"),
                                               _money_col("Fixed cost")], rows))
    else:
        sec.paragraphs.append("No programme is opened.")
    return sec


NO_AGREEMENTS = {
    "national": "National mode: holders do not share stock, so no agreement is signed.",
    "pooled": "Pooled mode: all stock is one joint pool, shared without agreements.",
    "": "The instance offers no bilateral sharing agreement.",
}


def _agreements(s: Solved) -> Section:
    agreements = s.figures.agreements if s.figures else []
    flows = s.figures.flows if s.figures else []
    prob = s.probability()
    sec = Section("agreements", "Sharing agreements and flows", paragraphs=[
        "Which bilateral agreements to sign, and the stock that moves between holders in each "
        "scenario (the sender releases stock, the receiver uses it)."])
    if agreements:
        sec.tables.append(Table(
            "Agreements",
            [Column("Holders"), Column("Material"), Column("Signed", fmt.yes_no),
             Column("Share cap", fmt.percent, True), _money_col("Fixed cost"),
             Column("Flows", fmt.integer, True),
             _t_col("Expected moved (probability-weighted)")],
            [[PAIR.join(a.holders), a.material, a.signed, a.share_cap, a.fixed_cost,
              len(a.flows), sum((prob.get(f.scenario) or 0.0) * (f.tonnes or 0.0)
                                for f in a.flows)]
             for a in agreements]))
    else:
        sec.paragraphs.append(NO_AGREEMENTS.get(str(s.result.get("mode")), NO_AGREEMENTS[""]))
    if flows:
        sec.tables.append(Table(
            "Flows",
            [Column("Scenario"), Column("Period"), Column("From"), Column("To"),
             Column("Product"), Column("Material"), Column("Tonnes", fmt.tonnes, True)],
            [[f.scenario, f.period, f.from_, f.to, f.product, f.material, f.tonnes]
             for f in flows]))
    else:
        sec.paragraphs.append("No stock moves between holders in any scenario.")
    return sec


def _conversions(s: Solved) -> Section:
    rows = [[c.scenario, c.period, c.holder, c.route, c.input_t, c.output_t]
            for c in (s.figures.conversions if s.figures else [])]
    sec = Section("conversions", "Conversions used", paragraphs=[
        "Conversion turns one grade or form into another (for example oxide to metal) "
        "during a disruption, at a yield."])
    if rows:
        sec.tables.append(Table("Conversions", [
            Column("Scenario"), Column("Period"), Column("Holder"), Column("Route"),
            _t_col("Input"), _t_col("Output")], rows))
    else:
        sec.paragraphs.append("No conversion is used in any scenario.")
    return sec


def _facilities(s: Solved) -> Section:
    facilities = s.figures.facilities if s.figures else []
    sec = Section("facilities", "Facility use", paragraphs=[
        "Storage facilities: whether each is used, the volume the plan stores there and its "
        "capacity."])
    if facilities:
        sec.tables.append(Table("Facilities", [
            Column("Holder"), Column("Facility"), Column("Used", fmt.yes_no),
            Column("Volume used (m3)", fmt.number, True),
            Column("Capacity (m3)", fmt.number, True),
            Column("Share of capacity", fmt.percent, True), _money_col("Fixed cost")],
            [[f.holder, f.facility, f.used, f.used_m3, f.capacity_m3,
              _ratio(f.used_m3, f.capacity_m3), f.fixed_cost] for f in facilities]))
    else:
        sec.paragraphs[0] = "The instance has no storage facilities to choose."
    return sec


TERM_LABELS = {
    "purchase": "Purchases (full price)", "holding": "Holding",
    "programmes": "Programme fixed costs",
    "facilities": "Facility fixed costs", "agreements": "Agreement fixed costs",
    "expected_shortfall": "Expected shortfall", "expected_transport": "Expected transport",
    "expected_conversion": "Expected conversion",
    "residual_value": "Residual value of stock (credit, extension E1)",
}


def _costs(s: Solved) -> Section:
    terms = s.figures.objective_terms.items() if s.figures else []
    total = (s.result.get("solver") or {}).get("objective")
    rows: list[list[Any]] = [[TERM_LABELS.get(k, k), v] for k, v in terms]
    rows.append(["Total (objective)", total])
    sec = Section("costs", "Cost breakdown", paragraphs=[
        "The expected total cost the plan minimises, split into its terms, on the "
        f"{fmt.integer((s.result.get('instance') or {}).get('scenarios'))} scenarios it was "
        "optimised on (in sample). Each term is signed as it enters the cost: the "
        "residual-value credit is negative."])
    sec.tables.append(Table("Cost breakdown", [Column("Term"), _money_col("Cost")], rows))
    return sec


DISTRIBUTION_LABELS = {"mean": "Mean", "min": "Minimum", "p05": "5th percentile",
                       "p50": "Median", "p95": "95th percentile", "max": "Maximum",
                       "cvar95": "CVaR 95% (mean of the worst 5%)"}


def _distribution(s: Solved) -> Section:
    dist = s.figures.scenario_cost_distribution.items() if s.figures else []
    scenarios = s.figures.scenarios if s.figures else []
    n = fmt.integer((s.result.get("instance") or {}).get("scenarios"))
    oos = oos_row(s.result, "optimised")
    ev = (s.result.get("evidence") or {}).get("out_of_sample") or {}
    sec = Section("distribution", "Distribution of scenario cost", paragraphs=[
        f"Total cost of the plan in each of the {n} scenarios it was optimised on (in "
        "sample), weighted by scenario probability"
        + (f", beside the same plan on {fmt.integer(ev.get('scenarios'))} fresh scenarios "
           "(out of sample: the figures to expect)." if oos else ".")])
    if oos and s.figures is not None:
        tail = s.figures.scenario_cost_distribution.cvar95
        few = len(scenarios) * 0.05
        sec.paragraphs.append(
            f"The in-sample CVaR 95 % ({fmt.money(tail)}) is "
            f"{'higher' if tail > oos['cvar95'] else 'lower'} than out of sample "
            f"({fmt.money(oos['cvar95'])}) for the same plan: in sample the worst 5 % of "
            f"probability is about {fmt.number(max(few, 1.0), 0)} of the {n} scenarios, "
            "fitted by the optimiser, while the fresh sample's tail holds "
            f"{fmt.integer(0.05 * float(ev.get('scenarios') or 0))} draws of the calibrated "
            "risk, rare deep disruptions included. Read the tail from the out-of-sample "
            "column.")
    if dist:
        cols = [Column("Statistic"), _money_col(f"In sample, {n} scenarios")]
        if oos:
            cols.append(_money_col(f"Out of sample, {fmt.integer(ev.get('scenarios'))} "
                                   "scenarios"))
        sec.tables.append(Table("Cost distribution", cols, [
            [DISTRIBUTION_LABELS.get(k, k), v, *([oos.get(k)] if oos else [])]
            for k, v in dist]))
    if scenarios:
        sec.tables.append(Table("Scenarios", [
            Column("Scenario"), Column("Probability", fmt.probability, True),
            _money_col("Total cost"), _money_col("Shortfall cost"), _t_col("Unmet demand"),
            _money_col("Transport"), _money_col("Conversion"),
            _money_col("Shortfall cost with no stock")],
            [[r.scenario, r.probability, r.total_cost, r.shortfall_cost, r.unmet_t,
              r.transport_cost, r.conversion_cost, r.no_stock_shortfall_cost]
             for r in scenarios]))
    return sec


HOLDER_TERMS = {
    "purchase_cost": "Purchases (full price, cash)",
    "residual_value": "Residual value of stock (credit, extension E1)",
    "holding_cost": "Holding", "programme_cost": "Programme fixed costs",
    "facility_cost": "Facility fixed costs", "agreement_cost": "Agreement fixed costs",
    "expected_shortfall_cost": "Expected shortfall", "expected_transport_cost":
    "Expected transport", "expected_conversion_cost": "Expected conversion",
    "expected_transfer_settlement": "Transfer settlement (+ pays, \u2212 receives)"}


def _holders(s: Solved) -> Section:
    holders = s.figures.holders if s.figures else []
    sec = Section("holders", "Per-holder cost with transfers settled at replacement price",
                  paragraphs=[
                      "Each holder's expected cost, term by term, as the objective counts it "
                      "(in sample: on the instance's scenarios); the terms add up to the "
                      "settled cost. The residual value is a credit (negative): the share "
                      "of the purchase price the holder gets back because stock is an asset; "
                      "it is not cash returned now. Transfers are settled at replacement "
                      "price: the receiver pays the sender the product's price for each "
                      "tonne received, so a positive settlement is a net payment and a "
                      "negative one a net receipt; they cancel between holders, so the "
                      "holders' settled costs add up to the objective."])
    if not holders:
        return sec
    names = [h.holder for h in holders]
    cols = [Column("Term")] + [_money_col(n) for n in names] + [_money_col("All holders")]

    def row(label: str, values: list[float]) -> list[Any]:
        return [label, *values, sum(values)]

    rows = [row(f"{label}, {_years(s.result)}" if key == "holding_cost" else label,
                [getattr(h, key) for h in holders]) for key, label in HOLDER_TERMS.items()]
    rows.append(row("Expected cost, settled (the sum)",
                    [h.expected_cost_settled for h in holders]))
    sec.tables.append(Table("Holders", cols, rows))
    sec.tables.append(Table("Budgets", cols, [
        row("Budget", [h.budget for h in holders]),
        row("Cash spent (purchases and fixed costs)", [h.budget_used for h in holders]),
        row("Expected shortfall with no stock", [h.no_stock_expected_shortfall
                                                 for h in holders])]))
    return sec


def _shortfall(s: Solved) -> Section:
    by_material = s.figures.shortfall_by_material if s.figures else {}
    sec = Section("shortfall", "Shortfall cost by material", paragraphs=[
        "Expected cost of demand left unmet, by material, with this plan."])
    if by_material:
        sec.tables.append(Table("Shortfall by material",
                                [Column("Material"), _money_col("Expected shortfall cost")],
                                [[m, v] for m, v in by_material.items()]))
    return sec


def _assumptions(solved: Solved) -> Section:
    result = solved.result
    inst = result.get("instance") or {}
    s = result.get("solver") or {}
    size = (f"{fmt.integer(s.get('n_variables'))} variables ({fmt.integer(s.get('n_integer'))} "
            f"integer), {fmt.integer(s.get('n_constraints'))} constraints, "
            f"{fmt.integer(s.get('n_nonzeros'))} nonzeros")
    rows: list[list[Any]] = [
        ["Instance", inst.get("name")], ["Description", inst.get("description")],
        ["Instance content hash", inst.get("content_hash")], ["Mode", result.get("mode")],
        ["Holders, materials, products", ", ".join(
            fmt.integer(inst.get(k)) for k in ("holders", "materials", "products"))],
        ["Periods, scenarios", ", ".join(fmt.integer(inst.get(k))
                                         for k in ("periods", "scenarios"))],
        ["Holding years", fmt.number(inst.get("holding_years"), 2)],
        ["Solver", f"{fmt.text(s.get('solver'))} {fmt.text(s.get('solver_version'))}"],
        ["Interface", s.get("interface")], ["Options", fmt.options(s.get("options"))],
        ["Status", s.get("status")], ["Objective (USD)", fmt.usd(s.get("objective"))],
        ["Best bound (USD)", fmt.usd(s.get("bound"))], ["Gap", fmt.gap(s.get("gap"))],
        ["Model build", fmt.seconds(s.get("build_seconds"))],
        ["Hand-off to the solver", fmt.seconds(s.get("handoff_seconds"))],
        ["Solve", fmt.seconds(s.get("solve_seconds"))], ["Model size", size],
        ["stockpile version", result.get("stockpile_version")],
        ["Python", result.get("python")],
        ["Packages", ", ".join(f"{k} {v}" for k, v in (result.get("packages") or {}).items())
         or None],
        ["Command line", result.get("command")], ["Created (UTC)", result.get("created_utc")],
    ]
    sec = Section("assumptions", "Assumptions and provenance")
    sec.tables.append(Table("Assumptions", [Column("Item"), Column("Value")], rows))
    sources = [str(x) for x in inst.get("sources") or []]
    sec.paragraphs.append("Instance sources:" if sources else
                          "Instance sources: none listed in the instance.")
    sec.bullets = sources
    return sec


def _evidence(s: Solved) -> Section:
    return evidence_section(s.result)


def _sensitivity(s: Solved) -> Section:
    return sensitivity_section(s.result)


# The solve report's sections in reading order: one function each, Solved -> Section.
# A new section is one line here (and, for charts, one entry in html.CHARTS).
SECTIONS: list[Callable[[Solved], Section]] = [
    _plan, _evidence, _material_cover, limits_section, last_lots_section, why_not_section,
    assumptions_section,
    _sensitivity, tier_shapes_section,
    _programmes, _agreements, _conversions, _facilities, _costs, _distribution,
    _holders, _shortfall, _assumptions]


def document(result: dict[str, Any] | Solved) -> Document:
    """The report's content for one solve result (its figures parsed once, :class:`Solved`)."""
    s = result if isinstance(result, Solved) else Solved.of(result)
    result = s.result
    inst = result.get("instance") or {}
    name = fmt.text(inst.get("name"))
    mode = fmt.text(result.get("mode"))
    subtitle = f"Instance '{name}', {mode} mode, created {fmt.text(result.get('created_utc'))}"
    kind = report_kind(result)[0]
    label = kind if kind == "recommendation" else f"{kind} (not a recommendation)"
    return Document(f"Stockpile {label}: {name} ({mode} mode)", subtitle,
                    _summary(s), [f(s) for f in SECTIONS])
