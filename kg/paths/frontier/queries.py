"""The SPARQL the frontier engine sends: which relations, facts and degrees of a batch of nodes, read as the
projection reads the whole graph (:mod:`kg.paths.projection`), and the predicates that never make a relation.

>>> "VALUES ?n" in neighbour_query(["http://x/a"])
True
>>> kind_from("http://x/id/person/a", ["http://x/Org"]), date_from([(BC + "date", ox.Literal("1993"))])
('person', '1993')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from kg.namespaces import BC, OWL, PROCESS_TYPE, PROV, RDFS, ROLE, SH, TRACK
from kg.paths.projection import (
    ALT_LABELS,
    AUXILIARY_PREDICATES,
    BOOKKEEPING,
    DATE_RANKS,
    LABEL_RANKS,
    LITERAL_PREDICATES,
    QUALIFIED,
    QUALIFIER_TARGETS,
    RDF_TYPE,
    SAME_AS,
    SCHEMA_PREDICATES,
    SCHEMA_TYPES,
    kind_of,
)
from kg.paths.reading import MEMBERSHIP_DATES
from kg.paths.relations import QUALIFIED_ROLES
from kg.store.base import Term
from kg.store.sparql_text import sparql_term

DROPPED: frozenset[str] = frozenset(BOOKKEEPING | SCHEMA_PREDICATES | QUALIFIED.keys() | AUXILIARY_PREDICATES
                                    | {RDF_TYPE, SAME_AS})
"""Predicates that never make a relation (as in the projection; ``owl:sameAs`` is not walked at all)."""
FACT_PREDICATES: frozenset[str] = frozenset(LITERAL_PREDICATES | {RDF_TYPE})
"""What :meth:`Session.facts` reads of a node: types, labels, alternative labels, dates, inverse labels."""
NAME_PREDICATES: frozenset[str] = frozenset(LABEL_RANKS.keys() | ALT_LABELS)
"""Literal properties that name a thing (searched by :mod:`kg.paths.frontier.names`)."""
SCHEMA_CLASSES: frozenset[str] = frozenset(SCHEMA_TYPES | {SH + "NodeShape", SH + "PropertyShape", SH + "Shape"})
SCHEMA_FACTS: frozenset[str] = frozenset({RDFS + "subPropertyOf", OWL + "inverseOf", BC + "inverseLabel"})
"""Statements about properties the projection reads (influence directions, inverse labels)."""


def iri_terms(iris: Iterable[str]) -> str:
    """IRIs written for a query (each checked: a bad IRI raises ``ValueError``, it cannot escape its brackets).

    >>> iri_terms(["http://x/a", "http://x/b"])
    '<http://x/a> <http://x/b>'
    """
    return " ".join(sparql_term(ox.NamedNode(iri)) for iri in iris)


def predicate_test(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> str:
    include, dropped = set(include), DROPPED | set(exclude)
    if include:
        return f"?p IN ({', '.join(f'<{p}>' for p in sorted(include - dropped)) or '<urn:x-backchannel:none>'})"
    return f"?p NOT IN ({', '.join(f'<{p}>' for p in sorted(dropped))})"


_TARGETS = "VALUES ?r { " + " ".join(f"<{r}>" for r in sorted(QUALIFIER_TARGETS)) + " }"
_NO_ROLE = "VALUES (?q ?p) { " + " ".join(f"(<{q}> <{p}>)" for q, p in sorted(QUALIFIED.items())) + " }"
_ROLES = "VALUES (?q ?role ?p) { " + " ".join(
    f"(<{q}> <{role}> <{p}>)" for (q, role), p in sorted(QUALIFIED_ROLES.items())) + " }"


def qualified(subject: str, obj: str) -> str:
    """A pattern binding ``?p`` and ``?g`` to the relations that PROV qualifications of ``subject`` state with
    ``obj``, folded as the projection folds them: without a role into the direct relation; with a role listed
    in :data:`kg.paths.relations.QUALIFIED_ROLES` into the relation the role means; with another role not at all.

    >>> "hadRole" in qualified("?s", "?o") and qualified("?s", "?o").count("UNION") == 1
    True
    """
    head = f"{_TARGETS} GRAPH ?g {{ {subject} ?q ?x }} ?x ?r {obj} ."
    return (f"{{ {_NO_ROLE} {head} FILTER NOT EXISTS {{ ?x <{PROV}hadRole> ?anyRole }} }} "
            f"UNION {{ {_ROLES} {head} ?x <{PROV}hadRole> ?role }}")


def relation_branches(node: str, other: str, outward: bool | None, test: str, loops: bool = False) -> list[str]:
    """UNION branches binding ``?p``, ``?g``, ``?out`` for the relations between ``node`` and an IRI ``other``
    (direct triples and folded PROV qualifications), in one or both directions."""
    keep = f"FILTER(isIRI({other}){'' if loops else f' && {other} != {node}'} && {test})"
    branches = []
    if outward is not False:
        branches += [f"{{ GRAPH ?g {{ {node} ?p {other} }} {keep} BIND(true AS ?out) }}",
                     f"{{ {qualified(node, other)} {keep} BIND(true AS ?out) }}"]
    if outward is not True:
        branches += [f"{{ GRAPH ?g {{ {other} ?p {node} }} {keep} BIND(false AS ?out) }}",
                     f"{{ {qualified(other, node)} {keep} BIND(false AS ?out) }}"]
    return branches


def neighbour_query(nodes: Sequence[str], outward: bool | None = None, include: Iterable[str] = (),
                    exclude: Iterable[str] = ()) -> str:
    """Every relation of ``nodes`` (both directions, or only out / only in) under a predicate filter."""
    values = f"VALUES ?n {{ {iri_terms(nodes)} }}"
    branches = relation_branches("?n", "?m", outward, predicate_test(include, exclude))
    return "SELECT ?n ?p ?m ?g ?out {\n  " + "\n  UNION ".join(f"{{ {values} {b} }}" for b in branches) + "\n}"


def degree_query(nodes: Sequence[str], schema: Iterable[str] = ()) -> str:
    """The projection's degree of each node: distinct relations in both directions (self-loops count twice)."""
    values = f"VALUES ?n {{ {iri_terms(nodes)} }}"
    test = predicate_test() + not_schema("?m", schema)
    union = "\n  UNION ".join(f"{{ {values} {b} }}" for b in relation_branches("?n", "?m", None, test, True))
    return f"SELECT ?n (COUNT(*) AS ?d) {{ SELECT DISTINCT ?n ?p ?m ?out {{\n  {union}\n}} }} GROUP BY ?n"


def facts_query(nodes: Sequence[str]) -> str:
    """Types, labels, alternative labels, dates and inverse labels of ``nodes`` (over the union of graphs).

    One branch per property, so each is an index lookup per node (a ``VALUES ?p`` block lets Oxigraph scan
    every triple of each property first: 3 s instead of 40 ms on a million relations)."""
    values = f"VALUES ?n {{ {iri_terms(nodes)} }}"
    return "SELECT ?n ?p ?o { " + " UNION ".join(
        f"{{ {values} ?n <{p}> ?o BIND(<{p}> AS ?p) }}" for p in sorted(FACT_PREDICATES)) + " }"


def membership_query(pairs: Sequence[tuple[str, str]]) -> str:
    """When the memberships of these (member, organisation) pairs held (as :func:`kg.paths.builder.build_projection`
    reads them).

    >>> "VALUES (?member ?organisation)" in membership_query([("http://x/a", "http://x/b")])
    True
    """
    values = " ".join(f"({iri_terms([m])} {iri_terms([o])})" for m, o in pairs)
    return MEMBERSHIP_DATES.replace("{\n", f"{{\n  VALUES (?member ?organisation) {{ {values} }}\n", 1)


def not_schema(variable: str, schema: Iterable[str]) -> str:
    listed = sorted(schema)
    return f" && {variable} NOT IN ({', '.join(f'<{s}>' for s in listed)})" if listed else ""


def kind_from(iri: str, types: Iterable[str]) -> str | None:
    """A node's short kind as the projection works it out: from its types, unless its IRI says.

    >>> kind_from("http://x/id/person/a", ["http://x/Org"]), kind_from("http://x/b", ["http://xmlns.com/foaf/0.1/Person"])
    ('person', 'person')
    """
    types = tuple(types)
    kind = kind_of("", types) if types else None
    if "/id/" in iri or iri.startswith((TRACK, PROCESS_TYPE, ROLE)):
        kind = kind_of(iri, types) or kind
    return kind


def date_from(facts: Iterable[tuple[str, Term]]) -> str | None:
    """A node's date as the projection reads it (``bc:date`` first, then ``bc:startDate``, …).

    >>> date_from([(BC + "startDate", ox.Literal("1990")), (BC + "date", ox.Literal("1993"))])
    '1993'
    """
    best: tuple[int, str] | None = None
    for predicate, value in facts:
        rank = DATE_RANKS.get(predicate)
        if rank is not None and isinstance(value, ox.Literal) and (best is None or rank < best[0]):
            best = (rank, value.value)
    return None if best is None else best[1]
