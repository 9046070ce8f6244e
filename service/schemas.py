"""The declared shapes of every JSON answer: the OpenAPI document shows them, schemathesis checks the answers
against them, and the page scripts read these fields and no others.

Routes build their answers as plain dicts (no validation on the hot path) and declare these models in their
``responses``; the tests validate real answers against them.

>>> Node.model_validate({"iri": "http://x/id/person/a", "label": "Ada", "kind": "person"}).date is None
True
>>> sorted(PathsAnswer.model_json_schema(by_alias=True)["required"])[:3]
['constraints', 'count', 'elapsed_ms']
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Closed(BaseModel):
    """A JSON object with exactly these members (the schema says ``additionalProperties: false``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Problem(BaseModel):
    """An RFC 9457 problem document; some errors add members (``line``/``column``, ``suggestions``,
    ``candidates``, ``errors``, ``iri``)."""

    model_config = ConfigDict(extra="allow")

    status: int
    title: str
    detail: str


class Candidate(Closed):
    """A thing whose names match a text."""

    iri: str
    label: str
    kind: str | None
    match: str = Field(description="How it matched: exact, token, prefix, substring or fuzzy.")
    matched: str | None = Field(description="The name that matched (a label or an alternative label).")


class Node(Closed):
    """A thing on a path: its IRI, label, kind and (when it has one) date."""

    iri: str
    label: str
    kind: str | None
    date: str | None = None


class Named(Closed):
    iri: str
    label: str


class PredicateInfo(Closed):
    iri: str
    label: str = Field(description="The forward reading (\"coined\").")
    inverse_label: str = Field(description="The backward reading (\"was coined by\").")


class OtherRelation(Closed):
    """Another relation between the same two things (the same step, said another way)."""

    predicate: str
    direction: Literal["forward", "backward"]
    text: str
    sources: list[Named]


class Hop(Closed):
    """One step of a path: the triple as the data states it, its direction along the path, and its sources."""

    from_: Node = Field(alias="from")
    to: Node
    subject: Named
    predicate: PredicateInfo
    object: Named
    direction: Literal["forward", "backward"]
    reading: str
    text: str = Field(description="The step in English, in walking order.")
    sources: list[Named] = Field(description="The source graphs that state the triple.")
    also: list[OtherRelation] | None = None


class RankedPath(Closed):
    rank: int
    length: int
    score: float
    cost: float
    reasons: list[str]
    text: str
    nodes: list[Node]
    hops: list[Hop]
    time_order: list[Node]
    sources: list[Named]


class AppliedConstraints(Closed):
    max_length: int
    directed: bool
    include_predicates: list[str]
    exclude_predicates: list[str]
    include_kinds: list[str]
    exclude_kinds: list[str]
    avoid: list[str]
    max_degree: int | None
    after: str | None
    before: str | None


class PathsAnswer(Closed):
    """The answer of ``GET /paths`` as JSON."""

    from_: Node = Field(alias="from")
    to: Node
    mode: str
    shortest_length: int | None
    count: int
    truncated: bool
    elapsed_ms: float
    constraints: AppliedConstraints
    paths: list[RankedPath]
    message: str | None = Field(description="Why there is no path, when there is none.")
    engine: dict[str, Any] | None = Field(
        None, description="How the frontier engine searched (queries, hops explored, bounds); absent in memory.")


class InfluenceEntry(Closed):
    iri: str
    label: str
    kind: str | None
    date: str | None = None
    depth: int
    text: str
    via: list[Hop]


class InfluenceAnswer(Closed):
    """The answer of ``GET /influence/lineage`` and ``/influence/influenced``."""

    thing: Node
    direction: str
    count: int
    max_depth: int
    results: list[InfluenceEntry]


class RankedThing(Closed):
    iri: str
    label: str
    kind: str | None
    date: str | None = None
    rank: int
    pagerank: float
    betweenness: float
    influenced_directly: int
    influenced_transitively: int
    reason: str


class RankingAnswer(Closed):
    """The answer of ``GET /influence/ranking``."""

    count: int
    results: list[RankedThing]


class Health(Closed):
    status: Literal["ok"]


class Backup(Closed):
    """The answer of ``POST /backup``: where the service wrote a consistent copy of its store."""

    path: str
    store_version: str


class Ready(BaseModel):
    """The answer of ``GET /ready``; the path engine adds what it prepared."""

    model_config = ConfigDict(extra="allow")

    status: Literal["ready"]
    store_version: str
    graphs: int
    store_answer_ms: float
    paths_engine: str | None = None


class QueryParam(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    type: str
    description: str
    required: bool


class QueryInfo(BaseModel):
    """A named query: what it does, its parameters, and where to run it."""

    model_config = ConfigDict(extra="allow")

    name: str
    summary: str
    description: str
    params: list[QueryParam]
    tags: list[str]
    url: str
    example_url: str
    sparql_url: str


class QueryListing(Closed):
    queries: list[QueryInfo]


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iri: str
    curie: str | None
    label: str | None


class EditorVocabulary(Closed):
    """``GET /ui/vocabulary.json``: the prefixes, classes and properties for the editor's autocompletion."""

    prefixes: dict[str, str]
    classes: list[Term]
    properties: list[Term]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    summary: str
    description: str
    tags: list[str]
    params: dict[str, str]
    text: str
    query: str
    problem: str | None = None


class EditorExamples(Closed):
    """``GET /ui/examples.json``: the named queries as runnable examples."""

    examples: list[Example]


class SparqlResults(BaseModel):
    """SPARQL 1.1 Query Results JSON: ``head`` with ``vars``, then ``results.bindings`` or ``boolean``."""

    model_config = ConfigDict(extra="forbid")

    head: dict[str, Any]
    results: dict[str, Any] | None = None
    boolean: bool | None = None


COMPONENTS: tuple[type[BaseModel], ...] = (Problem, SparqlResults)
"""Schemas the OpenAPI document always holds (error answers and SPARQL results refer to them)."""
