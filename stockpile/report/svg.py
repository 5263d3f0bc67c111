"""Inline SVG charts, generated as text: no plotting library, no external resources.

Each function returns one ``<svg>`` element sized by its viewBox (it scales to the page
width) with a ``<title>`` for screen readers. All text is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Callable, Sequence

WIDTH = 720
BAR = 18
GAP = 6
INK = "#1f3a5f"
NEG = "#9b2c2c"
GRID = "#c8ccd2"
MUTED = "#555b63"
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'
CHAR_PX = 6.6  # rough width of one character at 12 px


def _label(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _open(height: float, title: str) -> str:
    return (f'<svg viewBox="0 0 {WIDTH} {height:.0f}" '
            f'width="100%" role="img" aria-label="{escape(title)}" {FONT}>'
            f"<title>{escape(title)}</title>")


def hbar(items: Sequence[tuple[str, float]], title: str,
         value_text: Callable[[float], str]) -> str:
    """Horizontal bars, one per (label, value), in the order given; negatives go left."""
    labels = [_label(lbl) for lbl, _ in items]
    values = [float(v) for _, v in items]
    left = min(260.0, max(60.0, 14 + CHAR_PX * max((len(s) for s in labels), default=4)))
    right = 110.0
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0
    plot = WIDTH - left - right
    x = lambda v: left + (v - lo) / span * plot  # noqa: E731
    top = 8
    height = top + len(items) * (BAR + GAP) + 8
    parts = [_open(height, title),
             f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" y2="{height - 4:.0f}" '
             f'stroke="{GRID}"/>']
    for i, (lbl, v) in enumerate(zip(labels, values)):
        y = top + i * (BAR + GAP)
        x0, x1 = sorted((x(0), x(v)))
        colour = NEG if v < 0 else INK
        parts.append(f'<text x="{left - 8:.1f}" y="{y + BAR - 5}" text-anchor="end">'
                     f"{escape(lbl)}</text>")
        parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 0.5):.1f}" '
                     f'height="{BAR}" fill="{colour}"/>')
        parts.append(f'<text x="{max(x1, x(0)) + 6:.1f}" y="{y + BAR - 5}" fill="{MUTED}">'
                     f"{escape(value_text(v))}</text>")
    parts.append("</svg>")
    return "".join(parts)


def cdf(points: Sequence[tuple[float, float]], markers: Sequence[tuple[str, float]],
        title: str, value_text: Callable[[float], str]) -> str:
    """Cumulative distribution of (value, probability) as a step line, with marker lines."""
    pts = sorted((float(v), float(p)) for v, p in points)
    total = sum(p for _, p in pts) or 1.0
    values = [v for v, _ in pts] + [float(m) for _, m in markers]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    degenerate = hi - lo <= 1e-9 * max(1.0, abs(hi))
    pad = max(1.0, abs(hi)) * 0.05 if degenerate else (hi - lo) * 0.03
    lo, hi = lo - pad, hi + pad
    left, right, top, bottom = 60.0, 24.0, 36.0, 40.0
    height = 300.0
    pw, ph = WIDTH - left - right, height - top - bottom
    x = lambda v: left + (v - lo) / (hi - lo) * pw  # noqa: E731
    y = lambda c: top + (1 - c) * ph  # noqa: E731
    parts = [_open(height, title)]
    for c in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" y1="{y(c):.1f}" x2="{WIDTH - right}" y2="{y(c):.1f}" '
                     f'stroke="{GRID}" stroke-width="0.6"/>'
                     f'<text x="{left - 6}" y="{y(c) + 4:.1f}" text-anchor="end" '
                     f'fill="{MUTED}">{c:.0%}</text>')
    ticks = [lo + (hi - lo) * i / 4 for i in range(5)]
    tick_text = [value_text(v) for v in ticks]
    if len(set(tick_text)) < len(ticks):  # too coarse for a narrow range: full numbers
        tick_text = [f"{v:,.0f}" for v in ticks]
    for i, (v, label) in enumerate(zip(ticks, tick_text)):
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text x="{x(v):.1f}" y="{height - bottom + 16:.1f}" '
                     f'text-anchor="{anchor}" fill="{MUTED}">{escape(label)}</text>')
    path, cum = [f"M{x(lo):.1f},{y(0):.1f}"], 0.0
    for v, p in pts:
        path.append(f"H{x(v):.1f}")
        cum += p / total
        path.append(f"V{y(cum):.1f}")
    path.append(f"H{x(hi):.1f}")
    parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{INK}" stroke-width="2"/>')
    groups: list[tuple[float, list[str]]] = []  # markers closer than 4 px share a label
    for name, m in sorted(markers, key=lambda nm: float(nm[1])):
        if groups and x(float(m)) - x(groups[-1][0]) < 4:
            groups[-1][1].append(name)
        else:
            groups.append((float(m), [name]))
    for j, (m, names) in enumerate(groups):
        xm = x(m)
        end = xm > left + pw / 2
        label = f"{' / '.join(names)}: {value_text(m)}"
        parts.append(f'<line x1="{xm:.1f}" y1="{top - 4}" x2="{xm:.1f}" y2="{y(0):.1f}" '
                     f'stroke="{NEG}" stroke-dasharray="4 3" stroke-width="1"/>'
                     f'<text x="{xm - 3 if end else xm + 3:.1f}" y="{12 + 12 * (j % 2)}" '
                     f'text-anchor="{"end" if end else "start"}" fill="{NEG}" font-size="11">'
                     f"{escape(label)}</text>")
    parts.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6:.1f}" text-anchor="middle" '
                 f'fill="{MUTED}">Total cost in a scenario; the line shows the probability '
                 "that cost is at most that value</text>")
    parts.append("</svg>")
    return "".join(parts)
