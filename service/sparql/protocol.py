"""The SPARQL 1.1 Protocol as pure functions: what an HTTP request asks for, and update rewriting.

:func:`parse_request` turns the method, query string, Content-Type and body of
a request into a :class:`ProtocolRequest` (a query or an update and its
dataset), or raises :class:`ProtocolError` with the status code the protocol
gives (400, 415).

>>> r = parse_request("GET", b"query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fex%2Fg", None, b"")
>>> r.operation, r.text, r.default_graphs
('query', 'ASK{}', ('http://ex/g',))
>>> parse_request("POST", b"", "text/plain", b"ASK {}")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
service.sparql.protocol.ProtocolError: 415: POST a query as application/sparql-query, an update as
application/sparql-update, or either as application/x-www-form-urlencoded (query= or update=); got text/plain
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl

import pyoxigraph as ox

from service.sparql.guards import Analysis, Token, tokenize

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


class ProtocolError(Exception):
    """The request breaks the protocol; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


@dataclass(frozen=True)
class ProtocolRequest:
    """A protocol operation: ``operation`` is "query", "update" or None (no operation: the service description)."""

    operation: Literal["query", "update"] | None
    text: str = ""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def param(self, name: str) -> str | None:
        """The first value of another parameter (such as ``format``)."""
        return next((v for k, v in self.params if k == name), None)


def split_media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """The media type (lower case) and its parameters.

    >>> split_media_type('text/turtle; charset="UTF-8"')
    ('text/turtle', {'charset': 'UTF-8'})
    >>> split_media_type(None)
    ('', {})
    """
    if not content_type:
        return "", {}
    media, *params = content_type.split(";")
    values: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        if name.strip():
            values[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), values


def parse_params(raw: bytes | str, where: str) -> list[tuple[str, str]]:
    """Decode ``a=1&b=2`` (URL or form encoded) strictly as UTF-8; a bad byte gives 400.

    >>> parse_params(b"default&graph=http%3A%2F%2Fex%2F%C3%A9", "the URL")
    [('default', ''), ('graph', 'http://ex/é')]
    >>> parse_params(b"query=%FF", "the URL")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    service.sparql.protocol.ProtocolError: 400: the parameters in the URL are not valid UTF-8
    (percent-encode UTF-8 bytes)
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the parameters in {where} are not valid UTF-8 (percent-encode UTF-8 bytes)"
                            ) from None


def _utf8_body(body: bytes, params: dict[str, str], what: str) -> str:
    charset = params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"the {what} must be sent in UTF-8 (charset={charset} is not accepted)")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(400, f"the {what} is not valid UTF-8 (byte {err.start})") from None


def check_iri(value: str, parameter: str) -> str:
    """``value`` if it is an absolute IRI, else 400 (dataset IRIs are also written into rewritten updates).

    >>> check_iri("http://ex/g", "default-graph-uri")
    'http://ex/g'
    >>> check_iri("http://ex/g> } ; DROP ALL ; INSERT DATA { <http://ex/a",
    ...           "using-graph-uri")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    service.sparql.protocol.ProtocolError: 400: using-graph-uri is not a valid absolute IRI:
    'http://ex/g> } ; DROP ALL ; INSERT DATA { <http://ex/a' (Invalid IRI code point '>')
    """
    try:
        ox.NamedNode(value)
    except ValueError as err:
        raise ProtocolError(400, f"{parameter} is not a valid absolute IRI: {value!r} ({err})") from None
    return value


def parse_request(method: str, query_string: bytes, content_type: str | None, body: bytes) -> ProtocolRequest:
    """What a request to the SPARQL endpoint asks for (see the module doc)."""
    params = parse_params(query_string, "the URL")
    media, media_params = split_media_type(content_type)
    direct: tuple[str, str] | None = None
    if method == "POST":
        if media == FORM:
            params += parse_params(_utf8_body(body, media_params, "form"), "the form")
        elif media == QUERY_TYPE:
            direct = ("query", _utf8_body(body, media_params, "query"))
        elif media == UPDATE_TYPE:
            direct = ("update", _utf8_body(body, media_params, "update"))
        else:
            got = media or "no Content-Type"
            raise ProtocolError(
                415,
                f"POST a query as {QUERY_TYPE}, an update as {UPDATE_TYPE}, or either as {FORM} "
                f"(query= or update=); got {got}",
            )
    queries = [v for k, v in params if k == "query"]
    updates = [v for k, v in params if k == "update"]
    if direct is not None:
        (queries if direct[0] == "query" else updates).append(direct[1])
    if len(queries) > 1 or len(updates) > 1:
        raise ProtocolError(400, "give exactly one query or one update; the request repeats the parameter")
    if queries and updates:
        raise ProtocolError(400, "give a query or an update, not both")

    def values(name: str) -> tuple[str, ...]:
        return tuple(check_iri(v, name) for k, v in params if k == name)

    if updates:
        if method != "POST":
            raise ProtocolError(400, f"an update must be sent with POST ({FORM} with update=, or {UPDATE_TYPE})")
        if values("default-graph-uri") or values("named-graph-uri"):
            raise ProtocolError(400, "an update takes using-graph-uri/using-named-graph-uri, not default-graph-uri")
        return ProtocolRequest(
            "update", updates[0], (), (), values("using-graph-uri"), values("using-named-graph-uri"), tuple(params)
        )
    if queries:
        if values("using-graph-uri") or values("using-named-graph-uri"):
            raise ProtocolError(400, "a query takes default-graph-uri/named-graph-uri, not using-graph-uri")
        return ProtocolRequest(
            "query", queries[0], values("default-graph-uri"), values("named-graph-uri"), (), (), tuple(params)
        )
    if method == "POST":
        raise ProtocolError(400, "the request has no query and no update: send query= or update=")
    return ProtocolRequest(None, params=tuple(params))


# --- rewriting updates ---------------------------------------------------------

_POSITION = re.compile(r"error at (\d+):(\d+)")


def error_position(message: str) -> tuple[int, int] | None:
    """The line and column of a pyoxigraph syntax error message.

    >>> error_position("error at 2:15: expected one of BIND")
    (2, 15)
    """
    match = _POSITION.search(message)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _offset(text: str, line: int, column: int) -> int:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return min(starts[min(line, len(starts)) - 1] + column - 1, len(text))


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@dataclass(frozen=True)
class Rewrite:
    """An update with text inserted at some offsets; maps error positions back to the original text.

    >>> r = Rewrite("CLEAR XYZ", ((0, "BASE <http://ex/> "),))
    >>> r.text
    'BASE <http://ex/> CLEAR XYZ'
    >>> r.original_message("error at 1:28: expected ALL")
    'error at 1:10: expected ALL'
    """

    original: str
    inserts: tuple[tuple[int, str], ...] = ()

    @property
    def text(self) -> str:
        out, last = [], 0
        for offset, insert in sorted(self.inserts, key=lambda item: item[0]):
            out += [self.original[last:offset], insert]
            last = offset
        return "".join(out) + self.original[last:]

    def original_offset(self, offset: int) -> int:
        shift = 0
        for at, insert in sorted(self.inserts, key=lambda item: item[0]):
            if offset < at + shift:
                break
            if offset < at + shift + len(insert):
                return at
            shift += len(insert)
        return offset - shift

    def original_message(self, message: str) -> str:
        """``message`` with its "error at L:C" moved to where it is in the original text."""
        position = error_position(message)
        if position is None:
            return message
        offset = self.original_offset(_offset(self.text, *position))
        line, column = _line_column(self.original, offset)
        return _POSITION.sub(f"error at {line}:{column}", message, count=1)


def _operations(tokens: tuple[Token, ...]) -> list[list[Token]]:
    """The tokens of each operation of an update (split at ';' outside braces)."""
    ops: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.text in "{[(":
            depth += 1
        elif token.kind == "punct" and token.text in "}])":
            depth -= 1
        if depth == 0 and token.kind == "punct" and token.text == ";":
            ops.append([])
        else:
            ops[-1].append(token)
    return [op for op in ops if op]


def _matching_brace(tokens: list[Token], start: int) -> int | None:
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].kind == "punct" and tokens[i].text == "{":
            depth += 1
        elif tokens[i].kind == "punct" and tokens[i].text == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def update_with_dataset(
    update: str, analysis: Analysis, using: tuple[str, ...], using_named: tuple[str, ...], base: str | None = None
) -> Rewrite:
    """The update with ``USING``/``USING NAMED`` added to each DELETE/INSERT … WHERE operation.

    The protocol's ``using-graph-uri``/``using-named-graph-uri`` parameters are
    refused (400) when the update has its own USING or WITH. ``DELETE WHERE {P}``
    becomes ``DELETE {P} USING … WHERE {P}``. ``base`` is declared first.

    >>> from service.sparql.guards import analyse
    >>> text = "INSERT { GRAPH <http://t> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    >>> update_with_dataset(text, analyse(text), ("http://g",), ()).text
    'INSERT { GRAPH <http://t> { ?s ?p ?o } } USING <http://g> WHERE { ?s ?p ?o }'
    >>> text = "DELETE WHERE { ?s ?p 1 }"
    >>> update_with_dataset(text, analyse(text), (), ("http://n",)).text
    'DELETE { ?s ?p 1 } USING NAMED <http://n> WHERE { ?s ?p 1 }'
    """
    inserts: list[tuple[int, str]] = []
    if base:
        inserts.append((0, f"BASE <{base}> "))
    if not using and not using_named:
        return Rewrite(update, tuple(inserts))
    if analysis.dataset_keywords:
        raise ProtocolError(
            400,
            "the update has its own "
            + "/".join(sorted(set(analysis.dataset_keywords)))
            + " clause, so it cannot also take using-graph-uri or using-named-graph-uri parameters",
        )
    clause = "".join(f"USING <{g}> " for g in using) + "".join(f"USING NAMED <{g}> " for g in using_named)
    for op in _operations(tuple(tokenize(update))):
        words = [t.keyword for t in op]
        if not words or words[0] not in ("DELETE", "INSERT") or (len(words) > 1 and words[1] == "DATA"):
            continue
        if words[0] == "DELETE" and len(words) > 2 and words[1] == "WHERE" and op[2].text == "{":
            close = _matching_brace(op, 2)
            if close is None:
                continue  # the parser reports the missing brace
            pattern = update[op[2].start : op[close].end]
            inserts.append((op[1].start, f"{pattern} {clause}"))
            continue
        depth = 0
        for token in op:
            if token.kind == "punct" and token.text == "{":
                depth += 1
            elif token.kind == "punct" and token.text == "}":
                depth -= 1
            elif depth == 0 and token.keyword == "WHERE":
                inserts.append((token.start, clause))
                break
    return Rewrite(update, tuple(inserts))
