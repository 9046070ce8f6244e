"""Reading SPARQL TSV results written by Oxigraph: the fast path of :func:`kg.paths.builder.build_projection`.

Oxigraph writes a SELECT result as TSV in Rust; splitting it in C (``bytes.split``) is several times faster than
iterating over solutions in Python, which matters for a projection of millions of relations.

>>> tsv_literal('"1993"^^<http://www.w3.org/2001/XMLSchema#gYear>')
('1993', None)
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator

import pyoxigraph as ox


def select(raw: ox.Store, query: str, union: bool = False) -> ox.QuerySolutions:
    """The solutions of a SELECT query (over the union of the graphs if ``union``)."""
    solutions = raw.query(query, use_default_graph_as_union=union)
    assert isinstance(solutions, ox.QuerySolutions), "a SELECT query"
    return solutions


def select_tsv(raw: ox.Store, query: str, union: bool = False) -> bytes:
    """The solutions of a SELECT query as SPARQL TSV, written by Oxigraph."""
    return select(raw, query, union).serialize(format=ox.QueryResultsFormat.TSV) or b""


def tsv_chunks(text: bytes, size: int = 1 << 22) -> Iterator[list[bytes]]:
    """The cells of a SPARQL TSV result whose cells hold no blanks (IRIs), a few MiB of rows at a time."""
    start = text.find(b"\n") + 1  # after the header
    while start < len(text):
        end = text.find(b"\n", start + size)
        end = len(text) if end < 0 else end
        yield text[start:end].split()
        start = end + 1


TSV_LITERAL_ROW = re.compile(
    r'^<([^>\t]*)>\t<([^>\t]*)>\t(?:"((?:[^"\\\n]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<[^>]*>)?|([^\t"\n]+))$', re.M
)
"""A row ``<s> <p> literal`` of a SPARQL TSV result: subject, predicate, quoted value, language, bare value."""

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
