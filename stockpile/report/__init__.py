"""Recommendation reports of a solve: Markdown, self-contained HTML, Excel, CSV and JSON.

Reports format the figures of one solve result (the dict that becomes result.json, its
figures read typed through ``content.Solved``: stockpile/figures.py); they never compute
model quantities.
"""

from .files import write_solve_report
from .html import render_html
from .markdown import render_markdown

__all__ = ["render_html", "render_markdown", "write_solve_report"]
