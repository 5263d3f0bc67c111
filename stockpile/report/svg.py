"""Inline SVG charts, generated as text: no plotting library, no external resources.

Each function returns one ``<svg>`` element sized by its viewBox (it scales to the page
width) with a ``<title>`` for screen readers. All text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from html import escape

WIDTH = 720
NARROW = 400  # the width of the charts drawn for narrow screens (html.py shows one or other)
_width: ContextVar[int] = ContextVar("chart_width", default=WIDTH)


def width() -> int:
    """The width of the chart being drawn (viewBox units): WIDTH, or NARROW inside
    :func:`narrow`."""
    return _width.get()


@contextmanager
def narrow() -> Iterator[None]:
    """Draw the charts made inside for a narrow screen: NARROW units wide, so that at a
    420 px phone width they scale about 1:1 and every label and value stays in view."""
    token = _width.set(NARROW)
    try:
        yield
    finally:
        _width.reset(token)
BAR = 18
GAP = 6
INK = "#1f3a5f"
NEG = "#9b2c2c"
GRID = "#c8ccd2"
MUTED = "#555b63"
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'
CHAR_PX = 7.2  # generous width of one character at 12 px (Helvetica averages about 6.7)


def _lines(text: str, limit: int) -> list[str]:
    """A label in lines of about ``limit`` characters, broken between words where it can;
    never truncated."""
    out = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit + 1)
        cut = cut if cut > 0 else limit
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*out, text]


def _label_chars(left: float) -> int:
    """Characters of a label line that fit in ``left`` units of label column (at most 40)."""
    return max(8, min(40, int((left - 16) / CHAR_PX)))


def axis_label(x: float, y: float, text: str, anchor: str = "middle", rotate: bool = False
               ) -> str:
    """An axis title (class axis-label, which the browser tests look for)."""
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text class="axis-label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'fill="{MUTED}" font-weight="bold"{turn}>{escape(text)}</text>')


AXIS_LINE = 14  # line height of a wrapped axis title


def axis_lines(text: str) -> list[str]:
    """A horizontal axis title in lines that fit the chart's width (bold 12 px text, at
    CHAR_PX per character, 8 units clear of each edge)."""
    return _lines(text, max(8, int((width() - 16) / CHAR_PX)))


def value_axis_label(centre: float, y: float, lines: list[str]) -> str:
    """A horizontal axis title of one or more lines (:func:`axis_lines`), centred on
    ``centre`` where it fits and moved inwards where it would cross the chart's edge."""
    half = max(len(line) for line in lines) * CHAR_PX / 2
    x = min(max(centre, half + 8), width() - half - 8)
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else AXIS_LINE}">{escape(line)}'
                    "</tspan>" for i, line in enumerate(lines))
    return (f'<text class="axis-label" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
            f'fill="{MUTED}" font-weight="bold">{spans}</text>')


def _open(height: float, title: str) -> str:
    return (f'<svg viewBox="0 0 {width()} {height:.0f}" '
            f'width="100%" role="img" aria-label="{escape(title)}" {FONT}>'
            f"<title>{escape(title)}</title>")


def hbar(items: Sequence[tuple[str, float]], title: str,
         value_text: Callable[[float], str], value_axis: str = "", category_axis: str = "",
         more: int = 0) -> str:
    """Horizontal bars, one per (label, value), in the order given; negatives go left.

    ``value_axis`` and ``category_axis`` title the axes; ``more`` > 0 adds a last line
    "and N more" for items left out. Long labels wrap to two lines, never truncated."""
    W = width()
    labels = [_lines(lbl, _label_chars(W * 0.45)) for lbl, _ in items]
    values = [float(v) for _, v in items]
    longest = max((len(line) for ls in labels for line in ls), default=4)
    longest = max(longest, len(category_axis or "item"))
    left = min(W * 0.45, max(70.0, 16 + CHAR_PX * longest))
    right = 120.0 if W >= WIDTH else 96.0
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0
    plot = W - left - right
    x = lambda v: left + (v - lo) / span * plot  # noqa: E731
    top = 24
    rows = [BAR + GAP + 13 * (len(ls) - 1) for ls in labels]
    axis = axis_lines(value_axis or title)
    height = top + sum(rows) + 8 + (18 if more > 0 else 0) + 22 + AXIS_LINE * (len(axis) - 1)
    parts = [_open(height, title),
             axis_label(left - 8, 14, category_axis or "item", "end"),
             f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" '
             f'y2="{top + sum(rows):.0f}" stroke="{GRID}"/>']
    y = float(top)
    for lines, v, row in zip(labels, values, rows):
        x0, x1 = sorted((x(0), x(v)))
        colour = NEG if v < 0 else INK
        ty = y + BAR - 5 - 6 * (len(lines) - 1)
        ty = max(ty, y + 11.0)  # three lines or more: from the row's top down
        spans = "".join(f'<tspan x="{left - 8:.1f}" dy="{0 if i == 0 else 13}">'
                        f"{escape(line)}</tspan>" for i, line in enumerate(lines))
        parts.append(f'<text x="{left - 8:.1f}" y="{ty:.1f}" text-anchor="end">{spans}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 0.5):.1f}" '
                     f'height="{BAR}" fill="{colour}"/>')
        parts.append(f'<text x="{max(x1, x(0)) + 6:.1f}" y="{y + BAR - 5:.1f}" fill="{MUTED}">'
                     f"{escape(value_text(v))}</text>")
        y += row
    if more > 0:
        parts.append(f'<text x="{left - 8:.1f}" y="{y + 12:.1f}" text-anchor="end" '
                     f'fill="{MUTED}" font-style="italic">and {more} more</text>')
        y += 18
    parts.append(value_axis_label(left + plot / 2, y + 20, axis))
    parts.append("</svg>")
    return "".join(parts)


def largest(items: Sequence[tuple[str, float]], limit: int) -> tuple[list[tuple[str, float]], int]:
    """The ``limit`` items of largest magnitude, largest first, and how many were left out."""
    ranked = sorted(items, key=lambda lv: -abs(float(lv[1])))
    return ranked[:limit], max(0, len(ranked) - limit)


MAX_BARS = 30  # bars in a chart of the largest items; the rest are counted as "and N more"


def largest_bars(items: Sequence[tuple[str, float]], caption: str,
                 value_text: Callable[[float], str], value_axis: str, category_axis: str
                 ) -> list[tuple[str, str]]:
    """A (caption, svg) chart of the MAX_BARS largest items as horizontal bars, largest
    first, with "and N more"; no chart (an empty list) without items."""
    if not items:
        return []
    shown, more = largest(items, MAX_BARS)
    return [(caption, hbar(shown, caption, value_text, value_axis, category_axis, more))]


def cdf(points: Sequence[tuple[float, float]], markers: Sequence[tuple[str, float]],
        title: str, value_text: Callable[[float], str]) -> str:
    """Cumulative distribution of (value, probability) as a step line, with marker lines."""
    pts = sorted((float(v), float(p)) for v, p in points)
    total = sum(p for _, p in pts) or 1.0
    values = [v for v, _ in pts] + [float(m) for _, m in markers]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    degenerate = hi - lo <= 1e-9 * max(1.0, abs(hi))
    pad = max(1.0, abs(hi)) * 0.05 if degenerate else (hi - lo) * 0.03
    lo, hi = (max(0.0, lo - pad) if lo >= 0 else lo - pad), hi + pad
    W = width()
    left, right, bottom = 76.0, 24.0, 40.0
    height = 300.0
    pw = W - left - right
    x = lambda v: left + (v - lo) / (hi - lo) * pw  # noqa: E731
    placed = _place_markers(markers, x, value_text, left + pw / 2)
    top = 12.0 * (max([1, *(p[4] for p in placed)]) + 2)  # below the marker labels' rows
    ph = height - top - bottom
    y = lambda c: top + (1 - c) * ph  # noqa: E731
    parts = [_open(height, title)]
    parts.extend(f'<line x1="{left}" y1="{y(c):.1f}" x2="{W - right}" y2="{y(c):.1f}" '
                 f'stroke="{GRID}" stroke-width="0.6"/>'
                 f'<text x="{left - 6}" y="{y(c) + 4:.1f}" text-anchor="end" '
                 f'fill="{MUTED}">{c:.0%}</text>' for c in (0.0, 0.25, 0.5, 0.75, 1.0))
    n_ticks = 4 if W >= WIDTH else 2  # intervals: a narrow chart has room for three labels
    ticks = [lo + (hi - lo) * i / n_ticks for i in range(n_ticks + 1)]
    tick_text = [value_text(v) for v in ticks]
    if len(set(tick_text)) < len(ticks):  # too coarse for a narrow range: full numbers
        tick_text = [f"{v:,.0f}" for v in ticks]
    for i, (v, label) in enumerate(zip(ticks, tick_text)):
        anchor = "start" if i == 0 else "end" if i == n_ticks else "middle"
        parts.append(f'<text x="{x(v):.1f}" y="{height - bottom + 16:.1f}" '
                     f'text-anchor="{anchor}" fill="{MUTED}">{escape(label)}</text>')
    path, cum = [f"M{x(lo):.1f},{y(0):.1f}"], 0.0
    for v, p in pts:
        path.append(f"H{x(v):.1f}")
        cum += p / total
        path.append(f"V{y(cum):.1f}")
    path.append(f"H{x(hi):.1f}")
    parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{INK}" stroke-width="2"/>')
    for xm, text, tx, anchor, row in placed:
        parts.append(f'<line x1="{xm:.1f}" y1="{top - 4}" x2="{xm:.1f}" y2="{y(0):.1f}" '
                     f'stroke="{NEG}" stroke-dasharray="4 3" stroke-width="1"/>'
                     f'<text x="{tx:.1f}" y="{12 + 12 * row}" text-anchor="{anchor}" '
                     f'fill="{NEG}" font-size="11">{escape(text)}</text>')
    parts.append(axis_label(left + pw / 2, height - 6, "Total cost in a scenario (USD)"))
    parts.append(axis_label(14, top + ph / 2, "Probability cost is at most this", rotate=True))
    parts.append("</svg>")
    return "".join(parts)


def _place_markers(markers: Sequence[tuple[str, float]], x: Callable[[float], float],
                   value_text: Callable[[float], str], middle: float
                   ) -> list[tuple[float, str, float, str, int]]:
    """Each marker line's label above the plot: (line x, label, text x, anchor, row).
    Markers closer than 4 units share a label; a label runs right of its line, or left
    where it would cross the chart's right edge or lies right of ``middle``, and takes the
    first row (12 units each) where it overlaps no label placed before it."""
    groups: list[tuple[float, list[tuple[str, float]]]] = []
    for name, m in sorted(markers, key=lambda nm: float(nm[1])):
        if groups and x(float(m)) - x(groups[-1][0]) < 4:
            groups[-1][1].append((name, float(m)))
        else:
            groups.append((float(m), [(name, float(m))]))
    W = width()
    rows: list[list[tuple[float, float]]] = []
    out = []
    for m, named in groups:
        xm, text = x(m), _marker_label(named, value_text)
        room = 6.2 * len(text) + 4  # width of the label at 11 px, generously
        end = (xm > middle or xm + room > W) and xm - room >= 0
        lo, hi = (xm - room, xm) if end else (xm, xm + room)
        row = next((i for i, taken in enumerate(rows)
                    if all(hi + 6 <= a or lo - 6 >= b for a, b in taken)), len(rows))
        if row == len(rows):
            rows.append([])
        rows[row].append((lo, hi))
        out.append((xm, text, xm - 3 if end else xm + 3, "end" if end else "start", row))
    return out


def _marker_label(named: list[tuple[str, float]], value_text: Callable[[float], str]) -> str:
    """'mean / p95: USD 3.60 bn' where markers that share a line show the same figure,
    'mean: USD 3.60 bn / p95: USD 3.95 bn' where they differ (each keeps its own value)."""
    texts = [value_text(v) for _, v in named]
    if len(set(texts)) == 1:
        return f"{' / '.join(n for n, _ in named)}: {texts[0]}"
    return " / ".join(f"{n}: {t}" for (n, _), t in zip(named, texts))


def tornado(items: Sequence[tuple[str, float, float]], title: str,
            value_text: Callable[[float], str], value_axis: str, category_axis: str,
            low_name: str = "down", high_name: str = "up") -> str:
    """A tornado chart: per (label, change when the input goes down, change when it goes
    up), two bars from zero, in the order given (widest swing first); both axes titled."""
    W = width()
    labels = [_lines(lbl, _label_chars(W * 0.4)) for lbl, _, _ in items]
    values = [float(v) for _, a, b in items for v in (a, b)]
    longest = max((len(line) for ls in labels for line in ls), default=4)
    longest = max(longest, len(category_axis))
    left = min(W * 0.4, max(70.0, 16 + CHAR_PX * longest))
    margin = min(110.0, W * 0.2)
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0
    plot = W - left - 2 * margin
    x = lambda v: left + margin + (v - lo) / span * plot  # noqa: E731
    top, row = 40, 2 * BAR + GAP + 6
    axis = axis_lines(value_axis)
    height = top + len(items) * row + 34 + AXIS_LINE * (len(axis) - 1)
    gap = min(120.0, 30 + CHAR_PX * len(high_name))  # legend: the second key after the first
    parts = [_open(height, title), axis_label(left - 8, 14, category_axis, "end"),
             f'<rect x="{left + margin:.1f}" y="22" width="10" height="10" fill="{INK}"/>'
             f'<text x="{left + margin + 14:.1f}" y="31" fill="{MUTED}">{escape(high_name)}'
             f'</text><rect x="{left + margin + gap:.1f}" y="22" width="10" height="10" '
             f'fill="{GRID}"/><text x="{left + margin + gap + 14:.1f}" y="31" fill="{MUTED}">'
             f"{escape(low_name)}</text>",
             f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" '
             f'y2="{top + len(items) * row:.0f}" stroke="{MUTED}"/>']
    for i, (lines, (_, down, up)) in enumerate(zip(labels, items)):
        y = top + i * row
        spans = "".join(f'<tspan x="{left - 8:.1f}" dy="{0 if j == 0 else 13}">'
                        f"{escape(line)}</tspan>" for j, line in enumerate(lines))
        parts.append(f'<text x="{left - 8:.1f}" y="{y + BAR + 2:.1f}" text-anchor="end">'
                     f"{spans}</text>")
        for k, (v, colour) in enumerate(((up, INK), (down, GRID))):
            yy = y + k * BAR
            x0, x1 = sorted((x(0), x(float(v))))
            parts.append(f'<rect x="{x0:.1f}" y="{yy}" width="{max(x1 - x0, 0.5):.1f}" '
                         f'height="{BAR - 2}" fill="{colour}"/>')
            tx, anchor = (x1 + 4, "start") if float(v) >= 0 else (x0 - 4, "end")
            parts.append(f'<text x="{tx:.1f}" y="{yy + BAR - 6}" text-anchor="{anchor}" '
                         f'fill="{MUTED}" font-size="11">{escape(value_text(float(v)))}</text>')
    parts.append(value_axis_label(x(0) if lo < 0 < hi else left + margin + plot / 2,
                                  height - 8 - AXIS_LINE * (len(axis) - 1), axis))
    parts.append("</svg>")
    return "".join(parts)
