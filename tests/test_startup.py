"""Fast start (issue 14): ``--help`` and ``--version`` import none of the heavy libraries,
``validate`` no solver. Each check runs in a fresh interpreter, where imports are visible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

INSTANCE = Path(__file__).resolve().parents[1] / "instances" / "us_japan_2026.yaml"
HEAVY = ("pyomo", "highspy", "pandas", "numpy", "scipy", "pydantic", "yaml", "openpyxl")


def _loaded_after(code: str) -> set[str]:
    probe = (f"import sys\n{code}\n"
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split()[-1000:])


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_nothing_heavy(flag: str) -> None:
    code = ("from stockpile.cli import main\n"
            f"try:\n    main([{flag!r}])\nexcept SystemExit as e:\n    assert e.code == 0")
    assert _loaded_after(code).isdisjoint(HEAVY)


def test_every_subcommand_registers_without_heavy_imports() -> None:
    code = "from stockpile.cli import build_parser\nbuild_parser()"
    assert _loaded_after(code).isdisjoint(HEAVY)


def test_validate_needs_no_solver() -> None:
    code = f"from stockpile.cli import main\nassert main(['validate', {str(INSTANCE)!r}]) == 0"
    assert _loaded_after(code).isdisjoint({"pyomo", "highspy", "pandas", "scipy"})
