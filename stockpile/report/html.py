"""The recommendation report as one self-contained HTML file.

Inline CSS and inline SVG charts only: no external fonts, scripts, images or links, so the
file opens offline and prints cleanly. All text is escaped with :func:`html.escape`.
"""

from __future__ import annotations

from html import escape
from typing import Any, Callable

from . import format as fmt
from . import svg
from .content import Document, Section, Table, document, is_proven_optimal

MAX_BARS = 30

CSS = """
:root { --ink: #1b1f24; --muted: #555b63; --rule: #c8ccd2; --band: #f1f3f5; --navy: #1f3a5f; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 Georgia, "Times New Roman", serif; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 28px 64px; }
h1, h2, nav, table, figcaption, .subtitle, .summary {
       font-family: Helvetica, Arial, sans-serif; }
h1 { font-size: 26px; color: var(--navy); margin: 0 0 4px;
     border-bottom: 3px solid var(--navy); padding-bottom: 8px; }
h2 { font-size: 19px; color: var(--navy); margin: 36px 0 8px;
     border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
.subtitle { color: var(--muted); margin: 0 0 20px; }
.summary { background: var(--band); border-left: 5px solid var(--navy); padding: 6px 20px 10px; }
.summary h2 { margin-top: 10px; border: 0; }
.summary li { margin: 6px 0; }
.warning { border-left-color: #9b2c2c; }
.warning li:first-child { color: #9b2c2c; font-weight: bold; }
nav { font-size: 13px; margin: 16px 0 0; color: var(--muted); }
nav a { color: var(--navy); text-decoration: none; margin-right: 14px; white-space: nowrap; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13px; width: auto; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
th { background: var(--band); font-weight: 600; border-bottom: 2px solid var(--navy); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.scroll { overflow-x: auto; }
figure { margin: 12px 0 20px; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
@media print {
  body { font-size: 11pt; } main { max-width: none; padding: 0; }
  nav { display: none; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; }
  .scroll { overflow: visible; }
}
"""


def _purchase_chart(result: dict[str, Any]) -> list[tuple[str, str]]:
    bought = sorted((p for p in result.get("plan") or [] if (p.get("purchase_cost") or 0) > 0),
                    key=lambda p: -p["purchase_cost"])
    if not bought:
        return []
    note = f" (largest {MAX_BARS} of {len(bought)})" if len(bought) > MAX_BARS else ""
    caption = "Purchase cost by holder and product" + note
    items = [(f"{p.get('holder')} \u00b7 {p.get('product')}", p["purchase_cost"])
             for p in bought[:MAX_BARS]]
    return [(caption, svg.hbar(items, caption, fmt.money))]


def _cover_chart(result: dict[str, Any]) -> list[tuple[str, str]]:
    covered = [p for p in result.get("plan") or [] if not fmt.missing(p.get("days_of_cover"))]
    if not covered:
        return []
    note = f" (first {MAX_BARS} of {len(covered)})" if len(covered) > MAX_BARS else ""
    caption = "Days of cover by holder and product" + note
    items = [(f"{p.get('holder')} \u00b7 {p.get('product')}", p["days_of_cover"])
             for p in covered[:MAX_BARS]]
    return [(caption, svg.hbar(items, caption, lambda v: f"{fmt.days(v)} days"))]


def _distribution_chart(result: dict[str, Any]) -> list[tuple[str, str]]:
    scenarios = [s for s in result.get("scenarios") or []
                 if not fmt.missing(s.get("total_cost")) and not fmt.missing(s.get("probability"))]
    if not scenarios:
        return []
    dist = result.get("scenario_cost_distribution") or {}
    markers = [(name, dist[k]) for name, k in (("mean", "mean"), ("p95", "p95"),
                                               ("CVaR 95%", "cvar95"))
               if not fmt.missing(dist.get(k))]
    caption = "Cumulative distribution of scenario cost"
    points = [(s["total_cost"], s["probability"]) for s in scenarios]
    return [(caption, svg.cdf(points, markers, caption, fmt.money))]


def _holder_chart(result: dict[str, Any]) -> list[tuple[str, str]]:
    holders = [h for h in result.get("holders") or []
               if not fmt.missing(h.get("expected_cost_settled"))]
    if not holders:
        return []
    caption = "Expected cost per holder, transfers settled at replacement price"
    items = [(str(h.get("holder")), h["expected_cost_settled"]) for h in holders]
    return [(caption, svg.hbar(items, caption, fmt.money))]


def _shortfall_chart(result: dict[str, Any]) -> list[tuple[str, str]]:
    by_material = result.get("shortfall_by_material") or {}
    items = sorted(((str(m), v) for m, v in by_material.items() if not fmt.missing(v)),
                   key=lambda mv: -mv[1])
    if not any(v for _, v in items):
        return []
    caption = "Expected shortfall cost by material"
    return [(caption, svg.hbar(items[:MAX_BARS], caption, fmt.money))]


CHARTS: dict[str, list[Callable[[dict[str, Any]], list[tuple[str, str]]]]] = {
    "plan": [_purchase_chart, _cover_chart],
    "distribution": [_distribution_chart],
    "holders": [_holder_chart],
    "shortfall": [_shortfall_chart],
}


def _table(table: Table) -> str:
    cls = [' class="num"' if c.numeric else "" for c in table.columns]
    head = "".join(f"<th{k}>{escape(c.name)}</th>" for c, k in zip(table.columns, cls))
    body = "".join("<tr>" + "".join(f"<td{k}>{escape(v)}</td>" for v, k in zip(row, cls))
                   + "</tr>" for row in table.display())
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _section(section: Section, charts: list[tuple[str, str]], css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    out = [f'<section id="{escape(section.key)}"{cls}><h2>{escape(section.title)}</h2>']
    out += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    if section.bullets:
        out.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in section.bullets) + "</ul>")
    out += [f"<figure><figcaption>{escape(c)}</figcaption>{s}</figure>" for c, s in charts]
    out += [_table(t) for t in section.tables]
    out.append("</section>")
    return "\n".join(out)


ChartMaker = Callable[[dict[str, Any]], list[tuple[str, str]]]


def html_document(doc: Document, result: dict[str, Any],
                  charts: dict[str, list[ChartMaker]] | None = None,
                  ok: bool | None = None) -> str:
    """Render a report document as one self-contained page.

    ``charts`` maps a section key to the chart makers fed with ``result`` (default: the solve
    report's); ``ok`` False draws the summary as a warning (default: the solve is proven
    optimal)."""
    charts = CHARTS if charts is None else charts
    ok = is_proven_optimal(result) if ok is None else ok
    nav = " ".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in doc.sections)
    sections = [_section(s, [c for f in charts.get(s.key, []) for c in f(result)])
                for s in doc.sections]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        "<main>", f"<h1>{escape(doc.title)}</h1>",
        f'<p class="subtitle">{escape(doc.subtitle)}</p>',
        _section(doc.summary, [], "summary" if ok else "summary warning"),
        f"<nav>{nav}</nav>", *sections, "</main>", "</body>", "</html>", ""])


def render_html(result: dict[str, Any]) -> str:
    """The self-contained HTML report of one solve result."""
    return html_document(document(result), result)
