"""Open an HTML report in headless Chromium (Debian's, driven by playwright) and list what a
reader would find wrong: horizontal overflow, table columns out of view, words broken across
lines, literal Markdown, charts without a title or labelled axes, chart text too small to
read or overlapping, a printed PDF that loses columns. Used by tests/test_browser.py; screenshots of failing pages are saved."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("STOCKPILE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTHS = (1400, 420)
MIN_CHART_TEXT_PX = 8.0  # rendered height of the smallest chart label
MAX_WORD = 24  # longer tokens (hashes, paths) may break anywhere; shorter words never

# Run in the page: every problem as one line of text.
CHECKS = r"""
() => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > vw + 1)
    out.push(`page overflows sideways: ${document.documentElement.scrollWidth} px > ${vw} px`);
  if (!document.querySelector('meta[name="viewport"]')) out.push('no viewport meta tag');
  document.querySelectorAll('table').forEach((t, ti) => {
    const name = t.getAttribute('data-sheet') || `table ${ti + 1}`;
    let box = t.parentElement;
    if (box.scrollWidth > box.clientWidth + 1)
      out.push(`${name}: wider than its box (${box.scrollWidth} > ${box.clientWidth} px)`);
    let outside = 0, clipped = 0, first = '';
    t.querySelectorAll('th, td').forEach((c) => {
      const r = c.getBoundingClientRect();
      if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) { outside++; first = first || c.innerText; }
      if (c.scrollWidth > c.clientWidth + 1) { clipped++; first = first || c.innerText; }
    });
    if (outside) out.push(`${name}: ${outside} cells outside the page (first "${first.slice(0, 30)}")`);
    if (clipped) out.push(`${name}: ${clipped} cells clipped (first "${first.slice(0, 30)}")`);
    // words broken across lines: inside a word ('antimon|y'), or an identifier that is a
    // cell's whole text broken anywhere ('JP-|JOGMEC'); a long token (hash, path) may break
    let split = 0, firstSplit = '';
    t.querySelectorAll('th, td').forEach((c) => {
      if (c.getBoundingClientRect().width === 0) return;
      const whole = c.innerText.trim();
      const walker = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        for (const m of n.textContent.matchAll(/\S+/g)) {
          if (m[0].length < 2 || m[0].length > MAX_WORD) continue;
          const tops = (a, b) => { const r = document.createRange(); r.setStart(n, m.index + a);
            r.setEnd(n, m.index + b);
            return [...r.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)); };
          const all = tops(0, m[0].length);
          if (all.length < 2 || Math.max(...all) - Math.min(...all) < 3) continue;
          for (let i = 1; i < m[0].length; i++) {  // where it breaks: after a hyphen is fine in prose
            const [a, b] = [tops(i - 1, i)[0], tops(i, i + 1)[0]];
            if (a !== undefined && b !== undefined && b > a + 2
                && (m[0] === whole || !'-/'.includes(m[0][i - 1]))) {
              split++; firstSplit = firstSplit || m[0]; break;
            }
          }
        }
      }
    });
    if (split) out.push(`${name}: ${split} words broken across lines (first "${firstSplit}")`);
    // the last column: in view, or inside a box the reader can scroll sideways to reach it
    const heads = t.querySelectorAll('tr:first-child > *');
    const lastHead = heads.length ? heads[heads.length - 1].innerText : '';
    let hidden = 0;
    t.querySelectorAll('tr').forEach((tr) => {
      const c = tr.lastElementChild;
      if (!c) return;
      const r = c.getBoundingClientRect();
      if (r.width === 0) return;
      let edge = vw, scrolls = false;
      for (let a = t.parentElement; a && a !== document.documentElement; a = a.parentElement) {
        const st = getComputedStyle(a);
        if (st.overflowX !== 'visible') {
          edge = Math.min(edge, a.getBoundingClientRect().right);
          scrolls = scrolls || ((st.overflowX === 'auto' || st.overflowX === 'scroll')
                                && a.scrollWidth > a.clientWidth);
        }
      }
      if (r.left > edge - 8 && !scrolls) hidden++;
    });
    if (hidden) out.push(`${name}: last column "${lastHead.slice(0, 30)}" out of view in ${hidden} rows, with nothing to scroll`);
    // a table stacked one block per row (header hidden) labels every cell with its column
    const head = t.querySelector('thead');
    if (head && getComputedStyle(head).display === 'none') {
      let bare = 0;
      t.querySelectorAll('td').forEach((c) => {
        const before = getComputedStyle(c, '::before').content;
        if (c.getBoundingClientRect().width > 0 && (!before || before === 'none' || before === '""'
            || !(c.getAttribute('data-label') || '').trim())) bare++;
      });
      if (bare) out.push(`${name}: stacked per row, but ${bare} cells show no column label`);
    }
  });
  const text = document.body.innerText;
  for (const [pat, what] of [[/\*\*/, '**'], [/`/, 'backtick'], [/^\s*#{1,6} /m, 'heading #'],
                             [/\|\s*---/, 'Markdown table rule']])
    if (pat.test(text)) out.push(`literal Markdown in the page: ${what}`);
  document.querySelectorAll('svg').forEach((s, si) => {
    const fig = s.closest('figure');
    const cap = fig && fig.querySelector('figcaption');
    const title = s.querySelector('title');
    const name = (cap && cap.innerText) || `chart ${si + 1}`;
    if (!cap || !cap.innerText.trim()) out.push(`${name}: no caption`);
    if (!title || !title.textContent.trim()) out.push(`${name}: no title`);
    if (s.querySelectorAll('.axis-label').length < 2) out.push(`${name}: axes not labelled`);
    if (s.textContent.includes('\u2026')) out.push(`${name}: label truncated`);
    const boxes = [...s.querySelectorAll('text')].map((t) => [t, t.getBoundingClientRect()])
      .filter(([, r]) => r.width > 0);
    boxes.forEach(([a, ra], i) => boxes.slice(i + 1).forEach(([b, rb]) => {
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 2)
        out.push(`${name}: labels overlap: "${a.textContent.slice(0, 25)}" and "${b.textContent.slice(0, 25)}"`);
    }));
    s.querySelectorAll('text').forEach((t) => {
      const h = t.getBoundingClientRect().height;
      if (h > 0 && h < MIN_PX) out.push(`${name}: text "${t.textContent.slice(0, 20)}" ${h.toFixed(1)} px`);
      const r = t.getBoundingClientRect(), b = s.getBoundingClientRect();
      if (r.width > 0 && (r.left < b.left - 1 || r.right > b.right + 1))
        out.push(`${name}: label "${t.textContent.slice(0, 30)}" clipped by the chart edge`);
    });
  });
  return [...new Set(out)];
}
"""


# The summary's first line that states a USD figure (the headline total of a solve report):
# where it is on the page, so a test can require it on the first screen.
HEADLINE = r"""
() => {
  const lines = [...document.querySelectorAll('.summary li, .summary p')];
  const lead = lines.find((e) => /USD\s?-?\d/.test(e.innerText));
  if (!lead) return null;
  const r = lead.getBoundingClientRect();
  return {text: lead.innerText, top: r.top, bottom: r.bottom, screen: window.innerHeight};
}
"""


# On paper a chart's text is about the size of the page's text: a chart drawn for phones (400
# units) printed across A4 (about 700 px) would have 12 px labels at 21 px.
MAX_PRINT_CHART_TEXT_PX = 16.0
PRINT_CHARTS = r"""
() => {
  const out = [];
  document.querySelectorAll('svg').forEach((s, si) => {
    const cap = s.closest('figure') && s.closest('figure').querySelector('figcaption');
    const name = (cap && cap.innerText) || `chart ${si + 1}`;
    const lines = [...s.querySelectorAll('text:not([transform])')]  // one line each
      .flatMap((t) => (t.querySelector('tspan') ? [...t.querySelectorAll('tspan')] : [t]));
    const big = lines.map((t) => t.getBoundingClientRect().height).filter((h) => h > MAX_PX);
    if (big.length) out.push(`${name}: chart text ${Math.max(...big).toFixed(0)} px high on paper`);
  });
  return [...new Set(out)];
}
"""


def _checks(min_px: float) -> str:
    return CHECKS.replace("MIN_PX", str(min_px)).replace("MAX_WORD", str(MAX_WORD))


def available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


class Browser:
    """One Chromium for a test session."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()

    def problems(self, html: Path, width: int, shots: Path) -> list[str]:
        """What is wrong with ``html`` at ``width`` px; a screenshot in ``shots`` if any."""
        page = self.browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.goto(html.resolve().as_uri())
            found: list[str] = page.evaluate(_checks(MIN_CHART_TEXT_PX))
            if found:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{html.stem}-{width}.png"), full_page=True)
            return found
        finally:
            page.close()

    def headline(self, html: Path, width: int, height: int = 900) -> dict[str, Any] | None:
        """The summary's first line with a USD figure on a ``width`` x ``height`` screen:
        its text and its top and bottom in px from the top of the first screen (None if
        the summary states no USD figure)."""
        page = self.browser.new_page(viewport={"width": width, "height": height})
        try:
            page.goto(html.resolve().as_uri())
            found: dict[str, Any] | None = page.evaluate(HEADLINE)
            return found
        finally:
            page.close()

    def print_problems(self, html: Path, pdf: Path) -> list[str]:
        """Print to PDF (A4) and check, in print media, that no table is cut at the page
        width: every cell inside the printable width and none clipped."""
        page = self.browser.new_page()
        try:
            page.goto(html.resolve().as_uri())
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4", margin={"top": "12mm", "bottom": "12mm",
                                                          "left": "12mm", "right": "12mm"})
            # A4 minus margins at 96 px per inch: (210 - 24) mm
            page.set_viewport_size({"width": int((210 - 24) / 25.4 * 96), "height": 1000})
            found: list[str] = page.evaluate(_checks(0.0))
            found += page.evaluate(PRINT_CHARTS.replace("MAX_PX", str(MAX_PRINT_CHART_TEXT_PX)))
            return [f"print: {p}" for p in found if "Markdown" not in p]
        finally:
            page.close()


def report_pages(root: Path) -> dict[str, Any]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.html"))}
