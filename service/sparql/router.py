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
  or ``format=`` (json, xml, csv, tsv, ttl, nt, nq, trig, rdf, jsonld, n3, and the
  names SPARQLWrapper and Jena send: rdf+xml, json-ld, turtle, rdfxml…). A
  CONSTRUCT/DESCRIBE asked only for result types is answered in RDF (Turtle, or the
  counterpart: JSON-LD for JSON, RDF/XML for XML), as Fuseki does.
- Errors (RFC 9457 problem+json): 400 bad syntax ("error at L:C", also as
  ``line``/``column``), both/neither/repeated query or update; 403 federation
  refused (but ``SERVICE SILENT``/``LOAD SILENT`` to a refused target is a no-op that
  succeeds, named in ``X-Backchannel-Skipped``); 405 other methods; 406 no acceptable format; 413 body too large;
  415 unsupported Content-Type; 503 with Retry-After when the query ran past the
  time limit (its worker is killed) or too many queries wait.
- Headers: ``ETag`` (store version + request) with ``If-None-Match`` → 304,
  ``Cache-Control: no-cache``, ``X-Backchannel-Cache: hit|miss``,
  ``X-Backchannel-Row-Limit: N`` and ``X-Backchannel-Truncated: true|false`` (a cut
  answer has the first N rows), ``Access-Control-Allow-Origin: *`` on reads.

A browser (``text/html`` preferred) doing GET /sparql without a query gets the
query editor (:func:`service.ui.router.editor_page`). Errors are mapped once, in
:mod:`service.errors`: this module raises the store's exceptions.

The hot path: ``/sparql`` is served by a plain Starlette route (:func:`hot_route`, ahead of every FastAPI route;
the FastAPI declaration of the same handler documents it in the OpenAPI description), so no dependency or
validation work runs per request. The checks of a query text are remembered per distinct text
(:class:`service.sparql.cache.QueryPlans`), the negotiated types per ``Accept`` and ``format=``, and a query
without ``paths`` in it never waits for a rewriter.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from kg.namespaces import all_prefixes
from kg.paths.sparql_service import mentions_paths
from kg.settings import Settings
from kg.store.base import QueryRequest, QueryResponse, UpdateSyntaxError
from kg.store.formats import GRAPH_TYPES, SELECT_TYPES, media_type_for, names_for
from kg.store.results import write_graph
from service.http.caching import etag_matches
from service.http.limits import read_body
from service.http.negotiation import choose, negotiate
from service.http.observability import MarkedRoute
from service.sparql.cache import etag
from service.sparql.description import PREFIXES as SD_PREFIXES
from service.sparql.description import describe
from service.sparql.guards import Analysis, analyse, check_write, resolve_host
from service.sparql.protocol import (
    UPDATE_TYPE,
    ProtocolRequest,
    Rewrite,
    parse_request,
    split_media_type,
    update_with_dataset,
)
from service.sparql.relay import Relay, pin_targets
from service.sparql.silent import silence_refused
from service.state import AppState, get_state
from service.ui.router import editor_page

router = APIRouter(tags=["SPARQL"])

SKIPPED = "X-Backchannel-Skipped"
READ_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": f"ETag, X-Backchannel-Cache, X-Backchannel-Row-Limit, X-Backchannel-Truncated, "
                                     f"{SKIPPED}",
    "Vary": "Accept",
}
ALLOW = "GET, HEAD, POST, OPTIONS"
INLINE_ANALYSIS = 20_000
"""Queries shorter than this (characters) are lexed on the event loop; longer ones in a thread."""


def endpoint_iri(settings: Settings) -> str:
    """The IRI of the endpoint (also the base IRI of queries and updates).

    >>> endpoint_iri(Settings(base_iri="http://ex.org/"))
    'http://ex.org/sparql'
    """
    return settings.base_iri + "sparql"


async def _rewrite(state: AppState, text: str, prefixes: dict[str, str]) -> str:
    """Run the registered rewriters (``SERVICE bc:paths`` expansion) on a query's text, in a worker thread."""
    for rewrite in state.rewriters:
        rewritten = await run_in_threadpool(rewrite, text, prefixes)
        if rewritten is not None:
            text = rewritten
    return text


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
    >>> result_types(None, "ttl")
    (None, 'text/turtle')
    >>> result_types("application/json", None)
    ('application/json', 'application/ld+json')

    A CONSTRUCT or DESCRIBE asked only for result types gets RDF, as Fuseki does: the counterpart of the type
    (SPARQL XML → RDF/XML), else Turtle (SPARQLWrapper sends ``format=csv`` with ``Accept: */*``, for instance).

    >>> result_types("text/csv", None), result_types("application/sparql-results+xml", None)
    (('text/csv', 'text/turtle'), ('application/sparql-results+xml', 'application/rdf+xml'))
    >>> result_types("image/png", None)
    (None, None)
    """
    if format_param:
        media = media_type_for(format_param, [*SELECT_TYPES, *GRAPH_TYPES])
        if media in SELECT_TYPES:
            return media, _COUNTERPART.get(media, next(iter(GRAPH_TYPES)))
        if media in GRAPH_TYPES:
            return _COUNTERPART.get(media), media
        offered = names_for([*SELECT_TYPES, *GRAPH_TYPES])
        raise HTTPException(406, f"format={format_param!r} is not offered here; use one of: {', '.join(offered)}")
    if prefers_html(accept):
        return next(iter(SELECT_TYPES)), next(iter(GRAPH_TYPES))
    select_type = choose(accept, list(SELECT_TYPES))
    graph_type = choose(accept, list(GRAPH_TYPES))
    if graph_type is None and choose(accept, ["application/json"]):
        graph_type = "application/ld+json"  # JSON-LD is JSON
    if graph_type is None and select_type is not None:
        graph_type = _COUNTERPART.get(select_type, next(iter(GRAPH_TYPES)))
    return select_type, graph_type


def _not_acceptable(accept: str | None, what: str, offered: list[str]) -> HTTPException:
    return HTTPException(
        406, f"{what} can be answered as {', '.join(offered)}; none of them is acceptable (Accept: {accept})"
    )


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
            "200": {"description": "Query results: SELECT and ASK as SPARQL JSON, XML, CSV or TSV; CONSTRUCT and "
                    "DESCRIBE as RDF; without a query, the Service Description (RDF) or, for a browser, the editor.",
                    "content": {
                        "application/sparql-results+json": {"schema": {"$ref": "#/components/schemas/SparqlResults"}},
                        **{media: {} for media in [*SELECT_TYPES, *GRAPH_TYPES, "text/html"]
                           if media not in ("application/sparql-results+json", "application/json")}}},
            "204": {"description": "update done"},
            "304": {"description": "not modified"},
            "400": {"description": "Not valid SPARQL (line and column given), or a malformed request."},
            "401": {"description": "A write without a bearer token."},
            "403": {"description": "Writes off, a wrong token, or a SERVICE/LOAD target the federation guard refuses."},
            "406": {"description": "No offered format is acceptable."},
            "413": {"description": "The body is larger than the limit."},
            "415": {"description": "The Content-Type is not a SPARQL protocol type."},
            "503": {"description": "The query ran past the time limit (it was stopped), or the server is busy."},
        },
    },
)
async def sparql(request: Request) -> Response:
    state = get_state(request)
    settings = state.settings
    if request.method == "POST" and split_media_type(request.headers.get("content-type"))[0] == UPDATE_TYPE:
        # an update needs the token: an unauthenticated one is refused before a byte of its body is read
        check_write(request.headers.get("authorization"), settings.write_token, settings.dev_open_writes)
    body = await read_body(request, settings.max_body_bytes, settings.body_timeout) if request.method == "POST" else b""
    proto = parse_request(
        request.method, request.scope.get("query_string", b""), request.headers.get("content-type"), body
    )
    if proto.operation is None:
        return await _description_or_page(request, state, proto)
    if proto.operation == "update":
        return await _update(request, state, proto)
    return await _query(request, state, proto)


def hot_route() -> MarkedRoute:
    """``/sparql`` (GET, HEAD, POST) as a plain Starlette route: the app puts it ahead of the FastAPI routes."""
    return MarkedRoute("/sparql", sparql, methods=["GET", "HEAD", "POST"], name="sparql_hot")


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


async def _analysis(state: AppState, text: str, prefixes: dict[str, str], endpoint: str) -> Analysis:
    """The checks of ``text``, remembered per distinct text (a long text is lexed in a thread, not on the loop)."""
    plans = state.sparql.plans
    analysis = plans.get(text)
    if analysis is None:
        if len(text) < INLINE_ANALYSIS:
            analysis = analyse(text, prefixes, endpoint)
        else:
            analysis = await run_in_threadpool(analyse, text, prefixes, endpoint)
        plans.put(text, analysis)
    return analysis


async def _query(request: Request, state: AppState, proto: ProtocolRequest) -> Response:
    settings, store = state.settings, state.store
    endpoint = state.sparql.endpoint
    prefixes = state.sparql.prefixes
    accept = request.headers.get("accept")
    text = await _rewrite(state, proto.text, prefixes) if mentions_paths(proto.text) else proto.text
    analysis = await _analysis(state, text, prefixes, endpoint)
    skipped: tuple[str, ...] = ()
    if analysis.targets:  # a refused SERVICE SILENT becomes a no-op, a refused SERVICE a 403; the rest are pinned
        text, skipped = await run_in_threadpool(_federate_query, text, analysis, prefixes, settings, state.relay)

    select_type, graph_type = state.sparql.result_types(accept, proto.param("format"), result_types)
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
        prefixes=state.sparql.prefix_items,
    )
    cacheable = not analysis.services and not analysis.volatile
    version = store.version
    tag = etag(version, query) if cacheable else None
    headers = dict(READ_HEADERS) | skipped_header(skipped)
    headers["Cache-Control"] = "no-cache" if cacheable else "no-store"
    if tag is not None:
        headers["ETag"] = tag
        if etag_matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)

    cache = state.sparql.cache
    answer = cache.get(version, query) if cacheable else None
    headers["X-Backchannel-Cache"] = "hit" if answer is not None else "miss"
    if answer is None:
        answer = await store.execute_async(query, settings.query_timeout)
        if cacheable:
            cache.put(version, query, answer)
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


def _federate_query(text: str, analysis: Analysis, prefixes: dict[str, str], settings: Settings,
                    relay: Relay | None) -> tuple[str, tuple[str, ...]]:
    """Make each refused SERVICE SILENT a no-op (:mod:`service.sparql.silent`) and pin the allowed targets to the
    addresses checked (:mod:`service.sparql.relay`); each host is resolved once for both."""
    resolver = functools.cache(resolve_host)
    text, skipped = silence_refused(text, analysis, settings.federation_allowlist, resolver)
    if skipped:  # the text changed: where the remaining targets are
        analysis = analyse(text, prefixes, endpoint_iri(settings))
    return pin_targets(text, analysis, settings.federation_allowlist, relay, resolver), skipped


def _prepare_update(proto: ProtocolRequest, settings: Settings,
                    relay: Relay | None) -> tuple[Rewrite, str, tuple[str, ...]]:
    """Check the update's LOAD and SERVICE targets (a refused SILENT one becomes a no-op); declare the prefixes
    and BASE; apply using-graph-uri; pin the allowed targets to the addresses checked (each host resolved once).
    Returns the rewrite (to map error positions back), the text to run and the operations skipped."""
    skipped: tuple[str, ...]
    endpoint = endpoint_iri(settings)
    prefixes = all_prefixes(settings.id_base)
    analysis = analyse(proto.text, prefixes, endpoint)
    resolver = functools.cache(resolve_host)
    text, skipped = proto.text, ()
    if analysis.targets:
        text, skipped = silence_refused(proto.text, analysis, settings.federation_allowlist, resolver)
    rewrite = update_with_dataset(text, analysis, proto.using_graphs, proto.using_named_graphs, endpoint)
    declared = "".join(f"PREFIX {name}: <{iri}> " for name, iri in prefixes.items())
    rewrite = Rewrite(rewrite.original, ((0, declared), *rewrite.inserts))
    run = rewrite.text
    if analysis.targets:
        run = pin_targets(run, analyse(run, prefixes, endpoint), settings.federation_allowlist, relay, resolver)
    return rewrite, run, skipped


async def _update(request: Request, state: AppState, proto: ProtocolRequest) -> Response:
    settings = state.settings
    check_write(request.headers.get("authorization"), settings.write_token, settings.dev_open_writes)
    rewrite, text, skipped = await run_in_threadpool(_prepare_update, proto, settings, state.relay)
    try:
        await run_in_threadpool(functools.partial(state.store.update, text, timeout=settings.query_timeout))
    except UpdateSyntaxError as err:  # the parser's position is in the text we ran: point into the one sent
        raise UpdateSyntaxError(rewrite.original_message(str(err))) from None
    return Response(status_code=204, headers={"Cache-Control": "no-store"} | skipped_header(skipped))


def skipped_header(skipped: tuple[str, ...]) -> dict[str, str]:
    """``X-Backchannel-Skipped``: the SILENT operations not run because the federation guard refuses their target.

    >>> skipped_header(("SERVICE SILENT <http://10.0.0.1/é>",))
    {'X-Backchannel-Skipped': 'SERVICE SILENT <http://10.0.0.1/%C3%A9>'}
    >>> skipped_header(())
    {}
    """
    if not skipped:
        return {}
    return {SKIPPED: ", ".join(quote(item, safe=" <>:/?#[]@!$&'()*+;=%-._~") for item in skipped)}


# --- the service description -----------------------------------------------------------


async def _description_or_page(request: Request, state: AppState, proto: ProtocolRequest) -> Response:
    accept = request.headers.get("accept")
    format_param = proto.param("format")
    if not format_param and prefers_html(accept):
        return editor_page(request)
    media = negotiate(accept, format_param, list(GRAPH_TYPES))
    return await run_in_threadpool(_description, request, state, media)


def _description(request: Request, state: AppState, media: str) -> Response:
    settings, store = state.settings, state.store
    version = store.version
    tag = etag(version, QueryRequest("service-description"), media, str(settings.federation_allowlist))
    headers = dict(READ_HEADERS) | {"ETag": tag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    triples = describe(
        endpoint_iri(settings),
        state.sparql.counts(store),
        federation=bool(settings.federation_allowlist),
        max_rows=settings.max_rows,
        query_timeout=settings.query_timeout,
    )
    return Response(write_graph(triples, media, SD_PREFIXES), media_type=media, headers=headers)
