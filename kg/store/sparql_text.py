"""SPARQL text for a remote engine: bound variables as ``VALUES`` blocks, data as ``INSERT DATA`` chunks.

A remote engine cannot be handed pyoxigraph's ``substitutions``, so
:func:`bind_values` writes them into the query text. Terms are written by
:func:`sparql_term` (N-Triples syntax, which is valid SPARQL) and checked by
parsing them back, so no value, however hostile, can change the query around it.

>>> from pyoxigraph import NamedNode, Literal
>>> bind_values("SELECT ?o { ?s ?p ?o }", {"s": NamedNode("http://ex/a")})
'SELECT ?o { VALUES (?s) { (<http://ex/a>) } ?s ?p ?o }'
>>> print(bind_values("ASK { ?s ?p ?o }", {"o": Literal('x" } ; DROP ALL #')}))
ASK { VALUES (?o) { ("x\\" } ; DROP ALL #") } ?s ?p ?o }
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import pyoxigraph as ox

from kg.store.base import Term
from kg.store.results import parse_term

_TOKEN = re.compile(
    r'''(?P<ws>\s+)
      | (?P<comment>\#[^\n\r]*)
      | (?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\'
                   |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
      | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
      | (?P<var>[?$]\w+)
      | (?P<word>[A-Za-z_:][\w\-.:%]*)
      | (?P<open>\{)
      | (?P<close>\})
      | (?P<other>.)''',
    re.VERBOSE | re.DOTALL,
)
_FORMS = {"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"}
_VARNAME = re.compile(r"\w+")
_PREFIX_NAME = re.compile(r"(?:[A-Za-z][\w\-.]*)?")
_POSITION = re.compile(r"(?<![\w.:])(\d+):(\d+)")


@dataclass(frozen=True)
class Token:
    """One lexical token of a query: its kind (a group name of the lexer), text and offset."""

    kind: str
    text: str
    start: int


def tokens(query: str) -> Iterator[Token]:
    """The significant tokens of ``query`` (no white space, no comments).

    Only as fine as :func:`bind_values` needs: strings, IRIs, variables, words and braces.

    >>> [t.text for t in tokens('SELECT * { ?s <http://x#y> "}" } # }')]
    ['SELECT', '*', '{', '?s', '<http://x#y>', '"}"', '}']
    """
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            yield Token(kind, match.group(), match.start())


def declared_prefixes(query: str) -> set[str]:
    """Prefix names the query declares itself (so defaults are not declared twice).

    >>> sorted(declared_prefixes("PREFIX ex: <http://ex/> PREFIX : <http://d/> SELECT * {}"))
    ['', 'ex']
    """
    found: set[str] = set()
    items = list(tokens(query))
    for i, tok in enumerate(items[:-1]):
        if tok.kind == "word" and tok.text.upper() == "PREFIX" and items[i + 1].kind == "word":
            found.add(items[i + 1].text.rstrip(":"))
        if tok.kind == "word" and tok.text.upper() in _FORMS:
            break
    return found


def prologue(base_iri: str | None, prefixes: Iterable[tuple[str, str]], skip: AbstractSet[str] = frozenset()) -> str:
    """``BASE`` and ``PREFIX`` declarations to put in front of a query (names and IRIs are checked).

    They make one line with no line break, so that the line numbers in the engine's error messages are the
    query's own (see :func:`shift_columns`).

    >>> prologue("http://b/", [("ex", "http://ex/")])
    'BASE <http://b/> PREFIX ex: <http://ex/> '
    >>> prologue(None, [("bad name", "http://ex/")])
    Traceback (most recent call last):
    ...
    ValueError: not a SPARQL prefix name: 'bad name'
    """
    lines = [f"BASE {ox.NamedNode(base_iri)}"] if base_iri else []
    for name, iri in prefixes:
        if not _PREFIX_NAME.fullmatch(name):
            raise ValueError(f"not a SPARQL prefix name: {name!r}")
        if name not in skip:
            lines.append(f"PREFIX {name}: {ox.NamedNode(iri)}")
    return "".join(line + " " for line in lines)


def shift_columns(message: str, prefix_length: int) -> str:
    """Correct the first-line columns of an Oxigraph-style error (``error at 1:42``) for a one-line prologue.

    >>> shift_columns("error at 1:42: expected one of BIND", 30)
    'error at 1:12: expected one of BIND'
    >>> shift_columns("error at 2:5-2:9: unexpected", 30)
    'error at 2:5-2:9: unexpected'
    """
    if not prefix_length:
        return message

    def fix(match: re.Match[str]) -> str:
        column = int(match.group(2))
        return f"1:{max(1, column - prefix_length)}" if match.group(1) == "1" else match.group(0)

    return _POSITION.sub(fix, message)


def sparql_term(term: Term) -> str:
    """A term in SPARQL syntax; checked by parsing it back, so its value cannot escape its quotes.

    >>> print(sparql_term(ox.Literal('a"b\\\\u0022\\n', language="en")))
    "a\\"b\\\\u0022\\n"@en
    >>> sparql_term(ox.BlankNode("b1"))
    Traceback (most recent call last):
    ...
    ValueError: a blank node cannot be bound on a remote store: SPARQL cannot name an existing blank node
    """
    if isinstance(term, ox.BlankNode) or (isinstance(term, ox.Triple) and "_:" in str(term)):
        raise ValueError("a blank node cannot be bound on a remote store: SPARQL cannot name an existing blank node")
    if not isinstance(term, (ox.NamedNode, ox.Literal, ox.Triple)):
        raise ValueError(f"not an RDF term: {term!r}")
    text = str(term)
    if parse_term(text) != term:
        raise ValueError(f"the term {text} does not read back as itself")
    return text


def values_block(bindings: Mapping[str, Term]) -> str:
    """A one-row ``VALUES`` block binding each variable to its term.

    >>> values_block({"a": ox.NamedNode("http://ex/a"), "n": ox.Literal("1")})
    'VALUES (?a ?n) { (<http://ex/a> "1") }'
    >>> values_block({"x) } DROP ALL": ox.Literal("1")})
    Traceback (most recent call last):
    ...
    ValueError: not a SPARQL variable name: 'x) } DROP ALL'
    """
    for name in bindings:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(sparql_term(term) for term in bindings.values())
    return f"VALUES ({names}) {{ ({terms}) }}"


def _group_brace(items: list[Token], start: int, skip_groups: int = 0) -> int | None:
    """Offset of the first ``{`` after ``items[start]`` outside parentheses (after ``skip_groups`` whole groups)."""
    depth = parens = 0
    for tok in items[start:]:
        if tok.kind == "other" and tok.text in "()":
            parens += 1 if tok.text == "(" else -1
        elif tok.kind == "open":
            if depth == 0 and parens == 0:
                if skip_groups == 0:
                    return tok.start
                skip_groups -= 1
            depth += 1
        elif tok.kind == "close":
            depth -= 1
            if depth < 0:
                return None
    return None


def _form(items: list[Token]) -> int:
    at = next((i for i, t in enumerate(items) if t.kind == "word" and t.text.upper() in _FORMS), None)
    if at is None:
        raise ValueError("not a SPARQL query: no SELECT, CONSTRUCT, DESCRIBE or ASK")
    return at


def query_form(query: str) -> str | None:
    """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``; None if the text names none.

    >>> query_form("PREFIX select: <http://ex/> # SELECT\\nconstruct { ?s ?p ?o } WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    """
    items = list(tokens(query))
    at = next((i for i, t in enumerate(items) if t.kind == "word" and t.text.upper() in _FORMS), None)
    return None if at is None else items[at].text.upper()


def where_brace(query: str) -> int | None:
    """Offset of the ``{`` that opens the query's WHERE group, or None (CONSTRUCT WHERE, DESCRIBE <iri>).

    >>> q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    >>> q[where_brace(q):]
    '{ ?s ?p ?o }'
    >>> q = "SELECT (EXISTS { ?s ?p 1 } AS ?one) WHERE { ?s ?p ?o }"
    >>> q[where_brace(q):]
    '{ ?s ?p ?o }'
    >>> where_brace("CONSTRUCT WHERE { ?s ?p ?o }") is None
    True
    """
    items = list(tokens(query))
    at = _form(items)
    if items[at].text.upper() == "CONSTRUCT":
        if at + 1 >= len(items) or items[at + 1].kind != "open":
            return None  # the short form: its WHERE group is a template, VALUES may not go in it
        return _group_brace(items, at + 1, skip_groups=1)
    return _group_brace(items, at + 1)


def _subselects(items: list[Token], form_at: int) -> Iterator[tuple[int, set[str] | None]]:
    """For each nested SELECT: the offset of its WHERE ``{`` and the variables it projects (None for ``*``)."""
    for i in range(form_at + 1, len(items)):
        tok = items[i]
        if not (tok.kind == "word" and tok.text.upper() == "SELECT"):
            continue
        brace = _group_brace(items, i + 1)
        if brace is None:
            continue
        projected: set[str] = set()
        star = False
        parens = 0
        first = True
        for item in items[i + 1 :]:
            if item.start >= brace:
                break
            if item.kind == "word" and item.text.upper() in ("DISTINCT", "REDUCED"):
                continue
            if first and item.text == "*":
                star = True
                break
            first = False
            if item.kind == "other" and item.text in "()":
                parens += 1 if item.text == "(" else -1
            elif item.kind == "var" and parens == 0:
                projected.add(item.text[1:])
        yield brace, None if star else projected


def bind_values(query: str, bindings: Mapping[str, Term] | None) -> str:
    """``query`` with each variable of ``bindings`` bound to its term, as the embedded store's substitutions do.

    A ``VALUES`` block goes first in the WHERE group, so FILTERs, OPTIONALs and
    aggregates see the bound variables, and first in the WHERE group of every
    sub-query that projects them (a sub-query is evaluated on its own). Queries
    without a WHERE group of their own (``CONSTRUCT WHERE``, ``DESCRIBE <iri>``)
    get a trailing ``VALUES`` clause instead.

    >>> bind_values("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", {"s": ox.NamedNode("http://ex/a")})
    'SELECT (COUNT(*) AS ?n) { VALUES (?s) { (<http://ex/a>) } ?s ?p ?o }'
    >>> print(bind_values("SELECT ?s { { SELECT ?s { ?s ?p ?o } } { SELECT ?o { ?s ?p ?o } } }",
    ...                   {"s": ox.NamedNode("http://ex/a")}))  # doctest: +NORMALIZE_WHITESPACE
    SELECT ?s { VALUES (?s) { (<http://ex/a>) } { SELECT ?s { VALUES (?s) { (<http://ex/a>) } ?s ?p ?o } }
                { SELECT ?o { ?s ?p ?o } } }
    >>> bind_values("DESCRIBE ?s", {"s": ox.NamedNode("http://ex/a")})
    'DESCRIBE ?s\\nVALUES (?s) { (<http://ex/a>) }'
    """
    if not bindings:
        return query
    block = values_block(bindings)
    items = list(tokens(query))
    top = where_brace(query)
    if top is None:
        return f"{query}\n{block}"
    inserts = [(top, block)]
    for brace, projected in _subselects(items, _form(items)):
        chosen = {k: v for k, v in bindings.items() if projected is None or k in projected}
        if chosen:
            inserts.append((brace, values_block(chosen)))
    for at, text in sorted(inserts, reverse=True):
        query = f"{query[: at + 1]} {text}{query[at + 1 :]}"
    return query


def _blank_nodes(term: object) -> Iterator[str]:
    if isinstance(term, ox.BlankNode):
        yield term.value
    elif isinstance(term, ox.Triple):
        for part in (term.subject, term.predicate, term.object):
            yield from _blank_nodes(part)


def _components(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """Group quads so that quads sharing a blank node stay together (its label is only valid in one request)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys: list[str | None] = []
    for quad in quads:
        labels = [*_blank_nodes(quad.subject), *_blank_nodes(quad.object)]
        for other in labels[1:]:
            parent[find(other)] = find(labels[0])
        keys.append(labels[0] if labels else None)
    groups: dict[str, list[ox.Quad]] = defaultdict(list)
    alone: list[list[ox.Quad]] = []
    for quad, key in zip(quads, keys, strict=True):
        if key is None:
            alone.append([quad])
        else:
            groups[find(key)].append(quad)
    return list(groups.values()) + alone


def chunks(quads: Iterable[ox.Quad], size: int) -> list[list[ox.Quad]]:
    """Split quads into lists of about ``size``, never separating quads that share a blank node.

    >>> a, b = ox.BlankNode("a"), ox.NamedNode("http://ex/b")
    >>> qs = [ox.Quad(b, b, ox.Literal(str(i))) for i in range(3)] + [ox.Quad(a, b, b), ox.Quad(b, b, a)]
    >>> [len(c) for c in chunks(qs, 2)]
    [2, 2, 1]
    """
    out: list[list[ox.Quad]] = []
    current: list[ox.Quad] = []
    for group in _components(list(quads)):
        if current and len(current) + len(group) > size:
            out.append(current)
            current = []
        current.extend(group)
    if current:
        out.append(current)
    return out


def insert_data(quads: Iterable[ox.Quad]) -> str:
    """An ``INSERT DATA`` operation for quads (named graphs in ``GRAPH`` blocks).

    With blank nodes it is ``INSERT { … } WHERE {}`` instead, which means the
    same (fresh blank nodes, one per label) and which Virtuoso also accepts.

    >>> g, x = ox.NamedNode("http://ex/g"), ox.NamedNode("http://ex/x")
    >>> print(insert_data([ox.Quad(x, x, ox.Literal("1"), g), ox.Quad(x, x, x)]))
    INSERT DATA {
    <http://ex/x> <http://ex/x> <http://ex/x> .
    GRAPH <http://ex/g> {
    <http://ex/x> <http://ex/x> "1" .
    }
    }
    >>> print(insert_data([ox.Quad(x, x, ox.BlankNode("b1"))]))
    INSERT {
    <http://ex/x> <http://ex/x> _:b1 .
    } WHERE {}
    """
    by_graph: dict[str, list[str]] = defaultdict(list)
    blank = False
    for quad in quads:
        blank = blank or any(True for _ in _blank_nodes(quad.subject)) or any(True for _ in _blank_nodes(quad.object))
        graph = "" if isinstance(quad.graph_name, ox.DefaultGraph) else str(quad.graph_name)
        by_graph[graph].append(f"{quad.subject} {quad.predicate} {quad.object} .")
    lines = ["INSERT {" if blank else "INSERT DATA {"]
    lines += by_graph.pop("", [])
    for graph, triples in by_graph.items():
        lines += [f"GRAPH {graph} {{", *triples, "}"]
    lines.append("} WHERE {}" if blank else "}")
    return "\n".join(lines)


def drop(graph: str | None) -> str:
    """The operation that removes a named graph (or empties the default graph).

    >>> drop("http://ex/g"), drop(None)
    ('DROP SILENT GRAPH <http://ex/g>', 'CLEAR SILENT DEFAULT')
    """
    return f"DROP SILENT GRAPH {ox.NamedNode(graph)}" if graph else "CLEAR SILENT DEFAULT"
