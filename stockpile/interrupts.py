"""SIGINT and SIGTERM as one exception, and sections they may not cut in two.

``stockpile`` installs :func:`install` for its commands: either signal raises
:class:`Interrupted` in the main thread (exit status 128 + signal: 130 for Ctrl-C, 143 for
SIGTERM), so every ``finally`` and cleanup runs. Inside :func:`deferred` (the renames that put
a finished report in place) a signal is held and raised when the section ends, so a report is
either wholly in place or not at all, and the message can say which.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``written`` is the report folder put in place just
    before (None: nothing was written)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.written: Path | None = None

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_depth = 0
_pending: int | None = None


def _handler(signum: int, frame: FrameType | None) -> None:
    global _pending  # noqa: PLW0603 (signal state is one per process)
    if _depth:
        _pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def installed() -> Iterator[None]:
    """Route SIGINT and SIGTERM to :class:`Interrupted` in the block (main thread only; the
    previous handlers come back after it)."""
    previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then raise :class:`Interrupted`."""
    global _depth, _pending  # noqa: PLW0603 (signal state is one per process)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)
