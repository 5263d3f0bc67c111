"""The recommendation report as Markdown (GitHub-flavoured tables)."""

from __future__ import annotations

from typing import Any

from .content import Document, Section, Table, document


def _cell(text: str) -> str:
    """A table cell: pipes escaped, line breaks flattened."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    head = "| " + " | ".join(_cell(c.name) for c in table.columns) + " |"
    rule = "|" + "|".join("---:" if c.numeric else "---" for c in table.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.display()]
    return [head, rule, *body, ""]


def _section(section: Section) -> list[str]:
    """Its paragraphs, bullets and tables in the order they were written."""
    lines = [f"## {section.title}", ""]
    for part in section.parts():
        if isinstance(part, Table):
            lines += _table(part)
        elif isinstance(part, list):
            lines += [f"- {b}" for b in part] + [""]
        else:
            lines += [part, ""]
    return lines


def markdown(doc: Document) -> str:
    """Render a report document."""
    lines = [f"# {doc.title}", "", f"_{doc.subtitle}_", ""]
    for section in [doc.summary, *doc.sections]:
        lines += _section(section)
    return "\n".join(lines).rstrip("\n") + "\n"


def render_markdown(result: dict[str, Any]) -> str:
    """The Markdown report of one solve result."""
    return markdown(document(result))
