"""Ranking: how much a path says, why it ranks where it does, and the per-graph tables the costs need.

A path is cheaper (better) the more it tells. Its cost is the sum of

- each hop: ``1`` plus what its relation lacks in specificity (:mod:`kg.paths.relations`): nothing for a specific
  relation (coined, began as, produced, signed, wrote…), :data:`GENERIC_COST` for a generic one (is about,
  belongs to, is related to), and ``BETA * commonness`` for any other, where ``commonness = ln(freq) / ln(max
  freq)`` (the complement of an inverse predicate frequency), plus :data:`OUTSIDE_COST` when only a curators'
  statement of outside facts (``bc:CuratorsStatement``) states the hop: the article's own facts weigh more;
- each thing between the ends: ``ALPHA * ln(degree)``, so that a hub costs more than a rare thing, except the
  concepts at the heart of the graph (the ``dcterms:subject`` of its sources: Track Two diplomacy, for the seed),
  which cost what a typical thing costs: the topic every fact is about must not push a path off the subject;

then adjusted, within bounds, for what only the whole path shows (:func:`adjustments`): ``-TIME_BONUS`` when its
dated things run in one direction in time, ``+TIME_PENALTY`` when they go back and forth, ``+BROAD_PENALTY`` when
its only link is two things filed under the same broad concept (the path is then marked ``broad_concept``).

Where the measures come from. REX (Fang, Das Sarma, Yu and Bohannon, "REX: explaining relationship between entity
pairs", VLDB 2011) ranks explanations by the specificity of their relation pattern and shows that paths through
a shared broad type explain little: our specific/generic tables and the broad-concept adjustment. Hulpuş,
Prangnawarat and Hayes ("Path-based semantic relatedness on linked data and its use to word and entity
disambiguation", ISWC 2015) weight a path by the degrees of its nodes and the frequencies of its relations: our
``ALPHA * ln(degree)`` node cost and the commonness of relations without a judgement. The exemption of the
graph's topic and the time-order adjustment are ours: in a graph built from one article every fact is about its
topic, and a historian tells a story in the order it happened.

A path's ``score`` is ``1 / cost``; its ``reasons`` say what raised or lowered it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from kg.namespaces import BC, DCTERMS
from kg.paths.constraints import Compiled
from kg.paths.model import Hop, Path
from kg.paths.projection import Projection
from kg.paths.relations import CLASSIFYING, GENERIC, SPECIFIC

ALPHA = 0.5
"""Weight of ln(degree) of each thing between the ends of a path."""
BETA = 0.5
"""Weight of a relation's commonness in a hop's cost (relations the tables do not judge)."""
GENERIC_COST = 1.0
"""Extra cost of a hop along a generic relation (is about, belongs to, is related to…)."""
OUTSIDE_COST = 1.0
"""Extra cost of a hop that only a curators' statement of outside facts states."""
TIME_BONUS = 0.3
"""Taken off the cost of a path whose dated things run in one direction in time (the most it can gain)."""
TIME_PENALTY = 0.3
"""Added to the cost of a path whose dated things go back and forth in time."""
BROAD_PENALTY = 0.5
"""Added to the cost of a path whose only link is two things filed under the same broad concept."""
CURATORS_STATEMENT = BC + "CuratorsStatement"
SOURCE = BC + "Source"


@dataclass(frozen=True)
class Tables:
    """Per-projection numbers the ranking needs: node penalties, hop costs, topics, outside graphs, thresholds."""

    node_pen: list[float]
    half_pen: list[float]
    commonness: list[float]
    pred_cost: list[float]
    """Cost of a hop along each predicate (1 + what the relation lacks in specificity)."""
    out_cost: Sequence[float] | None
    """Cost of each relation (by edge id) when some are outside facts (None: ``pred_cost`` of its predicate)."""
    in_cost: Sequence[float] | None
    """The same, aligned with the incoming arrays (``in_src``, ``in_pred``)."""
    topics: frozenset[int]
    outside: frozenset[int]
    """Ids of the graphs that are curators' statements of outside facts."""
    hub_degree: int
    rare_freq: int
    ordered: bool = True
    """Whether each node's relations come least penalised neighbour first (a built projection's order, when no
    topic is exempted from its degree), so a search may stop scanning a neighbourhood early. False for a fetched
    subgraph whose degrees are the whole graph's (the frontier engine, :mod:`kg.paths.frontier.engine`)."""

    def edge_cost(self, proj: Projection, e: int) -> float:
        """The cost of a hop along relation ``e`` (either way)."""
        return self.out_cost[e] if self.out_cost is not None else self.pred_cost[proj.out_pred[e]]


def tables(proj: Projection) -> Tables:
    """The ranking tables of a projection (computed once per projection, then shared)."""
    return proj.memo("path-tables", lambda: make_tables(proj))


def topics_of(proj: Projection) -> frozenset[int]:
    """The concepts at the heart of the graph: what its sources (``bc:Source``) are about (``dcterms:subject``)."""
    subject = proj.pred_index.get(DCTERMS + "subject")
    if subject is None or not len(proj.out_pred):
        return frozenset()
    edges = np.nonzero(np.frombuffer(proj.out_pred, dtype=np.int32) == subject)[0]  # one pass in C
    owners = np.searchsorted(np.frombuffer(proj.out_off, dtype=np.int32), edges, side="right") - 1
    return frozenset(proj.out_dst[int(e)] for e, v in zip(edges, owners, strict=True)
                     if {SOURCE, CURATORS_STATEMENT} & set(proj.types.get(int(v), ())))


def make_tables(proj: Projection, *, top_freq: int | None = None, hub_degree: int | None = None,
                rare_freq: int | None = None, typical_degree: int | None = None,
                topics: frozenset[int] | None = None, ordered: bool = True) -> Tables:
    """Ranking tables from a projection's degrees, predicate frequencies, graphs and sources. The frontier engine
    passes the whole graph's figures (``top_freq``: the most used predicate's frequency; ``hub_degree`` and
    ``rare_freq``: the thresholds of the reasons; ``typical_degree``: the median degree; ``topics``) for a
    subgraph that holds only part of it.

    >>> from kg.paths.builder import projection_from_quads
    >>> make_tables(projection_from_quads([])).hub_degree
    8
    """
    log = math.log
    degree, pred_freq = proj.degree, proj.pred_freq
    node_pen = [ALPHA * log(d) if d > 1 else 0.0 for d in degree]
    topics = topics_of(proj) if topics is None else topics
    if topics:
        if typical_degree is None:
            typical_degree = int(statistics.median([degree[v] for v in proj.nodes() if degree[v] > 0] or [1]))
        typical = ALPHA * log(typical_degree) if typical_degree > 1 else 0.0
        for v in topics:
            node_pen[v] = min(node_pen[v], typical)
    top = max(pred_freq, default=1) if top_freq is None else top_freq
    denominator = log(top) if top > 1 else 1.0
    commonness = [min(1.0, log(f) / denominator) if f > 1 else 0.0 for f in pred_freq]
    pred_cost = [1.0 if p in SPECIFIC else 1.0 + GENERIC_COST if p in GENERIC else 1.0 + BETA * commonness[i]
                 for i, p in enumerate(proj.predicates)]
    outside = frozenset(g for g, iri in enumerate(proj.graphs)
                        if CURATORS_STATEMENT in proj.types.get(proj.index.get(iri, -1), ()))
    out_cost = in_cost = None
    if outside and len(proj.out_pred):
        out_cost, in_cost = _edge_costs(proj, pred_cost, outside)
    if hub_degree is None:
        degrees = sorted(d for d in degree if d > 0)
        hub_degree = max(8, degrees[int(0.95 * (len(degrees) - 1))] if degrees else 0)
    if rare_freq is None:
        freqs = sorted(f for f in pred_freq if f > 0)
        rare_freq = max(2, freqs[int(0.25 * (len(freqs) - 1))] if freqs else 0)
    return Tables(node_pen, [x / 2 for x in node_pen], commonness, pred_cost, out_cost, in_cost, frozenset(topics),
                  outside, hub_degree, rare_freq, ordered and not topics)


def _edge_costs(proj: Projection, pred_cost: list[float], outside: frozenset[int]) -> tuple[list[float], list[float]]:
    """Per-relation costs (out and in order) when some graphs are curators' statements of outside facts."""
    only_outside = np.isin(np.frombuffer(proj.out_graph, dtype=np.int32), sorted(outside))
    for e, gids in proj.extra_graphs.items():
        only_outside[e] = all(g in outside for g in gids)
    costs = np.asarray(pred_cost)[np.frombuffer(proj.out_pred, dtype=np.int32)] + OUTSIDE_COST * only_outside
    return costs.tolist(), costs[np.frombuffer(proj.in_edge, dtype=np.int32)].tolist()


def allowed_edges(proj: Projection, u: int, v: int, comp: Compiled) -> list[tuple[int, bool]]:
    """Relations between u and v usable as a hop u → v, scanning the smaller neighbourhood."""
    out: list[tuple[int, bool]] = []
    if proj.degree[u] <= proj.degree[v]:
        for e in range(proj.out_off[u], proj.out_off[u + 1]):
            if proj.out_dst[e] == v:
                out.append((e, True))
        for i in range(proj.in_off[u], proj.in_off[u + 1]):
            if proj.in_src[i] == v:
                out.append((proj.in_edge[i], False))
    else:
        for i in range(proj.in_off[v], proj.in_off[v + 1]):
            if proj.in_src[i] == u:
                out.append((proj.in_edge[i], True))
        for e in range(proj.out_off[v], proj.out_off[v + 1]):
            if proj.out_dst[e] == u:
                out.append((e, False))
    if comp.directed:
        out = [(e, f) for e, f in out if f]
    if comp.pred_ok is not None:
        out = [(e, f) for e, f in out if proj.out_pred[e] in comp.pred_ok]
    return out


def node_cost(proj: Projection, nodes: list[int], comp: Compiled, tabs: Tables) -> float:
    """The additive cost of a path given by its nodes (the cheapest allowed relation on each hop)."""
    cost = 0.0
    for u, v in pairwise(nodes):
        cost += min((tabs.edge_cost(proj, e) for e, _ in allowed_edges(proj, u, v, comp)), default=2.0)
    return cost + sum(tabs.node_pen[v] for v in nodes[1:-1])


def make_path(proj: Projection, nodes: Sequence[int], comp: Compiled, tabs: Tables,
              shortest: int | None = None) -> Path:
    """A :class:`Path` from its nodes: the most telling allowed relation on each hop (the cheapest, then the one
    the path walks forward), the cost with its whole-path adjustments, and the reasons."""
    hops = []
    base = 0.0
    for u, v in pairwise(nodes):
        options = sorted(allowed_edges(proj, u, v, comp),
                         key=lambda ef: (tabs.edge_cost(proj, ef[0]), not ef[1], ef[0]))
        e, forward = options[0]
        hops.append(Hop(u, v, e, forward, tuple(options[1:])))
        base += tabs.edge_cost(proj, e)
    base += sum(tabs.node_pen[v] for v in nodes[1:-1])
    delta, adjusted, broad = adjustments(proj, nodes, hops, tabs)
    why = reasons(proj, nodes, hops, tabs, shortest) + adjusted
    return Path(tuple(nodes), tuple(hops), round(base + delta, 6), tuple(dict.fromkeys(why)), broad,
                round(base, 6))


def broad_concept(proj: Projection, hops: Sequence[Hop]) -> int | None:
    """The concept through which alone a path links its ends, if it does: a concept between the ends that both
    its hops reach by classifying relations (:data:`kg.paths.relations.CLASSIFYING`: is about, belongs to, began
    as, falls under, is related to). None when some hop says more (coined, expanded into, described in…)."""
    for before, after in pairwise(hops):
        v = before.target
        if proj.kind(v) != "concept":
            continue
        if all(proj.predicates[proj.out_pred[h.edge]] in CLASSIFYING for h in (before, after)):
            return v
    return None


def adjustments(proj: Projection, nodes: Sequence[int], hops: Sequence[Hop],
                tabs: Tables) -> tuple[float, list[str], int | None]:
    """What only the whole path shows: its time order, and whether it links only through a broad concept.
    Returns (change of cost, reasons, the broad concept or None). The change is at least ``-TIME_BONUS``."""
    delta, out = 0.0, []
    dated = [(date, v) for v in nodes if (date := proj.date(v)) is not None]
    if len(dated) >= 2:
        years = [d[:4] for d, _ in dated]
        shown = " → ".join(f"{proj.label(v)} ({d})" for d, v in dated)
        if years == sorted(years) or years == sorted(years, reverse=True):
            delta -= TIME_BONUS
            out.append(f"its dated steps run in time order: {shown}")
        else:
            delta += TIME_PENALTY
            out.append(f"its dated steps go back and forth in time: {shown}")
    broad = broad_concept(proj, hops)
    if broad is not None:
        delta += BROAD_PENALTY
        out.append(f"links only through the broad concept '{proj.label(broad)}': both sides are filed under it, "
                   "and nothing more specific ties them")
    return delta, out, broad


def reasons(proj: Projection, nodes: Sequence[int], hops: Sequence[Hop], tabs: Tables,
            shortest: int | None) -> list[str]:
    """Why a path ranks where it does, in words (the whole-path adjustments are added by :func:`make_path`)."""
    out: list[str] = []
    n = len(hops)
    if shortest is not None:
        out.append(f"shortest possible ({n} hop{'s' * (n != 1)})" if n == shortest
                   else f"{n} hops ({n - shortest} more than the shortest)")
    labels = [proj.prop(proj.predicates[proj.out_pred[h.edge]]).label for h in hops]
    predicates = [proj.predicates[proj.out_pred[h.edge]] for h in hops]
    specific = [lab for lab, p in zip(labels, predicates, strict=True) if p in SPECIFIC]
    generic = [lab for lab, p in zip(labels, predicates, strict=True) if p in GENERIC]
    if specific and len(specific) == n:
        out.append(f"tells through specific relations only ({', '.join(dict.fromkeys(specific))})")
    elif specific:
        out.append(f"uses specific relations ({', '.join(dict.fromkeys(specific))})")
    if generic:
        out.append(f"uses generic relations that say little ({', '.join(dict.fromkeys(generic))})")
    middle = list(nodes[1:-1])
    for v in middle:
        if v in tabs.topics:
            out.append(f"passes through '{proj.label(v)}', the topic of the sources: not penalised as a hub "
                       f"(degree {proj.degree[v]})")
    hubs = [v for v in middle if proj.degree[v] >= tabs.hub_degree and v not in tabs.topics]
    for v in hubs:
        out.append(f"passes through hub '{proj.label(v)}' (degree {proj.degree[v]})")
    others = [v for v in middle if v not in tabs.topics]
    if others and not hubs:
        top = max(others, key=lambda v: proj.degree[v])
        out.append(f"avoids hubs (busiest node on the path: '{proj.label(top)}', degree {proj.degree[top]})")
    outside = [h for h in hops if all(g in tabs.outside for g in proj.edge_graphs(h.edge))]
    if outside:
        names = sorted({proj.graph_label(proj.edge_graphs(h.edge)[0]) for h in outside})
        out.append(f"{len(outside)} of its {n} hops rest on outside facts only ({'; '.join(names)})")
    for hop, p in zip(hops, predicates, strict=True):
        pid = proj.out_pred[hop.edge]
        if p not in SPECIFIC and p not in GENERIC and proj.pred_freq[pid] <= tabs.rare_freq:
            freq = proj.pred_freq[pid]
            times = "once" if freq == 1 else f"{freq} times"
            out.append(f"uses rare predicate '{proj.prop(p).label}' (stated {times} in the graph)")
    return out
