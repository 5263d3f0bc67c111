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


def instance_whatif(inst, args: argparse.Namespace, command: str):  # noqa: ANN001, ANN201
    """The instance with the budget and material what-ifs applied, for the commands that
    optimise plans themselves (evaluate, frontier): agreements cannot be forced there.
    Raises WhatIfError naming the option."""
    from ..analysis.whatif import WhatIfError, apply_whatif

    for option, given in (("--force-agreement", args.force_agreement),
                          ("--forbid-agreement", args.forbid_agreement)):
        if given:
            raise WhatIfError(option, given[0], f"not available in '{command}' (use solve or "
                                                "compare)")
    return apply_whatif(inst, whatif_of(args))


def load_with_whatif(args: argparse.Namespace, command: str):  # noqa: ANN201
    """(instance with the what-ifs applied, their notes, report folder) for evaluate and
    frontier, or None after printing the problem (the caller exits 2, nothing written)."""
    from ..analysis.whatif import WhatIfError
    from ..report.files import output_folder
    from .common import err, load

    try:
        applied = instance_whatif(load(args.instance), args, command)
    except WhatIfError as e:
        err(f"stockpile {command}: {e}; nothing written.")
        return None
    inst = applied.instance
    folder = output_folder(args.out, inst.name,
                           *[p for p in (command, whatif_folder(args)) if p])
    return inst, applied.notes, folder
