"""How deeply a SPARQL text or a JSON document nests its brackets — checked before a parser sees it.

pyoxigraph's SPARQL parser and its JSON-LD parser recurse once per bracket
level and overflow the stack (the process dies with SIGSEGV) at a few thousand
levels: ``SELECT * WHERE {{{{…}}}}`` with 3,000 braces is a 6 kB request. In a
query worker that costs a worker; in the server process (updates, Graph Store
writes) it would kill the service. So texts are refused with a clear message
above :data:`MAX_DEPTH` levels, far beyond any real query or document and far
below the crash.

Brackets inside strings, IRIs and comments do not count.

>>> sparql_depth('SELECT * { ?s ?p "{{{{" . FILTER((1 + 2) > 0) }')
3
>>> sparql_depth("ASK { <http://ex/(a)> ?p ?o # ((( \\n}")
1
>>> json_depth(b'{"a": [1, {"b": "[[["}]}')
3
>>> check_sparql("ASK " + "{" * 300 + "}" * 300)
Traceback (most recent call last):
...
kg.store.nesting.TooDeep: the text nests brackets 300 levels deep; at most 256 are accepted (flatten the groups)
"""

from __future__ import annotations

import re

from kg.store.base import QuerySyntaxError

MAX_DEPTH = 256
"""Deepest nesting of (), {} and [] accepted. pyoxigraph crashes somewhere between 1,000 and 3,000."""

_SPARQL = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|$)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)"
    r'|"(?:[^"\\\r\n]|\\.)*(?:"|$)'
    r"|'(?:[^'\\\r\n]|\\.)*(?:'|$)"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|\#[^\r\n]*"
    r"|[(){}\[\]]",
    re.DOTALL,
)
_JSON = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|$)|[{}\[\]]', re.DOTALL)
_OPEN = frozenset("({[")
_CLOSE = frozenset(")}]")


class TooDeep(ValueError):
    """The text nests brackets deeper than the parsers can safely take."""


def sparql_depth(text: str) -> int:
    """The deepest bracket nesting of a SPARQL query or update (strings, IRIs and comments skipped)."""
    depth = deepest = 0
    for match in _SPARQL.finditer(text):
        token = match.group()
        if token in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif token in _CLOSE:
            depth = max(0, depth - 1)
    return deepest


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays in a JSON document (strings skipped)."""
    depth = deepest = 0
    for match in _JSON.finditer(data):
        token = match.group()
        if token in (b"{", b"["):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"}", b"]"):
            depth = max(0, depth - 1)
    return deepest


def _refuse(depth: int, limit: int, hint: str) -> TooDeep:
    return TooDeep(f"the text nests brackets {depth} levels deep; at most {limit} are accepted ({hint})")


def check_sparql(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`TooDeep` if a SPARQL text nests deeper than ``limit``."""
    depth = sparql_depth(text)
    if depth > limit:
        raise _refuse(depth, limit, "flatten the groups")


def check_json(data: bytes, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`TooDeep` if a JSON document nests deeper than ``limit``.

    >>> check_json(b"[" * 257 + b"]" * 257)
    Traceback (most recent call last):
    ...
    kg.store.nesting.TooDeep: the text nests brackets 257 levels deep; at most 256 are accepted (flatten the document)
    """
    depth = json_depth(data)
    if depth > limit:
        raise _refuse(depth, limit, "flatten the document")


def check_nesting(sparql: str) -> None:
    """Refuse SPARQL nested deeper than pyoxigraph's parser survives (it dies with SIGSEGV)."""
    try:
        check_sparql(sparql)
    except TooDeep as err:
        raise QuerySyntaxError(str(err)) from None

