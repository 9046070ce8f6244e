"""Answers of SPARQL queries and updates as comparable values, and the comparison the W3C suites ask for.

An :class:`Answer` is a boolean, a bag of solutions (each a tuple of ``(variable, term key)`` pairs)
or a set of quads. Terms become keys (:func:`key`) in which numbers and booleans are compared by
value (``"1.0E6"^^xsd:double`` equals ``"1e6"^^xsd:double``, ``"0"^^xsd:boolean`` equals ``"false"``)
and blank nodes keep their label; :func:`differ` then compares two answers with bag semantics and up
to a renaming of blank nodes (one renaming for the whole answer, so that a blank node shared by two
rows must be shared in both).

Answers are read from the result files of the suites (:func:`read_expected`: SRX, SRJ, TSV, CSV, or
Turtle holding a graph or an ``rs:ResultSet``) and from what a server or pyoxigraph sent
(:func:`read_results`, :func:`read_graph`).

>>> xsd = "http://www.w3.org/2001/XMLSchema#"
>>> key(ox.Literal("1.0E6", datatype=ox.NamedNode(xsd + "double"))) == key(ox.Literal("1e6",
...     datatype=ox.NamedNode(xsd + "double")))
True
>>> a = Answer.solutions({"x"}, [(("x", ("bnode", "a")),), (("x", ("iri", "http://e/1")),)])
>>> b = Answer.solutions({"x"}, [(("x", ("iri", "http://e/1")),), (("x", ("bnode", "z")),)])
>>> differ(a, b) is None
True
>>> differ(a, Answer.solutions({"x"}, [(("x", ("iri", "http://e/1")),)]))
'1 solution(s) expected but not found, e.g. x=_:a; 2 expected, 1 found'
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
INTEGERS = {XSD + name for name in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                     "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                     "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
FLOATS = {XSD + "float", XSD + "double"}
DECIMALS = {XSD + "decimal"}
RESULT_FORMATS = {"srx": ox.QueryResultsFormat.XML, "srj": ox.QueryResultsFormat.JSON,
                  "tsv": ox.QueryResultsFormat.TSV, "csv": ox.QueryResultsFormat.CSV}
"""Result file extensions and their formats (CSV answers are compared as text: see :func:`read_csv`)."""
MAX_STEPS = 200_000
"""Most steps of the blank-node matching before it gives up (it never comes near on the suites)."""

Key = tuple[str, ...]
Row = tuple[tuple[str, Key], ...]


def key(term: Any, tag: str = "") -> Key:
    """A hashable key of an RDF term; numeric and boolean literals by their value (and datatype).

    ``tag`` is put before blank node labels, to keep apart those of different documents.
    """
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode", tag + term.value)
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if term.language:
            return ("literal", term.value, "@" + term.language.lower())
        return ("literal", _number(term.value, datatype), datatype)
    if isinstance(term, ox.Triple):
        return ("triple", *(part for t in (term.subject, term.predicate, term.object) for part in key(t, tag)))
    if isinstance(term, ox.DefaultGraph):
        return ("default",)
    raise TypeError(f"not an RDF term: {term!r}")


def _number(lexical: str, datatype: str) -> str:
    """The canonical lexical form of a number or a boolean (else, or if malformed, the lexical form itself).

    >>> _number("01", XSD + "integer"), _number("2.50", XSD + "decimal"), _number("1.0E6", XSD + "double")
    ('1', '2.5', '1000000.0')
    >>> _number("0", XSD + "boolean"), _number("x", XSD + "int")
    ('false', 'x')
    """
    try:
        if datatype in INTEGERS:
            return str(int(lexical.strip()))
        if datatype in DECIMALS:
            value = Decimal(lexical.strip())
            return str(value.normalize()) if value != 0 else "0"
        if datatype in FLOATS:
            return repr(float(lexical.strip()))
        if datatype == XSD + "boolean":
            return {"1": "true", "0": "false"}.get(lexical.strip(), lexical.strip())
    except (ValueError, InvalidOperation):
        pass
    return lexical


@dataclass(frozen=True)
class Answer:
    """A boolean, a bag of solutions (``variables``, ``rows``) or a set of quads (rows of s, p, o, g)."""

    kind: str
    boolean: bool | None = None
    variables: frozenset[str] = frozenset()
    rows: tuple[Row, ...] = ()

    @classmethod
    def of_boolean(cls, value: bool) -> Answer:
        return cls("boolean", boolean=value)

    @classmethod
    def solutions(cls, variables: Iterable[str], rows: Iterable[Row]) -> Answer:
        return cls("solutions", variables=frozenset(variables), rows=tuple(rows))

    @classmethod
    def graph(cls, quads: Iterable[Any], tag: str = "") -> Answer:
        """A set of triples or quads (pyoxigraph ``Triple``/``Quad``); ``tag`` goes before blank node labels."""
        return cls("graph", rows=tuple({quad_row(*_parts(q), tag) for q in quads}))

    @classmethod
    def union(cls, *graphs: Answer) -> Answer:
        """The quads of several graph answers together (their blank nodes must have been tagged apart)."""
        return cls("graph", rows=tuple({row for graph in graphs for row in graph.rows}))


def _parts(quad: Any) -> tuple[Any, Any, Any, Any]:
    return (quad.subject, quad.predicate, quad.object, getattr(quad, "graph_name", None))


def quad_row(subject: Any, predicate: Any, obj: Any, graph: Any = None, tag: str = "") -> Row:
    """The row of a triple (``graph`` None) or a quad."""
    row = (("subject", key(subject, tag)), ("predicate", key(predicate)), ("object", key(obj, tag)))
    return row if graph is None else (*row, ("graph_name", key(graph)))


def read_results(data: bytes | str, fmt: str) -> Answer:
    """Query results sent as ``fmt`` (``srx``, ``srj``, ``tsv`` or ``csv``)."""
    if fmt == "csv":
        return read_csv(data)
    parsed = ox.parse_query_results(data, RESULT_FORMATS[fmt])
    if isinstance(parsed, ox.QueryBoolean):
        return Answer.of_boolean(bool(parsed))
    variables = [v.value for v in parsed.variables]
    rows = []
    for solution in parsed:
        rows.append(tuple(sorted((name, key(solution[name])) for name in variables if solution[name] is not None)))
    return Answer.solutions(variables, rows)


def read_csv(data: bytes | str) -> Answer:
    """CSV results: every value as the text it is (CSV keeps no types), ``_:`` values as blank nodes.

    >>> read_csv("x,y\\r\\n_:b0,1\\r\\n").rows
    ((('x', ('bnode', 'b0')), ('y', ('csv', '1'))),)
    """
    text = data.decode() if isinstance(data, bytes) else data
    lines = list(csv.reader(io.StringIO(text)))
    variables, rows = lines[0], []
    for values in lines[1:]:
        row = [(name, ("bnode", value[2:]) if value.startswith("_:") else ("csv", value))
               for name, value in zip(variables, values, strict=True) if value != ""]
        rows.append(tuple(sorted(row)))
    return Answer.solutions(variables, rows)


def read_graph(data: bytes | str, media: ox.RdfFormat, base: str | None = None) -> Answer:
    """An RDF graph or dataset in ``media`` as a set of triples or quads."""
    return Answer.graph(ox.parse(data, format=media, base_iri=base))


def read_expected(path: Path, base: str) -> Answer:
    """The expected result of a query test: its file (extension ``srx``, ``srj``, ``tsv``, ``csv``, ``ttl``)."""
    fmt = path.suffix.lstrip(".")
    if fmt in RESULT_FORMATS:
        return read_results(path.read_bytes(), fmt)
    triples = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=base))
    sets = [t.subject for t in triples if t.predicate.value == RDF_TYPE and t.object.value == RS + "ResultSet"]
    return _result_set(triples, sets[0]) if sets else Answer.graph(triples)


def _result_set(triples: Sequence[ox.Triple], node: Any) -> Answer:
    """A result set written with the ``rs:`` vocabulary of the DAWG tests."""

    def objects(subject: Any, name: str) -> list[Any]:
        return [t.object for t in triples if t.subject == subject and t.predicate.value == RS + name]

    boolean = objects(node, "boolean")
    if boolean:
        return Answer.of_boolean(boolean[0].value == "true")
    rows = []
    for solution in objects(node, "solution"):
        row = []
        for binding in objects(solution, "binding"):
            (variable,), (value,) = objects(binding, "variable"), objects(binding, "value")
            row.append((variable.value, key(value)))
        rows.append(tuple(sorted(row)))
    return Answer.solutions((v.value for v in objects(node, "resultVariable")), rows)


# --- comparing -----------------------------------------------------------------------------------------------


def _show(row: Row) -> str:
    def term(k: Key) -> str:
        if k[0] == "iri":
            return f"<{k[1]}>"
        if k[0] == "bnode":
            return f"_:{k[1]}"
        if k[0] == "literal":
            return f'"{k[1]}"' + (k[2] if k[2].startswith("@") else f"^^<{k[2]}>")
        return " ".join(k[1:]) if k[0] != "csv" else k[1]

    return " ".join(f"{name}={term(value)}" for name, value in row)


def _has_bnode(row: Row) -> bool:
    return any(value[0] == "bnode" for _, value in row)


def differ(expected: Answer, actual: Answer) -> str | None:
    """None if ``actual`` is ``expected`` (bags of solutions, blank nodes up to renaming); else what differs."""
    if expected.kind != actual.kind:
        return f"expected {expected.kind}, got {actual.kind}"
    if expected.kind == "boolean":
        return None if expected.boolean == actual.boolean else f"expected {expected.boolean}, got {actual.boolean}"
    if expected.kind == "solutions" and expected.variables != actual.variables:
        return f"variables {sorted(actual.variables)}, expected {sorted(expected.variables)}"
    want, got = Counter(expected.rows), Counter(actual.rows)
    ground_want = Counter({r: n for r, n in want.items() if not _has_bnode(r)})
    ground_got = Counter({r: n for r, n in got.items() if not _has_bnode(r)})
    missing, extra = ground_want - ground_got, ground_got - ground_want
    sizes = f"{sum(want.values())} expected, {sum(got.values())} found"
    if not missing and not extra:
        blank_want = [r for r in expected.rows if _has_bnode(r)]
        blank_got = [r for r in actual.rows if _has_bnode(r)]
        if len(blank_want) == len(blank_got) and _match(blank_want, blank_got):
            return None
        missing = Counter(blank_want)
    if missing:
        return f"{sum(missing.values())} solution(s) expected but not found, e.g. {_show(next(iter(missing)))}; {sizes}"
    return f"{sum(extra.values())} unexpected solution(s), e.g. {_show(next(iter(extra)))}; {sizes}"


def _match(expected: list[Row], actual: list[Row]) -> bool:
    """Whether one renaming of blank nodes maps the bag ``expected`` onto the bag ``actual`` (backtracking)."""
    used = [False] * len(actual)
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    steps = [0]

    def fits(want: Row, got: Row) -> list[tuple[str, str]] | None:
        if len(want) != len(got):
            return None
        new: list[tuple[str, str]] = []
        for (name_w, value_w), (name_g, value_g) in zip(want, got, strict=True):
            if name_w != name_g or value_w[0] != value_g[0]:
                return None
            if value_w[0] != "bnode":
                if value_w != value_g:
                    return None
                continue
            a, b = value_w[1], value_g[1]
            mapped = forward.get(a) or dict(new).get(a)
            if mapped is None:
                if b in backward or b in (y for _, y in new):
                    return None
                new.append((a, b))
            elif mapped != b:
                return None
        return new

    order = sorted(range(len(expected)), key=lambda i: -sum(v[0] != "bnode" for _, v in expected[i]))

    def solve(position: int) -> bool:
        if position == len(order):
            return True
        steps[0] += 1
        if steps[0] > MAX_STEPS:
            return False
        want = expected[order[position]]
        for index, got in enumerate(actual):
            if used[index]:
                continue
            new = fits(want, got)
            if new is None:
                continue
            used[index] = True
            for a, b in new:
                forward[a], backward[b] = b, a
            if solve(position + 1):
                return True
            used[index] = False
            for a, b in new:
                del forward[a], backward[b]
        return False

    return solve(0)
