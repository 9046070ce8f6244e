"""The store's contract: what backchannel needs from a store of RDF quads, the query it runs, and its errors.

Everything above the store (the build, paths, the service) talks to a :class:`Store`; two classes implement it,
:class:`kg.store.embedded.OxigraphStore` and :class:`kg.store.remote.RemoteStore`. Terms are pyoxigraph terms
whichever implementation is used.

>>> QueryRequest("ASK {}").select_type
'application/sparql-results+json'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
"""An RDF term as pyoxigraph gives it."""


def term_value(term: Term) -> str:
    """The IRI, blank node label or lexical form of a term (a triple term in N-Triples syntax).

    >>> term_value(ox.NamedNode("http://ex/a")), term_value(ox.Literal("1"))
    ('http://ex/a', '1')
    >>> term_value(ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("1")))
    '<http://ex/a> <http://ex/p> "1"'
    """
    return str(term) if isinstance(term, ox.Triple) else term.value


def quad_of(s: Term, p: Term, o: Term, g: Term | ox.DefaultGraph | None = None) -> ox.Quad:
    """The quad of terms a query bound to ``?s ?p ?o ?g``; TypeError where RDF has none (a literal subject).

    >>> print(quad_of(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("1")))
    <http://ex/a> <http://ex/p> "1"
    >>> quad_of(ox.Literal("1"), ox.NamedNode("http://ex/p"), ox.Literal("1"))
    Traceback (most recent call last):
    ...
    TypeError: not a quad: "1" <http://ex/p> "1"
    """
    if (isinstance(s, ox.Literal | ox.Triple) or not isinstance(p, ox.NamedNode)
            or isinstance(g, ox.Literal | ox.Triple)):
        raise TypeError(f"not a quad: {s} {p} {o}" + (f" {g}" if g is not None else ""))
    return ox.Quad(s, p, o, g)


class StoreError(RuntimeError):
    """The store could not be opened or written."""


class DataError(ValueError):
    """RDF data sent to the store could not be parsed (the message names the line)."""


@runtime_checkable
class Store(Protocol):
    """What backchannel needs from a store of RDF quads.

    ``graph`` arguments are graph IRIs; ``None`` means the default graph.
    """

    @property
    def version(self) -> str:
        """Changes whenever the data changes (used for ETags and caches)."""

    @property
    def last_modified(self) -> float:
        """Unix time of the last change (or of opening)."""

    def execute(self, request: QueryRequest, timeout: float) -> QueryResponse:
        """Run an untrusted query under a time limit; the answer comes serialised (blocks the calling thread)."""

    async def execute_async(self, request: QueryRequest, timeout: float) -> QueryResponse:
        """:meth:`execute` from an event loop, without holding the loop up."""

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[dict[str, Term]]:
        """Run a trusted SELECT over the union of all graphs."""

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        """Run a trusted ASK over the union of all graphs."""

    def construct(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        """Run a trusted CONSTRUCT or DESCRIBE over the union of all graphs."""

    def update(self, sparql: str, timeout: float | None = None) -> None:
        """Run a SPARQL 1.1 Update in one transaction; with ``timeout``, an update running longer is stopped
        (:class:`QueryTimeout`) and changes nothing."""

    def graph_names(self) -> list[str]:
        """IRIs of the named graphs, sorted."""

    def has_graph(self, graph: str | None) -> bool:
        """Whether the graph exists (the default graph always does)."""

    def graph_quads(self, graph: str | None) -> list[ox.Quad]:
        """Every quad of one graph."""

    def quads(self) -> Iterator[ox.Quad]:
        """Every quad of the dataset."""

    def replace_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        """Replace a graph's content by the parsed ``data``, atomically; nothing changes if it does not parse."""

    def add_to_graph(self, graph: str | None, data: bytes, media_type: str, base_iri: str | None = None) -> None:
        """Add the parsed ``data`` to a graph, atomically."""

    def drop_graph(self, graph: str | None) -> None:
        """Remove a named graph (or empty the default graph)."""

    def replace_graphs(self, remove: Iterable[str], quads: Iterable[ox.Quad]) -> None:
        """Drop the graphs ``remove`` and add ``quads`` (used by the build)."""

    def close(self) -> None:
        """Release files, workers and connections."""



class QueryTimeout(Exception):
    """The query ran past its time limit and was stopped."""


class NotRepresentable(ValueError):
    """The answer cannot be written in the format asked for (a character XML 1.0 forbids, for an XML format)."""


class QueryBusy(Exception):
    """Every worker is busy and the waiting queue is full."""


class QuerySyntaxError(ValueError):
    """The query is not valid SPARQL (message has the line and column).

    ``operation`` says what was parsed: a ``query`` or an ``update``.
    """

    operation = "query"


class UpdateSyntaxError(QuerySyntaxError):
    """The update is not valid SPARQL."""

    operation = "update"


class QueryEvaluationError(RuntimeError):
    """The query is valid but failed while running."""

    operation = "query"


class UpdateFailed(QueryEvaluationError):
    """The update is valid but failed while running (nothing was changed)."""

    operation = "update"


class WorkerDied(QueryEvaluationError):
    """The query worker process died while running the query (it may have needed too much memory)."""


QueryKind = Literal["select", "ask", "graph"]


@dataclass(frozen=True)
class QueryRequest:
    """A SPARQL query and how to run it.

    ``default_graphs``/``named_graphs`` are the protocol's dataset parameters;
    without them the default graph is the union of all graphs.
    ``substitutions`` binds variables to terms written in N-Triples syntax.
    """

    query: str
    select_type: str = "application/sparql-results+json"
    graph_type: str = "text/turtle"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    substitutions: tuple[tuple[str, str], ...] = ()
    max_rows: int = 10_000
    base_iri: str | None = None
    prefixes: tuple[tuple[str, str], ...] = ()
    max_bytes: int = 32 * 1024 * 1024
    """Answers are cut (and say so) before their terms pass this size: rows of huge literals cannot flood the server."""


@dataclass(frozen=True)
class QueryResponse:
    """The serialised answer to a :class:`QueryRequest`."""

    kind: QueryKind
    body: bytes
    media_type: str
    rows: int
    truncated: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

