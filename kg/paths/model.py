"""What a path question and its answer are: options, constraints, hops, paths, results, caps and errors.

>>> Path(nodes=(0, 1), hops=(Hop(0, 1, edge=0, forward=True),), cost=2.0).score
0.5
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

MAX_LENGTH = 8
"""Longest path (in hops) anyone may ask for."""
MAX_K = 50
"""Most paths the ``shortest`` and ``k`` modes return."""
MAX_ALL = 1000
"""Most paths the ``all`` mode returns."""
TIME_BUDGET = 2.0
"""Seconds a search may take before it is stopped."""
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
    """A path: its nodes, its hops, its cost (lower is better) and why it ranks where it does.

    ``broad_concept`` is the concept through which alone the path links its ends, when it does (the path says
    only that both ends are filed under it); ``base_cost`` is the cost before the whole-path adjustments
    (:func:`kg.paths.ranking.adjustments`), which the search uses to know when it has seen every path that could
    rank in the top k.
    """

    nodes: tuple[int, ...]
    hops: tuple[Hop, ...]
    cost: float
    reasons: tuple[str, ...] = ()
    broad_concept: int | None = None
    base_cost: float | None = None

    @property
    def length(self) -> int:
        return len(self.hops)

    @property
    def score(self) -> float:
        """1 / cost: higher is better."""
        return 1.0 / self.cost if self.cost > 0 else 0.0


@dataclass(frozen=True)
class Resolution:
    """How a name given for an end of a path was resolved: what was asked, how the thing taken matched (``iri``,
    ``exact``, ``token``, ``prefix``, ``substring``), the label that matched, and the other things that matched
    less well (as JSON: iri, label, kind, match, matched), so an answer never swaps one thing for another silently.
    """

    query: str
    match: str
    matched: str | None = None
    others: tuple[dict[str, object], ...] = ()

    def as_json(self) -> dict[str, object]:
        """The resolution as JSON, with a note when other things matched.

        >>> Resolution("Oslo", "exact", "oslo", ({"label": "Oslo Accords", "kind": "work"},)).as_json()["note"]
        "took the thing whose label is exactly 'Oslo'; it could also mean: Oslo Accords (work). Give an IRI or a \
longer name to choose another"
        """
        out: dict[str, object] = {"query": self.query, "match": self.match, "matched": self.matched,
                                  "others": list(self.others), "note": None}
        if self.others:
            how = {"exact": "whose label is exactly", "token": "whose label has every word of",
                   "prefix": "whose label has words starting like", "substring": "whose label contains"}
            listed = "; ".join(f"{o['label']} ({o.get('kind') or 'thing'})" for o in self.others)
            out["note"] = (f"took the thing {how.get(self.match, 'matching')} {self.query!r}; it could also mean: "
                           f"{listed}. Give an IRI or a longer name to choose another")
        return out


@dataclass
class SearchResult:
    """The answer of :func:`search`: ranked paths and how the search went (``resolved``: how the ends' names were
    resolved, by ``from`` and ``to``, when they were given as names)."""

    source: int
    target: int
    mode: str
    paths: list[Path]
    shortest_length: int | None
    truncated: bool = False
    elapsed_ms: float = 0.0
    constraints: Constraints = field(default_factory=Constraints)
    resolved: dict[str, Resolution] = field(default_factory=dict)


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

    @classmethod
    def of(
        cls, source: str, target: str, *, mode: str = "k", k: int = 3, limit: int = 100, max_length: int = 6,
        directed: bool = False, include_predicates: Iterable[str] | None = None,
        exclude_predicates: Iterable[str] | None = None, include_kinds: Iterable[str] | None = None,
        exclude_kinds: Iterable[str] | None = None, avoid: Iterable[str] | None = None,
        max_degree: int | None = None, after: str | None = None, before: str | None = None,
    ) -> PathOptions:
        """The question from values as a route or a command takes them: lists may be missing, repeated or (for
        predicates and kinds) comma-separated; blank values are dropped. ``avoid`` names are not split (a name
        may hold a comma).

        >>> PathOptions.of("a", "b", include_predicates=["bc:coined, dcterms:subject", " "], avoid=["Washington, D.C."])
        ... # doctest: +NORMALIZE_WHITESPACE
        PathOptions(source='a', target='b', mode='k', k=3, limit=100, max_length=6, directed=False,
                    include_predicates=('bc:coined', 'dcterms:subject'), exclude_predicates=(), include_kinds=(),
                    exclude_kinds=(), avoid=('Washington, D.C.',), max_degree=None, after=None, before=None)
        """
        return cls(
            source, target, mode=mode, k=k, limit=limit, max_length=max_length, directed=directed,
            include_predicates=split_values(include_predicates), exclude_predicates=split_values(exclude_predicates),
            include_kinds=split_values(include_kinds), exclude_kinds=split_values(exclude_kinds),
            avoid=tuple(a.strip() for a in avoid or () if a.strip()), max_degree=max_degree, after=after,
            before=before,
        )


def split_values(values: Iterable[str] | None) -> tuple[str, ...]:
    """Repeated values, each possibly comma-separated, without blanks.

    >>> split_values(["a,b", " c ", ""]), split_values(None)
    (('a', 'b', 'c'), ())
    """
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())

