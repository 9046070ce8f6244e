"""Named queries: the header format, typed parameters bound by substitution, paging, and the answer of every query."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pyoxigraph as ox
import pytest

from kg.namespaces import XSD
from kg.queries.binding import bind, page_window, paged_text, records, request_for
from kg.queries.catalog import Catalog, check, load_queries
from kg.queries.definitions import (
    NamedQuery,
    ParamError,
    QueryDefinitionError,
    parse_query,
)
from kg.settings import PROJECT_ROOT, Settings
from kg.store.base import Term
from kg.store.embedded import OxigraphStore
from kg.store.results import parse_term

QUERIES = PROJECT_ROOT / "queries"
EX = "http://ex.org/"
JSON = "application/sparql-results+json"

HOSTILE = [
    '"',
    "'",
    "}",
    "{ ?s ?p ?o }",
    "} ; DROP ALL",
    '"> . ?s ?p ?o',
    'x" } ; DROP ALL ; INSERT DATA { <urn:a> <urn:b> "c" } #',
    "line one\nline two\r\n",
    "\\u0022 \\\" \\\\",
    "ünïcødé ✓ 🕊 منظمة",
    "\x00\x01\x7f",
    "<http://evil/> <http://evil/> <http://evil/> .",
]


def make(text: str, name: str = "q") -> NamedQuery:
    return check(parse_query(name, text), EX)


def header(*lines: str) -> str:
    return "".join(f"#+ {line}\n" for line in lines)


# --- a small synthetic graph -------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> Iterator[OxigraphStore]:
    store = OxigraphStore(":memory:")
    data = f"""
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    @prefix ex: <{EX}> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
    <{EX}id/person/ada> rdfs:label "Ada"@en ; ex:born "1815"^^xsd:gYear ; ex:knows <{EX}id/person/bob> .
    <{EX}id/person/bob> rdfs:label "Bob"@en ; ex:born "1820"^^xsd:gYear .
    <{EX}id/person/bob-2> rdfs:label "bob"@en ; ex:born "1900"^^xsd:gYear .
    <{EX}id/person/cy> skos:altLabel "Cy"@en ; ex:born "1950"^^xsd:gYear .
    """
    store.replace_graph(EX + "id/source/tiny", data.encode(), "text/turtle")
    for i in range(25):
        store.add_to_graph(EX + "id/source/numbers", f"<{EX}n/{i}> <{EX}value> {i} .".encode(), "text/turtle")
    yield store
    store.close()


def run(store: OxigraphStore, query: NamedQuery, given: dict[str, str],
        page: tuple[int, int] | None = None) -> list[dict]:
    catalog = Catalog({query.name: query})
    request = catalog.prepare(store, query, given, base_iri=EX, select_type=JSON, max_rows=1000, page=page)
    return records(store.execute_here(request).body)


BORN_AFTER = header(
    "summary: People born after a year",
    "params:",
    "  - name: after",
    "    type: year",
    "    description: the year",
    "    example: '1800'",
    "    required: false",
    "  - name: person",
    "    type: iri",
    "    description: only this person",
    "    required: false",
    "    example: id/person/ada",
    "paging: true",
) + f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?after ?person ?personLabel ?born WHERE {{
  ?person <{EX}born> ?born .
  OPTIONAL {{ ?person rdfs:label ?personLabel }}
  FILTER(COALESCE(YEAR(?born) > ?after, true))
}} ORDER BY ?born
"""


# --- the header ------------------------------------------------------------------------------


def test_header_is_parsed_into_typed_metadata() -> None:
    query = make(BORN_AFTER, "born-after")
    assert query.summary == "People born after a year"
    assert [(p.name, p.type, p.required) for p in query.params] == [("after", "year", False), ("person", "iri", False)]
    assert query.paging is True
    assert query.variables == ("after", "person", "personLabel", "born")
    assert query.example_values() == {"after": "1800", "person": "id/person/ada"}
    assert query.prologue.startswith("PREFIX rdfs:") and query.body.startswith("SELECT")
    assert query.source.startswith("#+ summary:") and query.source.endswith(query.text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT * {}", "no metadata header"),
        (header("description: no summary") + "SELECT * {}", "summary"),
        (header("summary: s", "colour: blue") + "SELECT * {}", "unknown header keys"),
        (header("summary: s", "params: [{name: x, type: float, description: d, example: '1'}]") + "SELECT ?x {}",
         "type must be one of"),
        (header("summary: s", "params: [{name: x, type: string, example: a}]") + "SELECT ?x {}", "description"),
        (header("summary: s", "params: [{name: x, type: string, description: d}]") + "SELECT ?x {}",
         "needs an example"),
        (header("summary: s", "params: [{name: page, type: integer, description: d, example: '1'}]")
         + "SELECT ?page {}", "reserved"),
        (header("summary: s", "params: [{name: x, type: string, description: d, example: a}]")
         + "SELECT ?y { BIND(?x AS ?y) }", "projection"),
        (header("summary: s", "params: [{name: x, type: string, description: d, example: a}]")
         + "SELECT ?x { FILTER(BOUND(?x)) }", "COALESCE"),
        (header("summary: s") + "ASK {}", "SELECT"),
        (header("summary: s") + "SELECT ?x { ?x ?p }", "syntax error"),
        (header("summary: s", "params: [{name: x, type: year, description: d, example: 'nineteen'}]")
         + "SELECT ?x {}", "example is not valid"),
        (header("summary: s", "params: [{name: k, type: enum, description: d, enum: [a], example: b}]")
         + "SELECT ?k {}", "example is not valid"),
        (header("summary: s", "tags: [a", "") + "SELECT * {}", "not valid YAML"),
        (header("summary: s") + "SELECT ?labels {}", "reserved for the records format"),
    ],
)
def test_malformed_query_files_are_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(QueryDefinitionError, match=message) as err:
        make(text, "broken")
    assert "queries/broken.rq" in str(err.value)


def test_every_query_file_parses_as_written_and_paged() -> None:
    queries = load_queries(QUERIES, Settings().base_iri)
    assert len(queries) >= 14
    for query in queries.values():
        assert query.summary and query.description, query.name
        assert query.variables, query.name
        for param in query.params:
            assert query.param(param.name) is param and param.name in query.variables
        if query.paging:
            ox.Store().query(paged_text(query, 3, 7), base_iri=EX)


# --- binding -------------------------------------------------------------------------------


TYPED = header(
    "summary: every type",
    "params:",
    "  - {name: s, type: string, description: d, required: false}",
    "  - {name: i, type: integer, description: d, required: false, min: 0, max: 10}",
    "  - {name: y, type: year, description: d, required: false}",
    "  - {name: d, type: date, description: d, required: false}",
    "  - {name: b, type: boolean, description: d, default: 'false'}",
    "  - {name: e, type: enum, description: d, enum: [red, green], required: false}",
    "  - {name: r, type: iri, description: d, required: false}",
) + "SELECT ?s ?i ?y ?d ?b ?e ?r {}"


def test_each_type_makes_the_right_term() -> None:
    query = make(TYPED)
    terms = bind(query, {"s": "x", "i": "7", "y": "1991", "d": "1993-09-13", "b": "yes", "e": "green",
                         "r": "id/person/ada"}, base_iri=EX)
    assert terms["s"] == ox.Literal("x")
    assert terms["i"] == ox.Literal("7", datatype=ox.NamedNode(XSD + "integer"))
    assert terms["y"] == ox.Literal("1991", datatype=ox.NamedNode(XSD + "integer"))
    assert terms["d"] == ox.Literal("1993-09-13", datatype=ox.NamedNode(XSD + "date"))
    assert terms["b"] == ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))
    assert terms["e"] == ox.Literal("green")
    assert terms["r"] == ox.NamedNode(EX + "id/person/ada")
    assert bind(query, {}, base_iri=EX) == {"b": ox.Literal("false", datatype=ox.NamedNode(XSD + "boolean"))}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"i": "seven"}, "'seven' is not an integer"),
        ({"i": "11"}, "above the maximum 10"),
        ({"y": "91a"}, "is not a year"),
        ({"d": "1993-02-30"}, "is not a date"),
        ({"d": "13/09/1993"}, "is not a date"),
        ({"b": "perhaps"}, "is not a boolean"),
        ({"e": "blue"}, "not allowed; use one of: red, green"),
        ({"r": "http://ex.org/a b"}, "not a valid IRI"),
        ({"r": 'id/person/x">'}, "not a valid IRI"),
        ({"z": "1"}, "unknown parameter 'z'"),
        ({"s": "x" * 1001}, "longer than 1000"),
    ],
)
def test_bad_values_are_refused_with_what_to_fix(given: dict[str, str], message: str) -> None:
    with pytest.raises(ParamError, match=message) as err:
        bind(make(TYPED), given, base_iri=EX)
    assert err.value.status == 400


def test_a_missing_required_parameter_is_named_with_an_example() -> None:
    query = make(header("summary: s", "params: [{name: who, type: iri, description: the person, "
                        "example: id/person/ada}]") + "SELECT ?who {}")
    with pytest.raises(ParamError, match="missing required parameter 'who'.*who=id/person/ada"):
        bind(query, {}, base_iri=EX)


def test_iri_parameters_take_absolute_relative_prefixed_and_named_forms(tiny: OxigraphStore) -> None:
    query = make(BORN_AFTER)
    ada = EX + "id/person/ada"
    for value in (ada, "id/person/ada", "/id/person/ada", "ada", "Ada", "ADA"):
        assert run(tiny, query, {"person": value}) == [
            {"person": ada, "personLabel": "Ada", "born": "1815", "labels": {"person": "Ada"}}], value
    catalog = Catalog({"q": query})
    with pytest.raises(ParamError) as err:
        catalog.prepare(tiny, query, {"person": "bob"}, base_iri=EX, select_type=JSON, max_rows=10)
    assert err.value.status == 409
    assert sorted(c["iri"] for c in err.value.candidates) == [EX + "id/person/bob", EX + "id/person/bob-2"]
    with pytest.raises(ParamError, match="nothing is labelled 'Nobody Here'"):
        catalog.prepare(tiny, query, {"person": "Nobody Here"}, base_iri=EX, select_type=JSON, max_rows=10)
    assert run(tiny, query, {"person": "Cy"})[0]["person"] == EX + "id/person/cy"  # skos:altLabel


def test_an_optional_parameter_left_out_stays_unbound(tiny: OxigraphStore) -> None:
    query = make(BORN_AFTER)
    assert [r["born"] for r in run(tiny, query, {})] == ["1815", "1820", "1900", "1950"]
    assert [r["born"] for r in run(tiny, query, {"after": "1819"})] == ["1820", "1900", "1950"]


def test_pyoxigraph_substitution_rules_we_rely_on() -> None:
    """Pinned: a substituted variable must be projected; BOUND() of it is false; FILTERs see its value."""
    store = ox.Store()
    one_literal = ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), one_literal))
    one: dict[ox.Variable, Term] = {ox.Variable("x"): one_literal}
    with pytest.raises(RuntimeError, match="projection"):
        store.query("SELECT ?s { ?s <urn:p> ?o FILTER(?o = ?x) }", substitutions=one)

    def rows(query: str) -> int:
        solutions = store.query(query, substitutions=one)
        assert isinstance(solutions, ox.QuerySolutions)
        return len(list(solutions))

    assert rows("SELECT ?s ?x { ?s <urn:p> ?o FILTER(?o = ?x) }") == 1
    assert rows("SELECT ?s ?x { ?s <urn:p> ?o FILTER(BOUND(?x)) }") == 0
    assert rows("SELECT * { { SELECT ?s ?x { ?s <urn:p> ?x } } }") == 1


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_bound_as_one_literal_and_match_nothing(tiny: OxigraphStore, value: str) -> None:
    query = make(header("summary: s", "params: [{name: text, type: string, description: d, example: a}]")
                 + "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                 "SELECT ?text ?thing WHERE { ?thing rdfs:label ?l FILTER(CONTAINS(STR(?l), ?text)) }")
    before = len(tiny)
    terms = bind(query, {"text": value}, base_iri=EX)
    assert terms["text"] == ox.Literal(value)
    request = request_for(query, terms, select_type=JSON, base_iri=EX, max_rows=10)
    assert request.query == query.text  # the value is never in the query text
    assert parse_term(dict(request.substitutions)["text"]) == ox.Literal(value)  # survives the trip to a worker
    assert records(tiny.execute_here(request).body) == []
    assert len(tiny) == before


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_iri_values_are_refused_or_inert(tiny: OxigraphStore, value: str) -> None:
    query = make(BORN_AFTER)
    before = len(tiny)
    try:
        rows = run(tiny, query, {"person": value})
    except ParamError as err:
        assert err.status == 400 and "person" in str(err)
    else:
        assert rows == []
    assert len(tiny) == before


# --- paging and records ------------------------------------------------------------------------


def test_paging_keeps_the_order_and_says_whether_there_is_more(tiny: OxigraphStore) -> None:
    query = make(header("summary: numbers", "paging: true")
                 + f"SELECT ?n WHERE {{ ?s <{EX}value> ?n }} ORDER BY DESC(?n)")
    seen = []
    for page in range(1, 5):
        request = request_for(query, {}, select_type=JSON, base_iri=EX, max_rows=1000, page=(page, 7))
        answer = tiny.execute_here(request)
        seen += [r["n"] for r in records(answer.body)]
        assert answer.truncated == (page < 4)
    assert seen == list(range(24, -1, -1))


@pytest.mark.parametrize(("page", "per_page", "message"), [("0", None, "page"), ("x", None, "page"),
                                                           (None, "0", "per_page"), (None, "1001", "per_page")])
def test_page_window_is_validated(page: str | None, per_page: str | None, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        page_window(page, per_page, default=100, cap=1000)


def test_records_convert_values_and_collect_labels() -> None:
    doc = {"head": {"vars": ["a", "aLabel", "n", "f", "b", "d", "x"]}, "results": {"bindings": [{
        "a": {"type": "uri", "value": "http://ex/a"}, "aLabel": {"type": "literal", "value": "A", "xml:lang": "en"},
        "n": {"type": "literal", "value": "3", "datatype": XSD + "integer"},
        "f": {"type": "literal", "value": "2.5", "datatype": XSD + "decimal"},
        "b": {"type": "literal", "value": "false", "datatype": XSD + "boolean"},
        "d": {"type": "literal", "value": "1993", "datatype": XSD + "gYear"},
        "x": {"type": "bnode", "value": "b0"}}]}}
    assert records(json.dumps(doc).encode()) == [
        {"a": "http://ex/a", "aLabel": "A", "n": 3, "f": 2.5, "b": False, "d": "1993", "x": "_:b0",
         "labels": {"a": "A"}}]


# --- the answers of the real queries on the seed ---------------------------------------------------


@pytest.fixture(scope="module")
def catalog(base_iri: str) -> Catalog:
    return Catalog(load_queries(QUERIES, base_iri))


Ask = Callable[..., list[dict]]
"""A named query run by name with its parameters, answering records."""


@pytest.fixture(scope="module")
def ask(kg_store: OxigraphStore, catalog: Catalog, base_iri: str) -> Ask:
    def ask(name: str, **given: str) -> list[dict]:
        query = catalog.get(name)
        assert query is not None, name
        request = catalog.prepare(kg_store, query, given, base_iri=base_iri, select_type=JSON, max_rows=10_000)
        return records(kg_store.execute_here(request).body)

    return ask


def short(iri: str, base: str = "http://127.0.0.1:8000/id/") -> str:
    return iri.removeprefix(base).removeprefix("https://w3id.org/backchannel/def/")


def test_every_example_answers_with_rows(catalog: Catalog, ask: Ask) -> None:
    for name in catalog.names():
        assert ask(name, **catalog.queries[name].example_values()), name


def test_works_by_person_montville_in_year_order(ask: Ask) -> None:
    rows = ask("works-by-person", person="id/person/joseph-v-montville")
    assert [(r["workLabel"], r["year"]) for r in rows] == [
        ("Foreign Policy According to Freud", 1981),
        ("Track Two Diplomacy: The Arrow and the Olive Branch", 1991),
        ("Track two diplomacy: The work of healing history", 2006),
    ]
    assert ask("works-by-person", person="Joseph V. Montville") == rows


def test_works_by_person_mcdonald_includes_edited_books(ask: Ask) -> None:
    rows = ask("works-by-person", person="John W. McDonald")
    assert [r["year"] for r in rows] == sorted(r["year"] for r in rows)
    assert {(short(r["work"]), r["role"]) for r in rows} == {
        ("work/conflict-resolution-track-two-diplomacy", "editor"),
        ("work/further-exploration-of-track-two-diplomacy", "author"),
        ("work/further-exploration-occasional-paper", "author"),
        ("work/multi-track-diplomacy-a-systems-guide-and-analysis", "author"),
        ("work/multi-track-diplomacy-a-systems-approach-to-peace", "author"),
        ("work/mcdonald-2003-2004", "author"),
    }


def test_multi_track_diplomacy_has_nine_tracks_in_order(ask: Ask) -> None:
    rows = ask("multi-track-diplomacy-tracks")
    assert [r["notation"] for r in rows] == [f"MTD-{i}" for i in range(1, 10)]
    assert rows[2]["modelName"] == "Track 3: Business"
    assert rows[6]["trackLabel"] == "Peacemaking through religion"


def test_track_actors_of_track_two(ask: Ask) -> None:
    rows = ask("track-actors", track="track-two")
    agents = {short(r["agent"]): r for r in rows}
    assert len(agents) == len(rows)  # one row per agent
    assert "coined it" in agents["person/joseph-v-montville"]["how"]
    assert {"person/john-w-mcdonald", "person/louise-diamond", "person/w-d-davidson", "org/camp-tawonga",
            "org/living-room-dialogue-group", "person/unnamed-norwegian-scholar", "org/israel",
            "org/palestine-liberation-organization"} <= set(agents)
    assert agents["org/israel"]["kind"] == "state"
    assert ask("track-actors", track="Track Two diplomacy") == rows  # by label
    assert {short(r["agent"]) for r in ask("track-actors", track="track-one")} >= {"org/us-department-of-state"}


def test_timeline_of_1990_to_1995(ask: Ask) -> None:
    rows = ask("timeline", **{"from": "1990", "to": "1995"})
    assert [short(r["thing"]) for r in rows] == [
        "event/israeli-occupation-since-1967",  # ongoing since 1967
        "process/living-room-dialogue",  # since 1992
        "process/oslo-back-channel",
        "event/rabin-arafat-handshake",
        "event/oslo-i-accord-signing",
        "event/initialling-of-the-oslo-i-accord",  # 1993-08-20 (outside fact): sorts after the bare year
    ]
    everything = ask("timeline")
    assert short(everything[0]["thing"]) == "event/founding-of-the-plo"
    assert not any(r["kind"] == "work" for r in everything)
    with_works = ask("timeline", **{"from": "1981", "to": "1981", "works": "true"})
    assert {short(r["thing"]) for r in with_works if r["kind"] == "work"} == {"work/foreign-policy-according-to-freud"}


def test_lineage_is_transitive_both_ways(ask: Ask) -> None:
    up = {(short(r["influencer"]), r["direct"]) for r in ask("influencers-of", thing="bc-track:multi-track-diplomacy")}
    assert {("track/track-two", True), ("work/multi-track-diplomacy-a-systems-approach-to-peace", True),
            ("person/louise-diamond", False), ("person/john-w-mcdonald", False),
            ("person/joseph-v-montville", False)} <= up
    basis = [r["basis"] for r in ask("influencers-of", thing="bc-track:multi-track-diplomacy") if r.get("basis")]
    assert basis and "nine tracks" in basis[0]
    # seconding an assumption is not influence: McDonald was influenced by no one the graph knows
    assert ask("influencers-of", thing="id/person/john-w-mcdonald") == []
    down = {(short(r["influenced"]), r["direct"]) for r in ask("influenced-by", thing="Montville")}
    assert {("track/track-two", True), ("work/foreign-policy-according-to-freud", True),
            ("track/multi-track-diplomacy", False)} <= down
    assert not any(thing.startswith("person/") for thing, _ in down)


def test_coauthors_and_editors(ask: Ask) -> None:
    assert {(short(r["other"]), r["relation"]) for r in ask("coauthors-and-editors", person="McDonald")} == {
        ("person/diane-b-bendahmane", "co-editor"),
        ("person/louise-diamond", "co-author"),
        ("person/kriesberg", "editor of a collection with their work"),
        ("person/thorson", "editor of a collection with their work"),
    }
    assert [(short(r["other"]), short(r["work"])) for r in ask("coauthors-and-editors", person="Montville")] == [
        ("person/w-d-davidson", "work/foreign-policy-according-to-freud")]


def test_processes_montville_described(ask: Ask) -> None:
    rows = ask("processes-described-by")
    assert [(r["processLabel"], r["year"]) for r in rows] == [
        ("Facilitated workshops", 1981), ("Shifting public opinion", 1981), ("Cooperative economic development", 1991)]
    assert ask("processes-described-by", person="McDonald") == []


def test_source_statements_are_exactly_the_source_graph(ask: Ask, kg_store: OxigraphStore,
                                                        base_iri: str) -> None:
    graph = base_iri + "id/source/track-two-diplomacy"
    rows = ask("source-statements", source="id/source/track-two-diplomacy")
    assert len(rows) == len(kg_store.graph_quads(graph))
    coined = [r for r in rows if r["predicate"] == "https://w3id.org/backchannel/def#coined"]
    assert {(short(r["subject"]), short(r["object"])) for r in coined} == {
        ("person/joseph-v-montville", "track/track-one"), ("person/joseph-v-montville", "track/track-two")}
    assert coined[0]["subjectLabel"] == "Joseph V. Montville" and coined[0]["predicateLabel"] == "coined"
    assert ask("source-statements", source="id/source/no-such-source") == []


def test_things_without_identity_links(ask: Ask) -> None:
    people = {short(r["thing"]) for r in ask("without-identity-links", kind="person")}
    assert "person/joseph-v-montville" in people
    assert not {"person/yasser-arafat", "person/yitzhak-rabin", "person/colin-powell"} & people
    assert len(people) == 14
    everything = ask("without-identity-links")
    assert not any(short(r["thing"]).startswith("source/") for r in everything)
    assert not any(short(r["thing"]) in ("place/israel", "place/oslo", "place/washington-dc") for r in everything)


def test_things_by_kind(ask: Ask) -> None:
    assert len(ask("things-by-kind", kind="person")) == 17
    places = ask("things-by-kind", kind="place")
    assert len(places) == 14 and all(r["classes"] == "http://www.w3.org/ns/prov#Location" for r in places)
    assert {short(r["thing"]) for r in ask("things-by-kind", kind="source")} == {
        "source/track-two-diplomacy", "source/general-knowledge"}


def test_publishers_and_venues(ask: Ask) -> None:
    publishers = {(short(r["outlet"]), short(r["work"])) for r in ask("publishers-and-venues", role="publisher")}
    assert ("org/kumarian-press", "work/multi-track-diplomacy-a-systems-approach-to-peace") in publishers
    assert ("org/foreign-service-institute", "work/conflict-resolution-track-two-diplomacy") in publishers
    assert len(publishers) == 8
    venues = {(short(r["outlet"]), short(r["work"])) for r in ask("publishers-and-venues", role="venue")}
    assert {("work/foreign-policy", "work/foreign-policy-according-to-freud"),
            ("work/foreign-policy", "work/track-ii-diplomacy-a-short-history"),
            ("work/whitehead-journal", "work/track-two-diplomacy-the-work-of-healing-history")} <= venues
    kumarian = next(r for r in ask("publishers-and-venues") if r["outlet"].endswith("kumarian-press"))
    assert kumarian["placeLabel"] == "West Hartford, Connecticut"


def test_actors_of_the_oslo_accords(ask: Ask) -> None:
    rows = ask("actors-of")
    assert {short(r["actor"]) for r in rows} == {
        "org/israel", "org/palestine-liberation-organization", "person/unnamed-norwegian-scholar",
        "person/yitzhak-rabin", "person/yasser-arafat"}
    roles = {(short(r["actor"]), r["role"], short(r["in"])) for r in rows}
    assert ("org/israel", "party", "work/oslo-accords") in roles
    assert ("person/unnamed-norwegian-scholar", "initiator") in {(short(r["actor"]), r["role"]) for r in rows}
    briefing = {short(r["actor"]) for r in ask("actors-of", of="id/event/state-department-ngo-briefing-2004")}
    assert {"person/paul-sutphin", "person/colin-powell", "org/ngo-representatives"} <= briefing


def test_relations_of_a_thing_both_ways(ask: Ask) -> None:
    rows = ask("relations-of", thing="Joseph V. Montville")
    out = {(r["reading"], short(r["other"])) for r in rows if r["direction"] == "out"}
    incoming = {(r["reading"], short(r["other"])) for r in rows if r["direction"] == "in"}
    assert ("coined", "track/track-two") in out and ("was a member of", "org/us-department-of-state") in out
    assert ("wrote", "work/foreign-policy-according-to-freud") in incoming
    assert ("had an assumption seconded by", "person/john-w-mcdonald") in incoming
    assert not any(reading == "influenced" for reading, _ in incoming)
    assert all(short(r["source"]) == "source/track-two-diplomacy" for r in rows)


def test_sources_of_a_fact(ask: Ask) -> None:
    rows = ask("sources-of-fact", subject="bc-person:joseph-v-montville", predicate="bc:coined",
               object="bc-track:track-two")
    assert [short(r["source"]) for r in rows] == ["source/track-two-diplomacy"]
    assert short(rows[0]["derivedFrom"]) == "work/wikipedia-track-ii-diplomacy"
    gopin = ask("sources-of-fact", subject="id/person/m-gopin")
    assert {short(r["source"]) for r in gopin} == {"source/track-two-diplomacy", "source/general-knowledge"}
    assert ask("sources-of-fact", subject="bc-person:joseph-v-montville", predicate="bc:coined",
               object="bc-track:shuttle-diplomacy") == []


def test_sources_list(ask: Ask, kg_store: OxigraphStore, base_iri: str) -> None:
    rows = {short(r["source"]): r for r in ask("sources")}
    assert set(rows) == {"source/track-two-diplomacy", "source/general-knowledge"}
    graph = base_iri + "id/source/general-knowledge"
    assert rows["source/general-knowledge"]["statements"] == len(kg_store.graph_quads(graph))


def test_search_by_label(ask: Ask) -> None:
    rows = ask("search-labels", text="diamond")
    assert short(rows[0]["thing"]) == "person/louise-diamond" and rows[0]["exactMatch"] is True
    assert {short(r["thing"]) for r in ask("search-labels", text="oslo")} >= {
        "work/oslo-accords", "work/oslo-i-accord", "process/oslo-back-channel"}
    assert ask("search-labels", text='"> . ?s ?p ?o') == []


def test_concepts_of_a_scheme(ask: Ask) -> None:
    tracks = ask("concepts-of-scheme", scheme="track")
    assert len(tracks) == 14
    assert [r["conceptLabel"] for r in tracks[:3]] == ["Track One diplomacy", "Track 1.5 diplomacy",
                                                       "Track Two diplomacy"]
    assert len(ask("concepts-of-scheme", scheme="process-type")) == 5
    roles = ask("concepts-of-scheme", scheme="Roles")  # by the scheme's label, ignoring case
    assert len(roles) == 15 and roles[0]["conceptLabel"] == "analyst"


def test_works_about_a_topic(ask: Ask) -> None:
    rows = ask("works-about", topic="bc-track:multi-track-diplomacy")
    assert [short(r["work"]) for r in rows] == [
        "work/multi-track-diplomacy-a-systems-guide-and-analysis",
        "work/multi-track-diplomacy-a-systems-approach-to-peace",
        "work/institute-for-multi-track-diplomacy-website",  # undated, last
    ]
    assert set(rows[0]["authors"].split("; ")) == {"John W. McDonald", "Louise Diamond"}
    assert "authors" not in rows[2]


def test_track_transitions(ask: Ask) -> None:
    assert [(short(r["process"]), short(r["from"]), short(r["to"]), short(r["outcome"])) for r in
            ask("track-transitions")] == [("process/oslo-back-channel", "track/track-two", "track/track-one",
                                           "work/oslo-accords")]


def test_real_queries_refuse_hostile_values_or_match_nothing(kg_store: OxigraphStore, catalog: Catalog,
                                                            base_iri: str) -> None:
    before = len(kg_store)
    for name in catalog.names():
        query = catalog.queries[name]
        for param in query.params:
            for value in HOSTILE:
                given = query.example_values() | {param.name: value}
                try:
                    request = catalog.prepare(kg_store, query, given, base_iri=base_iri, select_type=JSON,
                                              max_rows=100)
                except ParamError as err:
                    assert err.status in (400, 409) and param.name in str(err), (name, value)
                    continue
                # Only a string parameter takes any value, and then as one literal, never as query text.
                assert param.type == "string", (name, param.name, value)
                assert request.query == query.text
                records(kg_store.execute_here(request).body)
    assert len(kg_store) == before


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_store(tmp_path_factory: pytest.TempPathFactory, base_iri: str) -> str:
    from kg.data.build import build

    location = str(tmp_path_factory.mktemp("cli") / "store")
    store = OxigraphStore(location)
    build(store, Settings(base_iri=base_iri, store=location))
    store.close()
    return location


def cli(location: str, *args: str) -> int:
    from service.cli import main

    return main(["--store", location, "--base-iri", "http://127.0.0.1:8000/", *args])


def test_cli_run_query_prints_the_answer(built_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(built_store, "run-query", "works-by-person", "--param", "person=id/person/joseph-v-montville") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("person,work,workLabel,year")
    assert [line.split(",")[2] for line in lines[1:]] == [
        "Foreign Policy According to Freud", "Track Two Diplomacy: The Arrow and the Olive Branch",
        "Track two diplomacy: The work of healing history"]
    assert cli(built_store, "run-query", "multi-track-diplomacy-tracks", "--format", "records") == 0
    assert len(json.loads(capsys.readouterr().out)) == 9
    assert cli(built_store, "run-query", "search-labels", "-p", "text=diplomacy", "--per-page", "2",
               "--page", "1", "--format", "tsv") == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3 and "next page" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run-query", "nope"], "no query named 'nope'"),
        (["run-query", "works-by-person"], "missing required parameter 'person'"),
        (["run-query", "works-by-person", "-p", "person=Montville", "-p", "colour=red"], "unknown parameter 'colour'"),
        (["run-query", "works-by-person", "-p", "person"], "write it as name=value"),
        (["run-query", "timeline", "-p", "from=then"], "'then' is not a year"),
        (["run-query", "multi-track-diplomacy-tracks", "--page", "2"], "not paged"),
    ],
)
def test_cli_explains_bad_input(built_store: str, capsys: pytest.CaptureFixture[str], args: list[str],
                                message: str) -> None:
    assert cli(built_store, *args) == 2
    assert message in capsys.readouterr().err


def test_cli_list_queries(built_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(built_store, "list-queries") == 0
    out = capsys.readouterr().out
    assert "works-by-person: Works of a person, in year order" in out
    assert "person (iri, required): the person  e.g. id/person/joseph-v-montville" in out
    assert cli(built_store, "list-queries", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert {q["name"] for q in listed} == {p.stem for p in QUERIES.glob("*.rq")}
