"""The one middleware in front of the app: origin, header limits, request id, metrics, access log, headers, crashes.

Every request passes one pure ASGI layer (:class:`Front`) and then the routes' exception mapping
(:mod:`service.errors`); :func:`middleware_stack` builds that stack in place of Starlette's and FastAPI's default
one (``ServerErrorMiddleware``, FastAPI's exception telemetry and body-limit layers, our four middlewares), which
cost the hot routes a wrapper and an ``await`` each. Per HTTP request :class:`Front`

- gives the request the configured base IRI's host and scheme (:mod:`service.http.origin`: absolute URLs never
  come from the client's ``Host`` header);
- answers ``431`` to headers past :data:`service.http.limits.MAX_HEADER_BYTES` or
  :data:`~service.http.limits.MAX_HEADER_FIELDS` (counted and logged like any answer);
- takes the client's ``X-Request-ID`` if it is a sane token (else makes one), puts it in
  ``request.state.request_id`` and echoes it;
- counts and times the request in the app's :class:`service.http.observability.Metrics` (closed label sets);
- adds ``X-Content-Type-Options: nosniff`` everywhere and the fallback security headers to HTML and SVG answers;
- answers an unexpected exception with a logged ``500`` problem document instead of a reset connection;
- writes one JSON line to the ``backchannel.access`` logger.

>>> from fastapi import FastAPI
>>> from fastapi.testclient import TestClient
>>> from kg.settings import Settings
>>> from service.http.observability import Metrics
>>> app = FastAPI()
>>> @app.get("/hello/{name}")
... def hello(name: str) -> dict[str, str]:
...     return {"hello": name}
>>> @app.get("/boom")
... def boom() -> None:
...     raise KeyError("internal")
>>> metrics = Metrics()
>>> app.build_middleware_stack = lambda: middleware_stack(app, Settings(base_iri="http://ex.org/"), metrics)
>>> client = TestClient(app, raise_server_exceptions=False)
>>> client.get("/hello/ada", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
'abc-123'
>>> client.get("/hello/ada", headers={"X-Big": "a" * 20000}).status_code
431
>>> answer = client.get("/boom")
>>> answer.status_code, answer.headers["content-type"], "internal" in answer.text
(500, 'application/problem+json', False)
>>> [metrics.requests.labels("GET", route, status)._value.get() for route, status in
...  [("/hello/{name}", "200"), ("/hello/{name}", "431"), ("/boom", "500")]]
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.settings import Settings
from service.http.limits import header_problem
from service.http.observability import (
    REQUEST_ID,
    Metrics,
    RequestIds,
    access_logger,
    access_record,
    add_security_headers,
    header_value,
    request_id,
    route_template,
)
from service.http.problem import problem

log = logging.getLogger("backchannel")

_REQUEST_ID = REQUEST_ID.encode()
CRASH_DETAIL = "the server failed on this request; it has been logged. Please report it with the request id."


class Front:
    """The pure ASGI middleware of the module documentation."""

    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics,
                 logger: logging.Logger | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.logger = logger or access_logger()
        self.ids = RequestIds()
        parts = urlsplit(settings.base_iri)
        self.host = parts.netloc.encode("latin-1")
        self.scheme = parts.scheme

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = scope.get("headers", ())
        rid = request_id(header_value(headers, _REQUEST_ID), self.ids)
        # in place: what routing adds to this scope (the route) is read below
        scope["headers"] = [(b"host", self.host), *((k, v) for k, v in headers if k != b"host")]
        scope["scheme"] = self.scheme
        scope.setdefault("state", {})["request_id"] = rid
        status = 0
        size = 0
        cache: str | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status, size, cache
            if message["type"] == "http.response.start":
                status = message["status"]
                out = [(k, v) for k, v in message.get("headers", ()) if k != _REQUEST_ID]
                out.append((_REQUEST_ID, rid.encode()))
                add_security_headers(out)
                cache = header_value(out, b"x-backchannel-cache")
                message = {"type": "http.response.start", "status": status, "headers": out}
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        self.metrics.in_flight.inc()
        try:
            reason = header_problem(headers)
            if reason is not None:
                answer = problem(431, "Request Header Fields Too Large", reason, headers={"Connection": "close"})
                await answer(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except asyncio.CancelledError:
            status = status or 499  # the client went away before an answer started
            raise
        except Exception as err:  # noqa: BLE001 - the last resort: a logged 500, never a reset connection
            log.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=err)
            if status:  # the answer had started: nothing more can be said on this connection
                raise
            await problem(500, "Internal Server Error", CRASH_DETAIL)(scope, receive, send_wrapper)
        finally:
            self.metrics.in_flight.dec()
            duration = time.perf_counter() - start
            route = route_template(scope)
            self.metrics.observe(scope.get("method", ""), route, status or 499, duration, cache)
            if self.logger.isEnabledFor(logging.INFO):
                record = access_record(scope, rid, status or 499, duration, size, route=route)
                self.logger.info(json.dumps(record, ensure_ascii=False))


def middleware_stack(app: Any, settings: Settings, metrics: Metrics) -> ASGIApp:
    """``app``'s router behind the routes' exception mapping and :class:`Front` (what ``build_middleware_stack``
    returns). FastAPI needs its exit stack in the scope for uploaded files, so that cheap layer stays."""
    handlers = {key: value for key, value in app.exception_handlers.items() if key not in (500, Exception)}
    inner = ExceptionMiddleware(AsyncExitStackMiddleware(app.router), handlers=handlers, debug=app.debug)
    return Front(inner, settings, metrics)
