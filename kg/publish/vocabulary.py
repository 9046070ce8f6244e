"""Documentation of the published vocabulary: its classes, properties and SKOS schemes, with usage in the data.

Everything comes from the ontology graphs in the store (``https://w3id.org/backchannel/def…``),
so what the service documents is what the build loaded.

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph(VOCAB, b'''
...   @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
...   <https://w3id.org/backchannel/def#coined> a owl:ObjectProperty ; rdfs:label "coined"@en .''', "text/turtle")
>>> store.replace_graph("http://x/id/source/s", b'''
...   <http://x/id/person/a> <https://w3id.org/backchannel/def#coined> <http://x/b> .''', "text/turtle")
>>> doc = document(store)
>>> [(t.label, t.kind, t.usage, t.anchor) for t in doc.terms]
[('coined', 'object property', 1, 'coined')]
>>> store.close()
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.namespaces import BC, DCTERMS, OWL, RDF, RDFS, SKOS, VOCAB
from kg.publish.describe import (
    DESCRIPTION_PREDICATES,
    INVERSE_LABEL,
    LABEL_PREDICATES,
    Fact,
    best_literal,
    compact,
    fallback_label,
    label_facts,
    node,
    pick_labels,
)
from kg.store.base import Store, term_value

TERM_KINDS: dict[str, str] = {
    OWL + "Class": "class",
    RDFS + "Class": "class",
    RDFS + "Datatype": "datatype",
    OWL + "ObjectProperty": "object property",
    OWL + "DatatypeProperty": "datatype property",
    OWL + "AnnotationProperty": "annotation property",
    RDF + "Property": "property",
}
"""The declarations that make a subject of an ontology graph a documented term, and what to call it."""

CLASS_KINDS = frozenset({"class", "datatype"})
CHARACTERISTICS = {
    OWL + "SymmetricProperty": "symmetric",
    OWL + "TransitiveProperty": "transitive",
    OWL + "FunctionalProperty": "functional",
    OWL + "InverseFunctionalProperty": "inverse functional",
}


def is_vocabulary(iri: str) -> bool:
    """Whether an IRI is in the published vocabulary's namespace.

    >>> is_vocabulary("https://w3id.org/backchannel/def/track/track-two"), is_vocabulary("http://x/id/a")
    (True, False)
    """
    return iri == VOCAB or iri.startswith((VOCAB + "#", VOCAB + "/"))


def local_path(iri: str) -> str | None:
    """The path of the local page documenting a vocabulary IRI (relative to the service root), else None.

    >>> local_path("https://w3id.org/backchannel/def#coined")
    'def#coined'
    >>> local_path("https://w3id.org/backchannel/def/track/track-two")
    'def/track/track-two'
    >>> local_path("http://xmlns.com/foaf/0.1/Person") is None
    True
    """
    if not is_vocabulary(iri):
        return None
    return "def" + iri[len(VOCAB):]


def anchor(iri: str) -> str:
    """The fragment of a term on the /def page: the local name of ``bc:`` terms, else ``prefix-name``.

    >>> anchor(BC + "coined"), anchor(DCTERMS + "creator")
    ('coined', 'dcterms-creator')
    """
    if iri.startswith(BC):
        return iri[len(BC):]
    short = compact(iri)
    if short.startswith("<"):
        return "term-" + "".join(ch if ch.isalnum() else "-" for ch in iri).strip("-")
    return short.replace(":", "-")


@dataclass
class TermDoc:
    """One class or property as documented on /def."""

    iri: str
    kind: str
    label: str
    definition: str | None = None
    inverse_label: str | None = None
    characteristics: list[str] = field(default_factory=list)
    supers: list[str] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    inverse_of: list[str] = field(default_factory=list)
    usage: int = 0
    example: Fact | None = None
    declared: bool = True
    """False for a reused term (dcterms:creator…) that the vocabulary only gives reading labels."""

    @property
    def anchor(self) -> str:
        return anchor(self.iri)

    @property
    def curie(self) -> str:
        return compact(self.iri)


@dataclass
class ConceptDoc:
    """One SKOS concept of a scheme."""

    iri: str
    label: str
    notation: str | None = None
    definition: str | None = None
    alt_labels: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    relations: list[tuple[str, str]] = field(default_factory=list)
    usage: int = 0
    top: bool = False


@dataclass
class SchemeDoc:
    """A SKOS concept scheme and its concepts."""

    iri: str
    label: str
    definition: str | None
    concepts: list[ConceptDoc]


@dataclass
class OntologyDoc:
    """An ontology graph's own description (title, description, version, licence)."""

    iri: str
    label: str
    description: str | None
    facts: list[Fact]


@dataclass
class VocabularyDoc:
    """Everything /def shows."""

    ontologies: list[OntologyDoc]
    terms: list[TermDoc]
    schemes: list[SchemeDoc]
    labels: dict[str, str]
    graphs: list[str]

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or fallback_label(iri)

    def name(self, iri: str) -> str:
        """How a term is named in the documentation: its label, else its prefixed name, else its IRI.

        >>> VocabularyDoc([], [], [], {}, []).name("http://www.w3.org/ns/prov#Activity")
        'prov:Activity'
        """
        if iri in self.labels:
            return self.labels[iri]
        short = compact(iri)
        return iri if short.startswith("<") else short

    def classes(self) -> list[TermDoc]:
        return [t for t in self.terms if t.kind in CLASS_KINDS]

    def properties(self) -> list[TermDoc]:
        return [t for t in self.terms if t.kind not in CLASS_KINDS and t.declared]

    def reused(self) -> list[TermDoc]:
        return [t for t in self.terms if not t.declared]

    def scheme(self, iri: str) -> SchemeDoc | None:
        return next((s for s in self.schemes if s.iri == iri), None)


def ontology_graphs(store: Store) -> list[str]:
    """The names of the graphs that hold the vocabulary and its schemes."""
    return [g for g in store.graph_names() if is_vocabulary(g)]


def _index(quads: list[ox.Quad]) -> dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]]:
    index: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for quad in quads:
        if isinstance(quad.subject, ox.NamedNode):
            index[quad.subject.value][quad.predicate.value].append(quad.object)
    return index


def _iris(values: list) -> list[str]:
    return sorted({v.value for v in values if isinstance(v, ox.NamedNode)})


def _text(values: list) -> str | None:
    literals = [v for v in values if isinstance(v, ox.Literal)]
    return best_literal(literals).value if literals else None


def _not_in_vocab_graphs() -> str:
    return f'FILTER (!STRSTARTS(STR(?g), "{VOCAB}"))'


def _usage(store: Store) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Triples per predicate, instances per class and links to each vocabulary IRI, in the data graphs."""
    where = _not_in_vocab_graphs()
    predicates = {
        term_value(r["p"]): int(term_value(r["n"]))
        for r in store.select(f"SELECT ?p (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o }} {where} }} GROUP BY ?p")
    }
    classes = {
        term_value(r["c"]): int(term_value(r["n"]))
        for r in store.select(
            f"SELECT ?c (COUNT(DISTINCT ?s) AS ?n) {{ GRAPH ?g {{ ?s a ?c }} {where} }} GROUP BY ?c"
        )
    }
    links = {
        term_value(r["o"]): int(term_value(r["n"]))
        for r in store.select(
            f"SELECT ?o (COUNT(*) AS ?n) {{ GRAPH ?g {{ ?s ?p ?o "
            f'FILTER (isIRI(?o) && STRSTARTS(STR(?o), "{VOCAB}/")) }} {where} }} GROUP BY ?o'
        )
    }
    return predicates, classes, links


def _example(store: Store, term: TermDoc) -> Fact | None:
    """One statement of the data that uses the term (as a predicate, or a class of a thing)."""
    where = _not_in_vocab_graphs()
    if term.kind in CLASS_KINDS:
        pattern = f"?s ?p ?o FILTER (?p = {node(RDF + 'type')} && ?o = {node(term.iri)})"
    else:
        pattern = f"?s ?p ?o FILTER (?p = {node(term.iri)})"
    rows = store.select(
        f"SELECT ?g ?s ?p ?o {{ GRAPH ?g {{ {pattern} FILTER isIRI(?s) }} {where} }} ORDER BY ?s ?o LIMIT 1"
    )
    if not rows:
        return None
    row = rows[0]
    return Fact.of(row["s"], row["p"], row["o"], (term_value(row["g"]),))


def document(store: Store) -> VocabularyDoc:
    """Read the ontology graphs and the data's use of them into a :class:`VocabularyDoc`."""
    graphs = ontology_graphs(store)
    quads = [q for g in graphs for q in store.graph_quads(g)]
    index = _index(quads)
    predicate_usage, class_usage, link_usage = _usage(store)

    terms: dict[str, TermDoc] = {}
    for iri, props in index.items():
        kinds = [TERM_KINDS[t] for t in _iris(props.get(RDF + "type", [])) if t in TERM_KINDS]
        if not kinds and not props.get(INVERSE_LABEL):
            continue  # not a term: an ontology header, a scheme, a concept
        terms[iri] = TermDoc(
            iri=iri,
            kind=kinds[0] if kinds else "property",
            label=_text(props.get(RDFS + "label", [])) or fallback_label(iri),
            definition=_text([v for p in DESCRIPTION_PREDICATES for v in props.get(p, [])]),
            inverse_label=_text(props.get(INVERSE_LABEL, [])),
            characteristics=[CHARACTERISTICS[t] for t in _iris(props.get(RDF + "type", [])) if t in CHARACTERISTICS],
            supers=_iris(props.get(RDFS + "subClassOf", []) + props.get(RDFS + "subPropertyOf", [])),
            domains=_iris(props.get(RDFS + "domain", [])),
            ranges=_iris(props.get(RDFS + "range", [])),
            inverse_of=_iris(props.get(OWL + "inverseOf", [])),
            declared=bool(kinds),
        )
    for term in terms.values():
        for parent in term.supers:
            if parent in terms:
                terms[parent].subs.append(term.iri)
        term.usage = class_usage.get(term.iri, 0) if term.kind in CLASS_KINDS else predicate_usage.get(term.iri, 0)
        if term.usage:
            term.example = _example(store, term)
    ordered = sorted(terms.values(), key=lambda t: (not t.declared, t.kind not in CLASS_KINDS, t.label.lower()))

    schemes = _schemes(index, link_usage)
    ontologies = [
        OntologyDoc(
            iri=iri,
            label=_text(index[iri].get(DCTERMS + "title", []) + index[iri].get(RDFS + "label", [])) or iri,
            description=_text(index[iri].get(DCTERMS + "description", [])),
            facts=_facts_about(quads, iri),
        )
        for iri in sorted(index)
        if OWL + "Ontology" in _iris(index[iri].get(RDF + "type", []))
    ]
    mentioned = {i for t in ordered for i in (*t.supers, *t.domains, *t.ranges, *t.inverse_of)}
    mentioned |= {i for s in schemes for c in s.concepts for i in (*c.broader, *c.narrower, *c.related)}
    mentioned |= {o for s in schemes for c in s.concepts for _, o in c.relations}
    mentioned |= {q.object.value for o in ontologies for q in o.facts if isinstance(q.object, ox.NamedNode)}
    mentioned |= {q.predicate.value for o in ontologies for q in o.facts}
    for term in ordered:
        if term.example is not None:
            mentioned |= {term.example.subject.value, *term.example.graphs}
            if isinstance(term.example.object, ox.NamedNode):
                mentioned.add(term.example.object.value)
    labels = pick_labels(label_facts(store, mentioned | set(index)), LABEL_PREDICATES)
    return VocabularyDoc(ontologies=ontologies, terms=ordered, schemes=schemes, labels=labels, graphs=graphs)


def _facts_about(quads: list[ox.Quad], iri: str) -> list[Fact]:
    """The statements about ``iri`` in the named graphs."""
    out: list[Fact] = []
    for q in quads:
        if term_value(q.subject) == iri and isinstance(q.graph_name, ox.NamedNode):
            fact = Fact.of(q.subject, q.predicate, q.object, (q.graph_name.value,))
            if fact is not None:
                out.append(fact)
    return out


def _schemes(index: dict, link_usage: dict[str, int]) -> list[SchemeDoc]:
    schemes: list[SchemeDoc] = []
    skip = {RDF + "type", SKOS + "inScheme", SKOS + "topConceptOf", SKOS + "broader", SKOS + "narrower",
            SKOS + "related"}
    for iri in sorted(index):
        props = index[iri]
        if SKOS + "ConceptScheme" not in _iris(props.get(RDF + "type", [])):
            continue
        concepts = []
        for c_iri in sorted(index):
            c = index[c_iri]
            if iri not in _iris(c.get(SKOS + "inScheme", [])):
                continue
            concepts.append(
                ConceptDoc(
                    iri=c_iri,
                    label=_text(c.get(SKOS + "prefLabel", []) + c.get(RDFS + "label", [])) or fallback_label(c_iri),
                    notation=_text(c.get(SKOS + "notation", [])),
                    definition=_text(c.get(SKOS + "definition", [])),
                    alt_labels=sorted({v.value for v in c.get(SKOS + "altLabel", []) if isinstance(v, ox.Literal)}),
                    broader=_iris(c.get(SKOS + "broader", [])),
                    narrower=_iris(c.get(SKOS + "narrower", [])),
                    related=_iris(c.get(SKOS + "related", [])),
                    relations=sorted(
                        (p, o.value)
                        for p, values in c.items()
                        if p not in skip
                        for o in values
                        if isinstance(o, ox.NamedNode)
                    ),
                    usage=link_usage.get(c_iri, 0),
                    top=iri in _iris(c.get(SKOS + "topConceptOf", [])),
                )
            )
        concepts.sort(key=lambda c: (not c.top, _notation_key(c.notation), c.label.lower()))
        schemes.append(
            SchemeDoc(
                iri=iri,
                label=_text(props.get(SKOS + "prefLabel", []) + props.get(RDFS + "label", [])) or fallback_label(iri),
                definition=_text(props.get(SKOS + "definition", []) + props.get(DCTERMS + "description", [])),
                concepts=concepts,
            )
        )
    return schemes


def _notation_key(notation: str | None) -> tuple[int, float, str]:
    """Sort notations numerically when they are numbers ("1", "1.5", "2"), else as text."""
    if notation is None:
        return (2, 0.0, "")
    try:
        return (0, float(notation), notation)
    except ValueError:
        return (1, 0.0, notation)

