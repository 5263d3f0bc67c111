"""The recommendation report as Markdown (GitHub-flavoured tables)."""

from __future__ import annotations

from typing import Any

from .content import Document, Section, Table, document
from .format import markdown_text as _md


def _cell(text: str) -> str:
    """A table cell: one line, markup and pipes escaped (a leading - or # is plain text)."""
    return _md(text, block_start=False)


def _table(table: Table) -> list[str]:
    head = "| " + " | ".join(_cell(c.name) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else "---" for c in table.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.display()]
    return [head, rule, *body, ""]


def _section(section: Section) -> list[str]:
    """Its paragraphs, bullets and tables in the order they were written, text escaped."""
    lines = [f"## {_md(section.title)}", ""]
    for part in section.parts():
        if isinstance(part, Table):
            lines += _table(part)
        elif isinstance(part, list):
            lines += [f"- {_md(b)}" for b in part] + [""]
        else:
            lines += [_md(part), ""]
    return lines


def markdown(doc: Document) -> str:
    """Render a report document."""
    lines = [f"# {_md(doc.title)}", "", f"_{_md(doc.subtitle)}_", ""]
    for section in [doc.summary, *doc.sections]:
        lines += _section(section)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(result: dict[str, Any]) -> str:
    """The Markdown report of one solve result."""
    return markdown(document(result))
