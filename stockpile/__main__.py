"""``python -m stockpile``: the same as the ``stockpile`` command."""

import sys

from .cli import main

sys.exit(main())
