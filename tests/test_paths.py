"""Projection and path search: on the seed graph, and checked against networkx on synthetic graphs."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.paths.builder import ProjectionCache, build_projection, projection_from_quads
from kg.paths.constraints import compile_constraints, make_constraints
from kg.paths.explain import path_json, path_text, result_json
from kg.paths.model import MAX_K, Constraints, PathRequestError, SearchTimeout
from kg.paths.names import name_index
from kg.paths.projection import Projection
from kg.paths.ranking import BETA, tables
from kg.paths.search import search, shortest_length
from kg.paths.sparql_service import expand_path_service
from kg.store.base import term_value
from kg.store.embedded import OxigraphStore

BC = "https://w3id.org/backchannel/def#"
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


def test_qualified_attribution_folds_into_a_direct_relation(proj: Projection, base_iri: str) -> None:
    work = proj.node(base_iri + "id/work/foreign-policy-according-to-freud")
    assert work is not None
    attributed = [e for e in proj.out_edges(work) if e.predicate_iri == "http://www.w3.org/ns/prov#wasAttributedTo"]
    assert {e.object_label for e in attributed} >= {"Joseph V. Montville", "W. D. Davidson"}
    assert all(e.graph_iris == (base_iri + "id/source/track-two-diplomacy",) for e in attributed)


def test_same_as_to_external_iris_is_a_node_attribute(proj: Projection) -> None:
    linked = [v for v, links in proj.same_as.items() if any("dbpedia.org" in link for link in links)]
    assert linked, "the seed links things to DBpedia"
    assert "http://www.w3.org/2002/07/owl#sameAs" not in proj.pred_index or all(
        "dbpedia.org" not in proj.iris[proj.out_dst[e]]
        for e in range(proj.edge_count) if proj.predicates[proj.out_pred[e]].endswith("#sameAs")
    )


def test_montville_links_to_oslo_through_track_two_and_the_accords(proj: Projection, base_iri: str) -> None:
    montville, oslo = node(proj, "Joseph Montville"), node(proj, "Oslo")
    assert proj.iris[oslo] == base_iri + "id/work/oslo-accords"
    result = search(proj, montville, oslo, make_constraints(proj, max_length=4), mode="k", k=5)
    track_two = proj.node("https://w3id.org/backchannel/def/track/track-two")
    through = [p for p in result.paths if track_two in p.nodes]
    assert through, [path_text(proj, p) for p in result.paths]
    article = base_iri + "id/source/track-two-diplomacy"
    for path in through:
        described = path_json(proj, path)
        nodes, hops, text = described["nodes"], described["hops"], described["text"]
        assert isinstance(nodes, list) and isinstance(hops, list) and isinstance(text, str)
        assert nodes[0]["label"] == "Joseph V. Montville"
        assert nodes[-1]["label"] == "Oslo Accords"
        for hop in hops:
            assert article in [s["iri"] for s in hop["sources"]], hop
            assert hop["direction"] in ("forward", "backward")
        assert "Joseph V. Montville coined Track Two diplomacy" in text
    all_hops = [h for p in through for h in hops_of(path_json(proj, p))]
    backward = [h for h in all_hops if h["direction"] == "backward"]
    assert backward and all(h["reading"] == proj.prop(h["predicate"]["iri"]).inverse_label for h in backward)


def test_k5_gives_five_distinct_ranked_paths_with_reasons(proj: Projection) -> None:
    result = search(proj, node(proj, "Montville"), node(proj, "Oslo"), mode="k", k=5)
    assert len(result.paths) == 5
    assert len({p.nodes for p in result.paths}) == 5
    scores = [p.score for p in result.paths]
    assert scores == sorted(scores, reverse=True)
    assert all(p.reasons for p in result.paths)
    assert any("passes through hub" in r for p in result.paths for r in p.reasons)
    assert any("rare predicate 'coined'" in r for p in result.paths for r in p.reasons)


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
    montville, oslo = node(proj, "Montville"), node(proj, "Oslo")
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
    assert all(term_value(r["g"]) == base_iri + "id/source/track-two-diplomacy" for r in first)
    assert {term_value(r["dir"]) for r in rows} <= {"forward", "backward"}


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
