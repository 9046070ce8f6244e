"""The SPARQL endpoint's state: the query result cache, the ETags of query results, the Service Description counts.

Answers are keyed by the store version and the request, so a write (which
changes the version) makes every older entry unreachable; they age out of the
bounded LRU.

>>> from kg.store.base import QueryRequest, QueryResponse
>>> cache = ResultCache(2)
>>> request = QueryRequest("ASK {}")
>>> cache.get("v1", request) is None
True
>>> cache.put("v1", request, QueryResponse("ask", b"true", "application/sparql-results+json", 1))
>>> cache.get("v1", request).body, cache.get("v2", request)
(b'true', None)
>>> etag("v1", request) == etag("v1", request) != etag("v2", request)
True
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from kg.settings import Settings
from kg.store.base import QueryRequest, QueryResponse, Store
from service.sparql.description import Counts, count_triples

Key = tuple[str, QueryRequest]


class ResultCache:
    """A thread-safe LRU of at most ``max_entries`` query responses (0 disables it) and ``max_bytes`` of bodies.

    Answers larger than an eighth of ``max_bytes`` are not kept: a few huge answers cannot push the
    server's memory up by ``max_entries`` times their size.
    """

    def __init__(self, max_entries: int, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Key, QueryResponse] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, version: str, request: QueryRequest) -> QueryResponse | None:
        """The cached response for ``request`` at ``version``, or None."""
        key = (version, request)
        with self._lock:
            response = self._entries.get(key)
            if response is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return response

    def put(self, version: str, request: QueryRequest, response: QueryResponse) -> None:
        """Remember ``response``; the least recently used entry goes when the cache is full."""
        if self.max_entries <= 0 or len(response.body) > self.max_bytes // 8:
            return
        with self._lock:
            old = self._entries.pop((version, request), None)
            self.bytes -= len(old.body) if old is not None else 0
            self._entries[(version, request)] = response
            self.bytes += len(response.body)
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self.bytes -= len(self._entries.popitem(last=False)[1].body)

    def __len__(self) -> int:
        return len(self._entries)


def etag(version: str, request: QueryRequest, *extra: str) -> str:
    """A weak ETag for the answer to ``request`` at ``version`` (the chosen media types are in the request)."""
    digest = hashlib.sha256(repr((version, request, extra)).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


class SparqlState:
    """The endpoint's state in one app: the result cache, and the triple counts of the store's current version."""

    def __init__(self, settings: Settings) -> None:
        self.cache = ResultCache(settings.cache_entries)
        self._counts: tuple[str, Counts] | None = None
        self._lock = threading.Lock()

    def counts(self, store: Store) -> Counts:
        """Triple counts for the Service Description, computed once per store version."""
        version = store.version
        with self._lock:
            if self._counts is not None and self._counts[0] == version:
                return self._counts[1]
        counts = count_triples(store)
        with self._lock:
            self._counts = (version, counts)
        return counts
