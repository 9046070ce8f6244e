"""HTTP to a SPARQL 1.1 engine: where its endpoints are, and one client that sends, retries, times and reads.

:class:`SparqlClient` is the wire under :class:`kg.store.remote.RemoteStore`: it posts queries and updates as
HTML forms, retries transient failures with back-off, stops reading at a deadline, turns HTTP errors into the
store's errors (:mod:`kg.store.base`) and parses answers with pyoxigraph (see the store's module documentation
for the rules).

>>> endpoints("http://127.0.0.1:7878").query
'http://127.0.0.1:7878/query'
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import pyoxigraph as ox

from kg.store import sparql_text as text
from kg.store.base import (
    QueryEvaluationError,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    Term,
)
from kg.store.formats import READABLE_GRAPHS, READABLE_RESULTS

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

ACCEPT_RESULTS = ("application/sparql-results+json, application/sparql-results+xml;q=0.9, "
                  "text/tab-separated-values;q=0.8")
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"
VIRTUOSO_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                   "http://localhost:8890/")
"""Graphs a fresh Virtuoso holds for itself (its ``hidden_graphs``)."""
ENGINE_TIME_LIMITS = ("exceeds the limit of", "S1TAT")
"""Signs in an HTTP 500 answer that the engine's own time limit stopped (or refused) the query (Virtuoso)."""
RETRY_READ = frozenset({502, 503, 504})
RETRY_WRITE = frozenset({503})


class RemoteUnavailable(StoreError):
    """The frontier engine could not be reached (or kept answering 502/503/504) after every retry."""


@dataclass(frozen=True)
class Endpoints:
    """Where a frontier engine takes queries, updates and (optionally) Graph Store requests."""

    query: str
    update: str
    graph_store: str | None


def endpoints(url: str, update_url: str | None = None, graph_store_url: str | None = None) -> Endpoints:
    """The endpoints for a location (see the module documentation for the rules).

    >>> endpoints("http://h:3030/ds/query")
    Endpoints(query='http://h:3030/ds/query', update='http://h:3030/ds/update', graph_store=None)
    >>> endpoints("http://h:8890/sparql", graph_store_url="http://h:8890/sparql-graph-crud").update
    'http://h:8890/sparql'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"not an http(s) SPARQL endpoint: {url!r}; use sparql+http://host:port/path")
    path = parts.path.rstrip("/")
    if not path:
        root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        return Endpoints(root + "/query", update_url or root + "/update", graph_store_url or root + "/store")
    query = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    if update_url is None:
        update_url = query[: -len("query")] + "update" if path.endswith("/query") and not parts.query else query
    return Endpoints(query, update_url, graph_store_url)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """Remove ``user:password@`` from a URL (so it never appears in messages); return them apart."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None, None
    host = parts.hostname or ""
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username or ""), unquote(parts.password or "")


def media_type_of(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


VIRTUOSO_BLANK_NODES = ((b'"nodeID://', b'"'), (b"<bnode>nodeID://", b"<bnode>"))
"""Virtuoso names blank nodes ``nodeID://b123`` in SPARQL results, not a valid label; ``b123`` is what its
N-Triples use."""


def _rewritten(chunks: Iterator[bytes], rewrites: tuple[tuple[bytes, bytes], ...]) -> Iterator[bytes]:
    """``chunks`` with each ``old`` byte string replaced by its ``new`` one, also across chunk boundaries.

    >>> b"".join(_rewritten(iter([b'{"value":"node', b'ID://b1"}']), VIRTUOSO_BLANK_NODES))
    b'{"value":"b1"}'
    """
    if not rewrites:
        yield from chunks
        return
    keep = max(len(old) for old, _ in rewrites) - 1
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        for old, new in rewrites:
            data = data.replace(old, new)
        cut = max(len(data) - keep, 0)
        carry = data[cut:]
        if cut:
            yield data[:cut]
    if carry:
        yield carry


class Body(io.RawIOBase):
    """A response body as a file for pyoxigraph's parsers, that stops at a deadline."""

    def __init__(self, response: httpx.Response, deadline: float, limit: float) -> None:
        server = response.headers.get("server", "")
        rewrites = VIRTUOSO_BLANK_NODES if server.startswith("Virtuoso") else ()
        self._chunks = _rewritten(response.iter_bytes(), rewrites)
        self._buffer = b""
        self._deadline = deadline
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, target: WriteableBuffer) -> int:
        if not self._buffer:
            if time.monotonic() > self._deadline:
                raise QueryTimeout(f"the SPARQL endpoint answered for longer than the limit of {self._limit:g} s")
            try:
                self._buffer = next(self._chunks, b"")
            except httpx.TimeoutException:
                raise QueryTimeout(f"the SPARQL endpoint stopped answering within {self._limit:g} s") from None
            except httpx.HTTPError as err:
                raise QueryEvaluationError(f"the answer of the SPARQL endpoint broke off: {err}") from None
            if not self._buffer:
                return 0
        view = memoryview(target).cast("B")
        n = min(len(view), len(self._buffer))
        view[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


@dataclass(frozen=True)
class Answer:
    """A parsed answer: solutions (variables, rows), a boolean, or triples."""

    kind: str
    variables: list[str]
    rows: list[dict[str, Term | None]]
    boolean: bool
    triples: list[ox.Triple]
    truncated: bool



class SparqlClient:
    """Queries and updates over HTTP to one engine, with retries, back-off and deadlines."""

    def __init__(self, endpoints: Endpoints, *, user: str | None = None, password: str | None = None,
                 retries: int = 3, backoff: float = 0.25, max_backoff: float = 4.0,
                 max_connections: int = 16) -> None:
        self.endpoints = endpoints
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        auth = httpx.BasicAuth(user, password or "") if user else None
        self.client = httpx.Client(
            auth=auth,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections // 2),
            headers={"User-Agent": "backchannel"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def send(self, request: httpx.Request, deadline: float, limit: float, *, write: bool = False,
              retries: int | None = None) -> httpx.Response:
        """Send with retries on transient failures; return the (streaming, status < 400) response."""
        retry_on = RETRY_WRITE if write else RETRY_READ
        attempts = (self.retries if retries is None else retries) + 1
        problem = ""
        for attempt in range(attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout(f"the SPARQL endpoint did not answer within the limit of {limit:g} s"
                                   + (f" ({problem})" if problem else ""))
            request.extensions["timeout"] = httpx.Timeout(remaining, connect=min(remaining, 10.0)).as_dict()
            try:
                response = self.client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as err:
                problem = f"cannot connect to {request.url.copy_with(query=None)}: {err}"
            except httpx.TimeoutException:
                raise QueryTimeout(f"the SPARQL endpoint did not answer within the limit of {limit:g} s") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
                if write:
                    raise RemoteUnavailable(f"the connection to the SPARQL endpoint broke during a write: {err}; "
                                            "the write may or may not have been applied") from None
                problem = f"the connection broke: {err}"
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in retry_on:
                    raise self.error(response, limit)
                problem = f"HTTP {response.status_code} from {request.url.copy_with(query=None)}"
                response.close()
            if attempt + 1 < attempts:
                pause = min(self.backoff * 2**attempt, self.max_backoff, max(0.0, deadline - time.monotonic()))
                time.sleep(pause)
        raise RemoteUnavailable(f"the SPARQL endpoint is unavailable after {attempts} attempts: {problem}")

    def error(self, response: httpx.Response, limit: float) -> Exception:
        """The exception for an HTTP error answer (the response is read and closed)."""
        try:
            body = response.read()[:4000].decode("utf-8", "replace").strip()
        except httpx.HTTPError:
            body = ""
        finally:
            response.close()
        status = response.status_code
        where = str(response.request.url.copy_with(query=None))
        if status == 400:
            return QuerySyntaxError(body or f"the SPARQL endpoint rejected the request (HTTP 400 from {where})")
        if status in (401, 403):
            return StoreError(f"the SPARQL endpoint {where} refused access (HTTP {status}): "
                              "check remote_user and remote_password")
        if status in (404, 405):
            return StoreError(f"no SPARQL endpoint at {where} (HTTP {status}): check the store location "
                              "and remote_update_url")
        if status == 408:
            return QueryTimeout(f"the SPARQL endpoint stopped the query at its own time limit: {body}")
        if status in (413, 414):
            return QueryEvaluationError(f"the request is too large for the SPARQL endpoint (HTTP {status}): {body}")
        if status < 500:
            return StoreError(f"the SPARQL endpoint {where} answered HTTP {status}: {body}")
        if status in RETRY_READ:
            return RemoteUnavailable(f"the SPARQL endpoint {where} is unavailable (HTTP {status}): {body}")
        if any(sign in body for sign in ENGINE_TIME_LIMITS):
            return QueryTimeout(f"the SPARQL endpoint refused or stopped the query at its own time limit: {body}")
        return QueryEvaluationError(f"the SPARQL endpoint failed (HTTP {status}): {body}")


    def query(self, query: str, params: list[tuple[str, str]], *, timeout: float, max_rows: int | None = None,
              retries: int | None = None) -> Answer:
        """Send a query and parse its answer (stopping after ``max_rows`` rows or triples)."""
        deadline = time.monotonic() + timeout
        request = self.client.build_request(  # a form: every engine takes it (Virtuoso 7.2 ignores sparql-query)
            "POST",
            self.endpoints.query,
            data={"query": query, **_grouped(params)},
            headers={"Accept": _accept(text.query_form(query))},
        )
        response = self.send(request, deadline, timeout, retries=retries)
        try:
            if response.headers.get("x-sql-state") == "S1TAT":  # Virtuoso's "anytime" answer: partial results
                raise QueryTimeout("the SPARQL endpoint stopped the query at its own time limit "
                                   "(it offered partial results, which backchannel does not pass on)")
            return self.parse(response, deadline, timeout, max_rows)
        except SyntaxError as err:
            if time.monotonic() > deadline:
                raise QueryTimeout(f"the SPARQL endpoint answered for longer than the limit of {timeout:g} s"
                                   ) from None
            raise QueryEvaluationError(f"the answer of the SPARQL endpoint could not be read: {err}") from None
        finally:
            response.close()

    def parse(self, response: httpx.Response, deadline: float, limit: float, max_rows: int | None) -> Answer:
        media_type = media_type_of(response)
        body = Body(response, deadline, limit)
        if media_type in READABLE_RESULTS:
            # pyoxigraph reads any binary file object; its stub names only typing.IO (io.RawIOBase is not one)
            result = ox.parse_query_results(body, READABLE_RESULTS[media_type])  # type: ignore[arg-type]
            if isinstance(result, ox.QueryBoolean):
                return Answer("ask", [], [], bool(result), [], False)
            variables = [v.value for v in result.variables]
            rows: list[dict[str, Term | None]] = []
            for solution in result:
                if max_rows is not None and len(rows) == max_rows:
                    return Answer("select", variables, rows, False, [], True)
                rows.append({v: solution[v] for v in variables})
            return Answer("select", variables, rows, False, [], False)
        if media_type in READABLE_GRAPHS:
            triples: list[ox.Triple] = []
            for quad in ox.parse(body, format=READABLE_GRAPHS[media_type]):  # type: ignore[arg-type]  # as above
                if max_rows is not None and len(triples) == max_rows:
                    return Answer("graph", [], [], False, triples, True)
                triples.append(quad.triple)
            return Answer("graph", [], [], False, triples, False)
        raise QueryEvaluationError(f"the SPARQL endpoint answered in {media_type or 'an unnamed format'}, "
                                   "which backchannel cannot read")


    def update(self, sparql: str, timeout: float) -> None:
        limit = timeout
        request = self.client.build_request("POST", self.endpoints.update, data={"update": sparql})
        self.send(request, time.monotonic() + limit, limit, write=True).close()



def _accept(form: str | None) -> str:
    """The Accept header for a query form (engines such as Virtuoso answer a SELECT in RDF if allowed to)."""
    if form in ("SELECT", "ASK"):
        return ACCEPT_RESULTS
    if form in ("CONSTRUCT", "DESCRIBE"):
        return ACCEPT_GRAPH
    return f"{ACCEPT_RESULTS}, {ACCEPT_GRAPH}"


def _grouped(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated parameters as httpx form data wants them (a name → its values)."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    return grouped


def file_chunks(source: io.BufferedReader, size: int = 1 << 20) -> Iterator[bytes]:
    while block := source.read(size):
        yield block

