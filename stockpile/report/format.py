"""Number and text formatting shared by every report format.

Every helper takes a value straight from the solve result (possibly ``None`` or NaN) and
returns display text; missing values are shown as an em dash. Money is USD, mass tonnes.
"""

from __future__ import annotations

import math
import re
from typing import Any

DASH = "\u2014"


def missing(x: Any) -> bool:
    """True for values a report shows as a dash: None and non-finite floats."""
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def _strip(text: str) -> str:
    """Drop trailing zeros of a decimal number ("12.50" -> "12.5", "3.00" -> "3")."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def number(x: Any, decimals: int = 0) -> str:
    """A plain number with thousands separators."""
    if missing(x):
        return DASH
    return _no_minus_zero(f"{float(x) + 0.0:,.{decimals}f}")


def _no_minus_zero(text: str) -> str:
    """"-0" or "-0.00" (a tiny negative rounded away) shows as zero, not as a loss."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def integer(x: Any) -> str:
    """A count with thousands separators."""
    return DASH if missing(x) else f"{round(float(x)):,d}"


def usd(x: Any) -> str:
    """Exact dollars for tables: ``12,345,678`` (the column header says USD)."""
    return number(x, 0)


def money(x: Any) -> str:
    """Dollars for prose, abbreviated above a million: ``USD 12.3 M``, ``USD 1.25 bn``."""
    if missing(x):
        return DASH
    v = float(x) + 0.0
    a = abs(v)
    if a >= 1e9:
        return f"USD {v / 1e9:,.2f} bn"
    if a >= 1e6:
        return f"USD {_no_minus_zero(f'{v / 1e6:,.1f}')} M"
    return f"USD {_no_minus_zero(f'{v:,.0f}')}"


def tonnes(x: Any) -> str:
    """Tonnes with sensible decimals: none above 1,000 t, up to 3 below 1 t."""
    if missing(x):
        return DASH
    v = float(x) + 0.0
    a = abs(v)
    decimals = 0 if a >= 1000 else 1 if a >= 100 else 2 if a >= 1 else 3
    return _strip(f"{v:,.{decimals}f}")


def mass(x: Any) -> str:
    """Tonnes for prose: ``12.5 t``."""
    text = tonnes(x)
    return text if text == DASH else f"{text} t"


def days(x: Any) -> str:
    """Days of cover, whole days."""
    return number(x, 0)


def percent(x: Any, decimals: int = 1) -> str:
    """A fraction shown as a percentage: 0.123 -> ``12.3%``."""
    return DASH if missing(x) else f"{float(x) * 100 + 0.0:,.{decimals}f}%"


def gap(x: Any) -> str:
    """A relative optimality gap with four decimals, as the solver summary prints it."""
    return percent(x, 4)


def probability(x: Any) -> str:
    """A scenario probability: up to four significant decimals."""
    return DASH if missing(x) else _strip(f"{float(x):.4f}")


def seconds(x: Any) -> str:
    """Wall time: milliseconds resolution below 10 s."""
    if missing(x):
        return DASH
    v = float(x)
    return f"{v:.3f} s" if v < 10 else f"{v:,.1f} s"


def yes_no(x: Any) -> str:
    """Booleans as words."""
    return DASH if x is None else ("yes" if x else "no")


def text(x: Any) -> str:
    """Any value as text; missing values as a dash."""
    return DASH if missing(x) or x == "" else str(x)


def options(opts: Any) -> str:
    """Solver options as ``key=value`` pairs; unset options are left out."""
    if not isinstance(opts, dict):
        return text(opts)
    shown = [f"{k}={v}" for k, v in opts.items() if v is not None]
    return ", ".join(shown) if shown else "defaults"


_MD_INLINE = re.compile(r"[\\`*\[\]<>|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
"""Signs Markdown (CommonMark, GitHub) reads as markup or raw HTML anywhere in a line; an
underscore inside a word (``us_japan_2026``) is literal there and is left as it is."""
_MD_BLOCK = re.compile(r"^(\s*)(?:([#+-])|(\d+)([.)])(?=\s|$))")
"""What opens a heading, a list or a rule at the start of a block."""


def markdown_text(x: Any, block_start: bool = True) -> str:
    """Any text as literal Markdown: one line (a line break in an instance's description
    would open a new block), every sign Markdown reads as markup or HTML backslash-escaped
    (``<script>`` shows as text, ``**`` as two stars, ``|`` never splits a table cell), and a
    leading ``#``, ``-``, ``+`` or ``1.`` kept from opening a heading or a list (``block_start``;
    a table cell is no block start: -10 stays -10). Used by the Markdown renderer on every
    text it writes (report/markdown.py)."""
    flat = " ".join(str(x).splitlines())
    escaped = _MD_INLINE.sub(lambda m: "\\" + m[0], flat)
    if not block_start:
        return escaped
    return _MD_BLOCK.sub(lambda m: m[1] + ("\\" + m[2] if m[2] else f"{m[3]}\\{m[4]}"),
                         escaped)
