"""The backward search from a target, which every spur search of one k-best question shares.

Every spur search of Yen's algorithm (:mod:`kg.paths.kbest`) ends at the same target, so one cheapest-path search
backward from it, in the graph without bans, serves them all (:class:`ToTarget`):

- the cost to the target of each thing inside a radius (exact) and the radius elsewhere (a lower bound): banning
  things or relations only raises costs, so these are lower bounds in every spur search, and consistent ones, the
  estimate of its A* (:func:`kg.paths.kbest.astar`);
- the way each of those things takes to the target (``toward``): a spur search that reaches a thing whose way
  avoids its bans has its answer, since no way can cost less than the estimate.

Two searches give it, with the same costs:

- :func:`to_target`, in Python: it stops at a radius (:data:`BACK_SHARE` of the first path's cost) or after
  :data:`BACK_NODES` things, whichever comes first; for small graphs and for questions with node tests or
  predicate sets;
- :func:`to_target_native`, scipy's compiled Dijkstra (``scipy.sparse.csgraph``) over the relations reversed, each
  weighted with its hop's cost (:func:`reverse_graph`, built once per projection): 2–3 times faster per thing, so
  it goes further (:data:`NATIVE_SHARE`), and the spur searches have less to do. It cannot be stopped midway: on
  a graph whose costs are flat it may read the whole graph (about 0.1 s for a million relations).

:func:`backward` picks one: the native search where the path worker prepared the reversed graph
(:func:`prepare_backward`, for undirected questions on graphs of :data:`NATIVE_FROM` relations or more), the
Python one elsewhere.

>>> from kg.paths.builder import projection_from_quads
>>> from kg.paths.constraints import compile_constraints
>>> from kg.paths.model import Constraints
>>> from kg.paths.ranking import tables
>>> from kg.paths.walking import Clock
>>> import pyoxigraph as ox
>>> def q(s, o): return ox.Quad(ox.NamedNode("http://x/" + s), ox.NamedNode("http://x/knows"),
...                              ox.NamedNode("http://x/" + o))
>>> proj = projection_from_quads([q("a", "b"), q("b", "c"), q("c", "d")])
>>> a, d = proj.node("http://x/a"), proj.node("http://x/d")
>>> comp = compile_constraints(proj, Constraints(), (a, d))
>>> slow = to_target(proj, d, comp, tables(proj), 10.0, Clock(1.0))
>>> fast = to_target_native(proj, d, comp, tables(proj), 10.0, reverse_graph(proj, tables(proj), False))
>>> [round(slow.estimate[v], 3) for v in range(4)] == [round(fast.estimate[v], 3) for v in range(4)]
True
>>> way = [a]
>>> while way[-1] != d:
...     way.append(fast.toward[way[-1]])
>>> [proj.label(v) for v in way]
['a', 'b', 'c', 'd']
"""

from __future__ import annotations

import heapq
import math
from array import array
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

import numpy as np

from kg.paths.constraints import Compiled
from kg.paths.projection import Projection
from kg.paths.ranking import Tables, tables
from kg.paths.walking import Clock, channels_for, hop_costs

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

BACK_SHARE = 0.7
"""How far the Python search goes, as a share of the cheapest path's cost: further costs more once, and saves each
spur search the part of its way inside that radius. On the bench's 1M-relation graph (50 pairs, k=5, p50): 0.5
gave 133 ms, 0.6 41 ms, 0.7 45 ms, 0.8 61–71 ms, 1.0 ran out of time; 0.7 with :data:`BACK_NODES` had the lowest
p90 and maximum (87 and 126 ms)."""

BACK_NODES = 10_000
"""The most things the Python search settles (its work, whatever the costs): a safeguard where the costs near the
target are flat and the share above would reach far."""

NATIVE_SHARE = 0.75
"""How far the native search goes, as a share of the cheapest path's cost. k=5 over the bench's power-law graphs,
CPU per question beside the Python search in one process (p50, and the slowest of the pairs): on 1M relations
(50 pairs) 0.75 and 0.8 gave 27–39 ms against 33–58 ms; on 6.6M (20 pairs) 0.75 gave 94–104 ms (slowest 256–281)
against 117–134 ms (252–329), where 0.8 gave 114–120 ms but a slowest of 548–648 ms: the search itself grows
faster with the radius than the spur searches shrink."""

NATIVE_FROM = 100_000
"""Relations from which :func:`prepare_backward` makes the reversed graph, so that :func:`backward` searches
natively (below, the Python search is as fast, and no reversed graph is kept)."""


@dataclass(frozen=True)
class ToTarget:
    """What one backward search from ``t`` found (see the module documentation)."""

    estimate: array
    """Per thing: its cost to ``t`` where the search settled it (exact), else ``radius``."""
    radius: float
    """What any thing not settled costs at least."""
    toward: array
    """Per settled thing: the next thing on its cheapest way to ``t`` (-1 for ``t`` and the things not settled)."""
    into_t: dict[int, float]
    """The cheapest allowed relation from each thing to ``t`` (:func:`kg.paths.kbest.astar` meets ``t`` through
    it)."""


def backward(proj: Projection, t: int, comp: Compiled, tabs: Tables, first_cost: float, clock: Clock,
             native: bool | None = None) -> ToTarget:
    """The backward search from ``t`` for the spur searches of one question whose cheapest path costs
    ``first_cost``: the native one when the question has no node test and no predicate set and its reversed graph
    is prepared (:func:`prepare_backward`; a question never waits for it) or ``native`` asks for it (made now if
    need be), else the Python one."""
    graph = None
    if native is not False and comp.node_ok is None and comp.pred_ok is None:
        graph = reverse_graph(proj, tabs, comp.directed, make=native is True)
    if graph is not None:
        found = to_target_native(proj, t, comp, tabs, NATIVE_SHARE * first_cost, graph)
        clock.check()
        return found
    return to_target(proj, t, comp, tabs, BACK_SHARE * first_cost, clock, BACK_NODES)


def prepare_backward(proj: Projection, least: int = NATIVE_FROM) -> None:
    """Make the reversed graph of an undirected question (the default) of a projection :func:`backward` searches
    natively, so the first k-best question does not wait for it (a path worker calls this once its projection is
    built or read back; about 0.4 s of CPU and 24 MB per million relations). ``least``: the relations from which
    it does."""
    if len(proj.out_dst) >= least:
        reverse_graph(proj, tables(proj), False)
        import_module("scipy.sparse.csgraph")  # (its first import, ~0.1 s, would fall on the first question)


def into_target(proj: Projection, t: int, comp: Compiled, tabs: Tables) -> dict[int, float]:
    """The cheapest allowed relation from each neighbour of ``t`` into ``t`` (no node penalty: ``t`` is the end)."""
    into_t: dict[int, float] = {}
    pred_ok = comp.pred_ok
    for dst, off, prd, cst in channels_for(proj, comp.directed, False, tabs):
        a, b = off[t], off[t + 1]
        for w, p, c in zip(dst[a:b], prd[a:b], hop_costs(tabs, prd, cst, a, b), strict=True):
            if (pred_ok is None or p in pred_ok) and c < into_t.get(w, math.inf):
                into_t[w] = c
    return into_t


def to_target(proj: Projection, t: int, comp: Compiled, tabs: Tables, until: float, clock: Clock,
              most: int = 1 << 62) -> ToTarget:
    """The backward search from ``t`` in Python: every thing whose cost to ``t`` is below ``until`` settled, or the
    ``most`` nearest. The relations of a thing whose own cost already reaches ``until`` (a hub, often) are not
    read: none of its neighbours could be settled."""
    pen, node_ok, pred_ok = tabs.node_pen, comp.node_ok, comp.pred_ok
    channels = channels_for(proj, comp.directed, False, tabs)
    settled: dict[int, float] = {}
    best = {t: 0.0}
    via = {t: -1}
    heap = [(0.0, t)]
    pops = 0
    while heap and heap[0][0] < until and len(settled) < most:
        cost, v = heapq.heappop(heap)
        if v in settled:
            continue
        settled[v] = cost
        pops += 1
        if pops & 63 == 0:
            clock.check()
        through = cost + (pen[v] if v != t else 0.0)  # what a hop into v costs beyond the hop itself
        if through + 1.0 >= until:
            continue
        for dst, off, prd, cst in channels:
            a, b = off[v], off[v + 1]
            for w, p, c in zip(dst[a:b], prd[a:b], hop_costs(tabs, prd, cst, a, b), strict=True):
                if w in settled or (pred_ok is not None and p not in pred_ok):
                    continue
                if node_ok is not None and not node_ok(w):
                    continue  # (a spur search starts from things that pass the node test, or from the source)
                new = through + c
                if new < until and new < best.get(w, math.inf):  # (beyond until: the radius says enough)
                    best[w] = new
                    via[w] = v
                    heapq.heappush(heap, (new, w))
    radius = min(heap[0][0], until) if heap else until  # what was not read costs at least until
    n = len(proj.out_off) - 1
    estimate, toward = array("d", [radius]) * n, array("i", [-1]) * n
    for v, cost in settled.items():
        estimate[v] = cost
        toward[v] = via[v]
    return ToTarget(estimate, radius, toward, into_target(proj, t, comp, tabs))


def to_target_native(proj: Projection, t: int, comp: Compiled, tabs: Tables, until: float,
                     graph: csr_matrix) -> ToTarget:
    """The backward search from ``t`` by scipy's Dijkstra over ``graph`` (:func:`reverse_graph` of the same
    projection, tables and direction): every thing whose cost to ``t`` is at most ``until`` settled."""
    from scipy.sparse.csgraph import dijkstra

    # every way out of t in the reversed graph begins with a hop into t, weighted with t's penalty, which a way
    # that ends at t does not pay: search that much further, then take it off
    lift = tabs.node_pen[t]
    dist, pred = dijkstra(graph, directed=True, indices=t, limit=until + lift, return_predecessors=True)
    dist -= lift
    dist[t] = 0.0
    np.minimum(dist, until, out=dist)
    pred[pred < 0] = -1
    estimate, toward = array("d"), array("i")
    estimate.frombytes(dist.astype(np.float64, copy=False).tobytes())
    toward.frombytes(pred.astype(np.int32).tobytes())
    return ToTarget(estimate, until, toward, into_target(proj, t, comp, tabs))


def reverse_graph(proj: Projection, tabs: Tables, directed: bool, make: bool = True) -> csr_matrix | None:
    """The relations of ``proj`` reversed as a sparse matrix: row ``v`` holds each thing ``w`` that reaches ``v``
    in one hop (along the relation, or either way when not ``directed``), weighted with what the hop costs plus
    ``v``'s penalty. Built once per projection and direction (kept in its memo with the tables it was built
    from); None when ``tabs`` are not the ones kept (the weights would not be theirs), or when it is not made yet
    and ``make`` is false."""
    name = "reverse-graph:" + ("directed" if directed else "both")
    kept = proj.remembered(name) if not make else \
        proj.memo(name, lambda: (tabs, _reversed(proj, tabs, directed)))
    if not isinstance(kept, tuple) or kept[0] is not tabs:
        return None
    graph: csr_matrix = kept[1]
    return graph


def _reversed(proj: Projection, tabs: Tables, directed: bool) -> csr_matrix:
    """The matrix of :func:`reverse_graph`, rows filled channel after channel (no sorting; 12 bytes per relation
    and channel kept, about twice that for a moment while it is made)."""
    from scipy.sparse import csr_matrix

    n = len(proj.out_off) - 1
    pen = np.asarray(tabs.node_pen, dtype=np.float64)
    pred_cost = np.asarray(tabs.pred_cost, dtype=np.float64)
    channels = channels_for(proj, directed, False, tabs)
    offsets = [np.asarray(off, dtype=np.int64) for _, off, _, _ in channels]
    sizes = [np.diff(off) for off in offsets]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.sum(sizes, axis=0), out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    data = np.empty(int(indptr[-1]), dtype=np.float64)
    start = indptr[:-1].copy()  # where the next channel's relations of each row go
    for (dst, _, prd, cst), off, size in zip(channels, offsets, sizes, strict=True):
        where = np.repeat(start - off[:-1], size)  # relation j of the channel goes to j + (start - off) of its row
        where += np.arange(len(where), dtype=np.int64)
        indices[where] = np.asarray(dst, dtype=np.int32)
        cost = np.array(cst, dtype=np.float64) if cst is not None else pred_cost[np.asarray(prd, dtype=np.int64)]
        cost += np.repeat(pen, size)
        data[where] = cost
        start += size
    return csr_matrix((data, indices, indptr.astype(np.int32)), shape=(n, n))
