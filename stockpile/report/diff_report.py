"""``stockpile diff A B``: two solve results side by side (plans, costs, agreements, binding
limits), the differences first. Figures are read from each result.json; nothing is solved."""

from __future__ import annotations

import math
from typing import Any

from . import format as fmt
from . import svg
from .content import PAIR, Column, Document, Section, Table

TOL = 1e-6


def _label(r: dict[str, Any]) -> str:
    inst = r.get("instance") or {}
    what = "; ".join(r.get("whatif") or [])
    return f"{inst.get('name')} ({r.get('mode')}{', ' + what if what else ''})"


def _diff(a: Any, b: Any) -> float | None:
    if fmt.missing(a) or fmt.missing(b):
        return None
    return float(b) - float(a)


def _changed(a: Any, b: Any) -> bool:
    d = _diff(a, b)
    return d is not None and abs(d) > TOL * max(1.0, abs(float(a)), abs(float(b)))


def proven_gap(solver: dict[str, Any]) -> float:
    """objective - proven bound of one solve (USD); infinite when either is missing."""
    obj, bound = solver.get("objective"), solver.get("bound")
    if obj is None or bound is None or fmt.missing(obj) or fmt.missing(bound):
        return math.inf
    return abs(float(obj) - float(bound))


def within_gaps(a: dict[str, Any], b: dict[str, Any]) -> tuple[bool, float]:
    """Whether B's objective differs from A's by no more than the two solves' proven gaps
    summed (so the difference may be solver tolerance, not an effect), and that sum."""
    gaps = proven_gap(a.get("solver") or {}) + proven_gap(b.get("solver") or {})
    d = _diff((a.get("solver") or {}).get("objective"), (b.get("solver") or {}).get("objective"))
    return d is not None and abs(d) <= gaps, gaps


def _plans(a: dict[str, Any], b: dict[str, Any]) -> list[list[Any]]:
    pa = {(p["holder"], p["product"]): p for p in a.get("plan") or []}
    pb = {(p["holder"], p["product"]): p for p in b.get("plan") or []}
    rows = []
    for key in list(pa) + [k for k in pb if k not in pa]:
        x, y = pa.get(key) or {}, pb.get(key) or {}
        rows.append([key[0], key[1], x.get("stock_t", 0.0), y.get("stock_t", 0.0),
                     _diff(x.get("stock_t", 0.0), y.get("stock_t", 0.0)),
                     x.get("purchase_cost", 0.0), y.get("purchase_cost", 0.0),
                     _diff(x.get("purchase_cost", 0.0), y.get("purchase_cost", 0.0))])
    return sorted(rows, key=lambda r: -abs(r[7] or 0.0) - abs(r[4] or 0.0))


def _agreement_rows(a: dict[str, Any], b: dict[str, Any]) -> list[list[Any]]:
    """[agreement, signed in A, signed in B], the ones that differ first."""
    ags_a = {f"{PAIR.join(g['holders'])} ({g['material']})": g.get("signed")
             for g in a.get("agreements") or []}
    ags_b = {f"{PAIR.join(g['holders'])} ({g['material']})": g.get("signed")
             for g in b.get("agreements") or []}
    ag_rows = [[k, ags_a.get(k), ags_b.get(k)] for k in list(ags_a) + [
        k for k in ags_b if k not in ags_a]]
    ag_rows.sort(key=lambda r: r[1] == r[2])
    return ag_rows


def _out_of_sample(r: dict[str, Any]) -> tuple[float, int, Any] | None:
    """(mean, scenarios, seed) of the result's own plan in its out-of-sample check, if any."""
    check = (r.get("evidence") or {}).get("out_of_sample") or {}
    rows = check.get("plans") or []
    if not rows or rows[0].get("mean") is None:
        return None
    return float(rows[0]["mean"]), int(check.get("scenarios", 0)), check.get("seed")


def _totals(r: dict[str, Any]) -> str:
    """A result's expected total cost: out of sample first where it was checked, then the
    in-sample objective, labelled (issue 20: what a reader sees first is what holds)."""
    solver, oos = r.get("solver") or {}, _out_of_sample(r)
    in_sample = f"{fmt.money(solver.get('objective'))} in sample"
    if oos is None:
        return f"{in_sample} (no out-of-sample check in this result)"
    return f"{fmt.money(oos[0])} out of sample ({oos[1]:,} fresh scenarios), {in_sample}"


def _out_of_sample_difference(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """B minus A out of sample, when both were checked on the same fresh sample."""
    oa, ob = _out_of_sample(a), _out_of_sample(b)
    if oa is None or ob is None or oa[1:] != ob[1:]:
        return []
    return [f"Expected total cost out of sample (the same {oa[1]:,} fresh scenarios, seed "
            f"{oa[2]}), B minus A: {fmt.money(ob[0] - oa[0])}."]


def _summary(a: dict[str, Any], b: dict[str, Any], plans: list[list[Any]],
             moved: list[list[Any]], ag_rows: list[list[Any]]) -> Section:
    sa, sb = a.get("solver") or {}, b.get("solver") or {}
    d_obj = _diff(sa.get("objective"), sb.get("objective"))
    bullets = [f"A: {_label(a)}, {_totals(a)} ({sa.get('status')}).",
               f"B: {_label(b)}, {_totals(b)} ({sb.get('status')}).",
               *_out_of_sample_difference(a, b),
               "Expected total cost in sample (each on its own scenarios), B minus A: "
               f"{fmt.money(d_obj)}"
               + (f" ({fmt.percent(d_obj / abs(sa['objective']), 2)})"
                  if d_obj is not None and sa.get("objective") else "") + ".",
               f"Plan: {len(moved)} of {len(plans)} holdings differ in stock; agreements "
               f"that differ: {sum(1 for r in ag_rows if r[1] != r[2])}."]
    noise, gaps = within_gaps(a, b)
    if noise:
        bullets.insert(len(bullets) - 1, (
            f"NOT AN EFFECT: the difference of expected total cost is within the two solves' "
            f"proven gaps ({fmt.money(gaps)}, objective minus bound, summed). Both plans are "
            "optimal to within the gaps for their own data, so the cost change and the "
            "holdings that differ may be solver tolerance (another plan of the same proven "
            "quality), not an effect of what changed between A and B."))
    if (a.get("instance") or {}).get("content_hash") != (b.get("instance") or {}).get(
            "content_hash"):
        bullets.append("The two results come from different instance data (content hashes "
                       "differ): a what-if or an edited instance.")
    return Section("summary", "Differences first", bullets=bullets)


def _costs_section(a: dict[str, Any], b: dict[str, Any]) -> Section:
    sa, sb = a.get("solver") or {}, b.get("solver") or {}
    ta, tb = a.get("objective_terms") or {}, b.get("objective_terms") or {}
    d_obj = _diff(sa.get("objective"), sb.get("objective"))
    return Section("costs", "Cost terms", tables=[Table("Costs", [
        Column("Term"), Column("A (USD)", fmt.usd, True), Column("B (USD)", fmt.usd, True),
        Column("B minus A (USD)", fmt.usd, True)],
        [*sorted([[k, ta.get(k), tb.get(k), _diff(ta.get(k), tb.get(k))]
                  for k in [*ta, *(k for k in tb if k not in ta)]],
                 key=lambda r: -abs(r[3] or 0.0)),
         ["Total (objective)", sa.get("objective"), sb.get("objective"), d_obj],
         ["Proven gap (objective minus bound)", proven_gap(sa), proven_gap(sb),
          proven_gap(sa) + proven_gap(sb)]])],
        paragraphs=["The last row's difference column is the two proven gaps summed: a "
                    "change of the total smaller than it is not an effect."])


def _limits_section(a: dict[str, Any], b: dict[str, Any]) -> Section:
    la_lim = {(r["kind"], r["name"]): r for r in (a.get("why") or {}).get("limits") or []}
    lb_lim = {(r["kind"], r["name"]): r for r in (b.get("why") or {}).get("limits") or []}
    lim_rows = [[k[0], k[1], (la_lim.get(k) or {}).get("binding"),
                 (lb_lim.get(k) or {}).get("binding"),
                 (la_lim.get(k) or {}).get("marginal_value"),
                 (lb_lim.get(k) or {}).get("marginal_value")]
                for k in list(la_lim) + [k for k in lb_lim if k not in la_lim]]
    lim_rows.sort(key=lambda r: (r[2] == r[3], -abs(_diff(r[4] or 0.0, r[5] or 0.0) or 0.0)))
    return Section("limits", "Binding limits and marginal values", tables=[Table("Limits", [
        Column("Limit"), Column("Name"), Column("Binding in A", fmt.yes_no),
        Column("Binding in B", fmt.yes_no), Column("Marginal value A (USD/unit)",
                                                   lambda v: fmt.number(v, 2), True),
        Column("Marginal value B (USD/unit)", lambda v: fmt.number(v, 2), True)],
        lim_rows)] if lim_rows else [])


def diff_document(a: dict[str, Any], b: dict[str, Any]) -> Document:
    la, lb = _label(a), _label(b)
    plans = _plans(a, b)
    moved = [r for r in plans if _changed(r[2], r[3])]
    ag_rows = _agreement_rows(a, b)
    plan = Section("plan", "Stock and purchases per holder and product, largest change first",
                   paragraphs=[f"{len(plans) - len(moved)} holdings are the same in both; "
                               "they are listed after the ones that differ."],
                   tables=[Table("Plans", [
                       Column("Holder"), Column("Product"), Column("Stock A (t)", fmt.tonnes, True),
                       Column("Stock B (t)", fmt.tonnes, True),
                       Column("Stock B minus A (t)", fmt.tonnes, True),
                       Column("Purchase A (USD)", fmt.usd, True),
                       Column("Purchase B (USD)", fmt.usd, True),
                       Column("Purchase B minus A (USD)", fmt.usd, True)], plans)])
    agreements = Section("agreements", "Agreements, differences first", tables=[Table(
        "Agreements", [Column("Agreement"), Column("Signed in A", fmt.yes_no),
                       Column("Signed in B", fmt.yes_no)], ag_rows)] if ag_rows else [],
        paragraphs=[] if ag_rows else ["Neither result has candidate agreements."])
    return Document(f"Two results side by side: {la} and {lb}", f"A = {la}; B = {lb}",
                    _summary(a, b, plans, moved, ag_rows),
                    [plan, _costs_section(a, b), agreements, _limits_section(a, b)])


def diff_charts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    def stock_chart(_: Any) -> list[tuple[str, str]]:
        items = [(f"{r[0]} \u00b7 {r[1]}", r[7]) for r in _plans(a, b) if _changed(r[5], r[6])]
        return svg.largest_bars(
            items, "Purchase spend, B minus A, per holder and product (largest change first)",
            fmt.money, "Purchase B minus A (USD)", "Holder \u00b7 product")
    return {"plan": [stock_chart]}
