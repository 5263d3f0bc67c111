"""Every HTML report opened in a real browser (headless Chromium) at 1400 and 420 px and
printed to PDF: no sideways overflow, every table column visible, no literal Markdown, every
chart titled with labelled axes and readable text; printing keeps every column.

Run on their own (``pytest -m browser``; CI step 3 installs Debian's chromium). Skipped
with the reason when chromium or playwright is absent, unless STOCKPILE_REQUIRE_BROWSER=1
(CI), where that is a failure. Screenshots of failing pages go to
``$STOCKPILE_SHOTS`` (default: the test's temporary folder, printed in the failure).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import browser
from stockpile.cli import main

pytestmark = pytest.mark.browser
DEFAULT = (Path(__file__).resolve().parent.parent / "instances"
           / "us_japan_2026_quick.yaml")  # the default data, 20 scenarios: seconds per command
TINY = Path(__file__).resolve().parent.parent / "instances" / "tiny_sharing.yaml"

RUNS = {
    "solve": ["solve", str(DEFAULT)],
    "solve-national": ["solve", str(DEFAULT), "--mode", "national"],
    "solve-tiny": ["solve", str(TINY)],
    "solve-sensitivity": ["solve", str(TINY), "--sensitivity", "0.3"],
    "compare": ["compare", str(DEFAULT)],
    "evaluate": ["evaluate", str(DEFAULT), "--n", "300"],
    "frontier": ["frontier", str(DEFAULT), "--budgets", "0.5,1", "--lambdas", "0,1",
                 "--n", "300"],
    "scenarios": ["scenarios", str(DEFAULT), "--n", "200", "--reduce", "20"],
    "sensitivity": ["sensitivity", str(DEFAULT), "--step", "0.2"],
    "diff": ["diff", "{solve}", "{solve-national}"],  # two of the results above
}


@pytest.fixture(scope="session")
def chromium():
    if not browser.available():
        reason = (f"chromium ({browser.CHROMIUM}) or playwright is not installed; "
                  "apt-get install chromium and pip install -e '.[test]'")
        if os.environ.get("STOCKPILE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    b = browser.Browser()
    yield b
    b.close()


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reports")
    out = {}
    for name, argv in RUNS.items():
        folder = root / name
        extra = ["--out", str(folder / "new.yaml"), "--report", str(folder / "report")] \
            if argv[0] == "scenarios" else ["--out", str(folder)]
        args = [a.format(**{k: str(root / k) for k in RUNS}) for a in argv]
        quiet = [] if args[0] == "diff" else ["--quiet"]
        rc = main([*args, *extra, *quiet])
        assert rc == 0, f"stockpile {' '.join(args)} exited {rc}"
        (html,) = list(folder.rglob("*.html"))
        out[name] = html
    return out


@pytest.mark.parametrize("width", browser.WIDTHS)
@pytest.mark.parametrize("name", list(RUNS))
def test_page_reads_well(chromium, pages: dict[str, Path], name: str, width: int,
                         tmp_path: Path) -> None:
    shots = Path(os.environ.get("STOCKPILE_SHOTS", tmp_path))
    found = chromium.problems(pages[name], width, shots)
    assert not found, f"{name} at {width} px (screenshot in {shots}):\n" + "\n".join(found)


@pytest.mark.parametrize("name", list(RUNS))
def test_page_prints_whole(chromium, pages: dict[str, Path], name: str,
                           tmp_path: Path) -> None:
    pdf = tmp_path / f"{name}.pdf"
    found = chromium.print_problems(pages[name], pdf)
    assert pdf.stat().st_size > 1000
    assert not found, f"{name} printed ({pdf}):\n" + "\n".join(found)


SOLVE_HEADLINE = "Expected total cost out of sample"


@pytest.mark.parametrize("name", list(RUNS))
def test_headline_is_on_the_first_screen(chromium, pages: dict[str, Path], name: str) -> None:
    # At 1400 x 900 px the summary's first USD figure is in view without scrolling; in a
    # solve report that figure is the out-of-sample expected total (issue 20 item 3).
    lead = chromium.headline(pages[name], 1400)
    if name.startswith("solve"):
        assert lead is not None and lead["text"].startswith(SOLVE_HEADLINE), lead
    if lead is not None:
        assert lead["bottom"] <= lead["screen"], (
            f"{name}: the headline '{lead['text'][:60]}' ends {lead['bottom']:.0f} px down, "
            f"below the first screen of {lead['screen']} px")


def test_checks_catch_a_bad_page(chromium, tmp_path: Path) -> None:
    # the checks can fail: a wide table, literal Markdown and an unlabelled chart are found
    bad = tmp_path / "bad.html"
    cells = "".join(f"<td>{'x' * 40}</td>" for _ in range(30))
    bad.write_text("<!DOCTYPE html><html><body><p>**Warning:** `x`</p>"
                   f"<div><table data-sheet='Cut'><tr>{cells}</tr></table></div>"
                   "<div style='overflow-x: auto'><table data-sheet='Scrolls'>"
                   f"<tr>{cells}</tr></table></div>"
                   "<table data-sheet='Stacked'><thead style='display: none'><tr><th>h</th>"
                   "</tr></thead><tbody><tr><td>v</td></tr></tbody></table>"
                   "<div style='width: 40px'><table data-sheet='Split'><tr><td style="
                   "'overflow-wrap: anywhere'>palladium</td><td>rare-earth quotas</td></tr>"
                   "</table></div>"
                   "<figure><svg viewBox='0 0 10 10'><text>a</text></svg></figure>"
                   "<figure><figcaption>Crowded</figcaption><svg viewBox='0 0 200 40'>"
                   "<title>t</title><text class='axis-label' x='0' y='38'>x</text>"
                   "<text class='axis-label' x='100' y='38'>y</text><text x='10' y='15'>"
                   "mean: USD 3.66 bn</text><text x='40' y='15'>CVaR: USD 36.8 bn</text>"
                   "</svg></figure>"
                   "<section class='summary'><div style='height: 1200px'></div><ul>"
                   "<li>Total USD 5 bn</li></ul></section></body></html>")
    found = chromium.problems(bad, 420, tmp_path)
    text = "\n".join(found)
    assert "page overflows sideways" in text
    assert "no viewport meta tag" in text
    assert "literal Markdown in the page: **" in text
    assert "axes not labelled" in text and "no caption" in text
    # a table cut at the screen's edge hides its last column; one in a box that scrolls
    # sideways does not (the reader can reach it), though it is still wider than its box
    assert 'Cut: last column "' in text and "out of view in 1 rows, with nothing to scroll" \
        in text
    assert "Scrolls: last column" not in text and "Scrolls: wider than its box" in text
    assert "Stacked: stacked per row, but 1 cells show no column label" in text
    # 'pallad|ium' is broken inside a word; 'rare-|earth' in prose at its hyphen is not
    # counted, nor is 'quotas' on a line of its own
    assert 'Split: 1 words broken across lines (first "palladium")' in text
    assert 'Crowded: labels overlap: "mean: USD 3.66 bn" and "CVaR: USD 36.8 bn"' in text
    assert (tmp_path / "bad-420.png").exists()
    # on paper, the crowded chart (200 units across about 700 px) has 12-unit text at 40 px
    printed = "\n".join(chromium.print_problems(bad, tmp_path / "bad.pdf"))
    assert "print: Crowded: chart text" in printed and "px high on paper" in printed
    lead = chromium.headline(bad, 1400)
    assert lead is not None and lead["text"] == "Total USD 5 bn"
    assert lead["top"] > 1200 > lead["screen"] == 900
