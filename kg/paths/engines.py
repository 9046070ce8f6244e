"""Which engine answers path, name and influence questions (the contract both keep is in :mod:`kg.paths.answers`).

Two engines answer ``GET /paths``, ``GET /search``, ``GET /influence/*``, ``SERVICE bc:paths`` and the
``backchannel path`` / ``influence`` commands:

- **memory** (:class:`MemoryEngine`): the whole graph projected into memory (:mod:`kg.paths.projection`),
  searched in microseconds; every mode and the influence ranking. Building the projection reads every
  relation of the store (about 0.4 GB and 7 s per million relations).
- **frontier** (:class:`kg.paths.frontier.engine.FrontierEngine`): frontiers expanded from both ends with batched
  SPARQL queries; the graph is never loaded, so it answers on graphs too large to project, and on a remote
  store. Same answers and explanations, within bounds it states; no influence ranking (400).

**The choice** (setting ``paths_engine``, env ``BACKCHANNEL_PATHS_ENGINE``), made per store version:

- ``memory`` / ``frontier``: that engine, whatever the store (``remote`` is read as ``frontier``, its former name);
- ``auto`` (default): ``frontier`` for a store that is not the embedded Oxigraph store (a remote SPARQL
  engine: copying it into memory is what the remote store is there to avoid); ``memory`` for the
  embedded store, unless it holds more than ``paths_memory_max_triples`` quads (default 10 million,
  0 = no limit; counted once per store version), when the frontier search runs on it instead.

>>> from kg.settings import Settings
>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> service = PathEngines(store, Settings(store=":memory:"))
>>> service.choice(), PathEngines(store, Settings(paths_engine="frontier")).engine().name
('memory', 'frontier')
>>> store.close()
"""

from __future__ import annotations

import threading

import pyoxigraph as ox

from kg.paths.answers import (
    Direction,
    EngineName,
    InfluenceAnswer,
    PathAnswer,
    PathEngine,
)
from kg.paths.cache import ProjectionCache
from kg.paths.files import ProjectionFiles
from kg.paths.frontier.engine import FrontierEngine
from kg.paths.influence import Ranked, influenced, lineage, ranking
from kg.paths.model import PathOptions
from kg.paths.names import Candidate, name_index
from kg.paths.projection import Projection
from kg.paths.ranking import tables
from kg.paths.search import search_options
from kg.settings import Settings
from kg.store.base import Store


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

    def ranking(self, limit: int = 20, kinds: frozenset[str] | None = None,
                measure: str = "influence") -> tuple[Projection, list[Ranked]]:
        proj = self.projection()
        return proj, ranking(proj, limit, kinds, measure)

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
    'frontier'
    >>> choose_engine("auto", embedded=False, quads=None, max_quads=0), choose_engine("memory", False, None, 0)
    ('frontier', 'memory')
    """
    if setting == "memory":
        return "memory"
    if setting in ("frontier", "remote"):
        return "frontier"
    if setting != "auto":
        raise ValueError(f"paths_engine must be auto, memory or frontier, not {setting!r}")
    if not embedded or (max_quads and quads is not None and quads > max_quads):
        return "frontier"
    return "memory"


class PathEngines:
    """The engines of one store and the choice between them (per store version). Thread-safe."""

    def __init__(self, store: Store, settings: Settings, projections: ProjectionCache | None = None,
                 files: ProjectionFiles | None = None) -> None:
        self.store = store
        self.settings = settings
        self.memory = MemoryEngine(projections or ProjectionCache(store, warm=(tables, name_index), files=files))
        self._frontier: PathEngine | None = None
        self._lock = threading.Lock()
        self._size: tuple[str, int] | None = None

    @property
    def frontier(self) -> PathEngine:
        """The frontier engine (made on first use)."""
        with self._lock:
            if self._frontier is None:
                self._frontier = FrontierEngine(self.store, self.settings)
            return self._frontier

    def _quads(self) -> int | None:
        """The embedded store's quad count (a full scan: once per store version), when a limit asks for it."""
        raw = getattr(self.store, "raw", None)
        if not isinstance(raw, ox.Store):  # not the embedded store
            return None
        if self.settings.paths_engine != "auto" or not self.settings.paths_memory_max_triples:
            return None
        version = self.store.version
        if self._size is None or self._size[0] != version:
            self._size = (version, len(raw))
        return self._size[1]

    def counted_quads(self) -> tuple[str, int] | None:
        """(store version, quads) of the last count behind :meth:`choice`, if one was made."""
        return self._size

    def learn(self, version: str, quads: int) -> None:
        """Take a count another process made of this store at ``version`` (a path worker counts its snapshot), so
        :meth:`choice` need not count again at that version."""
        if self._size is None or self._size[0] != version:
            self._size = (version, quads)

    def choice(self) -> EngineName:
        """The engine the settings choose for the store's current version."""
        embedded = is_embedded(self.store)
        return choose_engine(self.settings.paths_engine, embedded, self._quads() if embedded else None,
                             self.settings.paths_memory_max_triples)

    def engine(self) -> PathEngine:
        """The chosen engine."""
        return self.memory if self.choice() == "memory" else self.frontier

