"""Routes: named queries, one REST operation per ``queries/*.rq`` file.

- ``GET /api/queries``: the list (name, summary, description, params, tags, URLs).
- ``GET /api/queries/{name}``: run it. Parameters are typed and checked (400
  with what to fix; 409 when a name fits several things), bound by
  substitution, never pasted into the query. Results as records (plain JSON,
  the default), SPARQL JSON, XML, CSV or TSV, by ``Accept`` or ``format=``;
  paged queries take ``page`` and ``per_page`` and answer with RFC 8288
  ``Link`` headers (first, prev, next).
- ``GET /api/queries/{name}.rq`` (or ``?format=sparql``): the query text.

The routes are made by ``create_app`` (:func:`build_router`), from the files, so
that ``/openapi.json`` and ``/docs`` show every query with its parameters, types,
allowed values and a working example.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from kg.queries.binding import page_window, records
from kg.queries.catalog import Catalog
from kg.queries.definitions import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    RESERVED,
    NamedQuery,
    Param,
    ParamError,
    QueryDefinitionError,
)
from kg.settings import Settings
from kg.store.base import (
    QueryEvaluationError,
    QuerySyntaxError,
    WorkerDied,
)
from service.http.negotiation import negotiate
from service.http.origin import public_url
from service.http.problem import PROBLEM
from service.schemas import QueryListing
from service.state import AppState, SettingsDep, State

log = logging.getLogger("backchannel.queries")

router = APIRouter()
"""Empty: the routes depend on the query files and the store, so ``setup`` makes them per app."""

PREFIX = "/api/queries"
TAG = "named queries"
RECORDS = "application/json"
SPARQL_QUERY = "application/sparql-query"
OFFERED: tuple[str, ...] = (
    RECORDS,
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
"""Response types, the default first: plain JSON records."""
FORMAT_NAMES: tuple[str, ...] = ("records", "json", "xml", "csv", "tsv", "sparql")


def per_page_cap(max_rows: int) -> int:
    """The largest ``per_page`` allowed.

    >>> per_page_cap(10_000), per_page_cap(50)
    (1000, 50)
    """
    return min(MAX_PER_PAGE, max_rows)


# --- OpenAPI description of the parameters ---------------------------------------------


def param_schema(param: Param, allowed: list[str]) -> dict[str, Any]:
    """JSON Schema of a parameter as /docs shows it.

    >>> param_schema(Param("from", "year", "first year", min=1900), [])
    {'type': 'integer', 'minimum': 1900}
    """
    schema: dict[str, Any]
    if param.type in ("integer", "year"):
        schema = {"type": "integer"}
        if param.min is not None:
            schema["minimum"] = param.min
        if param.max is not None:
            schema["maximum"] = param.max
    elif param.type == "boolean":
        schema = {"type": "boolean"}
    elif param.type == "date":
        schema = {"type": "string", "format": "date"}
    elif param.type == "enum":
        schema = {"type": "string"}
        if allowed:
            schema["enum"] = allowed
    else:
        schema = {"type": "string"}
    return schema


def _typed(param: Param, value: str) -> object:
    if param.type in ("integer", "year"):
        return int(value)
    if param.type == "boolean":
        return value.lower() in ("true", "1", "yes")
    return value


def _describe(param: Param) -> str:
    text = param.description
    if param.type == "iri":
        text += " — an absolute IRI, an id relative to this service (id/kind/slug), or an exact label."
    elif param.type == "year":
        text += " — a year, e.g. 1991."
    elif param.type == "date":
        text += " — a date, YYYY-MM-DD."
    return text


def parameters(query: NamedQuery, allowed: dict[str, list[str]], cap: int) -> list[dict[str, Any]]:
    """OpenAPI parameter objects: the query's own (type, description, allowed values, example), then format and paging.

    They are declared in the operation rather than as ``fastapi.Query`` arguments so that one validator
    (:func:`kg.queries.catalog.bind`, shared with the CLI) checks every value and words every message, and so
    that ``format=sparql`` needs no other parameter.
    """
    out: list[dict[str, Any]] = []
    for param in query.params:
        schema = param_schema(param, allowed.get(param.name, []))
        if param.default is not None:
            schema["default"] = _typed(param, param.default)
        item: dict[str, Any] = {"name": param.name, "in": "query", "required": param.required,
                                "description": _describe(param), "schema": schema}
        example = param.example if param.example is not None else param.default
        if example is not None:
            item["examples"] = {"example": {"summary": f"e.g. {example}", "value": _typed(param, example)}}
        out.append(item)
    out.append({"name": "format", "in": "query", "required": False,
                "description": "Result format, instead of Accept: records (plain JSON, the default), json (SPARQL "
                "JSON), xml, csv, tsv, or sparql (the query text).",
                "schema": {"type": "string", "enum": list(FORMAT_NAMES)}})
    if query.paging:
        out.append({"name": "page", "in": "query", "required": False, "description": "Page number, from 1.",
                    "schema": {"type": "integer", "minimum": 1, "default": 1}})
        out.append({"name": "per_page", "in": "query", "required": False,
                    "description": f"Rows per page (at most {cap}); the Link header points to the next page.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": cap, "default": DEFAULT_PER_PAGE}})
    return out


def _responses(query: NamedQuery) -> dict[int | str, dict[str, Any]]:
    record = {"type": "object", "properties": {v: {} for v in query.variables}}
    problem_doc = {"content": {PROBLEM: {"schema": {"type": "object"}}}}
    return {
        200: {
            "description": "The answer: records (default), SPARQL results in JSON, XML, CSV or TSV, or the query text.",
            "content": {
                RECORDS: {"schema": {"type": "array", "items": record}},
                "application/sparql-results+json": {"schema": {"type": "object"}},
                "application/sparql-results+xml": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                "text/tab-separated-values": {"schema": {"type": "string"}},
                SPARQL_QUERY: {"schema": {"type": "string"}},
            },
        },
        400: {"description": "A parameter is missing, unknown or not of its type (the message says which).",
              **problem_doc},
        406: {"description": "No offered format fits Accept or format=.", **problem_doc},
        409: {"description": "A name given for an IRI parameter fits several things (candidates listed).",
              **problem_doc},
        503: {"description": "The query ran past the time limit, or the service is busy.", **problem_doc},
    }


# --- running ---------------------------------------------------------------------------------


def _query_text(query: NamedQuery) -> Response:
    return Response(query.source or query.text, media_type=SPARQL_QUERY + "; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{query.name}.rq"'})


def _links(request: Request, settings: Settings, page: int, per_page: int, has_next: bool) -> str:
    """An RFC 8288 Link header for the pages around ``page`` (absolute URLs under the configured base)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page")]

    def at(number: int) -> str:
        return public_url(settings, request.url.path, [*kept, ("page", str(number)), ("per_page", str(per_page))])

    links = [f'<{at(1)}>; rel="first"']
    if page > 1:
        links.append(f'<{at(page - 1)}>; rel="prev"')
    if has_next:
        links.append(f'<{at(page + 1)}>; rel="next"')
    return ", ".join(links)


def run_named(request: Request, state: AppState, query: NamedQuery) -> Response:
    """Answer ``GET /api/queries/{name}`` (plain ``def`` caller: runs in the thread pool)."""
    settings, store, catalog = state.settings, state.store, state.catalog
    args = request.query_params
    repeated = sorted({k for k in args if len(args.getlist(k)) > 1})
    if repeated:
        raise ParamError(f"parameter {repeated[0]!r} is given more than once; give it once")
    fmt = (args.get("format") or "").strip().lower()
    if fmt in ("sparql", "rq"):
        return _query_text(query)
    media = RECORDS if fmt == "records" else negotiate(request.headers.get("accept"), fmt or None, OFFERED)
    select_type = "application/sparql-results+json" if media == RECORDS else media
    given = {k: v for k, v in args.items() if k not in RESERVED}
    if not query.paging and ("page" in args or "per_page" in args):
        raise ParamError(f"{query.name} is not paged: it returns all its rows; drop page and per_page")
    window = page_window(args.get("page"), args.get("per_page"), default=DEFAULT_PER_PAGE,
                         cap=per_page_cap(settings.max_rows)) if query.paging else None
    prepared = catalog.prepare(store, query, given, base_iri=settings.base_iri, select_type=select_type,
                               max_rows=settings.max_rows, page=window)
    try:
        answer = store.execute(prepared, settings.query_timeout)
    except (QuerySyntaxError, QueryEvaluationError) as err:
        if isinstance(err, WorkerDied):
            raise
        log.error("named query %s failed: %s", query.name, err)  # our query, not the client's fault: a 500
        raise QueryDefinitionError(f"running the named query {query.name} failed: {err}") from None
    headers = {"Vary": "Accept"}
    if window is not None:
        headers["Link"] = _links(request, settings, window[0], window[1], answer.truncated)
    elif answer.truncated:
        headers["Results-Truncated"] = f"cut at {answer.rows} rows"
    if media == RECORDS:
        return JSONResponse(records(answer.body), headers=headers)
    return Response(answer.body, media_type=media, headers=headers)


# --- routes --------------------------------------------------------------------------------


def listing(settings: Settings, catalog: Catalog) -> list[dict[str, object]]:
    """Each query's metadata with its URL, an example URL and the URL of its text (under the configured base)."""
    base = public_url(settings, PREFIX + "/")
    out = []
    for name in catalog.names():
        query = catalog.queries[name]
        example = query.example_values()
        out.append(query.to_json() | {
            "url": base + name,
            "example_url": base + name + ("?" + urlencode(example) if example else ""),
            "sparql_url": base + name + ".rq",
        })
    return out


def _endpoint(query: NamedQuery) -> Callable[..., Response]:
    def endpoint(request: Request, state: State) -> Response:
        return run_named(request, state, query)

    endpoint.__name__ = "query_" + query.name.replace("-", "_")
    return endpoint


def build_router(catalog: Catalog, allowed: dict[str, dict[str, list[str]]], max_rows: int) -> APIRouter:
    """The routes of one app: the list, each query and its text, and a 404 for unknown names."""
    routes = APIRouter(prefix=PREFIX, tags=[TAG])

    @routes.get("", summary="List the named queries", response_model=None,
                responses={200: {"model": QueryListing, "description": "Every named query."}})
    def list_queries(settings: SettingsDep) -> JSONResponse:
        return JSONResponse({"queries": listing(settings, catalog)})

    for name in catalog.names():
        query = catalog.queries[name]
        text_endpoint = (lambda q: lambda: _query_text(q))(query)
        routes.add_api_route(f"/{name}.rq", text_endpoint, methods=["GET"], summary=f"SPARQL text of {name}",
                             response_class=Response, name=f"query_text_{name}", include_in_schema=False)
        description = query.description + ("\n\nTags: " + ", ".join(query.tags) if query.tags else "")
        description += f"\n\nSPARQL: [{PREFIX}/{name}.rq]({PREFIX}/{name}.rq)"
        routes.add_api_route(
            f"/{name}", _endpoint(query), methods=["GET"], summary=query.summary, description=description,
            response_class=Response, responses=_responses(query), operation_id="query_" + name.replace("-", "_"),
            name=f"query_{name}",
            openapi_extra={"parameters": parameters(query, allowed.get(name, {}), per_page_cap(max_rows))},
        )

    @routes.get("/{name}", include_in_schema=False)
    def unknown(name: str) -> Response:
        raise HTTPException(404, f"no named query {name!r}; GET {PREFIX} lists them")

    return routes


def router_for(state: AppState) -> APIRouter:
    """The named-query routes of an app, with the allowed values of enum parameters read from its store."""
    catalog, store = state.catalog, state.store
    allowed = {
        query.name: {p.name: [o.key for o in catalog.options(store, query, p)]
                     for p in query.params if p.type == "enum"}
        for query in catalog.queries.values()
    }
    return build_router(catalog, allowed, state.settings.max_rows)
