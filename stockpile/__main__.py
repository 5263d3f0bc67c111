"""``python -m stockpile``: the same as the ``stockpile`` command."""

from .cli import run

run()
