"""The recommendation report as an Excel workbook: a summary sheet, then one sheet per table.

Cells hold the raw numbers of the result (not display text) with a number format, so an
analyst can compute with them. openpyxl is imported when a workbook is written, so the other
report formats render without it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from . import format as fmt
from .cells import as_text_cells, tidy
from .content import Column, Document

NUMBER_FORMATS: dict[Callable[[Any], str], str] = {
    fmt.usd: "#,##0", fmt.days: "#,##0", fmt.integer: "#,##0", fmt.percent: "0.0%",
    fmt.number: "#,##0"}
HEADER_FILL = "DDE3EA"
MAX_WIDTH = 60


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Sheet"
    candidate, i = base, 2
    while candidate.lower() in taken:
        suffix = f" ({i})"
        candidate, i = base[: 31 - len(suffix)] + suffix, i + 1
    taken.add(candidate.lower())
    return candidate


def _cell_value(value: Any) -> Any:
    """Numbers to 12 significant digits (cells.tidy: no float noise) and text as they are;
    missing values as empty cells; anything else as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return tidy(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _append(ws: Any, values: list[Any]) -> None:
    """A row, with formula-like text kept as text (cells.py: formula injection)."""
    ws.append(values)
    as_text_cells(ws[ws.max_row])


def _fit(ws: Any, widths: list[int]) -> None:
    from openpyxl.utils import get_column_letter

    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(MAX_WIDTH, max(8, w + 2))


def _header(ws: Any, columns: list[Column]) -> None:
    from openpyxl.styles import Font, PatternFill

    _append(ws, [c.name for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    ws.freeze_panes = "A2"


def write_xlsx(doc: Document, path: Path) -> None:
    """Write the workbook for a report document."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    summary = cast(Worksheet, wb.active)  # a new workbook's one sheet
    taken: set[str] = set()
    summary.title = _sheet_name("Summary", taken)
    _append(summary, [doc.title])
    summary["A1"].font = Font(bold=True, size=14)
    _append(summary, [doc.subtitle])
    summary.append([])
    for line in doc.summary.bullets:
        _append(summary, [line])
    summary.column_dimensions["A"].width = 140
    for table in doc.tables():
        ws = wb.create_sheet(_sheet_name(table.sheet, taken))
        _header(ws, table.columns)
        widths = [len(c.name) for c in table.columns]
        for raw, shown in zip(table.rows, table.display()):
            _append(ws, [_cell_value(v) for v in raw])
            widths = [max(w, len(s)) for w, s in zip(widths, shown)]
        for j, col in enumerate(table.columns, start=1):
            number_format = NUMBER_FORMATS.get(col.show)
            if number_format:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = number_format
        _fit(ws, widths)
    wb.save(path)
