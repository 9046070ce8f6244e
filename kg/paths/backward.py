"""The backward search from a target, which every spur search of one k-best question shares.

Every spur search of Yen's algorithm (:mod:`kg.paths.kbest`) ends at the same target, so one cheapest-path search
backward from it, in the graph without bans, serves them all (:class:`ToTarget`):

- the cost to the target of each thing inside a radius (exact) and the radius elsewhere (a lower bound): banning
  things or relations only raises costs, so these are lower bounds in every spur search, and consistent ones, the
  estimate of its A* (:func:`kg.paths.kbest.astar`);
- the way each of those things takes to the target (``toward``): a spur search that reaches a thing whose way
  avoids its bans has its answer, since no way can cost less than the estimate.

:func:`to_target` is the search in Python; :func:`kg.paths.compiled.to_target_compiled` the same search compiled,
for big graphs. It stops at a radius (a share of the first path's cost) or after a number of things, whichever
comes first.

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
>>> back = to_target(proj, d, comp, tables(proj), 10.0, Clock(1.0))
>>> round(back.estimate[a], 2), back.estimate[d], back.radius  # three hops, and the penalties of b and c
(5.19, 0.0, 10.0)
>>> way = [a]
>>> while way[-1] != d:
...     way.append(back.toward[way[-1]])
>>> [proj.label(v) for v in way]
['a', 'b', 'c', 'd']
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kg.paths.constraints import Compiled
from kg.paths.projection import Projection
from kg.paths.ranking import Tables
from kg.paths.walking import Clock, channels_for, hop_costs

BACK_SHARE = 0.7
"""How far the Python search goes, as a share of the cheapest path's cost: further costs more once, and saves each
spur search the part of its way inside that radius. On the bench's 1M-relation graph (50 pairs, k=5, p50): 0.5
gave 133 ms, 0.6 41 ms, 0.7 45 ms, 0.8 61–71 ms, 1.0 ran out of time; 0.7 with :data:`BACK_NODES` had the lowest
p90 and maximum (87 and 126 ms)."""

BACK_NODES = 10_000
"""The most things the Python search settles (its work, whatever the costs): a safeguard where the costs near the
target are flat and the share above would reach far."""


@dataclass(frozen=True)
class ToTarget:
    """What one backward search from ``t`` found (see the module documentation)."""

    estimate: Sequence[float]
    """Per thing: its cost to ``t`` where the search settled it (exact), else ``radius``."""
    radius: float
    """What any thing not settled costs at least."""
    toward: Sequence[int]
    """Per settled thing: the next thing on its cheapest way to ``t`` (-1 for ``t`` and the things not settled)."""
    into_t: dict[int, float]
    """The cheapest allowed relation from each thing to ``t`` (:func:`kg.paths.kbest.astar` meets ``t`` through
    it)."""
    scratch: Any = None
    """What a compiled spur search works in (:class:`kg.paths.compiled.Scratch`), with a compiled search's arrays."""


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
