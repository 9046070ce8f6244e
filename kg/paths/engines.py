"""Which engine answers path, name and influence questions, and the contract both engines keep.

Two engines answer ``GET /paths``, ``GET /search``, ``GET /influence/*``, ``SERVICE bc:paths`` and the
``backchannel path`` / ``influence`` commands:

- **memory** (:class:`MemoryEngine`): the whole graph projected into memory (:mod:`kg.paths.projection`),
  searched in microseconds; every mode and the influence ranking. Building the projection reads every
  relation of the store (about 0.4 GB and 7 s per million relations).
- **remote** (:class:`kg.paths.frontier.engine.RemoteEngine`): frontiers expanded from both ends with batched
  SPARQL queries; the graph is never loaded, so it answers on graphs too large to project. Same
  answers and explanations, within bounds it states; no influence ranking (400).

**The choice** (setting ``paths_engine``, env ``BACKCHANNEL_PATHS_ENGINE``), made per store version:

- ``memory`` / ``remote``: that engine, whatever the store;
- ``auto`` (default): ``remote`` for a store that is not the embedded Oxigraph store (a remote SPARQL
  engine: copying it into memory is what the remote store is there to avoid); ``memory`` for the
  embedded store, unless it holds more than ``paths_memory_max_triples`` quads (default 10 million,
  0 = no limit; counted once per store version), when the frontier search runs on it instead.

**The contract** (both engines): :meth:`PathEngine.paths` answers a :class:`kg.paths.search.PathOptions` with the
projection its node ids refer to (the whole graph's, or the subgraph the remote engine fetched) and a
:class:`kg.paths.search.SearchResult`, so :mod:`kg.paths.explain` renders either the same way; names resolve to the
same things with the same errors (:class:`kg.paths.names.UnknownThing` → 404, :class:`kg.paths.names.AmbiguousName`
→ 409); bad options raise :class:`kg.paths.search.PathRequestError` (400) with the same messages; a search past
its bounds raises :class:`kg.paths.search.SearchTimeout` (503). What an engine cannot do raises
:class:`NotOnThisEngine` (a ``PathRequestError``: 400, saying which setting to change).

>>> from kg.settings import Settings
>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> service = PathService(store, Settings(store=":memory:"))
>>> service.choice(), PathService(store, Settings(paths_engine="remote")).engine().name
('memory', 'remote')
>>> store.close()
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pyoxigraph as ox

from kg.paths.influence import Entry, Ranked, influenced, lineage, ranking
from kg.paths.names import Candidate, name_index
from kg.paths.search import PathOptions, PathRequestError, SearchResult, search_options, tables
from kg.paths.projection import Projection, ProjectionCache
from kg.settings import Settings
from kg.store.embedded import Store

EngineName = Literal["memory", "remote"]
Direction = Literal["lineage", "influenced"]


class NotOnThisEngine(PathRequestError):
    """The chosen engine cannot answer this (the message names the setting that would)."""


@dataclass
class PathAnswer:
    """An engine's answer to a path question: render it with ``kg.paths.explain.*(proj, result)``.

    ``engine`` says how the remote engine searched (queries, hops explored, bounds); empty for memory.
    """

    proj: Projection
    result: SearchResult
    engine: dict[str, object] = field(default_factory=dict)


@dataclass
class InfluenceAnswer:
    """Who influenced a thing (or what it influenced): ``node`` and the entries' ids are ``proj``'s."""

    proj: Projection
    node: int
    entries: list[Entry]


class PathEngine(Protocol):
    """What an engine answers (see the module documentation for the contract)."""

    name: EngineName

    def paths(self, options: PathOptions) -> PathAnswer:
        """Paths between two things, ranked and explainable."""

    def search_names(self, text: str, limit: int = 10, kind: str | None = None) -> list[Candidate]:
        """Things whose names match ``text``, best first (autocomplete)."""

    def influence(self, thing: str, direction: Direction, max_depth: int = 6, limit: int = 200) -> InfluenceAnswer:
        """The lineage of a thing (``lineage``) or what it influenced (``influenced``)."""

    def ranking(self, limit: int = 20, kinds: frozenset[str] | None = None) -> tuple[Projection, list[Ranked]]:
        """The most influential things."""

    def readiness(self) -> tuple[str | None, dict[str, object]]:
        """For ``/ready``: (what is wrong or None, facts to report); prepares what the first question needs."""


class MemoryEngine:
    """The in-memory engine: the projection of the whole store (cached per store version)."""

    name: EngineName = "memory"

    def __init__(self, projections: ProjectionCache) -> None:
        self.projections = projections

    def projection(self) -> Projection:
        return self.projections.get()

    def paths(self, options: PathOptions) -> PathAnswer:
        proj = self.projection()
        return PathAnswer(proj, search_options(proj, options))

    def search_names(self, text: str, limit: int = 10, kind: str | None = None) -> list[Candidate]:
        return name_index(self.projection()).search(text, limit=limit, kind=kind)

    def influence(self, thing: str, direction: Direction, max_depth: int = 6, limit: int = 200) -> InfluenceAnswer:
        proj = self.projection()
        v = name_index(proj).resolve(thing)
        walk = lineage if direction == "lineage" else influenced
        return InfluenceAnswer(proj, v, walk(proj, v, max_depth=max_depth, limit=limit))

    def ranking(self, limit: int = 20, kinds: frozenset[str] | None = None) -> tuple[Projection, list[Ranked]]:
        proj = self.projection()
        return proj, ranking(proj, limit, kinds)

    def readiness(self) -> tuple[str | None, dict[str, object]]:
        try:
            proj = self.projection()
        except (OSError, RuntimeError, ValueError, MemoryError) as err:
            return f"the path projection could not be built: {err}", {}
        return None, {"paths_engine": "memory", "projection": {"version": proj.version, "things": len(proj),
                                                               "relations": proj.edge_count}}


def is_embedded(store: Store) -> bool:
    """Whether the store is the embedded Oxigraph store (the one the projection reads fast).

    >>> from kg.store.embedded import OxigraphStore
    >>> is_embedded(OxigraphStore(":memory:"))
    True
    """
    return isinstance(getattr(store, "raw", None), ox.Store)


def choose_engine(setting: str, embedded: bool, quads: int | None, max_quads: int) -> EngineName:
    """The engine for a setting, a kind of store and (for the embedded store with a limit) its size.

    >>> choose_engine("auto", embedded=True, quads=1_000, max_quads=10_000_000)
    'memory'
    >>> choose_engine("auto", embedded=True, quads=20_000_000, max_quads=10_000_000)
    'remote'
    >>> choose_engine("auto", embedded=False, quads=None, max_quads=0), choose_engine("memory", False, None, 0)
    ('remote', 'memory')
    """
    if setting in ("memory", "remote"):
        return setting  # type: ignore[return-value]
    if setting != "auto":
        raise ValueError(f"paths_engine must be auto, memory or remote, not {setting!r}")
    if not embedded:
        return "remote"
    if max_quads and quads is not None and quads > max_quads:
        return "remote"
    return "memory"


class PathService:
    """The engines of one store and the choice between them (per store version). Thread-safe."""

    def __init__(self, store: Store, settings: Settings, projections: ProjectionCache | None = None) -> None:
        self.store = store
        self.settings = settings
        self.memory = MemoryEngine(projections or ProjectionCache(store, warm=(tables, name_index)))
        self._remote: PathEngine | None = None
        self._lock = threading.Lock()
        self._size: tuple[str, int] | None = None

    @property
    def remote(self) -> PathEngine:
        """The remote engine (made on first use)."""
        if self._remote is None:
            from kg.paths.frontier.engine import RemoteEngine  # imported here: memory deployments never need it

            with self._lock:
                if self._remote is None:
                    self._remote = RemoteEngine(self.store, self.settings)
        return self._remote

    def _quads(self) -> int | None:
        """The embedded store's quad count (a full scan: once per store version), when a limit asks for it."""
        if self.settings.paths_engine != "auto" or not self.settings.paths_memory_max_triples:
            return None
        version = self.store.version
        if self._size is None or self._size[0] != version:
            self._size = (version, len(self.store.raw))  # type: ignore[attr-defined]
        return self._size[1]

    def choice(self) -> EngineName:
        """The engine the settings choose for the store's current version."""
        embedded = is_embedded(self.store)
        return choose_engine(self.settings.paths_engine, embedded, self._quads() if embedded else None,
                             self.settings.paths_memory_max_triples)

    def engine(self) -> PathEngine:
        """The chosen engine."""
        return self.memory if self.choice() == "memory" else self.remote


RANKING_ON_REMOTE = ("ranking needs the in-memory engine (set BACKCHANNEL_PATHS_ENGINE=memory): PageRank and "
                     "betweenness run over the whole graph, which the remote engine never loads")
"""What the remote engine answers to a ranking question (400)."""
