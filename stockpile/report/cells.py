"""Text cells that a spreadsheet must never run as formulas (CSV and formula injection).

An instance is data from outside; its ids and descriptions reach plan.csv and every .xlsx
report. A text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is what
Excel, LibreOffice and Google Sheets treat as the start of a formula (``=HYPERLINK(...)``,
``@SUM(...)``, DDE). As OWASP advises for CSV injection, such text is written with a leading
single quote in CSV; in .xlsx it is stored as a text cell with Excel's quote prefix, so it
shows unchanged and is never evaluated. Numbers are never touched.
"""

from __future__ import annotations

import math
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

SIGNIFICANT = 12
"""Significant digits of every number written to plan.csv and the .xlsx workbooks: enough for
any figure of the model (USD to the cent up to 10 bn), few enough to drop binary float noise
(3 x 0.1 t is written 0.3, not 0.30000000000000004)."""


def tidy(value: Any) -> Any:
    """A float rounded to SIGNIFICANT digits (anything else unchanged)."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{SIGNIFICANT}g}") + 0.0
    return value


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text behind a single quote."""
    return "'" + value if formula_like(value) else value


def as_text_cells(cells: Any) -> None:
    """Make the formula-like text cells of an openpyxl row plain text with a quote prefix."""
    for cell in cells:
        if formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True
