"""Paths between two things without loading the graph: bidirectional breadth-first search with SPARQL.

For a graph too large to hold in memory (the remote backend), the search
grows a frontier from each end with batched queries (``VALUES ?n { … }`` of up
to ``batch_size`` frontier nodes, both directions of every triple, literals
and ``rdf:type`` left out), always expanding the smaller frontier, until the
two meet. It returns every shortest path (up to ``max_paths``), each a list
of hops from the source to the target. It only uses :meth:`Store.select`, so
it runs on any :class:`kg.store.base.Store` (the embedded one too).

Blank nodes cannot be named in a query, so when a frontier node touches a
blank node the same round of queries also fetches the blank node's own
neighbours. A blank node next to no IRI is a dead end for the side that
reaches it, so a path can cross at most three blank nodes in a row (the two
sides meet on the middle one); longer chains of blank nodes are not followed.
Meeting at a blank node needs the engine to label it the same way in every
answer (Oxigraph and Virtuoso do). Only triples in named graphs are followed.

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://ex/g", b'''@prefix ex: <http://ex/> .
... ex:a ex:knows ex:b . ex:c ex:cites ex:b . ex:c ex:wrote [ ex:about ex:d ] .''', "text/turtle")
>>> [path.describe() for path in bidirectional_search(store, "http://ex/a", "http://ex/c")]
['<http://ex/a> knows <http://ex/b> <- cites <http://ex/c>']
>>> len(bidirectional_search(store, "http://ex/a", "http://ex/d")[0].hops)  # through the blank node
4
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pyoxigraph as ox

from kg.namespaces import RDF
from kg.store.base import Store, Term, term_value
from kg.store.sparql_text import sparql_term

Direction = Literal["forward", "backward"]
Node = ox.NamedNode | ox.BlankNode


@dataclass(frozen=True)
class Hop:
    """One step of a path: the triple as stored, and which way the path walks it.

    ``direction`` is ``"forward"`` when the path goes from ``subject`` to
    ``object``, ``"backward"`` when it goes from ``object`` to ``subject``.
    Nodes are IRIs, or ``_:label`` for a blank node; ``graphs`` are the named
    graphs (sources) that state the triple.
    """

    subject: str
    predicate: str
    object: str
    direction: Direction
    graphs: tuple[str, ...] = ()

    @property
    def forward(self) -> bool:
        """Whether the path walks the triple as stated (as ``kg.paths.search.Hop.forward``)."""
        return self.direction == "forward"

    @property
    def start(self) -> str:
        """The node the hop leaves from."""
        return self.subject if self.direction == "forward" else self.object

    @property
    def end(self) -> str:
        """The node the hop arrives at."""
        return self.object if self.direction == "forward" else self.subject


@dataclass(frozen=True)
class Path:
    """Hops from the source to the target, in order (no hops: the source is the target)."""

    hops: tuple[Hop, ...]

    def __len__(self) -> int:
        return len(self.hops)

    @property
    def length(self) -> int:
        """Number of hops (as ``kg.paths.search.Path.length``)."""
        return len(self.hops)

    @property
    def nodes(self) -> list[str]:
        """The nodes the path visits, source first."""
        return [self.hops[0].start, *(h.end for h in self.hops)] if self.hops else []

    def describe(self) -> str:
        """A one-line text form, for logs and tests: ``<a> p <b> <- q <c>``."""
        if not self.hops:
            return ""
        parts = [_show(self.hops[0].start)]
        for hop in self.hops:
            name = hop.predicate.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            parts.append(f"{name} {_show(hop.end)}" if hop.direction == "forward" else f"<- {name} {_show(hop.end)}")
        return " ".join(parts)


def _show(node: str) -> str:
    return node if node.startswith("_:") else f"<{node}>"


@dataclass
class SearchResult:
    """What :func:`search` found, and why it stopped."""

    paths: list[Path]
    length: int | None
    """Length of the shortest paths, None if none was found."""
    stopped: Literal["met", "exhausted", "max_length", "max_frontier", "time_budget"]
    """``met``: the frontiers met; ``exhausted``: a side ran out of nodes (no path at all);
    ``max_length``: no path up to ``max_length``; ``max_frontier``: a frontier grew too large to expand;
    ``time_budget``: the search ran out of time (each query also has the store's own time limit)."""
    queries: int = 0
    radius: int = 0
    """Hops explored from both ends together when the search stopped (``extra_layers`` explore past the meeting)."""
    complete: bool = True
    """Whether every path of at most ``min(max_length, length + extra_layers)`` hops lies in what was explored
    (false when a frontier cap or the end of the time budget stopped the layers past the meeting)."""


@dataclass(frozen=True)
class _Edge:
    """A triple as found, with its graphs."""

    subject: Node
    predicate: ox.NamedNode
    object: Node
    graphs: tuple[str, ...]

    def other(self, node: Node) -> Node:
        return self.object if self.subject == node else self.subject

    def hop(self, start: Node) -> Hop:
        return Hop(_name(self.subject), self.predicate.value, _name(self.object),
                   "forward" if self.subject == start else "backward", self.graphs)


def _name(node: Node) -> str:
    return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"


@dataclass
class _Side:
    """One end of the search: distances, parents (node → [(previous node, edge)]) and the current frontier."""

    start: Node
    dist: dict[Node, int] = field(default_factory=dict)
    parents: dict[Node, list[tuple[Node, _Edge]]] = field(default_factory=lambda: defaultdict(list))
    frontier: list[Node] = field(default_factory=list)
    radius: int = 0

    def __post_init__(self) -> None:
        self.dist[self.start] = 0
        self.frontier = [self.start]


def _filter(variable: str, predicate: str, excluded: Sequence[str]) -> str:
    listed = ", ".join(sparql_term(ox.NamedNode(p)) for p in excluded)
    return f"FILTER(!isLiteral({variable}) && {predicate} NOT IN ({listed}))"


def _neighbour_query(nodes: Sequence[ox.NamedNode], excluded: Sequence[str]) -> str:
    """Every triple between ``nodes`` and a non-literal (filters inside each branch: Virtuoso needs that)."""
    values = "VALUES ?n { " + " ".join(sparql_term(n) for n in nodes) + " }"
    keep = _filter("?m", "?p", excluded)
    return (
        "SELECT ?n ?p ?m ?g ?out {\n"
        f"  {{ {values} GRAPH ?g {{ ?n ?p ?m }} {keep} BIND(true AS ?out) }}\n"
        f"  UNION {{ {values} GRAPH ?g {{ ?m ?p ?n }} {keep} BIND(false AS ?out) }}\n}}"
    )


def _blank_query(nodes: Sequence[ox.NamedNode], excluded: Sequence[str]) -> str:
    """The neighbours of the blank nodes next to ``nodes`` (four branches: each way to and from the blank node)."""
    values = "VALUES ?n { " + " ".join(sparql_term(n) for n in nodes) + " }"
    listed = ", ".join(sparql_term(ox.NamedNode(p)) for p in excluded)
    branches = []
    for first in ("?n ?p ?b", "?b ?p ?n"):
        for second, out in (("?b ?p2 ?x", "true"), ("?x ?p2 ?b", "false")):
            branches.append(f"{{ {values} GRAPH ?g {{ {first} }} FILTER(isBlank(?b) && ?p NOT IN ({listed})) "
                            f"GRAPH ?g2 {{ {second} }} {_filter('?x', '?p2', excluded)} BIND({out} AS ?out) }}")
    return "SELECT DISTINCT ?b ?p2 ?x ?g2 ?out {\n  " + "\n  UNION ".join(branches) + "\n}"


def _edges(rows: Iterable[dict[str, Term]], node: str, predicate: str, other: str, graph: str
           ) -> dict[tuple[Node, ox.NamedNode, Node], set[str]]:
    """Group rows into triples (oriented by ``?out``) with the set of graphs stating each."""
    found: dict[tuple[Node, ox.NamedNode, Node], set[str]] = defaultdict(set)
    for row in rows:
        here, there, pred = row[node], row[other], row[predicate]
        if not isinstance(there, ox.NamedNode | ox.BlankNode) or here == there:
            continue
        if not isinstance(here, ox.NamedNode | ox.BlankNode) or not isinstance(pred, ox.NamedNode):
            continue  # never: the queries bind a node and a predicate
        out = term_value(row["out"]) == "true"
        key = (here, pred, there) if out else (there, pred, here)
        found[key].add(term_value(row[graph]))
    return found


class _OutOfTime(Exception):
    """The search's time budget is spent."""


class _Expander:
    """Finds the neighbours of frontier nodes with batched queries; remembers blank nodes' neighbours.

    Other engines subclass it (``Expander``) and override :meth:`_batch` to expand differently; the remote
    path engine (:mod:`kg.paths.frontier.engine`) expands over things only, as the in-memory projection sees them.
    """

    def __init__(self, store: Store, excluded: Sequence[str], batch_size: int, deadline: float) -> None:
        self.store = store
        self.excluded = excluded
        self.batch_size = batch_size
        self.deadline = deadline
        self.blank: dict[ox.BlankNode, list[_Edge]] = defaultdict(list)
        self.queries = 0

    def _select(self, query: str) -> list[dict[str, Term]]:
        if time.monotonic() >= self.deadline:
            raise _OutOfTime
        self.queries += 1
        return self.store.select(query)

    def neighbours(self, frontier: Sequence[Node], outward: bool | None = None) -> Iterator[tuple[Node, _Edge]]:
        """(frontier node, edge) for every edge that touches a frontier node; with ``outward`` True only the
        edges whose subject is the frontier node, with False only those whose object it is."""
        iris = [n for n in frontier if isinstance(n, ox.NamedNode)]
        for start in range(0, len(iris), self.batch_size):
            for node, edge in self._batch(iris[start : start + self.batch_size], outward):
                if outward is None or (edge.subject == node) == outward:
                    yield node, edge
        for node in frontier:
            if isinstance(node, ox.BlankNode):
                for edge in self.blank.get(node, []):
                    if outward is None or (edge.subject == node) == outward:
                        yield node, edge

    def _batch(self, nodes: list[ox.NamedNode], outward: bool | None = None) -> Iterator[tuple[Node, _Edge]]:
        found = _edges(self._select(_neighbour_query(nodes, self.excluded)), "n", "p", "m", "g")
        frontier = set(nodes)
        if any(isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode) for s, _, o in found):
            rows = self._select(_blank_query(nodes, self.excluded))
            for (s, p, o), graphs in _edges(rows, "b", "p2", "x", "g2").items():
                edge = _Edge(s, p, o, tuple(sorted(graphs)))
                for blank in {s, o}:  # both ends, so a blank node's edges are known from either side
                    if isinstance(blank, ox.BlankNode) and edge not in self.blank[blank]:
                        self.blank[blank].append(edge)
        for (s, p, o), graphs in found.items():
            edge = _Edge(s, p, o, tuple(sorted(graphs)))
            for end in (s, o):
                if end in frontier:
                    yield end, edge


def _walks(side: _Side, node: Node, limit: int) -> list[list[tuple[Node, _Edge]]]:
    """Every shortest chain of (node, edge) from ``side.start`` to ``node`` (at most ``limit``)."""
    if node == side.start:
        return [[]]
    out: list[list[tuple[Node, _Edge]]] = []
    for previous, edge in side.parents[node]:
        for walk in _walks(side, previous, limit):
            out.append(walk + [(previous, edge)])
            if len(out) >= limit:
                return out
    return out


def search(
    store: Store,
    source_iri: str,
    target_iri: str,
    max_length: int = 6,
    exclude_predicates: Iterable[str] = (),
    max_frontier: int = 5000,
    *,
    batch_size: int = 200,
    max_paths: int = 100,
    time_budget: float = 10.0,
    expander: Callable[[float], _Expander] | None = None,
    accept: Callable[[list[Node]], Collection[Node]] | None = None,
    directed: bool = False,
    observe: Callable[[_Edge], None] | None = None,
    extra_layers: int = 0,
    extra_budget: float | None = None,
) -> SearchResult:
    """Every shortest path (up to ``max_paths``) of at most ``max_length`` hops, and why the search stopped.

    No query starts after ``time_budget`` seconds (a query under way ends at the store's time limit).

    For engines that build on it (the frontier path engine, :mod:`kg.paths.frontier.engine`):

    - ``expander(deadline)`` makes the :class:`Expander` that finds neighbours (default: every triple);
    - ``accept(nodes)`` returns which newly reached nodes the search may enter (the two ends always may);
    - ``directed``: the source's side follows triples subject → object, the target's side object → subject;
    - ``observe(edge)`` is called for every edge between an expanded node and an entered one;
    - ``extra_layers``: after the frontiers meet, keep expanding (smaller side first) until the two radii sum to
      ``length + extra_layers`` (at most ``max_length``), so that ``observe`` sees every path that long;
      ``extra_budget``: seconds those layers may take (default: what is left of ``time_budget``).
    """
    try:
        return _search(store, source_iri, target_iri, max_length, exclude_predicates, max_frontier,
                       batch_size, max_paths, time.monotonic() + time_budget, expander, accept, directed, observe,
                       extra_layers, extra_budget)
    except _OutOfTime:
        return SearchResult([], None, "time_budget")


def _search(store: Store, source_iri: str, target_iri: str, max_length: int, exclude_predicates: Iterable[str],
            max_frontier: int, batch_size: int, max_paths: int, deadline: float,
            make_expander: Callable[[float], _Expander] | None = None,
            accept: Callable[[list[Node]], Collection[Node]] | None = None, directed: bool = False,
            observe: Callable[[_Edge], None] | None = None, extra_layers: int = 0,
            extra_budget: float | None = None) -> SearchResult:
    excluded = [RDF + "type", *(p for p in exclude_predicates if p != RDF + "type")]
    source, target = ox.NamedNode(source_iri), ox.NamedNode(target_iri)
    if source == target:
        return SearchResult([Path(())], 0, "met")
    sides = (_Side(source), _Side(target))
    expander = make_expander(deadline) if make_expander else _Expander(store, excluded, batch_size, deadline)
    refused: set[Node] = set()  # nodes ``accept`` turned away (asked once)
    found: SearchResult | None = None  # the shortest paths, once the frontiers met
    goal = max_length
    while sides[0].radius + sides[1].radius < goal:
        side, other = sorted(sides, key=lambda s: len(s.frontier))
        if found is not None and not side.frontier:
            side, other = other, side  # past the meeting, grow the side that still has a frontier
        radius = sides[0].radius + sides[1].radius
        if not side.frontier:  # a side ran out of nodes: nothing more to find
            if found is not None:
                break
            return SearchResult([], None, "exhausted", expander.queries, radius)
        if len(side.frontier) > max_frontier:
            if found is not None:
                found.complete = False
                break
            return SearchResult([], None, "max_frontier", expander.queries, radius, False)
        if found is not None and time.monotonic() >= deadline:
            found.complete = False  # past the meeting, running out of time only makes the region smaller
            break
        layer = side.radius + 1
        outward = None if not directed else side is sides[0]
        try:
            steps = list(expander.neighbours(side.frontier, outward))
            if accept is not None:  # may raise _OutOfTime too (its queries count against the budget)
                fresh = list(dict.fromkeys(edge.other(node) for node, edge in steps))
                fresh = [n for n in fresh if n not in side.dist and n not in refused and n not in (source, target)]
                if fresh:
                    allowed = set(accept(fresh))
                    refused.update(n for n in fresh if n not in allowed)
        except _OutOfTime:
            if found is None:
                raise
            found.complete = False
            break
        following: list[Node] = []
        for node, edge in steps:
            neighbour = edge.other(node)
            if neighbour in refused:
                continue
            if observe is not None:
                observe(edge)
            known = side.dist.get(neighbour)
            if known is None:
                side.dist[neighbour] = layer
                following.append(neighbour)
            if (known is None or known == layer) and (node, edge) not in side.parents[neighbour]:
                side.parents[neighbour].append((node, edge))
        side.frontier, side.radius = following, layer
        if found is None:
            meeting = [n for n in following if n in other.dist]
            if meeting:
                paths = _join(sides[0], sides[1], meeting, max_paths)
                found = SearchResult(paths, len(paths[0]) if paths else None, "met")
                goal = min(max_length, sides[0].radius + sides[1].radius + extra_layers)
                if extra_budget is not None:  # no query of the layers past the meeting starts after their budget
                    deadline = expander.deadline = min(deadline, time.monotonic() + extra_budget)
    if found is not None:
        found.queries, found.radius = expander.queries, sides[0].radius + sides[1].radius
        return found
    return SearchResult([], None, "max_length", expander.queries, sides[0].radius + sides[1].radius)


def _join(from_source: _Side, from_target: _Side, meeting: list[Node], max_paths: int) -> list[Path]:
    """Join the chains of both sides at the meeting nodes into paths from the source to the target."""
    paths: list[Path] = []
    seen: set[tuple[Hop, ...]] = set()
    for node in meeting:
        for head in _walks(from_source, node, max_paths):
            for tail in _walks(from_target, node, max_paths):
                hops = [edge.hop(start) for start, edge in head]
                hops += [edge.hop(edge.other(start)) for start, edge in reversed(tail)]
                key = tuple(hops)
                if key not in seen:
                    seen.add(key)
                    paths.append(Path(key))
                if len(paths) >= max_paths:
                    return _ordered(paths)
    return _ordered(paths)


def _ordered(paths: list[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: [(h.predicate, h.end, h.direction) for h in p.hops])


Expander = _Expander
Edge = _Edge
OutOfTime = _OutOfTime
"""Public names for engines that plug their own expansion into :func:`search` (:mod:`kg.paths.frontier.engine`)."""


def bidirectional_search(
    store: Store,
    source_iri: str,
    target_iri: str,
    max_length: int = 6,
    exclude_predicates: Iterable[str] = (),
    max_frontier: int = 5000,
) -> list[Path]:
    """Every shortest path between two things, at most ``max_length`` hops, found with batched SPARQL.

    See :func:`search` for why a search found nothing (too long, or a frontier too large).
    """
    return search(store, source_iri, target_iri, max_length, exclude_predicates, max_frontier).paths
