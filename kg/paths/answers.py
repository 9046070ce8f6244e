"""The contract every path engine keeps: what it answers, and what it says when it cannot.

Two engines answer path, name and influence questions (:mod:`kg.paths.engines` chooses): ``memory`` (the whole
graph projected into memory) and ``frontier`` (batched SPARQL from both ends, :mod:`kg.paths.frontier`).
Both answer a :class:`kg.paths.model.PathOptions` with the projection their node ids refer to and a
:class:`kg.paths.model.SearchResult`, so :mod:`kg.paths.explain` renders either the same way.

>>> EngineName.__args__
('memory', 'frontier')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from kg.paths.influence import Entry, Ranked
from kg.paths.model import PathOptions, PathRequestError, SearchResult
from kg.paths.names import Candidate
from kg.paths.projection import Projection

EngineName = Literal["memory", "frontier"]
Direction = Literal["lineage", "influenced"]


class NotOnThisEngine(PathRequestError):
    """The chosen engine cannot answer this (the message names the setting that would)."""


@dataclass
class PathAnswer:
    """An engine's answer to a path question: render it with ``kg.paths.explain.*(proj, result)``.

    ``engine`` says how the frontier engine searched (queries, hops explored, bounds); empty for memory.
    """

    proj: Projection
    result: SearchResult
    engine: dict[str, object] = field(default_factory=dict)


@dataclass
class InfluenceAnswer:
    """Who influenced a thing (or what it influenced): ``node`` and the entries' ids are ``proj``'s."""

    proj: Projection
    node: int
    entries: list[Entry]


class PathEngine(Protocol):
    """What an engine answers (see the module documentation for the contract)."""

    name: EngineName

    def paths(self, options: PathOptions) -> PathAnswer:
        """Paths between two things, ranked and explainable."""

    def search_names(self, text: str, limit: int = 10, kind: str | None = None) -> list[Candidate]:
        """Things whose names match ``text``, best first (autocomplete)."""

    def influence(self, thing: str, direction: Direction, max_depth: int = 6, limit: int = 200) -> InfluenceAnswer:
        """The lineage of a thing (``lineage``) or what it influenced (``influenced``)."""

    def ranking(self, limit: int = 20, kinds: frozenset[str] | None = None,
                measure: str = "influence") -> tuple[Projection, list[Ranked]]:
        """The most influential things (``measure="centrality"``: the most central, which is not influence)."""

    def readiness(self) -> tuple[str | None, dict[str, object]]:
        """For ``/ready``: (what is wrong or None, facts to report); prepares what the first question needs."""



RANKING_ON_FRONTIER = ("ranking needs the in-memory engine (set BACKCHANNEL_PATHS_ENGINE=memory): PageRank and "
                     "betweenness run over the whole graph, which the frontier engine never loads")
"""What the frontier engine answers to a ranking question (400)."""

