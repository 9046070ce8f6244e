"""Run SPARQL queries in worker processes that can be killed at a time limit.

pyoxigraph has no query timeout or cancellation, so a query that must be
stoppable runs in a separate process (a :class:`kg.pool.ProcessPool`). Each
worker opens a read-only snapshot of the store (a RocksDB checkpoint, or an
N-Quads file for an in-memory store), answers requests sent over a pipe, and is
killed and replaced when a request runs past its limit.

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

from dataclasses import dataclass
from itertools import islice
from typing import IO, Literal, cast

import pyoxigraph as ox

from kg import pool_loop
from kg.pool import Context, Handler, PoolErrors, ProcessPool, serve
from kg.store.base import (
    NotRepresentable,
    QueryBusy,
    QueryEvaluationError,
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    QueryTimeout,
    Term,
    UpdateFailed,
    UpdateSyntaxError,
    WorkerDied,
)


@dataclass(frozen=True)
class Snapshot:
    """A read-only copy of the store at one version: a checkpoint directory or an N-Quads file."""

    path: str
    kind: Literal["rocksdb", "nquads"]
    version: str = ""
    """The store's version it copies."""


@dataclass(frozen=True)
class UpdateTrial:
    """A job for a query worker: run ``sparql`` on a writable copy of ``snapshot`` (a private checkpoint, or the
    version's N-Quads loaded into memory) and throw the copy away; raise what the update raises. See
    :mod:`kg.store.updates`."""

    snapshot: Snapshot
    sparql: str


def open_snapshot_store(snapshot: Snapshot) -> ox.Store:
    """Open a snapshot read-only (a checkpoint) or load it into memory (an N-Quads file)."""
    if snapshot.kind == "rocksdb":
        return ox.Store.read_only(snapshot.path)
    store = ox.Store()
    store.bulk_load(path=snapshot.path, format=ox.RdfFormat.N_QUADS)
    return store


def execute(store: ox.Store, request: QueryRequest) -> QueryResponse:
    """Run ``request`` on a pyoxigraph store and serialise the answer (used inside the workers).

    SELECT answers in SPARQL JSON are written by pyoxigraph itself (no Python object per row or term) and
    read back natively to count their rows; only an answer past ``max_rows`` or ``max_bytes`` (cut, and said so)
    or in XML or CSV is written row by row in Python (:mod:`kg.store.results`).
    """
    from kg.store.results import write_ask, write_graph

    try:
        result = _evaluate(store, request)
        if isinstance(result, ox.QueryBoolean):
            return QueryResponse("ask", write_ask(bool(result), request.select_type), request.select_type, 1)
        if isinstance(result, ox.QuerySolutions):
            native = _native_select(result, request)
            return native if native is not None else _select(_evaluate(store, request), request)
        assert isinstance(result, ox.QueryTriples)
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


def _evaluate(store: ox.Store, request: QueryRequest) -> object:
    """The result iterator (or boolean) of ``request`` on ``store``."""
    from kg.store.results import parse_term

    # The protocol's dataset (named graphs alone: the default graph is empty, SPARQL 1.1 Query 13.2); else the union.
    dataset = bool(request.default_graphs or request.named_graphs)
    substitutions = {ox.Variable(k): parse_term(v) for k, v in request.substitutions}
    return store.query(
        request.query,
        base_iri=request.base_iri,
        prefixes=dict(request.prefixes) or None,
        use_default_graph_as_union=not dataset,
        default_graph=[ox.NamedNode(g) for g in request.default_graphs] if dataset else None,
        named_graphs=[ox.NamedNode(g) for g in request.named_graphs] if dataset else None,
        substitutions=substitutions or None,
    )


NATIVE_SELECT = {"application/sparql-results+json": ox.QueryResultsFormat.JSON,
                 "application/json": ox.QueryResultsFormat.JSON}
"""SELECT result types pyoxigraph writes and reads back, to the same answers as :func:`kg.store.results.write_select`
(CSV cannot be read back, XML must be checked for characters XML 1.0 forbids, and pyoxigraph's TSV writes numbers
in their short form)."""


class _Capped:
    """A binary writer that refuses to grow past ``limit`` bytes (pyoxigraph writes an answer into it)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0
        self.over = False

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            self.over = True
            raise OSError("the answer passed its size limit")
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered here."""


def _native_select(result: ox.QuerySolutions, request: QueryRequest) -> QueryResponse | None:
    """The answer written by pyoxigraph, or None when it must be written in Python (its format, or a cut)."""
    from kg.store.results import write_select

    fmt = NATIVE_SELECT.get(request.select_type)
    if fmt is None:
        return None
    out = _Capped(request.max_bytes)
    try:
        result.serialize(cast(IO[bytes], out), format=fmt)
    except OSError:
        if out.over:
            return None  # written again in Python, cut at max_bytes
        raise
    body = b"".join(out.parts)
    solutions = ox.parse_query_results(body, format=fmt)
    assert isinstance(solutions, ox.QuerySolutions)
    rows = 0
    for _ in solutions:
        rows += 1
        if rows > request.max_rows:  # cut at max_rows: the first rows, written in Python
            again = ox.parse_query_results(body, format=fmt)
            assert isinstance(again, ox.QuerySolutions)
            variables = [v.value for v in again.variables]
            kept = [{v: solution[v] for v in variables} for solution in islice(again, request.max_rows)]
            return QueryResponse("select", write_select(variables, kept, request.select_type), request.select_type,
                                 len(kept), True)
    return QueryResponse("select", body, request.select_type, rows)


def _select(result: object, request: QueryRequest) -> QueryResponse:
    """A SELECT answer written row by row, cut at ``max_rows`` rows or ``max_bytes`` of terms."""
    from kg.store.results import write_select

    assert isinstance(result, ox.QuerySolutions)
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


def try_update(snapshot: Snapshot, sparql: str) -> None:
    """Run an update on a writable copy of ``snapshot`` (see :mod:`kg.store.updates`); raise what it raises."""
    if snapshot.kind == "rocksdb":
        store = ox.Store(snapshot.path)  # a private checkpoint, made for this trial and removed after it
    else:
        store = ox.Store()
        store.bulk_load(path=snapshot.path, format=ox.RdfFormat.N_QUADS)
    try:
        store.update(sparql)
    except SyntaxError as err:
        raise UpdateSyntaxError(str(err)) from None
    except (OSError, RuntimeError, ValueError) as err:
        raise UpdateFailed(str(err)) from None
    finally:
        del store


def _handler() -> Handler:
    """The handler of a query worker: open the job's snapshot (kept open while jobs use it), run the request;
    or try an update on a copy (:class:`kg.store.updates.UpdateTrial`)."""
    opened: list[tuple[Snapshot, ox.Store]] = []

    def handle(job: tuple[Snapshot, QueryRequest] | UpdateTrial, context: Context) -> QueryResponse | None:
        if isinstance(job, UpdateTrial):
            try_update(job.snapshot, job.sparql)
            return None
        snapshot, request = job
        if not opened or opened[0][0] != snapshot:
            context.preparing()  # a new version: opening (or loading) it does not count against the query's limit
            opened.clear()  # let the old store close before opening the new one
            try:
                opened.append((snapshot, open_snapshot_store(snapshot)))
            except (OSError, ValueError) as err:
                raise QueryEvaluationError(f"cannot open the snapshot: {err}") from None
            context.ready()  # opened: the query's own time limit starts now
        try:
            return execute(opened[0][1], request)
        except (QuerySyntaxError, NotRepresentable):
            raise
        except (OSError, ValueError, TypeError) as err:  # a bad request (a malformed term) is the request's fault
            raise QueryEvaluationError(str(err)) from None

    return handle


QUERY_ERRORS = PoolErrors(busy=QueryBusy, timeout=QueryTimeout, died=WorkerDied, what="query")


class QueryPool:
    """Query worker processes (a :class:`kg.pool.ProcessPool`): ``size`` kept warm, up to ``max_size`` at once; a
    query past its limit kills its worker.

    When every worker is busy a new one is started (up to ``max_size``), so a few runaway queries cannot starve
    light ones: the operating system shares the cores between them, and each runaway is killed at its limit.
    Beyond ``max_size`` up to ``max_waiting`` queries wait for a worker; more get :class:`QueryBusy`. ``run``
    blocks the calling thread (call it from a thread pool, never from the event loop); ``run_async`` waits on the
    event loop (:mod:`kg.pool_loop`), where at most ``width`` queries are evaluated at once.
    """

    def __init__(self, size: int = 2, max_waiting: int = 64, max_size: int = 16, memory_mb: int | None = None,
                 width: int | None = None) -> None:
        self.pool = ProcessPool("kg.store.workers", QUERY_ERRORS, size=size, max_size=max_size,
                                max_waiting=max_waiting, memory_mb=memory_mb, width=width)
        self.size = self.pool.size
        self.max_size = self.pool.max_size

    def __enter__(self) -> QueryPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def workers(self) -> int:
        """Worker processes alive now."""
        return self.pool.workers

    @property
    def killed(self) -> int:
        """Workers killed at a time limit or found dead, so far."""
        return self.pool.killed

    def snapshots_in_use(self) -> set[Snapshot]:
        """Snapshots that some worker holds open (they must not be deleted)."""
        return {s for s in self.pool.states_in_use() if isinstance(s, Snapshot)}

    def run(self, request: QueryRequest, snapshot: Snapshot, timeout: float) -> QueryResponse:
        """Run ``request`` against ``snapshot``; raise :class:`QueryTimeout` after ``timeout`` seconds.

        Every worker started from now on first opens ``snapshot`` (answering :data:`WARM_UP`), so the query that gets
        it does not wait for that.
        """
        self.pool.warm = ((snapshot, WARM_UP), snapshot)
        answer: QueryResponse = self.pool.run((snapshot, request), timeout, prepare_timeout=timeout, state=snapshot)
        return answer

    async def run_async(self, request: QueryRequest, snapshot: Snapshot, timeout: float) -> QueryResponse:
        """:meth:`run` from the running event loop, without a thread (:func:`kg.pool_loop.run`)."""
        self.pool.warm = ((snapshot, WARM_UP), snapshot)
        answer: QueryResponse = await pool_loop.run(self.pool, (snapshot, request), timeout, prepare_timeout=timeout,
                                                    state=snapshot)
        return answer

    def try_update(self, sparql: str, copy: Snapshot, timeout: float) -> None:
        """Run an update on a writable ``copy`` in a worker; raise what it raises, or :class:`QueryTimeout`."""
        self.pool.run(UpdateTrial(copy, sparql), timeout, state=copy)

    def close(self) -> None:
        """Stop every worker."""
        self.pool.close()


WARM_UP = QueryRequest("ASK {}")
"""What a new query worker answers first: it opens the current version and loads the answer writers."""


def worker_main() -> None:
    """A query worker (``python -m kg.pool kg.store.workers …``, started by the pool)."""
    serve(_handler())
