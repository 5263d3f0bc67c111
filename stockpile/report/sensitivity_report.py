"""Sensitivity in reports (stockpile/analysis/sensitivity.py): a section of the solve report
when ``solve --sensitivity`` ran it, and the report of ``stockpile sensitivity``; a table and a
tornado chart of the change of expected cost, and how the plan moves."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from . import svg
from .blocks import Column, Document, Section, Table


def _signed_money(x: Any) -> str:
    if fmt.missing(x):
        return fmt.DASH
    text = fmt.money(x)
    return text.replace("USD ", "USD +", 1) if float(x) > 0 else text


def _moves(materials: list[dict[str, Any]]) -> str:
    shown = [f"{m['material']} {'+' if m['change_t'] > 0 else ''}{fmt.mass(m['change_t'])}"
             for m in materials[:4]]
    more = len(materials) - 4
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "") if shown else \
        "no change"


def sensitivity_section(result: dict[str, Any]) -> Section:
    sens = result.get("sensitivity")
    sec = Section("sensitivity", "Sensitivity: how the plan and its cost move")
    if not sens:
        sec.paragraphs.append(
            "Not computed for this report: run 'stockpile solve INSTANCE --sensitivity' or "
            "'stockpile sensitivity INSTANCE' (one re-solve per input and direction).")
        return sec
    step = fmt.percent(sens["step"], 0)
    rows = sens.get("rows") or []
    sec.paragraphs.append(
        f"Each input group scaled down and up by {step} and the instance re-solved to "
        "optimality. Change of expected total cost against the base optimum "
        f"({fmt.money(sens['base_objective'])}); 'plan moved' is the purchase spend, at "
        "today's prices, that changes between products and holders, as a share of the "
        f"base plan's {fmt.money(sens['base_purchase_spend'])}. {_probability_rule(rows)} "
        "Widest swing first. A change is marked unreliable, in the table itself, when it is "
        "within the two solves' proven gaps (objective minus bound, summed: solver "
        "tolerance), when its 95% interval over the scenarios holds zero (its sign is not "
        "established: each scenario's cost under the varied optimum against the base's, "
        "paired; checked for the disruption probabilities, as dearer shortfalls or "
        "purchases cannot lower the optimum and wider caps or budgets cannot raise it), or "
        "when the probabilities rest on an effective sample 1 / sum p^2 below half the "
        "scenarios. The interval is shown for every row: the size of a change rests on the "
        "scenarios too.")
    rank = sens.get("ranking") or []
    if rank:
        sec.tables.append(Table("Sensitivity ranking", [
            Column("Input"), Column(f"Cost change, input -{step}", fmt.text),
            Column(f"Cost change, input +{step}", fmt.text),
            Column(f"Plan moved, -{step}", fmt.percent, True),
            Column(f"Plan moved, +{step}", fmt.percent, True), Column("Within the gaps",
                                                                     fmt.yes_no)],
            [[e["parameter"], _flagged(e["down"], e.get("why_down")),
              _flagged(e["up"], e.get("why_up")), e["moved_down"], e["moved_up"],
              e.get("within_gap")] for e in rank]))
    if rows:
        sec.tables.append(Table("Sensitivity runs", [
            Column("Input"), Column("Factor", lambda v: f"x{v:g}", True), Column("Status"),
            Column("Expected cost (USD)", fmt.usd, True),
            Column("Change (USD)", fmt.usd, True), Column("Change", fmt.percent, True),
            Column("95% interval of the change (USD)", fmt.text),
            Column("Reliable"), Column("Tonnes bought, change per material")],
            [[r["parameter"], r["factor"], r["status"], r["objective"], r["change"],
              r["change_share"], _interval(r.get("change_ci95")), _reliable(r),
              _moves(r["materials"]) if r["objective"] is not None else fmt.DASH]
             for r in rows]))
    return sec


def _flagged(x: Any, why: str | None) -> str:
    """A change of cost, marked in the cell when it is not a measured effect."""
    text = _signed_money(x)
    if not why:
        return text
    return f"{text} (NOT AN EFFECT: {why.split(' (')[0]})" if why.startswith("within") \
        else f"{text} (UNRELIABLE: {why.split(':')[0]})"


def _interval(ci: Any) -> str:
    return fmt.DASH if not ci else f"{fmt.usd(ci[0])} to {fmt.usd(ci[1])}"


def _reliable(r: dict[str, Any]) -> str:
    if r.get("reliable") is None:
        return fmt.DASH
    return "yes" if r["reliable"] else "NO: " + "; ".join(r.get("unreliable_because") or [])



def _probability_rule(rows: list[dict[str, Any]]) -> str:
    """How the disruption probabilities were moved (sensitivity.py's module docstring)."""
    if any(r.get("how") for r in rows if r["parameter"] == "disruption probabilities"):
        ess = "; ".join(f"x{r['factor']:g}: {r['how'].split('; ')[1].rstrip(')')}"
                        for r in rows if r["parameter"] == "disruption probabilities"
                        and r.get("how"))
        return ("Disruption probabilities: every event rate of the calibrated library scaled; "
                "the same scenarios (library draws, none calm) get the probabilities the "
                f"scaled rates give them ({ess}; on few effective scenarios the change is "
                "noisy, even in sign).")
    return ("Disruption probabilities: every disrupted scenario's probability scaled, the "
            "calm scenarios taking up the rest (not applicable without a calm scenario).")


def tornado_chart(result: dict[str, Any]) -> list[tuple[str, str]]:
    sens = result.get("sensitivity") or {}
    items = [(e["parameter"], e["down"], e["up"]) for e in sens.get("ranking") or []
             if e["down"] is not None and e["up"] is not None]
    if not items:
        return []
    step = fmt.percent(sens["step"], 0)
    caption = f"Change of expected total cost when each input moves by {step}, widest first"
    return [(caption, svg.tornado(items, caption, _signed_money,
                                  "Change of expected total cost (USD)", "Input",
                                  f"input -{step}", f"input +{step}"))]


def sensitivity_document(name: str, mode: str, result: dict[str, Any]) -> Document:
    """The report of ``stockpile sensitivity``."""
    sens = result["sensitivity"]
    rank = sens.get("ranking") or []
    bullets = [f"Base optimum: expected total cost {fmt.money(sens['base_objective'])} "
               f"({sens['base_status']})."]
    if rank:
        e = rank[0]
        bullets.append(f"Most sensitive input: {e['parameter']} (expected cost "
                       f"{_signed_money(e['down'])} down, {_signed_money(e['up'])} up).")
    bad = [r for r in sens.get("rows") or [] if r.get("reliable") is False]
    if bad:
        bullets.append(f"{len(bad)} of {len(sens['rows'])} changes are not measured effects "
                       "(marked in the tables): " + "; ".join(
                           f"{r['parameter']} x{r['factor']:g}, {_signed_money(r['change'])}: "
                           + "; ".join(r["unreliable_because"]) for r in bad) + ".")
    summary = Section("summary", "Summary", bullets=bullets)
    return Document(f"Sensitivity: {name} ({mode} mode)", f"Instance '{name}', {mode} mode",
                    summary, [sensitivity_section(result)])
