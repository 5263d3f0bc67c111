"""The report of ``stockpile scenarios``: what was sampled (events by type, how deep), and the
scenarios written (probability, description, events, materials hit and how deeply), on the
same renderer as every other report."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from . import svg
from .content import Column, Document, Section, Table


def scenario_rows(instance: Any) -> list[dict[str, Any]]:
    """Per scenario of an instance: materials whose supply it cuts and the deepest cut."""
    product_material = {p.id: p.material for p in instance.products}
    rows = []
    for s in instance.scenarios:
        depth: dict[str, float] = {}
        for e in s.supply:
            values = e.values if isinstance(e.values, list) else [e.values]
            cut = 1.0 - min(float(v) for v in values)
            mats = [e.material] if e.material else \
                [product_material[e.product]] if e.product else \
                [m.id for m in instance.materials]
            for m in mats:
                depth[m] = max(depth.get(m, 0.0), cut)
        hit = {m: d for m, d in depth.items() if d > 0}
        rows.append({"scenario": s.id, "probability": s.probability,
                     "description": s.description, "events": list(s.events),
                     "materials_hit": hit, "demand_surge": bool(s.demand),
                     "conversion_outage": bool(s.conversion)})
    return rows


def scenarios_document(summary: dict[str, Any], instance: Any) -> Document:
    rows = scenario_rows(instance)
    bullets = [f"Sampled {summary['n']:,} scenarios (seed {summary['seed']}, structure "
               f"{summary['structure']}, event rates x{summary['rate_scale']:g}) from the "
               "calibrated event library.",
               f"Scenarios with some disruption: {fmt.percent(summary['disrupted_share'])}."]
    if summary.get("reduced_to"):
        bullets.append(f"Reduced to {summary['reduced_to']} scenarios by fast forward "
                       f"selection (Kantorovich distance {fmt.money(summary['distance'])}: "
                       "the probability-weighted distance from each dropped scenario to the "
                       "kept one that takes its probability, measured on the scenarios' "
                       "unmet demand priced at the mean tier cost, so in USD).")
    bullets.append(f"Written: {summary['file']} ({len(rows)} scenarios), readable by others.")
    events = Section("events", "Events sampled, by type", paragraphs=[
        "Events of each type that hit a material of the instance, and their mean depth (the "
        "share of supply lost, or of demand added, at the peak)."],
        tables=[Table("Events", [Column("Event type"), Column("Events", fmt.integer, True),
                                 Column("Mean depth", fmt.percent, True)],
                      [[e["type"], e["events"], e["mean_depth"]]
                       for e in summary["event_types"]])] if summary["event_types"] else [])
    scen = Section("scenarios", "Scenarios written", paragraphs=[
        "Materials hit: the deepest supply cut of each material in the scenario (share of "
        "normal supply lost in its worst period)."], tables=[Table("Scenarios", [
            Column("Scenario"), Column("Probability", fmt.probability, True),
            Column("Materials hit (deepest cut)"), Column("Demand surge", fmt.yes_no),
            Column("Conversion outage", fmt.yes_no), Column("Events"), Column("Description")],
            [[r["scenario"], r["probability"], "; ".join(
                f"{m} {fmt.percent(d, 0)}" for m, d in sorted(
                    r["materials_hit"].items(), key=lambda md: -md[1])) or fmt.DASH,
              r["demand_surge"], r["conversion_outage"], ", ".join(r["events"]) or fmt.DASH,
              r["description"]] for r in rows])])
    return Document(f"Scenarios sampled for {instance.name}",
                    f"From instance '{summary['source']}'", Section(
                        "summary", "Summary", bullets=bullets), [events, scen])


def exposure_chart(instance: Any) -> Any:
    def make(_: Any) -> list[tuple[str, str]]:
        exposure: dict[str, float] = {}
        for r in scenario_rows(instance):
            for m, d in r["materials_hit"].items():
                exposure[m] = exposure.get(m, 0.0) + r["probability"] * d
        return svg.largest_bars(
            list(exposure.items()), "Expected deepest supply cut per material (probability "
            "x depth, summed over scenarios), largest first", lambda v: fmt.percent(v, 1),
            "Probability-weighted deepest cut (share of supply)", "Material")
    return {"scenarios": [make]}


def scenarios_files(summary: dict[str, Any], instance: Any) -> dict[str, Any]:
    """scenarios.md, .html, .xlsx and .json from one document (``summary``: the head of the
    JSON, :meth:`stockpile.scenarios.pipeline.ScenariosResult.summary`)."""
    from .html import html_document
    from .markdown import markdown

    doc = scenarios_document(summary, instance)
    return {"scenarios.md": markdown(doc),
            "scenarios.html": html_document(doc, {}, exposure_chart(instance), ok=True),
            "scenarios.xlsx": doc,
            "scenarios.json": {**summary, "scenarios": scenario_rows(instance)}}
