"""Walking a projection: the arrays to follow from a node, the cost of each hop, and a search's time budget.

Shared by every search (:mod:`kg.paths.search`, :mod:`kg.paths.kbest`).

>>> from kg.paths.builder import projection_from_quads
>>> import pyoxigraph as ox
>>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/knows"), ox.NamedNode("http://x/b"))
>>> proj = projection_from_quads([q])
>>> from kg.paths.constraints import compile_constraints
>>> from kg.paths.model import Constraints
>>> comp = compile_constraints(proj, Constraints(), (0, 1))
>>> [proj.label(w) for w, _ in neighbours(proj, proj.node("http://x/a"), comp)]
['b']
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence

from kg.paths.constraints import Compiled
from kg.paths.model import SearchTimeout
from kg.paths.projection import Projection
from kg.paths.ranking import Tables

# --- neighbourhoods ------------------------------------------------------------------------------

Channel = tuple[Sequence[int], Sequence[int], Sequence[int], Sequence[float] | None]
"""(targets, offsets, predicates, costs or None) arrays of a projection, to follow from a node."""


def channels_for(proj: Projection, directed: bool, outward: bool, tabs: Tables | None = None) -> list[Channel]:
    """(targets, offsets, predicates, per-relation costs) arrays to follow from a node: out, in, or both. The
    costs are None when every relation costs what its predicate costs (``tabs.pred_cost``)."""
    out = (proj.out_dst, proj.out_off, proj.out_pred, tabs.out_cost if tabs else None)
    inn = (proj.in_src, proj.in_off, proj.in_pred, tabs.in_cost if tabs else None)
    if not directed:
        return [out, inn]
    return [out] if outward else [inn]


def hop_costs(tabs: Tables, prd: Sequence[int], cst: Sequence[float] | None, a: int, b: int) -> Iterable[float]:
    """The hop costs of the relations ``a .. b-1`` of a channel."""
    return cst[a:b] if cst is not None else map(tabs.pred_cost.__getitem__, prd[a:b])


def neighbours(proj: Projection, v: int, comp: Compiled, outward: bool = True) -> Iterator[tuple[int, int]]:
    """(neighbour, predicate id) pairs reachable from v in one allowed hop (node test not applied)."""
    pred_ok = comp.pred_ok
    for dst, off, prd, _ in channels_for(proj, comp.directed, outward):
        a, b = off[v], off[v + 1]
        if pred_ok is None:
            for w, p in zip(dst[a:b], prd[a:b], strict=True):
                yield w, p
        else:
            for w, p in zip(dst[a:b], prd[a:b], strict=True):
                if p in pred_ok:
                    yield w, p


class Clock:
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
