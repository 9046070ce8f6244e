"""Path search: how two things connect, hop by hop, ranked so the telling paths come first.

SPARQL property paths say *whether* two things connect; this module says *how*. Three modes:

- ``shortest``: the paths with the fewest hops (bidirectional breadth-first search that keeps every
  parent, so all shortest paths are known), the best ``k`` of them by the ranking below;
- ``k``: the ``k`` best paths of at most ``max_length`` hops by the ranking (Yen's algorithm, 1971,
  over a hop-bounded Dijkstra);
- ``all``: every simple path of at most ``max_length`` hops, shortest first, up to ``limit``.

**Ranking.** A path through a hub ("Track Two diplomacy", linked to everything) says little; a path
along rare relations ("coined") says much. Following the degree-weighted path measures of
path-based semantic relatedness (Hulpuş, Prangnawarat & Hayes, "Path-based semantic relatedness on
linked data and its use to word and entity disambiguation", ISWC 2015) and the edge-rarity
measures of REX (Fang et al., "REX: explaining relationships between entity pairs", VLDB 2011),
each hop costs ``1 + BETA * commonness(predicate)`` and each intermediate node ``ALPHA * ln(degree)``,
where ``commonness = ln(freq(p)) / ln(max freq)`` is 0 for a predicate used once and 1 for the most
used one (the complement of an inverse predicate frequency). A path's ``score`` is ``1 / cost``;
its ``reasons`` say what raised or lowered it.

**Constraints** (:class:`Constraints`): maximum length, direction, predicates to include or exclude,
node kinds to include or exclude, nodes to avoid, hubs above a degree, a time window (events, works
and processes dated outside it may not be on a path; undated nodes may). Constraints apply to the
nodes *between* the two ends, never to the ends themselves, which the user named.

**Caps.** ``max_length`` ≤ 8, ``k`` ≤ 50, ``limit`` ≤ 1000, and every search has a time budget
(2 s by default): past a cap the request is refused (:class:`PathRequestError`), past the budget the
search stops (:class:`SearchTimeout`). No search runs unbounded.

>>> from kg.paths.projection import projection_from_quads
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
import re
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Callable, Iterator, Literal, Sequence

from kg.namespaces import BC, PREFIXES
from kg.paths.projection import DATED_KINDS, KINDS, Projection, local_name, normalise_kind

MAX_LENGTH = 8
"""Longest path (in hops) anyone may ask for."""
MAX_K = 50
"""Most paths the ``shortest`` and ``k`` modes return."""
MAX_ALL = 1000
"""Most paths the ``all`` mode returns."""
TIME_BUDGET = 2.0
"""Seconds a search may take before it is stopped."""
MAX_SERVICE_BLOCKS = 4
"""Most ``SERVICE bc:paths`` blocks in one SPARQL query (each is a search of up to ``TIME_BUDGET`` in the server)."""
ALPHA = 0.5
"""Weight of ln(degree) of each intermediate node in a path's cost."""
BETA = 0.5
"""Weight of a predicate's commonness in a hop's cost."""

Mode = Literal["shortest", "k", "all"]
MODES: tuple[str, ...] = ("shortest", "k", "all")


class PathRequestError(ValueError):
    """A request that cannot be searched as given (contradictory options, past a cap): fix the request."""


class SearchTimeout(RuntimeError):
    """The search did not finish within its time budget."""


@dataclass(frozen=True)
class Constraints:
    """What a path may go through. IRIs throughout; see :func:`compile_constraints` for the checks."""

    max_length: int = 6
    directed: bool = False
    include_predicates: frozenset[str] = frozenset()
    exclude_predicates: frozenset[str] = frozenset()
    include_kinds: frozenset[str] = frozenset()
    exclude_kinds: frozenset[str] = frozenset()
    avoid: frozenset[int] = frozenset()
    max_degree: int | None = None
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True)
class Hop:
    """One step of a path, from ``source`` to ``target`` (path order) along relation ``edge``.

    ``forward`` is true when the data states ``source p target`` and false when it states
    ``target p source``. ``also`` lists the other relations between the same two nodes that the
    constraints allow (the same step, said another way).
    """

    source: int
    target: int
    edge: int
    forward: bool
    also: tuple[tuple[int, bool], ...] = ()


@dataclass(frozen=True)
class Path:
    """A path: its nodes, its hops, its cost (lower is better) and why it ranks where it does."""

    nodes: tuple[int, ...]
    hops: tuple[Hop, ...]
    cost: float
    reasons: tuple[str, ...] = ()

    @property
    def length(self) -> int:
        return len(self.hops)

    @property
    def score(self) -> float:
        """1 / cost: higher is better."""
        return 1.0 / self.cost if self.cost > 0 else 0.0


@dataclass
class SearchResult:
    """The answer of :func:`search`: ranked paths and how the search went."""

    source: int
    target: int
    mode: str
    paths: list[Path]
    shortest_length: int | None
    truncated: bool = False
    elapsed_ms: float = 0.0
    constraints: Constraints = field(default_factory=Constraints)


# --- tables computed once per projection --------------------------------------------------------

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
    graph's (the remote engine, :mod:`kg.paths.frontier.engine`)."""


def tables(proj: Projection) -> Tables:
    """The ranking tables of a projection (computed once per projection, then shared)."""
    return proj.memo("path-tables", lambda: make_tables(proj.degree, proj.pred_freq))


def make_tables(degree: Sequence[int], pred_freq: Sequence[int], *, top_freq: int | None = None,
                hub_degree: int | None = None, rare_freq: int | None = None, ordered: bool = True) -> Tables:
    """Ranking tables from node degrees and predicate frequencies (by id). The remote engine passes the
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


# --- constraints ---------------------------------------------------------------------------------

DATE_RE = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Compiled:
    """Constraints resolved against one projection: predicate ids and a node test."""

    pred_ok: frozenset[int] | None
    node_ok: Callable[[int], bool] | None
    directed: bool
    max_length: int


def expand_curie(name: str, prefixes: dict[str, str] | None = None) -> str:
    """An IRI from ``<iri>``, ``prefix:local`` (the usual prefixes) or a full IRI.

    >>> expand_curie("prov:wasInfluencedBy"), expand_curie("<http://x/y>")
    ('http://www.w3.org/ns/prov#wasInfluencedBy', 'http://x/y')
    """
    name = name.strip()
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, colon, local = name.partition(":")
    table = PREFIXES | (prefixes or {})
    if colon and prefix in table and not local.startswith("//"):
        return table[prefix] + local
    return name


def resolve_predicate(proj: Projection, name: str) -> str:
    """The IRI of a predicate the data uses, given as IRI, CURIE, local name (``coined``) or label.

    Raises :class:`PathRequestError` naming close matches when no predicate fits.
    """
    iri = expand_curie(name)
    if iri in proj.pred_index:
        return iri
    folded = name.strip().lower()
    matches = sorted({p for p in proj.predicates if local_name(p).lower() == folded
                      or proj.prop(p).label.lower() == folded})
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise PathRequestError(f"predicate {name!r} is ambiguous: give one of {', '.join(matches)}")
    import difflib

    names = {local_name(p): p for p in proj.predicates}
    close = difflib.get_close_matches(local_name(iri), list(names), n=4, cutoff=0.6)
    hint = f"; did you mean {', '.join(names[c] for c in close)}?" if close else ""
    raise PathRequestError(f"no relation in the graph uses the predicate {name!r}{hint}")


def check_date(value: str | None, name: str) -> str | None:
    """A date bound (``1990``, ``1990-05``, ``1990-05-01``) or a 400-style error.

    >>> check_date("1993", "after")
    '1993'
    >>> check_date("93", "after")
    Traceback (most recent call last):
    ...
    kg.paths.search.PathRequestError: after=93 is not a date: give a year (1993), a month (1993-09) or a day (1993-09-13)
    """
    if value is None or value == "":
        return None
    value = value.strip()
    if not DATE_RE.match(value):
        raise PathRequestError(
            f"{name}={value} is not a date: give a year (1993), a month (1993-09) or a day (1993-09-13)"
        )
    return value


def in_window(date: str, after: str | None, before: str | None) -> bool:
    """Whether a date lies in the window, at the precision both sides have (bounds included).

    >>> in_window("1993-09-13", "1993", "1993"), in_window("1981", "1990", None), in_window("1981", None, "1990")
    (True, False, True)
    """
    if after is not None and date[: len(after)] < after[: len(date)]:
        return False
    if before is not None and date[: len(before)] > before[: len(date)]:
        return False
    return True


def validate_numbers(mode: str, k: int, max_length: int, limit: int) -> None:
    """Refuse a mode that does not exist and limits past the caps (messages say the cap)."""
    if mode not in MODES:
        raise PathRequestError(f"mode={mode!r} is not a mode: use one of {', '.join(MODES)}")
    if not 1 <= max_length <= MAX_LENGTH:
        raise PathRequestError(f"max_length={max_length} is out of range: it must be between 1 and {MAX_LENGTH}")
    if not 1 <= k <= MAX_K:
        raise PathRequestError(f"k={k} is out of range: it must be between 1 and {MAX_K}")
    if not 1 <= limit <= MAX_ALL:
        raise PathRequestError(f"limit={limit} is out of range: it must be between 1 and {MAX_ALL}")


def make_constraints(
    proj: Projection | None,
    *,
    max_length: int = 6,
    directed: bool = False,
    include_predicates: Sequence[str] = (),
    exclude_predicates: Sequence[str] = (),
    include_kinds: Sequence[str] = (),
    exclude_kinds: Sequence[str] = (),
    avoid: Sequence[int] = (),
    max_degree: int | None = None,
    after: str | None = None,
    before: str | None = None,
    resolve: Callable[[str], str] | None = None,
) -> Constraints:
    """Check user options against the projection and each other; raise :class:`PathRequestError` if wrong.

    ``resolve`` names predicates instead of the projection (the remote engine passes its own and no projection).
    """
    if not 1 <= max_length <= MAX_LENGTH:
        raise PathRequestError(f"max_length={max_length} is out of range: it must be between 1 and {MAX_LENGTH}")
    if resolve is None:
        assert proj is not None, "make_constraints needs a projection or a predicate resolver"
        resolve = lambda name: resolve_predicate(proj, name)  # noqa: E731
    include = frozenset(resolve(p) for p in include_predicates if p.strip())
    exclude = frozenset(resolve(p) for p in exclude_predicates if p.strip())
    both = include & exclude
    if both:
        raise PathRequestError(f"the predicate(s) {', '.join(sorted(both))} are both included and excluded")
    kinds_in = frozenset(_kind(k) for k in include_kinds if k.strip())
    kinds_out = frozenset(_kind(k) for k in exclude_kinds if k.strip())
    if kinds_in & kinds_out:
        raise PathRequestError(f"the kind(s) {', '.join(sorted(kinds_in & kinds_out))} are both included and excluded")
    if max_degree is not None and max_degree < 1:
        raise PathRequestError(f"max_degree={max_degree} must be at least 1")
    after, before = check_date(after, "after"), check_date(before, "before")
    if after and before:
        width = min(len(after), len(before))
        if after[:width] > before[:width]:
            raise PathRequestError(f"after={after} is later than before={before}: the window is empty")
    return Constraints(max_length, directed, include, exclude, kinds_in, kinds_out, frozenset(avoid), max_degree,
                       after, before)


def _kind(name: str) -> str:
    kind = normalise_kind(name)
    if kind in KINDS:
        return kind
    iri = expand_curie(kind)
    if "://" not in iri and not iri.startswith("urn:"):
        raise PathRequestError(f"{name!r} is not a kind: use one of {', '.join(KINDS)}, or a class IRI or CURIE")
    return iri


def compile_constraints(proj: Projection, cons: Constraints, ends: tuple[int, int]) -> Compiled:
    """Resolve constraints to predicate ids and one node test (the two ends always pass)."""
    pred_ok: frozenset[int] | None = None
    if cons.include_predicates:
        pred_ok = frozenset(proj.pred_index[p] for p in cons.include_predicates if p in proj.pred_index)
    if cons.exclude_predicates:
        dropped = {proj.pred_index[p] for p in cons.exclude_predicates if p in proj.pred_index}
        base = pred_ok if pred_ok is not None else frozenset(range(len(proj.predicates)))
        pred_ok = frozenset(base - dropped)
    tests: list[Callable[[int], bool]] = []
    if cons.avoid:
        avoid = cons.avoid
        tests.append(lambda v: v not in avoid)
    if cons.max_degree is not None:
        degree, cap = proj.degree, cons.max_degree
        tests.append(lambda v: degree[v] <= cap)
    if cons.include_kinds:
        wanted = cons.include_kinds
        tests.append(lambda v: any(proj.has_kind(v, k) for k in wanted))
    if cons.exclude_kinds:
        unwanted = cons.exclude_kinds
        tests.append(lambda v: not any(proj.has_kind(v, k) for k in unwanted))
    if cons.after or cons.before:
        after, before, dates, kinds = cons.after, cons.before, proj.dates, proj.kinds
        tests.append(lambda v: kinds.get(v) not in DATED_KINDS or v not in dates
                     or in_window(dates[v], after, before))
    node_ok: Callable[[int], bool] | None = None
    if tests:
        ends_set = set(ends)
        cache: dict[int, bool] = {}

        def node_ok(v: int) -> bool:
            ok = cache.get(v)
            if ok is None:
                ok = cache[v] = v in ends_set or all(test(v) for test in tests)
            return ok

    return Compiled(pred_ok, node_ok, cons.directed, cons.max_length)


# --- neighbourhoods ------------------------------------------------------------------------------

def _channels(proj: Projection, directed: bool, outward: bool) -> list[tuple[object, object, object]]:
    """(targets, offsets, predicates) arrays to follow from a node: out, in, or both."""
    out = (proj.out_dst, proj.out_off, proj.out_pred)
    inn = (proj.in_src, proj.in_off, proj.in_pred)
    if not directed:
        return [out, inn]
    return [out] if outward else [inn]


def neighbours(proj: Projection, v: int, comp: Compiled, outward: bool = True) -> Iterator[tuple[int, int]]:
    """(neighbour, predicate id) pairs reachable from v in one allowed hop (node test not applied)."""
    pred_ok = comp.pred_ok
    for dst, off, prd in _channels(proj, comp.directed, outward):
        a, b = off[v], off[v + 1]  # type: ignore[index]
        if pred_ok is None:
            for w, p in zip(dst[a:b], prd[a:b]):  # type: ignore[index]
                yield w, p
        else:
            for w, p in zip(dst[a:b], prd[a:b]):  # type: ignore[index]
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
    sides = [
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
            for dst, off, prd in channels:
                a, b = off[u], off[u + 1]  # type: ignore[index]
                if pred_ok is None:
                    targets = dst[a:b]  # type: ignore[index]
                else:
                    targets = [w for w, p in zip(dst[a:b], prd[a:b]) if p in pred_ok]  # type: ignore[index]
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

    def penalty(v: int) -> float:
        return 0.0 if v == s or v == t else pen[v]

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

def _dijkstra(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, max_hops: int,
              banned_nodes: set[int], banned_edges: set[tuple[int, int]], clock: _Clock) -> list[int] | None:
    """Cheapest path s → t with at most ``max_hops`` hops (exact: labels are Pareto-pruned on hops)."""
    pen, comm = tabs.node_pen, tabs.commonness
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    channels = _channels(proj, comp.directed, True)
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
        for dst, off, prd in channels:
            a, b = off[v], off[v + 1]  # type: ignore[index]
            for w, p in zip(dst[a:b], prd[a:b]):  # type: ignore[index]
                if pred_ok is not None and p not in pred_ok:
                    continue
                if w in banned_nodes or settled.get(w, max_hops + 1) <= nh or (v, w) in banned_edges:
                    continue
                if w != t:
                    if node_ok is not None and not node_ok(w):
                        continue
                    if nh >= max_hops:
                        continue
                    step = 1.0 + BETA * comm[p] + pen[w]
                else:
                    step = 1.0 + BETA * comm[p]
                labels.append((w, lid))
                heapq.heappush(heap, (cost + step, nh, len(labels) - 1))
    return None


def _bidijkstra(proj: Projection, s: int, t: int, comp: Compiled, tabs: Tables, banned_nodes: set[int],
                banned_edges: set[tuple[int, int]], clock: _Clock, bound: float = math.inf) -> list[int] | None:
    """Cheapest path s → t by bidirectional Dijkstra (no hop limit); None if none cheaper than ``bound``.

    Both searches stop when the sum of their smallest tentative costs reaches the best meeting found
    (the classic stopping rule), so each explores about half the cost radius of a one-sided search.
    """
    half, comm = tabs.half_pen, tabs.commonness
    node_ok, pred_ok = comp.node_ok, comp.pred_ok
    dist = ({s: 0.0}, {t: 0.0})
    parent: tuple[dict[int, int], dict[int, int]] = ({s: -1}, {t: -1})
    done: tuple[set[int], set[int]] = (set(), set())
    heaps: list[list[tuple[float, int]]] = [[(0.0, s)], [(0.0, t)]]
    channels = (_channels(proj, comp.directed, True), _channels(proj, comp.directed, False))
    best, meet = bound, -1
    pops = 0
    ordered = tabs.ordered
    # A hop u–w costs 1 + BETA·commonness + half the penalty of each of its two nodes (the ends of the
    # path have none): summed over a path this is exactly the path's cost, and it is the same seen from
    # either end, so both searches can stop scanning a neighbourhood (least connected first) early.
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
        base = cost + 1.0 + (0.0 if v == s or v == t else half[v])
        top_other = heaps[1 - side][0][0] if heaps[1 - side] else math.inf
        if base + top_other >= best:
            continue  # no hop from v (a hub, often) can lead to a cheaper path
        mine, other, banned_here = dist[side], dist[1 - side], done[side]
        for dst, off, prd in channels[side]:
            a, b = off[v], off[v + 1]  # type: ignore[index]
            for w, p in zip(dst[a:b], prd[a:b]):  # type: ignore[index]
                if base + half[w] + top_other >= best:
                    if ordered:
                        break  # neighbours come least connected first: the rest cost at least as much
                    continue  # a fetched subgraph (remote engine) is not ordered by these penalties
                if pred_ok is not None and p not in pred_ok:
                    continue
                if w in banned_nodes or w in banned_here:
                    continue
                if (v, w) in banned_edges if side == 0 else (w, v) in banned_edges:
                    continue
                if node_ok is not None and not node_ok(w):
                    continue
                new = base + BETA * comm[p] + (0.0 if w == t or w == s else half[w])
                if w not in other and new + top_other >= best:
                    continue  # cannot be on a path cheaper than the best one found (or the bound)
                if new < mine.get(w, math.inf):
                    mine[w] = new
                    parent[side][w] = v
                    heapq.heappush(heaps[side], (new, w))
                    if w in other and new + other[w] < best:
                        best, meet = new + other[w], w
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
            tabs: Tables) -> list[list[int]]:
    """Yen's k shortest simple paths; spur searches skip what could not enter the k best."""
    first = _cheapest(proj, s, t, comp, tabs, comp.max_length, set(), set(), clock)
    if first is None:
        return []
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
                bound = sorted(c for c, _, _ in candidates)[needed - 1] - _node_cost(proj, root, comp, tabs) \
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
            heapq.heappush(candidates, (_node_cost(proj, path, comp, tabs), path, i))
        if not candidates:
            break
        _, path, deviation = heapq.heappop(candidates)
        found.append(path)
    return found


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


# --- choosing hops, costing and explaining paths ---------------------------------------------------

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


def _node_cost(proj: Projection, nodes: list[int], comp: Compiled, tabs: Tables) -> float:
    cost = 0.0
    for u, v in zip(nodes, nodes[1:]):
        options = _allowed_edges(proj, u, v, comp)
        cost += 1.0 + BETA * min((tabs.commonness[proj.out_pred[e]] for e, _ in options), default=1.0)
    return cost + sum(tabs.node_pen[v] for v in nodes[1:-1])


def make_path(proj: Projection, nodes: Sequence[int], comp: Compiled, tabs: Tables,
              shortest: int | None = None) -> Path:
    """A :class:`Path` from its nodes: the rarest allowed relation on each hop, the cost and the reasons."""
    hops = []
    cost = 0.0
    for u, v in zip(nodes, nodes[1:]):
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
        node_paths.sort(key=lambda p: (_node_cost(proj, p, comp, tabs), p))
        truncated = truncated or len(node_paths) > k
        paths = sorted((make_path(proj, p, comp, tabs, shortest) for p in node_paths[:k]), key=_rank)
    else:
        layers = _bfs_meet(proj, source, target, comp, clock)
        shortest = None if layers is None else layers.dist
        if shortest is None:
            paths = []
        elif mode == "k":
            paths = [make_path(proj, p, comp, tabs, shortest) for p in _k_best(proj, source, target, comp, k, clock, tabs)]
            paths.sort(key=_rank)
        else:
            node_paths, truncated = _all_paths(proj, source, target, comp, limit, clock)
            paths = sorted((make_path(proj, p, comp, tabs, shortest) for p in node_paths), key=_rank)
    elapsed = (time.perf_counter() - started) * 1000
    return SearchResult(source, target, mode, paths, shortest, truncated, round(elapsed, 3), cons)


def _rank(path: Path) -> tuple[float, int, tuple[int, ...]]:
    return (path.cost, path.length, path.nodes)


# --- a path question as the user asks it (names, not node ids): what every engine answers ------------

@dataclass(frozen=True)
class PathOptions:
    """A path question in the user's terms: ends and ``avoid`` as IRIs, CURIEs or names; predicates and kinds
    as given. ``GET /paths``, ``backchannel path`` and ``SERVICE bc:paths`` ask it of an engine
    (:mod:`kg.paths.engines`); :func:`search_options` answers it on a projection."""

    source: str
    target: str
    mode: str = "k"
    k: int = 3
    limit: int = 100
    max_length: int = 6
    directed: bool = False
    include_predicates: tuple[str, ...] = ()
    exclude_predicates: tuple[str, ...] = ()
    include_kinds: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    max_degree: int | None = None
    after: str | None = None
    before: str | None = None


def search_options(proj: Projection, options: PathOptions, budget: float = TIME_BUDGET) -> SearchResult:
    """Answer a :class:`PathOptions` on a projection: resolve the names, check the options, search.

    Errors come in the order the user should fix them: unknown or ambiguous names, then options.

    >>> from kg.paths.projection import projection_from_quads
    >>> import pyoxigraph as ox
    >>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"))
    >>> search_options(projection_from_quads([q]), PathOptions("http://x/a", "http://x/b")).shortest_length
    1
    """
    from kg.paths.names import name_index

    names = name_index(proj)
    start, end = names.resolve(options.source), names.resolve(options.target)
    cons = make_constraints(
        proj, max_length=options.max_length, directed=options.directed,
        include_predicates=options.include_predicates, exclude_predicates=options.exclude_predicates,
        include_kinds=options.include_kinds, exclude_kinds=options.exclude_kinds,
        avoid=[names.resolve(a) for a in options.avoid if a.strip()], max_degree=options.max_degree,
        after=options.after, before=options.before,
    )
    return search(proj, start, end, cons, mode=options.mode, k=options.k, limit=options.limit, budget=budget)


PathRunner = Callable[[PathOptions], tuple[Projection, SearchResult]]
"""An engine's answer to a path question: the projection its node ids refer to (the whole graph's, or the
subgraph the remote engine fetched), and the result."""


# --- SPARQL access: the bc:paths magic service --------------------------------------------------

PATHS_SERVICE = BC + "paths"
"""IRI of the virtual SPARQL service that runs a path search (see :func:`expand_path_service`)."""

_SERVICE_INPUTS: dict[str, str] = {
    "from": "from", "to": "to", "k": "k", "maxLength": "max_length", "mode": "mode", "limit": "limit",
    "directed": "directed", "includePredicate": "include_predicates", "excludePredicate": "exclude_predicates",
    "includeKind": "include_kinds", "excludeKind": "exclude_kinds", "avoid": "avoid", "maxDegree": "max_degree",
    "after": "after", "before": "before",
}
_SERVICE_OUTPUTS = ("path", "hop", "subject", "predicate", "object", "direction", "graph", "score", "length",
                    "text")


class PathServiceError(ValueError):
    """A ``SERVICE bc:paths`` block that cannot be run; the message says what to fix."""


_TOKEN = re.compile(
    r"""(?P<ws>\s+|\#[^\n]*)
      |(?P<iri><[^<>"{}|^`\\\s]*>)
      |(?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')(?P<suffix>@[A-Za-z0-9-]+|\^\^\S+)?
      |(?P<var>[?$][A-Za-z0-9_]+)
      |(?P<number>[+-]?\d+(?:\.\d+)?)
      |(?P<punct>[{}();,.\[\]])
      |(?P<word>(?:[A-Za-z_][\w-]*)?:(?:[\w%-]|\.(?=[\w%-]))*|[A-Za-z_][\w-]*)
    """,
    re.X,
)


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of SPARQL tokens, comments dropped; unknown characters kept as 'other'."""
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            out.append(("other", text[pos], pos, pos + 1))
            pos += 1
            continue
        kind = m.lastgroup if m.lastgroup != "suffix" else "string"
        if kind != "ws":
            out.append((kind, m.group(0), m.start(), m.end()))
        pos = m.end()
    return out


def _prefixes(tokens: list[tuple[str, str, int, int]]) -> dict[str, str]:
    table = dict(PREFIXES)
    for i, (kind, text, _, _) in enumerate(tokens[:-2]):
        if kind == "word" and text.upper() == "PREFIX" and tokens[i + 2][0] == "iri":
            table[tokens[i + 1][1].rstrip(":")] = tokens[i + 2][1][1:-1]
    return table


def _term_value(kind: str, text: str, prefixes: dict[str, str]) -> str | int | bool:
    if kind == "iri":
        return text[1:-1]
    if kind == "number":
        return int(float(text))
    if kind == "string":
        body = text[1 : text.rindex(text[0])] if text[0] in "\"'" else text
        return body.replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\")
    if kind == "word":
        if text in ("true", "false"):
            return text == "true"
        prefix, _, local = text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    raise PathServiceError(f"cannot read {text!r} in SERVICE bc:paths: give an IRI, a prefixed name, a string "
                           "or a number")


def expand_path_service(query_text: str, projection: Projection | PathRunner,
                        prefixes: dict[str, str] | None = None) -> str | None:
    """Replace every ``SERVICE bc:paths { … }`` block of a query by a ``VALUES`` block of computed paths.

    Returns None when the query has no such block (run it as it is). The block describes one search
    with ``bc:`` properties of any subject (``[]`` or a variable); constants are inputs, variables
    are outputs:

    - inputs: ``bc:from``, ``bc:to`` (an IRI, or a name resolved as in ``GET /paths``), ``bc:mode``
      ("shortest", "k", "all"), ``bc:k``, ``bc:maxLength``, ``bc:limit``, ``bc:directed``,
      ``bc:includePredicate`` / ``bc:excludePredicate`` / ``bc:includeKind`` / ``bc:excludeKind`` /
      ``bc:avoid`` (repeatable), ``bc:maxDegree``, ``bc:after``, ``bc:before`` (dates as strings);
    - outputs, one row per hop and source graph: ``bc:path`` (1 = best), ``bc:hop`` (1 = first),
      ``bc:subject`` / ``bc:predicate`` / ``bc:object`` (the triple as the data states it),
      ``bc:direction`` ("forward" or "backward" along the path), ``bc:graph`` (a source graph that
      states it), ``bc:score``, ``bc:length`` and ``bc:text`` (the path in English).

    ``projection`` is the projection to search, or an engine's :data:`PathRunner` (the remote engine's).
    ``prefixes`` are those the endpoint declares for every query (the query's own PREFIX lines win).
    ``SERVICE SILENT bc:paths`` gives no rows instead of an error. Errors raise
    :class:`PathServiceError` (a 400 for the SPARQL endpoint); unknown or ambiguous names raise
    :class:`kg.paths.names.UnknownThing` / :class:`kg.paths.names.AmbiguousName` (both ``LookupError``).

    >>> from kg.paths.projection import projection_from_quads
    >>> import pyoxigraph as ox
    >>> quads = [ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/coined"), ox.NamedNode("http://x/b"),
    ...                  ox.NamedNode("http://x/g"))]
    >>> query = '''PREFIX bc: <https://w3id.org/backchannel/def#>
    ... SELECT * WHERE { SERVICE bc:paths { [] bc:from <http://x/a> ; bc:to <http://x/b> ; bc:k 1 ;
    ...   bc:hop ?hop ; bc:subject ?s ; bc:predicate ?p ; bc:object ?o ; bc:graph ?g } }'''
    >>> print(expand_path_service(query, projection_from_quads(quads)))
    PREFIX bc: <https://w3id.org/backchannel/def#>
    SELECT * WHERE { VALUES (?hop ?s ?p ?o ?g) {
      (1 <http://x/a> <http://x/coined> <http://x/b> <http://x/g>)
    } }
    >>> expand_path_service("SELECT * { ?s ?p ?o }", projection_from_quads(quads)) is None
    True
    """
    tokens = _tokens(query_text)
    prefixes = (prefixes or {}) | _prefixes(tokens)
    blocks = []
    i = 0
    while i < len(tokens):
        kind, text, start, _ = tokens[i]
        if kind == "word" and text.upper() == "SERVICE":
            j = i + 1
            silent = j < len(tokens) and tokens[j][0] == "word" and tokens[j][1].upper() == "SILENT"
            j += silent
            if j < len(tokens) and _is_paths_iri(tokens[j], prefixes):
                if j + 1 >= len(tokens) or tokens[j + 1][1] != "{":
                    raise PathServiceError("SERVICE bc:paths must be followed by a { … } block")
                depth, end = 0, j + 1
                while end < len(tokens):
                    depth += {"{": 1, "}": -1}.get(tokens[end][1], 0) if tokens[end][0] == "punct" else 0
                    if depth == 0:
                        break
                    end += 1
                if depth:
                    raise PathServiceError("SERVICE bc:paths { … } is not closed")
                blocks.append((start, tokens[end][3], tokens[j + 2 : end], silent))
                i = end
        i += 1
    if not blocks:
        return None
    if len(blocks) > MAX_SERVICE_BLOCKS:  # each block is a search in the server process, outside the query's limit
        raise PathServiceError(f"a query may hold at most {MAX_SERVICE_BLOCKS} SERVICE bc:paths blocks, not "
                               f"{len(blocks)}; run several queries")
    out = query_text
    for start, end, body, silent in reversed(blocks):
        out = out[:start] + _values_block(body, prefixes, projection, silent) + out[end:]
    return out


def _is_paths_iri(token: tuple[str, str, int, int], prefixes: dict[str, str]) -> bool:
    kind, text, _, _ = token
    if kind == "iri":
        return text[1:-1] == PATHS_SERVICE
    if kind == "word" and ":" in text:
        prefix, _, local = text.partition(":")
        return prefixes.get(prefix, "") + local == PATHS_SERVICE
    return False


def _values_block(body: list[tuple[str, str, int, int]], prefixes: dict[str, str], proj: Projection | PathRunner,
                  silent: bool) -> str:
    inputs: dict[str, list[str | int | bool]] = {}
    outputs: dict[str, str] = {}
    pos = 0
    # subject: [] or a variable or an IRI, then predicate-object lists
    if pos < len(body) and body[pos][1] == "[":
        pos += 2 if pos + 1 < len(body) and body[pos + 1][1] == "]" else 1
    elif pos < len(body):
        pos += 1
    predicate: str | None = None
    while pos < len(body):
        kind, text, _, _ = body[pos]
        if text in (";", ".", "]"):
            predicate = None
            pos += 1
            continue
        if text == ",":
            pos += 1
            continue
        if predicate is None:
            iri = _term_value(kind, text, prefixes)
            if not isinstance(iri, str) or not iri.startswith(BC):
                raise PathServiceError(f"{text} is not a bc:paths property: use bc:from, bc:to, bc:k, bc:hop, …")
            predicate = iri[len(BC):]
            if predicate not in _SERVICE_INPUTS and predicate not in _SERVICE_OUTPUTS:
                known = ", ".join(f"bc:{n}" for n in (*_SERVICE_INPUTS, *_SERVICE_OUTPUTS))
                raise PathServiceError(f"bc:{predicate} is not a bc:paths property; known: {known}")
        elif kind == "var":
            if predicate not in _SERVICE_OUTPUTS:
                raise PathServiceError(f"bc:{predicate} is an input: give it a value, not a variable")
            outputs[predicate] = text
        else:
            if predicate not in _SERVICE_INPUTS:
                raise PathServiceError(f"bc:{predicate} is an output: bind it to a variable")
            inputs.setdefault(predicate, []).append(_term_value(kind, text, prefixes))
        pos += 1
    if "from" not in inputs or "to" not in inputs:
        raise PathServiceError("SERVICE bc:paths needs bc:from and bc:to")
    if not outputs:
        raise PathServiceError("SERVICE bc:paths binds nothing: add outputs such as bc:hop ?hop ; bc:subject ?s")
    names = list(outputs)
    head = "(" + " ".join(outputs[n] for n in names) + ")"
    try:
        rows = _service_rows(inputs, proj)
    except (PathRequestError, LookupError, SearchTimeout, PathServiceError):
        if silent:
            return f"VALUES {head} {{ }}"
        raise
    lines = [" ".join(_sparql_term(row[n]) for n in names) for row in rows]
    unique = list(dict.fromkeys(lines))
    return f"VALUES {head} {{\n" + "".join(f"  ({line})\n" for line in unique) + "}"


def _one(inputs: dict[str, list[str | int | bool]], name: str, default: object = None) -> object:
    values = inputs.get(name, [])
    if len(values) > 1:
        raise PathServiceError(f"bc:{name} is given {len(values)} times; give it once")
    return values[0] if values else default


def _int(inputs: dict[str, list[str | int | bool]], name: str, default: int | None) -> int | None:
    """A whole-number input of ``SERVICE bc:paths``; anything else is a :class:`PathServiceError`.

    >>> _int({"k": ["abc"]}, "k", 3)
    Traceback (most recent call last):
    ...
    kg.paths.search.PathServiceError: bc:k must be a whole number, not 'abc'
    """
    value = _one(inputs, name, default)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise PathServiceError(f"bc:{name} must be a whole number, not {value!r}") from None


def _bool(inputs: dict[str, list[str | int | bool]], name: str) -> bool:
    """A true/false input of ``SERVICE bc:paths`` (``true``, ``false``, ``1``, ``0``).

    >>> _bool({"directed": ["false"]}, "directed")
    False
    """
    value = _one(inputs, name, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise PathServiceError(f"bc:{name} must be true or false, not {value!r}")


def _service_rows(inputs: dict[str, list[str | int | bool]], engine: Projection | PathRunner
                  ) -> list[dict[str, object]]:
    from kg.paths.explain import path_text

    options = PathOptions(
        str(_one(inputs, "from")), str(_one(inputs, "to")),
        mode=str(_one(inputs, "mode", "k")), k=_int(inputs, "k", 3),  # type: ignore[arg-type]
        limit=_int(inputs, "limit", 100),  # type: ignore[arg-type]
        max_length=_int(inputs, "maxLength", 6),  # type: ignore[arg-type]
        directed=_bool(inputs, "directed"),
        include_predicates=tuple(str(v) for v in inputs.get("includePredicate", [])),
        exclude_predicates=tuple(str(v) for v in inputs.get("excludePredicate", [])),
        include_kinds=tuple(str(v) for v in inputs.get("includeKind", [])),
        exclude_kinds=tuple(str(v) for v in inputs.get("excludeKind", [])),
        avoid=tuple(str(v) for v in inputs.get("avoid", [])),
        max_degree=_int(inputs, "maxDegree", None),
        after=None if _one(inputs, "after") is None else str(_one(inputs, "after")),
        before=None if _one(inputs, "before") is None else str(_one(inputs, "before")),
    )
    if isinstance(engine, Projection):
        proj, result = engine, search_options(engine, options)
    else:
        proj, result = engine(options)
    rows: list[dict[str, object]] = []
    for rank, path in enumerate(result.paths, 1):
        text = path_text(proj, path)
        for number, hop in enumerate(path.hops, 1):
            u = proj.edge_subject(hop.edge)
            for g in proj.edge_graphs(hop.edge):
                rows.append({
                    "path": rank, "hop": number, "subject": ("iri", proj.iris[u]),
                    "predicate": ("iri", proj.predicates[proj.out_pred[hop.edge]]),
                    "object": ("iri", proj.iris[proj.out_dst[hop.edge]]),
                    "direction": "forward" if hop.forward else "backward",
                    "graph": ("iri", proj.graphs[g]) if proj.graphs[g] else None,
                    "score": round(path.score, 6), "length": path.length, "text": text,
                })
    return rows


def _sparql_term(value: object) -> str:
    if value is None:
        return "UNDEF"
    if isinstance(value, tuple):
        return f"<{value[1]}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f'"{value!r}"^^<http://www.w3.org/2001/XMLSchema#double>'
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'
