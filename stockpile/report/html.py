"""The recommendation report as one self-contained HTML file.

Inline CSS and inline SVG charts only: no external fonts, scripts, images or links, so the
file opens offline and prints cleanly. All text is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from . import format as fmt
from . import svg
from .content import Document, Section, Solved, Table, document, is_proven_optimal
from .sensitivity_report import tornado_chart

CSS = """
:root { --ink: #1b1f24; --muted: #555b63; --rule: #c8ccd2; --band: #f1f3f5; --navy: #1f3a5f; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 Georgia, "Times New Roman", serif; }
main { max-width: 1320px; margin: 0 auto; padding: 32px 28px 64px; }
p, ul { max-width: 80ch; }
h1, h2, nav, table, figcaption, .subtitle, .summary {
       font-family: Helvetica, Arial, sans-serif; }
h1 { font-size: 26px; color: var(--navy); margin: 0 0 4px;
     border-bottom: 3px solid var(--navy); padding-bottom: 8px; overflow-wrap: anywhere; }
h2 { font-size: 19px; color: var(--navy); margin: 36px 0 8px;
     border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
.subtitle { color: var(--muted); margin: 0 0 20px; overflow-wrap: anywhere; }
.summary { background: var(--band); border-left: 5px solid var(--navy); padding: 6px 20px 10px; }
.summary ul { max-width: none; }
.summary h2 { margin-top: 10px; border: 0; }
.summary li { margin: 6px 0; }
.warning { border-left-color: #9b2c2c; }
.warning li:first-child, p.warning { color: #9b2c2c; font-weight: bold; }
nav { font-size: 13px; margin: 16px 0 0; color: var(--muted); }
nav a { color: var(--navy); text-decoration: none; margin-right: 14px; display: inline-block; }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13px; max-width: 100%; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; overflow-wrap: break-word; }
td.id, span.nw { white-space: nowrap; }
td.long { overflow-wrap: anywhere; }
th { background: var(--band); font-weight: 600; border-bottom: 2px solid var(--navy);
     min-width: 4em; overflow-wrap: normal; word-break: normal; hyphens: manual; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; overflow-wrap: normal; }
tbody tr:nth-child(even) td { background: #fafbfc; }
figure { margin: 12px 0 20px; max-width: 760px; }
figure svg { display: block; width: 100%; height: auto; }
.chart-narrow { display: none; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
@media screen and (max-width: 760px) {
  main { padding: 16px 12px 40px; }
  .chart-wide { display: none; }
  .chart-narrow { display: block; }
}
/* narrow screens (and, in the print block below, tables of over 8 columns on paper): one
   block per row, every cell labelled */
@media screen and (max-width: 760px) {
  table.wide, table.wide tbody, table.wide tr, table.wide td,
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.wide thead, table.stack thead { display: none; }
  table.wide tr, table.stack tr { border-bottom: 2px solid var(--navy); padding: 4px 0; }
  table.wide td, table.stack td { border: 0; padding: 1px 4px; text-align: left;
                                  white-space: normal; }
  table.wide td::before, table.stack td::before { content: attr(data-label) ": ";
                                                  color: var(--muted); }
}
@media print {
  body { font-size: 10pt; } main { max-width: none; padding: 0; }
  nav { display: none; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; }
  table { font-size: 8pt; } th, td { padding: 2px 4px; } th { min-width: 0; }
  figure { overflow: visible; }
  .chart-wide { display: block; } .chart-narrow { display: none; }  /* A4 is about 700 px */
  table.wide, table.wide tbody, table.wide tr, table.wide td { display: block; width: 100%; }
  table.wide thead { display: none; }
  table.wide tr { border-bottom: 1.5pt solid var(--navy); padding: 2pt 0; }
  table.wide td { border: 0; padding: 0 2pt; text-align: left; white-space: normal; }
  table.wide td::before { content: attr(data-label) ": "; color: var(--muted); }
}
"""


def _purchase_chart(s: Solved) -> list[tuple[str, str]]:
    items = [(f"{p.holder} \u00b7 {p.product}", p.purchase_cost)
             for p in (s.figures.plan if s.figures else []) if (p.purchase_cost or 0) > 0]
    return svg.largest_bars(items, "Purchase cost by holder and product, largest first",
                            fmt.money, "Purchase cost (USD)", "Holder \u00b7 product")


def _cover_chart(s: Solved) -> list[tuple[str, str]]:
    items = [(f"{p.holder} \u00b7 {p.product}", p.days_of_cover)
             for p in (s.figures.plan if s.figures else [])
             if p.days_of_cover is not None and not fmt.missing(p.days_of_cover)]
    return svg.largest_bars(items, "Days of cover by holder and product, largest first",
                            lambda v: f"{fmt.days(v)} days",
                            "Days of cover (365 \u00d7 stock / annual demand)",
                            "Holder \u00b7 product")


def _distribution_chart(s: Solved) -> list[tuple[str, str]]:
    if s.figures is None:
        return []
    scenarios = [r for r in s.figures.scenarios
                 if not fmt.missing(r.total_cost) and not fmt.missing(r.probability)]
    if not scenarios:
        return []
    dist = s.figures.scenario_cost_distribution
    markers = [(name, v) for name, v in (("mean", dist.mean), ("p95", dist.p95),
                                         ("CVaR 95% in sample", dist.cvar95))
               if not fmt.missing(v)]
    n = len(scenarios)
    caption = (f"Cumulative distribution of scenario cost, in sample (the {n} scenarios the "
               "plan was optimised on; out of sample in the table below)")
    points = [(r.total_cost, r.probability) for r in scenarios]
    return [(caption, svg.cdf(points, markers, caption, fmt.money))]


def _holder_chart(s: Solved) -> list[tuple[str, str]]:
    holders = [h for h in (s.figures.holders if s.figures else [])
               if not fmt.missing(h.expected_cost_settled)]
    if not holders:
        return []
    caption = "Expected cost per holder, transfers settled at replacement price"
    items = [(h.holder, h.expected_cost_settled) for h in holders]
    return [(caption, svg.hbar(items, caption, fmt.money, "Expected cost, settled (USD)",
                               "Holder"))]


def _shortfall_chart(s: Solved) -> list[tuple[str, str]]:
    by_material = s.figures.shortfall_by_material if s.figures else {}
    items = [(str(m), v) for m, v in by_material.items() if not fmt.missing(v)]
    if not any(v for _, v in items):
        return []
    return svg.largest_bars(items, "Expected shortfall cost by material, largest first",
                            fmt.money, "Expected shortfall cost (USD)", "Material")


def _last_lot_chart(s: Solved) -> list[tuple[str, str]]:
    why = (s.figures.why if s.figures else None) or {}
    items = [(f"{p['holder']} \u00b7 {p['product']}", p["avoided_per_usd"])
             for p in why.get("purchases") or []
             if not fmt.missing(p.get("avoided_per_usd"))]
    return svg.largest_bars(
        items, "Expected disruption cost the last lot avoids per USD of its cost, largest "
        "first", lambda v: f"{v:,.2f}",
        "USD avoided per USD of cost (price less residual value, plus holding; 1 = break-even)",
        "Holder \u00b7 product")


def _tornado_chart(s: Solved) -> list[tuple[str, str]]:
    return tornado_chart(s.result)


CHARTS: dict[str, list[Callable[[Solved], list[tuple[str, str]]]]] = {
    "plan": [_purchase_chart, _cover_chart],
    "last-lots": [_last_lot_chart],
    "sensitivity": [_tornado_chart],
    "distribution": [_distribution_chart],
    "holders": [_holder_chart],
    "shortfall": [_shortfall_chart],
}
"""The solve report's charts per section, from its typed figures (:func:`render_html`)."""


WIDE = 8  # tables with more columns stack one block per row on narrow screens and paper
STACK = 3  # tables with more columns stack per row on narrow screens
TRANSPOSE_ROWS = 4  # wide tables with at most this many rows are shown transposed


def _table(table: Table) -> str:
    """A table; a wide one with few rows is transposed (its columns become rows), and a
    wide one stacks per row where the page is narrow (each cell labelled by its column)."""
    columns, rows = table.columns, table.display()
    if len(columns) > WIDE and 0 < len(rows) <= TRANSPOSE_ROWS:
        # the head names each row by its first column, or by its first two where the first
        # alone repeats (a frontier's 'lambda 0' at two budgets)
        keys = 1 if len({r[0] for r in rows}) == len(rows) else 2
        head = [" / ".join(c.name for c in columns[:keys]),
                *(" / ".join(r[:keys]) for r in rows)]
        body = [[c.name, *(r[i] for r in rows)] for i, c in enumerate(columns) if i >= keys]
        numeric = [False] + [True] * len(rows)
        numeric_rows = [c.numeric for c in columns[keys:]]
        return _html_table(table.sheet, head, body, numeric, numeric_rows)
    return _html_table(table.sheet, [c.name for c in columns], rows,
                       [c.numeric for c in columns])


# An amount and its unit, kept on one line in prose: 'USD 2.34 bn', 'USD -76', '10,460 t',
# '95 %', '548 days' ('USD 2.34 / bn' at the end of a phone's line reads as two figures).
AMOUNT = re.compile(r"USD -?[\d,.]*\d(?: (?:bn|M)\b)?(?:/t\b)?|-?\d[\d,.]* (?:%|t\b|days\b)")


def _prose(text: str) -> str:
    """Escaped text whose amounts (:data:`AMOUNT`) do not break from their units."""
    out, at = [], 0
    for m in AMOUNT.finditer(text):
        out += [escape(text[at:m.start()]), f'<span class="nw">{escape(m.group(0))}</span>']
        at = m.end()
    return "".join([*out, escape(text[at:])])


NUM = ' class="num"'
ID_CHARS = 24  # a cell that is one word of at most this many characters never breaks


def _cell_class(text: str, numeric: bool) -> str:
    """A number, or an identifier (one word: 'JP-JOGMEC', 'graphite-spherical'), stays on
    one line; a cell with a word longer than ID_CHARS (a hash, a path) may break it
    anywhere; other text wraps between words (a word breaks only if it is wider than
    the whole column)."""
    words = text.split()
    kind = ("num" if numeric else "id" if len(words) == 1 and len(text) <= ID_CHARS else
            "long" if any(len(w) > ID_CHARS for w in words) else "")
    return f' class="{kind}"' if kind else ""


def _html_table(sheet: str, head: list[str], rows: list[list[str]], numeric: list[bool],
                numeric_rows: list[bool] | None = None) -> str:
    kind = "wide" if len(head) > WIDE else "stack" if len(head) > STACK else ""
    wide = f' class="{kind}"' if kind else ""
    out = [f'<table{wide} data-sheet="{escape(sheet)}"><thead><tr>']
    out += [f"<th{NUM if n else ''}>{escape(h)}</th>" for h, n in zip(head, numeric)]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        num_row = numeric_rows is None or numeric_rows[i]
        out.append("<tr>" + "".join(
            f'<td{_cell_class(v, n and (num_row or j == 0))} data-label="{escape(h)}">'
            f"{_prose(v)}</td>" for j, (v, n, h) in enumerate(zip(row, numeric, head)))
            + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _figure(caption: str, wide: str, narrow: str | None) -> str:
    """A chart drawn twice: for wide pages and, shown instead below 760 px, for narrow ones
    (svg.narrow), so a phone sees every value at a readable size instead of a scrolled
    slice."""
    if narrow is None:
        return f"<figure><figcaption>{escape(caption)}</figcaption>{wide}</figure>"
    return (f'<figure><figcaption>{escape(caption)}</figcaption><div class="chart-wide">'
            f'{wide}</div><div class="chart-narrow">{narrow}</div></figure>')


def _section(section: Section, charts: list[tuple[str, str, str | None]],
             css_class: str = "") -> str:
    """Its paragraphs, bullets and tables in the order they were written; the charts just
    before its first table (or at its end)."""
    cls = f' class="{css_class}"' if css_class else ""
    out = [f'<section id="{escape(section.key)}"{cls}><h2>{escape(section.title)}</h2>']
    figures = [_figure(c, wide, narrow) for c, wide, narrow in charts]
    for part in section.parts():
        if isinstance(part, Table):
            out += [*figures, _table(part)]
            figures = []
        elif isinstance(part, list):
            out.append("<ul>" + "".join(f"<li>{_prose(b)}</li>" for b in part) + "</ul>")
        else:
            out.append(f"<p>{_prose(part)}</p>")
    out += figures
    out.append("</section>")
    return "\n".join(out)


ChartMaker = Callable[[dict[str, Any]], list[tuple[str, str]]]


def _charts(makers: list[ChartMaker], result: dict[str, Any]
            ) -> list[tuple[str, str, str | None]]:
    """(caption, wide svg, narrow svg) of each chart the makers draw from ``result``."""
    wide = [c for f in makers for c in f(result)]
    with svg.narrow():
        narrow = [c for f in makers for c in f(result)]
    if len(narrow) != len(wide):  # a maker that draws differently when narrow: wide only
        return [(c, w, None) for c, w in wide]
    return [(c, w, n) for (c, w), (_, n) in zip(wide, narrow)]


def html_document(doc: Document, result: dict[str, Any],
                  charts: dict[str, list[ChartMaker]] | None = None,
                  ok: bool | None = None) -> str:
    """Render a report document as one self-contained page.

    ``charts`` maps a section key to the chart makers fed with ``result`` (default: none);
    ``ok`` False draws the summary as a warning (default: the solve is proven optimal)."""
    charts = charts or {}
    ok = is_proven_optimal(result) if ok is None else ok
    nav = " ".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in doc.sections)
    sections = [_section(s, _charts(charts.get(s.key, []), result)) for s in doc.sections]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        "<main>", f"<h1>{escape(doc.title)}</h1>",
        f'<p class="subtitle">{escape(doc.subtitle)}</p>',
        _section(doc.summary, [], "summary" if ok else "summary warning"),
        f"<nav>{nav}</nav>", *sections, "</main>", "</body>", "</html>", ""])


def render_html(result: dict[str, Any]) -> str:
    """The self-contained HTML report of one solve result (its figures parsed once)."""
    s = Solved.of(result)
    charts = {key: [_bound(make, s) for make in makers] for key, makers in CHARTS.items()}
    return html_document(document(s), result, charts)


def _bound(make: Callable[[Solved], list[tuple[str, str]]], s: Solved) -> ChartMaker:
    """A chart maker of html_document's kind (fed the result dict) drawing from ``s``."""
    return lambda _result: make(s)
