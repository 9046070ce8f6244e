"""Path search: how two things connect, hop by hop, ranked so the telling paths come first.

SPARQL property paths say *whether* two things connect; this module says *how*. Three modes:

- ``shortest``: the paths with the fewest hops (bidirectional breadth-first search that keeps every
  parent, so all shortest paths are known), the best ``k`` of them by the ranking below;
- ``k``: the ``k`` best paths of at most ``max_length`` hops by the ranking (Yen's algorithm, 1971, over a
  bidirectional Dijkstra, and a hop-bounded one when the cheapest path is too long);
- ``all``: every simple path of at most ``max_length`` hops, shortest first, up to ``limit``.

**Ranking** (:mod:`kg.paths.ranking`): the paths that tell the most first: specific relations are cheap, generic
ones and outside facts cost more, a hub costs (the topic of the graph does not). The searches find paths in
order of that additive cost; mode ``k`` then ranks up to twice as many as asked for by the whole-path adjustments
(time order, a link only through a broad concept), which are bounded (:func:`_k_ranked`), and stops taking more as
soon as no further path could rank in the k best.
**Constraints** (:mod:`kg.paths.constraints`) limit what a path may go through.

**Caps.** ``max_length`` ≤ 8, ``k`` ≤ 50, ``limit`` ≤ 1000, and every search has a time budget
(2 s by default): past a cap the request is refused (:class:`PathRequestError`), past the budget the
search stops (:class:`SearchTimeout`). No search runs unbounded.

>>> from kg.paths.builder import projection_from_quads
>>> import pyoxigraph as ox
>>> def q(s, p, o): return ox.Quad(ox.NamedNode("http://x/" + s), ox.NamedNode("http://x/" + p),
...                                 ox.NamedNode("http://x/" + o), ox.NamedNode("http://x/g"))
>>> proj = projection_from_quads([q("a", "knows", "b"), q("b", "knows", "c"), q("a", "coined", "c")])
>>> result = search(proj, proj.node("http://x/a"), proj.node("http://x/c"), mode="k", k=2)
>>> [[proj.label(v) for v in p.nodes] for p in result.paths]
[['a', 'c'], ['a', 'b', 'c']]
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from kg.paths.constraints import (
    Compiled,
    compile_constraints,
    make_constraints,
    validate_numbers,
)
from kg.paths.model import (
    TIME_BUDGET,
    Constraints,
    Path,
    PathOptions,
    PathRequestError,
    SearchResult,
    SearchTimeout,
)
from kg.paths.names import name_index
from kg.paths.projection import Projection
from kg.paths.ranking import TIME_BONUS, Tables, make_path, node_cost, tables

# --- neighbourhoods ------------------------------------------------------------------------------

Channel = tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[float] | None]
"""(targets, offsets, predicates, costs or None) arrays of a projection, to follow from a node."""


def _channels(proj: Projection, directed: bool, outward: bool, tabs: Tables | None = None) -> list[Channel]:
    """(targets, offsets, predicates, per-relation costs) arrays to follow from a node: out, in, or both. The
    costs are None when every relation costs what its predicate costs (``tabs.pred_cost``)."""
    out = (proj.out_dst, proj.out_off, proj.out_pred, tabs.out_cost if tabs else None)
    inn = (proj.in_src, proj.in_off, proj.in_pred, tabs.in_cost if tabs else None)
    if not directed:
        return [out, inn]
    return [out] if outward else [inn]


def _costs(tabs: Tables, prd: Sequence[int], cst: Sequence[float] | None, a: int, b: int) -> Iterable[float]:
    """The hop costs of the relations ``a .. b-1`` of a channel."""
    return cst[a:b] if cst is not None else map(tabs.pred_cost.__getitem__, prd[a:b])


def neighbours(proj: Projection, v: int, comp: Compiled, outward: bool = True) -> Iterator[tuple[int, int]]:
    """(neighbour, predicate id) pairs reachable from v in one allowed hop (node test not applied)."""
    pred_ok = comp.pred_ok
    for dst, off, prd, _ in _channels(proj, comp.directed, outward):
        a, b = off[v], off[v + 1]
        if pred_ok is None:
            for w, p in zip(dst[a:b], prd[a:b], strict=True):
                yield w, p
        else:
            for w, p in zip(dst[a:b], prd[a:b], strict=True):
                if p in pred_ok:
                    yield w, p


class _Clock:
    """A deadline checked cheaply in hot loops."""

    __slots__ = ("deadline", "budget", "ticks")

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.deadline = time.perf_counter() + budget
        self.ticks = 0

    def check(self) -> None:
        if time.perf_counter() > self.deadline:
            raise SearchTimeout(
                f"the search did not finish within {self.budget:g} s; narrow it: lower max_length, set "
                "max_degree to avoid hubs, or exclude predicates"
            )


# --- shortest paths: bidirectional BFS keeping every parent ---------------------------------------

@dataclass
class _Layers:
    dist: int
    parents_f: dict[int, list[int]]
    parents_b: dict[int, list[int]]
    meets: list[int]


def _bfs_meet(proj: Projection, s: int, t: int, comp: Compiled, clock: _Clock) -> _Layers | None:
    """Bidirectional BFS from s and t; every shortest path passes through ``meets``; None if none ≤ max."""
    if s == t:
        return _Layers(0, {s: []}, {t: []}, [s])
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    degree = proj.degree
    # each side: parents, depth, frontier, channels
    sides: list[tuple[dict[int, list[int]], dict[int, int], list[int], list[Channel]]] = [
        ({s: []}, {s: 0}, [s], _channels(proj, comp.directed, True)),
        ({t: []}, {t: 0}, [t], _channels(proj, comp.directed, False)),
    ]
    depth_of = [0, 0]
    while sides[0][2] and sides[1][2] and depth_of[0] + depth_of[1] < comp.max_length:
        load = [sum(degree[v] for v in side[2]) for side in sides]
        i = 0 if load[0] <= load[1] else 1
        parents, depth, frontier, channels = sides[i]
        other = sides[1 - i][0]
        d = depth_of[i] + 1
        nxt: list[int] = []
        meets: list[int] = []
        for u in frontier:
            clock.check()
            for dst, off, prd, _ in channels:
                a, b = off[u], off[u + 1]
                if pred_ok is None:
                    targets: Sequence[int] = dst[a:b]
                else:
                    targets = [w for w, p in zip(dst[a:b], prd[a:b], strict=True) if p in pred_ok]
                for w in targets:
                    seen = depth.get(w)
                    if seen is None:
                        if node_ok is not None and not node_ok(w):
                            continue
                        depth[w] = d
                        parents[w] = [u]
                        nxt.append(w)
                        if w in other:
                            meets.append(w)
                    elif seen == d:
                        parents[w].append(u)  # repeats (parallel relations) are dropped in _chains
        depth_of[i] = d
        sides[i] = (parents, depth, nxt, channels)
        if meets:
            return _Layers(depth_of[0] + depth_of[1], sides[0][0], sides[1][0], meets)
    return None


def shortest_length(proj: Projection, s: int, t: int, cons: Constraints, budget: float = TIME_BUDGET) -> int | None:
    """The fewest hops between s and t under the constraints (None when none within max_length)."""
    layers = _bfs_meet(proj, s, t, compile_constraints(proj, cons, (s, t)), _Clock(budget))
    return None if layers is None else layers.dist


def _chains(parents: dict[int, list[int]], v: int, cost: Callable[[int], float]) -> Iterator[list[int]]:
    """Every chain v → … → root through ``parents`` (cheapest parents first), as node lists from v."""
    ps = parents[v]
    if not ps:
        yield [v]
        return
    for p in sorted(set(ps), key=cost):
        for rest in _chains(parents, p, cost):
            yield [v, *rest]


def _shortest_paths(proj: Projection, s: int, t: int, comp: Compiled, k: int, clock: _Clock,
                    tabs: Tables) -> tuple[list[list[int]], int | None, bool]:
    layers = _bfs_meet(proj, s, t, comp, clock)
    if layers is None:
        return [], None, False
    pen = tabs.node_pen
    ends = {s, t}

    def penalty(v: int) -> float:
        return 0.0 if v in ends else pen[v]

    def best(parents: dict[int, list[int]]) -> Callable[[int], float]:
        memo: dict[int, float] = {}

        def cost(v: int) -> float:
            c = memo.get(v)
            if c is None:
                ps = parents[v]
                c = memo[v] = penalty(v) + (min(cost(p) for p in ps) if ps else 0.0)
            return c

        return cost

    cf, cb = best(layers.parents_f), best(layers.parents_b)
    meets = sorted(set(layers.meets), key=lambda w: cf(w) + cb(w) - penalty(w))
    wanted = max(4 * k, 16)
    found: list[list[int]] = []
    seen: set[tuple[int, ...]] = set()
    for w in meets:
        for head in islice(_chains(layers.parents_f, w, cf), wanted):
            for tail in islice(_chains(layers.parents_b, w, cb), wanted):
                path = tuple(head[::-1] + tail[1:])
                if path not in seen:
                    seen.add(path)
                    found.append(list(path))
                if len(found) >= wanted:
                    return found, layers.dist, True
        clock.check()
    return found, layers.dist, False


# --- k best paths: Yen's algorithm over a hop-bounded Dijkstra --------------------------------

NEAR_DEPTH = 2
"""How many hops around the target the hop-bounded search knows distances for (to prune its last hops)."""
NEAR_WORK = 50_000
"""The most relations read to know them; past that the search goes on without (a hub's second ring)."""


def _near(proj: Projection, t: int, comp: Compiled, clock: _Clock) -> dict[int, int]:
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


def _dijkstra(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, max_hops: int,
              banned_nodes: set[int], banned_edges: set[tuple[int, int]], clock: _Clock) -> list[int] | None:
    """Cheapest path s → t with at most ``max_hops`` hops (exact: labels are Pareto-pruned on hops). A thing from
    which ``t`` is further than the hops left is not entered (:func:`_near` knows the last rings)."""
    pen = tabs.node_pen
    near = _near(proj, t, comp, clock)
    known = max(near.values())  # distances up to this are known: a thing not in near is further
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    channels = _channels(proj, comp.directed, True, tabs)
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
            for w, p, c in zip(dst[a:b], prd[a:b], _costs(tabs, prd, cst, a, b), strict=True):
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


def _bidijkstra(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, banned_nodes: set[int],
                banned_edges: set[tuple[int, int]], clock: _Clock, bound: float = math.inf) -> list[int] | None:
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
    channels = (_channels(proj, comp.directed, True, tabs), _channels(proj, comp.directed, False, tabs))
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
            for w, p, c in zip(dst[a:b], prd[a:b], _costs(tabs, prd, cst, a, b), strict=True):
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


def _cheapest(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, max_hops: int,
              banned_nodes: set[int], banned_edges: set[tuple[int, int]], clock: _Clock,
              bound: float = math.inf) -> list[int] | None:
    """Cheapest path of at most ``max_hops`` hops: bidirectional Dijkstra, and the exact hop-bounded
    search only when the cheapest path overall is too long."""
    path = _bidijkstra(proj, s, t, comp, tabs, banned_nodes, banned_edges, clock, bound)
    if path is None or (len(path) - 1 <= max_hops and len(set(path)) == len(path)):
        return path
    return _dijkstra(proj, s, t, comp, tabs, max_hops, banned_nodes, banned_edges, clock)


def _k_best(proj: Projection, s: int, t: int, comp: Compiled, k: int, clock: _Clock,
            tabs: Tables) -> Iterator[list[int]]:
    """Yen's k shortest simple paths, cheapest first, as they are found (a caller may stop early); spur searches
    skip what could not enter the k best."""
    first = _cheapest(proj, s, t, comp, tabs, comp.max_length, set(), set(), clock)
    if first is None:
        return
    yield first
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
            spur = _cheapest(proj, root[-1], t, comp, tabs, comp.max_length - i, set(root[:-1]), banned_edges,
                             clock, bound)
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


POOL = 2
"""Mode ``k`` ranks at most ``POOL * k`` paths (at least ``k + 4``), taken in order of additive cost, by their
final cost."""


def _k_ranked(proj: Projection, s: int, t: int, comp: Compiled, k: int, clock: _Clock, tabs: Tables,
              shortest: int | None) -> list[Path]:
    """The k best paths by their final cost, among the ``POOL * k`` (at least ``k + 4``) cheapest by additive cost
    (Yen's algorithm). The whole-path adjustments are bounded (at most :data:`kg.paths.ranking.TIME_BONUS`
    gained), so a path outside the pool could only enter the k best when its additive cost is within that bound
    of the last path taken; and once the k-th best final cost is below the additive cost of the last path taken
    less that bonus, no later path (Yen finds them in order of additive cost) can enter: the search stops there.
    """
    made: list[Path] = []
    for nodes in _k_best(proj, s, t, comp, max(POOL * k, k + 4), clock, tabs):
        path = make_path(proj, nodes, comp, tabs, shortest)
        made.append(path)
        if len(made) >= k and path.base_cost is not None \
                and sorted(p.cost for p in made)[k - 1] < path.base_cost - TIME_BONUS - 1e-6:
            break
    return sorted(made, key=_rank)[:k]


# --- all simple paths up to a length ------------------------------------------------------------

def _all_paths(proj: Projection, s: int, t: int, comp: Compiled, limit: int, clock: _Clock
               ) -> tuple[list[list[int]], bool]:
    """Simple paths s → t of at most max_length hops, shortest first, at most ``limit`` (+ truncated)."""
    # hop distance to t (backwards), to prune branches that cannot reach t in time
    to_t: dict[int, int] = {t: 0}
    frontier = [t]
    for d in range(1, comp.max_length):
        nxt = []
        for u in frontier:
            clock.check()
            for w, _ in neighbours(proj, u, comp, outward=False):
                if w not in to_t and (comp.node_ok is None or comp.node_ok(w)):
                    to_t[w] = d
                    nxt.append(w)
        frontier = nxt
    found: list[list[int]] = []
    for length in range(1, comp.max_length + 1):
        stack: list[tuple[int, list[int]]] = [(s, [s])]
        while stack:
            v, path = stack.pop()
            clock.check()
            left = length - (len(path) - 1)
            for w in sorted({w for w, _ in neighbours(proj, v, comp)}, reverse=True):
                if w == t:
                    if left == 1:
                        found.append(path + [t])
                        if len(found) > limit:
                            return found[:limit], True
                    continue
                if w in path or to_t.get(w, comp.max_length + 1) > left - 1 or left - 1 < 1:
                    continue
                stack.append((w, path + [w]))
    return found, False



# --- the entry point ---------------------------------------------------------------------------------

def search(
    proj: Projection,
    source: int,
    target: int,
    constraints: Constraints | None = None,
    *,
    mode: str = "k",
    k: int = 3,
    limit: int = 100,
    budget: float = TIME_BUDGET,
) -> SearchResult:
    """Paths from ``source`` to ``target`` (node ids), ranked best first. See the module docstring."""
    cons = constraints or Constraints()
    validate_numbers(mode, k, cons.max_length, limit)
    if source == target:
        raise PathRequestError("from and to are the same thing: give two different things")
    if source in cons.avoid or target in cons.avoid:
        raise PathRequestError("avoid names one of the ends of the path: a path cannot avoid where it starts or ends")
    started = time.perf_counter()
    clock = _Clock(budget)
    comp = compile_constraints(proj, cons, (source, target))
    tabs = tables(proj)
    truncated = False
    if mode == "shortest":
        node_paths, shortest, truncated = _shortest_paths(proj, source, target, comp, k, clock, tabs)
        node_paths.sort(key=lambda p: (node_cost(proj, p, comp, tabs), p))
        truncated = truncated or len(node_paths) > k
        pool = node_paths[: max(POOL * k, k + 4)]
        paths = sorted((make_path(proj, p, comp, tabs, shortest) for p in pool), key=_rank)[:k]
    else:
        layers = _bfs_meet(proj, source, target, comp, clock)
        shortest = None if layers is None else layers.dist
        if shortest is None:
            paths = []
        elif mode == "k":
            paths = _k_ranked(proj, source, target, comp, k, clock, tabs, shortest)
        else:
            node_paths, truncated = _all_paths(proj, source, target, comp, limit, clock)
            paths = sorted((make_path(proj, p, comp, tabs, shortest) for p in node_paths), key=_rank)
    elapsed = (time.perf_counter() - started) * 1000
    return SearchResult(source, target, mode, paths, shortest, truncated, round(elapsed, 3), cons)


def _rank(path: Path) -> tuple[float, int, tuple[int, ...]]:
    return (path.cost, path.length, path.nodes)



def search_options(proj: Projection, options: PathOptions, budget: float = TIME_BUDGET) -> SearchResult:
    """Answer a :class:`PathOptions` on a projection: resolve the names, check the options, search.

    Errors come in the order the user should fix them: unknown or ambiguous names, then options.

    >>> from kg.paths.builder import projection_from_quads
    >>> import pyoxigraph as ox
    >>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"))
    >>> search_options(projection_from_quads([q]), PathOptions("http://x/a", "http://x/b")).shortest_length
    1
    """
    names = name_index(proj)
    (start, from_how), (end, to_how) = names.resolution(options.source), names.resolution(options.target)
    cons = make_constraints(
        proj, max_length=options.max_length, directed=options.directed,
        include_predicates=options.include_predicates, exclude_predicates=options.exclude_predicates,
        include_kinds=options.include_kinds, exclude_kinds=options.exclude_kinds,
        avoid=[names.resolve(a) for a in options.avoid if a.strip()], max_degree=options.max_degree,
        after=options.after, before=options.before,
    )
    result = search(proj, start, end, cons, mode=options.mode, k=options.k, limit=options.limit, budget=budget)
    result.resolved = {"from": from_how, "to": to_how}
    return result


PathRunner = Callable[[PathOptions], tuple[Projection, SearchResult]]
"""An engine's answer to a path question: the projection its node ids refer to (the whole graph's, or the
subgraph the frontier engine fetched), and the result."""

