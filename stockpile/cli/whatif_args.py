"""The what-if options every solving command shares, and the folder a what-if writes to.

A run with overrides writes to its own folder named after them (for example
``reports/us_japan_2026/whatif-budget-US-DLA-1000000000/``), so it never overwrites the
baseline report."""

from __future__ import annotations

import argparse
import re


def add_whatif(p: argparse.ArgumentParser) -> None:
    w = p.add_argument_group("what-if overrides (the instance file is not changed)")
    w.add_argument("--budget", action="append", default=[], metavar="HOLDER=USD",
                   help="set a holder's acquisition budget (repeatable)")
    w.add_argument("--force-agreement", action="append", default=[],
                   metavar="H1|H2|MATERIAL", help="sign this candidate agreement (repeatable)")
    w.add_argument("--forbid-agreement", action="append", default=[],
                   metavar="H1|H2|MATERIAL", help="do not sign this candidate agreement")
    w.add_argument("--remove-material", action="append", default=[], metavar="MATERIAL",
                   help="drop a material and everything that names it (repeatable)")


def whatif_of(args: argparse.Namespace):  # noqa: ANN201  (WhatIf; imported lazily)
    from ..analysis.whatif import WhatIf

    return WhatIf(tuple(args.budget), tuple(args.remove_material),
                  tuple(args.force_agreement), tuple(args.forbid_agreement))


def whatif_folder(args: argparse.Namespace) -> str:
    """'' without overrides; else 'whatif-' and the overrides, safe as one folder name."""
    parts = ([f"budget-{b}" for b in args.budget]
             + [f"without-{m}" for m in args.remove_material]
             + [f"force-{a}" for a in args.force_agreement]
             + [f"forbid-{a}" for a in args.forbid_agreement])
    if not parts:
        return ""
    name = "whatif-" + "_".join(re.sub(r"[^A-Za-z0-9.+-]+", "-", p) for p in parts)
    return name[:120]
