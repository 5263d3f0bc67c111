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
from dataclasses import dataclass, field
from typing import Any

from ..figures import PlanRow, SolveFigures
from . import format as fmt

TOP_PURCHASES = 5
PAIR = " \u2013 "  # joins the two holders of an agreement
WHATIF = "What-if overrides applied (the instance file is unchanged): "


@dataclass(frozen=True)
class Column:
    """A table column: header, how to show a raw value, and whether it is a number."""

    name: str
    show: Callable[[Any], str] = fmt.text
    numeric: bool = False


@dataclass
class Table:
    """Raw rows (written as numbers to Excel) with the columns that format them."""

    sheet: str
    columns: list[Column]
    rows: list[list[Any]]

    def display(self) -> list[list[str]]:
        """Rows as display text."""
        return [[c.show(v) for c, v in zip(self.columns, row)] for row in self.rows]


@dataclass
class Section:
    """One titled part of the report. ``key`` names its anchor and its charts in HTML."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Document:
    """The whole report: title line, executive summary, then the sections."""

    title: str
    subtitle: str
    summary: Section
    sections: list[Section]

    def tables(self) -> list[Table]:
        """Every table in reading order (one Excel sheet each)."""
        return [t for s in [self.summary, *self.sections] for t in s.tables]


def _money_col(name: str) -> Column:
    return Column(f"{name} (USD)", fmt.usd, True)


def _t_col(name: str) -> Column:
    return Column(f"{name} (t)", fmt.tonnes, True)


@dataclass(frozen=True)
class Solved:
    """A solve result as the report reads it: the result dict (solver, instance, what-ifs,
    why, evidence, sensitivity: plain dicts) and its figures typed (None without a plan)."""

    result: dict[str, Any]
    figures: SolveFigures | None

    @classmethod
    def of(cls, result: dict[str, Any]) -> Solved:
        """Parse the figures of ``result`` (ValueError naming a missing or unknown key)."""
        return cls(result, SolveFigures.from_dict(result) if "plan" in result else None)

    def has_plan(self) -> bool:
        solver = self.result.get("solver") or {}
        return bool(solver.get("has_plan", self.figures is not None and
                                bool(self.figures.plan)))

    def probability(self) -> dict[str, float]:
        """Each scenario's probability."""
        return {s.scenario: s.probability for s in self.figures.scenarios} \
            if self.figures is not None else {}


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


def _no_plan(s: Solved, bullets: list[str]) -> Section:
    bullets.append("No plan was found, so there is nothing to recommend.")
    bullets += [f"Reason: {r}" for r in s.result.get("infeasibility_reasons") or []]
    return Section("summary", "Executive summary", bullets=bullets)


def _summary(s: Solved) -> Section:
    result, f = s.result, s.figures
    solver = result.get("solver") or {}
    bullets = [status_sentence(result)]
    if result.get("whatif"):
        bullets.append(WHATIF + "; ".join(result["whatif"]) + ".")
    if not s.has_plan() or f is None:
        return _no_plan(s, bullets)
    from .evidence import verdict_bullets
    bullets += verdict_bullets(result)
    bullets.append(_purchases_sentence(f.plan))
    years = (result.get("instance") or {}).get("holding_years")
    bullets.append(
        f"Total expected cost (the objective): {fmt.money(solver.get('objective'))}. It adds "
        f"what is spent, {fmt.money(f.first_stage_cost)} committed before any "
        f"disruption (purchases, holding for {fmt.number(years, 1)} years, programmes, "
        "facilities, agreements), to the modelled damage of disruptions weighted by their "
        f"probability, {fmt.money(f.objective_terms.expected_shortfall)} of expected shortfall "
        "cost plus expected transport and conversion.")
    if (f.why or {}).get("limits") is not None:
        bullets.append(binding_sentence(f.why or {}))
    bullets.append(
        "Expected shortfall cost avoided against holding nothing: "
        f"{fmt.money(f.no_stock.expected_shortfall_avoided)} (from "
        f"{fmt.money(f.no_stock.expected_shortfall_cost)} with no stock to "
        f"{fmt.money(f.objective_terms.expected_shortfall)} with this plan).")
    signed = [a for a in f.agreements if a.signed]
    if f.agreements:
        names = ", ".join(f"{PAIR.join(a.holders)} ({a.material})" for a in signed)
        bullets.append(f"Sharing agreements to sign: {names}." if signed else
                       "Sharing agreements to sign: none.")
    bound = solver.get("bound")
    bullets.append(
        f"Proven gap: {fmt.gap(solver.get('gap'))} (objective "
        f"{fmt.money(solver.get('objective'))}, best proven bound {fmt.money(bound)})."
        if bound is not None else "Proven gap: none; the solver proved no bound.")
    return Section("summary", "Executive summary", bullets=bullets)


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
    "purchase": "Purchases", "holding": "Holding", "programmes": "Programme fixed costs",
    "facilities": "Facility fixed costs", "agreements": "Agreement fixed costs",
    "expected_shortfall": "Expected shortfall", "expected_transport": "Expected transport",
    "expected_conversion": "Expected conversion",
    "residual_value": "Residual value of stock (credited, extension E1)",
}


def _costs(s: Solved) -> Section:
    terms = s.figures.objective_terms.items() if s.figures else []
    total = (s.result.get("solver") or {}).get("objective")
    rows: list[list[Any]] = [[TERM_LABELS.get(k, k), v] for k, v in terms]
    rows.append(["Total (objective)", total])
    sec = Section("costs", "Cost breakdown", paragraphs=[
        "The expected total cost the plan minimises, split into its terms."])
    sec.tables.append(Table("Cost breakdown", [Column("Term"), _money_col("Cost")], rows))
    return sec


DISTRIBUTION_LABELS = {"mean": "Mean", "min": "Minimum", "p05": "5th percentile",
                       "p50": "Median", "p95": "95th percentile", "max": "Maximum",
                       "cvar95": "CVaR 95% (mean of the worst 5%)"}


def _distribution(s: Solved) -> Section:
    dist = s.figures.scenario_cost_distribution.items() if s.figures else []
    scenarios = s.figures.scenarios if s.figures else []
    sec = Section("distribution", "Distribution of scenario cost", paragraphs=[
        "Total cost of the plan in each scenario, weighted by scenario probability."])
    if dist:
        sec.tables.append(Table("Cost distribution", [Column("Statistic"), _money_col("Cost")],
                                [[DISTRIBUTION_LABELS.get(k, k), v] for k, v in dist]))
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


def _holders(s: Solved) -> Section:
    names = ["Budget", "Budget used", "Purchases", "Holding", "Programmes", "Facilities",
             "Agreements", "Expected shortfall", "Expected transport", "Expected conversion",
             "Transfer settlement", "Expected cost, settled", "Expected shortfall, no stock"]
    holders = s.figures.holders if s.figures else []
    sec = Section("holders", "Per-holder cost with transfers settled at replacement price",
                  paragraphs=[
                      "Transfers are settled at replacement price: the receiver pays the "
                      "sender the product's price for each tonne received, so a positive "
                      "settlement is a net payment and a negative one a net receipt."])
    if holders:
        sec.tables.append(Table("Holders", [Column("Holder")] + [_money_col(n) for n in names],
                                [[h.holder, h.budget, h.budget_used, h.purchase_cost,
                                  h.holding_cost, h.programme_cost, h.facility_cost,
                                  h.agreement_cost, h.expected_shortfall_cost,
                                  h.expected_transport_cost, h.expected_conversion_cost,
                                  h.expected_transfer_settlement, h.expected_cost_settled,
                                  h.no_stock_expected_shortfall] for h in holders]))
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
        ["Python", result.get("python")], ["Created (UTC)", result.get("created_utc")],
    ]
    sec = Section("assumptions", "Assumptions and provenance")
    sec.tables.append(Table("Assumptions", [Column("Item"), Column("Value")], rows))
    sources = [str(x) for x in inst.get("sources") or []]
    sec.paragraphs.append("Instance sources:" if sources else
                          "Instance sources: none listed in the instance.")
    sec.bullets = sources
    return sec


def _evidence(s: Solved) -> Section:
    from .evidence import evidence_section
    return evidence_section(s.result)


def _sensitivity(s: Solved) -> Section:
    return sensitivity_section(s.result)


from .sensitivity_report import sensitivity_section  # noqa: E402
from .tiers_content import tier_shapes_section  # noqa: E402
from .why_content import (  # noqa: E402  (they use the classes above)
    assumptions_section,
    binding_sentence,
    last_lots_section,
    limits_section,
)

# The solve report's sections in reading order: one function each, Solved -> Section.
# A new section is one line here (and, for charts, one entry in html.CHARTS).
SECTIONS: list[Callable[[Solved], Section]] = [
    _plan, _evidence, _material_cover, limits_section, last_lots_section, assumptions_section,
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
    return Document(f"Stockpile recommendation: {name} ({mode} mode)", subtitle,
                    _summary(s), [f(s) for f in SECTIONS])
