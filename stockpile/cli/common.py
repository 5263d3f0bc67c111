"""What every command shares: exit codes, argument types, messages."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

EXIT_OK = 0
EXIT_ERROR = 1  # the report could not be written (e.g. no space, no permission)
EXIT_INPUT = 2  # invalid instance or command line
EXIT_INFEASIBLE = 3  # no feasible plan exists
EXIT_NO_PLAN = 4  # the solver stopped or failed without a plan
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C); SIGTERM ends with 143 (128 + the signal)
EXIT_TERMINATED = 143

MAX_TIME_LIMIT = 1e7
"""Longest --time-limit in seconds (about 116 days): beyond it a timer overflows."""
MAX_THREADS = 256
"""Most --threads HiGHS is given: it starts one thread per unit asked, and 100,000 threads
hang a two-variable solve."""
MAX_WORKERS = 64
"""Most --workers processes (each holds a model and a HiGHS)."""



def load(path: str | Path) -> Any:
    """:func:`stockpile.instance.load`, imported when a command runs (pydantic and YAML cost
    a tenth of a second that ``--help`` need not pay)."""
    from ..instance import load as load_instance

    return load_instance(path)


T = TypeVar("T")


def run_pipeline(command: str, run: Callable[[], T]) -> T | int:
    """Run a library pipeline; its errors become one message and an exit code: a bad
    option or what-if (ValueError) exit 2, no plan from a solve (RuntimeError) exit 4.
    Returns the pipeline's result, or the exit code (an int) after the message."""
    try:
        return run()
    except ValueError as e:  # WhatIfError included
        err(f"stockpile {command}: {e}; nothing written.")
        return EXIT_INPUT
    except RuntimeError as e:
        err(f"stockpile {command}: {e}; nothing written.")
        return EXIT_NO_PLAN


def err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"value {text!r}: must be a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"value {text!r}: must be a finite number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"value {text!r}: must be > 0")
    return value


def time_limit_arg(text: str) -> float:
    value = positive_float(text)
    if value > MAX_TIME_LIMIT:
        raise argparse.ArgumentTypeError(
            f"value {text!r}: must be at most {MAX_TIME_LIMIT:g} seconds (about 116 days)")
    return value


def gap_arg(text: str) -> float:
    value = positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"value {text!r}: a relative gap must be in (0, 1)")
    return value


def count_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"value {text!r}: must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"value {text!r}: must be >= 1")
    return value


def _bounded_count(most: int, what: str):  # noqa: ANN202
    def parse(text: str) -> int:
        value = count_arg(text)
        if value > most:
            raise argparse.ArgumentTypeError(f"value {text!r}: at most {most} {what}")
        return value
    return parse


threads_arg = _bounded_count(MAX_THREADS, "threads")
workers_arg = _bounded_count(MAX_WORKERS, "worker processes")


def add_solve_limits(s: argparse.ArgumentParser) -> None:
    """--gap and --time-limit of the commands that run many solves."""
    s.add_argument("--time-limit", type=time_limit_arg, default=None, metavar="SECONDS",
                   help="per solve; a stopped solve is reported with its gap")
    s.add_argument("--gap", type=gap_arg, default=1e-4, metavar="REL",
                   help="relative optimality gap of every solve (default 1e-4)")
