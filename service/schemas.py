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
    text: str = Field(description="The step in English, in walking order (the verb agrees with its subject; a "
                                  "membership says when it held: \"… was a member of … (1981)\").")
    sources: list[Named] = Field(description="The source graphs that state the triple.")
    when: str | None = Field(None, description="When the membership behind a memberOf/headOf relation held.")
    also: list[OtherRelation] | None = None


class RankedPath(Closed):
    rank: int
    length: int
    score: float
    cost: float
    reasons: list[str]
    broad_concept: Node | None = Field(description="The concept through which alone the path links its ends (both "
                                                   "sides are only filed under it), or null when it says more.")
    text: str = Field(description="The whole path in English, in walking order.")
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


class NameResolution(Closed):
    """How a name given for an end was resolved: how the thing taken matched, and what else matched less well."""

    query: str
    match: str = Field(description="iri, exact, token, prefix or substring.")
    matched: str | None
    others: list[Candidate] = Field(description="Other things the name matched less well, best first.")
    note: str | None = Field(description="Which thing was taken and what else the name could mean, when it could.")


class Resolved(Closed):
    from_: NameResolution | None = Field(None, alias="from")
    to: NameResolution | None = None


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
    resolved: Resolved = Field(description="How the names given for the ends were resolved.")
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
    pagerank: float = Field(description="by=influence: PageRank over the influence graph alone; by=centrality: "
                                        "over every relation between actors, works, events and concepts.")
    betweenness: float = Field(description="Betweenness centrality (by=centrality; 0 for by=influence).")
    influenced_directly: int
    influenced_transitively: int = Field(description="Things influenced along the relations that carry influence; "
                                                     "by=influence never ranks a thing above one that influenced "
                                                     "more.")
    reason: str


class RankingAnswer(Closed):
    """The answer of ``GET /influence/ranking``."""

    count: int
    measure: Literal["influence", "centrality"] = Field(
        description="influence: things influenced along the relations that carry influence; centrality: general "
                    "graph centrality, which is not influence.")
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
    store_quads: int | None = Field(None, description="The quads of the store, when the choice of path engine "
                                    "counted them (the embedded store, paths_engine=auto)")


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
