"""Writing the report folder, all or nothing.

Every file is written into a temporary folder next to the destination, which then replaces
the destination by rename. A failure or an interruption while writing leaves the previous
complete report untouched and no temporary folder behind.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable

from .content import document
from .xlsx import write_xlsx

PLAN_COLUMNS = [
    ("holder", "holder"), ("product", "product"), ("material", "material"),
    ("inventory_t", "inventory_t"), ("lots", "lots"), ("bought_t", "bought_t"),
    ("stock_t", "stock_t"), ("purchase_cost_usd", "purchase_cost"),
    ("holding_cost_usd", "holding_cost"), ("annual_demand_t", "annual_demand_t"),
    ("days_of_cover", "days_of_cover"),
]


def json_safe(value: Any) -> Any:
    """A copy with NaN and infinities replaced by None (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_json(result: dict[str, Any], path: Path) -> None:
    """The result itself, in its own key order, NaN-free."""
    text = json.dumps(json_safe(result), indent=2, sort_keys=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _csv_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return repr(value) if isinstance(value, float) else value


def write_plan_csv(result: dict[str, Any], path: Path) -> None:
    """One row per plan entry; empty cells for missing values, full float precision."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([name for name, _ in PLAN_COLUMNS])
        for entry in result.get("plan") or []:
            w.writerow([_csv_value(entry.get(key)) for _, key in PLAN_COLUMNS])


def _write_all(result: dict[str, Any], folder: Path) -> list[str]:
    """Write every report file into ``folder``; returns the file names in writing order.

    Markdown and HTML come from the package's public ``render_markdown`` and
    ``render_html``, looked up at call time, so what the tests render is what is written.
    """
    from . import render_html, render_markdown

    write_json(result, folder / "result.json")
    write_plan_csv(result, folder / "plan.csv")
    (folder / "report.md").write_text(render_markdown(result), encoding="utf-8")
    (folder / "report.html").write_text(render_html(result), encoding="utf-8")
    write_xlsx(document(result), folder / "report.xlsx")
    return ["report.md", "report.html", "report.xlsx", "plan.csv", "result.json"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace(new: Path, out_dir: Path) -> None:
    """Move ``new`` to ``out_dir``; an existing ``out_dir`` is set aside, then deleted."""
    if not os.path.lexists(out_dir):
        os.rename(new, out_dir)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
    os.rename(out_dir, old)
    try:
        os.rename(new, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink()


def write_folder(out_dir: Path, write: Callable[[Path], list[str]],
                 keep_subfolders: bool = False) -> list[Path]:
    """Write a report folder all or nothing: ``write(tmp)`` fills a temporary folder beside
    ``out_dir`` (returning the file names), which then takes ``out_dir``'s place.

    ``keep_subfolders``: sub-folders of the previous ``out_dir`` that the new one does not
    write (e.g. ``compare/`` under a solve report) are copied into the new folder first, so
    replacing one report does not delete another.

    On any error the temporary folder is removed, the previous folder is kept, and the error
    is raised again.
    """
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        names = write(tmp)
        if keep_subfolders and out_dir.is_dir():
            for child in out_dir.iterdir():
                if child.is_dir() and not (tmp / child.name).exists():
                    shutil.copytree(child, tmp / child.name, symlinks=True)
        _replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [out_dir / n for n in names]


def write_solve_report(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write report.md, report.html, report.xlsx, plan.csv and result.json into ``out_dir``.

    All or nothing (:func:`write_folder`): on any error the previous report is kept. Other
    reports kept in sub-folders (``compare/``, ``evaluate/``) survive.
    """
    return write_folder(out_dir, lambda tmp: _write_all(result, tmp), keep_subfolders=True)
