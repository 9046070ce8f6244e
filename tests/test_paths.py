"""Projection and path search: on the seed graph, and checked against networkx on synthetic graphs."""

from __future__ import annotations

import math
import random
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.paths import sentences
from kg.paths.builder import _order, build_projection, projection_from_quads
from kg.paths.cache import ProjectionCache
from kg.paths.constraints import compile_constraints, make_constraints
from kg.paths.engines import PathEngines
from kg.paths.explain import path_json, path_text, result_json
from kg.paths.model import MAX_K, Constraints, PathOptions, PathRequestError, SearchTimeout
from kg.paths.names import name_index
from kg.paths.projection import Projection
from kg.paths.ranking import BETA, OUTSIDE_COST, TIME_BONUS, tables
from kg.paths.search import search, shortest_length
from kg.paths.sparql_service import expand_path_service
from kg.settings import Settings
from kg.store.base import term_value
from kg.store.embedded import OxigraphStore

BC = "https://w3id.org/backchannel/def#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
EX = "http://ex/"


# --- the seed -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def proj(kg_store: OxigraphStore) -> Projection:
    return build_projection(kg_store)


def hops_of(described: dict[str, object]) -> list[dict[str, Any]]:
    """The hops of a path described as JSON."""
    hops = described["hops"]
    assert isinstance(hops, list)
    return hops


def node(proj: Projection, name: str) -> int:
    return name_index(proj).resolve(name)


def test_projection_of_the_seed_keeps_things_and_drops_schema(proj: Projection, base_iri: str) -> None:
    montville = proj.node(base_iri + "id/person/joseph-v-montville")
    assert montville is not None and proj.label(montville) == "Joseph V. Montville"
    assert proj.kind(montville) == "person"
    assert "Montville" in proj.alt_labels[montville]
    # classes, properties and concept schemes are not nodes; rdf:type is a node attribute
    assert proj.node(BC + "coined") is None and proj.node(BC + "Event") is None
    assert proj.node("https://w3id.org/backchannel/def/track") is None
    assert "http://xmlns.com/foaf/0.1/Person" in proj.types[montville]
    assert "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" not in proj.predicates or \
        proj.pred_freq[proj.pred_index["http://www.w3.org/1999/02/22-rdf-syntax-ns#type"]] == 0
    # bookkeeping relations are dropped
    for bookkeeping in ("http://www.w3.org/2004/02/skos/core#inScheme", "http://www.w3.org/2000/01/rdf-schema#isDefinedBy"):
        assert bookkeeping not in proj.pred_index or proj.pred_freq[proj.pred_index[bookkeeping]] == 0
    # property labels and inverse labels come from the ontology
    assert proj.prop(BC + "coined").label == "coined"
    assert proj.prop(BC + "coined").inverse_label == "was coined by"
    # dates are sortable strings
    oslo = proj.node(base_iri + "id/work/oslo-accords")
    assert oslo is not None and proj.date(oslo) == "1993"


def test_qualified_attributions_and_associations_keep_their_role(proj: Projection, base_iri: str) -> None:
    """Regression (issue 13): a qualification was flattened whatever its role, so the audience of the 2004
    briefing "carried it out" and publishers became authors ("is attributed to")."""
    work = proj.node(base_iri + "id/work/foreign-policy-according-to-freud")
    assert work is not None
    authors = [e for e in proj.out_edges(work) if e.predicate_iri == DCTERMS + "creator"]
    assert {e.object_label for e in authors} == {"Joseph V. Montville", "W. D. Davidson"}
    assert all(e.graph_iris == (base_iri + "id/source/track-two-diplomacy",) for e in authors)
    assert PROV + "wasAttributedTo" not in proj.pred_index  # every attribution has a role that says what it was
    book = proj.node(base_iri + "id/work/multi-track-diplomacy-a-systems-approach-to-peace")
    assert book is not None
    kumarian = [e.predicate_iri for e in proj.out_edges(book) if e.object_label == "Kumarian Press"]
    assert kumarian == [DCTERMS + "publisher"]
    briefing = proj.node(base_iri + "id/event/state-department-ngo-briefing-2004")
    assert briefing is not None
    responsible = {e.object_label for e in proj.out_edges(briefing) if e.predicate_iri == PROV + "wasAssociatedWith"}
    assert responsible == {"Paul Sutphin"}  # not the audience, not Colin Powell


def test_roles_dates_and_skolem_iris_of_qualifications(base_iri: str) -> None:
    """Qualification, membership and time descriptions are not things, also when they are IRIs (skolemised
    blank nodes): roles pick the relation, a membership's time dates its relation."""
    store = OxigraphStore(":memory:")
    try:
        store.replace_graph(EX + "g", f"""
            @prefix prov: <{PROV}> . @prefix w3org: <http://www.w3.org/ns/org#> .
            @prefix time: <http://www.w3.org/2006/time#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
            @prefix role: <https://w3id.org/backchannel/def/role/> .
            <{EX}id/work/book> prov:qualifiedAttribution <{EX}genid/1>, <{EX}genid/2> .
            <{EX}genid/1> a prov:Attribution ; prov:agent <{EX}id/person/ada> ; prov:hadRole role:author .
            <{EX}genid/2> a prov:Attribution ; prov:agent <{EX}id/org/press> ; prov:hadRole role:publisher .
            <{EX}id/event/talk> prov:qualifiedAssociation [ a prov:Association ; prov:agent <{EX}id/org/crowd> ;
                                                           prov:hadRole role:audience ] .
            <{EX}id/person/ada> w3org:memberOf <{EX}id/org/press> .
            <{EX}genid/3> a w3org:Membership ; w3org:member <{EX}id/person/ada> ;
                w3org:organization <{EX}id/org/press> ;
                w3org:memberDuring [ time:inside [ time:inXSDgYear "1981"^^xsd:gYear ] ] .
        """.encode(), "text/turtle")
        proj = build_projection(store)
        book, ada, press = (proj.node(f"{EX}id/{x}") for x in ("work/book", "person/ada", "org/press"))
        assert book is not None and ada is not None and press is not None
        assert {(e.predicate_iri, e.object_label) for e in proj.out_edges(book)} == {
            (DCTERMS + "creator", "ada"), (DCTERMS + "publisher", "press")}
        assert proj.node(f"{EX}id/event/talk") is None  # its only statement was an audience: no relation
        assert all(proj.node(f"{EX}genid/{i}") is None for i in (1, 2, 3))
        assert proj.relation_dates[(ada, press)] == "1981"
        [edge] = proj.edge_ids_between(ada, press)
        assert sentences.statement(proj, edge[0]) == "Ada member of press (1981)"  # no ontology: the IRI's words
        frontier = PathEngines(store, Settings(base_iri=EX, store=":memory:", paths_engine="frontier")).engine()
        answer = frontier.paths(PathOptions(f"{EX}id/work/book", f"{EX}id/person/ada", k=5))
        found = answer.result.paths
        predicates = [[answer.proj.predicates[answer.proj.out_pred[h.edge]] for h in p.hops] for p in found]
        assert predicates == [[DCTERMS + "creator"], [DCTERMS + "publisher", ORG + "memberOf"]]
        assert not any("genid" in answer.proj.iris[v] for p in found for v in p.nodes)
        dated = frontier.paths(PathOptions(f"{EX}id/person/ada", f"{EX}id/org/press", k=1))
        assert sentences.path_text(dated.proj, dated.result.paths[0]) == "Ada member of press (1981)."
    finally:
        store.close()


def test_same_as_to_external_iris_is_a_node_attribute(proj: Projection) -> None:
    linked = [v for v, links in proj.same_as.items() if any("dbpedia.org" in link for link in links)]
    assert linked, "the seed links things to DBpedia"
    assert "http://www.w3.org/2002/07/owl#sameAs" not in proj.pred_index or all(
        "dbpedia.org" not in proj.iris[proj.out_dst[e]]
        for e in range(proj.edge_count) if proj.predicates[proj.out_pred[e]].endswith("#sameAs")
    )


def test_montville_links_to_the_place_oslo_through_track_two_and_the_back_channel(proj: Projection,
                                                                                   base_iri: str) -> None:
    """The design's question: "how does Joseph Montville link to Oslo?" ends at the place Oslo, and the first path
    runs through Track Two diplomacy and the Oslo back channel, each hop cited."""
    montville, oslo = node(proj, "Joseph Montville"), node(proj, "Oslo")
    assert proj.iris[oslo] == base_iri + "id/place/oslo" and proj.kind(oslo) == "place"
    result = search(proj, montville, oslo, make_constraints(proj, max_length=4), mode="k", k=5)
    first = path_json(proj, result.paths[0])
    nodes, hops, text = first["nodes"], hops_of(first), first["text"]
    assert isinstance(nodes, list) and isinstance(text, str)
    assert [n["label"] for n in nodes] == ["Joseph V. Montville", "Track Two diplomacy",
                                          "Oslo back channel (Israel–PLO contacts)",
                                          "Initialling of the Oslo I Accord (Oslo, 20 August 1993)", "Oslo"]
    article, outside = base_iri + "id/source/track-two-diplomacy", base_iri + "id/source/general-knowledge"
    assert [[s["iri"] for s in hop["sources"]] for hop in hops] == [[article], [article], [outside], [outside]]
    assert text.startswith("Joseph V. Montville coined Track Two diplomacy; Track Two diplomacy was the initial "
                           "track of the Oslo back channel; ")
    assert first["broad_concept"] is None
    backward = [h for h in hops if h["direction"] == "backward"]
    assert backward and all(h["reading"] == proj.prop(h["predicate"]["iri"]).inverse_label for h in backward)


def test_the_topic_of_the_graph_does_not_push_a_path_down(proj: Projection) -> None:
    """Regression (issue 13): Track Two diplomacy, the article's topic, has the highest degree, so the hub
    penalty pushed the telling path (through Track Two) below one through Track One."""
    result = search(proj, node(proj, "Montville"), node(proj, "Oslo Accords"), mode="k", k=3)
    assert path_text(proj, result.paths[0]) == (
        "Joseph V. Montville coined Track Two diplomacy; Track Two diplomacy was the initial track of the Oslo back "
        "channel; the Oslo back channel produced the Oslo Accords.")
    assert any("the topic of the sources: not penalised as a hub" in r for r in result.paths[0].reasons)
    track_two = node(proj, "Track Two diplomacy")
    assert track_two in tables(proj).topics
    assert not any("hub 'Track Two diplomacy'" in r for p in result.paths for r in p.reasons)


def test_a_link_only_through_a_broad_concept_is_marked_and_weak(proj: Projection) -> None:
    result = search(proj, node(proj, "Living Room Dialogue Group"), node(proj, "Oslo process"), mode="k", k=3)
    first = result.paths[0]
    assert first.broad_concept == node(proj, "Track Two diplomacy")
    assert any(r.startswith("links only through the broad concept 'Track Two diplomacy'") for r in first.reasons)
    described = path_json(proj, first)
    assert isinstance(described["broad_concept"], dict) and described["broad_concept"]["label"] == "Track Two diplomacy"
    coined = search(proj, node(proj, "Montville"), node(proj, "Oslo Accords"), mode="k", k=1).paths[0]
    assert coined.broad_concept is None  # coining the concept is more than being filed under it


def test_outside_facts_weigh_less_and_say_so(proj: Projection) -> None:
    tabs = tables(proj)
    assert sorted(proj.graph_label(g) for g in tabs.outside) == [
        "General knowledge (curators' statement)", "Landmark Track Two cases (curators' statement)"]
    # (the founding of IMTD, the former example, is now also stated by Notter & Diamond 1996, a work)
    part = search(proj, node(proj, "Rabin–Arafat handshake on the White House lawn (1993)"),
                  node(proj, "Signing of the Oslo I Accord (Washington, D.C., 1993)"), k=1)
    only = part.paths[0]
    assert only.length == 1 and any("rest on outside facts only" in r for r in only.reasons)
    e = only.hops[0].edge
    assert tabs.edge_cost(proj, e) == tabs.pred_cost[proj.out_pred[e]] + OUTSIDE_COST


def test_dated_steps_in_time_order_count_for_a_path(proj: Projection) -> None:
    result = search(proj, node(proj, "W. D. Davidson"), node(proj, "Oslo Accords"), mode="k", k=1)
    first = result.paths[0]
    assert first.base_cost is not None and first.cost == pytest.approx(first.base_cost - TIME_BONUS)
    assert any(r.startswith("its dated steps run in time order: Foreign Policy According to Freud (1981)")
               for r in first.reasons)


def test_k5_gives_five_distinct_ranked_paths_with_reasons(proj: Projection) -> None:
    result = search(proj, node(proj, "Montville"), node(proj, "Oslo"), mode="k", k=5)
    assert len(result.paths) == 5
    assert len({p.nodes for p in result.paths}) == 5
    scores = [p.score for p in result.paths]
    assert scores == sorted(scores, reverse=True)
    assert all(p.reasons for p in result.paths)
    assert any("passes through hub" in r for p in result.paths for r in p.reasons)
    assert any("specific relations" in r and "coined" in r for p in result.paths for r in p.reasons)


def test_excluding_a_predicate_changes_the_answer(proj: Projection) -> None:
    montville, oslo = node(proj, "Montville"), node(proj, "Oslo")
    before = search(proj, montville, oslo, mode="k", k=5)
    assert any(proj.predicates[proj.out_pred[h.edge]] == BC + "coined" for p in before.paths for h in p.hops)
    cons = make_constraints(proj, exclude_predicates=["bc:coined"])
    after = search(proj, montville, oslo, cons, mode="k", k=5)
    assert after.paths
    for path in after.paths:
        assert all(proj.predicates[proj.out_pred[h.edge]] != BC + "coined" for h in path.hops)
        assert all(proj.predicates[proj.out_pred[e]] != BC + "coined" for h in path.hops for e, _ in h.also)


def test_avoiding_a_hub_changes_the_answer(proj: Projection) -> None:
    montville, oslo = node(proj, "Montville"), node(proj, "Oslo Accords")
    track_two, track_one = node(proj, "Track Two diplomacy"), node(proj, "Track One diplomacy")
    cons = make_constraints(proj, avoid=[track_two, track_one])
    result = search(proj, montville, oslo, cons, mode="k", k=3)
    assert result.paths
    assert all(track_two not in p.nodes and track_one not in p.nodes for p in result.paths)
    capped = search(proj, montville, oslo, make_constraints(proj, max_degree=10), mode="k", k=3)
    for path in capped.paths:
        assert all(proj.degree[v] <= 10 for v in path.nodes[1:-1])
    assert {p.nodes for p in capped.paths} != {p.nodes for p in search(proj, montville, oslo, mode="k", k=3).paths}


def test_time_window_keeps_late_works_off_the_path(proj: Projection) -> None:
    montville = node(proj, "Montville")
    multi = node(proj, "Multi-Track Diplomacy: A Systems Approach to Peace")
    cons = make_constraints(proj, before="1990", max_length=6)
    result = search(proj, montville, multi, cons, mode="all", limit=200)
    for path in result.paths:
        for v in path.nodes[1:-1]:
            date = proj.date(v)
            if proj.kind(v) in ("event", "work", "process") and date:
                assert date[:4] <= "1990", (proj.label(v), date)
    constraints = result_json(proj, result)["constraints"]
    assert isinstance(constraints, dict) and constraints["before"] == "1990"


def test_shortest_mode_returns_only_shortest_paths(proj: Projection) -> None:
    result = search(proj, node(proj, "Montville"), node(proj, "Oslo"), mode="shortest", k=10)
    assert result.paths and {p.length for p in result.paths} == {result.shortest_length}
    assert all(p.reasons[0].startswith("shortest possible") for p in result.paths)


def test_directed_paths_follow_relations_forward(proj: Projection) -> None:
    result = search(proj, node(proj, "Montville"), node(proj, "Track Two diplomacy"),
                    make_constraints(proj, directed=True), mode="all", limit=50)
    assert result.paths
    assert all(h.forward for p in result.paths for h in p.hops)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_length": 9}, "between 1 and 8"),
        ({"include_predicates": ["bc:coined"], "exclude_predicates": ["bc:coined"]}, "both included and excluded"),
        ({"after": "2000", "before": "1990"}, "window is empty"),
        ({"after": "nineteen"}, "not a date"),
        ({"include_kinds": ["persn"]}, "not a kind"),
        ({"exclude_predicates": ["bc:coinned"]}, "did you mean"),
        ({"include_kinds": ["person"], "exclude_kinds": ["person"]}, "both included and excluded"),
    ],
)
def test_bad_options_are_refused_with_a_message(proj: Projection, options: dict, message: str) -> None:
    with pytest.raises(PathRequestError, match=message):
        make_constraints(proj, **options)


@pytest.mark.parametrize(("mode", "k", "limit", "message"), [
    ("k", MAX_K + 1, 10, "between 1 and 50"), ("all", 3, 1001, "between 1 and 1000"), ("best", 3, 10, "not a mode"),
])
def test_caps_are_refused(proj: Projection, mode: str, k: int, limit: int, message: str) -> None:
    with pytest.raises(PathRequestError, match=message):
        search(proj, node(proj, "Montville"), node(proj, "Oslo"), mode=mode, k=k, limit=limit)


def test_a_search_past_its_budget_stops(proj: Projection) -> None:
    with pytest.raises(SearchTimeout, match="did not finish"):
        search(proj, node(proj, "Montville"), node(proj, "Oslo"), Constraints(max_length=8), mode="all",
               limit=1000, budget=0.0)


def test_projection_cache_rebuilds_when_the_store_changes() -> None:
    store = OxigraphStore(":memory:")
    try:
        cache = ProjectionCache(store)
        first = cache.get()
        assert cache.get() is first and cache.builds == 1
        store.replace_graph(EX + "g", f"<{EX}a> <{EX}p> <{EX}b> .".encode(), "text/turtle")
        second = cache.get()
        assert second is not first and second.edge_count == 1 and cache.builds == 2
    finally:
        store.close()


# --- the SPARQL magic service ----------------------------------------------------------------------

def test_path_service_expands_to_values(proj: Projection, base_iri: str, kg_store: OxigraphStore) -> None:
    query = f"""PREFIX bc: <{BC}>
    SELECT ?path ?hop ?s ?p ?o ?dir ?g WHERE {{
      SERVICE bc:paths {{ [] bc:from <{base_iri}id/person/joseph-v-montville> ; bc:to "Oslo" ; bc:k 2 ;
           bc:maxLength 4 ; bc:excludePredicate bc:coinedIn ;
           bc:path ?path ; bc:hop ?hop ; bc:subject ?s ; bc:predicate ?p ; bc:object ?o ; bc:direction ?dir ;
           bc:graph ?g }}
    }} ORDER BY ?path ?hop"""
    expanded = expand_path_service(query, proj)
    assert expanded is not None and "SERVICE" not in expanded and "VALUES (?path ?hop ?s ?p ?o ?dir ?g)" in expanded
    rows = kg_store.select(expanded)
    assert {int(term_value(r["path"])) for r in rows} == {1, 2}
    first = [r for r in rows if term_value(r["path"]) == "1"]
    assert term_value(first[0]["s"]) == base_iri + "id/person/joseph-v-montville"
    assert [term_value(r["g"]) for r in first] == [base_iri + "id/source/track-two-diplomacy"] * 2 + [
        base_iri + "id/source/general-knowledge"] * 2
    assert {term_value(r["dir"]) for r in rows} <= {"forward", "backward"}


def test_path_service_gives_each_hop_its_own_text_and_the_path_its_text(proj: Projection) -> None:
    """Regression (issue 13): bc:text repeated the whole path on every hop row."""
    query = f"""PREFIX bc: <{BC}>
    SELECT ?hop ?text ?pathText {{ SERVICE bc:paths {{ [] bc:from "Montville" ; bc:to "Oslo Accords" ; bc:k 1 ;
        bc:hop ?hop ; bc:text ?text ; bc:pathText ?pathText }} }} ORDER BY ?hop"""
    expanded = expand_path_service(query, proj)
    assert expanded is not None
    texts = [line for line in expanded.splitlines() if line.startswith("  (")]
    assert texts[0].startswith('  (1 "Joseph V. Montville coined Track Two diplomacy" ')
    assert texts[1].startswith('  (2 "Track Two diplomacy was the initial track of the Oslo back channel" ')
    assert texts[2].startswith('  (3 "The Oslo back channel produced the Oslo Accords" ')
    assert all(line.endswith('produced the Oslo Accords.")') for line in texts)


def test_path_service_errors_and_silence(proj: Projection) -> None:
    from kg.paths.names import UnknownThing
    from kg.paths.sparql_service import PathServiceError

    bad = f'PREFIX bc: <{BC}> SELECT * {{ SERVICE bc:paths {{ [] bc:from "Montville" ; bc:hop ?h }} }}'
    with pytest.raises(PathServiceError, match="needs bc:from and bc:to"):
        expand_path_service(bad, proj)
    unknown = (f"PREFIX bc: <{BC}> "
               'SELECT * { SERVICE bc:paths { [] bc:from "Montvile" ; bc:to "Oslo" ; bc:hop ?h } }')
    with pytest.raises(UnknownThing):
        expand_path_service(unknown, proj)
    silent = unknown.replace("SERVICE bc:paths", "SERVICE SILENT bc:paths")
    assert "VALUES (?h) { }" in (expand_path_service(silent, proj) or "")
    in_string = 'SELECT * { ?s ?p "SERVICE bc:paths { }" } # SERVICE bc:paths { }'
    assert expand_path_service(in_string, proj) is None


def test_path_service_knows_the_endpoint_prefixes(proj: Projection, base_iri: str) -> None:
    from kg.namespaces import thing_prefixes

    query = ('SELECT ?h { SERVICE bc:paths { [] bc:from bc-person:joseph-v-montville ; bc:to "Oslo" ; bc:k 1 ; '
             "bc:hop ?h } }")
    expanded = expand_path_service(query, proj, thing_prefixes(base_iri + "id/"))
    assert expanded is not None and "VALUES (?h) {" in expanded and "(1)" in expanded


# --- synthetic graphs, checked against networkx --------------------------------------------------

PREDS = ("knows", "cites", "coined", "near")


def synthetic(seed: int, n: int, m: int) -> tuple[list[ox.Quad], list[tuple[int, str, int]]]:
    rng = random.Random(seed)
    edges = []
    for _ in range(m):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            edges.append((a, rng.choice(PREDS), b))
    quads = [ox.Quad(ox.NamedNode(f"{EX}n{a}"), ox.NamedNode(EX + p), ox.NamedNode(f"{EX}n{b}"),
                     ox.NamedNode(f"{EX}g{rng.randrange(2)}")) for a, p, b in edges]
    return quads, edges


def reference(proj: Projection, edges: list[tuple[int, str, int]], cons: Constraints, s: int, t: int,
              directed: bool) -> nx.Graph:
    comp = compile_constraints(proj, cons, (s, t))
    graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(range(len(proj)))
    for a, p, b in edges:
        u, v = proj.node(f"{EX}n{a}"), proj.node(f"{EX}n{b}")
        assert u is not None and v is not None
        if EX + p in cons.exclude_predicates:
            continue
        if comp.node_ok and (not comp.node_ok(u) or not comp.node_ok(v)):
            continue
        graph.add_edge(u, v)
    return graph


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(5, 40), density=st.floats(0.8, 3.0),
       directed=st.booleans(), exclude=st.sampled_from([(), ("cites",)]), max_degree=st.sampled_from([None, 4, 8]))
def test_shortest_length_matches_networkx(seed: int, n: int, density: float, directed: bool,
                                          exclude: tuple[str, ...], max_degree: int | None) -> None:
    quads, edges = synthetic(seed, n, int(n * density))
    proj = projection_from_quads(quads)
    rng = random.Random(seed + 1)
    nodes = list(proj.nodes())
    if len(nodes) < 2:
        return
    for _ in range(5):
        s, t = rng.sample(nodes, 2)
        cons = Constraints(max_length=8, directed=directed, exclude_predicates=frozenset(EX + p for p in exclude),
                           max_degree=max_degree)
        graph = reference(proj, edges, cons, s, t, directed)
        try:
            expected = nx.shortest_path_length(graph, s, t)
        except nx.NetworkXNoPath:
            expected = None
        if expected is not None and expected > 8:
            expected = None
        assert shortest_length(proj, s, t, cons) == expected
        result = search(proj, s, t, cons, mode="shortest", k=5)
        assert all(p.length == expected for p in result.paths)
        if expected is not None:
            assert len(result.paths) == min(5, sum(1 for _ in nx.all_shortest_paths(graph, s, t)))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 16), hops=st.integers(1, 5), directed=st.booleans())
def test_the_hop_bounded_search_finds_the_cheapest_path_within_its_hops(seed: int, n: int, hops: int,
                                                                          directed: bool) -> None:
    """The hop-bounded search (used when the cheapest path is too long) prunes what cannot reach the target in the
    hops left (:func:`kg.paths.kbest.near_target`); it must still find the cheapest path of at most ``hops`` hops, as
    an exhaustive walk over every simple path does."""
    from kg.paths.kbest import hop_bounded
    from kg.paths.ranking import node_cost
    from kg.paths.walking import Clock

    case = _random_pair(seed, n, n * 2, Constraints(max_length=8, directed=directed))
    if case is None:
        return
    proj, s, t, comp = case
    nodes = list(proj.nodes())
    tabs = tables(proj)
    graph = nx.DiGraph() if directed else nx.Graph()
    for u in nodes:
        graph.add_node(u)
        for e in range(proj.out_off[u], proj.out_off[u + 1]):
            graph.add_edge(u, proj.out_dst[e])
    every = [p for p in nx.all_simple_paths(graph, s, t, cutoff=hops)] if s in graph and t in graph else []
    best = min((node_cost(proj, p, comp, tabs) for p in every), default=None)
    found = hop_bounded(proj, s, t, comp, tabs, hops, set(), set(), Clock(10))
    if best is None:
        assert found is None
    else:
        assert found is not None and len(found) - 1 <= hops
        assert math.isclose(node_cost(proj, found, comp, tabs), best)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), until=st.floats(0.0, 30.0), directed=st.booleans(),
       most=st.integers(1, 40), exclude=st.sampled_from([(), ("cites",)]), hubs=st.sampled_from([None, 3]),
       avoid=st.booleans())
def test_the_compiled_backward_search_finds_the_python_costs_and_ways(seed: int, n: int, until: float,
                                                                       directed: bool, most: int,
                                                                       exclude: tuple[str, ...], hubs: int | None,
                                                                       avoid: bool) -> None:
    """The compiled backward search gives each thing the cost to the target the Python search gives (the radius
    beyond it, or beyond the ``most`` things it settles), and its way to the target costs that much; with a
    predicate excluded, hubs avoided and a thing avoided too."""
    from kg.paths.backward import to_target
    from kg.paths.compiled import to_target_compiled, walk_arrays
    from kg.paths.ranking import node_cost
    from kg.paths.walking import Clock

    quads, _ = synthetic(seed, n, n * 3)
    proj = projection_from_quads(quads)
    nodes = list(proj.nodes())
    if len(nodes) < 2:
        return
    t = random.Random(seed).choice(nodes)
    cons = Constraints(directed=directed, exclude_predicates=frozenset(EX + p for p in exclude), max_degree=hubs,
                       avoid=frozenset(nodes[:1] if avoid else ()))
    comp = compile_constraints(proj, cons, (t, t))
    tabs = tables(proj)
    slow = to_target(proj, t, comp, tabs, until, Clock(10), most)
    walk = walk_arrays(proj, tabs)
    assert walk is not None
    fast = to_target_compiled(proj, t, comp, tabs, until, walk, most)
    assert fast.into_t == slow.into_t and math.isclose(fast.radius, slow.radius)
    for v in nodes:
        assert math.isclose(fast.estimate[v], slow.estimate[v], abs_tol=1e-9), v
        for back in (slow, fast):
            if back.estimate[v] < back.radius - 1e-9 and v != t:
                way = [v]
                while way[-1] != t:
                    way.append(back.toward[way[-1]])
                    assert len(way) <= len(nodes)
                assert math.isclose(node_cost(proj, way, comp, tabs), back.estimate[v], abs_tol=1e-9)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), directed=st.booleans(),
       exclude=st.sampled_from([(), ("cites",)]), hubs=st.sampled_from([None, 3]))
def test_the_compiled_first_path_is_the_python_one(seed: int, n: int, directed: bool, exclude: tuple[str, ...],
                                                   hubs: int | None) -> None:
    """The compiled bidirectional Dijkstra finds the path the Python one finds (or none when it finds none), with
    a predicate excluded too."""
    from kg.paths.compiled import first_path, walk_arrays
    from kg.paths.kbest import bidijkstra
    from kg.paths.walking import Clock

    case = _random_pair(seed, n, n * 2, Constraints(directed=directed, max_degree=hubs,
                                                    exclude_predicates=frozenset(EX + p for p in exclude)))
    if case is None:
        return
    proj, s, t, comp = case
    walk = walk_arrays(proj, tables(proj))
    assert walk is not None
    assert first_path(s, t, comp, walk) == bidijkstra(proj, s, t, comp, tables(proj), set(), set(), Clock(10))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 25), directed=st.booleans(),
       exclude=st.sampled_from([(), ("cites",)]), hubs=st.sampled_from([None, 4]))
def test_the_k_best_paths_are_the_same_compiled_or_not(seed: int, n: int, directed: bool,
                                                        exclude: tuple[str, ...], hubs: int | None) -> None:
    """Whether the searches run in Python, compiled from the backward search on (``native``), or compiled
    throughout (a projection readied as a path worker readies a big one), the k best paths are the same."""
    from kg.paths.compiled import prepare
    from kg.paths.kbest import k_ranked
    from kg.paths.walking import Clock

    cons = Constraints(max_length=6, directed=directed, exclude_predicates=frozenset(EX + p for p in exclude),
                       max_degree=hubs)
    case = _random_pair(seed, n, n * 3, cons)
    if case is None:
        return
    proj, s, t, comp = case
    answers = [[(p.nodes, p.cost) for p in k_ranked(proj, s, t, comp, 5, Clock(10), tables(proj), None, native=native)]
               for native in (False, True)]
    readied = _random_pair(seed, n, n * 3, cons)
    assert readied is not None
    assert prepare(readied[0], least=0)
    proj, s, t, comp = readied
    answers.append([(p.nodes, p.cost) for p in k_ranked(proj, s, t, comp, 5, Clock(10), tables(proj), None)])
    assert answers[0] == answers[1] == answers[2]


def test_a_big_projection_is_readied_for_the_compiled_searches() -> None:
    """The path workers' warm-up readies a projection big enough for the compiled searches (and no smaller one),
    so the first k-best question does not pay for it; a question never readies one."""
    from kg.paths.compiled import COMPILED_FROM, prepare
    from kg.paths.kbest import k_ranked
    from kg.paths.walking import Clock

    quads, _ = synthetic(1, 30, 60)
    small, big = projection_from_quads(quads), projection_from_quads(quads)
    assert not prepare(small)
    assert prepare(big, least=0)
    assert len(small.out_dst) < COMPILED_FROM and "compiled-walk" not in small._memo
    assert "compiled-walk" in big._memo
    fresh = projection_from_quads(quads)
    s, t = list(fresh.nodes())[:2]
    k_ranked(fresh, s, t, compile_constraints(fresh, Constraints(), (s, t)), 3, Clock(10), tables(fresh), None)
    assert "compiled-walk" not in fresh._memo


def _random_pair(seed: int, n: int, m: int, cons: Constraints) -> tuple[Any, int, int, Any] | None:
    """A random graph (``n`` things, ``m`` relations) and two of its things, with ``cons`` compiled for them:
    (projection, s, t, compiled constraints); None if it has fewer than two things."""
    quads, _ = synthetic(seed, n, m)
    proj = projection_from_quads(quads)
    nodes = list(proj.nodes())
    if len(nodes) < 2:
        return None
    s, t = random.Random(seed).sample(nodes, 2)
    return proj, s, t, compile_constraints(proj, cons, (s, t))


def _banned_case(seed: int, n: int, m: int, directed: bool, inward: bool, exclude: tuple[str, ...] = (),
                 hubs: int | None = None) -> tuple[Any, ...] | None:
    """A random graph (``n`` things, ``m`` relations), two ends s and t, up to three banned things and some of s's
    relations banned (its outgoing ones, and with ``inward`` its incoming ones too), as a spur search sees them:
    (projection, s, t, compiled constraints, tables, banned things, banned relations); None if too small."""
    quads, _ = synthetic(seed, n, m)
    proj = projection_from_quads(quads)
    nodes = list(proj.nodes())
    if len(nodes) < 3:
        return None
    rng = random.Random(seed)
    s, t = rng.sample(nodes, 2)
    cons = Constraints(max_length=8, directed=directed, exclude_predicates=frozenset(EX + p for p in exclude),
                       max_degree=hubs)
    comp = compile_constraints(proj, cons, (s, t))
    banned = set(rng.sample([v for v in nodes if v not in (s, t)], rng.randint(0, min(3, len(nodes) - 2))))
    out = [proj.out_dst[e] for e in range(proj.out_off[s], proj.out_off[s + 1])]
    out += [proj.in_src[e] for e in range(proj.in_off[s], proj.in_off[s + 1])] if inward else []
    banned_edges = {(s, w) for w in out[: rng.randint(0, len(out))]}
    return proj, s, t, comp, tables(proj), banned, banned_edges


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 18), share=st.floats(0.0, 2.0), most=st.integers(1, 50),
       directed=st.booleans(), native=st.booleans(), exclude=st.sampled_from([(), ("cites",)]),
       hubs=st.sampled_from([None, 3]))
def test_the_spur_search_finds_what_the_bidirectional_search_finds(seed: int, n: int, share: float, most: int,
                                                                    directed: bool, native: bool,
                                                                    exclude: tuple[str, ...], hubs: int | None) -> None:
    """A spur search is A* with the costs of one backward search from the target as its estimate (grown to any
    radius, or cut at any size; in Python or compiled), and it stops where the way on from a thing is known and
    open: with things and relations banned, it must find a path exactly as cheap as the bidirectional Dijkstra
    does, or none when that finds none."""
    from kg.paths.backward import to_target
    from kg.paths.compiled import spur_search, to_target_compiled, walk_arrays
    from kg.paths.kbest import astar, bidijkstra
    from kg.paths.ranking import node_cost
    from kg.paths.walking import Clock

    case = _banned_case(seed, n, n * 2, directed, inward=False, exclude=exclude, hubs=hubs)
    if case is None:
        return
    proj, s, t, comp, tabs, banned, banned_edges = case
    expected = bidijkstra(proj, s, t, comp, tabs, banned, banned_edges, Clock(10))
    walk = walk_arrays(proj, tabs)
    if native and walk is not None:
        back = to_target_compiled(proj, t, comp, tabs, share * 10, walk, most)
        found = spur_search(s, t, comp, walk, back, banned, banned_edges)
        assert not back.scratch.banned.any() and not back.scratch.closed.any()  # left as they were found
    else:
        back = to_target(proj, t, comp, tabs, share * 10, Clock(10), most)
        found = astar(proj, s, t, comp, tabs, back, banned, banned_edges, Clock(10))
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == s and found[-1] == t and not banned & set(found)
        assert math.isclose(node_cost(proj, found, comp, tabs), node_cost(proj, expected, comp, tabs))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 18))
def test_k_best_and_all_paths_match_networkx(seed: int, n: int) -> None:
    quads, edges = synthetic(seed, n, n * 2)
    proj = projection_from_quads(quads)
    rng = random.Random(seed)
    nodes = list(proj.nodes())
    if len(nodes) < 2:
        return
    s, t = rng.sample(nodes, 2)
    cons = Constraints(max_length=4)
    comp = compile_constraints(proj, cons, (s, t))
    tabs = tables(proj)
    graph = reference(proj, edges, cons, s, t, directed=False)
    # all simple paths up to 4 hops
    expected_all = {tuple(p) for p in nx.all_simple_paths(graph, s, t, cutoff=4)}
    result = search(proj, s, t, cons, mode="all", limit=1000)
    assert {p.nodes for p in result.paths} == expected_all
    # the k best: the cheapest paths by the same cost, as networkx's Yen finds them
    weighted = nx.DiGraph()
    for u, v in graph.edges:
        for a, b in ((u, v), (v, u)):
            common = min(tabs.commonness[proj.out_pred[e]] for e, _ in proj.edge_ids_between(a, b))
            weighted.add_edge(a, b, weight=1 + BETA * common + (0 if b == t else tabs.node_pen[b]))
    costs = []
    if s in weighted and t in weighted and nx.has_path(weighted, s, t):
        for path in nx.shortest_simple_paths(weighted, s, t, weight="weight"):
            if len(path) - 1 <= 4:
                costs.append(round(nx.path_weight(weighted, path, "weight"), 6))
            if len(costs) == 5:
                break
    found = search(proj, s, t, cons, mode="k", k=5)
    assert [round(p.cost, 6) for p in found.paths] == costs
    assert all(math.isclose(p.score, 1 / p.cost) for p in found.paths)
    assert comp.max_length == 4


# --- the command line ------------------------------------------------------------------------------

def test_cli_path_and_influence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from service.cli import main

    store = str(tmp_path / "store")
    assert main(["--store", store, "build", "--no-dumps"]) == 0
    capsys.readouterr()
    assert main(["--store", store, "path", "Joseph Montville", "Oslo", "--k", "2", "--max-length", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("From Joseph V. Montville") and "1. " in out and "2. " in out and "(source: " in out
    assert main(["--store", store, "path", "Montville", "Oslo", "--exclude-predicate", "bc:coined", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["paths"] and all(h["predicate"]["iri"] != BC + "coined" for p in body["paths"] for h in p["hops"])
    assert main(["--store", store, "path", "Montvile", "Oslo"]) == 1
    assert "did you mean Joseph V. Montville" in capsys.readouterr().err
    assert main(["--store", store, "path", "Montville", "Oslo", "--k", "99"]) == 2
    assert main(["--store", store, "influence", "ranking", "--limit", "3"]) == 0
    assert "Joseph V. Montville" in capsys.readouterr().out.splitlines()[0]
    assert main(["--store", store, "influence", "lineage", "Multi-Track Diplomacy: A Systems Approach to Peace"]) == 0
    assert "John W. McDonald" in capsys.readouterr().out
    for command in (["path", "--help"], ["influence", "--help"]):
        with pytest.raises(SystemExit) as done:
            main(command)
        assert done.value.code == 0
        assert "usage: backchannel" in capsys.readouterr().out


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(3, 14), directed=st.booleans(), most=st.integers(1, 20))
def test_a_target_said_walled_off_is_unreachable(seed: int, n: int, directed: bool, most: int) -> None:
    """`cut_off` may say "walled off" only when the bidirectional search finds no path under the same bans."""
    from kg.paths.kbest import bidijkstra, cut_off
    from kg.paths.walking import Clock

    case = _banned_case(seed, n, n + n // 2, directed, inward=not directed)
    if case is None:
        return
    proj, s, t, comp, tabs, banned, banned_edges = case
    if cut_off(proj, s, t, comp, banned, banned_edges, most):
        assert bidijkstra(proj, s, t, comp, tabs, banned, banned_edges, Clock(10)) is None


def test_a_spur_search_to_a_walled_off_leaf_gives_up_at_once() -> None:
    """Regression: a k-best question whose target is a leaf (one relation) ran past its time limit on the bench's
    1M-relation graph, because the spur search from the leaf's neighbour, with that one relation banned, walked the
    whole graph to learn there was no way. It is now answered "no path" before any search step (a clock that has
    already run out would stop a search at its first check)."""
    from kg.paths.backward import to_target
    from kg.paths.kbest import astar, cheapest
    from kg.paths.walking import Clock

    rng = random.Random(3)
    quads = [ox.Quad(ox.NamedNode(f"{EX}n{a}"), ox.NamedNode(EX + "knows"), ox.NamedNode(f"{EX}n{b}"))
             for a, b in ((rng.randrange(500), rng.randrange(500)) for _ in range(3000)) if a != b]
    quads.append(ox.Quad(ox.NamedNode(f"{EX}n0"), ox.NamedNode(EX + "knows"), ox.NamedNode(f"{EX}leaf")))
    proj = projection_from_quads(quads)
    u, leaf = proj.node(f"{EX}n0"), proj.node(f"{EX}leaf")
    assert u is not None and leaf is not None
    comp = compile_constraints(proj, Constraints(max_length=8), (u, leaf))
    tabs = tables(proj)
    back = to_target(proj, leaf, comp, tabs, 5.0, Clock(10))
    spent = Clock(0.0)
    assert cheapest(proj, u, leaf, comp, tabs, 8, set(), {(u, leaf)}, spent, back=back) is None
    with pytest.raises(SearchTimeout):  # what the search alone would do: it starts walking the graph
        astar(proj, u, leaf, comp, tabs, back, set(), {(u, leaf)}, spent)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 7), st.integers(0, 2**40)), max_size=60))
def test_the_projection_orders_rows_as_lexsort_does(rows: list[tuple[int, int, int]]) -> None:
    """The packed-key sort of the projection build gives ``np.lexsort``'s stable order: packed (narrow keys, many
    ties), packed or not (up to 21 + 3 + 41 bits) and too wide to pack (41 bits twice)."""
    import numpy as np

    columns = [np.array([row[i] for row in rows], dtype=np.int64) for i in range(3)]
    assert _order(*columns).tolist() == np.lexsort(columns[::-1]).tolist()
    narrow = [column % 1000 for column in columns]  # 10 bits each: always packed
    assert _order(*narrow).tolist() == np.lexsort(narrow[::-1]).tolist()
    wide = [columns[2], columns[2], columns[1]]
    assert _order(*wide).tolist() == np.lexsort(wide[::-1]).tolist()


def _content(proj: Projection) -> dict[str, Any]:
    """What a projection says, by IRI (node ids depend on the order the quads were read in)."""
    iri = proj.iris.__getitem__
    edges = {(iri(v), proj.predicates[proj.out_pred[e]], iri(proj.out_dst[e]),
              frozenset(proj.graphs[g] for g in proj.extra_graphs.get(e, (proj.out_graph[e],))))
             for v in range(len(proj.out_off) - 1) for e in range(proj.out_off[v], proj.out_off[v + 1])}
    return {
        "edges": edges,
        "alive": {iri(v) for v in proj.nodes()},
        "labels": {iri(v): label for v, label in proj.labels.items()},
        "alt_labels": {iri(v): labels for v, labels in proj.alt_labels.items()},
        "dates": {iri(v): date for v, date in proj.dates.items()},
        "kinds": {iri(v): kind for v, kind in proj.kinds.items()},
        "types": {iri(v): set(types) for v, types in proj.types.items()},
        "same_as": {iri(v): links for v, links in proj.same_as.items()},
        "sentences": {iri(v): text for v, text in proj.sentence_labels.items()},
        "plural": {iri(v) for v in proj.plural},
        "relation_dates": {(iri(u), iri(v)): d for (u, v), d in proj.relation_dates.items()},
        "properties": proj.properties,
        "graph_labels": proj.graph_labels,
    }


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_the_fast_build_says_what_the_quads_say(kg_store: OxigraphStore, compiled: bool) -> None:
    """The build from Oxigraph's TSV (the one every server runs, its cells numbered in Python on small stores and in
    compiled code on big ones) and the build from the quads one by one give the same projection, IRI for IRI, on the
    seed graph."""
    fast = build_projection(kg_store, compiled=compiled)
    slow = projection_from_quads(kg_store.quads(), fast.version)
    assert _content(fast) == _content(slow)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), labels=st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=8))
def test_the_fast_build_reads_any_literal_and_skips_blank_nodes(seed: int, labels: list[str]) -> None:
    """Labels with tabs, newlines, quotes, backslashes and any other text, language tags, typed and numeric literals,
    blank nodes as subject or object, triple terms as object, non-ASCII IRIs: the build from TSV keeps what the build
    from quads keeps, from a store in memory or on disk, its cells numbered in Python or in compiled code."""
    rng = random.Random(seed)
    quads, _ = synthetic(seed, 12, 24)
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    date = ox.NamedNode(BC + "date")
    nodes = [ox.NamedNode(f"{EX}n{i}") for i in range(12)]
    for i, text in enumerate(labels):
        graph = ox.NamedNode(f"{EX}g{i % 2}")
        lang = rng.choice([None, "en", "fr"])
        quads.append(ox.Quad(rng.choice(nodes), label, ox.Literal(text, language=lang), graph))
        quads.append(ox.Quad(ox.BlankNode(), label, ox.Literal(text), graph))
        quads.append(ox.Quad(rng.choice(nodes), ox.NamedNode(EX + "knows"), ox.BlankNode(), graph))
    year = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
    quads.append(ox.Quad(nodes[0], date, ox.Literal("1993", datatype=year), ox.NamedNode(EX + "g0")))
    quads.append(ox.Quad(nodes[1], ox.NamedNode(EX + "count"), ox.Literal(12), ox.DefaultGraph()))
    quads.append(ox.Quad(nodes[2], ox.NamedNode(EX + "says"), ox.Triple(nodes[3], label, ox.Literal(labels[0])),
                         ox.NamedNode(EX + "g1")))
    quads.append(ox.Quad(ox.NamedNode(f"{EX}caf\u00e9-{seed}"), ox.NamedNode(EX + "knows"), nodes[4],
                         ox.NamedNode(EX + "g0")))
    expected = _content(projection_from_quads(quads, "v"))
    with tempfile.TemporaryDirectory() as folder:
        for location in (":memory:", folder + "/store"):  # (on disk, each graph is read one predicate at a time)
            store = OxigraphStore(location)
            try:
                store.raw.extend(quads)
                for compiled in (False, True):
                    assert _content(build_projection(store, "v", compiled)) == expected, (location, compiled)
            finally:
                store.close()
