"""Validate a built store: SHACL shapes plus checks that SHACL cannot express.

Three kinds of checks, all reported as :class:`Violation` rows:

1. ``ontology/shapes.ttl`` (pySHACL, SHACL-AF SPARQL targets on) over the union of
   the store's named graphs, with the ontology files as the ontology graph.
   pySHACL works on rdflib graphs, not on a pyoxigraph ``Store``, and would not
   see named graphs anyway, so the named graphs are copied into one rdflib graph.
2. No triple may sit in the default graph: every fact belongs to a source graph.
3. Every predicate and class used in the data is defined in the backchannel
   ontology or belongs to an allow-listed reused vocabulary; and every property
   that links two things has a reading label (``rdfs:label``) in the ontology,
   which path explanations need.

Example (a store whose only triple sits in the default graph):

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("http://127.0.0.1:8000/id/person/x"),
...                   ox.NamedNode("https://w3id.org/backchannel/def#notDefined"),
...                   ox.Literal("y")))
>>> report = validate(store, ONTOLOGY_DIR)
>>> report.conforms
False
>>> print(report.to_text())  # doctest: +NORMALIZE_WHITESPACE
Conforms: no (1 violations, 0 warnings)
[Violation] <http://127.0.0.1:8000/id/person/x> <https://w3id.org/backchannel/def#notDefined>: triple is in the
default graph; every fact must be in a source graph
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from kg.namespaces import is_skolem
from kg.store.base import Term

__all__ = ["ONTOLOGY_DIR", "ValidationReport", "Violation", "validate"]

ONTOLOGY_DIR = Path(__file__).resolve().parents[2] / "ontology"
"""The repository's ontology folder (vocabulary files and ``shapes.ttl``)."""

VOCAB = "https://w3id.org/backchannel/def"
BC = VOCAB + "#"
SH = Namespace("http://www.w3.org/ns/shacl#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")

ALLOWED_NAMESPACES: tuple[str, ...] = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/2000/01/rdf-schema#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/2001/XMLSchema#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/prov#",
    "http://xmlns.com/foaf/0.1/",
    "http://purl.org/dc/terms/",
    "http://purl.org/ontology/bibo/",
    "http://www.w3.org/2006/time#",
    "http://purl.org/vocab/vann/",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/ns/shacl#",
)
"""Reused vocabularies whose terms the data may use without our ontology defining them."""

DEFINING_TYPES: frozenset[URIRef] = frozenset(
    {
        OWL.Class,
        RDFS.Class,
        RDFS.Datatype,
        RDF.Property,
        OWL.ObjectProperty,
        OWL.DatatypeProperty,
        OWL.AnnotationProperty,
    }
)


@dataclass(frozen=True)
class Violation:
    """One problem found: where (focus node, path), what (message), how bad, and which check."""

    focus_node: str
    path: str | None
    message: str
    severity: str = "Violation"
    source_shape: str | None = None

    def to_text(self) -> str:
        """One line: ``[Severity] <focus> <path>: message``."""
        path = f" {_show(self.path)}" if self.path else ""
        return f"[{self.severity}] {_show(self.focus_node)}{path}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate`; ``conforms`` is false if any result has severity Violation."""

    conforms: bool
    results: list[Violation]

    def to_text(self) -> str:
        """A readable report: a summary line, then one line per result."""
        errors = sum(r.severity == "Violation" for r in self.results)
        warnings = len(self.results) - errors
        header = f"Conforms: {'yes' if self.conforms else 'no'} ({errors} violations, {warnings} warnings)"
        return "\n".join([header, *(r.to_text() for r in self.results)])


def validate(store: ox.Store, ontology_dir: Path) -> ValidationReport:
    """Check every named graph of ``store`` against the shapes and vocabulary in ``ontology_dir``."""
    vocabulary = _load_vocabulary(ontology_dir)
    shapes = Graph().parse(ontology_dir / "shapes.ttl", format="turtle")
    data = _named_graph_union(store)
    results = _default_graph_violations(store) + _vocabulary_violations(data, vocabulary)
    results += _shacl_violations(data, shapes, vocabulary)
    return ValidationReport(conforms=all(r.severity != "Violation" for r in results), results=results)


def _load_vocabulary(ontology_dir: Path) -> Graph:
    """All ontology files except the shapes, as one graph."""
    graph = Graph()
    for path in sorted(ontology_dir.glob("*.ttl")):
        if path.name != "shapes.ttl":
            graph.parse(path, format="turtle")
    return graph


def _named_graph_union(store: ox.Store) -> Graph:
    """The union of the data graphs (every named graph except the ontology's) as an rdflib graph."""
    union = Graph()
    for quad in store.quads_for_pattern(None, None, None, None):
        graph = quad.graph_name
        if isinstance(graph, ox.NamedNode) and not graph.value.startswith(VOCAB):
            union.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    return union


def _rdflib(term: Term) -> Node:
    """The rdflib term for a pyoxigraph term (RDF 1.2 triple terms are not used here)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def _default_graph_violations(store: ox.Store) -> list[Violation]:
    return [
        Violation(
            focus_node=_term(q.subject),
            path=q.predicate.value,
            message="triple is in the default graph; every fact must be in a source graph",
            source_shape="python:default-graph",
        )
        for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    ]


def _vocabulary_violations(data: Graph, vocabulary: Graph) -> list[Violation]:
    """Undefined or unknown predicates and classes, and properties between things with no reading label."""
    defined = {s for t in DEFINING_TYPES for s in vocabulary.subjects(RDF.type, t)}
    labelled = set(vocabulary.subjects(RDFS.label, None))
    found: dict[tuple[str, str, str], Violation] = {}

    def check(term: Node, focus: Node, path: Node, what: str) -> None:
        iri = str(term)
        if iri.startswith(VOCAB):
            if term not in defined:
                message = f"{what} <{iri}> is not defined in the backchannel ontology"
            else:
                return
        elif iri.startswith(ALLOWED_NAMESPACES):
            return
        else:
            message = f"{what} <{iri}> is neither defined in the backchannel ontology nor from an allowed vocabulary"
        violation = Violation(str(focus), str(path), message, source_shape="python:vocabulary")
        found.setdefault((iri, str(focus), what), violation)

    for s, p, o in data:
        check(p, s, p, "predicate")
        if p == RDF.type and isinstance(o, URIRef):
            check(o, s, p, "class")
        elif (isinstance(s, URIRef) and not is_skolem(str(s)) and isinstance(o, URIRef) and p not in labelled
              and _is_thing(o)):  # a blank node's statements (or its stable IRI's) are not read as links
            found.setdefault(
                (str(p), "label", ""),
                Violation(
                    str(s),
                    str(p),
                    f"property <{p}> links two things but has no rdfs:label in the ontology to read it by",
                    source_shape="python:reading-label",
                ),
            )
    return sorted(found.values(), key=lambda v: (v.focus_node, v.path or "", v.message))


def _shacl_violations(data: Graph, shapes: Graph, vocabulary: Graph) -> list[Violation]:
    _, results, text = pyshacl.validate(
        data_graph=data,
        shacl_graph=shapes,
        ont_graph=vocabulary,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if not isinstance(results, Graph):
        raise RuntimeError(f"SHACL validation could not run: {text}")
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        value = results.value(result, SH.value)
        message = str(results.value(result, SH.resultMessage) or "constraint not met")
        if value is not None and value != results.value(result, SH.focusNode) and str(value) not in message:
            message += f" (value: {_term_text(value)})"
        path = results.value(result, SH.resultPath)
        severity = results.value(result, SH.resultSeverity)
        violations.append(
            Violation(
                focus_node=str(results.value(result, SH.focusNode)),
                path=str(path) if path is not None else None,
                message=message,
                severity=str(severity).removeprefix(str(SH)) if severity is not None else "Violation",
                source_shape=_shape_name(results.value(result, SH.sourceShape), shapes),
            )
        )
    return sorted(violations, key=lambda v: (v.focus_node, v.path or "", v.message))


def _shape_name(shape: Node | None, shapes: Graph) -> str | None:
    """The shape's IRI, or for an anonymous property shape the IRI of the node shape holding it."""
    if shape is None or not isinstance(shape, BNode):
        return None if shape is None else str(shape)
    parent = shapes.value(predicate=SH.property, object=shape)
    return f"{parent} (property shape)" if parent is not None else "anonymous shape"


def _is_thing(term: URIRef) -> bool:
    """Whether an IRI names a thing or concept of this graph (not a class, a datatype or an outside resource)."""
    iri = str(term)
    return "/id/" in iri or iri.startswith((VOCAB + "/track/", VOCAB + "/process-type/", VOCAB + "/role/"))


def _term(term: ox.NamedNode | ox.BlankNode | ox.Triple) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def _term_text(term: Node) -> str:
    return f'"{term}"^^<{term.datatype}>' if isinstance(term, Literal) and term.datatype else str(term)


def _show(text: str) -> str:
    return f"<{text}>" if "://" in text else text
