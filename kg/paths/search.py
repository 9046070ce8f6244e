"""Path search: how two things connect, hop by hop, ranked so the telling paths come first.

SPARQL property paths say *whether* two things connect; this module says *how*. Three modes:

- ``shortest``: the paths with the fewest hops (bidirectional breadth-first search that keeps every
  parent, so all shortest paths are known), the best ``k`` of them by the ranking below;
- ``k``: the ``k`` best paths of at most ``max_length`` hops by the ranking (Yen's algorithm, 1971): the first
  by bidirectional Dijkstra, the spur searches by A* towards the target with the costs of one backward search
  from it as the estimate (:class:`ToTarget`), and a hop-bounded Dijkstra when the cheapest path is too long;
- ``all``: every simple path of at most ``max_length`` hops, shortest first, up to ``limit``.

**Ranking** (:mod:`kg.paths.ranking`): the paths that tell the most first: specific relations are cheap, generic
ones and outside facts cost more, a hub costs (the topic of the graph does not). The searches find paths in
order of that additive cost; mode ``k`` then ranks up to twice as many as asked for by the whole-path adjustments
(time order, a link only through a broad concept), which are bounded (:func:`k_ranked`), and stops taking more as
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

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from kg.paths.constraints import (
    Compiled,
    compile_constraints,
    make_constraints,
    validate_numbers,
)
from kg.paths.kbest import POOL, k_ranked, rank
from kg.paths.model import (
    TIME_BUDGET,
    Constraints,
    PathOptions,
    PathRequestError,
    SearchResult,
)
from kg.paths.names import name_index
from kg.paths.projection import Projection
from kg.paths.ranking import Tables, make_path, node_cost, tables
from kg.paths.walking import Channel, Clock, channels_for, neighbours

# --- shortest paths: bidirectional BFS keeping every parent ---------------------------------------

@dataclass
class _Layers:
    dist: int
    parents_f: dict[int, list[int]]
    parents_b: dict[int, list[int]]
    meets: list[int]


def _bfs_meet(proj: Projection, s: int, t: int, comp: Compiled, clock: Clock) -> _Layers | None:
    """Bidirectional BFS from s and t; every shortest path passes through ``meets``; None if none ≤ max."""
    if s == t:
        return _Layers(0, {s: []}, {t: []}, [s])
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    degree = proj.degree
    # each side: parents, depth, frontier, channels
    sides: list[tuple[dict[int, list[int]], dict[int, int], list[int], list[Channel]]] = [
        ({s: []}, {s: 0}, [s], channels_for(proj, comp.directed, True)),
        ({t: []}, {t: 0}, [t], channels_for(proj, comp.directed, False)),
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
    layers = _bfs_meet(proj, s, t, compile_constraints(proj, cons, (s, t)), Clock(budget))
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


def _shortest_paths(proj: Projection, s: int, t: int, comp: Compiled, k: int, clock: Clock,
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


# --- all simple paths up to a length ------------------------------------------------------------

def _all_paths(proj: Projection, s: int, t: int, comp: Compiled, limit: int, clock: Clock
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
    clock = Clock(budget)
    comp = compile_constraints(proj, cons, (source, target))
    tabs = tables(proj)
    truncated = False
    if mode == "shortest":
        node_paths, shortest, truncated = _shortest_paths(proj, source, target, comp, k, clock, tabs)
        node_paths.sort(key=lambda p: (node_cost(proj, p, comp, tabs), p))
        truncated = truncated or len(node_paths) > k
        pool = node_paths[: max(POOL * k, k + 4)]
        paths = sorted((make_path(proj, p, comp, tabs, shortest) for p in pool), key=rank)[:k]
    else:
        layers = _bfs_meet(proj, source, target, comp, clock)
        shortest = None if layers is None else layers.dist
        if shortest is None:
            paths = []
        elif mode == "k":
            paths = k_ranked(proj, source, target, comp, k, clock, tabs, shortest)
        else:
            node_paths, truncated = _all_paths(proj, source, target, comp, limit, clock)
            paths = sorted((make_path(proj, p, comp, tabs, shortest) for p in node_paths), key=rank)
    elapsed = (time.perf_counter() - started) * 1000
    return SearchResult(source, target, mode, paths, shortest, truncated, round(elapsed, 3), cons)



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

