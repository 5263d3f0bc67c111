"""The three modes of the model (docs/model.md), importable without numpy (the CLI starts fast)."""

from __future__ import annotations

from typing import Literal

Mode = Literal["national", "bilateral", "pooled"]
MODES: tuple[Mode, ...] = ("national", "bilateral", "pooled")
