"""Influence: who or what shaped a thing (its lineage), what it shaped, and who shaped the most.

Influence follows only the relations that carry it, listed in one place, :data:`kg.paths.relations.INFLUENCE`:
``prov:wasInfluencedBy`` (and ``prov:qualifiedInfluence``, which the projection folds into it), coining a
concept, setting out a process, writing or editing a work, a work in which a concept was coined or described,
a concept expanded into another; and properties the store declares ``rdfs:subPropertyOf`` or
``owl:inverseOf`` one of those. So the authors of the works that define a concept are in its lineage.
Agreement, citation, publication, association, attribution, membership and participation are not influence.

- :func:`lineage`: the influencers of a thing, transitively, each with its depth and the path of cited
  hops that leads to it;
- :func:`influenced`: the inverse;
- :func:`ranking`: the most influential things, by how many things they influenced (transitively, then
  directly), then by PageRank over the influence graph (credit flows from the influenced to the influencer);
  a thing that influenced nothing is not ranked, so the "influenced N things" figure agrees with the rank;
- :func:`centrality`: the general graph centrality, under its own name (not influence): PageRank over every
  relation between actors, works, events and concepts, and betweenness centrality. On big graphs (more than
  ``ASSOCIATION_MAX_EDGES`` relations) only influence links count, and betweenness is estimated from sampled
  sources (the reason says "estimated").

>>> from kg.paths.builder import projection_from_quads
>>> import pyoxigraph as ox
>>> W = "http://www.w3.org/ns/prov#wasInfluencedBy"
>>> q = lambda s, o: ox.Quad(ox.NamedNode("http://x/" + s), ox.NamedNode(W), ox.NamedNode("http://x/" + o))
>>> proj = projection_from_quads([q("b", "a"), q("c", "b")])
>>> [(proj.label(e.node), e.depth) for e in lineage(proj, proj.node("http://x/c"))]
[('b', 1), ('a', 2)]
>>> [(proj.label(e.node), e.depth) for e in influenced(proj, proj.node("http://x/a"))]
[('b', 1), ('c', 2)]
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx
import numpy as np

from kg.namespaces import PROV
from kg.paths.model import MAX_LENGTH, Hop, PathRequestError
from kg.paths.projection import Projection

MAX_RESULTS = 1000
"""Most entries a lineage or an influenced list returns."""
MAX_RANKING = 100
"""Most entries a ranking returns."""
RANKED_KINDS = frozenset({"person", "org", "work", "concept"})
"""Kinds the ranking lists by default: actors, works and concepts."""
MEASURES = ("influence", "centrality")
"""What a ranking ranks by: influence (:func:`ranking`) or general graph centrality (:func:`centrality`)."""
ASSOCIATION_KINDS = frozenset({"person", "org", "work", "event", "process", "concept"})
"""Kinds between which any relation counts as an association in the ranking graph."""
ASSOCIATION_WEIGHT = 0.25
"""Weight of an association link relative to an influence link (1.0) in PageRank."""
BETWEENNESS_SAMPLES = 256
"""Above this many nodes, betweenness is estimated from sampled sources (seeded): at most this many,
fewer on big graphs so that the work stays near ``BETWEENNESS_WORK`` edge visits."""
BETWEENNESS_WORK = 2_000_000
ASSOCIATION_MAX_EDGES = 200_000
"""Above this many relations in the graph, the ranking graph keeps influence links only."""


@dataclass(frozen=True)
class InfluenceGraph:
    """Who influenced whom: ``influencers[x]`` = [(y, edge id, forward)] where y influenced x, and back."""

    influencers: dict[int, list[tuple[int, int, bool]]]
    influencees: dict[int, list[tuple[int, int, bool]]]
    edges: int


def influence_graph(proj: Projection) -> InfluenceGraph:
    """The influence relations of a projection (computed once per projection)."""
    return proj.memo("influence-graph", lambda: _make_influence_graph(proj))


def _make_influence_graph(proj: Projection) -> InfluenceGraph:
    direction = np.array([proj.prop(p).influence for p in proj.predicates] or [0], dtype=np.int8)
    preds = np.frombuffer(proj.out_pred, dtype=np.int32) if len(proj.out_pred) else np.zeros(0, np.int32)
    rows = np.nonzero(direction[preds] != 0)[0] if len(preds) else np.zeros(0, np.int64)
    offsets = np.frombuffer(proj.out_off, dtype=np.int32)
    subjects = np.searchsorted(offsets, rows, side="right") - 1
    influencers: dict[int, list[tuple[int, int, bool]]] = {}
    influencees: dict[int, list[tuple[int, int, bool]]] = {}
    for e, u in zip(rows.tolist(), subjects.tolist(), strict=True):
        v = proj.out_dst[e]
        if u == v:
            continue
        if direction[proj.out_pred[e]] > 0:  # u was influenced by v
            who, whom = v, u
        else:
            who, whom = u, v
        # the hop walked from the influenced toward the influencer is forward when the subject is influenced
        influencers.setdefault(whom, []).append((who, e, whom == u))
        influencees.setdefault(who, []).append((whom, e, who == u))
    return InfluenceGraph(influencers, influencees, len(rows))


@dataclass(frozen=True)
class Entry:
    """One thing in a lineage (or influenced list): how far, and through which hops."""

    node: int
    depth: int
    hops: tuple[Hop, ...]


def _walk(proj: Projection, start: int, links: dict[int, list[tuple[int, int, bool]]], max_depth: int,
          limit: int) -> list[Entry]:
    if not 1 <= max_depth <= MAX_LENGTH:
        raise PathRequestError(f"max_depth={max_depth} is out of range: it must be between 1 and {MAX_LENGTH}")
    if not 1 <= limit <= MAX_RESULTS:
        raise PathRequestError(f"limit={limit} is out of range: it must be between 1 and {MAX_RESULTS}")
    via: dict[int, tuple[Hop, ...]] = {start: ()}
    queue = deque([start])
    out: list[Entry] = []
    while queue and len(out) < limit:
        v = queue.popleft()
        depth = len(via[v])
        if depth >= max_depth:
            continue
        for w, e, forward in sorted(links.get(v, ()), key=lambda x: _order(proj, *x)):
            if w in via:
                continue
            via[w] = via[v] + (Hop(v, w, e, forward),)
            out.append(Entry(w, depth + 1, via[w]))
            queue.append(w)
            if len(out) >= limit:
                break
    return out


def _order(proj: Projection, w: int, e: int, forward: bool) -> tuple[str, bool, str, bool, str]:
    """The order a walk takes links in: by the label of where they lead, then the telling relation before the bare
    ``prov:wasInfluencedBy`` ("was expanded into" before "influenced"), then by IRIs (the same in every projection
    of the same data, unlike edge ids)."""
    predicate = proj.predicates[proj.out_pred[e]]
    return (proj.label(w), predicate == PROV + "wasInfluencedBy", predicate, not forward, proj.iris[w])


def lineage(proj: Projection, thing: int, max_depth: int = 6, limit: int = 200) -> list[Entry]:
    """Who or what influenced ``thing``, transitively, nearest first (breadth-first)."""
    return _walk(proj, thing, influence_graph(proj).influencers, max_depth, limit)


def influenced(proj: Projection, thing: int, max_depth: int = 6, limit: int = 200) -> list[Entry]:
    """What ``thing`` influenced, transitively, nearest first."""
    return _walk(proj, thing, influence_graph(proj).influencees, max_depth, limit)


@dataclass(frozen=True)
class Ranked:
    """A thing in the influence ranking, with its numbers and the reason in words."""

    node: int
    pagerank: float
    betweenness: float
    direct: int
    transitive: int
    reason: str


@dataclass(frozen=True)
class Scores:
    """PageRank and betweenness of every node of the ranking graph (one projection version)."""

    pagerank: dict[int, float]
    betweenness: dict[int, float]
    sampled: bool
    nodes: int
    edges: int


def scores(proj: Projection) -> Scores:
    """Centralities on the influence + association graph, computed once per projection."""
    return proj.memo("influence-scores", lambda: _make_scores(proj))


def _make_scores(proj: Projection) -> Scores:
    graph = nx.DiGraph()
    infl = influence_graph(proj)
    for whom, links in infl.influencers.items():
        for who, _, _ in links:
            graph.add_edge(whom, who, weight=1.0)  # credit flows to the influencer
    kinds = proj.kinds if proj.edge_count <= ASSOCIATION_MAX_EDGES else {}
    for u, kind in kinds.items():
        if kind not in ASSOCIATION_KINDS:
            continue
        for e in range(proj.out_off[u], proj.out_off[u + 1]):
            v = proj.out_dst[e]
            if v != u and kinds.get(v) in ASSOCIATION_KINDS:
                for a, b in ((u, v), (v, u)):
                    if not graph.has_edge(a, b):
                        graph.add_edge(a, b, weight=ASSOCIATION_WEIGHT)
    if graph.number_of_nodes() == 0:
        return Scores({}, {}, False, 0, 0)
    pagerank = nx.pagerank(graph, weight="weight", max_iter=200, tol=1e-8)
    undirected = graph.to_undirected(as_view=True)
    n = graph.number_of_nodes()
    samples = max(16, min(BETWEENNESS_SAMPLES, BETWEENNESS_WORK // max(graph.number_of_edges(), 1)))
    sampled = n > samples
    betweenness = nx.betweenness_centrality(
        undirected, k=samples if sampled else None, seed=0 if sampled else None, normalized=True
    )
    return Scores(pagerank, betweenness, sampled, n, graph.number_of_edges())


def ranking(proj: Projection, limit: int = 20, kinds: frozenset[str] | None = RANKED_KINDS,
            measure: str = "influence") -> list[Ranked]:
    """The most influential things (actors, works and concepts by default), best first, with reasons; with
    ``measure="centrality"``, the most central things of the whole graph (:func:`centrality`)."""
    if not 1 <= limit <= MAX_RANKING:
        raise PathRequestError(f"limit={limit} is out of range: it must be between 1 and {MAX_RANKING}")
    if measure not in MEASURES:
        raise PathRequestError(f"by={measure!r} is not a measure: use {' or '.join(MEASURES)}")
    key = f"ranking:{measure}:{limit}:{','.join(sorted(kinds or ()))}"
    make = _make_ranking if measure == "influence" else _make_centrality
    return proj.memo(key, lambda: make(proj, limit, kinds))


def influence_scores(proj: Projection) -> dict[int, float]:
    """PageRank over the influence graph alone (credit flows to the influencer), once per projection."""
    return proj.memo("influence-pagerank", lambda: _influence_pagerank(proj))


def _influence_pagerank(proj: Projection) -> dict[int, float]:
    graph = nx.DiGraph()
    for whom, links in influence_graph(proj).influencers.items():
        for who, _, _ in links:
            graph.add_edge(whom, who)
    return nx.pagerank(graph, max_iter=200, tol=1e-8) if graph.number_of_nodes() else {}


def _make_ranking(proj: Projection, limit: int, kinds: frozenset[str] | None) -> list[Ranked]:
    infl = influence_graph(proj)
    pagerank = influence_scores(proj)
    counted = []
    for v in infl.influencees:
        if kinds and proj.kind(v) not in kinds:
            continue
        reached = influenced(proj, v, MAX_LENGTH, MAX_RESULTS)
        direct = len({w for w, _, _ in infl.influencees[v]})
        counted.append((v, reached, direct))
    counted.sort(key=lambda c: (-len(c[1]), -c[2], -pagerank.get(c[0], 0.0), proj.label(c[0])))
    out = []
    for position, (v, reached, direct) in enumerate(counted[:limit], 1):
        transitive = len(reached)
        nearest = [proj.label(e.node) for e in reached if e.depth == 1]
        named = ", ".join(nearest[:3]) + (", …" if len(nearest) > 3 else "")
        reason = (f"influenced {transitive} thing{'s' * (transitive != 1)}, {direct} of them directly ({named}); "
                  f"#{position} by things influenced; PageRank on the influence graph {pagerank.get(v, 0.0):.3f}")
        out.append(Ranked(v, pagerank.get(v, 0.0), 0.0, direct, transitive, reason))
    return out


def centrality(proj: Projection, limit: int = 20, kinds: frozenset[str] | None = RANKED_KINDS) -> list[Ranked]:
    """The most central things of the graph (not influence): PageRank over influence and association links,
    and betweenness centrality (see the module documentation)."""
    return ranking(proj, limit, kinds, "centrality")


def _make_centrality(proj: Projection, limit: int, kinds: frozenset[str] | None) -> list[Ranked]:
    sc = scores(proj)
    infl = influence_graph(proj)
    candidates = [v for v in sc.pagerank if not kinds or proj.kind(v) in kinds]
    candidates.sort(key=lambda v: (-sc.pagerank[v], -sc.betweenness.get(v, 0.0), proj.label(v)))
    out = []
    for position, v in enumerate(candidates[:limit], 1):
        direct = len({w for w, _, _ in infl.influencees.get(v, ())})
        transitive = len(influenced(proj, v, MAX_LENGTH, MAX_RESULTS))
        b = sc.betweenness.get(v, 0.0)
        estimate = " (estimated)" if sc.sampled else ""
        reason = (f"graph centrality (not influence): PageRank over every relation {sc.pagerank[v]:.3f} "
                  f"(#{position}); betweenness {b:.2f}{estimate}; influenced {direct} thing{'s' * (direct != 1)} "
                  f"directly, {transitive} transitively")
        out.append(Ranked(v, sc.pagerank[v], b, direct, transitive, reason))
    return out
