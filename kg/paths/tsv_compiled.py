"""Reading Oxigraph's TSV results for a big projection build in compiled code (numba, :mod:`kg.paths.tsv_kernel`).

:func:`kg.paths.tsv.tsv_rows` splits a result into one Python ``bytes`` object per cell and numbers them with
dictionaries: on a million relations that is ~3.5 s of CPU, more than Oxigraph takes to write the result. The
compiled loop reads each row's cells where they lie in the result and numbers its terms in hash tables of its own,
so no Python object is made per cell: only one per distinct term, at the end (:meth:`Terms.keys`).

>>> nodes, preds = Terms(), Terms()
>>> rows = read_tsv(b'?s\\t?p\\t?o\\n<a>\\t<p>\\t<b>\\n<a>\\t<l>\\t"x"@en\\n_:n\\t<p>\\t<b>\\n', nodes, preds)
>>> rows.subjects.tolist(), rows.preds.tolist(), rows.objects.tolist(), rows.kinds.tolist()
([0, 0, -1], [0, 1, 0], [1, -1, -1], [1, 2, 0])
>>> nodes.keys(), preds.keys(), rows.object_lines(np.array([1]))
(['a', 'b'], ['p', 'l'], b'"x"@en')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

import numpy as np

RELATION, LITERAL = 1, 2
"""Row kinds: subject and object IRIs; an IRI's literal (not a blank node or a triple term); 0 for the rest."""


def _kernel() -> ModuleType:
    """The compiled loop (:mod:`kg.paths.tsv_kernel`): importing numba costs ~0.3 s, paid only by big builds."""
    return import_module("kg.paths.tsv_kernel")


@dataclass
class Terms:
    """A table numbering terms (IRIs as TSV writes them, ``<…>``): ids 0, 1, … in the order first met. Its arrays
    grow (doubled) when the compiled loop says they are full."""

    slots: np.ndarray = field(default_factory=lambda: np.zeros(2 << 10, np.uint64))
    """Pairs of a hash and its term's id + 1 (0: an empty slot); never more than half full."""
    meta: np.ndarray = field(default_factory=lambda: np.zeros(2 << 9, np.int64))
    """Pairs of where each term's bytes start in ``arena`` and their length."""
    arena: np.ndarray = field(default_factory=lambda: np.zeros(1 << 16, np.uint8))
    used: np.ndarray = field(default_factory=lambda: np.zeros(2, np.int64))
    """The ids given and the arena bytes taken."""

    def __len__(self) -> int:
        return int(self.used[0])

    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.slots, self.meta, self.arena, self.used

    def grow(self, longest: int) -> None:
        """Make room for more terms (of up to ``longest`` bytes): double what is (nearly) full."""
        count, taken = int(self.used[0]), int(self.used[1])
        if 2 * (count + 1) >= len(self.meta):
            self.meta = np.resize(self.meta, 2 * len(self.meta))
        if taken + longest > len(self.arena) // 2:
            self.arena = np.resize(self.arena, max(2 * len(self.arena), taken + 2 * longest))
        if 4 * (count + 2) > len(self.slots):
            old, self.slots = self.slots, np.zeros(2 * len(self.slots), np.uint64)
            _kernel().rehash(old, self.slots)

    def add(self, term: bytes) -> int:
        """The id of ``term`` (``<…>``), a new one if it is not there.

        >>> terms = Terms()
        >>> terms.add(b"<a>"), terms.add(b"<b>"), terms.add(b"<a>"), len(terms)
        (0, 1, 0, 2)
        """
        text = np.frombuffer(term, np.uint8)
        while (found := _kernel().term(text, 0, len(term), *self.arrays())) < 0:
            self.grow(len(term))
        return int(found)

    def keys(self) -> list[str]:
        """The terms in id order, without their brackets (``<a>`` is ``a``): an IRI holds no ``<`` or ``>``."""
        if not len(self):
            return []
        text = self.arena[: int(self.used[1])].tobytes().decode()
        return text[1:-1].split("><")


@dataclass
class Rows:
    """The rows of one TSV result as :func:`read_tsv` read them (ids -1 where a cell was not numbered)."""

    text: bytes
    subjects: np.ndarray
    preds: np.ndarray
    objects: np.ndarray
    kinds: np.ndarray
    """:data:`RELATION`, :data:`LITERAL` or 0."""
    o_start: np.ndarray
    o_end: np.ndarray

    def object_lines(self, rows: np.ndarray) -> bytes:
        """The object cells of ``rows``, a line each (a cell holds no newline: TSV escapes it), gathered by numpy.

        >>> rows = read_tsv(b'?s\\t?o\\n<a>\\t"x"\\n<a>\\t<b>\\n<a>\\t"yz"', Terms(), Terms(), 0)
        >>> rows.object_lines(np.array([0, 2]))
        b'"x"\\n"yz"'
        """
        start, end = self.o_start[rows], self.o_end[rows]
        if not len(start):
            return b""
        lengths = end - start + 1  # each cell and its newline
        offsets = np.cumsum(lengths) - lengths
        where = np.arange(int(lengths.sum())) - np.repeat(offsets - start, lengths)
        lines = np.frombuffer(self.text, np.uint8)[np.minimum(where, len(self.text) - 1)]
        lines[offsets + lengths - 1] = 10  # a newline
        return lines[:-1].tobytes()


def read_tsv(text: bytes, nodes: Terms, preds: Terms, predicate: int | None = None) -> Rows:
    """The rows of a TSV result of ``?s ?p ?o`` (or of ``?s ?o`` along the predicate numbered ``predicate``): subject
    IRIs and relation objects numbered in ``nodes``, predicates in ``preds``."""
    kernel = _kernel()
    buffer = np.frombuffer(text, np.uint8)
    start = text.find(b"\n") + 1  # after the header
    rows = text.count(b"\n", start) + 1
    subjects, predicates, objects = (np.full(rows, -1, np.int32) for _ in range(3))
    kinds = np.zeros(rows, np.uint8)
    o_start, o_end = np.zeros(rows, np.int64), np.zeros(rows, np.int64)
    pos, row = start, 0
    while True:
        pos, row = kernel.read_rows(buffer, pos, row, predicate is None, -1 if predicate is None else predicate,
                                    *nodes.arrays(), *preds.arrays(), subjects, predicates, objects, kinds, o_start,
                                    o_end)
        if pos >= len(text):
            break
        longest = text.find(b"\n", pos)
        longest = (len(text) if longest < 0 else longest) - pos
        nodes.grow(longest)
        preds.grow(longest)
    return Rows(text, subjects[:row], predicates[:row], objects[:row], kinds[:row], o_start[:row], o_end[:row])


def warm() -> None:
    """Compile the loop (or read it from numba's cache) on a one-row result."""
    read_tsv(b"?s\t?p\t?o\n<a>\t<p>\t<b>\n", Terms(), Terms())
    read_tsv(b"?s\t?o\n<a>\t<b>\n", Terms(), Terms(), 0)
