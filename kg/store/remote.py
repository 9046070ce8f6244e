"""The remote store: backchannel on an existing SPARQL 1.1 engine (Oxigraph server, Virtuoso, QLever, Fuseki, GraphDB).

:class:`RemoteStore` implements :class:`kg.store.base.Store` over the SPARQL 1.1
Protocol (queries and updates over HTTP) and, where the engine has one, the
Graph Store Protocol (bulk loads and full exports). ``open_store`` opens one
for a ``sparql+http(s)://…`` location.

Where the endpoints are
    The location is the query endpoint, except that a server root
    (``http://host:7878``, no path) means the Oxigraph server layout: queries at
    ``/query``, updates at ``/update``, Graph Store at ``/store``. Updates go
    to ``…/update`` when the query URL ends in ``/query`` (Oxigraph, Fuseki),
    else to the query URL itself (Virtuoso ``/sparql``, QLever); ``update_url``
    overrides this. Credentials come from ``user``/``password`` or from the
    URL (``http://user:secret@host/sparql``); they are sent as HTTP basic auth.

The union default graph (``union_default_graph``)
    backchannel queries run over the union of all graphs. Engines differ:

    * ``"param"`` (default): send Oxigraph's ``union-default-graph`` URL
      parameter with every query. For the Oxigraph server (or start it with
      ``--union-default-graph`` and use ``"native"``).
    * ``"native"``: the engine's default graph already is the union of all
      graphs: Virtuoso (queries without FROM see every graph), GraphDB/RDF4J,
      QLever, Fuseki/TDB2 with ``tdb2:unionDefaultGraph true``, Oxigraph with
      ``--union-default-graph``. The real default graph cannot be addressed on
      its own there, so the dataset is taken to be its named graphs.
    * ``"listed"``: name the dataset in every query: each named graph (not
      ``hidden_graphs``) as both ``default-graph-uri`` and ``named-graph-uri``.
      Exact on any engine, at the cost of a graph listing per version and
      longer requests. Best for Virtuoso, whose own union default graph also
      holds its system graphs.
    * an IRI, e.g. ``"urn:x-arq:UnionGraph"`` (Fuseki/TDB without that
      setting): sent as ``default-graph-uri`` with every query.

Time limits and retries
    Every request has an httpx timeout and a deadline checked while the answer
    streams in, so no request runs unbounded: a query past its limit raises
    :class:`~kg.store.base.QueryTimeout` (an answer that stalls just before the
    deadline can take up to one more read timeout). A client that gives up does
    not stop the engine: set the engine's own query timeout (Oxigraph
    ``--timeout-s``, Virtuoso ``MaxQueryExecutionTime``, Fuseki
    ``arq:queryTimeout``) too. Reads are retried with exponential back-off on
    connection errors and HTTP 502/503/504; writes only on connection errors
    and 503 (a 502/504 write may have been applied). 4xx answers are never
    retried: 400 is a :class:`~kg.store.base.QuerySyntaxError` with the engine's
    message.

Versions
    ``version`` is a counter bumped by this store's writes plus a fingerprint
    of the remote data (quad count and graph count), re-read at most every
    ``fingerprint_interval`` seconds, so writes by others are noticed within
    that interval, unless they keep both counts equal (a triple replaced by
    another); after such a write, ETags stay stale until the next own write.

Limits
    Writes larger than ``chunk_size`` quads go in several requests: readers
    may see a partly written graph meanwhile, and a failure half way leaves it
    partly written (the error says so). Quads that share a blank node always go
    in the same request. Graph listings and full reads without a Graph Store
    endpoint are paged with ORDER BY/LIMIT/OFFSET, which assumes the engine
    labels blank nodes the same way in every page (Oxigraph and Virtuoso do).
    Bound variables (``bindings``, ``substitutions``) cannot be blank nodes.
    ``execute`` asks the engine for SPARQL JSON results or N-Triples whatever
    format the request wants, then cuts at ``max_rows`` and writes the
    requested format itself, so answers are the same as the embedded store's.
    Queries and updates are sent as HTML forms (every engine takes those).

Engines
    Oxigraph server: ``sparql+http://host:7878`` (defaults fit; run it with
    ``--timeout-s``). Virtuoso 7: ``sparql+http://host:8890/sparql`` with
    ``union_default_graph="listed"`` and ``hidden_graphs=VIRTUOSO_GRAPHS``;
    grant updates with ``GRANT SPARQL_UPDATE TO "SPARQL";`` (or use an
    authenticated endpoint), raise ``[SPARQL] ResultSetMaxRows`` above
    backchannel's ``max_rows`` (Virtuoso cuts answers there silently), and
    expect it to rewrite some literals (``true`` becomes ``1``, durations
    become months). Its blank-node names (``nodeID://b1``) are read as
    ``b1``, and its "anytime" partial answers become a ``QueryTimeout``.
    Fuseki: ``sparql+http://host:3030/ds/query`` (updates at ``/ds/update``),
    union as above.

>>> store = RemoteStore("http://127.0.0.1:7878")
>>> store.endpoints.query, store.endpoints.update, store.endpoints.graph_store
('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
>>> RemoteStore("https://u:pw@dbpedia.example/sparql").endpoints.update
'https://dbpedia.example/sparql'
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import anyio.to_thread
import pyoxigraph as ox

from kg.store import sparql_text as text
from kg.store.base import (
    QueryEvaluationError,
    QueryRequest,
    QueryResponse,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    Term,
    UpdateFailed,
    UpdateSyntaxError,
    quad_of,
    term_value,
)
from kg.store.formats import GRAPH_TYPES, parse_rdf
from kg.store.nesting import check_nesting
from kg.store.remote_http import (
    VIRTUOSO_GRAPHS,
    Answer,
    Body,
    Endpoints,
    RemoteUnavailable,
    SparqlClient,
    endpoints,
    file_chunks,
    media_type_of,
    split_credentials,
)
from kg.store.results import parse_term, write_ask, write_graph, write_select

UNION_MODES = ("param", "native", "listed")



class RemoteStore:
    """A :class:`kg.store.base.Store` on a remote SPARQL 1.1 engine (see the module documentation)."""

    def __init__(
        self,
        url: str,
        *,
        update_url: str | None = None,
        graph_store_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_backoff: float = 4.0,
        union_default_graph: str = "param",
        chunk_size: int = 5000,
        page_size: int = 10_000,
        fingerprint_interval: float = 5.0,
        bulk_timeout: float = 3600.0,
        max_connections: int = 16,
        hidden_graphs: Iterable[str] = (),
    ) -> None:
        self._recipe: tuple[str, dict[str, Any]] = (url, {
            "update_url": update_url, "graph_store_url": graph_store_url, "user": user, "password": password,
            "timeout": timeout, "retries": retries, "backoff": backoff, "max_backoff": max_backoff,
            "union_default_graph": union_default_graph, "chunk_size": chunk_size, "page_size": page_size,
            "fingerprint_interval": fingerprint_interval, "bulk_timeout": bulk_timeout,
            "max_connections": max_connections, "hidden_graphs": tuple(hidden_graphs)})
        clean, url_user, url_password = split_credentials(url)
        self.endpoints = endpoints(clean, update_url, graph_store_url)
        if union_default_graph not in UNION_MODES and not union_default_graph.startswith(("http", "urn:")):
            raise StoreError(
                f"union_default_graph must be 'param', 'native', 'listed' or a graph IRI, not {union_default_graph!r}"
            )
        self.union_default_graph = union_default_graph
        self.timeout = timeout
        self.chunk_size = chunk_size
        self.page_size = page_size
        self.fingerprint_interval = fingerprint_interval
        self.bulk_timeout = bulk_timeout
        self.hidden_graphs = tuple(hidden_graphs)
        self._listed: tuple[str, list[str]] | None = None
        user = user if user is not None else url_user
        password = password if password is not None else url_password
        self.http = SparqlClient(self.endpoints, user=user, password=password, retries=retries, backoff=backoff,
                                 max_backoff=max_backoff, max_connections=max_connections)
        self._boot = secrets.token_hex(4)
        self._counter = 0
        self._last_modified = time.time()
        self._fingerprint = "0"
        self._checked_at = float("-inf")
        self._backoff = 1.0  # doubles while counting fails or times out
        self._after_write = False
        self._fingerprint_lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"RemoteStore({self.endpoints.query!r})"

    def __reduce__(self) -> tuple[object, tuple[str]]:
        """Pickled as the recipe to connect again (a worker process opens its own connections), not as state.

        >>> import pickle
        >>> pickle.loads(pickle.dumps(RemoteStore("http://127.0.0.1:7878", union_default_graph="native")))
        RemoteStore('http://127.0.0.1:7878/query')
        """
        url, options = self._recipe
        return functools.partial(RemoteStore, **options), (url,)

    # --- versions --------------------------------------------------------
    @property
    def version(self) -> str:
        self._refresh_fingerprint()
        return f"{self._boot}-{self._counter}-{self._fingerprint}"

    @property
    def last_modified(self) -> float:
        self._refresh_fingerprint()
        return self._last_modified

    def _refresh_fingerprint(self) -> None:
        """Re-read the remote data's counts when the last reading is older than the interval.

        The first reading, and the first after each of our own writes, is taken in the calling thread (the
        version must mean something, and settle in one step after a write); later ones in a background thread,
        so no request waits for a count over a large graph: requests meanwhile use the last reading. A count
        that fails or times out doubles the interval (up to 5 minutes) instead of rescanning.
        """
        if self._fingerprint == "0" or self._after_write:
            # The first reading, or the first after our own write: read it here, after any reading under way,
            # so the version settles in one step (a later background reading would change it a second time).
            self._fingerprint_lock.acquire()
            self._after_write = False
            self._read_fingerprint()
            return
        if time.monotonic() - self._checked_at < self.fingerprint_interval * self._backoff:
            return
        if self._closed or not self._fingerprint_lock.acquire(blocking=False):
            return  # another thread is reading it (use the current value), or the store is closed
        threading.Thread(target=self._read_fingerprint, name="backchannel-fingerprint", daemon=True).start()

    def _read_fingerprint(self) -> None:
        """Count quads and graphs; releases the fingerprint lock (held by the caller) when done."""
        try:
            query = f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?g) AS ?graphs) {{ {self._quad_pattern()} }}"
            try:
                rows = self._select(query, timeout=min(self.timeout, 5.0), union=False, retries=0)
                graphs = self._select(f"SELECT (COUNT(*) AS ?n) {{ {self._graph_pattern('?g')} }}",
                                      timeout=min(self.timeout, 5.0), union=False, retries=0)
            except (StoreError, QueryTimeout, QueryEvaluationError, QuerySyntaxError):
                self._backoff = min(self._backoff * 2, 300.0 / max(self.fingerprint_interval, 1.0))  # ask less often
                return  # keep the last reading
            finally:
                self._checked_at = time.monotonic()
            self._backoff = 1.0
            counts = [str(row.get(k)) for row in rows + graphs for k in ("n", "graphs")]
            fingerprint = hashlib.sha1("|".join(counts).encode()).hexdigest()[:8]
            if fingerprint != self._fingerprint:
                if self._fingerprint != "0":
                    self._last_modified = time.time()
                self._fingerprint = fingerprint
        finally:
            self._fingerprint_lock.release()

    def _changed(self) -> None:
        self._counter += 1
        self._last_modified = time.time()
        self._after_write = True

    # --- HTTP ------------------------------------------------------------
    def _query_params(self, union: bool, default_graphs: Iterable[str] = (), named_graphs: Iterable[str] = ()
                      ) -> list[tuple[str, str]]:
        params = [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]
        if union and not params:
            if self.union_default_graph == "param":
                params.append(("union-default-graph", ""))
            elif self.union_default_graph == "listed":
                graphs = self._listed_graphs()
                params += [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
            elif self.union_default_graph != "native":
                params.append(("default-graph-uri", self.union_default_graph))
        return params

    def _listed_graphs(self) -> list[str]:
        """The named graphs, listed again when the version changes (for ``union_default_graph="listed"``)."""
        version = self.version
        cached = self._listed
        if cached is None or cached[0] != version:
            cached = (version, self.graph_names() or ["urn:x-backchannel:no-graph"])
            self._listed = cached
        return cached[1]

    def _run_query(self, query: str, *, timeout: float, union: bool = True, max_rows: int | None = None,
                   default_graphs: Iterable[str] = (), named_graphs: Iterable[str] = (),
                   retries: int | None = None) -> Answer:
        """Send a query with the dataset parameters this store's union mode needs, and parse its answer."""
        params = self._query_params(union, default_graphs, named_graphs)
        return self.http.query(query, params, timeout=timeout, max_rows=max_rows, retries=retries)

    def _select(self, query: str, *, timeout: float | None = None, union: bool = True,
                retries: int | None = None) -> list[dict[str, Term]]:
        answer = self._run_query(query, timeout=timeout or self.timeout, union=union, retries=retries)
        if answer.kind != "select":
            raise QueryEvaluationError("not a SELECT query")
        return [{k: v for k, v in row.items() if v is not None} for row in answer.rows]

    # --- queries ---------------------------------------------------------
    async def execute_async(self, request: QueryRequest, timeout: float) -> QueryResponse:
        """:meth:`execute` in a thread (the HTTP client blocks)."""
        return await anyio.to_thread.run_sync(self.execute, request, timeout)

    def execute(self, request: QueryRequest, timeout: float) -> QueryResponse:
        check_nesting(request.query)  # refuse what would crash an embedded parser, on every backend alike
        try:
            bindings = {name: parse_term(term) for name, term in request.substitutions}
            query = text.bind_values(request.query, bindings)
            prologue = text.prologue(request.base_iri, request.prefixes, text.declared_prefixes(query))
        except (SyntaxError, ValueError) as err:
            raise QuerySyntaxError(str(err)) from None
        try:
            answer = self._run_query(prologue + query, timeout=timeout, max_rows=request.max_rows,
                                     default_graphs=request.default_graphs, named_graphs=request.named_graphs)
        except QuerySyntaxError as err:
            raise QuerySyntaxError(text.shift_columns(str(err), len(prologue))) from None
        if answer.kind == "ask":
            return QueryResponse("ask", write_ask(answer.boolean, request.select_type), request.select_type, 1)
        if answer.kind == "select":
            body = write_select(answer.variables, answer.rows, request.select_type)
            return QueryResponse("select", body, request.select_type, len(answer.rows), answer.truncated)
        body = write_graph(answer.triples, request.graph_type, dict(request.prefixes))
        return QueryResponse("graph", body, request.graph_type, len(answer.triples), answer.truncated)

    def _trusted(self, query: str, bindings: Mapping[str, Term] | None) -> Answer:
        try:
            query = text.bind_values(query, bindings)
        except ValueError as err:
            raise QuerySyntaxError(str(err)) from None
        return self._run_query(query, timeout=self.timeout)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        answer = self._trusted(query, bindings)
        if answer.kind != "select":
            raise QueryEvaluationError("not a SELECT query")
        return [{k: v for k, v in row.items() if v is not None} for row in answer.rows]

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        answer = self._trusted(query, bindings)
        if answer.kind != "ask":
            raise QueryEvaluationError("not an ASK query")
        return answer.boolean

    def construct(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        answer = self._trusted(query, bindings)
        if answer.kind != "graph":
            raise QueryEvaluationError("not a CONSTRUCT or DESCRIBE query")
        return answer.triples

    # --- graphs ----------------------------------------------------------
    def graph_names(self) -> list[str]:
        rows = self._select(f"SELECT DISTINCT ?g {{ {self._graph_pattern('?g')} }}", union=False)
        graphs = [row.get("g") for row in rows]
        return sorted(g.value for g in graphs if isinstance(g, ox.NamedNode) and not self._hidden(g.value))

    def has_graph(self, graph: str | None) -> bool:
        if graph is None:
            return True
        answer = self._run_query(f"ASK {{ {self._graph_pattern(str(ox.NamedNode(graph)))} }}",
                                 timeout=self.timeout, union=False)
        return answer.boolean

    def _hidden(self, graph: str) -> bool:
        """Whether a graph is the engine's own (``hidden_graphs``), left out of listings and exports."""
        return bool(self.hidden_graphs) and graph.startswith(self.hidden_graphs)

    def _graph_pattern(self, graph: str) -> str:
        """A pattern for the named graphs: with the Oxigraph server (``"param"``) empty graphs count too;
        other engines only know graphs through their triples (and Virtuoso cannot answer ``GRAPH ?g {}``)."""
        return f"GRAPH {graph} {{}}" if self.union_default_graph == "param" else f"GRAPH {graph} {{ ?s ?p ?o }}"

    def _quad_pattern(self) -> str:
        """A pattern matching every quad once: the named graphs, plus the default graph where it is separate."""
        named = "GRAPH ?g { ?s ?p ?o }"
        return f"{{ ?s ?p ?o }} UNION {{ {named} }}" if self.union_default_graph == "param" else named

    def __len__(self) -> int:
        """Number of quads (as ``len`` of the embedded store)."""
        rows = self._select(f"SELECT (COUNT(*) AS ?n) {{ {self._quad_pattern()} }}", union=False)
        return int(term_value(rows[0]["n"]))

    def _paged(self, pattern: str, variables: str) -> Iterator[dict[str, Term]]:
        """Every solution of ``pattern``, in pages of ``page_size`` ordered by ``variables``."""
        offset = 0
        while True:
            query = (f"SELECT {variables} {{ {pattern} }} ORDER BY {variables} "
                     f"LIMIT {self.page_size} OFFSET {offset}")
            rows = self._select(query, union=False)
            yield from rows
            if len(rows) < self.page_size:
                return
            offset += self.page_size

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        pattern = f"GRAPH {target} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        return [quad_of(r["s"], r["p"], r["o"], target) for r in self._paged(pattern, "?s ?p ?o")]

    def quads(self) -> Iterator[ox.Quad]:
        if self.endpoints.graph_store:
            return self._export()
        return self._paged_quads()

    def _paged_quads(self) -> Iterator[ox.Quad]:
        if self.union_default_graph == "param":
            for row in self._paged("?s ?p ?o", "?s ?p ?o"):
                yield quad_of(row["s"], row["p"], row["o"])
        for row in self._paged("GRAPH ?g { ?s ?p ?o }", "?g ?s ?p ?o"):
            if not self._hidden(term_value(row["g"])):
                yield quad_of(row["s"], row["p"], row["o"], row["g"])

    def _export(self) -> Iterator[ox.Quad]:
        """Stream the whole dataset from the Graph Store endpoint as N-Quads."""
        assert self.endpoints.graph_store is not None
        deadline = time.monotonic() + self.bulk_timeout
        request = self.http.client.build_request("GET", self.endpoints.graph_store,
                                             headers={"Accept": "application/n-quads"})
        response = self.http.send(request, deadline, self.bulk_timeout)
        try:
            if media_type_of(response) != "application/n-quads":
                raise QueryEvaluationError(f"the Graph Store endpoint answered {media_type_of(response)}, "
                                           "not application/n-quads")
            try:
                body = Body(response, deadline, self.bulk_timeout)
                # pyoxigraph reads any binary file object; its stub names only typing.IO (io.RawIOBase is not one)
                for quad in ox.parse(body, format=ox.RdfFormat.N_QUADS):  # type: ignore[arg-type]
                    if not (isinstance(quad.graph_name, ox.NamedNode) and self._hidden(quad.graph_name.value)):
                        yield quad
            except SyntaxError as err:
                raise QueryEvaluationError(f"the export of the Graph Store endpoint could not be read: {err}"
                                           ) from None
        finally:
            response.close()

    # --- writes ----------------------------------------------------------
    def _post_update(self, sparql: str, timeout: float | None = None) -> None:
        self.http.update(sparql, min(timeout, self.timeout) if timeout else self.timeout)

    def update(self, sparql: str, timeout: float | None = None) -> None:
        try:
            check_nesting(sparql)
            self._post_update(sparql, timeout)
        except QuerySyntaxError as err:
            raise UpdateSyntaxError(str(err)) from None
        except QueryEvaluationError as err:
            raise UpdateFailed(str(err)) from None
        finally:
            self._changed()

    def _write(self, operations: list[str], quads: Iterable[ox.Quad]) -> None:
        """Run ``operations`` then insert ``quads``; the first chunk goes in the same request as the operations."""
        batches = text.chunks(quads, self.chunk_size)
        requests = [" ;\n".join(operations + ([text.insert_data(batches[0])] if batches else []))]
        requests += [text.insert_data(batch) for batch in batches[1:]]
        done = 0
        try:
            for body in requests:
                if body:
                    self._post_update(body)
                done += 1
        except (StoreError, QueryTimeout, QueryEvaluationError, QuerySyntaxError) as err:
            if done:
                raise StoreError(f"the write stopped after {done} of {len(requests)} requests; the graphs it "
                                 f"touched are partly written: {err}") from err
            raise
        finally:
            self._changed()

    def replace_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        quads = parse_rdf(data, media_type, graph, base_iri)
        self._write([text.drop(graph)], quads)

    def add_to_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        quads = parse_rdf(data, media_type, graph, base_iri)
        if not quads and graph:
            self._write([f"CREATE SILENT GRAPH {ox.NamedNode(graph)}"], [])
        elif quads:
            self._write([], quads)

    def drop_graph(self, graph: str | None) -> None:
        self._write([text.drop(graph)], [])

    def replace_graphs(self, remove: Iterable[str], quads: Iterable[ox.Quad]) -> None:
        self._write([text.drop(g) for g in remove], quads)

    def bulk_load(self, path: str, media_type: str, graph: str | None = None) -> None:
        """Load a large file: streamed to the Graph Store endpoint if there is one, else in INSERT DATA chunks."""
        if media_type not in GRAPH_TYPES:
            raise StoreError(f"unsupported RDF media type {media_type!r}; use one of {', '.join(GRAPH_TYPES)}")
        if not self.endpoints.graph_store:
            with open(path, "rb") as source:
                self._write([], parse_rdf(source.read(), media_type, graph))
            return
        params = {"graph": graph} if graph else ({} if media_type in ("application/n-quads", "application/trig")
                                                 else {"default": ""})
        with open(path, "rb") as source:
            request = self.http.client.build_request("POST", self.endpoints.graph_store, params=params,
                                                 content=file_chunks(source),
                                                 headers={"Content-Type": media_type})
            try:
                self.http.send(request, time.monotonic() + self.bulk_timeout, self.bulk_timeout, write=True,
                           retries=0).close()
            except QuerySyntaxError as err:
                raise StoreError(f"the Graph Store endpoint rejected {path}: {err}") from None
            finally:
                self._changed()

    def close(self) -> None:
        """Close the connections, after a background count under way (at most a few seconds: its limit)."""
        self._closed = True
        waited = self._fingerprint_lock.acquire(timeout=min(self.timeout, 5.0) * 2 + 1)
        try:
            self.http.close()
        finally:
            if waited:
                self._fingerprint_lock.release()



__all__ = ["VIRTUOSO_GRAPHS", "Endpoints", "RemoteStore", "RemoteUnavailable", "endpoints"]
