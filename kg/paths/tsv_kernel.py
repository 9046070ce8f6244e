"""The compiled loop of :mod:`kg.paths.tsv_compiled`: one pass over a SPARQL TSV result, numbering its terms.

A term table is open addressing over 64-bit FNV-1a hashes: each slot holds a hash and its term's id + 1 side by side
(0: empty), each id where its term's bytes lie in an arena, so two terms with the same hash are still told apart by
their bytes, and a lookup touches few places in memory (on a million relations the lookups, not the hashing, are
what costs). A row's subject or object equal to the one of the row before (results come sorted) is not looked up
again. The loop stops, and says where, when a table or its arena is full; the caller grows them and calls again from
there. Call it through :mod:`kg.paths.tsv_compiled`.

>>> import numpy as np
>>> text = np.frombuffer(b"?s\\t?o\\n<a>\\t<b>\\n<a>\\t12\\n", np.uint8)
>>> def table(): return np.zeros(16, np.uint64), np.zeros(8, np.int64), np.zeros(16, np.uint8), np.zeros(2, np.int64)
>>> nodes, preds = table(), table()
>>> out = [np.zeros(2, np.int32), np.zeros(2, np.int32), np.zeros(2, np.int32), np.zeros(2, np.uint8),
...        np.zeros(2, np.int64), np.zeros(2, np.int64)]
>>> pos, rows = read_rows(text, 6, 0, False, 7, *nodes, *preds, *out)
>>> pos == len(text), rows, out[0].tolist(), out[2].tolist(), out[3].tolist(), nodes[2][:6].tobytes()
(True, 2, [0, 0], [1, -1], [1, 2], b'<a><b>')
"""

import numpy as np
from numba import njit

from kg.paths.tsv_compiled import LITERAL, RELATION

_TAB, _NEWLINE, _LT, _UNDERSCORE = 9, 10, 60, 95


@njit(cache=True)
def _hash(text, start, end):
    """64-bit FNV-1a of ``text[start:end]``."""
    h = np.uint64(14695981039346656037)
    for i in range(start, end):
        h = (h ^ np.uint64(text[i])) * np.uint64(1099511628211)
    return h


@njit(cache=True)
def _slot(h, mask):
    """The first slot to probe for hash ``h``."""
    return np.int64((h ^ (h >> np.uint64(29))) & np.uint64(mask))


@njit(cache=True)
def term(text, start, end, slots, meta, arena, used):
    """The id of the term ``text[start:end]`` in a table (``slots``: hash, id + 1 pairs; ``meta``: start, length
    pairs in ``arena``; ``used``: the ids and arena bytes taken), a new one if it is not there; -1 if the table or its
    arena is full."""
    return _term(text, start, end, _hash(text, start, end), slots, meta, arena, used)


@njit(cache=True)
def _term(text, start, end, h, slots, meta, arena, used):
    """:func:`term`, the hash ``h`` of the term given."""
    n = end - start
    mask = len(slots) // 2 - 1
    i = _slot(h, mask)
    while True:
        k = np.int64(slots[2 * i + 1]) - 1
        if k < 0:
            if 2 * used[0] >= len(meta) or used[1] + n > len(arena) or 4 * (used[0] + 1) > len(slots):
                return -1
            k = used[0]
            at = used[1]
            arena[at:at + n] = text[start:end]
            meta[2 * k], meta[2 * k + 1] = at, n
            slots[2 * i], slots[2 * i + 1] = h, np.uint64(k + 1)
            used[0] += 1
            used[1] += n
            return k
        if slots[2 * i] == h and meta[2 * k + 1] == n:
            at = meta[2 * k]
            same = True
            for j in range(n):
                if arena[at + j] != text[start + j]:
                    same = False
                    break
            if same:
                return k
        i = (i + 1) & mask


@njit(cache=True)
def _same(text, a0, a1, b0, b1):
    """Whether ``text[a0:a1]`` and ``text[b0:b1]`` hold the same bytes."""
    if a1 - a0 != b1 - b0:
        return False
    for j in range(a1 - a0):  # noqa: SIM110 (a loop numba compiles; all() of a generator it may not)
        if text[a0 + j] != text[b0 + j]:
            return False
    return True


@njit(cache=True)
def _is_iri(text, start, end):
    """An IRI cell (``<…>``, not a triple term ``<< … >>``)."""
    return end > start and text[start] == _LT and not (end - start > 1 and text[start + 1] == _LT)


BATCH = 256
"""Rows read ahead: their lookups' first reads of memory are made together, so the processor waits for them at
once rather than one after another (on a million relations a lookup that misses the caches is most of its cost)."""


@njit(cache=True)
def _prefetch(hashes, count, slots, meta, arena):
    """Read what the lookups of ``hashes[:count]`` (0: none) will read first: their slot, their term's place, its
    first bytes. Returns a number made of them (so the reads are not left out)."""
    mask = len(slots) // 2 - 1
    sink = np.uint64(0)
    for j in range(count):
        if hashes[j] != 0:
            sink += slots[2 * _slot(hashes[j], mask) + 1]
    for j in range(count):
        if hashes[j] != 0:
            k = np.int64(slots[2 * _slot(hashes[j], mask) + 1]) - 1
            if k >= 0:
                sink += np.uint64(meta[2 * k])
    for j in range(count):
        if hashes[j] != 0:
            k = np.int64(slots[2 * _slot(hashes[j], mask) + 1]) - 1
            if k >= 0:
                sink += np.uint64(arena[meta[2 * k]])
    return sink


@njit(cache=True)
def read_rows(text, pos, row, three, predicate, n_slots, n_meta, n_arena, n_used, p_slots, p_meta, p_arena, p_used,
              subjects, preds, objects, kinds, o_start, o_end):
    """Rows of ``text`` from byte ``pos`` (row number ``row``), of ``?s ?p ?o`` (``three``) or of ``?s ?o`` along
    the predicate numbered ``predicate``: each row's subject, predicate and object ids (-1 where not numbered),
    kind (``RELATION``, ``LITERAL`` or 0: :mod:`kg.paths.tsv_compiled`) and object cell. Subjects that are IRIs
    and the objects of relations are numbered in the node table (``n_…``), predicates in the predicate table (``p_…``).
    Returns (the byte to go on from, the rows read): before ``len(text)`` when a table is full."""
    size = len(text)
    count = 3 if three else 2
    cells = np.empty((BATCH, 6), np.int64)  # per row read ahead: subject, predicate and object cells
    starts = np.empty(BATCH + 1, np.int64)
    hashes = np.zeros(2 * BATCH, np.uint64)  # of the subject and object IRIs to look up (0: none, or a hash of 0)
    last_s, last_s0, last_s1 = -1, 0, 0  # the last subject numbered, and its cell
    last_o, last_o0, last_o1 = -1, 0, 0
    sink = np.uint64(0)
    while pos < size:
        ahead = 0
        at = pos
        while ahead < BATCH and at < size:
            starts[ahead] = at
            for c in range(count):
                cell = 2 if c == count - 1 else c  # (``?s ?o``: the second cell is the object)
                cells[ahead, 2 * cell] = at
                while at < size and text[at] != _TAB and text[at] != _NEWLINE:
                    at += 1
                cells[ahead, 2 * cell + 1] = at
                at += 1
            s0, s1, o0, o1 = cells[ahead, 0], cells[ahead, 1], cells[ahead, 4], cells[ahead, 5]
            s_iri = _is_iri(text, s0, s1)
            hashes[2 * ahead] = _hash(text, s0, s1) if s_iri else 0
            hashes[2 * ahead + 1] = _hash(text, o0, o1) if s_iri and _is_iri(text, o0, o1) else 0
            ahead += 1
        starts[ahead] = at
        sink += _prefetch(hashes, 2 * ahead, n_slots, n_meta, n_arena)
        for r in range(ahead):
            s0, s1, o0, o1 = cells[r, 0], cells[r, 1], cells[r, 4], cells[r, 5]
            s_iri = _is_iri(text, s0, s1)
            o_iri = s_iri and _is_iri(text, o0, o1)
            o_other = o1 > o0 and (text[o0] == _UNDERSCORE or text[o0] == _LT)
            s = -1
            if s_iri:
                if last_s >= 0 and _same(text, s0, s1, last_s0, last_s1):
                    s = last_s
                else:
                    s = _term(text, s0, s1, hashes[2 * r], n_slots, n_meta, n_arena, n_used)
                    if s < 0:
                        return starts[r], row
                    last_s, last_s0, last_s1 = s, s0, s1
            p = predicate
            if three:
                p = term(text, cells[r, 2], cells[r, 3], p_slots, p_meta, p_arena, p_used)
                if p < 0:
                    return starts[r], row
            o = -1
            kind = 0
            if s_iri and o_iri:
                if last_o >= 0 and _same(text, o0, o1, last_o0, last_o1):
                    o = last_o
                else:
                    o = _term(text, o0, o1, hashes[2 * r + 1], n_slots, n_meta, n_arena, n_used)
                    if o < 0:
                        return starts[r], row
                    last_o, last_o0, last_o1 = o, o0, o1
                kind = RELATION
            elif s_iri and not o_other:
                kind = LITERAL
            subjects[row], preds[row], objects[row], kinds[row] = s, p, o, kind
            o_start[row], o_end[row] = o0, o1
            row += 1
        pos = starts[ahead]
    if sink == np.uint64(1):  # (never: keeps the reads ahead from being left out)
        n_used[1] += 0
    return pos, row


@njit(cache=True)
def rehash(old, slots):
    """Put the terms of the slots ``old`` into the (larger, empty) ``slots``."""
    mask = len(slots) // 2 - 1
    for j in range(len(old) // 2):
        if old[2 * j + 1] != 0:
            h = old[2 * j]
            i = _slot(h, mask)
            while slots[2 * i + 1] != 0:
                i = (i + 1) & mask
            slots[2 * i], slots[2 * i + 1] = h, old[2 * j + 1]
