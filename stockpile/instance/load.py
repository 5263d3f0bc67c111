"""Loading an instance file (YAML or JSON) into a validated :class:`Instance`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .schema import Instance
from .validate import InstanceError, Problem, check
from .workbook import read_workbook, relocate


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _problems_from_pydantic(err: ValidationError) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if p not in ("function-after", "list[float]", "float"))
        value = e.get("input")
        if isinstance(value, dict | list) and len(repr(value)) > 80:
            value = f"<{type(value).__name__} of {len(value)}>"
        problems.append(Problem(_where(loc), value, e["msg"]))
    return problems


def parse(raw: Any, source: str = "<instance>") -> Instance:
    """Validate already-parsed data (a dict) into an :class:`Instance`.

    Raises :class:`InstanceError` with one problem per broken rule.
    """
    if not isinstance(raw, dict):
        raise InstanceError(source, [Problem("(top level)", type(raw).__name__,
                                             "an instance is a mapping of blocks")])
    try:
        inst = Instance.model_validate(raw)
    except ValidationError as err:
        raise InstanceError(source, _problems_from_pydantic(err)) from None
    problems = check(inst)
    if problems:
        raise InstanceError(source, problems)
    return inst


def read_raw(path: str | Path) -> Any:
    """Read a YAML (.yaml/.yml), JSON (.json) or Excel (.xlsx) file into plain Python data."""
    path = Path(path)
    if not path.exists():
        raise InstanceError(str(path), [Problem("(file)", str(path), "file does not exist")])
    if path.suffix.lower() == ".xlsx":
        return read_workbook(path)[0]
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise InstanceError(str(path), [Problem("(file)", path.name, f"not parseable: {err}")]) \
            from None
    raise InstanceError(str(path), [Problem("(file)", path.suffix,
                                            "instance files end in .yaml, .yml, .json or .xlsx")])


def load(path: str | Path) -> Instance:
    """Read and validate an instance file (YAML, JSON or an Excel workbook)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx" and path.exists():
        raw, places = read_workbook(path)
        try:
            return parse(raw, source=str(path))
        except InstanceError as err:  # name the sheet and row of every problem
            raise InstanceError(str(path), relocate(err.problems, places)) from None
    return parse(read_raw(path), source=str(path))


def content_hash(inst: Instance) -> str:
    """SHA-256 of the validated instance in canonical JSON (defaults filled in, keys sorted).

    Two files that differ only in layout, comments or omitted defaults hash the same.
    """
    canon = json.dumps(inst.model_dump(mode="json", by_alias=True), sort_keys=True,
                       separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def dump_yaml(inst: Instance, path: str | Path) -> None:
    """Write an instance back to YAML (read back by :func:`load` unchanged)."""
    data = inst.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                          encoding="utf-8")
