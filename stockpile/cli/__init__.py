"""The ``stockpile`` command: one module per subcommand, each with ``register(sub)``.

Exit status: 0 a plan was written (its status says whether it is proven optimal);
1 the report could not be written; 2 the instance or the command line is invalid;
3 the instance has no feasible plan; 4 the solver stopped without a plan or failed;
130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM. Nothing is written unless a whole report
can be, and never into a folder holding files stockpile did not write.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import threading

from .. import __version__
from ..interrupts import Interrupted, installed
from . import compare, convert, diff, evaluate, frontier, init, scenarios, sensitivity, solve
from .common import (
    EXIT_ERROR,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NO_PLAN,
    EXIT_OK,
    EXIT_TERMINATED,
    err,
)

__all__ = ["EXIT_ERROR", "EXIT_INFEASIBLE", "EXIT_INPUT", "EXIT_INTERRUPTED", "EXIT_NO_PLAN",
           "EXIT_OK", "EXIT_TERMINATED", "build_parser", "main", "run"]

# each registers its subcommands
COMMANDS = [solve, convert, init, compare, scenarios, evaluate, frontier, sensitivity, diff]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="stockpile",
        description="Decision support for critical-metal stockpiles (Pyomo + HiGHS).")
    p.add_argument("--version", action="version", version=f"stockpile {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return p


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The parser, built once per process (a tenth of a second: a program calling
    :func:`main` many times, such as the fuzzer, pays it once)."""
    return build_parser()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import shlex
    args.command_line = shlex.join(["stockpile", *(sys.argv[1:] if argv is None else argv)])
    from ..instance import InstanceError  # after parsing: --help needs no pydantic
    from ..report.files import UnsafeOutput

    main_thread = threading.current_thread() is threading.main_thread()
    try:
        # SIGINT and SIGTERM raise Interrupted: every cleanup runs
        with installed() if main_thread else contextlib.nullcontext():
            return int(args.run(args))
    except InstanceError as e:
        err(str(e))
        return EXIT_INPUT
    except UnsafeOutput as e:
        err(f"stockpile: {e}")
        return EXIT_INPUT
    except Interrupted as e:
        err(f"stockpile: interrupted ({e}); " + (
            f"the new report was already complete in {e.written}/." if e.written else
            "nothing written; any previous report is unchanged."))
        return e.exit_code
    except KeyboardInterrupt:
        err("stockpile: interrupted; nothing written.")
        return EXIT_INTERRUPTED
    except OSError as e:
        err(f"stockpile: could not write the output: {e}; nothing written.")
        return EXIT_ERROR
    except MemoryError:  # anywhere: a message and an exit code, never a traceback
        err("stockpile: out of memory; nothing written, any previous report is unchanged "
            "(a smaller instance, fewer scenarios or a machine with more memory).")
        return EXIT_ERROR


def run() -> None:
    """The ``stockpile`` console script: :func:`main`, then exit at once, even if a solver
    thread told to stop is still winding down (it must not keep a stopped run alive)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED) and any(t.is_alive() for t in others):
        os._exit(code)  # a HiGHS thread still stopping: do not wait for it at shutdown
    sys.exit(code)


if __name__ == "__main__":
    run()
