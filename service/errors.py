"""Error answers: RFC 9457 problem details, the same shape on every route.

>>> problem(404, "Not found", "no thing has the IRI http://x/id/y").status_code
404
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.store.base import StoreError

PROBLEM = "application/problem+json"

log = logging.getLogger("backchannel")


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A problem-details response: ``{"status", "title", "detail", ...}``."""
    body = {"status": status, "title": title, "detail": detail} | extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    """Make every HTTP and validation error a problem-details answer."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem(exc.status_code, _title(exc.status_code), detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
        ]
        text = "; ".join(f"{e['where']}: {e['message']}" for e in errors)
        return problem(400, "Bad request", f"invalid parameters: {text}", errors=errors)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> JSONResponse:
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem(503, "Service Unavailable", f"the store is unavailable: {exc}", headers={"Retry-After": "5"})

    install_last_resort(app)


def install_last_resort(app: FastAPI) -> None:
    """Answer an unexpected error with a 500 problem (and log it with its traceback) instead of a reset connection."""

    @app.exception_handler(500)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem(500, "Internal Server Error",
                       "the server failed on this request; it has been logged. Please report it with the request id.")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
