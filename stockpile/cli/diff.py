"""``stockpile diff A B``: two solve results side by side, the differences first."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .common import EXIT_INPUT, EXIT_OK, err
from .progress import add_quiet


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("diff", help="two solve results side by side, differences first")
    s.set_defaults(run=cmd_diff)
    s.add_argument("a", type=Path, help="a solve report folder or its result.json")
    s.add_argument("b", type=Path, help="another solve report folder or its result.json")
    s.add_argument("--out", type=Path, default=None,
                   help="report folder (default: reports/diff/<A>-vs-<B>/)")
    add_quiet(s)


def read_result(path: Path) -> dict[str, Any]:
    """result.json of a solve report folder (or the file itself); ValueError says why not."""
    file = path / "result.json" if path.is_dir() else path
    try:
        r = json.loads(file.read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"{path}: cannot read {file.name} ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{file}: not JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(r, dict) or "plan" not in r or "solver" not in r:
        raise ValueError(f"{file}: not the result.json of 'stockpile solve' (no plan/solver)")
    return r


def cmd_diff(args: argparse.Namespace) -> int:
    from ..report import evaluate_report as rep
    from ..report.diff_report import diff_charts, diff_document
    from ..report.html import html_document
    from ..report.markdown import markdown

    try:
        a, b = read_result(args.a), read_result(args.b)
    except ValueError as e:
        err(f"stockpile diff: {e}; nothing written.")
        return EXIT_INPUT
    name = lambda p: (p if p.is_dir() else p.parent).name or "result"  # noqa: E731
    out_dir = args.out or Path("reports") / "diff" / f"{name(args.a)}-vs-{name(args.b)}"
    doc = diff_document(a, b)
    ok = all((r.get("solver") or {}).get("proven_optimal") for r in (a, b))
    written = rep.write_files({"diff.md": markdown(doc),
                               "diff.html": html_document(doc, {}, diff_charts(a, b), ok=ok),
                               "diff.xlsx": doc}, out_dir)
    for line in doc.summary.bullets:
        print(line)
    print(f"report: {out_dir}/ ({', '.join(p.name for p in written)})")
    return EXIT_OK
