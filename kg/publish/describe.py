"""Describe one thing of the graph: its statements both ways, the labels of what they name, their sources.

This is the pure, store-level half of linked data: no HTTP, no HTML. The
service turns a :class:`Description` into RDF documents and pages.

>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> store.replace_graph("http://x/id/source/s", b'''
...   <http://x/id/person/a> <http://www.w3.org/2000/01/rdf-schema#label> "Ann" ;
...       <http://ex/knows> <http://x/id/person/b> .
...   <http://x/id/person/b> <http://www.w3.org/2000/01/rdf-schema#label> "Bob" .
...   <http://x/id/person/c> <http://ex/knows> <http://x/id/person/a> .''', "text/turtle")
>>> d = describe(store, "http://x/id/person/a")
>>> d.label, [f.object.value for f in d.outgoing if f.predicate.value == "http://ex/knows"]
('Ann', ['http://x/id/person/b'])
>>> [f.subject.value for f in d.incoming], d.labels["http://x/id/person/b"]
(['http://x/id/person/c'], 'Bob')
>>> d.graphs
('http://x/id/source/s',)
>>> exists(store, "http://x/id/person/zed")
False
>>> [n.label for n in label_index(store) if n.iri == "http://x/id/person/b"]
['Bob', 'b']
>>> store.close()
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pyoxigraph as ox

from kg.namespaces import BC, DCTERMS, FOAF, GENID, PREFIXES, RDF, RDFS, SKOS, is_skolem
from kg.publish.suggest import Named
from kg.store.base import Store, Term, term_value

Node = ox.NamedNode | ox.BlankNode
Value = ox.NamedNode | ox.BlankNode | ox.Literal

LABEL_PREDICATES: tuple[str, ...] = (SKOS + "prefLabel", RDFS + "label", FOAF + "name", DCTERMS + "title")
"""Predicates that give a thing's name, best first."""

DESCRIPTION_PREDICATES: tuple[str, ...] = (
    SKOS + "definition",
    DCTERMS + "description",
    RDFS + "comment",
    DCTERMS + "abstract",
    SKOS + "scopeNote",
)
"""Predicates that give a thing's short description, best first."""

INVERSE_LABEL = BC + "inverseLabel"
MAX_INCOMING = 1000
"""Incoming statements a description keeps (the most linked concepts stay readable)."""


@dataclass(frozen=True)
class Fact:
    """One statement and the named graphs (sources) that state it."""

    subject: Node
    predicate: ox.NamedNode
    object: Value
    graphs: tuple[str, ...]

    @classmethod
    def of(cls, s: Term, p: Term, o: Term, graphs: tuple[str, ...] = ()) -> Fact | None:
        """The fact of a statement a query found; None for one with an RDF 1.2 triple term (not described here)."""
        if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode) and not isinstance(o, ox.Triple):
            return cls(s, p, o, graphs)
        return None

    @property
    def triple(self) -> ox.Triple:
        return ox.Triple(self.subject, self.predicate, self.object)

    def quads(self) -> list[ox.Quad]:
        """The statement in each of its graphs (the default graph if none)."""
        if not self.graphs:
            return [ox.Quad(self.subject, self.predicate, self.object, ox.DefaultGraph())]
        return [ox.Quad(self.subject, self.predicate, self.object, ox.NamedNode(g)) for g in self.graphs]


@dataclass
class Description:
    """What the graph says about one IRI.

    ``outgoing``: statements with the thing as subject, and those of the blank nodes it points to
    (its dates, its time spans); ``incoming``: statements with the thing as object and a named subject;
    ``qualified``: blank nodes that point at the thing, with their statements and owners; ``label_facts``:
    the names (and inverse labels of properties) of everything these statements name.
    """

    iri: str
    outgoing: list[Fact] = field(default_factory=list)
    incoming: list[Fact] = field(default_factory=list)
    qualified: list[Fact] = field(default_factory=list)
    label_facts: list[Fact] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    inverse_labels: dict[str, str] = field(default_factory=dict)
    incoming_truncated: bool = False

    @property
    def label(self) -> str:
        return self.labels.get(self.iri) or fallback_label(self.iri)

    @property
    def direct(self) -> list[Fact]:
        """Outgoing statements whose subject is the thing itself (not one of its blank nodes)."""
        return [f for f in self.outgoing if f.subject.value == self.iri and isinstance(f.subject, ox.NamedNode)]

    def values(self, *predicates: str) -> list[Value]:
        """Objects of the thing's own statements with one of ``predicates``, in the order given."""
        out: list[Value] = []
        for predicate in predicates:
            out += [f.object for f in self.direct if f.predicate.value == predicate]
        return out

    @property
    def types(self) -> list[str]:
        return sorted({v.value for v in self.values(RDF + "type") if isinstance(v, ox.NamedNode)})

    @property
    def description_fact(self) -> Fact | None:
        """The statement giving the best short description: a definition, else a description, else a comment."""
        for predicate in DESCRIPTION_PREDICATES:
            found = [f for f in self.direct if f.predicate.value == predicate and isinstance(f.object, ox.Literal)]
            if found:
                best = best_literal([f.object for f in found if isinstance(f.object, ox.Literal)])
                return next(f for f in found if f.object == best)
        return None

    @property
    def description(self) -> str | None:
        fact = self.description_fact
        return fact.object.value if fact is not None else None

    @property
    def facts(self) -> list[Fact]:
        """Every statement of the description, without repeats."""
        seen: dict[tuple[str, str, str], Fact] = {}
        for fact in self.outgoing + self.incoming + self.qualified + self.label_facts:
            seen.setdefault((str(fact.subject), str(fact.predicate), str(fact.object)), fact)
        return list(seen.values())

    @property
    def graphs(self) -> tuple[str, ...]:
        """The named graphs (sources) any statement of the description comes from."""
        return tuple(sorted({g for f in self.facts for g in f.graphs}))

    @property
    def is_empty(self) -> bool:
        return not self.outgoing and not self.incoming and not self.qualified


def node(iri: str) -> ox.NamedNode:
    """A NamedNode; raises ValueError for a string that is not an IRI (so queries never get injected text).

    >>> str(node("http://x/a"))
    '<http://x/a>'
    >>> node("http://x/a b")
    Traceback (most recent call last):
    ...
    ValueError: ...
    """
    return ox.NamedNode(iri)


def fallback_label(iri: str) -> str:
    """A readable name for an IRI without a label: its last segment, words split.

    >>> fallback_label("http://x/id/person/joseph-v-montville")
    'joseph v montville'
    >>> fallback_label("https://w3id.org/backchannel/def#coinedIn")
    'coined in'
    """
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1] or iri
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", tail).replace("-", " ").replace("_", " ").split()
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)


def compact(iri: str, prefixes: dict[str, str] | None = None) -> str:
    """The IRI as ``prefix:local`` when a prefix fits, else ``<iri>``.

    >>> compact("http://www.w3.org/2000/01/rdf-schema#label")
    'rdfs:label'
    >>> compact("http://other/x")
    '<http://other/x>'
    """
    best = ""
    name = ""
    for prefix, namespace in (prefixes or PREFIXES).items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            local = iri[len(namespace):]
            if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", local or "x") and not local.endswith("."):
                best, name = namespace, f"{prefix}:{local}"
    return name or f"<{iri}>"


def best_literal(literals: Sequence[ox.Literal], language: str = "en") -> ox.Literal:
    """The literal to show: in ``language``, else without a language, else the first (sorted).

    >>> best_literal([ox.Literal("Oslo", language="no"), ox.Literal("Oslo (en)", language="en")]).value
    'Oslo (en)'
    """
    ranked = sorted(
        literals,
        key=lambda lit: (0 if lit.language == language else 1 if not lit.language else 2, lit.value),
    )
    return ranked[0]


def exists(store: Store, iri: str) -> bool:
    """Whether the graph says anything about ``iri`` (as subject or object)."""
    term = node(iri)
    return store.ask(f"ASK {{ {{ {term} ?p ?o }} UNION {{ ?s ?p {term} }} }}")


def _facts(rows: Iterable[Mapping[str, Term]], subject_var: str | None, subject: Node | None) -> list[Fact]:
    """Group query rows (?g ?s ?p ?o) into facts with their graphs, in a stable order."""
    grouped: dict[tuple[str, str, str], tuple[Node, ox.NamedNode, Value, set[str]]] = {}
    for row in rows:
        s = row.get(subject_var) if subject_var else subject
        p, o, g = row["p"], row["o"], row.get("g")
        if not (isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode)) or isinstance(o, ox.Triple):
            continue  # an RDF 1.2 triple term: not described here
        key = (str(s), str(p), str(o))
        entry = grouped.setdefault(key, (s, p, o, set()))
        if isinstance(g, ox.NamedNode):
            entry[3].add(g.value)
    return [Fact(s, p, o, tuple(sorted(gs))) for (s, p, o, gs) in (grouped[k] for k in sorted(grouped))]


def _inner(var: str) -> str:
    """A SPARQL condition: ``var`` is a node that a description holds inside it rather than links to, a blank node
    or the stable IRI the build gave one (:func:`kg.namespaces.is_skolem`).

    >>> _inner("?b")
    '(isBlank(?b) || (isIRI(?b) && CONTAINS(STR(?b), "/.well-known/genid/")))'
    """
    return f'(isBlank({var}) || (isIRI({var}) && CONTAINS(STR({var}), "/{GENID}")))'


def outgoing_facts(store: Store, iri: str) -> list[Fact]:
    """The thing's statements, and those of blank nodes (or their stable IRIs) it reaches through up to three of
    them."""
    term = node(iri)
    b1, b2, s = _inner("?b1"), _inner("?b2"), _inner("?s")
    rows = store.select(
        f"""SELECT ?g ?s ?p ?o {{ GRAPH ?g {{
          {{ BIND({term} AS ?s) }}
          UNION {{ {term} ?p0 ?s FILTER {s} }}
          UNION {{ {term} ?p0 ?b1 . ?b1 ?p1 ?s FILTER ({b1} && {s}) }}
          UNION {{ {term} ?p0 ?b1 . ?b1 ?p1 ?b2 . ?b2 ?p2 ?s FILTER ({b1} && {b2} && {s}) }}
          ?s ?p ?o }} }}"""
    )
    return _facts(rows, "s", None)


def incoming_facts(store: Store, iri: str, limit: int = MAX_INCOMING) -> tuple[list[Fact], bool]:
    """Statements that point at the thing (``?s ?p <iri>``); True when cut at ``limit``."""
    term = node(iri)
    rows = store.select(
        f"SELECT ?g ?s ?p ?o {{ GRAPH ?g {{ ?s ?p {term} FILTER (!{_inner('?s')}) }} BIND({term} AS ?o) }} "
        f"ORDER BY ?s ?p LIMIT {limit + 1}"
    )
    facts = _facts(rows, "s", None)
    return facts[:limit], len(facts) > limit


def qualified_facts(store: Store, iri: str) -> list[Fact]:
    """Statements of blank nodes that point at the thing (a membership, an attribution, an influence),
    of the blank nodes they hold (their time spans), and the statements that point at them (their owners)."""
    term = node(iri)
    b, b2, s = _inner("?b"), _inner("?b2"), _inner("?s")
    rows = store.select(
        f"""SELECT ?g ?s ?p ?o {{ GRAPH ?g {{
          ?b ?pin {term} FILTER {b}
          {{ ?b ?p ?o BIND(?b AS ?s) }}
          UNION {{ ?b ?p1 ?s FILTER {s} ?s ?p ?o }}
          UNION {{ ?b ?p1 ?b2 . ?b2 ?p2 ?s FILTER ({b2} && {s}) ?s ?p ?o }}
          UNION {{ ?s ?p ?b BIND(?b AS ?o) }} }} }}"""
    )
    return _facts(rows, "s", None)


def label_facts(store: Store, iris: Iterable[str]) -> list[Fact]:
    """The names of ``iris`` (every label predicate) and the inverse labels of properties among them."""
    wanted = sorted(set(iris))
    out: list[Fact] = []
    predicates = " ".join(str(node(p)) for p in (*LABEL_PREDICATES, INVERSE_LABEL))
    for start in range(0, len(wanted), 400):
        values = " ".join(str(node(i)) for i in wanted[start:start + 400])
        rows = store.select(
            f"SELECT ?g ?s ?p ?o {{ VALUES ?s {{ {values} }} VALUES ?p {{ {predicates} }} GRAPH ?g {{ ?s ?p ?o }} }}"
        )
        out += _facts(rows, "s", None)
    return out


def pick_labels(facts: Iterable[Fact], predicates: Sequence[str] = LABEL_PREDICATES) -> dict[str, str]:
    """The best name of each subject among ``facts``: by predicate rank, then language.

    >>> f = Fact(ox.NamedNode("http://x/a"), ox.NamedNode(RDFS + "label"), ox.Literal("A"), ())
    >>> pick_labels([f])
    {'http://x/a': 'A'}
    """
    found: dict[str, dict[int, list[ox.Literal]]] = {}
    for fact in facts:
        if fact.predicate.value in predicates and isinstance(fact.object, ox.Literal):
            rank = predicates.index(fact.predicate.value)
            found.setdefault(fact.subject.value, {}).setdefault(rank, []).append(fact.object)
    return {iri: best_literal(ranks[min(ranks)]).value for iri, ranks in found.items()}


def named_iris(facts: Iterable[Fact]) -> set[str]:
    """Every IRI the facts mention (subjects, predicates, objects) and their graphs."""
    out: set[str] = set()
    for fact in facts:
        for term in (fact.subject, fact.predicate, fact.object):
            if isinstance(term, ox.NamedNode):
                out.add(term.value)
        out.update(fact.graphs)
    return out


def describe(store: Store, iri: str, *, incoming_limit: int = MAX_INCOMING) -> Description:
    """Everything the graph says about ``iri``, both ways, with the names of what it mentions."""
    outgoing = outgoing_facts(store, iri)
    incoming, truncated = incoming_facts(store, iri, incoming_limit)
    qualified = qualified_facts(store, iri)
    names = label_facts(store, named_iris(outgoing + incoming + qualified) | {iri})
    return Description(
        iri=iri,
        outgoing=outgoing,
        incoming=incoming,
        qualified=qualified,
        label_facts=names,
        labels=pick_labels(names),
        inverse_labels=pick_labels(names, (INVERSE_LABEL,)),
        incoming_truncated=truncated,
    )


def as_blank_nodes(desc: Description) -> Description:
    """The description with the stable IRIs of the nodes it holds inside (memberships, time spans…) turned back
    into blank nodes, the thing's own IRI kept: for pages, which show such nodes inline.

    >>> inner = node("http://x/.well-known/genid/1")
    >>> d = Description("http://x/id/a", [Fact(node("http://x/id/a"), node(RDFS + "seeAlso"), inner, ())])
    >>> as_blank_nodes(d).outgoing[0].object
    <BlankNode value=1>
    """

    def blank(term: Value) -> Value:
        if isinstance(term, ox.NamedNode) and term.value != desc.iri and is_skolem(term.value):
            return ox.BlankNode(term.value.rsplit("/", 1)[-1])
        return term

    def facts(found: list[Fact]) -> list[Fact]:
        out = []
        for f in found:
            subject = blank(f.subject)
            assert not isinstance(subject, ox.Literal)
            out.append(Fact(subject, f.predicate, blank(f.object), f.graphs))
        return out

    return replace(desc, outgoing=facts(desc.outgoing), incoming=facts(desc.incoming),
                   qualified=facts(desc.qualified), label_facts=facts(desc.label_facts))


# --- names of everything, and suggestions ----------------------------------


def label_index(store: Store) -> list[Named]:
    """Every (IRI, name) pair of the graph: labels, alternative labels, titles, and names made from IRIs (what
    :class:`kg.publish.suggest.Suggester` indexes)."""
    predicates = " ".join(str(node(p)) for p in (*LABEL_PREDICATES, SKOS + "altLabel", FOAF + "name"))
    rows = store.select(
        f"SELECT DISTINCT ?s ?l {{ VALUES ?p {{ {predicates} }} ?s ?p ?l FILTER (isIRI(?s) && isLiteral(?l)) }}"
    )
    pairs = {(term_value(row["s"]), term_value(row["l"])) for row in rows}
    pairs |= {(iri, fallback_label(iri)) for iri, _ in pairs}
    return [Named(iri, label) for iri, label in sorted(pairs)]


# --- the catalogue of things ------------------------------------------------


@dataclass(frozen=True)
class Thing:
    """A thing of the graph with its name and short description (for lists and pickers)."""

    iri: str
    label: str
    description: str | None


def catalogue(store: Store, namespaces: Sequence[str]) -> list[Thing]:
    """Every subject whose IRI starts with one of ``namespaces``, named, sorted by name.

    >>> from kg.store.embedded import OxigraphStore
    >>> store = OxigraphStore(":memory:")
    >>> store.replace_graph("http://x/g", b'<http://x/id/b> <http://ex/p> 1 . '
    ...                     b'<http://x/id/a> <http://www.w3.org/2000/01/rdf-schema#label> "Zed" .', "text/turtle")
    >>> [(t.label, t.iri) for t in catalogue(store, ["http://x/id/"])]
    [('b', 'http://x/id/b'), ('Zed', 'http://x/id/a')]
    >>> store.close()
    """
    if not namespaces:
        return []
    within = " || ".join(f"STRSTARTS(STR(?s), {ox.Literal(ns)})" for ns in namespaces)
    query = f"SELECT DISTINCT ?s {{ ?s ?p ?o FILTER (isIRI(?s) && ({within})) }}"
    subjects = {term_value(r["s"]) for r in store.select(query)}
    predicates = " ".join(str(node(p)) for p in (*LABEL_PREDICATES, *DESCRIPTION_PREDICATES))
    rows = store.select(
        f"SELECT DISTINCT ?s ?p ?o {{ VALUES ?p {{ {predicates} }} ?s ?p ?o FILTER (isIRI(?s) && ({within})) }}"
    )
    facts = [f for f in (Fact.of(r["s"], r["p"], r["o"]) for r in rows) if f is not None]
    labels = pick_labels(facts)
    descriptions = pick_labels(facts, DESCRIPTION_PREDICATES)
    things = [Thing(s, labels.get(s) or fallback_label(s), descriptions.get(s)) for s in subjects]
    return sorted(things, key=lambda t: (t.label.casefold(), t.iri))


# --- the RDF document about a thing ---------------------------------------


def statement_iri(doc_iri: str, fact: Fact) -> str:
    """The IRI a document gives the record of one of its statements: a fragment named by a hash of the statement,
    so it is the same in every answer and every build.

    >>> f = Fact(node("http://x/id/a"), node(RDFS + "label"), ox.Literal("A"), ())
    >>> statement_iri("http://x/doc/a", f)
    'http://x/doc/a#statement-19c26e46b981a9f1'
    """
    digest = hashlib.sha256(str(fact.triple).encode()).hexdigest()[:16]
    return f"{doc_iri}#statement-{digest}"


def statement_triples(desc: Description, doc_iri: str) -> list[ox.Triple]:
    """Who says each statement, for clients that read triples only: an ``rdf:Statement`` per fact with its
    ``dcterms:source`` graphs (RDF reification, which every RDF syntax and every client can carry).

    >>> f = Fact(node("http://x/id/a"), node(RDFS + "label"), ox.Literal("A"), ("http://x/id/source/s",))
    >>> [compact(t.predicate.value) for t in statement_triples(Description("http://x/id/a", [f]), "http://x/d")]
    ['rdf:type', 'rdf:subject', 'rdf:predicate', 'rdf:object', 'dcterms:source']
    """
    out: list[ox.Triple] = []
    for fact in desc.facts:
        if not fact.graphs:
            continue
        record = node(statement_iri(doc_iri, fact))
        out += [
            ox.Triple(record, node(RDF + "type"), node(RDF + "Statement")),
            ox.Triple(record, node(RDF + "subject"), fact.subject),
            ox.Triple(record, node(RDF + "predicate"), fact.predicate),
            ox.Triple(record, node(RDF + "object"), fact.object),
        ]
        out += [ox.Triple(record, node(DCTERMS + "source"), node(g)) for g in fact.graphs]
    return out


def document_quads(desc: Description, doc_iri: str, *, statements: bool = True) -> list[ox.Quad]:
    """The description as quads in their source graphs, and in the default graph what the document is and,
    with ``statements``, the source of each statement (:func:`statement_triples`).

    The default graph says what the document is about and which graphs (sources) its statements come from
    (``dcterms:source``), so a triple format (which keeps only the union) still names the sources; a quad format
    also states every statement in the default graph (:func:`kg.publish.documents.write_document`).

    >>> d = Description("http://x/id/a", outgoing=[Fact(node("http://x/id/a"), node(RDFS + "label"), ox.Literal("A"), ("http://x/g",))])
    >>> for q in document_quads(d, "http://x/doc/a", statements=False):
    ...     if q.graph_name == ox.DefaultGraph():
    ...         print(q.predicate)
    <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>
    <http://xmlns.com/foaf/0.1/primaryTopic>
    <http://purl.org/dc/terms/title>
    <http://purl.org/dc/terms/source>
    """
    doc = node(doc_iri)
    default = ox.DefaultGraph()
    meta = [
        ox.Quad(doc, node(RDF + "type"), node(FOAF + "Document"), default),
        ox.Quad(doc, node(FOAF + "primaryTopic"), node(desc.iri), default),
        ox.Quad(doc, node(DCTERMS + "title"), ox.Literal(f"Description of {desc.label}", language="en"), default),
    ]
    meta += [ox.Quad(doc, node(DCTERMS + "source"), node(g), default) for g in desc.graphs]
    if statements:
        meta += [ox.Quad(t.subject, t.predicate, t.object, default) for t in statement_triples(desc, doc_iri)]
    return [q for fact in desc.facts for q in fact.quads()] + meta
