"""The k best paths by cost: Yen's algorithm (1971) over cheapest-path searches with bans.

The first path comes from a bidirectional Dijkstra; every spur search ends at the same target, so one backward
search from it (:mod:`kg.paths.backward`) gives each of them exact costs near the target and a lower bound
elsewhere, and they run as A* (:func:`astar`), done as soon as they reach a thing whose cheapest way to the target
the bans leave open; a spur path longer than its hop budget is searched again by an exact hop-bounded Dijkstra
(:func:`hop_bounded`), which skips what cannot reach the target in the hops left.
:func:`k_ranked` then ranks them by their final cost, stopping as soon as no further path could rank.

>>> from kg.paths.builder import projection_from_quads
>>> from kg.paths.constraints import compile_constraints
>>> from kg.paths.model import Constraints
>>> from kg.paths.ranking import tables
>>> import pyoxigraph as ox
>>> def q(s, p, o): return ox.Quad(ox.NamedNode("http://x/" + s), ox.NamedNode("http://x/" + p),
...                                 ox.NamedNode("http://x/" + o))
>>> proj = projection_from_quads([q("a", "knows", "b"), q("b", "knows", "c"), q("a", "coined", "c")])
>>> a, c = proj.node("http://x/a"), proj.node("http://x/c")
>>> comp = compile_constraints(proj, Constraints(), (a, c))
>>> [[proj.label(v) for v in p.nodes] for p in k_ranked(proj, a, c, comp, 2, Clock(2.0), tables(proj), 1)]
[['a', 'c'], ['a', 'b', 'c']]
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence

from kg.paths import compiled
from kg.paths.backward import BACK_NODES, BACK_SHARE, ToTarget, to_target
from kg.paths.constraints import Compiled
from kg.paths.model import Path
from kg.paths.projection import Projection
from kg.paths.ranking import TIME_BONUS, Tables, make_path, node_cost
from kg.paths.walking import Clock, channels_for, hop_costs, neighbours

# --- k best paths: Yen's algorithm over a hop-bounded Dijkstra --------------------------------

NEAR_DEPTH = 2
"""How many hops around the target the hop-bounded search knows distances for (to prune its last hops)."""
NEAR_WORK = 50_000
"""The most relations read to know them; past that the search goes on without (a hub's second ring)."""


def near_target(proj: Projection, t: int, comp: Compiled, clock: Clock) -> dict[int, int]:
    """Hops to ``t`` of the things at most :data:`NEAR_DEPTH` hops from it by allowed relations (a lower bound of
    their distance in any search with more banned): ``{t: 0}`` plus the rings that cost at most :data:`NEAR_WORK`.
    """
    near, ring, work = {t: 0}, [t], 0
    for depth in range(1, NEAR_DEPTH + 1):
        nxt: list[int] = []
        for v in ring:
            for w, _ in neighbours(proj, v, comp, outward=False):
                work += 1
                if w not in near and (comp.node_ok is None or comp.node_ok(w)):
                    near[w] = depth
                    nxt.append(w)
            if work > NEAR_WORK:
                return {w: d for w, d in near.items() if d < depth}  # this ring is incomplete: not a bound
        clock.check()
        ring = nxt
    return near


def hop_bounded(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, max_hops: int,
              banned_nodes: set[int], banned_edges: set[tuple[int, int]], clock: Clock) -> list[int] | None:
    """Cheapest path s → t with at most ``max_hops`` hops (exact: labels are Pareto-pruned on hops). A thing from
    which ``t`` is further than the hops left is not entered (:func:`near_target` knows the last rings)."""
    pen = tabs.node_pen
    near = near_target(proj, t, comp, clock)
    known = max(near.values())  # distances up to this are known: a thing not in near is further
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    channels = channels_for(proj, comp.directed, True, tabs)
    labels: list[tuple[int, int]] = [(s, -1)]
    heap: list[tuple[float, int, int]] = [(0.0, 0, 0)]
    settled: dict[int, int] = {}
    pops = 0
    while heap:
        cost, hops, lid = heapq.heappop(heap)
        v = labels[lid][0]
        if v == t:
            path = []
            while lid >= 0:
                node, lid = labels[lid]
                path.append(node)
            return path[::-1]
        if settled.get(v, max_hops + 1) <= hops:
            continue
        settled[v] = hops
        pops += 1
        if pops & 63 == 0:
            clock.check()
        if hops >= max_hops:
            continue
        nh = hops + 1
        for dst, off, prd, cst in channels:
            a, b = off[v], off[v + 1]
            for w, p, c in zip(dst[a:b], prd[a:b], hop_costs(tabs, prd, cst, a, b), strict=True):
                if pred_ok is not None and p not in pred_ok:
                    continue
                if w in banned_nodes or settled.get(w, max_hops + 1) <= nh or (v, w) in banned_edges:
                    continue
                if w != t:
                    if node_ok is not None and not node_ok(w):
                        continue
                    left = max_hops - nh
                    if left <= known and near.get(w, known + 1) > left:
                        continue  # t is further than the hops left (this covers left == 0)
                    step = c + pen[w]
                else:
                    step = c
                labels.append((w, lid))
                heapq.heappush(heap, (cost + step, nh, len(labels) - 1))
    return None


def bidijkstra(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, banned_nodes: set[int],
                banned_edges: set[tuple[int, int]], clock: Clock, bound: float = math.inf) -> list[int] | None:
    """Cheapest path s → t by bidirectional Dijkstra (no hop limit); None if none cheaper than ``bound``.

    Both searches stop when the sum of their smallest tentative costs reaches the best meeting found
    (the classic stopping rule), so each explores about half the cost radius of a one-sided search.
    """
    half = tabs.half_pen
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    dist = ({s: 0.0}, {t: 0.0})
    parent: tuple[dict[int, int], dict[int, int]] = ({s: -1}, {t: -1})
    done: tuple[set[int], set[int]] = (set(), set())
    heaps: list[list[tuple[float, int]]] = [[(0.0, s)], [(0.0, t)]]
    channels = (channels_for(proj, comp.directed, True, tabs), channels_for(proj, comp.directed, False, tabs))
    best, meet = bound, -1
    pops = 0
    ordered = tabs.ordered
    ends = {s, t}  # the ends of the path have no penalty
    banned_ends = ({a for a, _ in banned_edges}, {b for _, b in banned_edges})  # as each side meets them
    # A hop u–w costs its relation's cost (at least 1) + half the penalty of each of its two nodes (the ends
    # of the path have none): summed over a path this is exactly the path's cost, and it is the same seen from
    # either end, so both searches can stop scanning a neighbourhood (least penalised first) early.
    while heaps[0] and heaps[1]:
        if heaps[0][0][0] + heaps[1][0][0] >= best:
            break
        side = 0 if heaps[0][0][0] <= heaps[1][0][0] else 1
        cost, v = heapq.heappop(heaps[side])
        if v in done[side]:
            continue
        done[side].add(v)
        pops += 1
        if pops & 63 == 0:
            clock.check()
        base = cost + (0.0 if v in ends else half[v])
        top_other = heaps[1 - side][0][0] if heaps[1 - side] else math.inf
        if base + 1.0 + top_other >= best:
            continue  # no hop from v (a hub, often) can lead to a cheaper path
        mine, other, banned_here, parents, heap = dist[side], dist[1 - side], done[side], parent[side], heaps[side]
        edges_banned = v in banned_ends[side]  # some relation of v is banned (rare: only the spur node's)
        room = best - base - 1.0 - top_other  # a neighbour whose half penalty reaches this is too dear
        for dst, off, prd, cst in channels[side]:
            a, b = off[v], off[v + 1]
            for w, p, c in zip(dst[a:b], prd[a:b], hop_costs(tabs, prd, cst, a, b), strict=True):
                if half[w] >= room:
                    if ordered:
                        break  # neighbours come least connected first: the rest cost at least as much
                    continue  # a fetched subgraph (frontier engine) is not ordered by these penalties
                if pred_ok is not None and p not in pred_ok:
                    continue
                if w in banned_nodes or w in banned_here:
                    continue
                if edges_banned and ((v, w) in banned_edges if side == 0 else (w, v) in banned_edges):
                    continue
                if node_ok is not None and not node_ok(w):
                    continue
                new = base + c + (0.0 if w in ends else half[w])
                if w not in other and new + top_other >= best:
                    continue  # cannot be on a path cheaper than the best one found (or the bound)
                if new < mine.get(w, math.inf):
                    mine[w] = new
                    parents[w] = v
                    heapq.heappush(heap, (new, w))
                    if w in other and new + other[w] < best:
                        best, meet = new + other[w], w
                        room = best - base - 1.0 - top_other
    if meet < 0:
        return None
    head, v = [], meet
    while v >= 0:
        head.append(v)
        v = parent[0][v]
    tail, v = [], parent[1][meet]
    while v >= 0:
        tail.append(v)
        v = parent[1][v]
    return head[::-1] + tail


def astar(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, back: ToTarget, banned_nodes: set[int],
           banned_edges: set[tuple[int, int]], clock: Clock, bound: float = math.inf) -> list[int] | None:
    """Cheapest path s → t (no hop limit) by A* with ``back``'s costs to ``t`` as the estimate; None if none is
    cheaper than ``bound``. The estimate is consistent, so each thing is expanded once; and exact where the
    backward search settled a thing, so a thing taken there whose cheapest way on the bans leave open ends the
    search (:func:`open_way`)."""
    pen = tabs.node_pen
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    channels = channels_for(proj, comp.directed, True, tabs)
    estimate, radius, toward = back.estimate, back.radius, back.toward  # (exact where below the radius)
    g = {s: 0.0}
    parent = {s: -1}
    closed: set[int] = set()
    heap = [(0.0, 0.0, s)]  # (s need not pass the node test the estimate's search applied)
    into_t = back.into_t
    ordered = tabs.ordered
    edges_banned = {a for a, _ in banned_edges}
    pops = 0
    while heap:
        f, cost, v = heapq.heappop(heap)
        if f >= bound:
            return None
        if v == t:
            path = []
            while v >= 0:
                path.append(v)
                v = parent[v]
            return path[::-1]
        if v in closed:
            continue
        closed.add(v)
        pops += 1
        if pops & 63 == 0:
            clock.check()
        if estimate[v] < radius:  # v's cheapest way to t is known: if the bans leave it open, nothing costs less
            rest = open_way(v, t, toward, closed, banned_nodes, banned_edges)
            if rest is not None:
                path = []
                while v >= 0:
                    path.append(v)
                    v = parent[v]
                return path[::-1] + rest
        check_edges = v in edges_banned
        hop = into_t.get(v)  # the target is not met in the loop below: it may come after where the loop stops
        if hop is not None and not (check_edges and (v, t) in banned_edges) and cost + hop < g.get(t, math.inf):
            g[t] = cost + hop
            parent[t] = v
            heapq.heappush(heap, (cost + hop, cost + hop, t))
        limit = min(bound, g.get(t, math.inf))
        room = limit - cost - 1.0  # a neighbour whose penalty reaches this is too dear
        for dst, off, prd, cst in channels:
            a, b = off[v], off[v + 1]
            for w, p, c in zip(dst[a:b], prd[a:b], hop_costs(tabs, prd, cst, a, b), strict=True):
                if pen[w] >= room:
                    if ordered:
                        break  # neighbours come least connected first: the rest cost at least as much
                    continue
                if w == t or w in closed or w in banned_nodes or (pred_ok is not None and p not in pred_ok):
                    continue
                if check_edges and (v, w) in banned_edges:
                    continue
                if node_ok is not None and not node_ok(w):
                    continue
                new = cost + c + pen[w]
                if new < g.get(w, math.inf):
                    f = new + estimate[w]
                    if f >= limit:
                        continue  # popped only after t (or the bound) is reached: never on the answer
                    g[w] = new
                    parent[w] = v
                    heapq.heappush(heap, (f, new, w))
    return None


def open_way(v: int, t: int, toward: Sequence[int], closed: set[int], banned_nodes: set[int],
             banned_edges: set[tuple[int, int]]) -> list[int] | None:
    """The rest of v's cheapest way to ``t`` (``toward``, from the backward search), after v; None if it passes a
    banned thing or relation, or a thing the search has closed (it could be on the way to v)."""
    rest, x = [], v
    while x != t:
        y = toward[x]
        if y < 0 or y in closed or y in banned_nodes or (x, y) in banned_edges:
            return None
        rest.append(y)
        x = y
    return rest


CUT_OFF_LOOK = 64
"""How many things around the target :func:`cut_off` reads to find it walled off by the bans."""


def cut_off(proj: Projection, s: int, t: int, comp: Compiled, banned_nodes: set[int],
            banned_edges: set[tuple[int, int]], most: int = CUT_OFF_LOOK) -> bool:
    """Whether the bans wall ``t`` off from ``s``: walking back from ``t`` by allowed relations, without banned
    things or relations, reaches fewer than ``most`` things and not ``s`` (exact when True; False says only that
    it did not look further).

    A spur search whose target is walled off (a leaf whose one relation is banned, often) would otherwise read
    the whole graph to learn there is no way: an A* search grows from its start alone.
    """
    node_ok = comp.node_ok
    seen, todo = {t}, [t]
    while todo:
        v = todo.pop()
        for w, _ in neighbours(proj, v, comp, outward=False):
            if w == s:
                if (s, v) not in banned_edges:
                    return False
                continue
            if w in seen or w in banned_nodes or (w, v) in banned_edges:
                continue
            if node_ok is not None and not node_ok(w):
                continue
            seen.add(w)
            if len(seen) >= most:
                return False
            todo.append(w)
    return True


COMPILED_SHARE = 0.75
"""How far the compiled backward search goes, as a share of the cheapest path's cost (:data:`BACK_SHARE` for the
Python one)."""

COMPILED_NODES = 100_000
"""The most things the compiled backward search settles (:data:`BACK_NODES` for the Python one): the same
safeguard, ten times as far for a loop ten times as fast."""


def backward(proj: Projection, t: int, comp: Compiled, tabs: Tables, first_cost: float, clock: Clock,
             native: bool | None = None) -> ToTarget:
    """The backward search from ``t`` for the spur searches of one question whose cheapest path costs
    ``first_cost``: compiled (:mod:`kg.paths.compiled`) when the compiled loops cover its constraints and the path
    worker readied the projection for it (:func:`kg.paths.compiled.prepare`; a question never waits
    for that), or ``native`` asks for it (readied now if need be); else in Python."""
    walk = None
    if native is not False and compiled.covers(comp):
        walk = compiled.walk_arrays(proj, tabs, make=native is True)
    if walk is not None:
        found = compiled.to_target_compiled(proj, t, comp, tabs, COMPILED_SHARE * first_cost, walk,
                                              COMPILED_NODES)
        clock.check()
        return found
    return to_target(proj, t, comp, tabs, BACK_SHARE * first_cost, clock, BACK_NODES)


def cheapest(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, max_hops: int,
              banned_nodes: set[int], banned_edges: set[tuple[int, int]], clock: Clock,
              bound: float = math.inf, back: ToTarget | None = None) -> list[int] | None:
    """Cheapest path of at most ``max_hops`` hops: A* towards ``t`` with ``back``'s estimates (else bidirectional
    Dijkstra), and the exact hop-bounded search only when the cheapest path overall is too long. Both run compiled
    (:mod:`kg.paths.compiled`) on a projection a path worker readied, for a question whose constraints they cover
    (the spur searches when ``back`` is the compiled backward search too)."""
    walk = compiled.walk_arrays(proj, tabs, make=False) if compiled.covers(comp) else None
    if back is not None and walk is not None and back.scratch is not None:
        path = compiled.spur_search(s, t, comp, walk, back, banned_nodes, banned_edges, bound, CUT_OFF_LOOK)
        clock.check()
    elif back is not None:
        if cut_off(proj, s, t, comp, banned_nodes, banned_edges):
            return None
        path = astar(proj, s, t, comp, tabs, back, banned_nodes, banned_edges, clock, bound)
    elif walk is not None and not banned_nodes and not banned_edges and bound == math.inf:
        path = compiled.first_path(s, t, comp, walk)
        clock.check()
    else:
        path = bidijkstra(proj, s, t, comp, tabs, banned_nodes, banned_edges, clock, bound)
    if path is None or (len(path) - 1 <= max_hops and len(set(path)) == len(path)):
        return path
    return hop_bounded(proj, s, t, comp, tabs, max_hops, banned_nodes, banned_edges, clock)


def k_best(proj: Projection, s: int, t: int, comp: Compiled, k: int, clock: Clock,
            tabs: Tables, native: bool | None = None) -> Iterator[list[int]]:
    """Yen's k shortest simple paths, cheapest first, as they are found (a caller may stop early); spur searches
    skip what could not enter the k best. ``native`` picks the backward search (:func:`backward`:
    by the graph's size when None)."""
    first = cheapest(proj, s, t, comp, tabs, comp.max_length, set(), set(), clock)
    if first is None:
        return
    yield first
    # every spur search ends at t: one backward search serves them all
    back = backward(proj, t, comp, tabs, node_cost(proj, first, comp, tabs), clock, native)
    found: list[list[int]] = [first]
    candidates: list[tuple[float, list[int], int]] = []
    known: set[tuple[int, ...]] = {tuple(first)}
    deviation = 0  # Lawler: spurs before the node where a path left its parent were tried already
    while len(found) < k:
        prev = found[-1]
        for i in range(deviation, len(prev) - 1):
            clock.check()
            root = prev[: i + 1]
            banned_edges = {(p[i], p[i + 1]) for p in found if len(p) > i + 1 and p[: i + 1] == root}
            needed = k - len(found)
            bound = math.inf
            if len(candidates) >= needed:
                bound = sorted(c for c, _, _ in candidates)[needed - 1] - node_cost(proj, root, comp, tabs) \
                    - (tabs.node_pen[root[-1]] if i > 0 else 0.0) + 1e-9
            spur = cheapest(proj, root[-1], t, comp, tabs, comp.max_length - i, set(root[:-1]), banned_edges,
                             clock, bound, back)
            if spur is None:
                continue
            path = root[:-1] + spur
            key = tuple(path)
            if key in known:
                continue
            known.add(key)
            heapq.heappush(candidates, (node_cost(proj, path, comp, tabs), path, i))
        if not candidates:
            break
        _, path, deviation = heapq.heappop(candidates)
        found.append(path)
        yield path


def rank(path: Path) -> tuple[float, int, tuple[int, ...]]:
    """How paths are ordered: by final cost, then by length, then by their nodes (a stable order for ties)."""
    return (path.cost, path.length, path.nodes)


POOL = 2
"""Mode ``k`` ranks at most ``POOL * k`` paths (at least ``k + 4``), taken in order of additive cost, by their
final cost."""


def k_ranked(proj: Projection, s: int, t: int, comp: Compiled, k: int, clock: Clock, tabs: Tables,
              shortest: int | None, native: bool | None = None) -> list[Path]:
    """The k best paths by their final cost, among the ``POOL * k`` (at least ``k + 4``) cheapest by additive cost
    (Yen's algorithm). The whole-path adjustments are bounded (at most :data:`kg.paths.ranking.TIME_BONUS`
    gained), so a path outside the pool could only enter the k best when its additive cost is within that bound
    of the last path taken; and once the k-th best final cost is below the additive cost of the last path taken
    less that bonus, no later path (Yen finds them in order of additive cost) can enter: the search stops there.
    """
    made: list[Path] = []
    for nodes in k_best(proj, s, t, comp, max(POOL * k, k + 4), clock, tabs, native):
        path = make_path(proj, nodes, comp, tabs, shortest)
        made.append(path)
        if len(made) >= k and path.base_cost is not None \
                and sorted(p.cost for p in made)[k - 1] < path.base_cost - TIME_BONUS - 1e-6:
            break
    return sorted(made, key=rank)[:k]
