"""The comparison report: Markdown, self-contained HTML with inline SVG charts, Excel, JSON.

Written all or nothing with :func:`stockpile.report.files.write_folder` into
``reports/<name>/compare/`` (or the folder given).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from . import format as fmt
from . import svg
from .compare_content import compare_document
from .content import Document
from .files import write_folder, write_json
from .html import html_document
from .markdown import markdown
from .xlsx import write_xlsx

MAX_BARS = 30
DOT = " \u00b7 "
Chart = tuple[str, str]


def _cost_chart(r: dict[str, Any]) -> list[Chart]:
    caption = "Expected cost per holder and mode, transfers settled at replacement price"
    items = [(f"{h['holder']}{DOT}{h['mode']}", h["settled"]) for h in r["holders"]]
    return [(caption, svg.hbar(items, caption, fmt.money))] if items else []


def _flow_chart(r: dict[str, Any]) -> list[Chart]:
    flows = sorted(r["flows"], key=lambda f: -f["tonnes"])
    if not flows:
        return []
    note = f" (largest {MAX_BARS} of {len(flows)})" if len(flows) > MAX_BARS else ""
    caption = "Tonnes moved between holders by material, per scenario that uses them" + note
    items = [(f"{f['mode']}{DOT}{f['scenario']}: {f['from']} \u2192 {f['to']} {f['material']}",
              f["tonnes"]) for f in flows[:MAX_BARS]]
    return [(caption, svg.hbar(items, caption, fmt.mass))]


def _cover_chart(r: dict[str, Any]) -> list[Chart]:
    rows = [c for c in r["cover"] if not fmt.missing(c["days_of_cover"])]
    if not rows:
        return []
    rows = sorted(rows, key=lambda c: (c["material"], c["holder"]))
    note = f" (first {MAX_BARS} of {len(rows)})" if len(rows) > MAX_BARS else ""
    caption = "Days of cover by holder and material under each mode" + note
    items = [(f"{c['holder']}{DOT}{c['material']}{DOT}{c['mode']}", c["days_of_cover"])
             for c in rows[:MAX_BARS]]
    return [(caption, svg.hbar(items, caption, lambda v: f"{fmt.days(v)} days"))]


def _shapley_chart(r: dict[str, Any]) -> list[Chart]:
    g = r.get("game") or {}
    if not g.get("available"):
        return []
    caption = "Shapley split of the joint cost against each holder's stand-alone cost"
    items = [item for s in g["shapley"] for item in (
        (f"{s['holder']}{DOT}stand-alone", s["standalone"]),
        (f"{s['holder']}{DOT}Shapley share", s["shapley"]))]
    return [(caption, svg.hbar(items, caption, fmt.money))]


CHARTS: dict[str, list[Callable[[dict[str, Any]], list[Chart]]]] = {
    "holders": [_cost_chart], "flows": [_flow_chart], "cover": [_cover_chart],
    "game": [_shapley_chart],
}


def render_compare_html(r: dict[str, Any], doc: Document | None = None) -> str:
    """The self-contained HTML comparison report."""
    doc = doc or compare_document(r)
    ok = r.get("ok") and all(m["solver"].get("proven_optimal") for m in r["modes"].values())
    return html_document(doc, r, CHARTS, bool(ok))


def render_compare_markdown(r: dict[str, Any]) -> str:
    return markdown(compare_document(r))


def _write_all(r: dict[str, Any], folder: Path) -> list[str]:
    doc = compare_document(r)
    write_json(r, folder / "compare.json")
    (folder / "compare.md").write_text(markdown(doc), encoding="utf-8")
    (folder / "compare.html").write_text(render_compare_html(r, doc), encoding="utf-8")
    write_xlsx(doc, folder / "compare.xlsx")
    return ["compare.md", "compare.html", "compare.xlsx", "compare.json"]


def write_compare_report(r: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write compare.md, compare.html, compare.xlsx and compare.json, all or nothing."""
    return write_folder(out_dir, lambda tmp: _write_all(r, tmp))
