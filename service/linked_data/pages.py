"""What the HTML pages show, computed from a :class:`kg.publish.describe.Description` (templates only lay it out).

>>> from kg.settings import Settings
>>> links = Links(Settings(base_iri="http://x.org/kg/"))
>>> links.href("http://x.org/kg/id/person/a"), links.href("https://w3id.org/backchannel/def#coined")
('/kg/doc/person/a', '/kg/def#coined')
>>> links.href("http://dbpedia.org/resource/Oslo"), links.href("javascript:alert(1)")
('http://dbpedia.org/resource/Oslo', None)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pyoxigraph as ox

from kg.namespaces import BC, OWL, RDF, RDFS, SKOS, TRACK, XSD
from kg.publish.describe import (
    LABEL_PREDICATES,
    Description,
    Fact,
    compact,
    fallback_label,
)
from kg.publish.vocabulary import local_path
from kg.settings import Settings
from service.linked_data.svg import Edge, neighbourhood_svg

NAME_PREDICATES = frozenset({*LABEL_PREDICATES, SKOS + "altLabel", "http://xmlns.com/foaf/0.1/name"})
IDENTITY_PREDICATES = (OWL + "sameAs", SKOS + "exactMatch", SKOS + "closeMatch")
DATE_PREDICATES = (BC + "date", BC + "startDate", BC + "endDate")
TIME = "http://www.w3.org/2006/time#"
READABLE: dict[str, str] = {
    TIME + "hasTime": "time",
    TIME + "hasBeginning": "beginning",
    TIME + "hasEnd": "end",
    TIME + "inside": "includes",
    TIME + "inXSDgYear": "year",
    TIME + "inXSDgYearMonth": "month",
    TIME + "inXSDDate": "date",
    TIME + "inXSDDateTimeStamp": "moment",
    TIME + "hasXSDDuration": "duration",
    "http://www.w3.org/ns/org#memberDuring": "during",
    "http://www.w3.org/ns/prov#hadRole": "role",
    "http://www.w3.org/ns/prov#agent": "agent",
    RDFS + "comment": "comment",
}
"""Reading labels for reused properties that no loaded vocabulary labels (the graph's own labels win)."""
PLAIN_TYPES = frozenset({XSD + t for t in ("gYear", "gYearMonth", "date", "dateTime", "integer", "decimal",
                                           "double", "boolean", "nonNegativeInteger", "positiveInteger", "anyURI")})
"""Datatypes a reader understands from the value itself: their names go to a tooltip, not beside the value."""
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def readable(value: str) -> str:
    """A date in words (``1993-08`` → August 1993, ``1993-09-13`` → 13 September 1993); anything else as it is.

    >>> readable("1981"), readable("1993-08"), readable("1993-09-13"), readable("2003-09-01T00:00:00Z")
    ('1981', 'August 1993', '13 September 1993', '1 September 2003')
    >>> readable("Camp David"), readable("1993-13")
    ('Camp David', '1993-13')
    """
    parts = value.split("T", 1)[0].split("-")
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts) and len(parts[0]) == 4 and 1 <= int(parts[1]) <= 12:
        month = MONTHS[int(parts[1]) - 1]
        if len(parts) == 2:
            return f"{month} {parts[0]}"
        if 1 <= int(parts[2]) <= 31:
            return f"{int(parts[2])} {month} {parts[0]}"
    return value


LINKABLE_SCHEMES = ("http", "https")
"""IRIs of other schemes are shown as text: a page links only to the web."""


def linkable(iri: str) -> bool:
    """Whether a page may link to an IRI that is not ours: http(s) only.

    >>> linkable("https://dbpedia.org/resource/Oslo"), linkable("javascript:alert(1)"), linkable("data:,x")
    (True, False, False)
    >>> linkable("JavaScript:alert(1)"), linkable("urn:isbn:0451450523"), linkable(" http://x/")
    (False, False, False)
    """
    try:
        return urlsplit(iri).scheme.lower() in LINKABLE_SCHEMES and iri[:1].isalpha()
    except ValueError:
        return False


@dataclass(frozen=True)
class Links:
    """Where an IRI is shown: our things on their local pages, vocabulary terms on /def, the rest as they are."""

    settings: Settings

    @property
    def root(self) -> str:
        """The path of the service root (``/`` or ``/prefix/`` behind a proxy)."""
        return urlsplit(self.settings.base_iri).path or "/"

    def local(self, iri: str) -> str | None:
        """The path (below the root) of the page that shows ``iri``, if we publish one."""
        if iri.startswith(self.settings.id_base):
            return "doc/" + iri[len(self.settings.id_base):]
        return local_path(iri)

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` goes: our page for our things and terms, the IRI itself for an http(s) IRI
        elsewhere, and None (shown, never linked) for any other scheme: a ``javascript:`` or ``data:`` IRI in the
        graph must not become a link a visitor can click."""
        path = self.local(iri)
        if path is not None:
            return self.root + path
        return iri if linkable(iri) else None

    def is_local(self, iri: str) -> bool:
        return self.local(iri) is not None

    def doc_iri(self, iri: str) -> str:
        """The absolute IRI of the document describing a thing (``{base}doc/…``)."""
        path = self.local(iri)
        return self.settings.base_iri + path if path is not None else iri

    def sparql(self, query: str) -> str:
        return self.root + "editor?query=" + quote(query, safe="")

    def explore(self, start: str, end: str | None = None) -> str:
        url = self.root + "explore?from=" + quote(start, safe="")
        return url + ("&to=" + quote(end, safe="") if end else "")


@dataclass
class ValueView:
    """One value of a statement as shown: a link, a literal, or a blank node's own statements."""

    text: str
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None
    """The datatype to show beside the value (None for strings, dates and numbers)."""
    title: str | None = None
    """What the curious see on hovering: the value as stated and its datatype."""
    notes: list[int] = field(default_factory=list)
    nested: list[GroupView] = field(default_factory=list)
    external: bool = False
    is_self: bool = False


@dataclass
class GroupView:
    """The values of one property (read forwards, or backwards with its inverse label)."""

    predicate: str
    label: str
    href: str | None
    curie: str
    values: list[ValueView]


@dataclass
class QualifiedView:
    """A blank node that points at the thing: a membership, an attribution, an influence."""

    title: str
    owners: list[tuple[str, ValueView]]
    groups: list[GroupView]
    notes: list[int]


@dataclass
class SourceNote:
    number: int
    iri: str
    label: str
    href: str | None


@dataclass
class EntityPage:
    """Everything an entity page shows."""

    iri: str
    doc_iri: str
    label: str
    kind: str
    types: list[ValueView]
    description: str | None
    description_notes: list[int]
    names: list[str]
    dates: str | None
    attributes: list[GroupView]
    relations: list[GroupView]
    incoming: list[GroupView]
    qualified: list[QualifiedView]
    tracks: list[tuple[str, ValueView]]
    same_as: list[str]
    sources: list[SourceNote]
    svg: str
    sparql: list[tuple[str, str]]
    explore: str
    jsonld: str
    formats: list[tuple[str, str, str]]
    incoming_truncated: bool = False


class Notes:
    """Footnote numbers for source graphs, in order of first use."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def of(self, fact: Fact) -> list[int]:
        return [self.numbers.setdefault(g, len(self.numbers) + 1) for g in fact.graphs]


def kind_of(iri: str, settings: Settings) -> str:
    """The kind of a thing, read from its IRI (``id/{kind}/…``, or a vocabulary scheme).

    >>> kind_of("http://127.0.0.1:8000/id/person/a", Settings())
    'person'
    >>> kind_of("https://w3id.org/backchannel/def/track/track-two", Settings())
    'track'
    """
    if iri.startswith(settings.id_base):
        return iri[len(settings.id_base):].split("/", 1)[0]
    path = local_path(iri)
    if path is not None:
        parts = path.split("/")
        return parts[1] if len(parts) > 2 else ("scheme" if len(parts) == 2 else "term")
    return "thing"


def script_json(doc: object) -> str:
    """JSON safe to place inside ``<script type="application/ld+json">`` (no ``<``, ``>`` or ``&``).

    >>> script_json({"a": "</script>"})
    '{"a": "\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(doc, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class PageBuilder:
    """Turns a description into an :class:`EntityPage`."""

    def __init__(self, desc: Description, links: Links) -> None:
        self.d = desc
        self.links = links
        self.notes = Notes()
        self.bnode_facts: dict[str, list[Fact]] = {}
        for fact in desc.outgoing + desc.qualified:
            if isinstance(fact.subject, ox.BlankNode):
                self.bnode_facts.setdefault(fact.subject.value, []).append(fact)

    def label(self, iri: str) -> str:
        return self.d.labels.get(iri) or fallback_label(iri)

    def predicate_label(self, iri: str) -> str:
        return self.d.labels.get(iri) or READABLE.get(iri) or fallback_label(iri)

    def inverse_label(self, iri: str) -> str:
        return self.d.inverse_labels.get(iri) or f"is “{self.predicate_label(iri)}” of"

    def value(self, term: ox.NamedNode | ox.BlankNode | ox.Literal, depth: int = 0) -> ValueView:
        if isinstance(term, ox.NamedNode):
            if term.value == self.d.iri:
                return ValueView(self.label(term.value), iri=term.value, is_self=True)
            return ValueView(
                self.label(term.value),
                href=self.links.href(term.value),
                iri=term.value,
                external=not self.links.is_local(term.value),
            )
        if isinstance(term, ox.BlankNode):
            facts = self.bnode_facts.get(term.value, [])
            title = next((f.object.value for f in facts if f.predicate.value == RDFS + "label"), None)
            types = sorted({self.label(f.object.value) for f in facts if f.predicate.value == RDF + "type"})
            rest = [f for f in facts if f.predicate.value not in (RDF + "type", RDFS + "label")]
            if title is None and len(rest) == 1 and isinstance(rest[0].object, ox.Literal):
                return self.value(rest[0].object, depth)  # a time instant: just its date
            nested = self.groups(rest, depth=depth + 1) if depth < 4 else []
            text = title or (", ".join(types) if types else "(unnamed)")
            return ValueView(text[:1].upper() + text[1:], nested=nested)
        datatype = term.datatype.value
        if datatype in (XSD + "string", RDF + "langString"):
            return ValueView(term.value, lang=term.language or None)
        if datatype in PLAIN_TYPES:
            return ValueView(readable(term.value), title=f"{term.value} ({compact(datatype)})")
        return ValueView(term.value, datatype=compact(datatype))

    def groups(self, facts: list[Fact], *, skip: set[str] | frozenset[str] = frozenset(), depth: int = 0,
               inverse: bool = False) -> list[GroupView]:
        grouped: dict[str, list[Fact]] = {}
        for fact in facts:
            if fact.predicate.value not in skip:
                grouped.setdefault(fact.predicate.value, []).append(fact)
        out = []
        for predicate, members in grouped.items():
            values = []
            for fact in members:
                view = self.value(fact.subject if inverse else fact.object, depth)
                view.notes = sorted(self.notes.of(fact)) if depth == 0 else []  # nested values share the parent's
                values.append(view)
            values.sort(key=lambda v: v.text.lower())
            label = self.inverse_label(predicate) if inverse else self.predicate_label(predicate)
            out.append(GroupView(predicate, label, self.links.href(predicate), compact(predicate), values))
        out.sort(key=lambda g: g.label.lower())
        return out

    def build(self, formats: list[tuple[str, str, str]], jsonld_doc: object) -> EntityPage:
        d, links = self.d, self.links
        direct = d.direct
        described = d.description_fact
        description = described.object.value if described else None
        description_notes = sorted(self.notes.of(described)) if described else []
        names = sorted(
            {f.object.value for f in direct
             if f.predicate.value in NAME_PREDICATES and isinstance(f.object, ox.Literal)}
            - {d.label}
        )
        literal_or_blank = [f for f in direct if not isinstance(f.object, ox.NamedNode)]
        linked = [f for f in direct if isinstance(f.object, ox.NamedNode)]
        hidden = {RDF + "type", *NAME_PREDICATES}
        if described is not None:
            hidden.add(described.predicate.value)
        relations = self.groups(linked, skip={RDF + "type"})
        attributes = self.groups(literal_or_blank, skip=hidden)
        incoming = self.groups(d.incoming, inverse=True)
        qualified = self._qualified()
        tracks = [
            (self.predicate_label(f.predicate.value), self.value(f.object))
            for f in linked
            if f.object.value.startswith(TRACK) and not d.iri.startswith(TRACK)
        ]
        same_as = sorted({f.object.value for f in linked if f.predicate.value in IDENTITY_PREDICATES})
        types = list({v.text: v for v in (self.value(ox.NamedNode(t)) for t in d.types)}.values())
        page = EntityPage(
            iri=d.iri,
            doc_iri=links.doc_iri(d.iri),
            label=d.label,
            kind=kind_of(d.iri, links.settings),
            types=types,
            description=description,
            description_notes=description_notes,
            names=names,
            dates=self._dates(),
            attributes=attributes,
            relations=relations,
            incoming=incoming,
            qualified=qualified,
            tracks=tracks,
            same_as=same_as,
            sources=[],
            svg=neighbourhood_svg(d.label, self._edges(qualified)),
            sparql=self._sparql(),
            explore=links.explore(d.iri),
            jsonld=script_json(jsonld_doc),
            formats=formats,
            incoming_truncated=d.incoming_truncated,
        )
        page.sources = [
            SourceNote(n, g, self.label(g), links.href(g))
            for g, n in sorted(self.notes.numbers.items(), key=lambda i: i[1])
        ]
        return page

    def _dates(self) -> str | None:
        values = {p: [v.value for v in self.d.values(p) if isinstance(v, ox.Literal)] for p in DATE_PREDICATES}
        start = next(iter(values[BC + "startDate"] or values[BC + "date"]), None)
        end = next(iter(values[BC + "endDate"]), None)
        if start and end and end != start:
            return f"{readable(start)} – {readable(end)}"
        first = start or end
        return readable(first) if first else None

    def _qualified(self) -> list[QualifiedView]:
        d = self.d
        pointing = sorted(
            {f.subject.value for f in d.qualified if isinstance(f.subject, ox.BlankNode) and f.object.value == d.iri}
        )
        out = []
        for bnode in pointing:
            facts = self.bnode_facts.get(bnode, [])
            view = self.value(ox.BlankNode(bnode))
            owners = [
                (self.predicate_label(f.predicate.value), self.value(f.subject))
                for f in d.qualified
                if isinstance(f.object, ox.BlankNode) and f.object.value == bnode
                and isinstance(f.subject, ox.NamedNode)
            ]
            notes = sorted({n for f in facts for n in self.notes.of(f)})
            out.append(QualifiedView(view.text, owners, view.nested, notes))
        return out

    def _edges(self, qualified: list[QualifiedView]) -> list[Edge]:
        d, edges = self.d, []
        for fact in d.direct:
            if (isinstance(fact.object, ox.NamedNode) and fact.predicate.value != RDF + "type"
                    and fact.object.value != d.iri):
                edges.append(
                    Edge(self.predicate_label(fact.predicate.value), self.label(fact.object.value),
                         self.links.href(fact.object.value), True)
                )
        for fact in d.incoming:
            if isinstance(fact.subject, ox.NamedNode) and fact.subject.value != d.iri:
                edges.append(
                    Edge(self.inverse_label(fact.predicate.value), self.label(fact.subject.value),
                         self.links.href(fact.subject.value), False)
                )
        for q in qualified:
            for label, owner in q.owners:
                if owner.iri:
                    edges.append(Edge(q.title if len(q.title) < 30 else label, owner.text, owner.href, False))
        edges.sort(key=lambda e: e.href is None or not e.href.startswith(self.links.root))  # external ones last
        return edges

    def _sparql(self) -> list[tuple[str, str]]:
        iri = f"<{self.d.iri}>"
        queries = [
            ("Describe it", f"DESCRIBE {iri}"),
            (
                "Its statements and their sources",
                f"SELECT ?property ?value ?source WHERE {{\n  GRAPH ?source {{ {iri} ?property ?value }}\n}}\n"
                "ORDER BY ?property ?value",
            ),
            (
                "What links to it",
                f"SELECT ?thing ?property ?source WHERE {{\n  GRAPH ?source {{ ?thing ?property {iri} }}\n}}\n"
                "ORDER BY ?property ?thing",
            ),
        ]
        return [(title, self.links.sparql(q)) for title, q in queries]
