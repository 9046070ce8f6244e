"""The frontier path engine: paths, names and influence without loading the graph.

Every answer has three steps:

1. **Explore** with batched SPARQL (:func:`kg.paths.frontier.search.search`, expanding over things as the
   projection sees them, :class:`kg.paths.frontier.graph.ThingExpander`): a frontier grows from each end, the
   smaller one first, ``VALUES`` blocks of up to 200 frontier nodes per query, until the two meet.
   Constraints are pushed into the queries or checked per layer on the newly reached nodes only:
   predicates to include or exclude and ``directed`` in the relation query; kinds and the time window
   by one batched query of ``rdf:type`` and ``bc:date`` / ``bc:startDate`` (…) of the new nodes;
   ``max_degree`` by one batched degree count; ``avoid`` without a query.
2. **Fetch** the explored relations that lie on a walk of at most *R* hops between the ends (pruned
   locally), with the labels, inverse labels, kinds and dates of their nodes, predicates and source
   graphs (batched SELECTs), and the whole graph's degrees and predicate frequencies, into a small
   projection (:meth:`kg.paths.frontier.graph.Session.subgraph`).
3. **Search and explain** on it with the in-memory code (:func:`kg.paths.search.search`, :mod:`kg.paths.explain`):
   the same ranking, the same reasons, the same JSON.

What *R* is, per mode (it bounds what the answer can contain):

- ``shortest``: the length of the shortest path; the answer is the in-memory one (every shortest path).
- ``k``: the shortest length + :data:`K_SLACK` (at most ``max_length``): the frontiers keep growing past
  the meeting (for at most :data:`EXTRA_SHARE` of the time budget) until they cover every path that long,
  and Yen's algorithm picks the k best among them. When ``max_length`` ≤ shortest + 2 this is the
  in-memory answer; longer paths, which rarely rank in the top k (every hop costs at least 1), are left
  out. On a large graph, where the frontiers past the meeting outgrow their cap or their time, or the
  region holds more than :data:`MAX_REGION` things, *R* shrinks (never below the shortest length) and the
  answer's ``engine`` object says ``complete: false``.
- ``all``: ``max_length``: every path up to it. If a frontier outgrows its cap (or the time runs
  out) before covering that, the answer is a 400 saying to use mode=shortest or k, or a lower
  max_length, rather than a silently partial list.

A frontier past ``paths_frontier_max_size`` things before the ends meet, or a search past
``paths_frontier_time_budget`` seconds, is a :class:`kg.paths.model.SearchTimeout` (503, "narrow it"). Past the
meeting, a cap only narrows the k-mode search region; the answer's ``engine`` object says so
(``complete: false``).

Influence (``lineage`` / ``influenced``) walks the influence relations (PROV-O's and those the schema
declares) breadth-first with one query per layer, then ranks the entries as in memory. The influence
ranking needs the whole graph: it answers 400 (:data:`kg.paths.engines.RANKING_ON_FRONTIER`).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from typing import TypeVar

import pyoxigraph as ox

from kg.paths.answers import (
    RANKING_ON_FRONTIER,
    Direction,
    EngineName,
    InfluenceAnswer,
    NotOnThisEngine,
    PathAnswer,
)
from kg.paths.constraints import in_window, make_constraints, validate_numbers
from kg.paths.frontier import search as frontier_search
from kg.paths.frontier.graph import FrontierGraph, Session
from kg.paths.frontier.names import FrontierNames
from kg.paths.frontier.search import Edge, OutOfTime
from kg.paths.influence import MAX_RESULTS, Ranked, influenced, lineage
from kg.paths.model import (
    MAX_LENGTH,
    TIME_BUDGET,
    Constraints,
    PathOptions,
    PathRequestError,
    SearchTimeout,
)
from kg.paths.names import Candidate
from kg.paths.projection import DATED_KINDS, Projection
from kg.paths.search import search
from kg.settings import Settings
from kg.store.base import QueryEvaluationError, QueryTimeout, Store

K_SLACK = 2
"""In mode k, how many hops past the shortest length the search region reaches."""
EXTRA_SHARE = 0.4
"""Share of the time budget the layers past the meeting (modes k and all) may take; the rest is for fetching."""
MAX_REGION = 2000
"""Most things of a search region whose facts and degrees are fetched: past it, the region of modes k and all
shrinks to paths one hop shorter (never below the shortest length)."""

Node = ox.NamedNode | ox.BlankNode
T = TypeVar("T")


class FrontierEngine:
    """Paths, names and influence on any :class:`kg.store.base.Store` through :meth:`Store.select` only."""

    name: EngineName = "frontier"

    def __init__(self, store: Store, settings: Settings, graph: FrontierGraph | None = None) -> None:
        self.store = store
        self.graph = graph or FrontierGraph(store)
        self.names = FrontierNames(settings.id_base)
        self.budget = settings.paths_frontier_time_budget
        self.max_frontier = settings.paths_frontier_max_size

    def _run(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)``; out of time or a store that fails to answer is a :class:`SearchTimeout`."""
        session = self.graph.session(self.budget)
        try:
            return work(session)
        except OutOfTime:
            raise SearchTimeout(f"the search did not finish within {self.budget:g} s of queries to the store; narrow "
                                "it: lower max_length, set max_degree to avoid hubs, or exclude predicates") from None
        except (QueryTimeout, QueryEvaluationError) as err:
            raise SearchTimeout(f"the store did not answer a query of the search: {err}") from None

    # --- names ----------------------------------------------------------------------------------
    def search_names(self, text: str, limit: int = 10, kind: str | None = None) -> list[Candidate]:
        return self._run(lambda session: self.names.search(session, text, limit, kind))

    # --- paths ----------------------------------------------------------------------------------
    def paths(self, options: PathOptions) -> PathAnswer:
        return self._run(lambda session: self._paths(session, options))

    def _paths(self, session: Session, options: PathOptions) -> PathAnswer:
        started = time.perf_counter()
        source, from_how = self.names.resolution(session, options.source)
        target, to_how = self.names.resolution(session, options.target)
        avoid = [self.names.resolve(session, a) for a in options.avoid if a.strip()]
        cons = make_constraints(
            None, max_length=options.max_length, directed=options.directed,
            include_predicates=options.include_predicates, exclude_predicates=options.exclude_predicates,
            include_kinds=options.include_kinds, exclude_kinds=options.exclude_kinds, max_degree=options.max_degree,
            after=options.after, before=options.before, resolve=session.resolve_predicate,
        )
        validate_numbers(options.mode, options.k, cons.max_length, options.limit)
        if source == target:
            raise PathRequestError("from and to are the same thing: give two different things")
        if source in avoid or target in avoid:
            raise PathRequestError(
                "avoid names one of the ends of the path: a path cannot avoid where it starts or ends")
        extra = {"shortest": 0, "k": K_SLACK, "all": cons.max_length}[options.mode]
        region: list[Edge] = []
        remaining = max(0.0, session.deadline - time.monotonic())
        found = frontier_search.search(
            self.store, source, target, cons.max_length, max_frontier=self.max_frontier, max_paths=1,
            time_budget=remaining, extra_layers=extra, extra_budget=EXTRA_SHARE * remaining if extra else None,
            expander=lambda deadline: session.expander(cons.include_predicates, cons.exclude_predicates),
            accept=_acceptor(session, cons, frozenset(avoid)), directed=cons.directed, observe=region.append,
        )
        if found.stopped == "time_budget":
            raise OutOfTime
        if found.stopped == "max_frontier":
            raise SearchTimeout(
                f"the search reached more than {self.max_frontier} things {found.radius} hops around the ends before "
                "they met; narrow it: set max_degree to avoid hubs, exclude predicates, or lower max_length")
        reach, edges, complete = 0, [], found.complete
        if found.length is not None:
            reach = min(cons.max_length, found.length + extra) if found.complete else found.radius
            edges = _on_short_walks(region, source, target, reach, cons.directed)
            while reach > found.length and len(_things(edges)) > MAX_REGION:  # fetch what the budget allows
                reach, complete = reach - 1, False
                edges = _on_short_walks(edges, source, target, reach, cons.directed)
            if options.mode == "all" and reach < cons.max_length:
                raise PathRequestError(
                    f"mode=all is not available on the frontier engine for this search: every path up to "
                    f"max_length={cons.max_length} hops needs more of the graph than the frontier engine fetches "
                    f"(frontiers of at most {self.max_frontier} things, regions of at most {MAX_REGION}; it covered "
                    f"{reach} hops); use mode=shortest or k, or lower max_length")
        proj = session.subgraph(edges, [source, target, *avoid])
        local = Constraints(cons.max_length, cons.directed, cons.include_predicates, cons.exclude_predicates,
                            cons.include_kinds, cons.exclude_kinds,
                            frozenset(proj.index[a] for a in avoid if a in proj.index), cons.max_degree,
                            cons.after, cons.before)
        start, end = proj.node(source), proj.node(target)
        if start is None or end is None:  # an end with neither label nor relation left in the subgraph
            raise PathRequestError("one of the ends is not a thing of the graph")
        result = search(proj, start, end, local, mode=options.mode, k=options.k, limit=options.limit,
                        budget=TIME_BUDGET)
        result.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        result.resolved = {"from": from_how, "to": to_how}
        info: dict[str, object] = {"name": "frontier", "queries": session.queries, "hops_explored": found.radius,
                                   "complete": complete, "things": sum(1 for _ in proj.nodes()),
                                   "figures": session.figures.basis}
        if options.mode == "k" and found.length is not None:
            info["note"] = (f"the {options.k} best paths among those of at most {reach} hops (the shortest length "
                            f"+ {K_SLACK}, at most max_length)" + ("" if complete else
                                                                   "; the frontier cap or the time budget narrowed it"))
        return PathAnswer(proj, result, info)

    # --- influence ------------------------------------------------------------------------------
    def influence(self, thing: str, direction: Direction, max_depth: int = 6, limit: int = 200) -> InfluenceAnswer:
        return self._run(lambda session: self._influence(session, thing, direction, max_depth, limit))

    def _influence(self, session: Session, thing: str, direction: Direction, max_depth: int,
                   limit: int) -> InfluenceAnswer:
        iri = self.names.resolve(session, thing)
        if not 1 <= max_depth <= MAX_LENGTH:
            raise PathRequestError(f"max_depth={max_depth} is out of range: it must be between 1 and {MAX_LENGTH}")
        if not 1 <= limit <= MAX_RESULTS:
            raise PathRequestError(f"limit={limit} is out of range: it must be between 1 and {MAX_RESULTS}")
        signs = session.figures.influence()
        seen, frontier, kept = {iri}, [iri], []
        depth = 0
        while frontier and depth < max_depth and len(seen) - 1 < limit:
            following = []
            for node, edge in session.neighbours(frontier, None, signs):
                if signs[edge.predicate.value] > 0:  # subject was influenced by object
                    influencee, influencer = edge.subject, edge.object
                else:
                    influencee, influencer = edge.object, edge.subject
                here, there = (influencee, influencer) if direction == "lineage" else (influencer, influencee)
                if node != here:
                    continue
                kept.append(edge)
                if there.value not in seen:
                    seen.add(there.value)
                    following.append(there.value)
            frontier, depth = following, depth + 1
        proj = session.subgraph(kept, [iri])
        v = proj.node(iri)
        if v is None:
            raise PathRequestError(f"{thing!r} is not a thing of the graph")
        walk = lineage if direction == "lineage" else influenced
        return InfluenceAnswer(proj, v, walk(proj, v, max_depth=max_depth, limit=limit))

    def ranking(self, limit: int = 20, kinds: frozenset[str] | None = None,
                measure: str = "influence") -> tuple[Projection, list[Ranked]]:
        raise NotOnThisEngine(RANKING_ON_FRONTIER)

    def readiness(self) -> tuple[str | None, dict[str, object]]:
        """Nothing to build: the frontier engine reads the store per question."""
        return None, {"paths_engine": "frontier"}


def _acceptor(session: Session, cons: Constraints, avoid: frozenset[str]) -> Callable[[list[Node]], set[Node]]:
    """The node test of a search: which newly reached nodes it may enter (batched queries per layer)."""
    kinds = cons.include_kinds or cons.exclude_kinds or cons.after or cons.before

    def accept(nodes: list[Node]) -> set[Node]:
        iris = [n.value for n in nodes if isinstance(n, ox.NamedNode) and n.value not in avoid]
        if kinds and iris:
            facts = session.kinds_and_dates(iris)

            def fits(iri: str) -> bool:
                kind, types, date = facts[iri]
                if cons.include_kinds and not any(k == kind or k in types for k in cons.include_kinds):
                    return False
                if cons.exclude_kinds and any(k == kind or k in types for k in cons.exclude_kinds):
                    return False
                if (cons.after or cons.before) and kind in DATED_KINDS and date is not None:
                    return in_window(date, cons.after, cons.before)
                return True

            iris = [i for i in iris if fits(i)]
        if cons.max_degree is not None and iris:
            degree = session.degrees(iris)
            cap = cons.max_degree
            iris = [i for i in iris if degree[i] <= cap]
        return {ox.NamedNode(i) for i in iris}

    return accept


def _on_short_walks(edges: Iterable[Edge], source: str, target: str, reach: int, directed: bool) -> list[Edge]:
    """The relations that lie on a walk of at most ``reach`` hops from ``source`` to ``target`` (so on every
    path that short), out of those explored.

    >>> N = lambda name: ox.NamedNode("http://x/" + name)
    >>> E = lambda s, o: Edge(N(s), N("p"), N(o), ("http://x/g",))
    >>> edges = [E("a", "b"), E("b", "c"), E("b", "d"), E("c", "e")]
    >>> kept = _on_short_walks(edges, "http://x/a", "http://x/c", 2, False)
    >>> [(e.subject.value[-1], e.object.value[-1]) for e in kept]
    [('a', 'b'), ('b', 'c')]
    """
    edges = list(dict.fromkeys(edges))
    forward: dict[str, list[str]] = defaultdict(list)
    backward: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        forward[e.subject.value].append(e.object.value)
        backward[e.object.value].append(e.subject.value)
    both = {n: forward.get(n, []) + backward.get(n, []) for n in set(forward) | set(backward)}
    from_source = _distances(source, forward if directed else both, reach)
    to_target = _distances(target, backward if directed else both, reach)
    far = reach + 1

    def fits(a: str, b: str) -> bool:
        return from_source.get(a, far) + 1 + to_target.get(b, far) <= reach

    return [e for e in edges if fits(e.subject.value, e.object.value)
            or (not directed and fits(e.object.value, e.subject.value))]


def _things(edges: Iterable[Edge]) -> set[str]:
    return {end.value for e in edges for end in (e.subject, e.object)}


def _distances(start: str, links: dict[str, list[str]], reach: int) -> dict[str, int]:
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if dist[node] >= reach:
            continue
        for other in links.get(node, ()):
            if other not in dist:
                dist[other] = dist[node] + 1
                queue.append(other)
    return dist
