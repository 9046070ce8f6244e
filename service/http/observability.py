"""Observability: request ids, one JSON access-log line per request, Prometheus metrics, fallback security headers.

The pieces :class:`service.http.front.Front` (the one middleware in front of the app) uses per request: the
request id (the client's ``X-Request-ID`` if it is a sane token, else a fresh one), the route *template* a
request is counted under (``/id/{kind}/{slug}``, never the raw path), the app's :class:`Metrics` (its own
``CollectorRegistry``, kept in the app's state; ``GET /metrics`` in :mod:`service.ops` exposes it), the
access-log record and the fallback security headers:

- every label of the metrics has a closed set of values: the method one of the standard ones or ``OTHER``, the
  route a template of ours or ``<unmatched>``, the status a number; so no request can grow ``/metrics``;
- SPARQL queries that really ran (``X-Backchannel-Cache: miss``) are timed apart;
- ``X-Content-Type-Options: nosniff`` goes on every answer and, on HTML answers that lack them, the site's one
  policy (:func:`service.http.headers.security_headers`: scripts, styles and connections from this origin only, no
  framing, no plugins); on SVG answers that lack one, a CSP that runs and loads nothing.

>>> metrics = Metrics()
>>> metrics.observe("GET", "/hello/{name}", 200, 0.01, None)
>>> metrics.requests.labels("GET", "/hello/{name}", "200")._value.get()
1.0
>>> b'route="/hello/{name}"' in metrics.exposition()
True
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import Match, Route
from starlette.types import Scope

from service.http.headers import PICTURE_CSP, security_headers

ACCESS_LOGGER = "backchannel.access"
REQUEST_ID = "x-request-id"
UNMATCHED = "<unmatched>"
"""Route label of requests no route matched (404s of arbitrary paths): one label, not one per path."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
"""Method labels the metrics keep; any other method (HTTP allows any token) is counted as ``OTHER``."""
OTHER_METHOD = "OTHER"

QUERY_ROUTES = ("/sparql", "/api/queries")
"""Routes whose answers say (``X-Backchannel-Cache``) whether a query ran or came from the cache."""

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTML_FALLBACK_HEADERS = security_headers()
"""Added to an HTML answer only where the route did not set the header itself: the site's one policy (every page
sets it; no page needs a laxer one since /docs is served from our own bundle)."""

_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id(given: str | None, fresh: Callable[[], str] = lambda: uuid.uuid4().hex) -> str:
    """The client's request id if it is a short token of safe characters, else a fresh one (``fresh()``).

    >>> request_id("abc-123")
    'abc-123'
    >>> len(request_id(None)), len(request_id("bad id\\nInjected: yes"))
    (32, 32)
    """
    if given and _SANE_ID.fullmatch(given):
        return given
    return fresh()


class RequestIds:
    """Fresh request ids without a system call each: a random prefix per server, then a counter (32 hex digits).

    >>> ids = RequestIds()
    >>> first, second = ids(), ids()
    >>> len(first), first[:16] == second[:16], int(second[16:], 16) - int(first[16:], 16)
    (32, True, 1)
    """

    def __init__(self) -> None:
        self._prefix = uuid.uuid4().hex[:16]
        self._numbers = itertools.count(int.from_bytes(os.urandom(4)))

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._numbers) & 0xFFFFFFFFFFFFFFFF:016x}"


def method_label(method: str) -> str:
    """The method as a metric label: one of :data:`METHODS`, else ``OTHER`` (labels have a closed set of values).

    >>> method_label("GET"), method_label("X" * 4000)
    ('GET', 'OTHER')
    """
    return method if method in METHODS else OTHER_METHOD


def route_template(scope: Scope) -> str:
    """The path template of the route that handled a request (``/id/{kind}/{slug}``), or ``<unmatched>``.

    >>> route_template({"path": "/nowhere"})
    '<unmatched>'
    """
    route = scope.get("route")
    if route is None:  # FastAPI marks its own routes; plain Starlette ones (/openapi.json, /docs, mounts) are looked up
        route = next((r for r in getattr(scope.get("app"), "routes", ()) if r.matches(scope)[0] is Match.FULL), None)
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return path if isinstance(path, str) and path else UNMATCHED


class MarkedRoute(Route):
    """A plain Starlette route that puts itself in the scope it matches (``scope["route"]``), as FastAPI's routes
    do, so :func:`route_template` names it without matching the app's routes again.

    >>> route = MarkedRoute("/hot", lambda request: None)
    >>> match, child = route.matches({"type": "http", "path": "/hot", "method": "GET"})
    >>> route_template(child)
    '/hot'
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child


def access_record(
    scope: Scope, rid: str, status: int, duration: float, size: int, when: float | None = None,
    route: str | None = None,
) -> dict[str, Any]:
    """The access-log record of one request (one JSON line); ``route``: its template, if already known.

    >>> scope = {"method": "GET", "path": "/sparql", "query_string": b"query=ASK%7B%7D", "client": ("1.2.3.4", 5)}
    >>> record = access_record(scope, "r1", 200, 0.0123, 17, when=0.0)
    >>> record["time"], record["status"], record["duration_ms"], record["client"], record["query"]
    ('1970-01-01T00:00:00.000Z', 200, 12.3, '1.2.3.4', 'query=ASK%7B%7D')
    """
    stamp = datetime.fromtimestamp(time.time() if when is None else when, tz=UTC)
    client = scope.get("client")
    return {
        "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        "request_id": rid,
        "method": _short(scope.get("method", ""), 32),
        "path": scope.get("path", ""),
        "query": scope.get("query_string", b"").decode("latin-1")[:512],
        "route": route if route is not None else route_template(scope),
        "status": status,
        "duration_ms": round(duration * 1000, 1),
        "bytes": size,
        "client": client[0] if client else None,
    }


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size] + "…"


# --- metrics -------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSources:
    """Objects whose counters are read when metrics are scraped: the result cache (``hits``, ``misses``) and the
    store (the embedded one has a query pool with ``killed`` and ``workers``)."""

    cache: Any = None
    store: Any = None


class _SourcesCollector(Collector):
    """Metrics read from the app's objects when scraped: result cache counters, query workers."""

    def __init__(self, sources: MetricSources) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Any]:
        cache = self._sources.cache
        hits = CounterMetricFamily("backchannel_query_cache_hits", "Query answers served from the result cache.")
        misses = CounterMetricFamily("backchannel_query_cache_misses", "Query answers not in the result cache.")
        hits.add_metric([], float(getattr(cache, "hits", 0)))
        misses.add_metric([], float(getattr(cache, "misses", 0)))
        yield hits
        yield misses
        pool = getattr(self._sources.store, "_pool", None)
        restarts = CounterMetricFamily(
            "backchannel_query_worker_restarts",
            "Query worker processes killed and replaced (a query ran past its limit, or its worker died).",
        )
        restarts.add_metric([], float(getattr(pool, "killed", 0)))
        yield restarts
        alive = GaugeMetricFamily("backchannel_query_workers", "Query worker processes alive now.")
        alive.add_metric([], float(getattr(pool, "workers", 0) if pool is not None else 0))
        yield alive


class Metrics:
    """The Prometheus metrics of one app, in their own registry (never the process-global one)."""

    def __init__(self, sources: MetricSources | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "backchannel_http_requests", "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.duration = Histogram(
            "backchannel_http_request_duration_seconds", "Time to answer an HTTP request (until the last byte).",
            ["method", "route"], buckets=DURATION_BUCKETS, registry=self.registry,
        )
        self.in_flight = Gauge(
            "backchannel_http_requests_in_flight", "HTTP requests being answered now.", registry=self.registry
        )
        self.query_duration = Histogram(
            "backchannel_query_duration_seconds",
            "Time to answer a SPARQL or named query that ran (not served from the cache), by route and status.",
            ["route", "status"], buckets=DURATION_BUCKETS, registry=self.registry,
        )
        self.query_timeouts = Counter(
            "backchannel_query_timeouts",
            "Queries answered 503: stopped at the time limit, or no query worker free in time.",
            ["route"], registry=self.registry,
        )
        if sources is not None:
            self.registry.register(_SourcesCollector(sources))

    def observe(self, method: str, route: str, status: int, seconds: float, cache: str | None) -> None:
        """Count one answered request. Every label has a closed set of values: the method one of :data:`METHODS`
        or ``OTHER``, the route a template of ours or ``<unmatched>``, the status a number."""
        method = method_label(method)
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)
        if route.startswith(QUERY_ROUTES):
            if cache != "hit":  # the query ran (the named queries say nothing about a cache)
                self.query_duration.labels(route, str(status)).observe(seconds)
            if status == 503:
                self.query_timeouts.labels(route).inc()

    def exposition(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


# --- per request -----------------------------------------------------------------------------


def header_value(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The value of the (lower-case) header ``name``, or None.

    >>> header_value([(b"accept", b"text/turtle")], b"accept")
    'text/turtle'
    """
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def add_security_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """nosniff on every answer; on HTML answers, the fallback headers a route did not set."""
    present = {k.lower() for k, _ in headers}
    if b"x-content-type-options" not in present:
        headers.append((b"x-content-type-options", b"nosniff"))
    content_type = (header_value(headers, b"content-type") or "").lower()
    if content_type.startswith(("text/html", "application/xhtml+xml")):
        for name, value in HTML_FALLBACK_HEADERS.items():
            if name.lower().encode() not in present:
                headers.append((name.lower().encode(), value.encode()))
    elif content_type.startswith("image/svg+xml") and b"content-security-policy" not in present:
        headers.append((b"content-security-policy", PICTURE_CSP.encode()))  # an SVG can hold scripts


def access_logger() -> logging.Logger:
    """The ``backchannel.access`` logger, writing bare JSON lines to stderr unless configured otherwise."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    return logger

