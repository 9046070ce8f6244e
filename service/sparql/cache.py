"""The SPARQL endpoint's state: the query result cache, the checks of each distinct query text, the ETags of query
results, the Service Description counts.

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

What the guards find in a query text (:func:`service.sparql.guards.analyse`: its form, dataset clauses,
federation targets, volatile functions) depends on the text alone, so it is found once per distinct text:

>>> from service.sparql.guards import analyse
>>> plans = QueryPlans(2)
>>> plans.get("ASK {}") is None
True
>>> plans.put("ASK {}", analyse("ASK {}"))
>>> plans.get("ASK {}").form
'ASK'
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from kg.namespaces import all_prefixes
from kg.settings import Settings
from kg.store.base import QueryRequest, QueryResponse, Store
from service.sparql.description import Counts, count_triples
from service.sparql.guards import Analysis

Key = tuple[str, QueryRequest]
NEGOTIATIONS = 64
"""How many (``Accept``, ``format=``) pairs the endpoint remembers the negotiated types of."""


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


class QueryPlans:
    """A thread-safe LRU of at most ``max_entries`` query texts (each at most ``max_chars`` long) and their
    :class:`service.sparql.guards.Analysis`."""

    def __init__(self, max_entries: int, max_chars: int = 20_000) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self._entries: OrderedDict[str, Analysis] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> Analysis | None:
        """What the checks of ``text`` found, if it was seen lately."""
        with self._lock:
            found = self._entries.get(text)
            if found is not None:
                self._entries.move_to_end(text)
            return found

    def put(self, text: str, analysis: Analysis) -> None:
        """Remember what the checks of ``text`` found."""
        if self.max_entries <= 0 or len(text) > self.max_chars:
            return
        with self._lock:
            self._entries[text] = analysis
            self._entries.move_to_end(text)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def etag(version: str, request: QueryRequest, *extra: str) -> str:
    """A weak ETag for the answer to ``request`` at ``version`` (the chosen media types are in the request).

    The prefixes and base IRI are the endpoint's, the same for every request of one server, whose store version
    (``version``) starts with a token of its own: they need not be hashed each time."""
    key = (version, request.query, request.select_type, request.graph_type, request.default_graphs,
           request.named_graphs, request.substitutions, request.max_rows, request.max_bytes, extra)
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


class SparqlState:
    """The endpoint's state in one app: the result cache, the checks of recent query texts, and the triple counts
    of the store's current version."""

    def __init__(self, settings: Settings) -> None:
        self.cache = ResultCache(settings.cache_entries)
        self.plans = QueryPlans(settings.query_plan_entries)
        self.endpoint = settings.base_iri + "sparql"
        """The endpoint's IRI (also the base IRI of queries)."""
        self.prefixes = all_prefixes(settings.id_base)
        """The prefixes every query may use undeclared."""
        self.prefix_items = tuple(self.prefixes.items())
        self._types: OrderedDict[tuple[str | None, str | None], tuple[str | None, str | None]] = OrderedDict()
        self._counts: tuple[str, Counts] | None = None
        self._lock = threading.Lock()

    def result_types(self, accept: str | None, format_param: str | None,
                     negotiate: Callable[[str | None, str | None], tuple[str | None, str | None]],
                     ) -> tuple[str | None, str | None]:
        """``negotiate(accept, format_param)``, remembered for the last :data:`NEGOTIATIONS` pairs (clients send
        the same few ``Accept`` headers). What ``negotiate`` raises is raised again each time.

        >>> state = SparqlState(Settings())
        >>> state.result_types("text/csv", None, lambda accept, fmt: (accept, None))
        ('text/csv', None)
        """
        key = (accept, format_param)
        with self._lock:
            found = self._types.get(key)
        if found is None:
            found = negotiate(accept, format_param)
            if len(accept or "") + len(format_param or "") <= 1024:
                with self._lock:
                    self._types[key] = found
                    while len(self._types) > NEGOTIATIONS:
                        self._types.popitem(last=False)
        return found

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
