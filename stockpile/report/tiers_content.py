"""The assumptions that drive the answer, in the solve report: each figure's basis (sourced,
derived or assumed) and the plan under other shapes of the shortfall tiers
(stockpile/analysis/tiers.py). Both come from the result's ``tier_shapes`` key."""

from __future__ import annotations

from typing import Any

from . import format as fmt
from .blocks import Column, Section, Table

BASIS_WORDS = {"sourced": "sourced (a published figure)",
               "derived": "derived (computed from sourced figures by a stated rule)",
               "assumed": "assumed (no source: set by the analyst)"}


def _signed(x: Any) -> str:
    if fmt.missing(x):
        return fmt.DASH
    text = fmt.money(x)
    return text.replace("USD ", "USD +", 1) if float(x) > 0 else text


def _ratios(r: list[float]) -> str:
    return " : ".join(fmt.number(x, 1 if x < 100 else 0) for x in r) if r else fmt.DASH


def _moves(materials: list[dict[str, Any]]) -> str:
    shown = [f"{m['material']} {'+' if m['change_t'] > 0 else ''}{fmt.mass(m['change_t'])}"
             for m in materials[:4]]
    more = len(materials) - 4
    return ("; ".join(shown) + (f"; and {more} more" if more > 0 else "")) if shown else \
        "no change"


def _basis_table(rows: list[dict[str, Any]]) -> Table:
    order = {"assumed": 0, "derived": 1, "sourced": 2}
    ranked = sorted(rows, key=lambda r: order.get(r.get("basis", ""), 3))
    return Table("Basis of each assumption", [Column("Figure"), Column("Basis"),
                                              Column("Source or reason")],
                 [[r.get("figure"), r.get("basis"), r.get("source")] for r in ranked])


STATUS = {"optimal": "solved within the gap", "time_limit": "stopped at the time limit"}


def _in_sample(row: dict[str, Any]) -> str:
    """What holding the base plan costs more in sample: at least (against the shape's best
    plan) to at most (against its proven bound)."""
    lo, hi = row.get("regret"), row.get("regret_max")
    if lo is None or fmt.missing(lo):
        return fmt.DASH
    wider = hi is not None and not fmt.missing(hi) and float(hi) > float(lo) + 0.5
    return _signed(lo) + (f" to {_signed(hi)}" if wider else "")


def _oos(row: dict[str, Any]) -> str:
    """Out of sample, what holding the base plan costs more than the shape's own plan, with
    its paired 95 % interval; 'no difference' where the interval holds 0."""
    d = (row.get("out_of_sample") or {}).get("base_minus_shape") or {}
    if fmt.missing(d.get("mean")):
        return fmt.DASH
    lo, hi = d["ci95"]
    text = f"{_signed(d['mean'])} [{fmt.money(lo)}, {fmt.money(hi)}]"
    return text + (": no difference" if lo <= 0 <= hi else "")


def _shapes_table(ts: dict[str, Any]) -> Table:
    base = ts.get("base") or {}
    rows: list[list[Any]] = [["as in the instance", _ratios(base.get("ratios") or []),
                              "the solve above", base.get("objective"), None, fmt.DASH,
                              fmt.DASH, None,
                              "the recommended plan"]]
    rows += [[f"{r['shape']} (exponent {r['gamma']:g})", _ratios(r.get("ratios") or []),
              STATUS.get(r["status"], r["status"]),
              r.get("objective"), r.get("gap"), _in_sample(r), _oos(r), r.get("moved_share"),
              _moves(r.get("materials") or []) if r.get("objective") is not None else fmt.DASH]
             for r in ts.get("shapes") or []]
    return Table("Plan under other tier shapes", [
        Column("Tier shape"), Column("Tier costs, ratio to the cheapest"), Column("Status"),
        Column("Expected cost under the shape (USD)", fmt.usd, True),
        Column("Proven gap", fmt.gap, True),
        Column("Base plan's extra cost, in sample"),
        Column("Base plan's extra cost, out of sample (95 % interval)"),
        Column("Plan moved", fmt.percent, True),
        Column("Tonnes bought, change per material")], rows)


def _shape_paragraph(ts: dict[str, Any]) -> str:
    opts = ts.get("options") or {}
    limit = opts.get("time_limit")
    oos = opts.get("oos_scenarios") or 0
    return (
        "The tier shape (how much dearer an essential tonne unmet is than a general one) has "
        "no published basis: the tier costs' scale per material is anchored on published USGS "
        "GDP-loss estimates, but the 500 : 100 : 10 steps are assumed (docs/data.md). So the "
        "plan is re-solved under a flatter and a steeper shape: each row's tier costs keep "
        "their cheapest tier (the one the GDP-loss anchor pins for most materials) and raise "
        "the ratios of the others to it to the power of the exponent. Each re-solve starts "
        "from the recommended "
        f"plan and stops at a relative gap of {fmt.gap(opts.get('mip_gap'))}"
        + (f" or after {fmt.seconds(limit)}" if limit else "")
        + "; its proven gap is shown, and a change of expected cost within it is not an "
        "effect. 'Base plan's extra cost' is what holding the recommended plan costs more "
        "than re-optimising if that shape were the true one: in sample on the instance's "
        "scenarios (against the shape's proven solution)"
        + (f", and out of sample on {fmt.integer(oos)} fresh library scenarios (paired)."
           if oos else ".")
        + " 'Plan moved' is the purchase spend that changes, as a share of the recommended "
        "plan's.")


def _shape_clause(r: dict[str, Any]) -> str:
    """One shape in the summary's words: how much of the plan moves, and what holding the
    recommended plan costs if that shape were the true one (out of sample where measured)."""
    name = f"a {r['shape']} shape (exponent {r['gamma']:g})"
    if r.get("objective") is None:
        return f"under {name} no plan was found ({r.get('status')})"
    moved, change = r.get("moved_share") or 0.0, _moves(r.get("materials") or [])
    moves = (f"{fmt.percent(moved)} of the purchase spend moves ({change})"
             if not fmt.missing(moved) and float(moved) > 0 else "the plan does not move")
    d = (r.get("out_of_sample") or {}).get("base_minus_shape") or {}
    if fmt.missing(d.get("mean")):
        cost = f"in sample it costs {_in_sample(r)} more"
    else:
        lo, hi = d["ci95"]
        cost = (f"holding this plan instead costs {_signed(d['mean'])} out of sample "
                f"[{fmt.money(lo)}, {fmt.money(hi)}]"
                + (", no measurable difference" if lo <= 0 <= hi else ""))
    return f"under {name} {moves}; {cost}"


def tier_shapes_bullets(result: dict[str, Any]) -> list[str]:
    """The summary's line on the assumption that drives the answer (issue 20 item 12): the
    tier shape is assumed, and how the plan moves under the other shapes."""
    ts = result.get("tier_shapes") or {}
    shapes = ts.get("shapes") or []
    if not shapes:
        return []
    return ["The shape of the shortfall tiers (how much dearer an essential tonne unmet is "
            "than a general one) is assumed, with no published basis: "
            + "; ".join(_shape_clause(r) for r in shapes)
            + " (section 'How firm the assumptions are')."]


def tier_shapes_section(solved: Any) -> Section:
    """The section for the solve report (``solved``: content.Solved or a result dict)."""
    result = solved if isinstance(solved, dict) else solved.result
    ts = result.get("tier_shapes")
    sec = Section("tier-shapes", "How firm the assumptions are: sources and tier shapes")
    if not ts:
        sec.paragraphs.append(
            "Not computed for this report ('stockpile solve' computes it unless "
            "--no-tier-shapes is given): the basis of each assumption and the plan under "
            "other shapes of the shortfall tiers.")
        return sec
    basis = ts.get("assumptions") or []
    if basis:
        counts = {b: sum(r.get("basis") == b for r in basis) for b in BASIS_WORDS}
        sec.paragraphs.append(
            "Each figure behind the plan, marked "
            + ", ".join(f"{fmt.integer(n)} {BASIS_WORDS[b]}" for b, n in counts.items())
            + "; assumed figures first.")
        sec.tables.append(_basis_table(basis))
    else:
        sec.paragraphs.append("The instance marks none of its figures sourced, derived or "
                              "assumed (its 'assumptions' block is empty).")
    if ts.get("skipped"):
        sec.paragraphs.append(f"Tier shapes: not compared ({ts['skipped']}).")
    elif ts.get("shapes"):
        sec.paragraphs.append(_shape_paragraph(ts))
        sec.tables.append(_shapes_table(ts))
    return sec
