"""Answers remembered by their request: a GET asked again is answered without the route's parameter work.

A FastAPI route parses and validates its parameters and solves its dependencies on every request, and a
synchronous one hops to a thread: for ``/paths``, whose answers are already kept per store version, that work was
most of the cost of a repeated question (a profile: 38 % solving dependencies, 20 % the thread hop, 14 % matching
the route; 485 requests a second). :class:`Memo` stands in front of one such route as a plain Starlette route:

- the key is the store's version, the path, the query string and ``Accept``, exactly as sent (on the embedded
  store, whose version is known without asking anyone; on a remote store every request goes to the route);
- a ``GET`` whose key gave a ``200`` that may be kept is answered from memory with the same headers (and
  ``X-Backchannel-Cache: hit`` where the route says ``X-Backchannel-Cache``). What may be kept: for ``/paths``
  an answer the route marked with ``X-Backchannel-Cache`` (its own cache's, the in-memory engine's); for
  ``/doc/…`` one with an ``ETag`` (made from the store's version, the path and the type);
- anything else goes to the route as before (its errors, its negotiation, its own cache), and its answer is kept
  when it qualifies (never one whose ``Vary`` names a header outside the key). A query parameter the route does not
  take sends the request to the route unkept (made-up parameters would otherwise fill the cache with copies of one
  answer). A request with ``If-None-Match``, ``If-Modified-Since``, ``Origin``, ``Authorization`` or a ``Range``
  always goes to the route: its answer depends on more than the key.

Kept answers live in a :class:`service.http.caching.BodyCache` (bounded in entries and bytes; a new store version
makes the old ones unreachable).

>>> blob = pack([(b"content-type", b"application/json")], b"{}")
>>> unpack(blob)
([(b'content-type', b'application/json')], b'{}')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Message, Receive, Scope, Send

from service.http.caching import BodyCache

PASS_THROUGH = (b"if-none-match", b"if-modified-since", b"origin", b"authorization", b"range")
"""Request headers whose presence sends a request to the route (its answer depends on them)."""
KEPT = b"x-backchannel-cache"
"""The header by which the route says an answer is the same for everyone at this store version."""
_SEPARATOR = b"\r\n\r\n"


def pack(headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """Headers and body as one blob (what the cache holds)."""
    return b"\r\n".join(name + b": " + value for name, value in headers) + _SEPARATOR + body


def unpack(blob: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of :func:`pack`."""
    head, _, body = blob.partition(_SEPARATOR)
    headers = [(name, value) for name, _, value in (line.partition(b": ") for line in head.split(b"\r\n")) if name]
    return headers, body


class Memo:
    """The ASGI app of a plain route in front of ``route`` (see the module documentation)."""

    def __init__(self, route: BaseRoute, cache: BodyCache, version: Callable[[], str | None],
                 keep: Callable[[list[tuple[bytes, bytes]]], bool] | None = None,
                 names: frozenset[str] = frozenset()) -> None:
        self.route = route
        self.cache = cache
        self.version = version
        self.keep = keep or marked
        self.names = names
        """The query parameters the route takes: a request with any other goes to the route, unkept (otherwise
        made-up parameters would fill the cache with copies of one answer)."""
        self.front: BaseRoute = route
        """The route the metrics and the access log name for an answer from memory (the plain route in front)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.front  # (metrics and the access log name the route's template)
        query = scope.get("query_string", b"").decode("latin-1")
        if scope["method"] != "GET" or (query and not {k for k, _ in parse_qsl(query, True)} <= self.names):
            await self.route.handle(scope, receive, send)
            return
        accept = b""
        for name, value in scope["headers"]:
            if name in PASS_THROUGH:
                await self.route.handle(scope, receive, send)
                return
            if name == b"accept":
                accept = value
        version = self.version()
        if version is None:  # (a store whose version is not known without asking it: nothing is kept)
            await self.route.handle(scope, receive, send)
            return
        key = "\x00".join((scope["path"], query, accept.decode("latin-1")))
        blob = self.cache.peek(version, key)
        if blob is not None:
            headers, body = unpack(blob)
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(name, b"hit" if name == KEPT else value) for name, value in headers]})
            await send({"type": "http.response.body", "body": body})
            return
        status: list[int] = []
        sent: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                sent.extend(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        await self.route.handle(scope, receive, keep)
        if status == [200] and keyed(sent) and self.keep(sent):
            self.cache.put(version, key, pack(sent, b"".join(parts)))


KEYED = frozenset({"accept", "origin"})
"""What an answer may vary by (its ``Vary``) and still be kept: ``Accept`` is in the key, and a request with an
``Origin`` never reads what was kept."""


def keyed(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer varies by nothing the key leaves out (``Vary: Accept-Encoding`` or ``*``: not kept).

    >>> keyed([(b"vary", b"Accept, Origin")]), keyed([(b"vary", b"Accept-Encoding")]), keyed([])
    (True, False, True)
    """
    named = {part.strip().lower() for name, value in headers if name == b"vary"
             for part in value.decode("latin-1").split(",")}
    return named <= KEYED


def marked(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the route said its answer is kept for everyone at this version (``X-Backchannel-Cache``)."""
    return any(name == KEPT for name, _ in headers)


def validated(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer has a strong validator made from the store's version (``ETag``), and no cookie."""
    names = {name for name, _ in headers}
    return b"etag" in names and b"set-cookie" not in names


def memo_route(routes: list[BaseRoute], path: str, sample: str, cache: BodyCache, version: Callable[[], str | None],
               keep: Callable[[list[tuple[bytes, bytes]]], bool] | None = None) -> Route:
    """A plain GET route at ``path`` (a template) with a :class:`Memo` in front of the route among ``routes`` that
    answers GET ``sample`` (a path it matches); the app puts it first (other methods go on to that route).
    ``version()`` is the store's version, or None where reading it may wait (a remote store): then every request
    goes to the route. ``keep`` says from an answer's headers whether it may be kept (:func:`marked` by default)."""
    scope: Scope = {"type": "http", "path": sample, "method": "GET", "root_path": ""}
    route = next(r for r in routes if r.matches(scope)[0] is Match.FULL)
    endpoint = _endpoint(route, path)
    names = frozenset(p.alias for p in endpoint.dependant.query_params) if endpoint is not None else frozenset()
    memo = Memo(route, cache, version, keep, names)
    front = Route(path, memo, methods=["GET"], name=f"memo:{path}")
    memo.front = front
    return front


def _endpoint(route: Any, path: str) -> APIRoute | None:
    """The FastAPI route for GET ``path`` within ``route`` (an included router holds its routes)."""
    if isinstance(route, APIRoute):
        return route if route.path == path and "GET" in (route.methods or ()) else None
    inner = getattr(route, "original_router", route)
    for child in getattr(inner, "routes", ()):
        if child is not route and (found := _endpoint(child, path)) is not None:
            return found
    return None
