"""Loading an instance file (YAML or JSON) into a validated :class:`Instance`."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .limits import check_tree, read_bytes, too_deep
from .schema import Instance
from .validate import InstanceError, Problem, check
from .workbook import read_workbook, relocate
from .yaml_events import load_yaml

TYPE_TAG = re.compile(r"function-after\[.*\]|function-after|list\[.*\]|(constrained-)?float")
"""The names pydantic gives the branches of a type in an error's location (not fields)."""


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


NOT_A_NUMBER = "must be a number, not {} (write the figure itself, unquoted)"


def _message(e: Any) -> str:
    """The rule an error states; a number field given anything but a number (schema.Real)
    names what it was given."""
    if e["type"] == "float_type":
        value = e.get("input")
        if isinstance(value, bool):
            return NOT_A_NUMBER.format("true/false")
        if isinstance(value, int):
            return "must be a number of at most 1e15"
        return NOT_A_NUMBER.format(type(value).__name__)
    return str(e["msg"]).removeprefix("Value error, ")


def _branch_mismatch(e: Any) -> bool:
    """An error saying only that the input is not of one branch of a union (``values``: a
    number or a list of numbers)."""
    return e["type"] == "list_type" or (e["type"] == "float_type"
                                        and isinstance(e.get("input"), list))


def _problems_from_pydantic(err: ValidationError) -> list[Problem]:
    """One problem per error; where a union's other branch says what is wrong, the mere
    branch mismatch (e.g. "not a list" for a single bad number) is left out."""
    errors = [(tuple(p for p in e["loc"] if not (isinstance(p, str) and TYPE_TAG.fullmatch(p))),
               e) for e in err.errors()]
    problems = []
    for loc, e in errors:
        if _branch_mismatch(e) and any(other is not e and o_loc[:len(loc)] == loc
                                       for o_loc, other in errors):
            continue
        value = e.get("input")
        if isinstance(value, dict | list):
            value = f"<{type(value).__name__} of {len(value)}>"
        msg = _message(e)
        problems.append(Problem(_where(loc), value, msg))
    return problems


def _cross_block_problems(raw: dict[str, Any], err: ValidationError) -> list[Problem]:
    """The cross-block problems (references, sums, uniqueness) a schema error would hide.

    Every entry of a block with a field-level error is set aside and the rest validated
    again; if that succeeds, :func:`check` runs on it and its problems are reported at the
    entries' original places, except those the setting aside causes (a reference to an entry
    set aside; the probabilities' sum once a scenario is set aside). If a block-level field
    itself is wrong, nothing more can be said and nothing is added."""
    dropped: dict[str, set[int]] = {}
    partial = dict(raw)
    for e in err.errors():
        loc = e["loc"]
        if len(loc) == 1 and e["type"] == "extra_forbidden":
            partial.pop(str(loc[0]), None)  # an unknown top-level key hides nothing else
            continue
        if len(loc) < 2 or not isinstance(loc[1], int) or not isinstance(loc[0], str) \
                or not isinstance(raw.get(loc[0]), list):
            return []
        dropped.setdefault(str(loc[0]), set()).add(loc[1])
    kept_index: dict[str, list[int]] = {}
    gone_ids: set[str] = set()
    for block, indices in dropped.items():
        entries = raw[block]
        kept_index[block] = [i for i in range(len(entries)) if i not in indices]
        partial[block] = [entries[i] for i in kept_index[block]]
        gone_ids |= {str(entries[i].get("id")) for i in indices if isinstance(entries[i], dict)}
    try:
        inst = Instance.model_validate(partial)
    except ValidationError:
        return []

    def original(where: str) -> str:
        m = re.match(r"(\w+)\[(\d+)\]", where)
        if m and m[1] in kept_index:
            return f"{m[1]}[{kept_index[m[1]][int(m[2])]}]" + where[m.end():]
        return where

    out = []
    for p in check(inst):
        if p.rule.startswith("names no") and str(p.value) in gone_ids:
            continue
        if "scenarios" in dropped and p.where == "scenarios[].probability":
            continue
        out.append(Problem(original(p.where), p.value, p.rule))
    return out


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
        problems = _problems_from_pydantic(err)
        raise InstanceError(source, problems + _cross_block_problems(raw, err)) from None
    problems = check(inst)
    if problems:
        raise InstanceError(source, problems)
    return inst


def decode(data: bytes, where: str) -> str:
    """UTF-8 text, with or without a byte-order mark; anything else is named."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InstanceError(where, [Problem("(file)", data[:2], "is UTF-16 (or UTF-32) text; "
                                            "save it as UTF-8")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InstanceError(where, [Problem(f"line {line}", data[e.start:e.start + 4],
                                            "is not UTF-8 text (save the file as UTF-8)")]) \
            from None


def _json_no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an instance may hold")


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _parse_text(text: str, suffix: str, where: str) -> Any:
    if suffix == ".json":
        try:
            raw = json.loads(text, object_pairs_hook=_json_object,
                             parse_constant=_json_no_constant)
        except json.JSONDecodeError as e:
            raise InstanceError(where, [Problem(f"line {e.lineno}, column {e.colno}",
                                                text[e.pos:e.pos + 40], f"not parseable as JSON: "
                                                f"{e.msg}")]) from None
        except ValueError as e:
            raise InstanceError(where, [Problem("(file)", Path(where).name,
                                                f"not parseable as JSON: {e}")]) from None
        except RecursionError:
            raise InstanceError(where, [Problem("(file)", Path(where).name, too_deep())]) \
                from None
        problem = check_tree(raw, _json_children, aliases=False)
        if problem:
            raise InstanceError(where, [Problem("(file)", Path(where).name, problem)])
        return raw
    try:
        return load_yaml(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        rule = " ".join(str(x) for x in (e.context, e.problem) if x)
        raise InstanceError(where, [Problem(at, Path(where).name,
                                            f"not parseable as YAML: {rule}")]) from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        raise InstanceError(where, [Problem(f"line {line}", chr(e.character) if isinstance(
            e.character, int) else e.character, f"not parseable as YAML: {e.reason}")]) \
            from None
    except yaml.YAMLError as e:
        raise InstanceError(where, [Problem("(file)", Path(where).name,
                                            f"not parseable as YAML: {e}")]) from None
    except RecursionError:
        raise InstanceError(where, [Problem("(file)", Path(where).name, too_deep())]) from None


def _json_children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return []


SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


def read_raw(path: str | Path) -> Any:
    """Read a YAML (.yaml/.yml), JSON (.json) or Excel (.xlsx) file into plain Python data.

    Bounded and strict (docs/security.md): at most the input limit in bytes, UTF-8 text, at
    most MAX_DEPTH levels of nesting, aliases expanded to a bounded size, no duplicate keys,
    no NaN or Infinity in JSON."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InstanceError(str(path), [Problem("(file)", path.suffix, "instance files end in "
                                                ".yaml, .yml, .json or .xlsx")])
    if suffix == ".xlsx":
        return read_workbook(path)[0]
    return _parse_text(decode(read_bytes(path), str(path)), suffix, str(path))


def load(path: str | Path) -> Instance:
    """Read and validate an instance file (YAML, JSON or an Excel workbook)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
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
