"""Caching: values computed once per store version, validators (ETag, Last-Modified) and conditional answers.

Every read-only resource answers through :func:`respond`, which

- answers ``304 Not Modified`` to a matching ``If-None-Match`` (or, without it, ``If-Modified-Since``) before
  any work is done;
- sets a strong ``ETag`` (the store version and the representation), ``Last-Modified`` (the store's last
  change), ``Cache-Control: public, max-age=60``;
- opens CORS for reading (``Access-Control-Allow-Origin: *``, never with credentials);
- adds the security headers to HTML (:mod:`service.http.headers`).

>>> cache = VersionCache()
>>> cache.get("v1", "answer", lambda: 42), cache.get("v1", "answer", lambda: 0), cache.get("v2", "answer", lambda: 7)
(42, 42, 7)
>>> etag("v1", "/doc/person/a", "text/turtle") == etag("v1", "/doc/person/a", "text/turtle")
True
>>> etag("v1", "/doc/person/a", "text/turtle") != etag("v2", "/doc/person/a", "text/turtle")
True
>>> http_date(0)
'Thu, 01 Jan 1970 00:00:00 GMT'
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response

from kg.settings import Settings
from service.http.headers import cors_headers, merge_vary, security_headers

T = TypeVar("T")

MAX_AGE = 60
"""Seconds a client may reuse a read-only answer without asking again."""


class VersionCache:
    """Values that are valid for one store version only (statistics, dumps, vocabulary pages, the name index):
    when the version changes, everything computed for the old one is dropped at the next lookup."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._values: dict[str, Any] = {}  # each key's value is what its ``compute`` returned
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, version: str, key: str, compute: Callable[[], T]) -> T:
        """The value of ``key`` at ``version``, computing it (once, even under concurrent requests) if needed."""
        with self._lock:
            if version != self._version:
                self._version, self._values, self._key_locks = version, {}, {}
            if key in self._values:
                return self._values[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if self._version == version and key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                if self._version == version:
                    self._values[key] = value
            return value


class BodyCache:
    """Answers' bytes by store version and key: a thread-safe LRU of at most ``max_entries`` answers and
    ``max_bytes`` in all (an answer over an eighth of that is not kept). A new version makes every older entry
    unreachable; they age out.

    >>> cache = BodyCache(max_entries=2)
    >>> cache.get("v1", "doc/a", lambda: b"made once")
    b'made once'
    >>> cache.get("v1", "doc/a", lambda: b"not made again"), cache.get("v2", "doc/a", lambda: b"a new version")
    (b'made once', b'a new version')
    """

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def has(self, version: str, key: str) -> bool:
        """Whether the bytes of ``key`` at ``version`` are kept."""
        with self._lock:
            return (version, key) in self._entries

    def get(self, version: str, key: str, build: Callable[[], bytes]) -> bytes:
        """The bytes of ``key`` at ``version``, built (and kept) if they are not here."""
        body = self.peek(version, key)
        if body is None:
            body = build()
            self.put(version, key, body)
        return body

    def peek(self, version: str, key: str) -> bytes | None:
        """The bytes of ``key`` at ``version`` if they are kept (now the most recently used)."""
        with self._lock:
            body = self._entries.get((version, key))
            if body is not None:
                self._entries.move_to_end((version, key))
            return body

    def put(self, version: str, key: str, body: bytes) -> None:
        """Keep ``body`` (unless it is over an eighth of ``max_bytes``), dropping the least recently used past the
        limits."""
        if self.max_entries > 0 and len(body) <= self.max_bytes // 8:
            with self._lock:
                old = self._entries.pop((version, key), None)
                self.bytes += len(body) - (len(old) if old is not None else 0)
                self._entries[(version, key)] = body
                while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                    self.bytes -= len(self._entries.popitem(last=False)[1])


def etag(version: str, *parts: str) -> str:
    """A strong validator for one representation of one resource at one store version."""
    digest = hashlib.sha256("\x00".join((version, *parts)).encode()).hexdigest()[:20]
    return f'"{digest}"'


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an If-None-Match header matches ``tag`` (weak comparison, ``*`` matches anything).

    >>> etag_matches('"x", W/"abc"', 'W/"abc"'), etag_matches('"abc"', 'W/"abc"'), etag_matches(None, 'W/"a"')
    (True, True, False)
    """
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def http_date(timestamp: float) -> str:
    """An IMF-fixdate for ``Last-Modified``."""
    return formatdate(int(timestamp), usegmt=True)


def is_fresh(request: Request, tag: str, last_modified: float | None) -> bool:
    """Whether the client's copy is current (RFC 9110: If-None-Match wins over If-Modified-Since)."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match, tag)
    since = request.headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            return int(last_modified) <= int(parsedate_to_datetime(since).timestamp())
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def base_headers(
    request: Request,
    settings: Settings,
    *,
    tag: str,
    last_modified: float | None,
    media_type: str,
    vary: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers shared by a 200 and its 304."""
    headers = {"ETag": tag, "Cache-Control": f"public, max-age={MAX_AGE}"}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    headers |= dict(extra or {})
    cors = cors_headers(request, settings)
    cors_vary = cors.pop("Vary", None)
    headers |= cors
    merge_vary(headers, [*vary, *([cors_vary] if cors_vary else [])])
    if media_type == "text/html":
        headers |= security_headers()
    headers.setdefault("X-Content-Type-Options", "nosniff")
    return headers


def not_modified(headers: Mapping[str, str]) -> Response:
    """A 304 with the validators and caching headers of the representation."""
    keep = {k: v for k, v in headers.items() if k not in ("Content-Disposition",)}
    return Response(status_code=304, headers=keep)


def media_with_charset(media_type: str) -> str:
    """The Content-Type value: text types and the JSON and line-based RDF formats carry ``charset=utf-8``.

    >>> media_with_charset("text/turtle"), media_with_charset("application/gzip")
    ('text/turtle; charset=utf-8', 'application/gzip')
    """
    if media_type.startswith("text/") or media_type in (
        "application/ld+json", "application/n-triples", "application/n-quads",
    ):
        return f"{media_type}; charset=utf-8"
    return media_type


def respond(
    request: Request,
    settings: Settings,
    build: Callable[[], bytes],
    media_type: str,
    *,
    tag: str,
    last_modified: float | None,
    vary: Iterable[str] = (),
    extra: Mapping[str, str] | None = None,
) -> Response:
    """A read-only representation with its validators: 304 when the client's copy is current (and then
    ``build`` is never called), else the bytes ``build()`` returns."""
    headers = base_headers(
        request, settings, tag=tag, last_modified=last_modified, media_type=media_type, vary=vary, extra=extra
    )
    if is_fresh(request, tag, last_modified):
        return not_modified(headers)
    return Response(content=build(), status_code=200, media_type=media_with_charset(media_type), headers=headers)
