"""The graph as the path engines see it, read with batched SPARQL SELECTs instead of a projection.

The frontier path engine (:mod:`kg.paths.frontier.engine`) never loads the whole graph. It asks the store, in
batches of ``VALUES ?n { … }`` blocks, for exactly what the in-memory projection
(:mod:`kg.paths.projection`) would hold about a few nodes, with the same rules:

- relations are triples between IRIs in named graphs, minus ``rdf:type``, ``owl:sameAs``, bookkeeping
  (``skos:inScheme``, ``rdfs:isDefinedBy``, …) and schema statements; a PROV qualification
  (``s prov:qualifiedInfluence [ prov:influencer o ]`` and kin) reads as the direct relation
  (``s prov:wasInfluencedBy o``); classes, properties, ontologies, concept schemes and shapes are
  not things (the *schema nodes*, listed once per store version);
- a node's *facts* are its types, labels, alternative labels, dates and (for a predicate) its inverse
  label: the literals the projection reads;
- its *degree* counts its distinct relations in both directions, as the projection's does.

:meth:`FrontierGraph.figures` holds, per store version, what the ranking needs of the whole graph (how
often each predicate is used, the hub and rarity thresholds) and the schema. :meth:`Session.subgraph`
turns fetched relations into a small :class:`~kg.paths.projection.Projection` whose degrees and predicate
frequencies are the whole graph's, so the in-memory search, ranking and explanations
(:mod:`kg.paths.search`, :mod:`kg.paths.explain`, :mod:`kg.paths.influence`) run on it unchanged.

On stores above :data:`EXACT_QUADS` quads the whole-graph figures are estimates (see :class:`Figures`), so
scores may differ a little from the in-memory engine's; paths and lengths do not. Other differences from
the projection, all on the margins: ``owl:sameAs`` is never walked (the projection
walks it between two things the store describes), triples in the default graph are not followed, and
self-loops are not walked (they count in degrees, as in the projection).

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://ex/g", b'''@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... <http://ex/id/person/a> rdfs:label "Ada"@en ; <http://ex/knows> <http://ex/id/person/b> .''', "text/turtle")
>>> graph = FrontierGraph(store)
>>> session = graph.session(budget=5)
>>> [(str(e.subject), str(e.object)) for _, e in session.neighbours(["http://ex/id/person/b"])]
[('<http://ex/id/person/a>', '<http://ex/id/person/b>')]
>>> session.degrees(["http://ex/id/person/a"]), graph.figures().pred_freq
({'http://ex/id/person/a': 1}, {'http://ex/knows': 1})
>>> store.close()
"""

from __future__ import annotations

import array
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import BC, DCTERMS, ORG, OWL
from kg.paths.builder import projection_from_quads
from kg.paths.constraints import expand_curie, resolve_predicate
from kg.paths.frontier.queries import (
    DROPPED,
    FACT_PREDICATES,
    NAME_PREDICATES,
    SCHEMA_CLASSES,
    SCHEMA_FACTS,
    date_from,
    degree_query,
    facts_query,
    iri_terms,
    kind_from,
    membership_query,
    neighbour_query,
    not_schema,
    predicate_test,
    qualified,
    relation_branches,
)
from kg.paths.frontier.search import Edge, Expander, OutOfTime
from kg.paths.model import PathRequestError
from kg.paths.projection import (
    RDF_TYPE,
    SCHEMA_PREDICATES,
    Projection,
    PropertyInfo,
)
from kg.paths.ranking import Tables, make_tables
from kg.store.base import (
    QueryEvaluationError,
    QuerySyntaxError,
    QueryTimeout,
    Store,
    StoreError,
    Term,
    quad_of,
    term_value,
)
from kg.store.sparql_text import sparql_term

BATCH = 200
"""Nodes per ``VALUES`` block."""
FIGURE_ERRORS = (StoreError, QueryTimeout, QueryEvaluationError, QuerySyntaxError)
"""Errors of a whole-graph statistics query: the figures fall back to estimates (see :class:`Figures`)."""

__all__ = ["BATCH", "DROPPED", "NAME_PREDICATES", "Figures", "FrontierGraph", "Session", "ThingExpander",
           "date_from", "kind_from"]


@dataclass(frozen=True)
class Figures:
    """What the frontier engine knows of the whole graph, per store version (:meth:`FrontierGraph.figures`).

    ``pred_freq``: relations per predicate; ``hub_degree`` and ``rare_freq``: the thresholds of the ranking's
    reasons (95th percentile of degrees, 25th of predicate frequencies); ``top_freq``: the most used
    predicate's frequency (it scales every predicate's commonness). How they are known, ``basis``:

    - ``exact`` (stores of at most :data:`EXACT_QUADS` quads): as the projection counts them (distinct
      relations between things; a degree histogram of every node), so the frontier engine ranks exactly as the
      in-memory one;
    - ``estimated`` (larger stores, where those counts take a minute per million quads): triples per
      predicate (one ``GROUP BY ?p``, predicates whose objects are literals left out), and the hub threshold
      from the degrees of a sample of :data:`DEGREE_SAMPLE` things (the first ones in the store's order);
      computed again at most every :data:`ESTIMATE_MAX_AGE` seconds;
    - ``unknown`` (the store could not count within its time limit): frequencies counted per predicate on
      demand, hubs from degree 8, rare predicates those stated at most twice (the in-memory floors).
    """

    version: str
    schema_nodes: frozenset[str]
    schema_quads: tuple[ox.Quad, ...]
    pred_freq: dict[str, int]
    hub_degree: int
    rare_freq: int
    top_freq: int | None
    basis: str
    vocabulary: Projection
    """A projection of the schema statements and the used predicates' facts: labels, inverse labels and
    influence directions of properties (``vocabulary.prop(iri)``)."""
    made: float = 0.0
    topics: frozenset[str] = frozenset()
    """The concepts at the heart of the graph (what its sources are about): exempt from the hub penalty."""
    typical_degree: int | None = None
    """The median degree of the graph's things (the penalty a topic is given instead of its own)."""

    @property
    def exact(self) -> bool:
        return self.basis == "exact"

    def influence(self) -> dict[str, int]:
        """Predicate → 1 (``s p o``: s was influenced by o) or -1 (o was influenced by s), for every
        influence-stating predicate known (:data:`kg.paths.relations.INFLUENCE`, their sub-properties, inverses)."""
        return {iri: info.influence for iri, info in self.vocabulary.properties.items() if info.influence}


EXACT_QUADS = 200_000
"""Stores up to this many quads get exact figures (:class:`Figures`)."""
DEGREE_SAMPLE = 1000
"""Things whose degrees estimate the hub threshold of a large store."""
ESTIMATE_MAX_AGE = 600.0
"""Seconds estimated figures serve newer versions of the store before they are computed again."""


class _Vocabulary:
    """The used predicates and their labels, in the shape :func:`kg.paths.search.resolve_predicate` reads."""

    def __init__(self, figures: Figures) -> None:
        self.predicates = sorted(figures.pred_freq)
        self.pred_index = {p: i for i, p in enumerate(self.predicates)}
        self._vocabulary = figures.vocabulary

    def prop(self, iri: str) -> PropertyInfo:
        return self._vocabulary.prop(iri)


class FrontierGraph:
    """A store read as the path engines' graph, through bounded batched SELECTs (see the module documentation).

    Thread-safe; the whole-graph :class:`Figures` are computed once per store version (estimated ones at most
    every :data:`ESTIMATE_MAX_AGE` seconds).
    """

    def __init__(self, store: Store, batch_size: int = BATCH) -> None:
        self.store = store
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._figures: Figures | None = None
        self.figure_builds = 0

    def session(self, budget: float) -> Session:
        """A per-request reader with caches, a query count and a deadline ``budget`` seconds away."""
        return Session(self, time.monotonic() + budget)

    # --- whole-graph figures, once per version ----------------------------------------------------
    def figures(self) -> Figures:
        """The figures of the store's current version (computed now if the store changed)."""
        version = self.store.version
        current = self._figures
        if current is not None and self._fresh(current, version):
            return current
        with self._lock:
            if self._figures is None or not self._fresh(self._figures, version):
                self._figures = self._make_figures(version)
                self.figure_builds += 1
            return self._figures

    @staticmethod
    def _fresh(figures: Figures, version: str) -> bool:
        return figures.version == version or (
            figures.basis == "estimated" and time.monotonic() - figures.made < ESTIMATE_MAX_AGE)

    def _make_figures(self, version: str) -> Figures:
        select = self.store.select
        classes = " ".join(f"<{c}>" for c in sorted(SCHEMA_CLASSES))
        marks = " ".join(f"<{p}>" for p in sorted(SCHEMA_PREDICATES | {BC + "inverseLabel"}))
        schema = frozenset(term_value(row["s"]) for row in select(
            f"SELECT DISTINCT ?s {{ {{ VALUES ?t {{ {classes} }} ?s a ?t }} "
            f"UNION {{ VALUES ?p {{ {marks} }} ?s ?p ?o }} FILTER(isIRI(?s)) }}"))
        facts = " ".join(f"<{p}>" for p in sorted(SCHEMA_FACTS))
        quads = [quad_of(row["s"], row["p"], row["o"]) for row in select(
            f"SELECT ?s ?p ?o {{ {{ VALUES ?p {{ {facts} }} ?s ?p ?o }} UNION "
            f"{{ VALUES ?p {{ <{RDF_TYPE}> }} VALUES ?o {{ <{OWL}SymmetricProperty> }} ?s ?p ?o }} "
            "FILTER(isIRI(?s)) }")
            if isinstance(row["s"], ox.NamedNode)]
        freq: dict[str, int] = {}
        hub_degree, typical, basis = 8, None, "unknown"
        try:
            triples = {term_value(row["p"]): int(term_value(row["n"]))
                       for row in select("SELECT ?p (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p")}
            if sum(triples.values()) <= EXACT_QUADS:
                freq, basis = self._predicate_frequencies(schema), "exact"
                hub_degree, typical = self._degree_figures(schema)
            else:
                freq = self._relation_counts(triples)
                (hub_degree, typical), basis = self._sampled_degree_figures(schema), "estimated"
        except FIGURE_ERRORS:
            pass
        counts = sorted(f for f in freq.values() if f > 0)
        rare = max(2, counts[int(0.25 * (len(counts) - 1))] if counts else 0) if counts else 2
        top = max(counts) if counts else None
        described = {term_value(q.subject) for q in quads} | set(freq)
        fact_quads: list[ox.Quad] = []
        rows = list(described)
        for start in range(0, len(rows), self.batch_size):
            for row in select(facts_query(rows[start : start + self.batch_size])):
                fact_quads.append(quad_of(row["n"], row["p"], row["o"]))
        # one placeholder relation per used predicate, so that the projection reads each as a property (label,
        # inverse label, influence direction) as it does the predicates of the whole graph; never shown
        placeholder_s, placeholder_o = ox.NamedNode("urn:x-backchannel:s"), ox.NamedNode("urn:x-backchannel:o")
        placeholders = [ox.Quad(placeholder_s, ox.NamedNode(p), placeholder_o) for p in sorted(freq)]
        vocabulary = projection_from_quads(quads + fact_quads + placeholders, version)
        topics = frozenset(term_value(row["t"]) for row in select(
            f"SELECT DISTINCT ?t {{ ?s a <{BC}Source> ; <{DCTERMS}subject> ?t FILTER(isIRI(?t)) }}"))
        return Figures(version, schema, tuple(quads), freq, hub_degree, rare, top, basis, vocabulary, time.monotonic(),
                       topics, typical)

    def _predicate_frequencies(self, schema: frozenset[str]) -> dict[str, int]:
        """Distinct relations between things per predicate, as the projection counts them (a full scan)."""
        test = predicate_test() + not_schema("?s", schema) + not_schema("?o", schema)
        query = (
            "SELECT ?p (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o {\n"
            f"  {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && isIRI(?o) && {test}) }}\n"
            f"  UNION {{ {qualified('?s', '?o')} FILTER(isIRI(?s) && isIRI(?o) && {test}) }}\n"
            "} } GROUP BY ?p"
        )
        return {term_value(row["p"]): int(term_value(row["n"])) for row in self.store.select(query)}

    def _degree_figures(self, schema: frozenset[str]) -> tuple[int, int]:
        """The 95th percentile of every node's degree (at least 8) and the median, from a histogram of degrees
        (a full scan)."""
        test = predicate_test() + not_schema("?n", schema) + not_schema("?m", schema)
        union = "\n  UNION ".join(relation_branches("?n", "?m", None, f"isIRI(?n) && {test}", True))
        query = (f"SELECT ?d (COUNT(*) AS ?c) {{ SELECT ?n (COUNT(*) AS ?d) {{ SELECT DISTINCT ?n ?p ?m ?out {{\n"
                 f"  {union}\n}} }} GROUP BY ?n }} GROUP BY ?d")
        histogram = [(int(term_value(row["d"])), int(term_value(row["c"]))) for row in self.store.select(query)]
        return _percentile(histogram, 0.95, 8), _percentile(histogram, 0.5, 1)

    def _relation_counts(self, triples: dict[str, int]) -> dict[str, int]:
        """Triples per predicate, for the predicates that relate things (their first object is an IRI)."""
        candidates = sorted(p for p in triples if p not in DROPPED and p not in FACT_PREDICATES)
        if not candidates:
            return {}
        branches = " UNION ".join(f"{{ SELECT ?p ?o {{ GRAPH ?g {{ ?s {sparql_term(ox.NamedNode(p))} ?o }} "
                                  f"BIND({sparql_term(ox.NamedNode(p))} AS ?p) }} LIMIT 1 }}" for p in candidates)
        related = {term_value(row["p"]) for row in self.store.select(f"SELECT ?p ?o {{ {branches} }}")
                   if isinstance(row["o"], ox.NamedNode)}
        return {p: triples[p] for p in candidates if p in related}

    def _sampled_degree_figures(self, schema: frozenset[str]) -> tuple[int, int]:
        """The 95th percentile (at least 8) and the median of the degrees of :data:`DEGREE_SAMPLE` things."""
        things = self.store.select(
            f"SELECT DISTINCT ?s {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s)) }} LIMIT {DEGREE_SAMPLE}")
        sample = [s for s in (term_value(row["s"]) for row in things) if s not in schema]
        degrees: list[int] = []
        for start in range(0, len(sample), self.batch_size):
            batch = sample[start : start + self.batch_size]
            degrees += [int(term_value(row["d"])) for row in self.store.select(degree_query(batch, schema))]
        histogram = [(d, 1) for d in degrees]
        return _percentile(histogram, 0.95, 8), _percentile(histogram, 0.5, 1)


def _percentile(histogram: list[tuple[int, int]], share: float, floor: int) -> int:
    """A percentile (as the in-memory tables take it, at least ``floor``) of degrees given as (degree, count).

    >>> _percentile([(1, 90), (30, 10)], 0.95, 8), _percentile([], 0.95, 8), _percentile([(3, 5)], 0.5, 1)
    (30, 8, 3)
    """
    histogram = sorted(h for h in histogram if h[0] > 0)
    total = sum(c for _, c in histogram)
    position, seen = int(share * (total - 1)), 0
    for degree, count in histogram:
        seen += count
        if seen > position:
            return max(floor, degree)
    return floor


class Session:
    """One request's reads: batched queries with a deadline, and caches of facts and degrees.

    Past the deadline, no query starts: :class:`kg.paths.frontier.search.OutOfTime` is raised.
    """

    def __init__(self, graph: FrontierGraph, deadline: float) -> None:
        self.graph = graph
        self.store = graph.store
        self.deadline = deadline
        self.queries = 0
        self.facts_of: dict[str, list[tuple[str, Term]]] = {}
        self.degree_of: dict[str, int] = {}
        self._figures: Figures | None = None

    @property
    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = self.graph.figures()
        return self._figures

    def select(self, query: str) -> list[dict[str, Term]]:
        """Run one query of this request (refused past the deadline)."""
        if time.monotonic() >= self.deadline:
            raise OutOfTime
        self.queries += 1
        return self.store.select(query)

    def _batches(self, iris: Sequence[str]) -> Iterator[list[str]]:
        size = self.graph.batch_size
        for start in range(0, len(iris), size):
            yield list(iris[start : start + size])

    # --- relations ----------------------------------------------------------------------------
    def neighbours(self, nodes: Sequence[str], outward: bool | None = None, include: Iterable[str] = (),
                   exclude: Iterable[str] = ()) -> list[tuple[ox.NamedNode, Edge]]:
        """(node, relation) for every relation of ``nodes`` that the predicate filter allows, to a thing."""
        out: list[tuple[ox.NamedNode, Edge]] = []
        for batch in self._batches(list(nodes)):
            out += self._relations(self.select(neighbour_query(batch, outward, include, exclude)))
        return out

    def _relations(self, rows: list[dict[str, Term]]) -> list[tuple[ox.NamedNode, Edge]]:
        schema = self.figures.schema_nodes
        found: dict[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode], set[str]] = defaultdict(set)
        for row in rows:
            here, there, predicate = row["n"], row["m"], row["p"]
            if not (isinstance(here, ox.NamedNode) and isinstance(predicate, ox.NamedNode)
                    and isinstance(there, ox.NamedNode)):
                continue  # never: the query binds IRIs only
            if there.value in schema:
                continue
            key = (here, predicate, there) if term_value(row["out"]) == "true" else (there, predicate, here)
            found[key].add(term_value(row["g"]))
        frontier = {row["n"] for row in rows}
        out: list[tuple[ox.NamedNode, Edge]] = []
        for (s, p, o), graphs in found.items():
            edge = Edge(s, p, o, tuple(sorted(graphs)))
            for end in (s, o):
                if end in frontier:
                    out.append((end, edge))
        return out

    def expander(self, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> ThingExpander:
        """The expansion :func:`kg.paths.frontier.search.search` should use: this session's reads, things only."""
        return ThingExpander(self, frozenset(include), frozenset(exclude))

    # --- facts of nodes -------------------------------------------------------------------------
    def facts(self, iris: Iterable[str]) -> dict[str, list[tuple[str, Term]]]:
        """(predicate, value) facts of each node (cached for the session)."""
        wanted = [i for i in dict.fromkeys(iris) if i not in self.facts_of]
        for batch in self._batches(wanted):
            for iri in batch:
                self.facts_of[iri] = []
            for row in self.select(facts_query(batch)):
                self.facts_of[term_value(row["n"])].append((term_value(row["p"]), row["o"]))
        return {i: self.facts_of[i] for i in iris}

    def kinds_and_dates(self, iris: Iterable[str]) -> dict[str, tuple[str | None, tuple[str, ...], str | None]]:
        """(kind, types, date) of each node."""
        out = {}
        for iri, facts in self.facts(list(iris)).items():
            types = tuple(v.value for p, v in facts if p == RDF_TYPE and isinstance(v, ox.NamedNode))
            out[iri] = (kind_from(iri, types), types, date_from(facts))
        return out

    def degrees(self, iris: Iterable[str]) -> dict[str, int]:
        """The degree of each node in the whole graph (cached for the session)."""
        wanted = [i for i in dict.fromkeys(iris) if i not in self.degree_of]
        schema = self.figures.schema_nodes
        for batch in self._batches(wanted):
            for iri in batch:
                self.degree_of[iri] = 0
            for row in self.select(degree_query(batch, schema)):
                self.degree_of[term_value(row["n"])] = int(term_value(row["d"]))
        return {i: self.degree_of[i] for i in iris}

    def predicate_frequencies(self, predicates: Iterable[str]) -> dict[str, int]:
        """Relations per predicate: the figures', or (a predicate they do not know) its triples counted now."""
        known = self.figures.pred_freq
        wanted = [p for p in dict.fromkeys(predicates) if p not in known]
        counted: dict[str, int] = {}
        for batch in self._batches(wanted):
            query = (f"SELECT ?p (COUNT(*) AS ?n) {{ VALUES ?p {{ {iri_terms(batch)} }} GRAPH ?g {{ ?s ?p ?o }} }} "
                     "GROUP BY ?p")
            counted |= {term_value(row["p"]): int(term_value(row["n"])) for row in self.select(query)}
        return {p: known.get(p, counted.get(p, 1)) for p in predicates}

    def is_thing(self, iri: str) -> bool:
        """Whether the IRI is a thing of the graph: not schema, and named or related to another thing."""
        if iri in self.figures.schema_nodes:
            return False
        names = " ".join(f"<{p}>" for p in sorted(NAME_PREDICATES))
        node = sparql_term(ox.NamedNode(iri))
        branches = [f"{{ VALUES ?p {{ {names} }} {node} ?p ?l FILTER(isLiteral(?l)) }}"]
        branches += relation_branches(node, "?m", None, predicate_test(), True)
        return bool(self.select("SELECT ?p { " + " UNION ".join(branches) + " } LIMIT 1"))

    def resolve_predicate(self, name: str) -> str:
        """A predicate given as IRI, CURIE, local name or label (as :func:`kg.paths.search.resolve_predicate`)."""
        iri = expand_curie(name)
        vocabulary = _Vocabulary(self.figures)
        if iri in vocabulary.pred_index:
            return iri
        if "://" in iri or iri.startswith("urn:"):
            try:
                term = sparql_term(ox.NamedNode(iri))
            except ValueError:
                raise PathRequestError(f"{name!r} is not a valid predicate IRI") from None
            if self.select(f"SELECT ?s {{ GRAPH ?g {{ ?s {term} ?o }} FILTER(isIRI(?o)) }} LIMIT 1"):
                return iri
        return resolve_predicate(vocabulary, name)  # local names, labels, hints

    # --- a fetched subgraph as a projection ------------------------------------------------------------
    def subgraph(self, edges: Iterable[Edge], nodes: Iterable[str] = ()) -> Projection:
        """A projection of ``edges`` (and ``nodes``), with the facts of their nodes, predicates and graphs and
        the whole graph's degrees and predicate frequencies, so the in-memory search ranks and explains on it
        exactly as on the whole graph. Its ranking tables do not assume neighbours ordered by penalty."""
        figures = self.figures
        edges = list(dict.fromkeys(edges))
        things = list(dict.fromkeys([*nodes, *(end.value for e in edges for end in (e.subject, e.object))]))
        predicates = sorted({e.predicate.value for e in edges})
        graphs = sorted({g for e in edges for g in e.graphs})
        quads = [ox.Quad(e.subject, e.predicate, e.object, ox.NamedNode(g)) for e in edges for g in e.graphs]
        facts = self.facts([*things, *predicates, *graphs])
        quads += [ox.Quad(ox.NamedNode(iri), ox.NamedNode(p), value)
                  for iri, rows in facts.items() for p, value in rows]
        quads += figures.schema_quads
        in_edges = {end.value for e in edges for end in (e.subject, e.object)}
        unnamed = [i for i in things if i not in in_edges and not any(p in NAME_PREDICATES for p, _ in facts[i])]
        for iri in unnamed:  # a thing shown without a path (an end): one relation keeps it in the projection
            for _, edge in self.neighbours([iri])[:1]:
                quads += [ox.Quad(edge.subject, edge.predicate, edge.object, ox.NamedNode(g)) for g in edge.graphs]
        quads += self._memberships(edges)
        proj = projection_from_quads(quads, figures.version)
        degree = self.degrees([i for i in things if i not in figures.schema_nodes])
        proj.degree = array.array("i", (degree.get(iri, d) for iri, d in zip(proj.iris, proj.degree, strict=True)))
        freq = self.predicate_frequencies([p for p in proj.predicates if p not in DROPPED])
        proj.pred_freq = [freq.get(p, 0) if p not in DROPPED else 0 for p in proj.predicates]
        topics = frozenset(v for v in (proj.node(t) for t in figures.topics) if v is not None)
        tabs: Tables = make_tables(proj, top_freq=figures.top_freq, hub_degree=figures.hub_degree,
                                   rare_freq=figures.rare_freq, typical_degree=figures.typical_degree, topics=topics,
                                   ordered=False)
        proj.memo("path-tables", lambda: tabs)
        return proj

    def _memberships(self, edges: list[Edge]) -> list[ox.Quad]:
        """When the memberships behind the fetched ``w3org:memberOf`` / ``w3org:headOf`` relations held, as the
        quads :func:`kg.paths.builder.projection_from_quads` reads as dated memberships."""
        pairs = sorted({(e.subject.value, e.object.value) for e in edges
                        if e.predicate.value in (ORG + "memberOf", ORG + "headOf")})
        out: list[ox.Quad] = []
        for start in range(0, len(pairs), self.graph.batch_size):
            for row in self.select(membership_query(pairs[start : start + self.graph.batch_size])):
                node = ox.BlankNode()
                out += [ox.Quad(node, ox.NamedNode(ORG + "member"), row["member"]),
                        ox.Quad(node, ox.NamedNode(ORG + "organization"), row["organisation"]),
                        ox.Quad(node, ox.NamedNode(BC + "date"), ox.Literal(term_value(row["date"])))]
        return out


class ThingExpander(Expander):
    """The expansion of :func:`kg.paths.frontier.search.search` over things only (the projection's relations), reading
    through a :class:`Session` (its deadline, its query count) with a predicate filter."""

    def __init__(self, session: Session, include: frozenset[str], exclude: frozenset[str]) -> None:
        super().__init__(session.store, sorted(DROPPED | exclude), session.graph.batch_size, session.deadline)
        self.session = session
        self.include = include
        self.exclude = exclude

    @property
    def queries(self) -> int:
        return self.session.queries

    @queries.setter
    def queries(self, value: int) -> None:
        pass  # counted by the session

    def _batch(self, nodes: list[ox.NamedNode], outward: bool | None = None) -> Iterator[tuple[ox.NamedNode, Edge]]:
        if time.monotonic() >= self.deadline:  # the search may give its later layers less time than the session
            raise OutOfTime
        yield from self.session.neighbours([n.value for n in nodes], outward, self.include, self.exclude)
