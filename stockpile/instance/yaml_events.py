"""YAML to plain data in one linear pass over libyaml's events, bounded as it goes.

PyYAML's own loaders compose a node graph and then construct Python objects from it, in
Python: about 1 ms a scenario, so 60,000 scenarios took a minute and 800 MB (issue 21). Here
libyaml (C) parses, and one loop builds the data straight from its events: no node graph.
The same bounds as before hold while building (docs/security.md): nesting at most MAX_DEPTH,
aliases never cyclic and expanding to a bounded size (sizes are summed, nothing is expanded:
an alias shares the anchored object), duplicate keys and duplicate anchors refused, one
document only. Scalars are resolved exactly as PyYAML's safe loader does (YAML 1.1 plain
scalars: ``yes`` is true, ``1_000`` is 1000), memoised for the repeated plain scalars of an
instance (keys, ids, common figures). Collections with an explicit tag other than the plain
sequence and mapping (``!!set``, ``!!omap``, ``!!python/...``) are refused.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode

from .limits import EXPANSION_ALLOWANCE, MAX_DEPTH, MAX_EXPANSION, too_deep

_CLoader: Any = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser (PyYAML built with it); None falls back to the pure-Python parser."""

SEQ, MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
MERGE = "tag:yaml.org,2002:merge"
CACHE_MAX = 100_000
"""Most distinct plain scalars memoised (bounded memory)."""


class _Frame:
    """An open sequence or mapping: the object, its expanded size and depth below it."""

    __slots__ = ("anchor", "data", "depth", "key", "key_line", "lines", "merges", "size")

    def __init__(self, data: Any, anchor: str | None) -> None:
        self.data = data
        self.anchor = anchor
        self.size = 1
        self.depth = 1
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.lines: dict[Any, int] = {}
        self.merges: list[Any] | None = None


_NO_KEY = object()


class _Builder:
    """Plain data from a stream of YAML events (see the module docstring)."""

    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int, int] | None] = {}  # None while still open
        self.distinct = 0
        self.root: tuple[Any, int, int] | None = None
        self.cache: dict[str, Any] = {}
        self.helper = yaml.SafeLoader("")  # PyYAML's resolver and scalar constructors

    # ---- values ------------------------------------------------------------------------
    def scalar(self, ev: Any) -> None:
        tag, value = ev.tag, ev.value
        if (tag is None or tag == "!") and ev.implicit[0]:
            data = self.cache.get(value, _NO_KEY)
            if data is _NO_KEY:
                data = self._construct(self.helper.resolve(ScalarNode, value, (True, False)),
                                       ev)
                if len(self.cache) < CACHE_MAX:
                    self.cache[value] = data
        elif tag is None or tag == "!":
            data = value
        else:
            data = self._construct(tag, ev)
        self.distinct += 1
        if data is _MergeKey and not self._at_key():
            raise ConstructorError(None, None, "'<<' (a merge) is only a mapping's key",
                                   ev.start_mark)
        if ev.anchor is not None:
            self._anchor(ev, (data, 1, 1))
        self._add(data, 1, 1, ev)

    def _at_key(self) -> bool:
        """True where the next value is a mapping's key."""
        return bool(self.stack) and isinstance(self.stack[-1].data, dict) and \
            self.stack[-1].key is _NO_KEY

    def _construct(self, tag: str, ev: Any) -> Any:
        node = ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=ev.style)
        if tag == MERGE:
            return _MergeKey
        constructors = self.helper.yaml_constructors
        construct: Any = constructors.get(tag, constructors[None])  # None: unknown tag
        try:
            return construct(self.helper, node)
        except ValueError as e:  # e.g. an integer of more than 4,300 digits
            raise ConstructorError(None, None, f"cannot read the number: {e}",
                                   ev.start_mark) from None

    def start(self, ev: Any, data: Any, plain_tag: str) -> None:
        if ev.tag not in (None, "!", plain_tag):
            raise ConstructorError(None, None, f"the tag {ev.tag!r} is not allowed in an "
                                   "instance (plain lists and mappings only)", ev.start_mark)
        if len(self.stack) >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                ev.start_mark)
        self.distinct += 1
        if ev.anchor is not None:
            self._check_new_anchor(ev)
            self.anchors[ev.anchor] = None
        self.stack.append(_Frame(data, ev.anchor))

    def end(self, ev: Any) -> None:
        frame = self.stack.pop()
        if frame.merges is not None:
            merged = _merged(frame.merges, ev)
            merged.update(frame.data)
            frame.data.clear()
            frame.data.update(merged)
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (frame.data, frame.size, frame.depth)
        self._add(frame.data, frame.size, frame.depth, ev)

    def alias(self, ev: Any) -> None:
        if ev.anchor not in self.anchors:
            raise ComposerError(None, None, f"found undefined alias {ev.anchor!r}",
                                ev.start_mark)
        known = self.anchors[ev.anchor]
        if known is None:
            raise ComposerError(None, None, "an alias refers to the node that contains it "
                                "(a cycle)", ev.start_mark)
        if known[0] is _MergeKey and not self._at_key():
            raise ConstructorError(None, None, "'<<' (a merge) is only a mapping's key",
                                   ev.start_mark)
        self._add(*known, ev)

    # ---- bookkeeping -------------------------------------------------------------------
    def _check_new_anchor(self, ev: Any) -> None:
        if ev.anchor in self.anchors:
            raise ComposerError(None, None, f"found duplicate anchor {ev.anchor!r}",
                                ev.start_mark)

    def _anchor(self, ev: Any, known: tuple[Any, int, int]) -> None:
        if ev.anchor is not None:
            self._check_new_anchor(ev)
            self.anchors[ev.anchor] = known

    def _add(self, data: Any, size: int, depth: int, ev: Any) -> None:
        """Put ``data`` (of expanded ``size`` and ``depth``) into the open collection."""
        if not self.stack:
            self.root = (data, size, depth)
            return
        frame = self.stack[-1]
        frame.size += size
        if depth + 1 > frame.depth:
            frame.depth = depth + 1
            if frame.depth + len(self.stack) - 1 > MAX_DEPTH:
                raise ComposerError(None, None, too_deep(), ev.start_mark)
        if isinstance(frame.data, list):
            frame.data.append(data)
        elif frame.key is _NO_KEY:
            self._key(frame, data, ev)
        else:
            key, frame.key = frame.key, _NO_KEY
            if key is _MergeKey:
                frame.merges = [*(frame.merges or []), data]
            else:
                frame.data[key] = data

    def _key(self, frame: _Frame, key: Any, ev: Any) -> None:
        if key is _MergeKey:
            frame.key = key
            return
        try:
            first = frame.lines.get(key)
        except TypeError:
            raise ConstructorError("while constructing a mapping", None,
                                   "found unhashable key", ev.start_mark) from None
        line = ev.start_mark.line
        if first is not None:
            from .validate import echo

            raise ConstructorError(None, None, f"duplicate key {echo(key)} (first on line "
                                   f"{first + 1})", ev.start_mark)
        frame.lines[key] = line
        frame.key = key

    def result(self) -> Any:
        if self.root is None:
            return None
        data, expanded, _ = self.root
        if expanded > MAX_EXPANSION * self.distinct + EXPANSION_ALLOWANCE:
            raise ComposerError(None, None, f"aliases expand {self.distinct:,} nodes to "
                                f"{expanded:,}: more than {MAX_EXPANSION} times plus "
                                f"{EXPANSION_ALLOWANCE:,}", None)
        return data


class _MergeKey:
    """The ``<<`` key of a YAML merge."""


def _merged(merges: list[Any], ev: Any) -> dict[Any, Any]:
    """The keys ``<<`` brings in, as PyYAML's safe loader merges them: a later ``<<`` wins
    over an earlier one; in a list, an earlier mapping wins over a later one; the mapping's
    own keys win over all (applied by the caller)."""
    out: dict[Any, Any] = {}
    for m in merges:
        parts = m if isinstance(m, list) else [m]
        if not all(isinstance(p, dict) for p in parts):
            raise ConstructorError("while constructing a mapping", None, "expected a mapping "
                                   "or list of mappings for merging", ev.start_mark)
        for p in reversed(parts):
            out.update(p)
    return out


def load_yaml(text: str) -> Any:
    """The one document of ``text`` as plain data (None if there is none).

    Raises PyYAML's errors (``yaml.MarkedYAMLError`` with the place) for bad syntax and for
    every bound broken."""
    loader = (_CLoader or yaml.SafeLoader)(text)
    builder = _Builder()
    documents = 0
    check, get, scalar = loader.check_event, loader.get_event, builder.scalar
    try:
        while check():
            ev = get()
            kind = type(ev)
            if kind is ScalarEvent:
                scalar(ev)
            elif kind is MappingStartEvent:
                builder.start(ev, {}, MAP)
            elif kind is SequenceStartEvent:
                builder.start(ev, [], SEQ)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                builder.end(ev)
            elif kind is yaml.AliasEvent:
                builder.alias(ev)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise ComposerError("expected a single document in the stream", None,
                                        "but found another document", ev.start_mark)
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    return builder.result()
