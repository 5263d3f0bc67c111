"""Progress lines on stderr for commands that run more than a few seconds, and --quiet.

Reports and results go to files; stdout carries only the short summary a command prints at
the end; progress goes to stderr so it never mixes with what a script reads."""

from __future__ import annotations

import argparse
import sys
import time


def add_quiet(s: argparse.ArgumentParser) -> None:
    s.add_argument("--quiet", action="store_true",
                   help="no progress lines (the short summary at the end is still printed)")


class Progress:
    """``step(text)`` prints "[i/n] text (elapsed s)" on stderr unless quiet."""

    def __init__(self, total: int, quiet: bool, what: str) -> None:
        self.total, self.quiet, self.what, self.i = total, quiet, what, 0
        self.t0 = time.perf_counter()

    def step(self, text: str) -> None:
        self.i += 1
        if not self.quiet:
            print(f"{self.what} [{self.i}/{self.total}] {text} "
                  f"({time.perf_counter() - self.t0:,.1f} s)", file=sys.stderr, flush=True)

    def done(self, text: str) -> None:
        """A step when the total is not known in advance: "[i] text done (elapsed s)"."""
        self.i += 1
        if not self.quiet:
            print(f"{self.what} [{self.i}] {text} done ({time.perf_counter() - self.t0:,.1f} s)",
                  file=sys.stderr, flush=True)
