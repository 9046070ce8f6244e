"""The seed validates; broken inputs give clear violations naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.data.validate import ONTOLOGY_DIR, ValidationReport, Violation, validate

PREFIXES = """
@prefix bc: <https://w3id.org/backchannel/def#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix person: <id/person/> .
@prefix work: <id/work/> .
@prefix event: <id/event/> .
"""


def with_snippet(seed: ox.Store, base_iri: str, turtle: str) -> ox.Store:
    """A fresh copy of the seed store plus ``turtle`` loaded into a source graph of its own."""
    store = ox.Store()
    store.extend(seed.quads_for_pattern(None, None, None, None))
    store.load(
        input=(PREFIXES + turtle).encode(),
        format=ox.RdfFormat.TURTLE,
        base_iri=base_iri,
        to_graph=ox.NamedNode(base_iri + "id/source/broken"),
    )
    return store


def matching(report: ValidationReport, focus: str, text: str, path: str | None = None) -> list[Violation]:
    return [
        v
        for v in report.results
        if v.focus_node == focus and text in v.message and (path is None or v.path == path)
        and v.severity == "Violation"
    ]


@pytest.fixture(scope="module")
def seed_report(seed_store: ox.Store) -> ValidationReport:
    return validate(seed_store, ONTOLOGY_DIR)


def test_seed_conforms(seed_report: ValidationReport) -> None:
    assert seed_report.conforms, seed_report.to_text()
    assert seed_report.results == [], seed_report.to_text()


def test_report_text_has_a_summary_line(seed_report: ValidationReport) -> None:
    assert seed_report.to_text().splitlines()[0] == "Conforms: yes (0 violations, 0 warnings)"


def test_ontology_dir_points_at_the_repository_ontology() -> None:
    assert (ONTOLOGY_DIR / "shapes.ttl").is_file()
    assert Path(__file__).resolve().parent.parent / "ontology" == ONTOLOGY_DIR


def test_thing_without_label_is_named(seed_store: ox.Store, base_iri: str) -> None:
    store = with_snippet(seed_store, base_iri, 'person:nameless a foaf:Person ; dcterms:description "No label."@en .')
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    focus = base_iri + "id/person/nameless"
    assert matching(report, focus, "no rdfs:label", "http://www.w3.org/2000/01/rdf-schema#label"), report.to_text()
    assert focus in report.to_text()


def test_work_without_creator(seed_store: ox.Store, base_iri: str) -> None:
    store = with_snippet(
        seed_store,
        base_iri,
        """work:anonymous a bibo:Book ; rdfs:label "Anonymous"@en ; dcterms:title "Anonymous"@en ;
               dcterms:description "A book with no author or editor."@en ; bc:date "1999"^^xsd:gYear .""",
    )
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    anonymous = base_iri + "id/work/anonymous"
    assert matching(report, anonymous, "neither a dcterms:creator nor a bibo:editor"), report.to_text()


@pytest.mark.parametrize(
    "literal",
    ['"2004-13"^^xsd:gYearMonth', '"nineteen"^^xsd:gYear', '"29 Jul 2004"', '"2004-07-32"^^xsd:date'],
    ids=["month-13", "year-in-words", "untyped-string", "day-32"],
)
def test_bad_date_literal(seed_store: ox.Store, base_iri: str, literal: str) -> None:
    store = with_snippet(
        seed_store,
        base_iri,
        f"""event:badly-dated a bc:Event ; rdfs:label "Badly dated"@en ; dcterms:description "x"@en ;
               bc:participant person:paul-sutphin ; bc:date {literal} ;
               time:hasTime [ a time:Instant ; time:inXSDDate "2004-07-29"^^xsd:date ] .""",
    )
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    assert matching(
        report, base_iri + "id/event/badly-dated", "bc:date must be", "https://w3id.org/backchannel/def#date"
    ), report.to_text()


def test_triple_in_default_graph(seed_store: ox.Store, base_iri: str) -> None:
    store = ox.Store()
    store.extend(seed_store.quads_for_pattern(None, None, None, None))
    subject = base_iri + "id/person/joseph-v-montville"
    store.add(
        ox.Quad(
            ox.NamedNode(subject),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
            ox.Literal("stray"),
            ox.DefaultGraph(),
        )
    )
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    found = matching(report, subject, "default graph")
    assert found and found[0].source_shape == "python:default-graph", report.to_text()


def test_undefined_predicate_is_named(seed_store: ox.Store, base_iri: str) -> None:
    store = with_snippet(seed_store, base_iri, 'person:joseph-v-montville bc:notDefined "x" .')
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    undefined = "https://w3id.org/backchannel/def#notDefined"
    found = matching(report, base_iri + "id/person/joseph-v-montville", "not defined", undefined)
    assert found, report.to_text()
    assert undefined in found[0].message
    assert undefined in report.to_text()


def test_class_from_unknown_vocabulary(seed_store: ox.Store, base_iri: str) -> None:
    store = with_snippet(seed_store, base_iri, "person:joseph-v-montville a <http://example.org/Diplomat> .")
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    assert any("http://example.org/Diplomat" in v.message for v in report.results), report.to_text()


def test_reference_to_undescribed_thing(seed_store: ox.Store, base_iri: str) -> None:
    store = with_snippet(seed_store, base_iri, "person:joseph-v-montville bc:briefed person:nobody .")
    report = validate(store, ONTOLOGY_DIR)
    assert not report.conforms
    assert matching(report, base_iri + "id/person/nobody", "not described"), report.to_text()


def test_event_without_time_or_participant(seed_store: ox.Store, base_iri: str) -> None:
    snippet = 'event:vague a bc:Event ; rdfs:label "Vague"@en ; dcterms:description "x"@en .'
    store = with_snippet(seed_store, base_iri, snippet)
    report = validate(store, ONTOLOGY_DIR)
    focus = base_iri + "id/event/vague"
    assert matching(report, focus, "no bc:participant") and matching(report, focus, "no time:hasTime"), report.to_text()


def test_work_without_title(seed_store: ox.Store, base_iri: str) -> None:
    store = with_snippet(
        seed_store,
        base_iri,
        """work:untitled a bibo:Article ; rdfs:label "Untitled"@en ; dcterms:description "x"@en ;
               dcterms:creator person:paul-sutphin ; bc:date "2004"^^xsd:gYear .""",
    )
    report = validate(store, ONTOLOGY_DIR)
    assert matching(report, base_iri + "id/work/untitled", "no dcterms:title"), report.to_text()
