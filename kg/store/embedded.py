"""The embedded store: pyoxigraph on disk or in memory, with untrusted queries in killable worker processes.

>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://ex/g", b'<http://ex/a> <http://ex/p> "x" .', "text/turtle")
>>> [row["o"].value for row in store.select("SELECT ?o { ?s ?p ?o }")]
['x']
>>> store.graph_names()
['http://ex/g']
>>> store.close()
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import anyio.to_thread
import pyoxigraph as ox

from kg.store.base import (
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    UpdateFailed,
    UpdateSyntaxError,
    WorkerDied,
)
from kg.store.formats import GRAPH_TYPES, parse_rdf
from kg.store.nesting import check_nesting
from kg.store.reads import OxigraphReads
from kg.store.updates import evaluates
from kg.store.workers import QueryPool, Snapshot, execute

INLINE_QUERY_CHARS = 16_384
"""Query texts up to this long are checked and sent to a worker from the event loop
(:meth:`OxigraphStore.execute_async`); longer ones from a thread (checking their nesting and writing them to the pipe
take time)."""

MEMORY = ":memory:"
"""The location of an in-memory store."""


def serving_file(location: str | os.PathLike[str]) -> Path:
    """Where a service serving the on-disk store at ``location`` writes its address (``backchannel backup`` reads
    it to back the store up through that service while it holds the store).

    >>> serving_file("/srv/store").name
    'store.serving.json'
    """
    path = Path(location).resolve()
    return path.with_name(path.name + ".serving.json")


def _graph_term(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.NamedNode(graph) if graph else ox.DefaultGraph()


class OxigraphStore(OxigraphReads):
    """The embedded store: pyoxigraph on disk (a directory) or in memory (``":memory:"``).

    Trusted queries (``select``, ``ask``, ``construct``) run in the calling
    thread. Untrusted ones (``execute``) run in a pool of worker processes that
    read a snapshot of the current version and are killed at their time limit.
    """

    def __init__(
        self, location: str | os.PathLike[str] = MEMORY, *, workers: int = 2, max_waiting: int = 64,
        max_workers: int = 16, query_memory_mb: int | None = None, concurrency: int = 0,
    ) -> None:
        self.location = str(location)
        self.in_memory = self.location == MEMORY
        try:
            if self.in_memory:
                self.raw = ox.Store()
            else:
                Path(self.location).mkdir(parents=True, exist_ok=True)
                self.raw = ox.Store(self.location)
        except OSError as err:
            raise StoreError(
                f"cannot open the store at {self.location}: {err}. Is another backchannel process using it?"
            ) from None
        self._boot = secrets.token_hex(4)
        self._counter = 0
        self._last_modified = time.time()
        self._write_lock = threading.Lock()
        self._snap_lock = threading.Lock()
        self._snapshot: tuple[int, Snapshot] | None = None
        self._snap_dir = (
            Path(tempfile.mkdtemp(prefix="backchannel-snap-"))
            if self.in_memory
            else Path(self.location + ".snapshots")
        )
        if self.in_memory:  # the folder goes with the store, even one never closed (or at the interpreter's exit)
            self._discard_snapshots = weakref.finalize(self, shutil.rmtree, str(self._snap_dir), True)
        else:
            shutil.rmtree(self._snap_dir, ignore_errors=True)
            self._snap_dir.mkdir(parents=True, exist_ok=True)
        self._pool_size = workers
        self._max_waiting = max_waiting
        self._max_workers = max_workers
        self._query_memory_mb = query_memory_mb
        self._width = concurrency or len(os.sched_getaffinity(0))
        self._pool: QueryPool | None = None
        self._pool_lock = threading.Lock()
        self._holders: list[Callable[[], Iterable[object]]] = []

    # --- versions --------------------------------------------------------
    @property
    def version(self) -> str:
        return f"{self._boot}-{self._counter}"

    @property
    def last_modified(self) -> float:
        return self._last_modified

    def _changed(self) -> None:
        self._counter += 1
        self._last_modified = time.time()

    # --- queries ---------------------------------------------------------
    def execute(self, request: QueryRequest, timeout: float) -> QueryResponse:
        check_nesting(request.query)  # the parser would crash the worker
        return self._workers().run(request, self.snapshot(), timeout)

    async def execute_async(self, request: QueryRequest, timeout: float) -> QueryResponse:
        """:meth:`execute` from the event loop: the worker's answer is awaited there, not in a thread (see
        :mod:`kg.pool_loop`). A long query text, a version not yet copied, or a pool not yet started go through a
        thread, as these steps would hold the loop up."""
        snapshot, pool = self._current_snapshot(), self._pool
        if snapshot is None or pool is None or len(request.query) > INLINE_QUERY_CHARS:
            return await anyio.to_thread.run_sync(self.execute, request, timeout)
        check_nesting(request.query)  # the parser would crash the worker
        return await pool.run_async(request, snapshot, timeout)

    def execute_here(self, request: QueryRequest) -> QueryResponse:
        """Run ``request`` in this process without a time limit (command line, tests)."""
        return execute(self.raw, request)

    def _workers(self) -> QueryPool:
        with self._pool_lock:
            if self._pool is None:
                self._pool = QueryPool(self._pool_size, self._max_waiting, self._max_workers, self._query_memory_mb,
                                       width=self._width)
            return self._pool

    def _current_snapshot(self) -> Snapshot | None:
        """The current version's snapshot if it was made already, else None (never waits)."""
        made = self._snapshot
        return made[1] if made is not None and made[0] == self._counter else None

    def snapshot(self) -> Snapshot:
        """A read-only copy of the current version, made once per version."""
        with self._snap_lock:
            counter = self._counter
            if self._snapshot is not None and self._snapshot[0] == counter:
                return self._snapshot[1]
            name = f"v{counter}-{secrets.token_hex(3)}"
            if self.in_memory:
                path = str(self._snap_dir / f"{name}.nq")
                self.raw.dump(output=path, format=ox.RdfFormat.N_QUADS)
                snap = Snapshot(path, "nquads", f"{self._boot}-{counter}")
            else:
                path = str(self._snap_dir / name)
                self.raw.flush()
                self.raw.backup(path)
                snap = Snapshot(path, "rocksdb", f"{self._boot}-{counter}")
            self._snapshot = (counter, snap)
            self._prune_snapshots(keep=snap)
            return snap

    def hold_snapshots(self, in_use: Callable[[], Iterable[object]]) -> None:
        """Keep the snapshots ``in_use()`` names (other worker pools reading them) when old ones are removed."""
        self._holders.append(in_use)

    def _prune_snapshots(self, keep: Snapshot) -> None:
        in_use = {keep.path} | ({s.path for s in self._pool.snapshots_in_use()} if self._pool else set())
        in_use |= {s.path for holder in self._holders for s in holder() if isinstance(s, Snapshot)}
        for entry in self._snap_dir.iterdir():
            if str(entry) not in in_use:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    # --- graphs ----------------------------------------------------------
    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.raw.named_graphs() if isinstance(g, ox.NamedNode))

    def has_graph(self, graph: str | None) -> bool:
        return graph is None or self.raw.contains_named_graph(ox.NamedNode(graph))

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        return list(self.raw.quads_for_pattern(None, None, None, _graph_term(graph)))

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    # --- writes ----------------------------------------------------------
    def update(self, sparql: str, timeout: float | None = None) -> None:
        """Run an update in one transaction. With ``timeout``, one that evaluates patterns is first tried in a
        worker on a copy of this version (:mod:`kg.store.updates`): past the limit it is stopped (QueryTimeout)
        and nothing changes."""
        try:
            check_nesting(sparql)  # the parser would crash this process
        except QuerySyntaxError as err:
            raise UpdateSyntaxError(str(err)) from None
        with self._write_lock:
            if timeout is not None and evaluates(sparql):
                self._try_update(sparql, timeout)
            try:
                self.raw.update(sparql)
            except SyntaxError as err:
                raise UpdateSyntaxError(str(err)) from None
            except (OSError, RuntimeError, ValueError) as err:  # RuntimeError: e.g. DROP of a graph that does not exist
                raise UpdateFailed(str(err)) from None
            finally:
                self._changed()

    def _try_update(self, sparql: str, timeout: float) -> None:
        """The trial of an update (called under the write lock): in a worker, on a private copy of this version."""
        if self.in_memory:
            copy, private = self.snapshot(), None
        else:
            private = Path(self.location + ".trials") / f"v{self._counter}-{secrets.token_hex(3)}"
            private.parent.mkdir(parents=True, exist_ok=True)
            self.raw.flush()
            self.raw.backup(str(private))
            copy = Snapshot(str(private), "rocksdb", self.version)
        try:
            self._workers().try_update(sparql, copy, timeout)
        except QueryTimeout:
            raise QueryTimeout(f"the update ran longer than the limit of {timeout:g} s and was stopped; nothing "
                               "was changed") from None
        except WorkerDied:  # past the memory cap (a cross join can get there before the time limit)
            raise WorkerDied("the query worker died while trying the update, and nothing was changed") from None
        finally:
            if private is not None:
                shutil.rmtree(private, ignore_errors=True)

    def _write_quads(self, quads: list[ox.Quad], clear: list[ox.NamedNode | ox.DefaultGraph]) -> None:
        """Clear graphs then add quads, as one SPARQL update (one transaction)."""
        ops = [f"CLEAR SILENT {'DEFAULT' if isinstance(g, ox.DefaultGraph) else f'GRAPH {g}'}" for g in clear]
        if quads:
            body = "\n".join(
                f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}"
                if isinstance(q.graph_name, ox.NamedNode)
                else f"{q.subject} {q.predicate} {q.object} ."
                for q in quads
            )
            ops.append(f"INSERT DATA {{\n{body}\n}}")
        if not ops:
            return
        with self._write_lock:
            self.raw.update(" ;\n".join(ops))
            for graph in clear:
                if isinstance(graph, ox.NamedNode) and not any(q.graph_name == graph for q in quads):
                    self.raw.remove_graph(graph)
            for graph in {q.graph_name for q in quads if isinstance(q.graph_name, ox.NamedNode)}:
                self.raw.add_graph(graph)
            self._changed()

    def replace_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        quads = parse_rdf(data, media_type, graph, base_iri)
        self._write_quads(quads, [_graph_term(graph)])

    def add_to_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        quads = parse_rdf(data, media_type, graph, base_iri)
        self._write_quads(quads, [])
        if graph and not quads:
            with self._write_lock:
                self.raw.add_graph(ox.NamedNode(graph))
                self._changed()

    def drop_graph(self, graph: str | None) -> None:
        with self._write_lock:
            if graph is None:
                self.raw.clear_graph(ox.DefaultGraph())
            else:
                self.raw.remove_graph(ox.NamedNode(graph))
            self._changed()

    def replace_graphs(self, remove: Iterable[str], quads: Iterable[ox.Quad]) -> None:
        with self._write_lock:
            for graph in remove:
                node = ox.NamedNode(graph)
                if self.raw.contains_named_graph(node):
                    self.raw.remove_graph(node)
            self.raw.extend(quads)
            self._changed()

    def bulk_load(self, path: str, media_type: str, graph: str | None = None) -> None:
        """Load a large file fast, without a transaction (for benchmarks and first loads)."""
        fmt = GRAPH_TYPES[media_type]
        with self._write_lock:
            self.raw.bulk_load(path=path, format=fmt, to_graph=ox.NamedNode(graph) if graph else None)
            self._changed()

    def checkpoint(self) -> tuple[Path, str]:
        """A consistent copy of the current version in a new folder beside the store (``{store}.backups/…``): an
        online RocksDB checkpoint (hard links where it can), taken under the write lock while serving. Answers the
        folder and the version it holds; the folder can be served as it is."""
        if self.in_memory:
            raise StoreError("an in-memory store has nothing on disk to back up")
        folder = Path(self.location + ".backups") / f"{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            self.raw.flush()
            self.raw.backup(str(folder))
            return folder, self.version

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
        if self.in_memory:
            self._discard_snapshots()
        else:
            self.raw.flush()
        # pyoxigraph has no close(): the RocksDB lock goes when the last reference does.
        del self.raw

