"""Ranking: what a path costs, why it ranks where it does, and the per-graph tables the costs need.

A path through a hub ("Track Two diplomacy", linked to everything) says little; a path along rare relations
("coined") says much. Following the degree-weighted path measures of path-based semantic relatedness (Hulpuş,
Prangnawarat & Hayes, "Path-based semantic relatedness on linked data and its use to word and entity
disambiguation", ISWC 2015) and the edge-rarity measures of REX (Fang et al., "REX: explaining relationships
between entity pairs", VLDB 2011), each hop costs ``1 + BETA * commonness(predicate)`` and each intermediate node
``ALPHA * ln(degree)``, where ``commonness = ln(freq(p)) / ln(max freq)`` is 0 for a predicate used once and 1 for
the most used one (the complement of an inverse predicate frequency). A path's ``score`` is ``1 / cost``; its
``reasons`` say what raised or lowered it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from kg.paths.constraints import Compiled
from kg.paths.model import Hop, Path
from kg.paths.projection import Projection

ALPHA = 0.5
"""Weight of ln(degree) of each intermediate node in a path's cost."""
BETA = 0.5
"""Weight of a predicate's commonness in a hop's cost."""

@dataclass(frozen=True)
class Tables:
    """Per-projection numbers the ranking needs: node penalties, predicate commonness, hub threshold."""

    node_pen: list[float]
    half_pen: list[float]
    commonness: list[float]
    hub_degree: int
    rare_freq: int
    ordered: bool = True
    """Whether each node's relations come least penalised neighbour first (a built projection's order), so a
    search may stop scanning a neighbourhood early. False for a fetched subgraph whose degrees are the whole
    graph's (the frontier engine, :mod:`kg.paths.frontier.engine`)."""


def tables(proj: Projection) -> Tables:
    """The ranking tables of a projection (computed once per projection, then shared)."""
    return proj.memo("path-tables", lambda: make_tables(proj.degree, proj.pred_freq))


def make_tables(degree: Sequence[int], pred_freq: Sequence[int], *, top_freq: int | None = None,
                hub_degree: int | None = None, rare_freq: int | None = None, ordered: bool = True) -> Tables:
    """Ranking tables from node degrees and predicate frequencies (by id). The frontier engine passes the
    whole graph's figures (``top_freq``: the most used predicate's frequency; ``hub_degree`` and
    ``rare_freq``: the thresholds of the reasons) for a subgraph that holds only part of it.

    >>> make_tables([1, 2, 100], [1, 10]).hub_degree, make_tables([1], [1], hub_degree=40).hub_degree
    (8, 40)
    """
    log = math.log
    node_pen = [ALPHA * log(d) if d > 1 else 0.0 for d in degree]
    top = max(pred_freq, default=1) if top_freq is None else top_freq
    denominator = log(top) if top > 1 else 1.0
    commonness = [min(1.0, log(f) / denominator) if f > 1 else 0.0 for f in pred_freq]
    if hub_degree is None:
        degrees = sorted(d for d in degree if d > 0)
        hub_degree = max(8, degrees[int(0.95 * (len(degrees) - 1))] if degrees else 0)
    if rare_freq is None:
        freqs = sorted(f for f in pred_freq if f > 0)
        rare_freq = max(2, freqs[int(0.25 * (len(freqs) - 1))] if freqs else 0)
    return Tables(node_pen, [x / 2 for x in node_pen], commonness, hub_degree, rare_freq, ordered)



def _allowed_edges(proj: Projection, u: int, v: int, comp: Compiled) -> list[tuple[int, bool]]:
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
    cost = 0.0
    for u, v in pairwise(nodes):
        options = _allowed_edges(proj, u, v, comp)
        cost += 1.0 + BETA * min((tabs.commonness[proj.out_pred[e]] for e, _ in options), default=1.0)
    return cost + sum(tabs.node_pen[v] for v in nodes[1:-1])


def make_path(proj: Projection, nodes: Sequence[int], comp: Compiled, tabs: Tables,
              shortest: int | None = None) -> Path:
    """A :class:`Path` from its nodes: the rarest allowed relation on each hop, the cost and the reasons."""
    hops = []
    cost = 0.0
    for u, v in pairwise(nodes):
        options = sorted(_allowed_edges(proj, u, v, comp),
                         key=lambda ef: (tabs.commonness[proj.out_pred[ef[0]]], not ef[1], ef[0]))
        e, forward = options[0]
        hops.append(Hop(u, v, e, forward, tuple(options[1:])))
        cost += 1.0 + BETA * tabs.commonness[proj.out_pred[e]]
    cost += sum(tabs.node_pen[v] for v in nodes[1:-1])
    return Path(tuple(nodes), tuple(hops), round(cost, 6), tuple(reasons(proj, nodes, hops, tabs, shortest)))


def reasons(proj: Projection, nodes: Sequence[int], hops: Sequence[Hop], tabs: Tables,
            shortest: int | None) -> list[str]:
    """Why a path ranks where it does, in words."""
    out: list[str] = []
    n = len(hops)
    if shortest is not None:
        out.append(f"shortest possible ({n} hop{'s' * (n != 1)})" if n == shortest
                   else f"{n} hops ({n - shortest} more than the shortest)")
    middle = list(nodes[1:-1])
    hubs = [v for v in middle if proj.degree[v] >= tabs.hub_degree]
    for v in hubs:
        out.append(f"passes through hub '{proj.label(v)}' (degree {proj.degree[v]})")
    if middle and not hubs:
        top = max(middle, key=lambda v: proj.degree[v])
        out.append(f"avoids hubs (busiest node on the path: '{proj.label(top)}', degree {proj.degree[top]})")
    for hop in hops:
        p = proj.out_pred[hop.edge]
        freq = proj.pred_freq[p]
        if freq <= tabs.rare_freq:
            times = "once" if freq == 1 else f"{freq} times"
            out.append(f"uses rare predicate '{proj.prop(proj.predicates[p]).label}' (stated {times} in the graph)")
        elif tabs.commonness[p] >= 0.9:
            out.append(f"uses common predicate '{proj.prop(proj.predicates[p]).label}' "
                       f"(stated {freq} times in the graph)")
    return list(dict.fromkeys(out))

