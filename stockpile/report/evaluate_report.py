"""Reports of ``stockpile evaluate`` and ``stockpile frontier``: Markdown, self-contained HTML
with inline SVG charts, CSV and JSON, written all or nothing like the solve report."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any, Sequence

from . import cells, svg
from . import format as fmt
from .files import write_folder, write_json

COLUMNS = [("plan", "plan", fmt.text), ("days of cover", "days_of_cover", fmt.days),
           ("first stage (USD)", "first_stage_cost", fmt.usd),
           ("mean cost (USD)", "mean", fmt.usd),
           ("95% CI (USD)", "ci95", lambda v: f"{fmt.usd(v[0])} to {fmt.usd(v[1])}"),
           ("p50", "p50", fmt.usd), ("p95", "p95", fmt.usd), ("CVaR 95%", "cvar95", fmt.usd),
           ("expected shortfall (USD)", "expected_shortfall", fmt.usd),
           ("mean minus first plan, 95% CI (USD)", "minus_first",
            lambda v: f"{fmt.usd(v['ci95'][0])} to {fmt.usd(v['ci95'][1])}"),
           ("P(any shortfall)", "probability_any_shortfall", fmt.percent)]


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[tuple[str, str, Any]]) -> list[str]:
    out = ["| " + " | ".join(c[0] for c in cols) + " |",
           "|" + "|".join(" --- " for _ in cols) + "|"]
    for r in rows:
        out.append("| " + " | ".join(f(r.get(k)) for _, k, f in cols) + " |")
    return out


def _paired(name: str, d: dict[str, Any] | None) -> str:
    if not d:
        return ""
    return (f"- {name}: {fmt.money(d['mean'])} (standard error {fmt.money(d['std_error'])}, "
            f"95% CI {fmt.money(d['ci95'][0])} to {fmt.money(d['ci95'][1])})")


def cheaper_than_first(res: dict[str, Any]) -> list[str]:
    """Plans whose mean cost is below the first plan's with 95% confidence (the paired
    difference's whole interval below zero)."""
    return [p["plan"] for p in res["plans"][1:]
            if p.get("minus_first") and p["minus_first"]["ci95"][1] < 0]


def warning_text(res: dict[str, Any]) -> str:
    """Said plainly when a rule beats the plan out of sample: the scenarios the plan was
    optimised on do not represent the evaluation sample."""
    beaten = cheaper_than_first(res)
    if not beaten:
        return ""
    first = res["plans"][0]["plan"]
    return (f"Warning: {', '.join(beaten)} cost less than the {first} plan on these "
            f"{res['scenarios']:,} scenarios (the paired 95% interval of the difference is "
            f"below zero). The {res['in_sample_scenarios']} scenarios the plan was optimised on "
            "do not represent this sample. Generate them from the same event library, e.g. "
            "`stockpile scenarios INSTANCE --n 2000 --reduce 100 --out NEW.yaml`, solve "
            "NEW.yaml and evaluate again before recommending the plan.")


def evaluation_markdown(res: dict[str, Any]) -> str:
    lines = [f"# Out-of-sample evaluation: {res['instance']}", "",
             f"{res['scenarios']:,} fresh scenarios (seed {res['seed']}, time structure "
             f"{res['structure']}), independent of the {res['in_sample_scenarios']} scenarios "
             f"the plan was optimised on; mode {res['mode']}. Costs in USD; the confidence "
             "interval is mean +/- 1.96 standard errors; the difference to the first plan is paired on "
             "the same scenarios, so its interval is much narrower.", ""]
    warning = warning_text(res)
    if warning:
        lines += [f"**{warning}**", ""]
    lines += ["## Plans", ""]
    lines += _table(res["plans"], COLUMNS)
    extra = [_paired("Value of the stochastic solution (mean-value plan minus optimised "
                     "plan)", (res.get("vss") or {}).get("vss")),
             _paired("Expected value of perfect information",
                     (res.get("evpi") or {}).get("evpi"))]
    if any(extra):
        lines += ["", "## Value of the stochastic solution and of perfect information", "",
                  *[e for e in extra if e]]
    lines += ["", "## Expected shortfall by holder and material (first plan)", ""]
    lines += _table(res.get("shortfall_by_holder_material", []),
                    [("holder", "holder", fmt.text), ("material", "material", fmt.text),
                     ("expected shortfall (USD)", "expected_shortfall", fmt.usd)])
    lines += ["", f"Evaluation time: {fmt.seconds(res['seconds'])}; scenarios solved by the "
              "exact LP (sharing or conversion): "
              f"{', '.join(str(p['lp_scenarios']) for p in res['plans'])}.", ""]
    return "\n".join(lines)


def evaluation_charts(res: dict[str, Any]) -> list[str]:
    plans = res["plans"]
    return [svg.hbar([(p["plan"], p["mean"]) for p in plans],
                     "Mean total cost out of sample (USD)", fmt.money),
            svg.hbar([(p["plan"], p["cvar95"]) for p in plans],
                     "CVaR 95% of total cost out of sample (USD)", fmt.money),
            svg.hbar([(p["plan"], p["expected_shortfall"]) for p in plans],
                     "Expected shortfall cost out of sample (USD)", fmt.money)]


def page(title: str, markdown: str, charts: Sequence[str]) -> str:
    """A self-contained HTML page: the Markdown as preformatted tables, then the charts."""
    body = []
    for block in markdown.split("\n\n"):
        if block.startswith("#"):
            level = len(block) - len(block.lstrip("#"))
            head, _, rest = block.partition("\n")
            body.append(f"<h{level}>{html.escape(head.lstrip('# '))}</h{level}>")
            block = rest
        if block.strip().startswith("|"):
            rows = [r.strip().strip("|").split("|") for r in block.strip().splitlines()]
            cells = "".join("<th>" + html.escape(c.strip()) + "</th>" for c in rows[0])
            body.append(f"<table><tr>{cells}</tr>" + "".join(
                "<tr>" + "".join("<td>" + html.escape(c.strip()) + "</td>" for c in r)
                + "</tr>" for r in rows[2:]) + "</table>")
        elif block.strip():
            body.append(f"<p>{html.escape(block.strip())}</p>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>body{{font-family:Helvetica,Arial,"
            "sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}"
            "td,th{border:1px solid #c8ccd2;padding:3px 8px;text-align:right}</style></head>"
            f"<body>{''.join(body)}{''.join(charts)}</body></html>\n")


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
    """Lines through (x, y) points, one per series, with axis labels in USD millions."""
    pts = [p for s in series.values() for p in s] or [(0.0, 0.0)]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(0.0, min(p[1] for p in pts)), max(p[1] for p in pts)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    left, right, top, bottom, height = 80.0, 150.0, 20.0, 46.0, 320.0
    pw, ph = svg.WIDTH - left - right, height - top - bottom
    X = lambda v: left + (v - x0) / (x1 - x0) * pw  # noqa: E731
    Y = lambda v: top + (1 - (v - y0) / (y1 - y0)) * ph  # noqa: E731
    colours = [svg.INK, svg.NEG, "#2f7d32", "#b7791f", "#6b46c1"]
    out = [svg._open(height, title)]
    for i in range(5):
        yv, xv = y0 + (y1 - y0) * i / 4, x0 + (x1 - x0) * i / 4
        out.append(f'<line x1="{left}" y1="{Y(yv):.1f}" x2="{left + pw}" y2="{Y(yv):.1f}" '
                   f'stroke="{svg.GRID}" stroke-width="0.6"/><text x="{left - 6}" '
                   f'y="{Y(yv) + 4:.1f}" text-anchor="end" fill="{svg.MUTED}">'
                   f'{html.escape(fmt.money(yv))}</text><text x="{X(xv):.1f}" '
                   f'y="{top + ph + 16:.1f}" text-anchor="middle" fill="{svg.MUTED}">'
                   f'{html.escape(fmt.money(xv))}</text>')
    for j, (name, s) in enumerate(series.items()):
        c = colours[j % len(colours)]
        d = " ".join(f"{'M' if i == 0 else 'L'}{X(x):.1f},{Y(y):.1f}"
                     for i, (x, y) in enumerate(sorted(s)))
        out.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        out += [f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{c}"/>' for x, y in s]
        out.append(f'<text x="{left + pw + 10}" y="{top + 14 + 16 * j}" fill="{c}">'
                   f'{html.escape(name)}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle" '
               f'fill="{svg.MUTED}">{html.escape(x_label)}; vertical: '
               f'{html.escape(y_label)}</text></svg>')
    return "".join(out)


def write_files(files: dict[str, str | dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write text files (dict values as JSON) into ``out_dir``, all or nothing."""

    def write(tmp: Path) -> list[str]:
        for name, content in files.items():
            if isinstance(content, dict):
                write_json(content, tmp / name)
            else:
                (tmp / name).write_text(content, encoding="utf-8")
        return list(files)

    return write_folder(Path(out_dir), write)
