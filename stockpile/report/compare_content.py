"""What the comparison report says, independent of its format.

:func:`compare_document` turns a comparison result (the dict written as compare.json) into a
:class:`~stockpile.report.content.Document`, so Markdown, HTML and Excel render the same
content. Nothing here computes a model quantity; figures are taken from the result.
"""

from __future__ import annotations

import math
from typing import Any

from . import format as fmt
from .content import PAIR, Column, Document, Section, Table

MODE_NAMES = {"national": "National (no sharing)", "bilateral": "Bilateral agreements",
              "pooled": "Pooled stocks (one joint pool)"}


def _m(name: str) -> Column:
    return Column(f"{name} (USD)", fmt.usd, True)


def voc_sentence(mode: str, v: dict[str, Any]) -> str:
    """The value of cooperation in words; a difference inside the gaps is never a gain."""
    name = MODE_NAMES[mode]
    if v["verdict"] == "gain":
        return (f"{name} save {fmt.money(v['difference'])} ({fmt.percent(v['percent'])}) "
                f"against national stockpiles; after the solvers' proven gaps the saving is "
                f"at least {fmt.money(v['proven_low'])}.")
    if v["verdict"] == "no difference":
        return f"{name}: no saving against national stockpiles (the same optimal cost)."
    if v["verdict"] == "loss":
        return (f"{name} costs {fmt.money(-v['difference'])} MORE than national stockpiles "
                "(check the instance: cooperation should never cost more).")
    return (f"{name}: the difference of {fmt.money(v['difference'])} against national is "
            f"within the solvers' proven gaps (the true difference lies between "
            f"{fmt.money(v['proven_low'])} and {fmt.money(v['proven_high'])}): not a proven "
            "gain.")


def _gain(x: float) -> str:
    """A saving in words: 'saves USD 5.0 M' or 'pays USD 158.0 M more'."""
    return f"saves {fmt.money(x)}" if x >= 0 else f"pays {fmt.money(-x)} more"


def _tol(s: dict[str, Any]) -> float:
    """A stand-alone row's tolerance from the solver gaps (None in JSON: no proven bound)."""
    return math.inf if s.get("tolerance") is None else float(s["tolerance"])


def _against_alone(r: dict[str, Any]) -> list[str]:
    """Who pays more than standing alone, under the bilateral settlement and under the
    Shapley split, in plain words (compare.standalone_rows)."""
    rows = r.get("standalone") or []
    if not rows:
        return []
    g = r["game"]
    out = ["Against standing alone, c({h}) (each holder's own optimum with its entitlement "
           "to the market caps): " + "; ".join(
               f"{s['holder']} alone {fmt.money(s['standalone'])}, Shapley share "
               f"{fmt.money(s['shapley'])} ({_gain(-s['shapley_minus_alone'])}), bilateral "
               f"settlement {fmt.money(s['bilateral'])} ({_gain(-s['bilateral_minus_alone'])})"
               for s in rows) + f" (Shapley value, {g['method']})."]
    for key, what in (("bilateral", "under the bilateral settlement (transfers paid at "
                                    "replacement price, no side payment)"),
                      ("shapley", "under the Shapley split")):
        more = [s for s in rows if s.get(f"{key}_pays_more")]
        out.append(f"Who pays more than alone {what}: " + ("; ".join(
            f"{s['holder']}, {fmt.money(s[f'{key}_minus_alone'])} more" for s in more)
            if more else "nobody, beyond the solver gaps") + ".")
    payers = [s for s in rows if s["bilateral"] is not None
              and s["shapley"] - s["bilateral"] > _tol(s)]
    if payers:
        out.append("From the bilateral settlement to the Shapley split: " + "; ".join(
            f"{s['holder']} pays {fmt.money(s['shapley'] - s['bilateral'])}" for s in payers)
            + " to the others, though "
            + ("it still pays less than alone" if all(not s["shapley_pays_more"]
                                                      for s in payers) else
               "that takes it above its stand-alone cost") + ".")
    cheaper = [s for s in rows if s.get("national_minus_alone") is not None
               and s["national_minus_alone"] < -_tol(s)]
    if cheaper:
        out.append("National costs are not stand-alone costs: " + "; ".join(
            f"{s['holder']}'s national cost {fmt.money(s['national'])} is "
            f"{fmt.money(-s['national_minus_alone'])} below its stand-alone cost" for s in cheaper)
            + ", because the national optimum shares the market caps between the holders "
            "(constraint 4 is joint) and gives cap room that another holder's entitlement "
            "holds to whoever gains most from it. A gain or loss 'against national' is "
            "measured from that shared allocation; the fair split is measured from standing "
            "alone.")
    return out


def _solver_line(mode: str, s: dict[str, Any]) -> str:
    return f"{MODE_NAMES[mode]}: {s.get('summary')}."


def _summary(r: dict[str, Any]) -> Section:
    b = [_solver_line(m, d["solver"]) for m, d in r["modes"].items()]
    if not r.get("ok"):
        b.append("No comparison: a mode has no plan. " + "; ".join(
            f"{m}: {why}" for m, why in r["failed_modes"].items()))
        return Section("summary", "Executive summary", bullets=b)
    b += [voc_sentence(j, v) for j, v in r["value_of_cooperation"].items()]
    g = r.get("game") or {}
    if g.get("available"):
        b += _against_alone(r)
        b.append(g["core"]["sentence"])
    elif g:
        b.append(f"Shapley split not computed: {g.get('reason')}.")
    gains = [h for h in r["holders"] if h["mode"] == "bilateral"]
    if gains:
        b.append("Settled cost under bilateral agreements against the national optimum "
                 "(which still shares the market caps, so it is not what a holder could do "
                 "alone): " + "; ".join(
                     f"{h['holder']} {_gain(h['gain_vs_national'])}"
                     + (" (within the solver gaps: not an effect)"
                        if h.get("gain_within_gaps") else "") for h in gains) + ".")
    for row in r.get("sharing_rules") or []:
        if row["rule"] != "optimised" and row["extra_cost"] is not None:
            b.append(f"{MODE_NAMES[row['mode']]}, {row['name']}: expected cost "
                     f"{fmt.money(row['objective'])}, {fmt.money(row['extra_cost'])} more "
                     "than optimised sharing of the same stocks"
                     + (" (within the solver gaps: not an effect)."
                        if row.get("extra_within_gaps") else "."))
    if r.get("whatif"):
        b.append("What-if overrides applied: " + "; ".join(r["whatif"]) + ".")
    return Section("summary", "Executive summary", bullets=b)


def _modes(r: dict[str, Any]) -> Section:
    voc = r["value_of_cooperation"]
    rows = []
    for m, d in r["modes"].items():
        s, t = d["solver"], d["objective_terms"]
        v = voc.get(m) or {}
        rows.append([MODE_NAMES[m], s["status"], s["objective"], s["bound"], s["gap"],
                     d["first_stage_cost"], t["expected_shortfall"], v.get("difference"),
                     v.get("percent"), v.get("proven_low"), v.get("verdict")])
    cols = [Column("Mode"), Column("Status"), _m("Expected total cost"), _m("Proven bound"),
            Column("Gap", fmt.gap, True), _m("First-stage cost"), _m("Expected shortfall"),
            _m("Saving vs national"), Column("Saving (%)", fmt.percent, True),
            _m("Proven saving at least"), Column("Verdict")]
    return Section("modes", "Modes and the value of cooperation", paragraphs=[
        "The same instance and scenarios solved three ways. Saving = national cost minus the "
        "mode's cost; with the proven bounds the true saving is at least the 'proven' "
        "column. A saving smaller than the gaps is shown as such, not as a gain."],
        tables=[Table("Modes", cols, rows)])


def _holders(r: dict[str, Any]) -> Section:
    keys = ["purchase_and_holding", "residual_value", "fixed_costs", "expected_shortfall",
            "expected_transport_and_conversion", "transfer_settlement", "settled",
            "gain_vs_national"]
    cols = [Column("Holder"), Column("Mode"), _m("Purchase and holding"),
            _m("Residual value (credit)"), _m("Programmes, facilities, agreements"),
            _m("Expected shortfall"), _m("Expected transport and conversion"),
            _m("Transfer settlement"), _m("Expected cost, settled"), _m("Gain vs national"),
            Column("Gain within the solver gaps", fmt.yes_no)]
    return Section("holders", "Cost per holder and mode, transfers settled", paragraphs=[
        "What each country would see: the receiver of a transfer pays the sender the "
        "product's replacement price (positive settlement: net payer). The items add up "
        "to the settled cost; the residual value is the part of the purchase price the "
        "holder gets back (stock is an asset), a credit. 'Gain vs national' is measured "
        "from the national optimum, which still shares the market caps between the "
        "holders: the fair split (section 'Fair split') is measured from standing alone. "
        "A gain no larger than the two solves' proven gaps is marked: it is not an effect."],
        tables=[Table("Holders", cols, [[h["holder"], h["mode"], *(h.get(k) for k in keys),
                                         h.get("gain_within_gaps")]
                                        for h in r["holders"]])])


def _cover(r: dict[str, Any]) -> Section:
    cols = [Column("Holder"), Column("Material"), Column("Mode"),
            Column("Stock (t)", fmt.tonnes, True), Column("Annual demand (t)", fmt.tonnes, True),
            Column("Days of cover", fmt.days, True)]
    rows = [[c["holder"], c["material"], c["mode"], c["stock_t"], c["annual_demand_t"],
             c["days_of_cover"]] for c in r["cover"]]
    return Section("cover", "Days of cover by holder, material and mode", paragraphs=[
        "Days of cover = 365 x stock / annual demand, grades of a material added in tonnes "
        "(per material; the solve report gives it per grade or form, where stock of one "
        "grade that can be converted to another is not counted for the other)."],
        tables=[Table("Days of cover", cols, rows)] if rows else [])


def _flows(r: dict[str, Any]) -> Section:
    rows = [[f["mode"], f["scenario"], f["probability"], f["from"], f["to"], f["material"],
             f["tonnes"]] for f in r["flows"]]
    sec = Section("flows", "Flows between holders in the scenarios that use them",
                  paragraphs=["Tonnes shipped over the whole horizon of each scenario, if that "
                              "scenario happens; the chart weights them by the scenario's "
                              "probability (expected tonnes)."])
    if rows:
        sec.tables.append(Table("Flows", [
            Column("Mode"), Column("Scenario"), Column("Probability", fmt.probability, True),
            Column("From"), Column("To"), Column("Material"),
            Column("Tonnes", fmt.tonnes, True)], rows))
    else:
        sec.paragraphs.append("No stock moves between holders in any scenario or mode.")
    ags = (r["modes"]["bilateral"].get("agreements") or [])
    if ags:
        sec.tables.append(Table("Agreements", [
            Column("Holders"), Column("Material"), Column("Signed", fmt.yes_no),
            Column("Share cap", fmt.percent, True), _m("Fixed cost")],
            [[PAIR.join(a["holders"]), a["material"], a["signed"], a["share_cap"],
              a["fixed_cost"]] for a in ags]))
    return sec


def _game(r: dict[str, Any]) -> Section:
    g = r.get("game") or {}
    sec = Section("game", "Fair split: Shapley value and the core", paragraphs=[
        "c(S) is the bilateral optimum of the instance restricted to coalition S (its "
        "holders alone, agreements only inside it). The Shapley value averages each "
        "holder's marginal cost over every order of joining; the core is the set of splits "
        "where no coalition pays more than its stand-alone cost."])
    if not g.get("available"):
        sec.paragraphs.append(f"Not computed: {g.get('reason', 'not requested')}.")
        return sec
    sec.paragraphs.append(g["core"]["sentence"])
    sec.tables.append(Table("Shapley", [
        Column("Holder"), _m("Stand-alone cost"), _m("Shapley share"), _m("Saving"),
        Column("Sampling std. error (USD)", fmt.usd, True),
        Column("Max shift from solver gaps (USD)", fmt.usd, True)],
        [[s["holder"], s["standalone"], s["shapley"], s["saving"], s["standard_error"],
          s["gap_effect"]] for s in g["shapley"]]))
    sec.paragraphs.append(
        "Reconciling the figures per holder, all against standing alone c({h}): the holder "
        "solved alone, with its entitlement to each market cap (the share of the cap that "
        "its demand is of all holders' demand). National: the holder's settled cost when "
        "all holders are solved together without sharing stock; it differs from c({h}) "
        "because the market caps (beta_m W_m) are shared by all holders together, so the "
        "national optimum can give one holder cap room that another's entitlement holds "
        "(that holder's national cost is then below its stand-alone cost, the other's "
        "above). Bilateral settled: what the holder pays under the bilateral optimum with "
        "transfers settled at replacement price. Shapley: the fair split of the joint "
        "bilateral cost. 'Pays more than alone' is marked only beyond the solver gaps "
        "(the holder's own and the joint solve's). The Shapley shares and the bilateral "
        "settled costs each add up to the joint bilateral cost, up to the solvers' gaps.")
    sec.tables.append(Table("Reconciliation", [
        Column("Holder"), _m("Stand-alone c({h})"), _m("National settled"),
        _m("National minus alone"), _m("Bilateral settled"), _m("Bilateral minus alone"),
        _m("Shapley share"), _m("Shapley minus alone"),
        _m("Side payment to reach Shapley (+ pays)"), Column("Pays more than alone")],
        [[s["holder"], s["standalone"], s["national"], s["national_minus_alone"],
          s["bilateral"], s["bilateral_minus_alone"], s["shapley"], s["shapley_minus_alone"],
          None if s["bilateral"] is None else s["shapley"] - s["bilateral"], _pays_more(s)]
         for s in r.get("standalone") or []]))
    c = g["core"]
    sec.tables.append(Table("Core", [Column("Item"), Column("Value")], [
        ["Least-core eps* (USD; > 0 means the core is empty)", fmt.usd(c["least_core_eps"])],
        ["Largest excess of the Shapley split (USD)", fmt.usd(c["shapley_max_excess"])],
        ["Coalition where it is reached", ", ".join(c["shapley_worst"])],
        ["Tolerance from solver gaps (USD)", fmt.usd(c["tolerance"])],
        ["Coalitions checked", fmt.integer(c["coalitions_checked"])],
        ["Least-core split", "; ".join(f"{h} {fmt.usd(v)}"
                                       for h, v in c["least_core_split"].items())]]))
    sec.tables.append(Table("Coalitions", [
        Column("Coalition"), Column("Status"), _m("Cost c(S)"), _m("Proven bound"),
        Column("Gap", fmt.gap, True), Column("Seconds", fmt.seconds, True)],
        [[", ".join(c["members"]), c["status"], c["objective"], c["bound"], c["gap"],
          c["seconds"]] for c in g["coalitions"]]))
    return sec


def _pays_more(s: dict[str, Any]) -> str:
    where = [name for key, name in (("national", "national"), ("bilateral", "bilateral "
                                    "settlement"), ("shapley", "Shapley split"))
             if s.get(f"{key}_pays_more")]
    return "under the " + ", the ".join(where) if where else "no"


def _rules(r: dict[str, Any]) -> Section:
    rows = r.get("sharing_rules") or []
    sec = Section("rules", "Rule-based (IEA-style) sharing next to optimised sharing",
                  paragraphs=[
                      "Same first-stage purchases and agreements as each joint mode's optimum, "
                      "same scenarios. Under a rule, each holder's contribution to a "
                      "period's collective release (shipments to partners, plus the part of "
                      "its own release it counts) is a fixed share of the whole: in "
                      "proportion to the stock it holds (reserve commitment) or to its annual "
                      "demand (consumption). A holder may always use its own stock for "
                      "itself. See docs/compare.md."])
    if not rows:
        sec.paragraphs.append("Not evaluated.")
        return sec
    holders = sorted({h for row in rows for h in row["holders"]})
    sec.tables.append(Table("Sharing rules", [
        Column("Mode"), Column("Sharing"), Column("Status"), _m("Expected total cost"),
        _m("More than optimised")] + [_m(f"{h} settled") for h in holders],
        [[row["mode"], row["name"], row["status"], row["objective"], row["extra_cost"],
          *(row["holders"].get(h) for h in holders)] for row in rows]))
    return sec


def _assumptions(r: dict[str, Any]) -> Section:
    inst, o = r["instance"], r["options"]
    rows = [["Instance", inst["name"]], ["Content hash", inst["content_hash"]],
            ["Content hash after what-ifs", inst["content_hash_after_whatif"]],
            ["What-if overrides", "; ".join(r.get("whatif") or []) or "none"],
            ["Holders, materials, products, periods, scenarios", ", ".join(
                fmt.integer(inst[k]) for k in ("holders", "materials", "products", "periods",
                                               "scenarios"))],
            ["Solver options", fmt.options({k: v for k, v in o.items()
                                             if k not in ("workers", "permutations", "seed")})],
            ["Parallel processes", fmt.integer(o["workers"])],
            ["Sampled orders, seed (used above 6 holders)",
             f"{o['permutations']}, {o['seed']}"],
            ["Wall time of the comparison", fmt.seconds(r.get("seconds"))],
            ["stockpile version", r["stockpile_version"]], ["Created (UTC)", r["created_utc"]]]
    sec = Section("assumptions", "Assumptions and provenance",
                  tables=[Table("Assumptions", [Column("Item"), Column("Value")], rows)])
    sec.bullets = [str(s) for s in inst.get("sources") or []]
    return sec


def compare_document(r: dict[str, Any]) -> Document:
    """The comparison report's content."""
    name = r["instance"]["name"]
    title = f"Joint versus national stockpiles: {name}"
    subtitle = f"Instance '{name}', national / bilateral / pooled, created {r['created_utc']}"
    if not r.get("ok"):
        return Document(title, subtitle, _summary(r), [_assumptions(r)])
    sections = [_modes(r), _holders(r), _cover(r), _flows(r), _game(r), _rules(r),
                _assumptions(r)]
    return Document(title, subtitle, _summary(r), sections)
