"""Reading SPARQL TSV results written by Oxigraph: the fast path of :func:`kg.paths.builder.build_projection`.

Oxigraph writes a SELECT result as TSV in Rust; splitting it in C (``bytes.split``) is several times faster than
iterating over solutions in Python, which matters for a projection of millions of relations.

>>> tsv_literal('"1993"^^<http://www.w3.org/2001/XMLSchema#gYear>')
('1993', None)
"""

from __future__ import annotations

import itertools
import operator
import re
from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import pyoxigraph as ox


def select(raw: ox.Store, query: str, union: bool = False) -> ox.QuerySolutions:
    """The solutions of a SELECT query (over the union of the graphs if ``union``)."""
    solutions = raw.query(query, use_default_graph_as_union=union)
    assert isinstance(solutions, ox.QuerySolutions), "a SELECT query"
    return solutions


def select_tsv(raw: ox.Store, query: str, union: bool = False) -> bytes:
    """The solutions of a SELECT query as SPARQL TSV, written by Oxigraph."""
    return select(raw, query, union).serialize(format=ox.QueryResultsFormat.TSV) or b""


Cells = tuple[list[bytes], list[bytes], list[bytes]]
"""Subject, predicate and object cells of the rows of a SPARQL TSV result of ``?s ?p ?o``, as Oxigraph wrote them."""

_FIRST = operator.itemgetter(0)
_IRI, _BLANK = ord("<"), ord("_")


def tsv_rows(text: bytes, predicate: bytes | None = None,
             size: int = 1 << 22) -> Iterator[tuple[Cells, np.ndarray, np.ndarray]]:
    r"""The rows of a SPARQL TSV result of ``?s ?p ?o`` (or of ``?s ?o`` along ``predicate``), a few MiB at a time:
    their cells, which rows are relations (subject and object IRIs), and which are literals of an IRI (the rest hold
    a blank node or a triple term). The cells are split in C (a cell holds no tab or newline: TSV escapes them) and
    told apart by their first byte with numpy, so no Python code runs per row.

    >>> text = b'?s\t?p\t?o\n<a>\t<p>\t<b>\n<a>\t<l>\t"x y"@en\n_:n\t<p>\t<b>\n<b>\t<n>\t12\n'
    >>> [(cells[2], relations.tolist(), literals.tolist()) for cells, relations, literals in tsv_rows(text)]
    [([b'<b>', b'"x y"@en', b'<b>', b'12'], [True, False, False, False], [False, True, False, True])]
    >>> [cells[1] for cells, _, _ in tsv_rows(b'?s\t?o\n<a>\t<b>\n', b"<p>")]
    [[b'<p>']]
    """
    start = text.find(b"\n") + 1  # after the header
    while start < len(text):
        end = text.find(b"\n", start + size)
        end = len(text) if end < 0 else end
        chunk = text[start:end].rstrip(b"\n")
        start = end + 1
        if not chunk:
            continue
        flat = chunk.replace(b"\n", b"\t").split(b"\t")
        if predicate is None:
            s, p, o = flat[0::3], flat[1::3], flat[2::3]
        else:
            s, o = flat[0::2], flat[1::2]
            p = [predicate] * len(s)
        s_first = np.frombuffer(bytes(map(_FIRST, s)), dtype=np.uint8)
        o_first = np.frombuffer(bytes(map(_FIRST, o)), dtype=np.uint8)
        s_iri, o_iri = s_first == _IRI, o_first == _IRI
        o_term = np.zeros(len(o), dtype=bool)
        if b"<<" in chunk:  # a triple term (RDF 1.2) is not an IRI
            s_iri &= np.array([not c.startswith(b"<<") for c in s], dtype=bool)
            o_term = np.array([c.startswith(b"<<") for c in o], dtype=bool)
            o_iri &= ~o_term
        yield (s, p, o), s_iri & o_iri, s_iri & ~o_iri & ~o_term & (o_first != _BLANK)


_LITERAL_CELL = re.compile(r'^(?:"((?:[^"\\\n]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<[^>\n]*>)?|([^"\n][^\n]*))$', re.M)


def tsv_literals(cells: list[bytes]) -> list[tuple[str, str | None]]:
    r"""The lexical value and language of each literal cell (one regular expression over them all, in C).

    >>> tsv_literals([b'"x y"@en', b'12', b'"1993"^^<http://www.w3.org/2001/XMLSchema#gYear>', b'"a\\"b"'])
    [('x y', 'en'), ('12', None), ('1993', None), ('a"b', None)]
    """
    return literal_lines(b"\n".join(cells), len(cells))


def literal_lines(lines: bytes, count: int) -> list[tuple[str, str | None]]:
    r""":func:`tsv_literals` of ``count`` literal cells written a line each.

    >>> literal_lines(b'"x y"@en\n12', 2)
    [('x y', 'en'), ('12', None)]
    """
    if not count:
        return []
    text = lines.decode()
    found = _LITERAL_CELL.findall(text)
    if len(found) != count:  # a cell the expression does not read: each on its own
        return [tsv_literal(cell) for cell in text.split("\n")]
    if "\\" in text:
        return [(tsv_literal(f'"{quoted}"')[0] if "\\" in quoted else quoted or bare, lang or None)
                for quoted, lang, bare in found]
    return [(quoted or bare, lang or None) for quoted, lang, bare in found]


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def tsv_literal(cell: str) -> tuple[str, str | None]:
    r"""The lexical value and language of a literal written in SPARQL TSV (N-Triples syntax).

    >>> tsv_literal('"Caf\\u00E9 \\"x\\""@en'), tsv_literal('"1993"^^<http://www.w3.org/2001/XMLSchema#gYear>')
    (('Café "x"', 'en'), ('1993', None))
    >>> tsv_literal("1993")
    ('1993', None)
    """
    if not cell.startswith('"'):
        return cell, None  # numbers and booleans are written bare
    end = cell.rfind('"')
    value, rest = cell[1:end], cell[end + 1 :]
    if "\\" in value:
        value = re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", _unescape, value)
    return value, (rest[1:] if rest.startswith("@") else None)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) > 1 else _ESCAPES.get(code, code)


def unbracket(ids: dict[bytes, int]) -> defaultdict[str, int]:
    """``{b"<iri>": id}`` as ``{"iri": id}`` (the empty cell is the default graph, ``""``)."""
    out: defaultdict[str, int] = defaultdict(itertools.count(len(ids)).__next__)
    out.update((key.decode()[1:-1], v) for key, v in ids.items())
    return out
