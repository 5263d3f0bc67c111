"""The ``stockpile`` command: one module per subcommand, each with ``register(sub)``.

Exit status: 0 a plan was written (its status says whether it is proven optimal);
1 the report could not be written; 2 the instance or the command line is invalid;
3 the instance has no feasible plan; 4 the solver stopped without a plan or failed;
130 interrupted. Nothing is written unless a whole report can be.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import compare, convert, diff, evaluate, frontier, init, scenarios, sensitivity, solve
from .common import EXIT_ERROR, EXIT_INFEASIBLE, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_NO_PLAN, \
    EXIT_OK, err

__all__ = ["EXIT_ERROR", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_NO_PLAN",
           "EXIT_OK", "build_parser", "main"]

COMMANDS = [solve, convert, init, compare, scenarios, evaluate, frontier, sensitivity, diff]  # each registers its subcommands


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stockpile",
        description="Decision support for critical-metal stockpiles (Pyomo + HiGHS).")
    p.add_argument("--version", action="version", version=f"stockpile {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..instance import InstanceError  # not at the top: --help and --version stay fast
    try:
        return int(args.run(args))
    except InstanceError as e:
        err(str(e))
        return EXIT_INPUT
    except KeyboardInterrupt:
        err("stockpile: interrupted; nothing written.")
        return EXIT_INTERRUPTED
    except OSError as e:
        err(f"stockpile: could not write the output: {e}; nothing written.")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
