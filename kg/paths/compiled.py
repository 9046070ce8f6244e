"""The k-best searches' hot loops compiled to machine code (numba, :mod:`kg.paths.kernels`): the first path
(bidirectional Dijkstra), the backward search from the target, and each spur search (the walled-off test, then
A* towards the target). Used on big projections (:data:`COMPILED_FROM` relations or more, readied by
:func:`prepare`) for the questions they :func:`covers` (any predicate set; of the node tests, avoided things and a
degree cap); they find what
:func:`kg.paths.kbest.bidijkstra`, :func:`kg.paths.backward.to_target`, :func:`kg.paths.kbest.cut_off` and
:func:`kg.paths.kbest.astar` find in Python (property tests check it), 10–20 times faster.

A compiled search cannot look at the question's clock midway: each one runs to its end (at worst the whole graph,
about 0.05 s a million relations) and the caller checks the clock between them.

Numba compiles the loops on their first call and keeps the machine code in ``__pycache__`` (``cache=True``; in the
user's cache folder where the package's is read-only):
:func:`warm` makes that call on a tiny graph (``make install`` runs it, and :func:`prepare` again), so no question
pays for it.

>>> from kg.paths.builder import projection_from_quads
>>> from kg.paths.constraints import compile_constraints
>>> from kg.paths.model import Constraints
>>> from kg.paths.ranking import tables
>>> import pyoxigraph as ox
>>> def q(s, o): return ox.Quad(ox.NamedNode("http://x/" + s), ox.NamedNode("http://x/knows"),
...                              ox.NamedNode("http://x/" + o))
>>> proj = projection_from_quads([q("a", "b"), q("b", "c"), q("c", "d"), q("a", "e"), q("e", "d")])
>>> a, d = proj.node("http://x/a"), proj.node("http://x/d")
>>> comp = compile_constraints(proj, Constraints(), (a, d))
>>> walk = walk_arrays(proj, tables(proj))
>>> back = to_target_compiled(proj, d, comp, tables(proj), 10.0, walk)
>>> [proj.label(v) for v in spur_search(a, d, comp, walk, back, set(), set())]
['a', 'e', 'd']
>>> [proj.label(v) for v in spur_search(a, d, comp, walk, back, {proj.node("http://x/e")}, set())]
['a', 'b', 'c', 'd']
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType

import numpy as np

from kg.paths.backward import ToTarget, into_target
from kg.paths.constraints import Compiled
from kg.paths.projection import Projection
from kg.paths.ranking import Tables, tables

COMPILED_FROM = 100_000
"""Relations from which :func:`prepare` readies the compiled searches (below, Python is as fast and nothing is
compiled or kept)."""

_WALK = "compiled-walk"


@dataclass(frozen=True)
class Walk:
    """A projection's relations as numpy arrays for the compiled loops: both directions, each relation's hop cost,
    each thing's penalty (kept in the projection's memo with the tables they come from)."""

    out_off: np.ndarray
    out_dst: np.ndarray
    out_cost: np.ndarray
    out_pred: np.ndarray
    in_off: np.ndarray
    in_src: np.ndarray
    in_cost: np.ndarray
    in_pred: np.ndarray
    pen: np.ndarray
    half: np.ndarray
    degree: np.ndarray
    ordered: bool
    predicates: int

    def channels(self, directed: bool, outward: bool) -> tuple[int, int]:
        """(first channel, how many): 0 is along the relations, 1 against them."""
        return (0, 2) if not directed else ((0, 1) if outward else (1, 1))

    def allowed(self, comp: Compiled) -> np.ndarray:
        """Per predicate id, whether a question's relations may follow it (its predicate set, or all)."""
        if comp.pred_ok is None:
            return np.ones(max(self.predicates, 1), dtype=np.uint8)
        allowed = np.zeros(max(self.predicates, 1), dtype=np.uint8)
        allowed[np.fromiter(comp.pred_ok, np.int64, len(comp.pred_ok))] = 1
        return allowed

    def passes(self, comp: Compiled) -> np.ndarray:
        """Per thing, whether it passes a question's node test (:func:`covers` says which tests are data)."""
        passes = np.ones(len(self.pen), dtype=np.uint8)
        cut = comp.node_cut
        if comp.node_ok is None or cut is None:
            return passes
        if cut.max_degree is not None:
            passes[self.degree > cut.max_degree] = 0
        if cut.avoid:
            passes[np.fromiter(cut.avoid, np.int64, len(cut.avoid))] = 0
        if cut.ends:
            passes[np.fromiter(cut.ends, np.int64, len(cut.ends))] = 1  # the ends always pass
        return passes

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The channels' arrays as the loops take them: offsets, ends, costs, predicates, along then against."""
        return (self.out_off, self.out_dst, self.out_cost, self.out_pred, self.in_off, self.in_src, self.in_cost,
                self.in_pred)


@dataclass
class Scratch:
    """Per-question arrays a spur search works in (reset to these values after each search)."""

    g: np.ndarray  # inf
    parent: np.ndarray  # -1
    closed: np.ndarray  # 0
    banned: np.ndarray  # 0
    touched: np.ndarray
    into_t: np.ndarray  # inf but for t's neighbours
    allowed: np.ndarray  # per predicate: the question's predicate set
    passes: np.ndarray  # per thing: the question's node test


def covers(comp: Compiled) -> bool:
    """Whether the compiled loops can answer a question so constrained: any predicate set, and a node test only of
    avoided things and a degree cap (kinds and dates stay in Python)."""
    return comp.node_ok is None or comp.node_cut is not None


def walk_arrays(proj: Projection, tabs: Tables, make: bool = True) -> Walk | None:
    """The :class:`Walk` of ``proj`` for ``tabs`` (made once, when ``make``); None when not made yet, or made for
    other tables."""
    kept = proj.memo(_WALK, lambda: (tabs, _walk(proj, tabs))) if make else proj.remembered(_WALK)
    if not isinstance(kept, tuple) or kept[0] is not tabs:
        return None
    walk: Walk = kept[1]
    return walk


def _walk(proj: Projection, tabs: Tables) -> Walk:
    def ints(values: array[int]) -> np.ndarray:
        return np.frombuffer(values, dtype=np.int32) if len(values) else np.zeros(0, np.int32)

    pred_cost = np.asarray(tabs.pred_cost, dtype=np.float64)
    out_cost = np.asarray(tabs.out_cost, dtype=np.float64) if tabs.out_cost is not None \
        else pred_cost[ints(proj.out_pred)]
    in_cost = np.asarray(tabs.in_cost, dtype=np.float64) if tabs.in_cost is not None \
        else pred_cost[ints(proj.in_pred)]
    return Walk(ints(proj.out_off), ints(proj.out_dst), out_cost, ints(proj.out_pred), ints(proj.in_off),
                ints(proj.in_src), in_cost, ints(proj.in_pred), np.asarray(tabs.node_pen, dtype=np.float64),
                np.asarray(tabs.half_pen, dtype=np.float64), ints(proj.degree), tabs.ordered, len(proj.predicates))


def prepare(proj: Projection, least: int = COMPILED_FROM) -> bool:
    """Ready the compiled searches for ``proj`` if it has ``least`` relations or more: its :class:`Walk`, and the
    machine code (compiled, or read from numba's cache) by a search on a tiny graph. A path worker calls this once
    its projection is built or read back. Returns whether it did."""
    if len(proj.out_dst) < least:
        return False
    walk_arrays(proj, tables(proj))
    warm()
    return True


def _loops() -> ModuleType:
    """The compiled loops (:mod:`kg.paths.kernels`): importing numba takes ~0.3 s, which only the processes that
    search big graphs pay."""
    return import_module("kg.paths.kernels")


def warm() -> None:
    """Run each loop once on a two-thing graph, with arguments of the types real calls have, so numba compiles
    them (5–8 s of CPU on this project's 2-core machine), or reads them back from its cache (~0.4 s), now and never
    during a question. ``make install`` runs it once, so a first start does not compile either."""
    off = np.array([0, 1, 1], np.int32)
    dst = np.array([1], np.int32)
    cost = np.ones(1)
    pred = np.zeros(1, np.int32)
    allowed = np.ones(1, np.uint8)
    passes = np.ones(2, np.uint8)
    zero = np.zeros(2)
    channels = (off, dst, cost, pred, off, dst, cost, pred)
    loops = _loops()
    est, toward = loops.backward(1, 0, 2, *channels, allowed, passes, zero, 10.0, 100)[:2]
    loops.walled_off(0, 1, 1, 1, off, dst, pred, off, dst, pred, allowed, passes, np.zeros(2, np.uint8),
                     np.zeros(0, np.int64), np.zeros(0, np.int64), 64)
    loops.bidijkstra(0, 1, 0, 2, 0, 2, *channels, allowed, passes, zero, True)
    loops.astar(0, 1, 0, 2, *channels, allowed, passes, zero, est, 10.0, toward, np.ones(2), np.zeros(2, np.uint8),
                np.zeros(0, np.int64), np.zeros(0, np.int64), math.inf, True, np.full(2, math.inf),
                np.full(2, -1, np.int32), np.zeros(2, np.uint8), np.zeros(2, np.int32))


def to_target_compiled(proj: Projection, t: int, comp: Compiled, tabs: Tables, until: float, walk: Walk,
                       most: int = 1 << 62) -> ToTarget:
    """The backward search of :func:`kg.paths.backward.to_target` (a question :func:`covers`), compiled."""
    first, count = walk.channels(comp.directed, outward=False)
    allowed, passes = walk.allowed(comp), walk.passes(comp)
    estimate, toward, radius = _loops().backward(t, first, count, *walk.arrays(), allowed, passes, walk.pen, until,
                                                 most)
    into_t = into_target(proj, t, comp, tabs)
    n = len(walk.pen)
    dense = np.full(n, math.inf)
    if into_t:
        dense[np.fromiter(into_t, np.int64, len(into_t))] = np.fromiter(into_t.values(), np.float64, len(into_t))
    scratch = Scratch(np.full(n, math.inf), np.full(n, -1, np.int32), np.zeros(n, np.uint8), np.zeros(n, np.uint8),
                      np.zeros(n, np.int32), dense, allowed, passes)
    return ToTarget(estimate, float(radius), toward, into_t, scratch)


def first_path(s: int, t: int, comp: Compiled, walk: Walk) -> list[int] | None:
    """The cheapest path from ``s`` to ``t`` (no bans; a question :func:`covers`), as
    :func:`kg.paths.kbest.bidijkstra` finds it, compiled; None if there is none."""
    first, count = walk.channels(comp.directed, outward=True)
    back_first, back_count = walk.channels(comp.directed, outward=False)
    found = _loops().bidijkstra(s, t, first, count, back_first, back_count, *walk.arrays(), walk.allowed(comp),
                                walk.passes(comp), walk.half, walk.ordered)
    return found.tolist() if len(found) else None


def spur_search(s: int, t: int, comp: Compiled, walk: Walk, back: ToTarget, banned_nodes: set[int],
                banned_edges: set[tuple[int, int]], bound: float = math.inf, look: int = 64) -> list[int] | None:
    """:func:`kg.paths.kbest.cut_off` (reading at most ``look`` things) then :func:`kg.paths.kbest.astar`,
    compiled, with ``back`` from :func:`to_target_compiled`."""
    scratch = back.scratch
    assert isinstance(scratch, Scratch), "a backward search made by to_target_compiled"
    banned = np.fromiter(banned_nodes, np.int64, len(banned_nodes))
    edges = np.array(sorted(banned_edges), dtype=np.int64).reshape(-1, 2)
    first, count = walk.channels(comp.directed, outward=True)
    back_first, back_count = walk.channels(comp.directed, outward=False)
    loops = _loops()
    banned_from, banned_to = np.ascontiguousarray(edges[:, 0]), np.ascontiguousarray(edges[:, 1])
    scratch.banned[banned] = 1
    try:
        if loops.walled_off(s, t, back_first, back_count, walk.out_off, walk.out_dst, walk.out_pred, walk.in_off,
                            walk.in_src, walk.in_pred, scratch.allowed, scratch.passes, scratch.banned, banned_from,
                            banned_to, look):
            return None
        found = loops.astar(s, t, first, count, *walk.arrays(), scratch.allowed, scratch.passes, walk.pen,
                            back.estimate,
                            back.radius, back.toward, scratch.into_t, scratch.banned, banned_from, banned_to, bound,
                            walk.ordered, scratch.g, scratch.parent, scratch.closed, scratch.touched)
    finally:
        scratch.banned[banned] = 0
    return found.tolist() if len(found) else None
