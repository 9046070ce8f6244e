"""Path, name and influence questions in killable, memory-capped worker processes.

A path search runs as long as its budget allows and its answer can be megabytes (a thousand paths of eight hops,
as JSON, RDF or a picture); on the server's own threads, eight clients asking for those pushed ``/health`` to
seconds and the server from 114 to 630 MB (420 MB still after the flood). Like SPARQL queries
(:mod:`kg.store.workers`), they now run in worker processes of a :class:`kg.pool.ProcessPool`:

- each worker answers with the engines of :mod:`kg.paths.engines` (the same choice of engine, the same search,
  ranking and explanation functions) over a read-only snapshot of the store's current version (the embedded
  store) or its own connection (a remote store), built once per version (the build may take
  ``paths_build_timeout``);
- it writes the answer itself (:mod:`kg.paths.bodies`), so the server only passes bytes on;
- past ``paths_timeout`` the worker is killed (503); its memory is capped at ``paths_memory_mb``; at most
  ``max_path_workers`` run, ``max_queued_paths`` wait, more are refused at once (503).

:class:`PathWorkers` is the server's side; :func:`worker_main` is a worker.

>>> from kg.settings import Settings
>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://x/src", b'<http://x/id/person/a> <http://www.w3.org/2000/01/rdf-schema#label> "Ada" .',
...                     "text/turtle")
>>> workers = PathWorkers(store, Settings(store=":memory:"))
>>> [c["label"] for c in workers.search_names("ada")]
['Ada']
>>> workers.close(); store.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kg.paths import compiled
from kg.paths.answers import Direction
from kg.paths.bodies import influence_body, paths_body, ranking_body
from kg.paths.engines import PathEngines
from kg.paths.files import ProjectionFiles, folder_of
from kg.paths.model import PathOptions, SearchTimeout
from kg.paths.names import AmbiguousName, UnknownThing
from kg.paths.sparql_service import QueryRewriter, mentions_paths, paths_rewriter
from kg.pool import Context, Packed, PoolErrors, ProcessPool, hold_still, let_go, pack, serve
from kg.settings import Settings
from kg.store.base import QueryBusy, Store, WorkerDied
from kg.store.embedded import OxigraphStore
from kg.store.readonly import open_snapshot
from kg.store.workers import Snapshot

PATH_ERRORS = PoolErrors(busy=QueryBusy, timeout=SearchTimeout, died=WorkerDied, what="path search")


# --- the questions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """``GET /paths``: the answer in ``media`` (JSON, an RDF format or SVG)."""

    options: PathOptions
    media: str


@dataclass(frozen=True)
class Influence:
    """``GET /influence/lineage`` or ``/influence/influenced``."""

    thing: str
    direction: Direction
    max_depth: int
    limit: int
    key: str


@dataclass(frozen=True)
class Ranking:
    """``GET /influence/ranking``."""

    limit: int
    kinds: frozenset[str] | None
    measure: str = "influence"


@dataclass(frozen=True)
class Names:
    """``GET /search``: the matching things as JSON records (a short list: it travels as it is)."""

    text: str
    limit: int
    kind: str | None


@dataclass(frozen=True)
class Rewrite:
    """A SPARQL query's ``SERVICE bc:paths`` blocks expanded (or None: nothing to expand)."""

    text: str
    prefixes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Readiness:
    """``/ready``: prepare for the first question, and say what is wrong (or None) and what to report."""


Task = Paths | Influence | Ranking | Names | Rewrite | Readiness


@dataclass(frozen=True)
class Source:
    """Where a worker reads the graph: a snapshot of the embedded store, or a remote store (which pickles as the
    recipe to open it again)."""

    snapshot: Snapshot | None
    store: Store | None = None
    projections: str | None = None
    """The folder of projection files (:mod:`kg.paths.files`) when the snapshot is an on-disk checkpoint."""


@dataclass(frozen=True)
class Job:
    source: Source
    settings: Settings
    task: Task


# --- inside a worker -----------------------------------------------------------------------------------------


def _answer(engines: PathEngines, task: Task, context: Context) -> Any:
    """Answer one question with the engine the settings choose (the same code the server ran before)."""
    engine = engines.engine()
    if engine.name == "memory" and not engines.memory.projections.is_current():
        context.preparing()  # a new version: the projection is built before the question's time starts
        let_go()  # the old projection (if any) may be collected
        compiled.prepare(engines.memory.projection())  # (the k-best searches' compiled loops, on a big graph)
        hold_still()  # the collector never walks the projection again (a 60–70 ms pause mid-search)
    context.ready()  # prepared: the question's own time limit starts now
    if isinstance(task, Paths):
        return paths_body(engine.paths(task.options), task.media)
    if isinstance(task, Influence):
        answer = engine.influence(task.thing, task.direction, max_depth=task.max_depth, limit=task.limit)
        return influence_body(answer, task.key, task.max_depth)
    if isinstance(task, Ranking):
        context.preparing()  # computed once per version (PageRank, betweenness), whatever is asked
        proj, ranked = engine.ranking(task.limit, task.kinds, task.measure)
        return ranking_body(proj, ranked, task.measure)
    if isinstance(task, Names):
        return [c.as_json() for c in engine.search_names(task.text, limit=task.limit, kind=task.kind)]
    if isinstance(task, Rewrite):
        return paths_rewriter(engines)(task.text, dict(task.prefixes))
    context.preparing()
    failure, facts = engine.readiness()
    counted = engines.counted_quads()  # the server takes it rather than count the store again
    return failure, facts | ({"store_quads": {"version": counted[0], "quads": counted[1]}} if counted else {})


def _handler() -> Callable[[Job, Context], Any]:
    """A worker's handler: the engines of the job's source (kept while jobs use the same one), then the answer."""
    held: dict[str, tuple[object, PathEngines]] = {}

    def handle(job: Job, context: Context) -> Any:
        source = job.source
        key = source.snapshot if source.snapshot is not None else repr(source.store)
        if held.get("current", (None,))[0] != (key, job.settings):
            let_go()
            held.clear()  # the old version's projection goes before the new one is built
            context.preparing()
            store = (open_snapshot(source.snapshot, source.snapshot.version) if source.snapshot is not None
                     else source.store)
            assert store is not None
            files = (ProjectionFiles.of_store(source.projections, source.snapshot.path)
                     if source.projections is not None and source.snapshot is not None else None)
            held["current"] = ((key, job.settings), PathEngines(store, job.settings, files=files))
            held["current"][1].choice()  # (which may count the quads: not in the first question's time)
        return _answer(held["current"][1], job.task, context)

    return handle


def pack_path_error(err: BaseException) -> Packed:
    """Path errors as the parent rebuilds them: an unknown or ambiguous name keeps its suggestions or candidates."""
    notes = list(getattr(err, "__notes__", ()))
    if isinstance(err, UnknownThing):
        return UnknownThing, (err.name, err.suggestions), notes
    if isinstance(err, AmbiguousName):
        return AmbiguousName, (err.name, err.candidates), notes
    return pack(err)


# --- the server's side ---------------------------------------------------------------------------------------


class PathWorkers:
    """Path, name and influence questions answered in worker processes (see the module documentation).

    Each method blocks the calling thread until the answer comes (call it from a thread pool) and raises what the
    engine raised (an unknown name, a bad option, a search past its budget), or :class:`SearchTimeout` past
    ``paths_timeout``, :class:`QueryBusy` when too many wait, :class:`WorkerDied` when a worker ran out of memory.
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._pool: ProcessPool | None = None
        self._lock = threading.Lock()

    @property
    def pool(self) -> ProcessPool:
        """The worker processes (started on first use)."""
        with self._lock:
            if self._pool is None:
                s = self.settings
                self._pool = ProcessPool("kg.paths.workers", PATH_ERRORS, size=s.path_workers,
                                         max_size=s.max_path_workers, max_waiting=s.max_queued_paths,
                                         memory_mb=s.paths_memory_mb)
                if isinstance(self.store, OxigraphStore):
                    self.store.hold_snapshots(self._pool.states_in_use)
            return self._pool

    def _source(self) -> Source:
        if isinstance(self.store, OxigraphStore):
            snapshot = self.store.snapshot()
            keep = self.settings.paths_projection_files and snapshot.kind == "rocksdb"
            return Source(snapshot, projections=folder_of(self.store.location) if keep else None)
        return Source(None, self.store)

    def ask(self, task: Task) -> Any:
        """The worker's answer to ``task``."""
        source = self._source()
        job = Job(source, self.settings, task)
        return self.pool.run(job, self.settings.paths_timeout, self.settings.paths_build_timeout,
                             state=source.snapshot)

    def paths(self, options: PathOptions, media: str) -> bytes:
        """``GET /paths`` in ``media``."""
        answer: bytes = self.ask(Paths(options, media))
        return answer

    def influence(self, thing: str, direction: Direction, max_depth: int, limit: int, key: str) -> bytes:
        """A lineage (``direction="lineage"``) or what a thing influenced, as JSON."""
        answer: bytes = self.ask(Influence(thing, direction, max_depth, limit, key))
        return answer

    def ranking(self, limit: int, kinds: frozenset[str] | None, measure: str = "influence") -> bytes:
        """The influence ranking (or, ``measure="centrality"``, the graph centrality), as JSON."""
        answer: bytes = self.ask(Ranking(limit, kinds, measure))
        return answer

    def search_names(self, text: str, limit: int = 10, kind: str | None = None) -> list[dict[str, object]]:
        """Things whose names match ``text``, best first, as JSON records."""
        found: list[dict[str, object]] = self.ask(Names(text, limit, kind))
        return found

    def readiness(self) -> tuple[str | None, dict[str, object]]:
        """For ``/ready``: what is wrong (or None) and the facts to report; the worker prepares meanwhile."""
        answer: tuple[str | None, dict[str, object]] = self.ask(Readiness())
        return answer

    def rewriter(self) -> QueryRewriter:
        """The SPARQL endpoint's rewriter for ``SERVICE bc:paths``, run in a path worker."""

        def rewrite(query_text: str, prefixes: dict[str, str]) -> str | None:
            if not mentions_paths(query_text):  # no worker needed
                return None
            rewritten: str | None = self.ask(Rewrite(query_text, tuple(prefixes.items())))
            return rewritten

        return rewrite

    def close(self) -> None:
        """Stop the workers."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def worker_main() -> None:
    """A path worker (``python -m kg.pool kg.paths.workers …``, started by the pool)."""
    serve(_handler(), pack_path_error)
