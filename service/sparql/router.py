"""Routes: the SPARQL 1.1 Protocol endpoint at ``/sparql`` (query, update, service description).

Contract (see also the service description, GET /sparql):

- Query: GET ``?query=``, POST form ``query=``, POST ``application/sparql-query``;
  dataset with ``default-graph-uri`` / ``named-graph-uri`` (or the query's FROM /
  FROM NAMED). Without a dataset the default graph is the union of all graphs.
- Update: POST form ``update=`` or ``application/sparql-update`` with
  ``Authorization: Bearer <token>``; ``using-graph-uri`` / ``using-named-graph-uri``.
  204 when done; 403 when writes are off or the token is wrong; 401 without a token.
- Formats: SELECT/ASK as SPARQL JSON, XML, CSV, TSV; CONSTRUCT/DESCRIBE as
  Turtle, N-Triples, N-Quads, TriG, RDF/XML, JSON-LD, N3; by ``Accept`` (q-values)
  or ``format=`` (json, xml, csv, tsv, ttl, nt, nq, trig, rdf, jsonld, n3).
- Errors (RFC 9457 problem+json): 400 bad syntax ("error at L:C", also as
  ``line``/``column``), both/neither/repeated query or update; 403 federation
  refused; 405 other methods; 406 no acceptable format; 413 body too large;
  415 unsupported Content-Type; 503 with Retry-After when the query ran past the
  time limit (its worker is killed) or too many queries wait.
- Headers: ``ETag`` (store version + request) with ``If-None-Match`` → 304,
  ``Cache-Control: no-cache``, ``X-Backchannel-Cache: hit|miss``,
  ``X-Backchannel-Row-Limit: N`` and ``X-Backchannel-Truncated: true|false`` (a cut
  answer has the first N rows), ``Access-Control-Allow-Origin: *`` on reads.

Hook for the web UI: a browser (``text/html`` preferred) doing GET /sparql
without a query gets ``app.state.sparql_html_page(request)`` if another router's
``setup(app)`` sets it (a callable returning a Response or an awaitable of one);
until then, the service description in Turtle.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import Awaitable, Callable

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from kg.namespaces import PREFIXES, thing_prefixes
from kg.settings import Settings
from kg.store.base import (
    QueryBusy,
    QueryEvaluationError,
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    QueryTimeout,
    Store,
)
from kg.store.formats import GRAPH_TYPES, SELECT_TYPES
from kg.store.results import write_graph
from service.errors import problem
from service.http.negotiation import ALIASES, FORMATS, choose, negotiate
from service.sparql.cache import ResultCache, etag, etag_matches
from service.sparql.description import PREFIXES as SD_PREFIXES
from service.sparql.description import Counts, count_triples, describe
from service.sparql.guards import (
    Analysis,
    FederationRefused,
    analyse,
    check_federation,
    check_write,
    read_body,
)
from service.sparql.protocol import (
    ProtocolError,
    ProtocolRequest,
    Rewrite,
    error_position,
    parse_request,
    update_with_dataset,
)
from service.state import get_settings, get_store

router = APIRouter(tags=["SPARQL"])

HtmlPage = Callable[[Request], "Response | Awaitable[Response]"]

READ_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, X-Backchannel-Cache, X-Backchannel-Row-Limit, X-Backchannel-Truncated",
    "Vary": "Accept",
}
RETRY_TIMEOUT = "10"
RETRY_BUSY = "2"
ALLOW = "GET, HEAD, POST, OPTIONS"
INLINE_ANALYSIS = 20_000
"""Queries shorter than this (characters) are lexed on the event loop; longer ones in a thread."""


def endpoint_iri(settings: Settings) -> str:
    """The IRI of the endpoint (also the base IRI of queries and updates).

    >>> endpoint_iri(Settings(base_iri="http://ex.org/"))
    'http://ex.org/sparql'
    """
    return settings.base_iri + "sparql"


def default_prefixes(settings: Settings) -> dict[str, str]:
    """Prefixes declared for every query and update (a query's own PREFIX lines win)."""
    return PREFIXES | thing_prefixes(settings.id_base)


@dataclass
class _Description:
    version: str
    counts: Counts


class SparqlState:
    """Per-app state of the endpoint: the result cache and the last triple counts."""

    def __init__(self, settings: Settings) -> None:
        self.cache = ResultCache(settings.cache_entries)
        self._description: _Description | None = None
        self._lock = threading.Lock()

    def counts(self, store: Store) -> Counts:
        """Triple counts for the service description, computed once per store version."""
        version = store.version
        with self._lock:
            if self._description is not None and self._description.version == version:
                return self._description.counts
        counts = count_triples(store)
        with self._lock:
            self._description = _Description(version, counts)
        return counts


def setup(app: FastAPI) -> None:
    """Make the endpoint's state; leave ``app.state.sparql_html_page`` (an :data:`HtmlPage`) to the web UI."""
    app.state.sparql = SparqlState(app.state.settings)
    if not hasattr(app.state, "sparql_html_page"):
        app.state.sparql_html_page = None
    if not hasattr(app.state, "sparql_rewriters"):
        app.state.sparql_rewriters = []


QueryRewriter = Callable[[Request, str, dict[str, str]], "str | None"]
"""A hook other features register in ``app.state.sparql_rewriters``: given a query's text, return the text to run
instead (e.g. with virtual ``SERVICE`` blocks expanded) or None; raise ``HTTPException`` for a bad request.
Rewriters run in a worker thread, before the federation guard."""


async def _rewrite(request: Request, text: str, prefixes: dict[str, str]) -> str:
    for rewrite in getattr(request.app.state, "sparql_rewriters", []):
        rewritten = await run_in_threadpool(rewrite, request, text, prefixes)
        if rewritten is not None:
            text = rewritten
    return text


def _state(request: Request) -> SparqlState:
    state = getattr(request.app.state, "sparql", None)
    if state is None:  # the app was not started with its lifespan (e.g. a bare TestClient)
        state = request.app.state.sparql = SparqlState(get_settings(request))
    return state


# --- negotiation -----------------------------------------------------------------

_COUNTERPART = {
    "application/sparql-results+json": "application/ld+json",
    "application/ld+json": "application/sparql-results+json",
    "application/sparql-results+xml": "application/rdf+xml",
    "application/rdf+xml": "application/sparql-results+xml",
}


def prefers_html(accept: str | None) -> bool:
    """Whether the client (a browser) prefers an HTML page to any format of results.

    >>> prefers_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> prefers_html("*/*"), prefers_html(None), prefers_html("application/sparql-results+json")
    (False, False, False)
    """
    return choose(accept, [*SELECT_TYPES, *GRAPH_TYPES, "text/html"]) == "text/html"


def result_types(accept: str | None, format_param: str | None) -> tuple[str | None, str | None]:
    """The media types for a SELECT/ASK answer and for a CONSTRUCT/DESCRIBE answer (None: not acceptable).

    >>> result_types("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None)
    ('application/sparql-results+json', 'text/turtle')
    >>> result_types("text/csv", None)
    ('text/csv', None)
    >>> result_types(None, "ttl")
    (None, 'text/turtle')
    >>> result_types("application/json", None)
    ('application/json', 'application/ld+json')
    """
    if format_param:
        name = format_param.strip().lower()
        media = FORMATS.get(name, ALIASES.get(name, name))
        if media in SELECT_TYPES:
            return media, _COUNTERPART.get(media)
        if media in GRAPH_TYPES:
            return _COUNTERPART.get(media), media
        offered = sorted({k for k, v in FORMATS.items() if v in SELECT_TYPES or v in GRAPH_TYPES})
        raise HTTPException(406, f"format={format_param!r} is not offered here; use one of: {', '.join(offered)}")
    if prefers_html(accept):
        return next(iter(SELECT_TYPES)), next(iter(GRAPH_TYPES))
    select_type = choose(accept, list(SELECT_TYPES))
    graph_type = choose(accept, list(GRAPH_TYPES))
    if graph_type is None and choose(accept, ["application/json"]):
        graph_type = "application/ld+json"  # JSON-LD is JSON
    return select_type, graph_type


def _not_acceptable(accept: str | None, what: str, offered: list[str]) -> HTTPException:
    return HTTPException(
        406, f"{what} can be answered as {', '.join(offered)}; none of them is acceptable (Accept: {accept})"
    )


# --- errors ------------------------------------------------------------------------


def _syntax_problem(what: str, message: str) -> Response:
    position = error_position(message)
    extra = {"line": position[0], "column": position[1]} if position else {}
    return problem(400, "Bad Request", f"the {what} is not valid SPARQL: {message}", **extra)


def _unavailable(message: str, retry_after: str) -> Response:
    return problem(503, "Service Unavailable", message, headers={"Retry-After": retry_after})


async def _check_federation(analysis: Analysis, settings: Settings) -> None:
    if not analysis.targets:
        return
    try:
        await run_in_threadpool(check_federation, analysis, settings.federation_allowlist)
    except FederationRefused as err:
        raise HTTPException(403, str(err)) from None


# --- the endpoint --------------------------------------------------------------------

_DOC = __doc__ or ""


@router.api_route(
    "/sparql",
    methods=["GET", "HEAD", "POST"],
    summary="SPARQL 1.1 Protocol: query, update, service description",
    description=_DOC[_DOC.index("Contract") :],
    response_class=Response,
    openapi_extra={
        "parameters": [
            {"name": "query", "in": "query", "schema": {"type": "string"}, "description": "a SPARQL query"},
            {"name": "default-graph-uri", "in": "query", "schema": {"type": "string"}},
            {"name": "named-graph-uri", "in": "query", "schema": {"type": "string"}},
            {"name": "format", "in": "query", "schema": {"type": "string"}, "description": "json, xml, csv, ttl…"},
        ],
        "responses": {
            "200": {"description": "query results"},
            "204": {"description": "update done"},
            "304": {"description": "not modified"},
        },
    },
)
async def sparql(request: Request) -> Response:
    settings = get_settings(request)
    body = await read_body(request, settings.max_body_bytes) if request.method == "POST" else b""
    try:
        proto = parse_request(
            request.method, request.scope.get("query_string", b""), request.headers.get("content-type"), body
        )
    except ProtocolError as err:
        raise HTTPException(err.status, err.message) from None
    if proto.operation is None:
        return await _description_or_page(request, proto)
    if proto.operation == "update":
        return await _update(request, proto)
    return await _query(request, proto)


@router.options("/sparql", include_in_schema=False)
def sparql_options() -> Response:
    """CORS pre-flight: cross-origin reads (and POSTed queries) are allowed, without credentials."""
    return Response(
        status_code=204,
        headers={
            "Allow": ALLOW,
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET, HEAD, POST",
            "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match",
            "Access-Control-Max-Age": "600",
        },
    )


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
def sparql_other_methods(request: Request) -> Response:
    raise HTTPException(
        405, f"{request.method} is not allowed on the SPARQL endpoint: use GET or POST", headers={"Allow": ALLOW}
    )


async def _query(request: Request, proto: ProtocolRequest) -> Response:
    settings = get_settings(request)
    store = get_store(request)
    endpoint = endpoint_iri(settings)
    prefixes = default_prefixes(settings)
    accept = request.headers.get("accept")
    text = await _rewrite(request, proto.text, prefixes)
    if len(text) < INLINE_ANALYSIS:
        analysis = analyse(text, prefixes, endpoint)
    else:  # lexing a long text takes a while: not on the event loop
        analysis = await run_in_threadpool(analyse, text, prefixes, endpoint)
    await _check_federation(analysis, settings)

    select_type, graph_type = result_types(accept, proto.param("format"))
    if select_type is None and graph_type is None:
        raise _not_acceptable(accept, "a query", [*SELECT_TYPES, *GRAPH_TYPES])
    if analysis.form in ("SELECT", "ASK") and select_type is None:
        raise _not_acceptable(accept, f"an {analysis.form} query" if analysis.form == "ASK" else "a SELECT query",
                              list(SELECT_TYPES))
    if analysis.form in ("CONSTRUCT", "DESCRIBE") and graph_type is None:
        raise _not_acceptable(accept, f"a {analysis.form} query", list(GRAPH_TYPES))

    if proto.default_graphs or proto.named_graphs:
        default_graphs, named_graphs = proto.default_graphs, proto.named_graphs
    else:  # the query's own FROM / FROM NAMED (the union default graph would hide them)
        default_graphs, named_graphs = analysis.from_graphs, analysis.from_named
    query = QueryRequest(
        text,
        select_type=select_type or next(iter(SELECT_TYPES)),
        graph_type=graph_type or next(iter(GRAPH_TYPES)),
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        max_rows=settings.max_rows,
        base_iri=endpoint,
        prefixes=tuple(prefixes.items()),
    )
    cacheable = not analysis.services and not analysis.volatile
    version = store.version
    tag = etag(version, query) if cacheable else None
    headers = dict(READ_HEADERS)
    headers["Cache-Control"] = "no-cache" if cacheable else "no-store"
    if tag is not None:
        headers["ETag"] = tag
        if etag_matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)

    state = _state(request)
    answer = state.cache.get(version, query) if cacheable else None
    headers["X-Backchannel-Cache"] = "hit" if answer is not None else "miss"
    if answer is None:
        try:
            answer = await run_in_threadpool(store.execute, query, settings.query_timeout)
        except QuerySyntaxError as err:
            return _syntax_problem("query", str(err))
        except QueryTimeout as err:
            return _unavailable(f"{err}; simplify the query (or add a LIMIT) and try again", RETRY_TIMEOUT)
        except QueryBusy as err:
            return _unavailable(str(err), RETRY_BUSY)
        except QueryEvaluationError as err:
            if "worker died" in str(err):
                return _unavailable(f"{err}; it may need too much memory", RETRY_TIMEOUT)
            raise HTTPException(400, f"the query failed while running: {err}") from None
        if cacheable:
            state.cache.put(version, query, answer)
    if answer.kind == "graph" and graph_type is None:
        raise _not_acceptable(accept, "a CONSTRUCT or DESCRIBE query", list(GRAPH_TYPES))
    if answer.kind != "graph" and select_type is None:
        raise _not_acceptable(accept, "a SELECT or ASK query", list(SELECT_TYPES))
    return _result(answer, headers, settings)


def _result(answer: QueryResponse, headers: dict[str, str], settings: Settings) -> Response:
    headers["X-Backchannel-Row-Limit"] = str(settings.max_rows)
    headers["X-Backchannel-Truncated"] = "true" if answer.truncated else "false"
    headers.update(answer.extra)
    return Response(answer.body, media_type=answer.media_type, headers=headers)


def _prepare_update(proto: ProtocolRequest, settings: Settings) -> Rewrite:
    """Check the update's LOAD and SERVICE targets; declare the prefixes and BASE; apply using-graph-uri."""
    endpoint = endpoint_iri(settings)
    prefixes = default_prefixes(settings)
    analysis = analyse(proto.text, prefixes, endpoint)
    if analysis.targets:
        check_federation(analysis, settings.federation_allowlist)
    rewrite = update_with_dataset(proto.text, analysis, proto.using_graphs, proto.using_named_graphs, endpoint)
    declared = "".join(f"PREFIX {name}: <{iri}> " for name, iri in prefixes.items())
    return Rewrite(rewrite.original, ((0, declared), *rewrite.inserts))


async def _update(request: Request, proto: ProtocolRequest) -> Response:
    settings = get_settings(request)
    store = get_store(request)
    check_write(request.headers.get("authorization"), settings.write_token, settings.dev_open_writes)
    try:
        rewrite = await run_in_threadpool(_prepare_update, proto, settings)
    except FederationRefused as err:
        raise HTTPException(403, str(err)) from None
    except ProtocolError as err:
        raise HTTPException(err.status, err.message) from None
    try:
        await run_in_threadpool(store.update, rewrite.text)
    except QuerySyntaxError as err:
        return _syntax_problem("update", rewrite.original_message(str(err)))
    except (QueryEvaluationError, OSError, ValueError) as err:
        raise HTTPException(400, f"the update failed: {err}") from None
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


# --- the service description -----------------------------------------------------------


async def _description_or_page(request: Request, proto: ProtocolRequest) -> Response:
    accept = request.headers.get("accept")
    format_param = proto.param("format")
    if not format_param and prefers_html(accept):
        page = getattr(request.app.state, "sparql_html_page", None)
        if page is not None:
            result = page(request)
            return await result if inspect.isawaitable(result) else result
        media = "text/turtle"
    else:
        media = negotiate(accept, format_param, list(GRAPH_TYPES))
    return await run_in_threadpool(_description, request, media)


def _description(request: Request, media: str) -> Response:
    settings = get_settings(request)
    store = get_store(request)
    version = store.version
    tag = etag(version, QueryRequest("service-description"), media, str(settings.federation_allowlist))
    headers = dict(READ_HEADERS) | {"ETag": tag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    triples = describe(
        endpoint_iri(settings),
        _state(request).counts(store),
        federation=bool(settings.federation_allowlist),
        max_rows=settings.max_rows,
        query_timeout=settings.query_timeout,
    )
    return Response(write_graph(triples, media, SD_PREFIXES), media_type=media, headers=headers)
