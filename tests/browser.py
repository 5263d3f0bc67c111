"""Open an HTML report in headless Chromium (Debian's, driven by playwright) and list what a
reader would find wrong: horizontal overflow, table columns out of view, literal Markdown,
charts without a title or labelled axes, chart text too small to read, a printed PDF that
loses columns. Used by tests/test_browser.py; screenshots of failing pages are saved."""

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
            found: list[str] = page.evaluate(CHECKS.replace("MIN_PX", str(MIN_CHART_TEXT_PX)))
            if found:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{html.stem}-{width}.png"), full_page=True)
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
            found: list[str] = page.evaluate(CHECKS.replace("MIN_PX", "0"))
            return [f"print: {p}" for p in found if "Markdown" not in p]
        finally:
            page.close()


def report_pages(root: Path) -> dict[str, Any]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.html"))}
