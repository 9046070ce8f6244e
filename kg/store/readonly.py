"""A read-only store over one snapshot of the embedded store: what a worker process reads.

The server's store takes a snapshot once per version (a RocksDB checkpoint, or an N-Quads file for an in-memory
store, :meth:`kg.store.embedded.OxigraphStore.snapshot`). A path worker opens it with :func:`open_snapshot` and
searches it through the :class:`kg.store.base.Store` interface, like the server would; writing is refused.

>>> import tempfile
>>> from kg.store.workers import Snapshot
>>> path = tempfile.mkdtemp() + "/v1.nq"
>>> _ = open(path, "wb").write(b'<http://ex/a> <http://ex/p> "x" <http://ex/g> .\\n')
>>> store = open_snapshot(Snapshot(path, "nquads"), "v1")
>>> [row["o"].value for row in store.select("SELECT ?o { ?s ?p ?o }")], store.graph_names(), store.version
(['x'], ['http://ex/g'], 'v1')
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import anyio.to_thread
import pyoxigraph as ox

from kg.store.base import (
    QueryRequest,
    QueryResponse,
    StoreError,
)
from kg.store.reads import OxigraphReads
from kg.store.workers import Snapshot, execute, open_snapshot_store


class SnapshotStore(OxigraphReads):
    """A :class:`kg.store.base.Store` that reads one snapshot (``raw``) and refuses writes."""

    def __init__(self, raw: ox.Store, version: str, in_memory: bool = True) -> None:
        self.raw = raw
        self.in_memory = in_memory
        self._version = version
        self._opened = time.time()

    @property
    def version(self) -> str:
        return self._version

    @property
    def last_modified(self) -> float:
        return self._opened

    def execute(self, request: QueryRequest, timeout: float) -> QueryResponse:
        return execute(self.raw, request)  # already in a worker, which its pool stops at its own limit

    async def execute_async(self, request: QueryRequest, timeout: float) -> QueryResponse:
        return await anyio.to_thread.run_sync(self.execute, request, timeout)  # never a query on the loop itself

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.raw.named_graphs() if isinstance(g, ox.NamedNode))

    def has_graph(self, graph: str | None) -> bool:
        return graph is None or self.raw.contains_named_graph(ox.NamedNode(graph))

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        return list(self.raw.quads_for_pattern(None, None, None, target))

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def _refuse(self) -> StoreError:
        return StoreError("a snapshot is read-only")

    def update(self, sparql: str, timeout: float | None = None) -> None:
        raise self._refuse()

    def replace_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        raise self._refuse()

    def add_to_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        raise self._refuse()

    def drop_graph(self, graph: str | None) -> None:
        raise self._refuse()

    def replace_graphs(self, remove: Iterable[str], quads: Iterable[ox.Quad]) -> None:
        raise self._refuse()

    def close(self) -> None:
        pass


def open_snapshot(snapshot: Snapshot, version: str) -> SnapshotStore:
    """The snapshot as a read-only store reporting ``version``."""
    return SnapshotStore(open_snapshot_store(snapshot), version, in_memory=snapshot.kind != "rocksdb")
