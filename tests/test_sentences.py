"""Plain English: every property of the ontology reads as a sentence both ways; hops and paths read right."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.paths.builder import build_projection
from kg.paths.names import name_index
from kg.paths.projection import Projection, humanise
from kg.paths.search import search
from kg.paths.sentences import agree, capitalise, path_text, when
from kg.store.embedded import OxigraphStore

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
BC = "https://w3id.org/backchannel/def#"
VERBS = {"is", "was", "has", "had", "may", "took", "began", "shook", "wrote", "set", "drew", "sent", "gave"}
"""First words of readings that are finite verbs without an -ed or -s ending."""


def ontology() -> ox.Store:
    store = ox.Store()
    for path in sorted(ONTOLOGY.glob("*.ttl")):
        if path.name != "shapes.ttl":
            store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def english(store: ox.Store, subject: str, predicate: str) -> list[str]:
    return [q.object.value for q in store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None)
            if isinstance(q.object, ox.Literal) and q.object.language == "en"]


def properties() -> list[str]:
    """Every property the ontology defines (bc:) or gives a reading to (the reused ones)."""
    store = ontology()
    defined = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF + "type"),
                                                                 ox.NamedNode(OWL + "ObjectProperty"))
               if isinstance(q.subject, ox.NamedNode)}
    read = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(BC + "inverseLabel"), None)
            if isinstance(q.subject, ox.NamedNode)}
    return sorted(defined | read)


def is_sentence_verb(reading: str) -> bool:
    first = reading.split()[0]
    return first in VERBS or first.endswith(("ed", "s"))


@pytest.mark.parametrize("iri", properties())
def test_every_property_reads_as_a_sentence_both_ways(iri: str) -> None:
    store = ontology()
    labels, inverses = english(store, iri, RDFS + "label"), english(store, iri, BC + "inverseLabel")
    assert len(labels) == 1 and len(inverses) == 1, (iri, labels, inverses)
    symmetric = bool(list(store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF + "type"),
                                                  ox.NamedNode(OWL + "SymmetricProperty"))))
    for reading in (labels[0], inverses[0]):
        assert is_sentence_verb(reading), (iri, reading)
        assert reading == reading.strip() and reading[0].islower(), (iri, reading)
        sentence = f"{capitalise('the Oslo Accords')} {agree(reading, True)} the United States Department of State"
        assert "  " not in sentence and agree(reading, True).split()[0] not in ("was", "is", "has"), sentence
    assert labels[0] != humanise(iri) or is_sentence_verb(humanise(iri)), (iri, "a raw property name")
    assert symmetric or labels[0] != inverses[0] or iri.endswith(("#related", "#sameAs", "/relation")), iri


def test_every_relation_of_the_graph_has_a_reading_of_the_ontology(kg_store: OxigraphStore) -> None:
    """Regression (issue 13): a raw property name ("see also", "license") as a hop's reading."""
    proj = build_projection(kg_store)
    read = set(properties())
    used = {p for p, freq in zip(proj.predicates, proj.pred_freq, strict=True) if freq}
    assert used <= read, sorted(used - read)


@pytest.mark.parametrize(("reading", "plural", "expected"), [
    ("was entered into by", True, "were entered into by"), ("is about", True, "are about"),
    ("has as a unit", True, "have as a unit"), ("includes", True, "include"), ("covers", True, "cover"),
    ("belongs to", True, "belong to"), ("coined", True, "coined"), ("took part in", True, "took part in"),
    ("is about", False, "is about"), ("governs the territory of", True, "govern the territory of"),
])
def test_verbs_agree_with_plural_subjects(reading: str, plural: bool, expected: str) -> None:
    assert agree(reading, plural) == expected


def test_dates_read_as_english() -> None:
    assert [when(d) for d in ("1981", "2003-09", "2004-07-29", "-0044")] == [
        "1981", "September 2003", "29 July 2004", "-0044"]


@pytest.fixture(scope="module")
def proj(kg_store: OxigraphStore) -> Projection:
    return build_projection(kg_store)


def first_text(proj: Projection, source: str, target: str) -> str:
    index = name_index(proj)
    return path_text(proj, search(proj, index.resolve(source), index.resolve(target), k=1).paths[0])


def test_a_path_reads_in_walking_order_with_articles(proj: Projection) -> None:
    """Regression (issue 13): the path text strung statements subject-first, without articles."""
    assert first_text(proj, "Norwegian scholar", "Oslo Accords") == (
        "The Norwegian scholar initiated the Oslo back channel; the Oslo back channel produced the Oslo Accords.")
    assert first_text(proj, "Oslo Accords", "Norwegian scholar") == (
        "The Oslo Accords were produced by the Oslo back channel; the Oslo back channel was initiated by the "
        "Norwegian scholar.")


def test_plural_things_take_plural_verbs(proj: Projection) -> None:
    """Regression (issue 13): "Representatives … was briefed", "Oslo Accords … was agreed between"."""
    assert first_text(proj, "NGO representatives", "Paul Sutphin") == (
        "The representatives of non-governmental organizations at the 2004 briefing were briefed by Paul Sutphin.")
    assert first_text(proj, "State Department's Iraqi analysts", "Colin Powell") == (
        "The State Department's Iraqi analysts acted under the authority of Colin Powell.")


def test_historical_memberships_are_in_the_past_with_their_date(proj: Projection) -> None:
    assert first_text(proj, "Colin Powell", "United States Department of State") == (
        "Colin Powell was the head of the United States Department of State (2004).")
    assert first_text(proj, "Paul Sutphin", "Office of Iraq") == (
        "Paul Sutphin was a member of the Office of Iraq (29 July 2004).")
