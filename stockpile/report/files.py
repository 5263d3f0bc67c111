"""Writing the report folder, all or nothing.

Every file is written into a temporary folder next to the destination, which then replaces
the destination by rename. A failure or an interruption while writing leaves the previous
complete report untouched and no temporary folder behind. A destination that holds anything
stockpile did not write is refused (docs/security.md).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..figures import PlanRow
from ..interrupts import Interrupted, deferred
from .cells import csv_text, tidy
from .content import Solved, document
from .xlsx import write_xlsx

PLAN_COLUMNS: list[tuple[str, Callable[[PlanRow], Any]]] = [
    ("holder", lambda p: p.holder), ("product", lambda p: p.product),
    ("material", lambda p: p.material), ("inventory_t", lambda p: p.inventory_t),
    ("lots", lambda p: p.lots), ("bought_t", lambda p: p.bought_t),
    ("stock_t", lambda p: p.stock_t), ("purchase_cost_usd", lambda p: p.purchase_cost),
    ("holding_cost_usd", lambda p: p.holding_cost),
    ("annual_demand_t", lambda p: p.annual_demand_t),
    ("days_of_cover", lambda p: p.days_of_cover),
]
"""plan.csv's columns: the header and the plan row's field."""


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
    return repr(tidy(value)) if isinstance(value, float) else csv_text(value)


def write_plan_csv(result: dict[str, Any] | Solved, path: Path) -> None:
    """One row per plan entry; empty cells for missing values, numbers to 12 significant
    digits (cells.tidy)."""
    s = result if isinstance(result, Solved) else Solved.of(result)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([name for name, _ in PLAN_COLUMNS])
        for entry in s.figures.plan if s.figures else []:
            w.writerow([_csv_value(get(entry)) for _, get in PLAN_COLUMNS])


def _write_all(result: dict[str, Any], folder: Path) -> list[str]:
    """Write every report file into ``folder``; returns the file names in writing order.

    Markdown and HTML come from the package's public ``render_markdown`` and
    ``render_html``, looked up at call time, so what the tests render is what is written.
    """
    from . import render_html, render_markdown

    solved = Solved.of(result)  # a missing or renamed figure fails here, before any file
    write_json(result, folder / "result.json")
    write_plan_csv(solved, folder / "plan.csv")
    (folder / "report.md").write_text(render_markdown(result), encoding="utf-8")
    (folder / "report.html").write_text(render_html(result), encoding="utf-8")
    write_xlsx(document(solved), folder / "report.xlsx")
    return ["report.md", "report.html", "report.xlsx", "plan.csv", "result.json"]


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


REPORTS = Path("reports")
"""The output root of every report written without ``--out``."""

MARKER = ".stockpile-report"
"""The file that says a folder is a report stockpile wrote, and lists its files."""

MARKER_MAX_BYTES = 65536


class UnsafeOutput(ValueError):
    """The output folder is not stockpile's to replace; nothing was written (exit 2)."""


def report_dir(name: str, *sub: str) -> Path:
    """``reports/<name>/<sub...>``, checked to be one folder inside reports/ (the instance
    schema already holds ``name`` to one safe path component; this is the second lock)."""
    from ..instance.schema import name_problem

    problem = name_problem(name)
    if problem:
        raise UnsafeOutput(f"instance name {name[:200]!r}: {problem}; nothing written.")
    out = REPORTS.joinpath(name, *sub)
    if not _inside(out, REPORTS) or out.absolute() == REPORTS.absolute():
        raise UnsafeOutput(f"report folder {out}: not inside {REPORTS}/; nothing written.")
    return out


def output_folder(out: Path | None, name: str, *sub: str) -> Path:
    """The folder a command writes: ``--out`` as given, else ``reports/<name>/<sub...>``;
    checked at once (:func:`check_out_dir`), so a refusal comes before any solve."""
    folder = Path(out) if out is not None else report_dir(name, *sub)
    check_out_dir(folder)
    return folder


def _inside(path: Path, root: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def read_marker(folder: Path) -> list[str] | None:
    """The file names a stockpile report folder lists in its marker; None if it has none."""
    marker = Path(folder) / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or \
                marker.stat().st_size > MARKER_MAX_BYTES:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if data.get("written_by") != "stockpile" or not isinstance(files, list) or \
            not all(isinstance(f, str) for f in files):
        return None
    return files


def _write_marker(folder: Path, names: list[str]) -> None:
    from .. import __version__

    (folder / MARKER).write_text(json.dumps(
        {"written_by": "stockpile", "version": __version__, "files": names,
         "note": "stockpile replaces this folder only while it holds nothing but these files "
                 "and report folders of its own"}, indent=1) + "\n", encoding="utf-8")


def foreign_entries(folder: Path) -> list[str]:
    """What in ``folder`` stockpile did not write: everything but the files its marker lists
    and sub-folders that are themselves wholly stockpile reports."""
    listed = read_marker(folder)
    allowed = set(listed) | {MARKER} if listed is not None else set()
    out = []
    with os.scandir(folder) as it:
        for e in it:
            if e.name in allowed and e.is_file(follow_symlinks=False):
                continue
            if e.is_dir(follow_symlinks=False) and read_marker(Path(e.path)) is not None \
                    and not foreign_entries(Path(e.path)):
                continue
            out.append(e.name + ("/" if e.is_dir(follow_symlinks=False) else ""))
    return sorted(out)


def check_out_dir(out_dir: Path) -> None:
    """Raise :class:`UnsafeOutput` unless ``out_dir`` is absent, an empty folder, or a folder
    holding only a report stockpile wrote (recognised by its marker file). Nothing a user put
    there is ever replaced."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink():
        raise UnsafeOutput(f"--out {out_dir}: is a symbolic link; stockpile writes only into "
                           "a folder of its own; nothing written.")
    if not os.path.lexists(out_dir):
        return
    if not out_dir.is_dir():
        raise UnsafeOutput(f"--out {out_dir}: is a file, not a folder; nothing written and "
                           "the file left as it is.")
    foreign = foreign_entries(out_dir)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5
                                          else "")
        raise UnsafeOutput(
            f"--out {out_dir}: holds {len(foreign)} entr{'y' if len(foreign) == 1 else 'ies'} "
            f"stockpile did not write ({shown}); give a new or empty folder, or one holding "
            "only a stockpile report; nothing written and every file left in place.")


def _lock_dir(out_dir: Path) -> Path:
    """Writers lock the output root: reports/ for any folder inside it (so a solve replacing
    reports/<name>/ and a compare writing reports/<name>/compare/ take turns), else the
    folder that holds ``out_dir``."""
    return REPORTS.absolute() if _inside(out_dir, REPORTS) and REPORTS.is_dir() \
        else out_dir.parent


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the directory itself: no lock file is left
    behind); other stockpile processes writing under it wait. Without fcntl (Windows) no
    lock is taken."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


TMP_MARKER = ".stockpile-writing"
"""The file a temporary report folder holds from its creation until the report's own marker
is in it: what says a leftover ``.<name>.tmp-<pid>-*`` folder is stockpile's."""


def _ours(path: Path) -> bool:
    """True if ``path`` carries stockpile's own marker: the report marker (a set-aside
    previous report, or a finished temporary folder) or the temporary one, naming this
    folder and its writer's pid."""
    if read_marker(path) is not None:
        return True
    marker = path / TMP_MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or \
                marker.stat().st_size > MARKER_MAX_BYTES:
            return False
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("written_by") == "stockpile" and \
        data.get("folder") == path.name


def _leftovers(out_dir: Path) -> list[tuple[str, Path]]:
    """("tmp" | "old", path) of the temporary and set-aside folders of ``out_dir`` that carry
    stockpile's marker and whose writing process is gone (killed before it could clean up).
    A folder of that name without the marker is not stockpile's and is left alone."""
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}\.(tmp|old)-(\d+)-[A-Za-z0-9_]+")
    out = []
    with os.scandir(out_dir.parent) as it:
        for e in it:
            m = pattern.fullmatch(e.name)
            if m and e.is_dir(follow_symlinks=False) and not _alive(int(m[2])) and \
                    int(m[2]) != os.getpid() and _ours(Path(e.path)):
                out.append((m[1], Path(e.path)))
    return sorted(out, key=lambda x: os.stat(x[1]).st_mtime, reverse=True)


def clean_leftovers(out_dir: Path) -> None:
    """Remove what killed runs left beside ``out_dir``; if one was killed between setting the
    previous report aside and putting the new one in place, the previous one comes back."""
    out_dir = Path(out_dir).absolute()
    if not out_dir.parent.is_dir():
        return
    for kind, path in _leftovers(out_dir):
        if kind == "old" and not os.path.lexists(out_dir):
            os.rename(path, out_dir)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _fsync(path: Path | str) -> None:
    """Flush a file's or a folder's contents to the disk (a folder: its entries, so a rename
    in it survives a power loss). Where folders cannot be opened (Windows), files only."""
    try:
        flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else 0)
        fd = os.open(path, flags)
    except (IsADirectoryError, PermissionError):  # pragma: no cover - Windows folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder`` and ``folder`` itself, deepest first:
    what the renames then put in place is on the disk, not only in the page cache."""
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            if not os.path.islink(os.path.join(root, name)):
                _fsync(os.path.join(root, name))
        _fsync(root)


def _replace(new: Path, out_dir: Path) -> None:
    """Move ``new`` to ``out_dir``; an existing ``out_dir`` is set aside, then deleted. Run
    with SIGINT/SIGTERM deferred: the two renames are never cut in two. The parent folder is
    synced after the renames, so the new report is durable once this returns."""
    if not os.path.lexists(out_dir):
        os.rename(new, out_dir)
        _sync_after_rename(out_dir.parent)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.rename(out_dir, old)
    try:
        os.rename(new, out_dir)
    except BaseException:
        os.rename(old, out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
    _sync_after_rename(out_dir.parent)


def _sync_after_rename(folder: Path) -> None:
    """Sync the folder whose entries the renames changed. The new report is in place by now
    (every file in it was synced before): a failure here cannot undo that, and is not turned
    into a "nothing written" error."""
    with suppress(OSError):
        _fsync(folder)


def _fill(tmp: Path, out_dir: Path, write: Callable[[Path], list[str]]) -> list[str]:
    """The new report in ``tmp``: its writing marker first, then the files, the report's
    marker (after which the writing marker goes), the sub-reports of the previous folder,
    and everything synced to the disk (docs/security.md, durable writes)."""
    (tmp / TMP_MARKER).write_text(json.dumps(
        {"written_by": "stockpile", "folder": tmp.name, "pid": os.getpid()}) + "\n",
        encoding="utf-8")
    os.chmod(tmp, 0o777 & ~current_umask())
    names = write(tmp)
    _write_marker(tmp, names)
    (tmp / TMP_MARKER).unlink()
    if out_dir.is_dir():
        for child in out_dir.iterdir():
            if child.is_dir() and not child.is_symlink() and not (tmp / child.name).exists():
                shutil.copytree(child, tmp / child.name, symlinks=True)
    sync_tree(tmp)
    return names


def write_folder(out_dir: Path, write: Callable[[Path], list[str]]) -> list[Path]:
    """Write a report folder all or nothing: ``write(tmp)`` fills a temporary folder beside
    ``out_dir`` (returning the file names), which then takes ``out_dir``'s place.

    Safe (docs/security.md): ``out_dir`` is replaced only if it is absent, empty, or holds
    nothing but a stockpile report (:func:`check_out_dir`, else :class:`UnsafeOutput`);
    writers under one output root take turns (a lock); what killed runs left beside
    ``out_dir`` is cleaned first. Sub-folders of the previous report that are stockpile
    reports themselves (``compare/`` under a solve report) are carried into the new one.

    On any error or interruption the temporary folder is removed, the previous folder is
    kept, and the error is raised again; a signal during the final renames is held until
    they are done (then :class:`~stockpile.interrupts.Interrupted` says the report is in
    place).
    """
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(_lock_dir(out_dir)):
        clean_leftovers(out_dir)
        check_out_dir(out_dir)
        tmp = Path(tempfile.mkdtemp(dir=out_dir.parent,
                                    prefix=f".{out_dir.name}.tmp-{os.getpid()}-"))
        try:
            names = _fill(tmp, out_dir, write)
            try:
                with deferred():
                    _replace(tmp, out_dir)
            except Interrupted as e:  # held until the renames were done: the report is in
                e.written = out_dir
                raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return [out_dir / n for n in names]


def write_solve_report(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write report.md, report.html, report.xlsx, plan.csv and result.json into ``out_dir``.

    All or nothing (:func:`write_folder`): on any error the previous report is kept. Other
    reports kept in sub-folders (``compare/``, ``evaluate/``) survive.
    """
    return write_folder(out_dir, lambda tmp: _write_all(result, tmp))
