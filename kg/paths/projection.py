"""The graph projection: the store's things and relations as a compact graph for path search and influence.

RDF is a good exchange format and a poor graph for walking: literals, types,
schema statements, bookkeeping and qualification nodes get in the way. The
projection keeps only *things* (IRIs) and the *relations* between them:

- nodes are the IRIs that are things (not literals, not blank nodes, not the
  ontology's classes, properties or concept schemes), with a label (the best
  English one: ``skos:prefLabel@en`` > ``rdfs:label@en`` > ``foaf:name`` > any label >
  the IRI's tail), alternative labels, types, a short kind (person, org, work,
  event, process, place, concept, source), a date (``bc:date`` or ``bc:startDate``, a
  sortable string) and ``owl:sameAs`` links to the outside world;
- edges are object relations ``s p o``, with the set of source graphs that state them.
  ``rdf:type`` becomes node types, external ``owl:sameAs`` a node attribute;
  ``skos:inScheme`` / ``skos:topConceptOf`` / ``rdfs:isDefinedBy`` / ``dcterms:license`` are dropped; a PROV
  qualification without a role (``s prov:qualifiedInfluence [ prov:influencer o ]`` and its kin) is
  folded into the direct relation (``s prov:wasInfluencedBy o``) when the data does not
  already state it; one with a role is folded only into the relation its role means
  (:data:`kg.paths.relations.QUALIFIED_ROLES`: an author is a creator), never into the generic one
  (an audience is not an agent). Qualification, membership and time descriptions are never
  things, whether blank nodes or skolem IRIs (:data:`AUXILIARY_TYPES`, :data:`AUXILIARY_PREDICATES`);
  a membership's time dates its ``w3org:memberOf`` / ``w3org:headOf`` relation
  (:attr:`Projection.relation_dates`);
- for sentences: how a thing is named inside one (``bc:sentenceLabel``) and whether its
  label is plural (``bc:plural``).

The hot path (path search) uses integer node ids and adjacency lists; a networkx
``MultiDiGraph`` is built on demand for algorithms (:meth:`Projection.to_networkx`). :mod:`kg.paths.builder`
builds a projection from a store; its :class:`~kg.paths.builder.ProjectionCache` keeps one per store version.

>>> local_name("http://xmlns.com/foaf/0.1/Person"), kind_of("http://x/id/person/ada", ())
('Person', 'person')
"""

from __future__ import annotations

import array
import bisect
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx

from kg.namespaces import (
    BC,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROCESS_TYPE,
    PROV,
    RDF,
    RDFS,
    ROLE,
    SCHEMA,
    SKOS,
    TIME,
    TRACK,
)

T = TypeVar("T")

RDF_TYPE = RDF + "type"
SAME_AS = OWL + "sameAs"

SCHEMA_TYPES = frozenset(
    {
        OWL + "Class", RDFS + "Class", OWL + "ObjectProperty", RDF + "Property", OWL + "DatatypeProperty",
        OWL + "AnnotationProperty", OWL + "Ontology", OWL + "SymmetricProperty", OWL + "TransitiveProperty",
        OWL + "FunctionalProperty", OWL + "InverseFunctionalProperty", RDFS + "Datatype", OWL + "Restriction",
        SKOS + "ConceptScheme",
    }
)
"""Types that make a resource part of the schema (never a node of the projection)."""

SCHEMA_PREDICATES = frozenset(
    {BC + "inverseLabel", RDFS + "subPropertyOf", RDFS + "subClassOf", OWL + "inverseOf",
     RDFS + "domain", RDFS + "range", OWL + "equivalentProperty", OWL + "equivalentClass"}
)
"""A subject of any of these is a class or a property."""

BOOKKEEPING = frozenset(
    {SKOS + "inScheme", SKOS + "topConceptOf", SKOS + "hasTopConcept", RDFS + "isDefinedBy", RDF + "first",
     RDF + "rest", OWL + "imports", PROV + "hadRole", DCTERMS + "license"}
)
"""Relations that are bookkeeping rather than knowledge; never edges."""

QUALIFIED: dict[str, str] = {
    PROV + "qualifiedInfluence": PROV + "wasInfluencedBy",
    PROV + "qualifiedAssociation": PROV + "wasAssociatedWith",
    PROV + "qualifiedAttribution": PROV + "wasAttributedTo",
    PROV + "qualifiedDerivation": PROV + "wasDerivedFrom",
    PROV + "qualifiedUsage": PROV + "used",
    PROV + "qualifiedGeneration": PROV + "wasGeneratedBy",
    PROV + "qualifiedCommunication": PROV + "wasInformedBy",
    PROV + "qualifiedDelegation": PROV + "actedOnBehalfOf",
    PROV + "qualifiedStart": PROV + "wasStartedBy",
    PROV + "qualifiedEnd": PROV + "wasEndedBy",
    PROV + "qualifiedPrimarySource": PROV + "hadPrimarySource",
    PROV + "qualifiedQuotation": PROV + "wasQuotedFrom",
    PROV + "qualifiedRevision": PROV + "wasRevisionOf",
    PROV + "qualifiedInvalidation": PROV + "wasInvalidatedBy",
}
"""PROV qualification properties and the direct relation each one qualifies."""

QUALIFIER_TARGETS = frozenset({PROV + "influencer", PROV + "agent", PROV + "entity", PROV + "activity"})
"""Properties of a qualification node that name the other party."""

MEMBERSHIP_LINKS = frozenset({ORG + "member", ORG + "organization", ORG + "memberDuring", TIME + "inside",
                              TIME + "hasBeginning"})
"""How a ``w3org:Membership`` names its member, its organisation and the time it held (read for dates)."""
TIME_LITERALS = frozenset({TIME + "inXSDgYear", TIME + "inXSDgYearMonth", TIME + "inXSDDate", BC + "date"})
"""Literals that date a membership (directly or on the instant its period is inside or begins with)."""
AUXILIARY_PREDICATES = frozenset(QUALIFIER_TARGETS | MEMBERSHIP_LINKS | {
    PROV + "hadActivity", ORG + "role", TIME + "hasTime", TIME + "hasEnd"})
"""Relations inside qualification, membership and time descriptions: never edges, whether those descriptions are
blank nodes or (skolemised) IRIs. What they say is folded into the relations they qualify."""
AUXILIARY_TYPES = frozenset({
    ORG + "Membership", PROV + "Influence", PROV + "Association", PROV + "Attribution", PROV + "Delegation",
    PROV + "Derivation", PROV + "Generation", PROV + "Usage", PROV + "Communication", PROV + "Start", PROV + "End",
    PROV + "Invalidation", PROV + "Quotation", PROV + "Revision", PROV + "PrimarySource", TIME + "Instant",
    TIME + "Interval", TIME + "ProperInterval", TIME + "TemporalEntity"})
"""Types of the nodes that qualify a relation or give a time: never things of the graph."""

LABEL_RANKS: dict[str, int] = {SKOS + "prefLabel": 0, RDFS + "label": 1, FOAF + "name": 2, DCTERMS + "title": 3,
                               SCHEMA + "name": 3, "https://schema.org/name": 3}
ALT_LABELS = frozenset({SKOS + "altLabel", SKOS + "hiddenLabel", FOAF + "nick"})
DATE_RANKS: dict[str, int] = {BC + "date": 0, BC + "startDate": 1, DCTERMS + "date": 2, DCTERMS + "issued": 3,
                              PROV + "startedAtTime": 4}
SENTENCE_LABEL = BC + "sentenceLabel"
PLURAL = BC + "plural"
LITERAL_PREDICATES = frozenset(LABEL_RANKS.keys() | ALT_LABELS | DATE_RANKS.keys()
                               | {BC + "inverseLabel", SENTENCE_LABEL, PLURAL})
"""Literal-valued properties the projection reads (everything else literal is left out)."""

KINDS: tuple[str, ...] = ("person", "org", "place", "work", "event", "process", "concept", "source")
"""Short kinds of things (the ``{kind}`` of ``{base}id/{kind}/{slug}`` IRIs, plus concept)."""

KIND_ALIASES: dict[str, str] = {
    "organisation": "org", "organization": "org", "orgs": "org", "people": "person", "persons": "person",
    "document": "work", "works": "work", "events": "event", "places": "place", "concepts": "concept",
    "processes": "process", "sources": "source", "track": "concept",
}

_TYPE_KINDS: dict[str, str] = {
    FOAF + "Person": "person", SCHEMA + "Person": "person",
    FOAF + "Organization": "org", "http://www.w3.org/ns/org#Organization": "org", BC + "State": "org",
    PROV + "Organization": "org", "http://www.w3.org/ns/org#FormalOrganization": "org",
    BC + "Event": "event", BC + "DiplomaticProcess": "process", BC + "Source": "source",
    SKOS + "Concept": "concept", DCTERMS + "Location": "place", SCHEMA + "Place": "place",
    "http://www.w3.org/2003/01/geo/wgs84_pos#SpatialThing": "place", FOAF + "Document": "work",
}
_LOCAL_KINDS: tuple[tuple[str, str], ...] = (
    ("person", "person"), ("organi", "org"), ("state", "org"), ("country", "org"), ("place", "place"),
    ("location", "place"), ("city", "place"), ("event", "event"), ("process", "process"), ("activity", "process"),
    ("concept", "concept"), ("document", "work"), ("book", "work"), ("article", "work"), ("work", "work"),
    ("chapter", "work"), ("periodical", "work"), ("journal", "work"), ("report", "work"), ("thesis", "work"),
)
_ID_KIND = re.compile(r"/id/(person|org|place|work|event|process|source)/")

DATED_KINDS = frozenset({"event", "work", "process"})
"""Kinds a time window applies to (events, works and diplomatic processes)."""


def local_name(iri: str) -> str:
    """The last segment of an IRI (after ``#`` or ``/``).

    >>> local_name("https://w3id.org/backchannel/def#coined"), local_name("http://x/id/person/joe/")
    ('coined', 'joe')
    """
    stripped = iri.rstrip("/#")
    cut = max(stripped.rfind("#"), stripped.rfind("/"))
    return stripped[cut + 1 :] if cut >= 0 else stripped


def humanise(iri: str) -> str:
    """A readable phrase from an IRI's local name: camelCase and dashes become words.

    >>> humanise("http://www.w3.org/ns/prov#wasInfluencedBy"), humanise("http://x/id/person/joseph-v-montville")
    ('was influenced by', 'joseph v montville')
    """
    name = local_name(iri)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r"[-_]+", " ", name).strip().lower() or iri


def inverse_phrase(label: str) -> str:
    """An inverse reading of a property label when the data gives none.

    >>> inverse_phrase("was influenced by"), inverse_phrase("member of"), inverse_phrase("has part")
    ('influenced', 'has as member', 'is part of')
    >>> inverse_phrase("coined"), inverse_phrase("knows")
    ('was coined by', 'is the object of "knows" from')
    """
    words = label.split()
    if len(words) >= 3 and words[0] in ("was", "is", "were") and words[-1] == "by":
        return " ".join(words[1:-1])
    if len(words) >= 2 and words[-1] == "of":
        return "has as " + " ".join(words[:-1])
    if len(words) >= 2 and words[0] == "has":
        return "is " + " ".join(words[1:]) + " of"
    if len(words) == 1 and label.endswith("ed"):
        return f"was {label} by"
    return f'is the object of "{label}" from'


def kind_of(iri: str, types: Iterable[str]) -> str | None:
    """The short kind of a thing, from its IRI (``…/id/person/…``), its namespace or its types.

    >>> kind_of("http://x/id/person/joe", [])
    'person'
    >>> kind_of("https://w3id.org/backchannel/def/track/track-two", [])
    'concept'
    >>> kind_of("http://dbpedia.org/resource/Oslo", ["http://schema.org/Place"])
    'place'
    """
    found = _ID_KIND.search(iri)
    if found:
        return found.group(1)
    if iri.startswith((TRACK, PROCESS_TYPE, ROLE)):
        return "concept"
    types = list(types)
    for t in types:
        if t in _TYPE_KINDS:
            return _TYPE_KINDS[t]
    for t in types:
        name = local_name(t).lower()
        for needle, kind in _LOCAL_KINDS:
            if needle in name:
                return kind
    return None


def normalise_kind(name: str) -> str:
    """A kind given by a user (``person``, ``Organisation``, …) as one of :data:`KINDS`, or unchanged (an IRI).

    >>> normalise_kind("Organisation"), normalise_kind("person"), normalise_kind("http://xmlns.com/foaf/0.1/Person")
    ('org', 'person', 'http://xmlns.com/foaf/0.1/Person')
    """
    low = name.strip().lower()
    low = KIND_ALIASES.get(low, low)
    return low if low in KINDS else name.strip()


def fold(text: str) -> str:
    """Text for matching: accents removed (NFKD), case folded, punctuation to spaces.

    >>> fold("Café  Ñandú-Straße")
    'cafe nandu strasse'
    """
    if text.isascii():  # (most labels: NFKD leaves ASCII as it is, and it has no combining marks)
        bare = text.casefold()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", bare).split())


_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class PropertyInfo:
    """How to read a property: its label, inverse label, and whether it states influence.

    ``influence`` is 1 when ``s p o`` means *s was influenced by o*, -1 when it means *o was
    influenced by s*, 0 when it says nothing about influence.
    """

    iri: str
    label: str
    inverse_label: str
    influence: int = 0
    symmetric: bool = False


@dataclass(frozen=True)
class Edge:
    """One relation as the data states it: subject, predicate, object, and the graphs that say so."""

    subject: int
    predicate: int
    object: int
    graphs: tuple[int, ...]
    subject_iri: str
    predicate_iri: str
    object_iri: str
    subject_label: str
    label: str
    inverse_label: str
    object_label: str
    graph_iris: tuple[str, ...]


@dataclass(eq=False)
class Projection:
    """The projected graph of one store version. Read-only once built; safe to share between threads.

    Node ids are ``0..len(iris)-1``; ``alive[v]`` is false for what was read but is not a thing of the
    graph (classes, properties, type IRIs). Relations are kept in compressed sparse rows: the relations
    whose subject is ``u`` are the edge ids ``out_off[u] .. out_off[u+1]-1``, with object ``out_dst[e]``,
    predicate id ``out_pred[e]`` and graph id ``out_graph[e]`` (``extra_graphs[e]`` lists every graph when
    several state the relation). The same relations seen from their objects: ``in_off`` / ``in_src`` /
    ``in_pred`` / ``in_edge``. ``degree[v]`` counts the relations of v in both directions. Each node's
    relations (out and in) are ordered by the degree of the neighbour, smallest first.
    """

    version: str
    iris: list[str]
    index: dict[str, int]
    alive: bytearray
    out_off: array.array
    out_dst: array.array
    out_pred: array.array
    out_graph: array.array
    extra_graphs: dict[int, tuple[int, ...]]
    in_off: array.array
    in_src: array.array
    in_pred: array.array
    in_edge: array.array
    degree: array.array
    predicates: list[str]
    pred_index: dict[str, int]
    pred_freq: list[int]
    graphs: list[str]
    properties: dict[str, PropertyInfo]
    labels: dict[int, str]
    alt_labels: dict[int, list[str]]
    types: dict[int, tuple[str, ...]]
    dates: dict[int, str]
    same_as: dict[int, list[str]]
    kinds: dict[int, str]
    graph_labels: dict[str, str] = field(default_factory=dict)
    sentence_labels: dict[int, str] = field(default_factory=dict)
    """How a thing is named inside a sentence (``bc:sentenceLabel``: "the Oslo Accords"), when not by its label."""
    plural: frozenset[int] = frozenset()
    """Things whose label is a plural noun phrase (``bc:plural true``): sentences use plural verbs."""
    relation_dates: dict[tuple[int, int], str] = field(default_factory=dict)
    """(member, organisation) → when the membership held, from a ``w3org:Membership`` with a time."""
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)  # each name's value is what its make returned
    _memo_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- nodes -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.iris)

    @property
    def edge_count(self) -> int:
        """Number of distinct relations (a relation stated in several graphs counts once)."""
        return len(self.out_dst)

    def node(self, iri: str) -> int | None:
        """The id of the thing with this IRI, or None when it is not a node."""
        v = self.index.get(iri)
        return v if v is not None and self.alive[v] else None

    def nodes(self) -> Iterator[int]:
        """Ids of every node of the graph."""
        alive = self.alive
        return (v for v in range(len(self.iris)) if alive[v])

    def label(self, v: int) -> str:
        """The node's best label (its IRI's tail when it has none)."""
        text = self.labels.get(v)
        return text if text is not None else local_name(self.iris[v])

    def kind(self, v: int) -> str | None:
        """The node's short kind (one of :data:`KINDS`) or None."""
        return self.kinds.get(v)

    def sentence_label(self, v: int) -> str:
        """How the node is named inside an English sentence ("the Oslo Accords"); its label by default."""
        return self.sentence_labels.get(v) or self.label(v)

    def date(self, v: int) -> str | None:
        """The node's date as a sortable string (``1993``, ``1993-09``, ``1993-09-13``) or None."""
        return self.dates.get(v)

    def has_kind(self, v: int, kind: str) -> bool:
        """Whether the node is of a short kind or has a type IRI."""
        return self.kinds.get(v) == kind or kind in self.types.get(v, ())

    def graph_label(self, g: int) -> str:
        """The label of a source graph: the label of the thing with the graph's IRI, else its tail."""
        iri = self.graphs[g]
        if not iri:
            return "default graph"
        return self.graph_labels.get(iri) or local_name(iri)

    def describe(self, v: int) -> dict[str, object]:
        """A node as JSON: IRI, label, kind, types, date and sameAs links."""
        out: dict[str, object] = {"iri": self.iris[v], "label": self.label(v), "kind": self.kind(v)}
        if v in self.types:
            out["types"] = list(self.types[v])
        if v in self.dates:
            out["date"] = self.dates[v]
        if v in self.same_as:
            out["same_as"] = list(self.same_as[v])
        return out

    # --- properties and edges ------------------------------------------------
    def prop(self, iri: str) -> PropertyInfo:
        """How to read a predicate (labels from the store, else humanised from its IRI)."""
        info = self.properties.get(iri)
        if info is None:
            label = humanise(iri)
            info = PropertyInfo(iri, label, inverse_phrase(label))
        return info

    def edge_graphs(self, e: int) -> tuple[int, ...]:
        """Ids of the graphs that state relation ``e``."""
        extra = self.extra_graphs.get(e)
        return extra if extra is not None else (self.out_graph[e],)

    def edge_subject(self, e: int) -> int:
        """The subject of relation ``e`` (binary search in ``out_off``)."""
        return bisect.bisect_right(self.out_off, e) - 1

    def edge(self, e: int, subject: int | None = None) -> Edge:
        """Relation ``e`` as an :class:`Edge`."""
        u = self.edge_subject(e) if subject is None else subject
        v, p = self.out_dst[e], self.out_pred[e]
        info = self.prop(self.predicates[p])
        gids = self.edge_graphs(e)
        return Edge(u, p, v, gids, self.iris[u], info.iri, self.iris[v], self.label(u), info.label,
                    info.inverse_label, self.label(v), tuple(self.graphs[g] for g in gids))

    def edge_ids_between(self, u: int, v: int) -> list[tuple[int, bool]]:
        """Ids of the relations between u and v: ``(e, True)`` for ``u p v``, ``(e, False)`` for ``v p u``."""
        out_dst = self.out_dst
        found = [(e, True) for e in range(self.out_off[u], self.out_off[u + 1]) if out_dst[e] == v]
        if u != v:
            found += [(e, False) for e in range(self.out_off[v], self.out_off[v + 1]) if out_dst[e] == u]
        return found

    def edges_between(self, u: int, v: int) -> list[Edge]:
        """Every relation stated between u and v, in either direction (``u p v`` first)."""
        return [self.edge(e, u if forward else v) for e, forward in self.edge_ids_between(u, v)]

    def out_edges(self, u: int) -> list[Edge]:
        """The relations whose subject is u."""
        return [self.edge(e, u) for e in range(self.out_off[u], self.out_off[u + 1])]

    def in_edges(self, v: int) -> list[Edge]:
        """The relations whose object is v."""
        return [self.edge(self.in_edge[i], self.in_src[i]) for i in range(self.in_off[v], self.in_off[v + 1])]

    # --- pickling (projection files, :mod:`kg.paths.files`) -----------------
    def __getstate__(self) -> dict[str, Any]:
        """The projection's data, without its derived artefacts and lock (made again on first use)."""
        return {k: v for k, v in vars(self).items() if k not in ("_memo", "_memo_lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state, _memo={}, _memo_lock=threading.RLock())

    # --- derived artefacts ------------------------------------------------
    def memo(self, name: str, make: Callable[[], T]) -> T:
        """A value derived from this projection (a name index, influence scores), computed once."""
        with self._memo_lock:
            if name not in self._memo:
                self._memo[name] = make()
            return self._memo[name]

    def remembered(self, name: str) -> object | None:
        """The value :meth:`memo` keeps under ``name``, or None if none was made yet (nothing is made)."""
        with self._memo_lock:
            return self._memo.get(name)

    def to_networkx(self) -> nx.MultiDiGraph:
        """The projection as a networkx MultiDiGraph (built once, on first use; read-only).

        Nodes are IRIs with ``label``, ``kinds`` (types), ``kind``, ``date``, ``alt_labels`` and
        ``same_as``; edges are keyed by predicate IRI with ``label`` and ``graphs`` (a set of graph IRIs).
        Build it for algorithms on small graphs: it takes ~1 KiB per relation.
        """
        return self.memo("networkx", self._make_networkx)

    def _make_networkx(self) -> nx.MultiDiGraph:
        graph = nx.MultiDiGraph()
        for v in self.nodes():
            graph.add_node(self.iris[v], label=self.label(v), kinds=set(self.types.get(v, ())),
                           kind=self.kind(v), date=self.date(v), alt_labels=list(self.alt_labels.get(v, ())),
                           same_as=list(self.same_as.get(v, ())))
        for u in self.nodes():
            for e in range(self.out_off[u], self.out_off[u + 1]):
                p = self.predicates[self.out_pred[e]]
                graph.add_edge(self.iris[u], self.iris[self.out_dst[e]], key=p, label=self.prop(p).label,
                               graphs={self.graphs[g] for g in self.edge_graphs(e)})
        return graph

