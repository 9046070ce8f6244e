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
  ``skos:inScheme`` / ``skos:topConceptOf`` / ``rdfs:isDefinedBy`` are dropped; a PROV
  qualification (``s prov:qualifiedInfluence [ prov:influencer o ]`` and its kin) is
  folded into the direct relation (``s prov:wasInfluencedBy o``) when the data does not
  already state it.

The hot path (path search) uses integer node ids and adjacency lists; a networkx
``MultiDiGraph`` is built on demand for algorithms (:meth:`Projection.to_networkx`).
:class:`ProjectionCache` keeps one projection per store version.

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://ex/src", b'''
... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
... @prefix prov: <http://www.w3.org/ns/prov#> .
... <http://ex/id/person/a> rdfs:label "Ada"@en ; prov:wasInfluencedBy <http://ex/id/person/b> .
... <http://ex/id/person/b> rdfs:label "Bob"@en ; a <http://xmlns.com/foaf/0.1/Person> .
... ''', "text/turtle")
>>> p = build_projection(store)
>>> a = p.node("http://ex/id/person/a")
>>> p.label(a), p.kind(a), p.degree[a]
('Ada', 'person', 1)
>>> [(e.subject_label, e.label, e.object_label) for e in p.edges_between(a, p.node("http://ex/id/person/b"))]
[('Ada', 'was influenced by', 'Bob')]
>>> store.close()
"""

from __future__ import annotations

import array
import bisect
import gc
import itertools
import re
import threading
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, TypeVar

import networkx as nx
import numpy as np
import pyoxigraph as ox

from kg.namespaces import BC, DCTERMS, FOAF, OWL, PROCESS_TYPE, PROV, RDF, RDFS, ROLE, SCHEMA, SH, SKOS, TRACK
from kg.store.embedded import Store

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
    {BC + "inverseLabel", BC + "impliesInfluence", RDFS + "subPropertyOf", RDFS + "subClassOf", OWL + "inverseOf",
     RDFS + "domain", RDFS + "range", OWL + "equivalentProperty", OWL + "equivalentClass"}
)
"""A subject of any of these is a class or a property."""

BOOKKEEPING = frozenset(
    {SKOS + "inScheme", SKOS + "topConceptOf", SKOS + "hasTopConcept", RDFS + "isDefinedBy", RDF + "first",
     RDF + "rest", OWL + "imports", PROV + "hadRole"}
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

LABEL_RANKS: dict[str, int] = {SKOS + "prefLabel": 0, RDFS + "label": 1, FOAF + "name": 2, DCTERMS + "title": 3,
                               SCHEMA + "name": 3, "https://schema.org/name": 3}
ALT_LABELS = frozenset({SKOS + "altLabel", SKOS + "hiddenLabel", FOAF + "nick"})
DATE_RANKS: dict[str, int] = {BC + "date": 0, BC + "startDate": 1, DCTERMS + "date": 2, DCTERMS + "issued": 3,
                              PROV + "startedAtTime": 4}
LITERAL_PREDICATES = frozenset(LABEL_RANKS.keys() | ALT_LABELS | DATE_RANKS.keys()
                               | {BC + "inverseLabel", BC + "impliesInfluence"})
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
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


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


PROV_INFLUENCE = frozenset(
    PROV + name
    for name in (
        "wasInfluencedBy", "wasAssociatedWith", "wasAttributedTo", "wasDerivedFrom", "used", "wasGeneratedBy",
        "wasInformedBy", "actedOnBehalfOf", "wasStartedBy", "wasEndedBy", "hadPrimarySource", "wasQuotedFrom",
        "wasRevisionOf", "wasInvalidatedBy",
    )
)
"""PROV-O's sub-properties of prov:wasInfluencedBy (PROV-O §3; the ontology need not be loaded)."""
PROV_INFLUENCED = frozenset({PROV + "influenced", PROV + "generated", PROV + "invalidated"})
"""PROV-O's prov:influenced and its sub-properties: ``s p o`` means o was influenced by s."""


def _ints(values: "np.ndarray") -> array.array:
    """A compact int32 array (4 bytes a value; fast to slice and iterate from Python)."""
    out = array.array("i")
    out.frombytes(np.ascontiguousarray(values, dtype=np.int32).tobytes())
    return out


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
    _memo: dict[str, object] = field(default_factory=dict, repr=False)
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

    # --- derived artefacts ------------------------------------------------
    def memo(self, name: str, make: Callable[[], T]) -> T:
        """A value derived from this projection (a name index, influence scores), computed once."""
        with self._memo_lock:
            if name not in self._memo:
                self._memo[name] = make()
            return self._memo[name]  # type: ignore[return-value]

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


class _Builder:
    """Reads quads once (in chunks) and assembles a :class:`Projection` with numpy."""

    CHUNK = 1 << 16

    def __init__(self) -> None:
        self.index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.pred_index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.graph_index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.cols: list[array.array] = [array.array("i") for _ in range(4)]
        self.literals: list[tuple[str, str, str, str | None]] = []
        self.blank: list[tuple[str, str, str, str]] = []
        self.bracketed = False

    def read(self, quads: Iterable[ox.Quad]) -> None:
        """One pass: IRI-object quads into integer columns; the few literals and blank nodes aside."""
        named, literal = ox.NamedNode, ox.Literal
        keep_literal = LITERAL_PREDICATES
        s_col, p_col, o_col, g_col = self.cols
        index, pred_index, graph_index = self.index, self.pred_index, self.graph_index
        it = iter(quads)
        while True:
            chunk = list(itertools.islice(it, self.CHUNK))
            if not chunk:
                break
            subjects: list[str] = []
            preds: list[str] = []
            objects: list[str] = []
            graph_names: list[str] = []
            for s, p, o, g in chunk:
                ot = type(o)
                if ot is named:
                    if type(s) is named:
                        subjects.append(s.value)
                        preds.append(p.value)
                        objects.append(o.value)
                        graph_names.append(g.value if type(g) is named else "")
                    else:
                        self.blank.append((str(s), p.value, o.value, g.value if type(g) is named else ""))
                elif ot is literal:
                    pv = p.value
                    if pv in keep_literal and type(s) is named:
                        self.literals.append((s.value, pv, o.value, o.language))
                elif type(s) is named and p.value in QUALIFIED:
                    self.blank.append((s.value, p.value, str(o), g.value if type(g) is named else ""))
            s_col.extend(map(index.__getitem__, subjects))
            p_col.extend(map(pred_index.__getitem__, preds))
            o_col.extend(map(index.__getitem__, objects))
            g_col.extend(map(graph_index.__getitem__, graph_names))

    def read_oxigraph(self, raw: ox.Store) -> None:
        """The same as :meth:`read`, faster: Oxigraph writes the relations as TSV, split and interned in C."""
        s_col, p_col, o_col, g_col = self.cols
        index, pred_index, graph_index = self.index, self.pred_index, self.graph_index
        graphs = [g for g in raw.named_graphs() if isinstance(g, ox.NamedNode)]
        for graph in [None, *graphs]:  # one query per graph: no graph column to write and read back
            query = _GRAPH_EDGES.format(f"GRAPH {graph}" if graph is not None else "")
            gid = graph_index[f"<{graph.value}>".encode() if graph is not None else b""]
            for flat in _tsv_chunks(raw.query(query).serialize(format=ox.QueryResultsFormat.TSV)):
                s_col.extend(map(index.__getitem__, flat[0::3]))
                p_col.extend(map(pred_index.__getitem__, flat[1::3]))
                o_col.extend(map(index.__getitem__, flat[2::3]))
                g_col.extend(itertools.repeat(gid, len(flat) // 3))
        values = " ".join(f"<{p}>" for p in sorted(LITERAL_PREDICATES))
        query = f"SELECT ?s ?p ?o {{ ?s ?p ?o VALUES ?p {{ {values} }} FILTER(isIRI(?s) && isLiteral(?o)) }}"
        text = raw.query(query, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV)
        for s, p, quoted, lang, bare in _TSV_LITERAL_ROW.findall(text.decode()):
            value = bare or quoted
            if "\\" in quoted:
                value = _tsv_literal(f'"{quoted}"')[0]
            self.literals.append((s, p, value, lang or None))
        values = " ".join(f"<{p}>" for p in sorted(QUALIFIED.keys() | QUALIFIER_TARGETS))
        for row in raw.query(f"SELECT ?s ?p ?o ?g {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?p {{ {values} }} }}"):
            s, p, o, g = row
            self.blank.append((s.value if type(s) is ox.NamedNode else str(s), p.value,
                               o.value if type(o) is ox.NamedNode else str(o), g.value))
        self.bracketed = True

    # --- assembly ----------------------------------------------------------
    def finish(self, version: str) -> Projection:
        if self.bracketed:  # TSV cells: b"<iri>"
            self.index = _unbracket(self.index)
            self.pred_index = _unbracket(self.pred_index)
            self.graph_index = _unbracket(self.graph_index)
        index = dict(self.index)
        iris = list(index)
        predicates = list(self.pred_index)
        graphs = list(self.graph_index)
        pid = dict(self.pred_index)
        S, P, O, G = (np.frombuffer(c, dtype=np.int32) if len(c) else np.zeros(0, np.int32) for c in self.cols)

        # types and schema
        types: dict[int, list[str]] = {}
        schema: set[int] = set()
        type_id = pid.get(RDF_TYPE)
        if type_id is not None:
            rows = np.nonzero(P == type_id)[0]
            classes = np.unique(O[rows]).tolist()
            schema_classes = [c for c in classes if iris[c] in SCHEMA_TYPES or iris[c].startswith(SH)]
            if schema_classes:
                schema.update(S[rows][np.isin(O[rows], schema_classes)].tolist())
            for s, o in zip(S[rows].tolist(), O[rows].tolist()):
                types.setdefault(s, []).append(iris[o])
        sub_property: list[tuple[str, str]] = []
        inverse_of: list[tuple[str, str]] = []
        for name in SCHEMA_PREDICATES:
            if name in pid:
                rows = np.nonzero(P == pid[name])[0]
                for s, o in zip(S[rows].tolist(), O[rows].tolist()):
                    schema.add(s)
                    if name == RDFS + "subPropertyOf":
                        sub_property.append((iris[s], iris[o]))
                    elif name == OWL + "inverseOf":
                        inverse_of.append((iris[s], iris[o]))

        # literals: labels, alt labels, dates, property annotations
        label_best: dict[int, tuple[int, str]] = {}
        alt: dict[int, list[str]] = {}
        date_best: dict[int, tuple[int, str]] = {}
        inverse_labels: dict[str, tuple[int, str]] = {}
        implies: set[str] = set()
        late: list[str] = []
        for s_iri, pred, value, lang in self.literals:
            s = index.get(s_iri)
            if s is None:
                s = index[s_iri] = len(iris)
                iris.append(s_iri)
                late.append(s_iri)
            if pred in LABEL_RANKS:
                rank = LABEL_RANKS[pred]
                if rank <= 1 and lang != "en":
                    rank = 4
                key = rank * 3 + (0 if lang == "en" else 1 if not lang else 2)
                best = label_best.get(s)
                if best is None or key < best[0]:
                    label_best[s] = (key, value)
                    if best is not None and best[1] != value:
                        alt.setdefault(s, []).append(best[1])
                elif value != best[1]:
                    alt.setdefault(s, []).append(value)
            elif pred in ALT_LABELS:
                alt.setdefault(s, []).append(value)
            elif pred in DATE_RANKS:
                best = date_best.get(s)
                if best is None or DATE_RANKS[pred] < best[0]:
                    date_best[s] = (DATE_RANKS[pred], value)
            elif pred == BC + "inverseLabel":
                schema.add(s)
                key = 0 if lang == "en" else 1 if not lang else 2
                old = inverse_labels.get(s_iri)
                if old is None or key < old[0]:
                    inverse_labels[s_iri] = (key, value)
            elif pred == BC + "impliesInfluence":
                schema.add(s)
                if value.strip().lower() in ("true", "1"):
                    implies.add(s_iri)
        for name in predicates:
            if name in index:
                schema.add(index[name])

        # PROV qualifications (blank or IRI qualification nodes) and sameAs
        qual_target = {s: o for s, p, o, _ in self.blank if p in QUALIFIER_TARGETS}
        if any(name in pid for name in QUALIFIER_TARGETS):
            for name in QUALIFIER_TARGETS & pid.keys():
                rows = np.nonzero(P == pid[name])[0]
                for s, o in zip(S[rows].tolist(), O[rows].tolist()):
                    qual_target.setdefault(iris[s], iris[o])
        extra_s: list[int] = []
        extra_p: list[int] = []
        extra_o: list[int] = []
        extra_g: list[int] = []

        def add(s: int, p: str, o: int, g: int) -> None:
            if p not in pid:
                pid[p] = len(predicates)
                predicates.append(p)
            extra_s.append(s)
            extra_p.append(pid[p])
            extra_o.append(o)
            extra_g.append(g)

        qualified = [(s, p, o, g) for s, p, o, g in self.blank if p in QUALIFIED]
        for name in QUALIFIED.keys() & pid.keys():
            rows = np.nonzero(P == pid[name])[0]
            qualified += [(iris[s], name, iris[o], graphs[g])
                          for s, o, g in zip(S[rows].tolist(), O[rows].tolist(), G[rows].tolist())]
        graph_ids = {g: i for i, g in enumerate(graphs)}
        for s_iri, pred, qual, g in qualified:
            target = qual_target.get(qual)
            s = index.get(s_iri)
            if target is None or s is None:
                continue
            o = index.get(target)
            if o is None:
                o = index[target] = len(iris)
                iris.append(target)
            if g not in graph_ids:
                graph_ids[g] = len(graphs)
                graphs.append(g)
            add(s, QUALIFIED[pred], o, graph_ids[g])

        same_as: dict[int, list[str]] = {}
        has_outgoing = np.zeros(len(iris) + 1, dtype=bool)
        has_outgoing[S] = True
        if SAME_AS in pid:
            rows = np.nonzero(P == pid[SAME_AS])[0]
            for s, o, g in zip(S[rows].tolist(), O[rows].tolist(), G[rows].tolist()):
                if has_outgoing[o] or o in label_best:
                    add(s, SAME_AS, o, g)
                else:
                    same_as.setdefault(s, []).append(iris[o])
        same_as = {s: sorted(set(links)) for s, links in same_as.items()}

        # the relations: drop types, schema, bookkeeping; fold in the extra ones; dedupe
        n = len(iris)
        drop_preds = [pid[name] for name in (BOOKKEEPING | SCHEMA_PREDICATES | QUALIFIED.keys()
                                              | {RDF_TYPE, SAME_AS}) if name in pid]
        is_schema = np.zeros(n, dtype=bool)
        if schema:
            is_schema[np.fromiter(schema, dtype=np.int64, count=len(schema))] = True
        keep = ~np.isin(P, drop_preds) & ~is_schema[S] & ~is_schema[O] if len(S) else np.zeros(0, bool)
        S, P, O, G = S[keep], P[keep], O[keep], G[keep]
        if extra_s:
            already = set(zip(S.tolist(), P.tolist(), O.tolist())) if len(extra_s) < len(S) else set()
            rows = [i for i, t in enumerate(zip(extra_s, extra_p, extra_o))
                    if t not in already and not is_schema[t[0]] and not is_schema[t[2]]]
            S = np.concatenate([S, np.array([extra_s[i] for i in rows], dtype=np.int32)])
            P = np.concatenate([P, np.array([extra_p[i] for i in rows], dtype=np.int32)])
            O = np.concatenate([O, np.array([extra_o[i] for i in rows], dtype=np.int32)])
            G = np.concatenate([G, np.array([extra_g[i] for i in rows], dtype=np.int32)])
        order = np.lexsort((G, O, P, S))
        S, P, O, G = S[order], P[order], O[order], G[order]
        first = np.ones(len(S), dtype=bool)
        if len(S) > 1:
            first[1:] = (S[1:] != S[:-1]) | (P[1:] != P[:-1]) | (O[1:] != O[:-1])
        edge_of_row = np.cumsum(first) - 1
        extra_graphs: dict[int, tuple[int, ...]] = {}
        dup_rows = np.nonzero(~first)[0]
        if len(dup_rows):
            groups: dict[int, set[int]] = {}
            for row in dup_rows.tolist():
                e = int(edge_of_row[row])
                groups.setdefault(e, {int(G[row - 1])}).add(int(G[row]))
            extra_graphs = {e: tuple(sorted(gs)) for e, gs in groups.items()}
        S, P, O, G = S[first], P[first], O[first], G[first]
        # extra_graphs must include the first row's graph: rows are sorted by G within a relation
        for e in list(extra_graphs):
            extra_graphs[e] = tuple(sorted(set(extra_graphs[e]) | {int(G[e])}))

        out_count = np.bincount(S, minlength=n)
        in_count = np.bincount(O, minlength=n)
        degree = out_count + in_count
        # each node's relations, least connected neighbour first (searches can stop scanning a hub early)
        order = np.lexsort((O, degree[O], S))
        S, P, O, G = S[order], P[order], O[order], G[order]
        if extra_graphs:
            position = np.empty(len(order), dtype=np.int64)
            position[order] = np.arange(len(order))
            extra_graphs = {int(position[e]): gs for e, gs in extra_graphs.items()}
        out_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(out_count, out=out_off[1:])
        in_order = np.lexsort((S, degree[S], O))
        in_off = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(in_count, out=in_off[1:])
        pred_freq = np.bincount(P, minlength=len(predicates)).tolist()

        alive = bytearray((degree > 0).astype(np.uint8).tobytes())
        for v in label_best:
            alive[v] = 1
        for v in schema:
            alive[v] = 0
        types_out = {v: tuple(ts) for v, ts in types.items() if alive[v]}
        kinds = _kinds(iris, alive, types_out)
        symmetric = {iris[v] for v, ts in types.items() if OWL + "SymmetricProperty" in ts}
        return Projection(
            version=version, iris=iris, index=index, alive=alive,
            out_off=_ints(out_off), out_dst=_ints(O), out_pred=_ints(P), out_graph=_ints(G),
            extra_graphs=extra_graphs, in_off=_ints(in_off), in_src=_ints(S[in_order]),
            in_pred=_ints(P[in_order]), in_edge=_ints(in_order), degree=_ints(degree),
            predicates=predicates, pred_index=pid, pred_freq=pred_freq, graphs=graphs,
            properties=_properties(predicates, index, label_best, inverse_labels, implies, sub_property,
                                   inverse_of, symmetric),
            labels={v: t for v, (_, t) in label_best.items() if alive[v]},
            alt_labels={v: sorted(set(a)) for v, a in alt.items() if alive[v]}, types=types_out,
            dates={v: d for v, (_, d) in date_best.items() if alive[v]}, same_as=same_as, kinds=kinds,
            graph_labels={g: label_best[index[g]][1] for g in graphs if index.get(g) in label_best},
        )


def _kinds(iris: list[str], alive: bytearray, types: dict[int, tuple[str, ...]]) -> dict[int, str]:
    """The short kind of every node: from its types (worked out once per combination of types), then
    from its IRI where the IRI says (``…/id/person/…``, the concept schemes)."""
    by_types: dict[tuple[str, ...], str | None] = {}
    kinds: dict[int, str] = {}
    for v, ts in types.items():
        if ts not in by_types:
            by_types[ts] = kind_of("", ts)
        kind = by_types[ts]
        if kind is not None:
            kinds[v] = kind
    telling = [v for v, iri in enumerate(iris) if "/id/" in iri or iri.startswith((TRACK, PROCESS_TYPE, ROLE))]
    for v in telling:
        if alive[v]:
            kind = kind_of(iris[v], types.get(v, ()))
            if kind is not None:
                kinds[v] = kind
    return kinds


_GRAPH_EDGES = "SELECT ?s ?p ?o {{ {} {{ ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o)) }} }}"


def _tsv_chunks(text: bytes, size: int = 1 << 22) -> Iterator[list[bytes]]:
    """The cells of a SPARQL TSV result whose cells hold no blanks (IRIs), a few MiB of rows at a time."""
    start = text.find(b"\n") + 1  # after the header
    while start < len(text):
        end = text.find(b"\n", start + size)
        end = len(text) if end < 0 else end
        yield text[start:end].split()
        start = end + 1


_TSV_LITERAL_ROW = re.compile(
    r'^<([^>\t]*)>\t<([^>\t]*)>\t(?:"((?:[^"\\\n]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<[^>]*>)?|([^\t"\n]+))$', re.M
)
"""A row ``<s> <p> literal`` of a SPARQL TSV result: subject, predicate, quoted value, language, bare value."""

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _tsv_literal(cell: str) -> tuple[str, str | None]:
    r"""The lexical value and language of a literal written in SPARQL TSV (N-Triples syntax).

    >>> _tsv_literal('"Caf\\u00E9 \\"x\\""@en'), _tsv_literal('"1993"^^<http://www.w3.org/2001/XMLSchema#gYear>')
    (('Café "x"', 'en'), ('1993', None))
    >>> _tsv_literal("1993")
    ('1993', None)
    """
    if not cell.startswith('"'):
        return cell, None  # numbers and booleans are written bare
    end = cell.rfind('"')
    value, rest = cell[1:end], cell[end + 1 :]
    if "\\" in value:
        value = re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", _unescape, value)
    return value, (rest[1:] if rest.startswith("@") else None)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) > 1 else _ESCAPES.get(code, code)


def _unbracket(ids: dict[bytes, int]) -> defaultdict[str, int]:
    """``{b"<iri>": id}`` as ``{"iri": id}`` (the empty cell is the default graph, ``""``)."""
    out: defaultdict[str, int] = defaultdict(itertools.count(len(ids)).__next__)
    out.update((key.decode()[1:-1], v) for key, v in ids.items())
    return out


def _properties(
    predicates: list[str], index: dict[str, int], label_best: dict[int, tuple[int, str]],
    inverse_labels: dict[str, tuple[int, str]], implies: set[str], sub_property: list[tuple[str, str]],
    inverse_of: list[tuple[str, str]], symmetric: set[str],
) -> dict[str, PropertyInfo]:
    """Labels, inverse labels and influence direction of every property the data uses or describes."""
    influence: dict[str, int] = {p: 1 for p in PROV_INFLUENCE} | {p: -1 for p in PROV_INFLUENCED}
    influence |= {p: 1 for p in implies}
    pairs = inverse_of + [(b, a) for a, b in inverse_of]
    changed = True
    while changed:  # closure over rdfs:subPropertyOf and owl:inverseOf
        changed = False
        for sub, sup in sub_property:
            if sup in influence and sub not in influence:
                influence[sub] = influence[sup]
                changed = True
        for a, b in pairs:
            if b in influence and a not in influence:
                influence[a] = -influence[b]
                changed = True
    out = {}
    for iri in set(predicates) | set(inverse_labels) | set(influence):
        v = index.get(iri)
        best = label_best.get(v) if v is not None else None
        label = best[1] if best else humanise(iri)
        inverse = inverse_labels.get(iri)
        inverse_label = inverse[1] if inverse else (label if iri in symmetric else inverse_phrase(label))
        out[iri] = PropertyInfo(iri, label, inverse_label, influence.get(iri, 0), iri in symmetric)
    return out


def build_projection(store: Store, version: str | None = None) -> Projection:
    """Project the store's current content (every graph) into a :class:`Projection`.

    The embedded Oxigraph store is read through a fast path (TSV written in Rust); any other
    store through :meth:`Store.quads`.
    """
    version = store.version if version is None else version
    raw = getattr(store, "raw", None)
    if not isinstance(raw, ox.Store):
        return projection_from_quads(store.quads(), version)
    with _gc_paused():
        builder = _Builder()
        builder.read_oxigraph(raw)
        return builder.finish(version)


def projection_from_quads(quads: Iterable[ox.Quad], version: str = "0") -> Projection:
    """Project quads directly (tests, benchmarks). The cyclic GC is paused while building.

    >>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"),
    ...             ox.NamedNode("http://x/g"))
    >>> projection_from_quads([q, q]).edge_count
    1
    """
    with _gc_paused():
        builder = _Builder()
        builder.read(quads)
        return builder.finish(version)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: a build allocates many containers and frees none, so collections would only cost time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ProjectionCache:
    """The projection of a store, rebuilt lazily when ``store.version`` changes (thread-safe).

    >>> from kg.store.embedded import OxigraphStore
    >>> store = OxigraphStore(":memory:")
    >>> cache = ProjectionCache(store)
    >>> cache.get().edge_count
    0
    >>> store.replace_graph("http://ex/g", b"<http://ex/a> <http://ex/p> <http://ex/b> .", "text/turtle")
    >>> cache.get().edge_count, cache.get() is cache.get()
    (1, True)
    >>> store.close()
    """

    def __init__(self, store: Store, warm: Iterable[Callable[[Projection], object]] = ()) -> None:
        self.store = store
        self.warm = tuple(warm)
        """Functions run on each new projection before it is handed out (precomputed indexes)."""
        self._lock = threading.Lock()
        self._current: Projection | None = None
        self.builds = 0

    def get(self) -> Projection:
        """The projection of the store's current version (built now if the store changed)."""
        version = self.store.version
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            version = self.store.version
            if self._current is None or self._current.version != version:
                fresh = build_projection(self.store, version)
                for prepare in self.warm:
                    prepare(fresh)
                self._current = fresh
                self.builds += 1
            return self._current
