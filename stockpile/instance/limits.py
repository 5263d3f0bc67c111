"""Bounds on what an instance file may make stockpile do while reading it (docs/security.md).

A small hostile file must end in one message, not in a hang, a memory blow-up or a
traceback: the file's size is bounded before it is read, nesting is bounded while it is
parsed, and aliases (YAML anchors) may not expand a document beyond a bounded size.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .validate import InstanceError, Problem

DEFAULT_MAX_INPUT_MB = 64
"""Largest instance file read, in MB (2**20 bytes); the environment variable
STOCKPILE_MAX_INPUT_MB overrides it. The largest shipped instance is 0.15 MB."""

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings (an instance needs 6 levels)."""

MAX_EXPANSION = 10
EXPANSION_ALLOWANCE = 100_000
"""Aliases may expand a document to at most MAX_EXPANSION times its own nodes plus
EXPANSION_ALLOWANCE: sharing a profile among scenarios is fine, a billion laughs is not."""


def input_limit_bytes() -> int:
    text = os.environ.get("STOCKPILE_MAX_INPUT_MB", "")
    try:
        mb = float(text) if text.strip() else DEFAULT_MAX_INPUT_MB
    except ValueError:
        mb = DEFAULT_MAX_INPUT_MB
    if not mb > 0 or mb == float("inf"):
        mb = DEFAULT_MAX_INPUT_MB
    return int(mb * 2**20)


def too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep (an instance needs 6)"


def check_tree(root: Any, children: Callable[[Any], list[Any]],
               aliases: bool = True) -> str | None:
    """Why the tree under ``root`` is unacceptable, or None: a cycle (an alias inside its own
    anchor), nesting deeper than MAX_DEPTH once aliases are expanded, or an expanded size
    beyond the bound (``aliases``: the tree may share nodes, as a YAML node graph does).
    Iterative, and linear in the number of distinct nodes."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            on_path.discard(key)
            if depth[key] > MAX_DEPTH:
                return too_deep()
            continue
        if key in size:
            continue
        if key in on_path:
            return "an alias refers to the node that contains it (a cycle)"
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in children(node) if id(k) not in size)
    distinct, expanded = len(size), size[id(root)]
    if aliases and expanded > MAX_EXPANSION * distinct + EXPANSION_ALLOWANCE:
        return (f"aliases expand {distinct:,} nodes to {expanded:,}: more than "
                f"{MAX_EXPANSION} times plus {EXPANSION_ALLOWANCE:,}")
    return None


LOAD_BYTES_PER_BYTE = 24
"""Memory a load takes per byte of instance text, at most (YAML or JSON: parsing, the pydantic
objects, the cross-field checks and the content hash). Measured with benchmarks/load.py:
about 21 bytes a byte (6,000 to 60,000 scenarios, 0.8 to 7.6 MB files: 52 to 196 MB peak)."""


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_available() -> int | None:
    """What the cgroup (v2) of a container still lets this process use."""
    try:
        top = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
        return None if top == "max" else int(top) - int(used)
    except (OSError, ValueError):
        return None


def _address_space_available() -> int | None:
    """What RLIMIT_AS (ulimit -v) still allows beyond what this process has mapped."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm", encoding="ascii") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return soft - mapped
    except (ImportError, OSError, ValueError, IndexError):
        return None


def available_memory() -> int | None:
    """Bytes this process can still allocate: the least of the memory available on the
    machine, its container's limit and its address-space limit; None where none is known."""
    known = [m for m in (_meminfo_available(), _cgroup_available(),
                         _address_space_available()) if m is not None]
    return max(0, min(known)) if known else None


XLSX_LOAD_BYTES_PER_BYTE = 12
"""The same per byte of a workbook's inflated XML (measured about 9: 6,000 scenarios, 2.96 MB
of XML in a 0.32 MB file, 73 MB peak); checked on the sizes the zip declares."""


def check_memory(where: str, size: int, per_byte: int = LOAD_BYTES_PER_BYTE,
                 what: str = "bytes") -> None:
    """Refuse, before reading, an instance whose load would need more memory than this
    process can have, saying its size and the memory it would need."""
    need, free = per_byte * size, available_memory()
    if free is not None and need > free:
        raise InstanceError(where, [Problem(
            "(file)", f"{size:,} {what}", f"loading it would need about {need / 2**30:.1f} GB "
            f"of memory ({per_byte} bytes a byte); only {free / 2**30:.1f} GB are "
            "available: too large for this machine")])


def read_bytes(path: Path) -> bytes:
    """The bytes of an instance file, refusing what is not a regular file (a directory, a FIFO,
    a device) and anything larger than the input limit before reading it."""
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InstanceError(where, [Problem("(file)", where, "file does not exist")]) from None
    except OSError as e:
        raise InstanceError(where, [Problem("(file)", where,
                                            f"cannot be read: {e.strerror}")]) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise InstanceError(where, [Problem("(file)", where, "is not a regular file (a "
                                            "directory, pipe or device)")])
    with os.fdopen(fd, "rb") as f:
        limit = input_limit_bytes()
        if st.st_size > limit:
            raise InstanceError(where, [Problem("(file)", f"{st.st_size:,} bytes", too_big(
                limit))])
        check_memory(where, st.st_size)
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise InstanceError(where, [Problem("(file)", where,
                                                f"cannot be read: {e.strerror}")]) from None
    if len(data) > limit:  # grew while being read
        raise InstanceError(where, [Problem("(file)", f"> {limit:,} bytes", too_big(limit))])
    return data


def too_big(limit: int) -> str:
    return (f"larger than the input limit of {limit / 2**20:g} MB (set the environment "
            "variable STOCKPILE_MAX_INPUT_MB to raise it)")
