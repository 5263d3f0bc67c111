"""Reports of ``stockpile evaluate`` and ``stockpile frontier``: one :class:`Document` each,
rendered by the solve report's Markdown, HTML (inline SVG charts) and Excel renderers, plus
CSV and JSON, written all or nothing like the solve report."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import cells, svg
from . import format as fmt
from .content import WHATIF, Column, Document, Section, Table
from .files import write_folder, write_json
from .html import ChartMaker, html_document
from .markdown import markdown
from .xlsx import write_xlsx


def _ci(v: Any) -> str:
    return fmt.DASH if not v else f"{fmt.usd(v[0])} to {fmt.usd(v[1])}"


def _diff_ci(v: Any) -> str:
    return fmt.DASH if not v else _ci(v["ci95"])


PLAN_COLUMNS = [("Plan", "plan", fmt.text, False),
                ("Days of cover", "days_of_cover", fmt.days, True),
                ("First stage (USD)", "first_stage_cost", fmt.usd, True),
                ("Mean cost (USD)", "mean", fmt.usd, True), ("95% CI (USD)", "ci95", _ci, True),
                ("Median (USD)", "p50", fmt.usd, True),
                ("95th percentile (USD)", "p95", fmt.usd, True),
                ("CVaR 95% (USD)", "cvar95", fmt.usd, True),
                ("Expected shortfall (USD)", "expected_shortfall", fmt.usd, True),
                ("Mean minus first plan, 95% CI (USD)", "minus_first", _diff_ci, True),
                ("P(any shortfall)", "probability_any_shortfall", fmt.percent, True)]


def _rows_table(sheet: str, rows: Sequence[dict[str, Any]],
                cols: Sequence[tuple[str, str, Any, bool]]) -> Table:
    """A table of dict rows. Composite cells (intervals) go to Excel as their text."""
    composite = [any(isinstance(r.get(k), (list, dict)) for r in rows) for _, k, _, _ in cols]
    columns = [Column(name, fmt.text if comp else show, numeric)
               for (name, _, show, numeric), comp in zip(cols, composite)]
    raw = [[show(r.get(k)) if comp else r.get(k)
            for (_, k, show, _), comp in zip(cols, composite)] for r in rows]
    return Table(sheet, columns, raw)


def cheaper_than_first(res: dict[str, Any]) -> list[str]:
    """Plans whose mean cost is below the first plan's with 95% confidence (the paired
    difference's whole interval below zero)."""
    return [p["plan"] for p in res["plans"][1:]
            if p.get("minus_first") and p["minus_first"]["ci95"][1] < 0]


def _optimised_on(res: dict[str, Any]) -> str:
    n = res.get("in_sample_scenarios")
    return f"the {n} scenarios the plan was optimised on" if n else \
        "the scenarios the plan was optimised on"


def warning_text(res: dict[str, Any]) -> str:
    """Said plainly when a rule beats the plan out of sample: the scenarios the plan was
    optimised on do not represent the evaluation sample."""
    status = str(res["plans"][0].get("status") or "")
    if status.startswith("infeasible"):
        return (f"Warning: the {res['plans'][0]['plan']} plan is not one the model could take "
                f"({status.removeprefix('infeasible: ')}). Its costs are shown for comparison "
                "only; every other plan is held to the budgets, storage and market caps.")
    beaten = cheaper_than_first(res)
    if not beaten:
        return ""
    first = res["plans"][0]["plan"]
    optimised_on = _optimised_on(res)
    return (f"Warning: {', '.join(beaten)} cost less than the {first} plan on these "
            f"{res['scenarios']:,} scenarios (the paired 95% interval of the difference is "
            f"below zero). {optimised_on[0].upper()}{optimised_on[1:]} do not represent this "
            "sample. Generate them from the same event library, e.g. 'stockpile scenarios "
            "INSTANCE --n 2000 --reduce 100 --out NEW.yaml', solve NEW.yaml and evaluate again "
            "before recommending the plan.")


def _paired(name: str, d: dict[str, Any] | None) -> list[Any] | None:
    if not d:
        return None
    return [name, d["mean"], d["std_error"], d["ci95"][0], d["ci95"][1]]


def evaluation_document(res: dict[str, Any]) -> Document:
    """The evaluation report's content: rendered as Markdown, HTML and Excel."""
    warning = warning_text(res)
    bullets = [warning] if warning else []
    if res.get("whatif"):
        bullets.append(WHATIF + "; ".join(res["whatif"]) + ".")
    first = res["plans"][0]
    bullets.append(
        f"{res['scenarios']:,} fresh scenarios (seed {res['seed']}, time structure "
        f"{res['structure']}), independent of {_optimised_on(res)}; mode {res['mode']}. A "
        "sample is fixed by its size and seed: stockpile solve checks its plan on 5,000 "
        "draws with seed 20260 by default (--check-scenarios), which this command "
        "reproduces exactly with --n 5000 --seed 20260; another size is another sample, "
        "whose figures differ within their intervals.")
    bullets.append(f"The {first['plan']} plan: mean cost {fmt.money(first['mean'])} (95% CI "
                   f"{fmt.money(first['ci95'][0])} to {fmt.money(first['ci95'][1])}), CVaR 95% "
                   f"{fmt.money(first['cvar95'])}.")
    summary = Section("summary", "Summary", bullets=bullets)
    plans = Section("plans", "Plans out of sample", paragraphs=[
        "Costs in USD. The confidence interval is the mean +/- 1.96 standard errors. The "
        "difference to the first plan is paired on the same scenarios, so its interval is "
        "much narrower than the intervals of the means; the chart shows these differences."],
        tables=[_rows_table("Plans", res["plans"], PLAN_COLUMNS)])
    sections = [plans]
    extra = [r for r in (
        _paired("Value of the stochastic solution (mean-value plan minus optimised plan)",
                (res.get("vss") or {}).get("vss")),
        _paired("Expected value of perfect information", (res.get("evpi") or {}).get("evpi")))
        if r]
    if extra:
        sections.append(Section("value", "Value of the stochastic solution and of perfect "
                                "information", tables=[Table("VSS and EVPI", [
                                    Column("Quantity"), Column("Mean (USD)", fmt.usd, True),
                                    Column("Standard error (USD)", fmt.usd, True),
                                    Column("95% CI low (USD)", fmt.usd, True),
                                    Column("95% CI high (USD)", fmt.usd, True)], extra)]))
    short = res.get("shortfall_by_holder_material", [])
    sections.append(Section(
        "shortfall", f"Expected shortfall by holder and material ({first['plan']} plan)",
        tables=[Table("Shortfall", [Column("Holder"), Column("Material"),
                                    Column("Expected shortfall (USD)", fmt.usd, True)],
                      [[r.get("holder"), r.get("material"), r.get("expected_shortfall")]
                       for r in short])] if short else []))
    sections.append(Section("provenance", "Provenance", paragraphs=[
        f"Evaluation time: {fmt.seconds(res['seconds'])}. Scenarios solved by the exact LP "
        "(sharing or conversion), per plan: "
        f"{', '.join(str(p.get('lp_scenarios')) for p in res['plans'])}."]))
    title = f"Out-of-sample evaluation: {res['instance']}"
    return Document(title, f"Instance '{res['instance']}', {res['mode']} mode", summary,
                    sections)


def _difference_chart(res: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [p for p in res["plans"][1:] if p.get("minus_first")]
    if not rows:
        return []
    first = res["plans"][0]["plan"]
    caption = (f"Mean cost of each plan minus the {first} plan, paired on the same scenarios "
               "(below zero: cheaper)")
    items = [(p["plan"], p["minus_first"]["mean"]) for p in rows]
    return [(caption, svg.hbar(items, caption, fmt.money, f"Mean cost minus the {first} plan "
                               "(USD)", "Plan"))]


def _risk_charts(res: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, what in (("cvar95", "CVaR 95% of total cost"),
                      ("expected_shortfall", "Expected shortfall cost")):
        caption = f"{what} out of sample, per plan"
        out.append((caption, svg.hbar([(p["plan"], p[key]) for p in res["plans"]], caption,
                                      fmt.money, f"{what} (USD)", "Plan")))
    return out


EVALUATION_CHARTS: dict[str, list[ChartMaker]] = {"plans": [_difference_chart, _risk_charts]}


def evaluation_markdown(res: dict[str, Any]) -> str:
    return markdown(evaluation_document(res))


EVALUATION_CSV = ["plan", "days_of_cover", "first_stage_cost", "mean", "std_error", "p05", "p50",
                  "p95", "cvar95", "expected_shortfall", "shortfall_cvar95",
                  "probability_any_shortfall", "lp_scenarios"]
"""Columns of evaluation.csv: one row per plan. No timing: the same seed gives the same bytes
(issue 21); each plan's seconds are in evaluation.json with the run's other provenance."""


def evaluation_files(res: dict[str, Any], csv_keys: Sequence[str] = EVALUATION_CSV
                     ) -> dict[str, Any]:
    """evaluation.md, .html, .xlsx, .csv and .json from one document (``res``: evaluation.json,
    :meth:`stockpile.analysis.out_of_sample.EvaluationResult.to_dict`)."""
    doc = evaluation_document(res)
    return {"evaluation.md": markdown(doc),
            "evaluation.html": html_document(doc, res, EVALUATION_CHARTS,
                                             ok=not warning_text(res)),
            "evaluation.xlsx": doc, "evaluation.csv": csv_text(res["plans"], csv_keys),
            "evaluation.json": res}


def csv_text(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(keys)
    for r in rows:
        w.writerow(["" if r.get(k) is None else (repr(r[k]) if isinstance(r[k], float)
                                                  else cells.csv_text(r[k])) for k in keys])
    return buf.getvalue()


def line_chart(series: dict[str, list[tuple[float, float]]], title: str, x_label: str,
               y_label: str) -> str:
    """Lines through (x, y) points, one per series. The x ticks are the x values given (the
    budgets solved); the y axis spans the data (padded), ticked in USD, so small differences
    show; both axes titled."""
    pts = [p for s in series.values() for p in s] or [(0.0, 0.0)]
    xs = sorted({p[0] for p in pts})
    x0, x1 = xs[0], xs[-1]
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    pad = (y1 - y0) * 0.1 or max(abs(y1), 1.0) * 0.05
    y0, y1 = y0 - pad, y1 + pad
    if min(p[1] for p in pts) >= 0:
        y0 = max(0.0, y0)
    x1 = x1 if x1 > x0 else x0 + 1
    left, right, top, bottom, height = 112.0, 150.0, 20.0, 56.0, 330.0
    pw, ph = svg.width() - left - right, height - top - bottom
    X = lambda v: left + (v - x0) / (x1 - x0) * pw  # noqa: E731
    Y = lambda v: top + (1 - (v - y0) / (y1 - y0)) * ph  # noqa: E731
    colours = [svg.INK, svg.NEG, "#2f7d32", "#b7791f", "#6b46c1"]
    out = [svg._open(height, title)]
    ticks = [y0 + (y1 - y0) * i / 4 for i in range(5)]
    labels = [fmt.money(v) for v in ticks]
    if len(set(labels)) < len(labels):
        labels = [f"USD {v / 1e6:,.1f} M" for v in ticks]
    for yv, text in zip(ticks, labels):
        out.append(f'<line x1="{left}" y1="{Y(yv):.1f}" x2="{left + pw}" y2="{Y(yv):.1f}" '
                   f'stroke="{svg.GRID}" stroke-width="0.6"/><text x="{left - 6}" '
                   f'y="{Y(yv) + 4:.1f}" text-anchor="end" fill="{svg.MUTED}">'
                   f'{html.escape(text)}</text>')
    for i, xv in enumerate(xs):
        anchor = "start" if i == 0 and len(xs) > 1 else "end" if i == len(xs) - 1 and \
            len(xs) > 1 else "middle"
        out.append(f'<line x1="{X(xv):.1f}" y1="{top + ph}" x2="{X(xv):.1f}" '
                   f'y2="{top + ph + 4}" stroke="{svg.MUTED}"/><text x="{X(xv):.1f}" '
                   f'y="{top + ph + 16:.1f}" text-anchor="{anchor}" fill="{svg.MUTED}">'
                   f'{html.escape(fmt.money(xv))}</text>')
    for j, (name, s) in enumerate(series.items()):
        c = colours[j % len(colours)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{X(x):.1f},{Y(y):.1f}"
                     for i, (x, y) in enumerate(sorted(s)))
        out.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{c}"/>' for x, y in s]
        out.append(f'<text x="{left + pw + 10}" y="{top + 14 + 16 * j}" fill="{c}">'
                   f'{html.escape(name)}</text>')
    out.append(svg.axis_label(left + pw / 2, height - 8, x_label))
    out.append(svg.axis_label(14, top + ph / 2, y_label, rotate=True))
    out.append("</svg>")
    return "".join(out)


def _risk_verdict(r: dict[str, Any]) -> str:
    """The lambda > 0 plan's CVaR against lambda 0's of the same budget, out of sample."""
    a = r.get("against_risk_neutral")
    if not a or "verdict" not in a:
        return fmt.DASH
    ci = a["out_of_sample_ci95"]
    return (f"{a['verdict'].upper() if a['verdict'] == 'backfires' else a['verdict']}: "
            f"{fmt.usd(a['out_of_sample_cvar_change'])} ({_ci(ci)}); in sample "
            f"{fmt.usd(a['in_sample_cvar_change'])}")


def _frontier_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The frontier rows with the cells that combine figures: the risk check, and a
    marginal value that is noise (solver gaps, sampling) marked as such."""
    out = []
    for r in rows:
        noise = r.get("marginal_noise")
        shown = (fmt.DASH if fmt.missing(r.get("marginal_value")) else
                 fmt.number(r["marginal_value"], 3) + (f" (noise: {noise})" if noise else ""))
        out.append({**r, "risk_verdict": _risk_verdict(r), "marginal_shown": shown})
    return out


def frontier_document(name: str, rows: list[dict[str, Any]], alpha: float, n: int,
                      seed: int, whatif: Sequence[str] = (), warnings: Sequence[str] = (),
                      in_sample: str = "") -> Document:
    """The frontier report's content; ``warnings`` lead the summary."""
    def rate(v: Any) -> str:
        return fmt.DASH if fmt.missing(v) else fmt.number(v, 3)

    a = f"{alpha:.0%}"
    cols = [("Lambda", "lambda", lambda v: f"{v:g}", True),
            ("Budget (USD)", "budget", fmt.usd, True), ("Status", "status", fmt.text, False),
            ("Stock (t, all materials)", "stock_t", fmt.tonnes, True),
            ("Mean cost (USD)", "mean", fmt.usd, True), ("95% CI (USD)", "ci95", _ci, True),
            (f"CVaR {a} out of sample (USD)", "cvar_out_of_sample", fmt.usd, True),
            (f"CVaR {a} in sample (USD)", "cvar_in_sample", fmt.usd, True),
            ("In-sample tail (scenarios)", "tail_scenarios_in_sample", fmt.integer, True),
            (f"CVaR {a} against lambda 0, out of sample (USD)", "risk_verdict", fmt.text,
             False),
            ("Expected shortfall (USD)", "expected_shortfall", fmt.usd, True),
            ("Fall of mean cost per extra USD", "marginal_shown", fmt.text, False),
            ("Shortfall avoided per extra USD", "shortfall_avoided_per_usd", rate, True)]
    summary = Section("summary", "Summary", bullets=[*(f"WARNING: {w}" for w in warnings),
        f"Each plan minimises expected cost + lambda x CVaR {alpha:g} of total cost on the "
        f"{'instance' if not in_sample else 'in-sample'}'s scenarios"
        + (f" ({in_sample})" if in_sample else "") + f", then is evaluated on {n:,} fresh "
        f"scenarios (seed {seed}). Every figure but the 'in sample' ones is out of sample; "
        "in-sample figures are those of the scenarios the plan was fitted to, and flatter it.",
        f"CVaR {a} against lambda 0: the risk-averse plan's CVaR minus the risk-neutral "
        "plan's at the same budget, on the same fresh scenarios, with its 95% interval; "
        "'BACKFIRES' when in sample it is lower and out of sample higher beyond the interval.",
        "Fall of mean cost per extra USD: how much the out-of-sample mean cost falls per extra "
        "dollar of budget between consecutive budgets at the same lambda; marked noise when "
        "the change of mean cost is within the two solves' proven gaps or its 95% interval "
        "holds zero. It can be negative when lambda > 0: a risk-averse plan spends the extra "
        "budget to cut the tail (CVaR), which may raise the mean."]
        + ([WHATIF + "; ".join(whatif) + "."] if whatif else []))
    table = Section("frontier", "Plans over budgets and risk weights", paragraphs=[
        "Stock adds tonnes across materials only to show how much the plan holds in all; "
        "compare materials in the solve report."],
        tables=[_rows_table("Frontier", _frontier_rows(rows), cols)])
    return Document(f"Budget and risk frontier: {name}", f"Instance '{name}'", summary, [table])


def frontier_charts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    lambdas = sorted({r["lambda"] for r in rows})

    def chart(key: str, what: str) -> Any:
        def make(_: Any) -> list[tuple[str, str]]:
            series = {f"lambda {lam:g}": [(r["budget"], r[key]) for r in rows
                                          if r["lambda"] == lam and not fmt.missing(r.get(key))]
                      for lam in lambdas}
            caption = f"{what} out of sample against the total budget"
            return [(caption, line_chart(series, caption, "Total budget (USD), budgets solved",
                                         f"{what} (USD)"))]
        return make

    alpha = next((r["alpha"] for r in rows if not fmt.missing(r.get("alpha"))), None)
    cvar_key = "cvar95" if alpha is None else "cvar_out_of_sample"  # older frontier.json
    return {"frontier": [chart("mean", "Mean total cost"),
                         chart(cvar_key, f"CVaR {0.95 if alpha is None else alpha:.0%}"),
                         chart("expected_shortfall", "Expected shortfall cost")]}


FRONTIER_CSV = ["lambda", "budget_scale", "budget", "status", "gap", "abs_gap",
                "in_sample_objective", "stock_t", "mean", "std_error", "cvar95", "alpha",
                "mean_in_sample", "cvar_in_sample", "tail_scenarios_in_sample",
                "cvar_out_of_sample", "cvar_out_of_sample_std_error", "expected_shortfall",
                "probability_any_shortfall", "marginal_value", "marginal_noise",
                "shortfall_avoided_per_usd"]
"""Columns of frontier.csv: one row per (lambda, budget scale)."""


def frontier_files(res: dict[str, Any], csv_keys: Sequence[str] = FRONTIER_CSV
                   ) -> dict[str, Any]:
    """frontier.md, .html, .xlsx, .csv and .json from one document (``res``: frontier.json,
    :meth:`stockpile.analysis.frontier.FrontierResult.to_dict`)."""
    rows = res["rows"]
    doc = frontier_document(res["instance"], rows, res["alpha"], res["scenarios"], res["seed"],
                            res["whatif"], res.get("warnings") or (),
                            res.get("in_sample_note") or "")
    return {"frontier.md": markdown(doc),
            "frontier.html": html_document(doc, {}, frontier_charts(rows),
                                           ok=all(r.get("status") == "optimal" for r in rows)),
            "frontier.xlsx": doc, "frontier.csv": csv_text(rows, csv_keys),
            "frontier.json": res}


def write_files(files: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write text files (dict values as JSON) into ``out_dir``, all or nothing."""

    def write(tmp: Path) -> list[str]:
        for name, content in files.items():
            if isinstance(content, Document):
                write_xlsx(content, tmp / name)
            elif isinstance(content, dict):
                write_json(content, tmp / name)
            else:
                (tmp / name).write_text(content, encoding="utf-8")
        return list(files)

    return write_folder(Path(out_dir), write)
