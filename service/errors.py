"""Error answers: every failure becomes an RFC 9457 problem document, mapped from its exception in one place.

Routes raise the library's own exceptions (an unknown name, a query past its time limit, bad RDF…) and never
build error answers themselves; :data:`ANSWERS` says once which status, title and extra members each one gets.
Context for the message ("SERVICE bc:paths", which part of a multipart upload) travels as exception notes
(:meth:`BaseException.add_note`) and is put in front of the detail.

>>> err = SearchTimeout("the search did not finish within 2 s")
>>> err.add_note("SERVICE bc:paths")
>>> answer = answer_for(err)
>>> answer.status, detail_of(err, answer)
(503, 'SERVICE bc:paths: the search did not finish within 2 s')
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from kg.paths.model import PathRequestError, SearchTimeout
from kg.paths.names import AmbiguousName, UnknownThing
from kg.paths.sparql_service import PathServiceError
from kg.queries.definitions import ParamError, QueryDefinitionError
from kg.store.base import (
    DataError,
    NotRepresentable,
    QueryBusy,
    QueryEvaluationError,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    WorkerDied,
)
from service.http.problem import problem, title_of
from service.sparql.guards import FederationRefused
from service.sparql.protocol import ProtocolError, error_position

log = logging.getLogger("backchannel")

CLIENT_CLOSED = 499
"""The status recorded for a request whose client went away before sending its body (not a server error)."""


@dataclass(frozen=True)
class Answer:
    """How one kind of exception is answered."""

    status: int
    detail: Callable[[Any], str] = str
    """The ``detail`` member from the exception (notes are put in front by :func:`detail_of`)."""
    retry_after: str | None = None
    extra: Callable[[Any], dict[str, Any]] = field(default=lambda err: {})
    status_of: Callable[[Any], int] | None = None
    """When the exception carries its own status (a protocol error, a parameter error)."""


def _position(err: QuerySyntaxError) -> dict[str, Any]:
    position = error_position(str(err))
    return {"line": position[0], "column": position[1]} if position else {}


ANSWERS: dict[type[Exception], Answer] = {
    # names and paths
    UnknownThing: Answer(404, extra=lambda err: {"suggestions": [c.as_json() for c in err.suggestions]}),
    AmbiguousName: Answer(409, extra=lambda err: {"candidates": [c.as_json() for c in err.candidates]}),
    PathRequestError: Answer(400),
    PathServiceError: Answer(400),
    SearchTimeout: Answer(503, retry_after="1"),
    # queries and the store
    QuerySyntaxError: Answer(400, detail=lambda err: f"the {err.operation} is not valid SPARQL: {err}",
                             extra=_position),
    WorkerDied: Answer(503, detail=lambda err: f"{err}; it may need more than the memory limit of a query "
                      "(BACKCHANNEL_QUERY_MEMORY_MB): simplify it (or add a LIMIT) and try again", retry_after="10"),
    QueryEvaluationError: Answer(400, detail=lambda err: f"the {err.operation} failed while running: {err}"),
    QueryTimeout: Answer(503, detail=lambda err: f"{err}; simplify the query (or add a LIMIT) and try again",
                         retry_after="10"),
    QueryBusy: Answer(503, retry_after="2"),
    StoreError: Answer(503, detail=lambda err: f"the store is unavailable: {err}", retry_after="5"),
    DataError: Answer(400, detail=lambda err: f"{err}; nothing was changed"),
    NotRepresentable: Answer(406),
    # named queries
    ParamError: Answer(400, status_of=lambda err: err.status,
                       extra=lambda err: {"candidates": err.candidates} if err.candidates else {}),
    QueryDefinitionError: Answer(500),
    # the protocols
    ProtocolError: Answer(400, detail=lambda err: err.message, status_of=lambda err: err.status),
    FederationRefused: Answer(403),
}
"""Each exception the routes may raise, and its answer; a subclass without an entry gets its base class's."""


def answer_for(err: Exception) -> Answer:
    """The answer of the nearest class of ``err`` in :data:`ANSWERS`."""
    for cls in type(err).__mro__:
        if cls in ANSWERS:
            return ANSWERS[cls]
    raise LookupError(f"no answer for {type(err).__name__}")


def detail_of(err: Exception, answer: Answer) -> str:
    """The detail: the exception's notes (where it happened), then its message."""
    notes = [note for note in getattr(err, "__notes__", ()) if note]
    return ": ".join([*notes, answer.detail(err)])


def _answer(request: Request, err: Exception) -> JSONResponse:
    answer = answer_for(err)
    status = answer.status_of(err) if answer.status_of else answer.status
    if status >= 500 and isinstance(err, StoreError):
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, err)
    headers = {"Retry-After": answer.retry_after} if answer.retry_after else None
    return problem(status, title_of(status), detail_of(err, answer), headers=headers, **answer.extra(err))


def install(app: FastAPI) -> None:
    """Answer every mapped exception, HTTP error and validation error as a problem document; and the
    unexpected ones as a logged 500 rather than a reset connection."""
    for kind in ANSWERS:
        app.add_exception_handler(kind, _answer)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem(exc.status_code, title_of(exc.status_code), detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        text = "; ".join(f"{e['where']}: {e['message']}" for e in errors)
        return problem(400, "Bad Request", f"invalid parameters: {text}", errors=errors)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # Nobody is left to read an answer: 499 (as nginx says it) goes to the access log and the metrics only.
        return problem(CLIENT_CLOSED, "Client Closed Request",
                       "the client closed the connection before its request body arrived")

    install_last_resort(app)


def install_last_resort(app: FastAPI) -> None:
    """Answer an unexpected error with a 500 problem (and log it with its traceback) instead of a reset connection."""

    @app.exception_handler(500)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "Internal Server Error",
                       "the server failed on this request; it has been logged. Please report it with the request id.")
