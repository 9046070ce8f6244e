"""Run SPARQL queries in worker processes that can be killed at a time limit.

pyoxigraph has no query timeout or cancellation, so a query that must be
stoppable runs in a separate process. Each worker opens a read-only snapshot of
the store (a RocksDB checkpoint, or an N-Quads file for an in-memory store),
answers requests sent over a pipe, and is killed and replaced when a request
runs past its limit.

>>> import pyoxigraph as ox, tempfile
>>> from kg.store.base import QueryRequest
>>> folder = tempfile.mkdtemp()
>>> snap = folder + "/v1.nq"
>>> _ = open(snap, "wb").write(b'<http://ex/a> <http://ex/p> "x" <http://ex/g> .\\n')
>>> with QueryPool(size=1) as pool:
...     pool.run(QueryRequest("SELECT ?o { ?s ?p ?o }", select_type="text/csv"), Snapshot(snap, "nquads"), 10).body
b'o\\r\\nx\\r\\n'
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from kg.store.base import (
    NotRepresentable,
    QueryBusy,
    QueryEvaluationError,
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    QueryTimeout,
    Term,
    WorkerDied,
)


@dataclass(frozen=True)
class Snapshot:
    """A read-only copy of the store at one version: a checkpoint directory or an N-Quads file."""

    path: str
    kind: Literal["rocksdb", "nquads"]


def _open_snapshot(snapshot: Snapshot) -> ox.Store:
    if snapshot.kind == "rocksdb":
        return ox.Store.read_only(snapshot.path)
    store = ox.Store()
    store.bulk_load(path=snapshot.path, format=ox.RdfFormat.N_QUADS)
    return store


def execute(store: ox.Store, request: QueryRequest) -> QueryResponse:
    """Run ``request`` on a pyoxigraph store and serialise the answer (used inside the workers)."""
    from kg.store.results import parse_term, write_ask, write_graph, write_select

    # The protocol's dataset (named graphs alone: the default graph is empty, SPARQL 1.1 Query 13.2); else the union.
    dataset = bool(request.default_graphs or request.named_graphs)
    substitutions = {ox.Variable(k): parse_term(v) for k, v in request.substitutions}
    try:
        result = store.query(
            request.query,
            base_iri=request.base_iri,
            prefixes=dict(request.prefixes) or None,
            use_default_graph_as_union=not dataset,
            default_graph=[ox.NamedNode(g) for g in request.default_graphs] if dataset else None,
            named_graphs=[ox.NamedNode(g) for g in request.named_graphs] if dataset else None,
            substitutions=substitutions or None,
        )
        if isinstance(result, ox.QueryBoolean):
            return QueryResponse("ask", write_ask(bool(result), request.select_type), request.select_type, 1)
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows: list[dict[str, Term | None]] = []
            truncated = False
            size = 0
            for solution in result:
                row = {v: solution[v] for v in variables}
                size += sum(len(str(term)) + 16 for term in row.values() if term is not None)
                if len(rows) == request.max_rows or size > request.max_bytes:
                    truncated = True
                    break
                rows.append(row)
            body = write_select(variables, rows, request.select_type)
            return QueryResponse("select", body, request.select_type, len(rows), truncated)
        triples: list[ox.Triple] = []
        truncated = False
        size = 0
        for triple in result:
            size += len(str(triple)) + 16
            if len(triples) == request.max_rows or size > request.max_bytes:
                truncated = True
                break
            triples.append(triple)
        body = write_graph(triples, request.graph_type, dict(request.prefixes))
        return QueryResponse("graph", body, request.graph_type, len(triples), truncated)
    except SyntaxError as err:
        raise QuerySyntaxError(str(err)) from None
    except NotRepresentable:
        raise
    except (OSError, ValueError, TypeError, RuntimeError) as err:
        raise QueryEvaluationError(str(err)) from None


def _worker_main(inbox: Connection, outbox: Connection) -> None:
    """Loop of a worker process: receive (snapshot, request), send ("ok", response) or (error, message)."""
    opened: tuple[Snapshot, ox.Store] | None = None
    while True:
        try:
            snapshot, request = inbox.recv()
        except EOFError:
            return
        try:
            if opened is None or opened[0] != snapshot:
                opened = None  # let the old store close before opening the new one
                opened = (snapshot, _open_snapshot(snapshot))
            outbox.send(("ok", execute(opened[1], request)))
        except QuerySyntaxError as err:
            outbox.send(("syntax", str(err)))
        except NotRepresentable as err:
            outbox.send(("format", str(err)))
        except (QueryEvaluationError, OSError, ValueError, TypeError) as err:  # a bad request never kills the worker
            outbox.send(("eval", str(err)))


class _Worker:
    """One worker: ``python -m kg.store.workers IN OUT`` talking over two inherited pipes.

    A plain subprocess (not multiprocessing's spawn) so the worker never re-imports
    the parent's ``__main__`` (scripts, stdin, notebooks all work).
    """

    def __init__(self, memory_mb: int | None = None) -> None:
        child_in, parent_out = os.pipe()
        parent_in, child_out = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg.store.workers", str(child_in), str(child_out), str(memory_mb or 0)],
            pass_fds=(child_in, child_out),
            stdin=subprocess.DEVNULL,
            env=os.environ | {"PYTHONPATH": _package_root() + os.pathsep + os.environ.get("PYTHONPATH", "")},
        )
        os.close(child_in)
        os.close(child_out)
        self.inbox = Connection(parent_in, writable=False)
        self.outbox = Connection(parent_out, readable=False)
        self.snapshot: Snapshot | None = None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.inbox.close()
        self.outbox.close()


def _package_root() -> str:
    """The folder that holds the ``kg`` package, so workers import the same code."""
    return str(Path(__file__).resolve().parents[2])


class QueryPool:
    """Query worker processes: ``size`` kept warm, up to ``max_size`` at once; a query past its limit kills its worker.

    When every worker is busy a new one is started (up to ``max_size``), so a few
    runaway queries cannot starve light ones: the operating system shares the
    cores between them, and each runaway is killed at its limit. Beyond
    ``max_size`` up to ``max_waiting`` queries wait for a worker; more get
    :class:`QueryBusy`. ``run`` blocks the calling thread (call it from a thread
    pool, never from the event loop).
    """

    def __init__(self, size: int = 2, max_waiting: int = 64, max_size: int = 16, memory_mb: int | None = None) -> None:
        self.memory_mb = memory_mb
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(max(size, max_size) + max_waiting)
        self._lock = threading.Lock()
        self._closed = False
        self._workers: set[_Worker] = set()
        self.size = size
        self.max_size = max(size, max_size)
        self.killed = 0
        for _ in range(size):
            self._idle.put(self._spawn())

    def __enter__(self) -> QueryPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        worker = _Worker(self.memory_mb)
        with self._lock:
            self._workers.add(worker)
        return worker

    @property
    def workers(self) -> int:
        """Worker processes alive now."""
        with self._lock:
            return len(self._workers)

    def snapshots_in_use(self) -> set[Snapshot]:
        """Snapshots that some worker holds open (they must not be deleted)."""
        with self._lock:
            return {w.snapshot for w in self._workers if w.snapshot is not None}

    def _acquire(self, timeout: float) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = len(self._workers) < self.max_size and not self._closed
        if grow:
            return self._spawn()
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryTimeout(f"no query worker became free within {timeout:g} s") from None

    def run(self, request: QueryRequest, snapshot: Snapshot, timeout: float) -> QueryResponse:
        """Run ``request`` against ``snapshot``; raise :class:`QueryTimeout` after ``timeout`` seconds."""
        if not self._slots.acquire(blocking=False):
            raise QueryBusy("too many queries are running or waiting; try again shortly")
        deadline = time.monotonic() + timeout
        try:
            worker = self._acquire(timeout)
            held: _Worker | None = worker  # None once retired: nothing to give back to the idle queue
            try:
                worker.snapshot = snapshot
                worker.outbox.send((snapshot, request))
                remaining = max(0.0, deadline - time.monotonic())
                if not worker.inbox.poll(remaining):
                    self._retire(worker)
                    held = None
                    raise QueryTimeout(f"the query ran longer than the limit of {timeout:g} s and was stopped")
                status, payload = worker.inbox.recv()
            except (EOFError, OSError):
                if held is not None:
                    self._retire(held)
                    held = None
                raise WorkerDied("the query worker died while running the query") from None
            finally:
                if held is not None:
                    self._idle.put(held)
        finally:
            self._slots.release()
        if status == "ok":
            return payload
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "format":
            raise NotRepresentable(payload)
        raise QueryEvaluationError(payload)

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker (stuck or dead); keep ``size`` warm ones."""
        with self._lock:
            self.killed += 1
            self._workers.discard(worker)
            refill = not self._closed and len(self._workers) < self.size
        worker.kill()
        if refill:
            self._idle.put(self._spawn())

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.kill()


def limit_memory(memory_mb: int) -> None:
    """Cap this process's data memory (``RLIMIT_DATA``): an allocation past it aborts the process.

    pyoxigraph cannot bound the memory of a query (a sort over a cross join grows
    by hundreds of MB a second); the cap turns "the machine runs out of memory"
    into "this worker dies", which the pool reports and repairs.
    """
    import resource

    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


if __name__ == "__main__":
    limit_memory(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    _worker_main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
