"""The comparison report: Markdown, self-contained HTML with inline SVG charts, Excel, JSON.

Written all or nothing with :func:`stockpile.report.files.write_folder` into
``reports/<name>/compare/`` (or the folder given).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import format as fmt
from . import svg
from .compare_content import compare_document
from .content import Document
from .files import write_folder, write_json
from .html import html_document
from .markdown import markdown
from .xlsx import write_xlsx

DOT = " \u00b7 "
Chart = tuple[str, str]


def _cost_chart(r: dict[str, Any]) -> list[Chart]:
    """Each joint mode's settled cost per holder minus national: the differences are a few
    percent of the costs, invisible on bars drawn from zero, so the bars are the differences."""
    items = [(f"{h['holder']}{DOT}{h['mode']}", h["gain_vs_national"]) for h in r["holders"]
             if h["mode"] != "national" and not fmt.missing(h.get("gain_vs_national"))]
    if not items:
        return []
    caption = ("Saving per holder against national stockpiles, transfers settled at "
               "replacement price (below zero: the holder pays more)")
    return [(caption, svg.hbar(items, caption, fmt.money, "Saving against national (USD)",
                               f"Holder{DOT}mode"))]


def _flow_chart(r: dict[str, Any]) -> list[Chart]:
    expected: dict[str, float] = {}
    for f in r["flows"]:
        key = f"{f['mode']}: {f['from']} \u2192 {f['to']} {f['material']}"
        expected[key] = expected.get(key, 0.0) + f["probability"] * f["tonnes"]
    return svg.largest_bars(
        list(expected.items()), "Expected tonnes moved between holders per mode, route and "
        "material (tonnes in each scenario weighted by its probability), largest first",
        fmt.mass, "Expected tonnes moved (t)", "Mode: from \u2192 to, material")


def _cover_chart(r: dict[str, Any]) -> list[Chart]:
    items = [(f"{c['holder']}{DOT}{c['material']}{DOT}{c['mode']}", c["days_of_cover"])
             for c in r["cover"] if not fmt.missing(c["days_of_cover"])]
    return svg.largest_bars(items, "Days of cover by holder and material under each mode, "
                            "largest first", lambda v: f"{fmt.days(v)} days",
                            "Days of cover (365 \u00d7 stock / annual demand)",
                            f"Holder{DOT}material{DOT}mode")


def _shapley_chart(r: dict[str, Any]) -> list[Chart]:
    g = r.get("game") or {}
    if not g.get("available"):
        return []
    # one colour meaning per report: as in the holders' chart, a bar below zero (drawn in
    # the warning colour) is a holder that pays more, here more than alone
    caption = ("Saving per holder under the Shapley split against standing alone "
               "(stand-alone cost minus Shapley share; below zero: the holder pays more)")
    items = [(s["holder"], s["standalone"] - s["shapley"]) for s in g["shapley"]]
    return [(caption, svg.hbar(items, caption, fmt.money,
                               "Stand-alone cost minus Shapley share (USD)", "Holder"))]


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
