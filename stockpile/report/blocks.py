"""The building blocks of every report: columns, tables and titled sections.

A section keeps its paragraphs, its bullet list and its tables in one sequence, in the order
they were written, so a paragraph that explains a table is rendered just before it (in
Markdown, HTML and the order of Excel sheets alike). ``section.paragraphs`` and
``section.tables`` are live views of that sequence: ``append`` adds at the end of the
section, ``insert(i, x)`` puts ``x`` just before the i-th paragraph (or table), and
assigning an item replaces it where it stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableSequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from ..figures import SolveFigures
from . import format as fmt


@dataclass(frozen=True)
class Column:
    """A table column: header, how to show a raw value, and whether it is a number."""

    name: str
    show: Callable[[Any], str] = fmt.text
    numeric: bool = False


@dataclass
class Table:
    """Raw rows (written as numbers to Excel) with the columns that format them."""

    sheet: str
    columns: list[Column]
    rows: list[list[Any]]

    def display(self) -> list[list[str]]:
        """Rows as display text."""
        return [[c.show(v) for c, v in zip(self.columns, row)] for row in self.rows]


class _BulletsHere:
    """Marks where a section's bullet list stands among its blocks."""

    def __repr__(self) -> str:
        return "<bullets>"


BULLETS = _BulletsHere()
Block = str | Table | _BulletsHere
Part = str | Table | list[str]  # a paragraph, a table or the bullet list
T = TypeVar("T", str, Table)


class _View(MutableSequence[T], Generic[T]):
    """The paragraphs (or tables) of a section: a list-like view of its blocks of one
    kind, whose changes land in the section's order."""

    def __init__(self, blocks: list[Block], kind: type[T]) -> None:
        self._blocks: list[Block] = blocks
        self._kind: type[T] = kind

    def _where(self) -> list[int]:
        return [i for i, b in enumerate(self._blocks) if isinstance(b, self._kind)]

    def _check(self, value: object) -> T:
        if not isinstance(value, self._kind):
            raise TypeError(f"a section's {self._kind.__name__} blocks take "
                            f"{self._kind.__name__}, not {type(value).__name__}: {value!r}")
        return value

    def __len__(self) -> int:
        return len(self._where())

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        items: list[T] = [b for b in self._blocks if isinstance(b, self._kind)]
        return items[i]

    @overload
    def __setitem__(self, i: int, value: T) -> None: ...

    @overload
    def __setitem__(self, i: slice, value: Iterable[T]) -> None: ...

    def __setitem__(self, i: int | slice, value: Any) -> None:
        if isinstance(i, slice):
            raise TypeError("assign a section's paragraphs or tables one at a time")
        self._blocks[self._where()[i]] = self._check(value)

    def __delitem__(self, i: int | slice) -> None:
        where = self._where()
        for k in sorted(set(where[i] if isinstance(i, slice) else [where[i]]), reverse=True):
            del self._blocks[k]

    def insert(self, index: int, value: T) -> None:
        where = self._where()
        if index < 0:
            index = max(len(where) + index, 0)
        at = where[index] if index < len(where) else len(self._blocks)
        self._blocks.insert(at, self._check(value))

    def __add__(self, values: Iterable[T]) -> list[T]:
        return list(self) + list(values)

    def __iadd__(self, values: Iterable[T]) -> _View[T]:
        self.extend(values)
        return self

    def __eq__(self, other: object) -> bool:
        return isinstance(other, (list, _View)) and list(self) == list(other)

    def __repr__(self) -> str:
        return repr(list(self))

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list


class Section:
    """One titled part of the report. ``key`` names its anchor and its charts in HTML.

    Given to the constructor, paragraphs come first, then the bullet list, then the tables;
    whatever is added later follows in the order it is added (:meth:`parts`)."""

    def __init__(self, key: str, title: str, paragraphs: Iterable[str] = (),
                 bullets: Iterable[str] = (), tables: Iterable[Table] = ()) -> None:
        self.key, self.title = key, title
        self._blocks: list[Block] = []
        self._bullets: list[str] = list(bullets)
        self.paragraphs.extend(paragraphs)
        if self._bullets:
            self._blocks.append(BULLETS)
        self.tables.extend(tables)

    @property
    def paragraphs(self) -> _View[str]:
        return _View(self._blocks, str)

    @paragraphs.setter
    def paragraphs(self, value: Iterable[str]) -> None:
        self._replace(str, value)

    @property
    def tables(self) -> _View[Table]:
        return _View(self._blocks, Table)

    @tables.setter
    def tables(self, value: Iterable[Table]) -> None:
        self._replace(Table, value)

    @property
    def bullets(self) -> list[str]:
        return self._bullets

    @bullets.setter
    def bullets(self, value: Iterable[str]) -> None:
        """The bullet list, placed after what the section holds so far."""
        self._bullets = list(value)
        self._blocks[:] = [b for b in self._blocks if b is not BULLETS] + [BULLETS]

    def _replace(self, kind: type, value: Iterable[Any]) -> None:
        if isinstance(value, _View) and value._blocks is self._blocks:
            return  # `sec.paragraphs += [...]` assigns the extended view back to itself
        new = list(value)
        self._blocks[:] = [b for b in self._blocks if not isinstance(b, kind)]
        _View(self._blocks, kind).extend(new)

    def parts(self) -> Iterator[Part]:
        """The section's paragraphs (str), tables (Table) and bullet list (list of str, if
        any) in reading order; bullets added to an unplaced list come last."""
        placed = False
        for b in self._blocks:
            if b is BULLETS:
                placed = True
                if self._bullets:
                    yield list(self._bullets)
            elif isinstance(b, (str, Table)):
                yield b
        if not placed and self._bullets:
            yield list(self._bullets)

    def __repr__(self) -> str:
        return f"Section({self.key!r}, {self.title!r}, {self._blocks!r})"


@dataclass
class Document:
    """The whole report: title line, executive summary, then the sections."""

    title: str
    subtitle: str
    summary: Section
    sections: list[Section]

    def tables(self) -> list[Table]:
        """Every table in reading order (one Excel sheet each)."""
        return [t for s in [self.summary, *self.sections] for t in s.tables]


@dataclass(frozen=True)
class Solved:
    """A solve result as the report reads it: the result dict (solver, instance, what-ifs,
    why, evidence, sensitivity: plain dicts) and its figures typed (None without a plan)."""

    result: dict[str, Any]
    figures: SolveFigures | None

    @classmethod
    def of(cls, result: dict[str, Any]) -> Solved:
        """Parse the figures of ``result`` (ValueError naming a missing or unknown key)."""
        return cls(result, SolveFigures.from_dict(result) if "plan" in result else None)

    def has_plan(self) -> bool:
        solver = self.result.get("solver") or {}
        return bool(solver.get("has_plan", self.figures is not None and
                                bool(self.figures.plan)))

    def probability(self) -> dict[str, float]:
        """Each scenario's probability."""
        return {s.scenario: s.probability for s in self.figures.scenarios} \
            if self.figures is not None else {}
