"""Influence: lineage, what a thing influenced, and the ranking, on the seed and on small graphs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.paths.builder import build_projection, projection_from_quads
from kg.paths.influence import influence_graph, influenced, lineage, ranking, scores
from kg.paths.model import PathRequestError
from kg.paths.names import name_index
from kg.paths.projection import Projection
from kg.store.embedded import OxigraphStore

PROV = "http://www.w3.org/ns/prov#"
BC = "https://w3id.org/backchannel/def#"


@pytest.fixture(scope="module")
def proj(kg_store: OxigraphStore) -> Projection:
    return build_projection(kg_store)


def test_lineage_of_multi_track_diplomacy_reaches_montville_with_cited_hops(proj: Projection, base_iri: str) -> None:
    book = name_index(proj).resolve("Multi-Track Diplomacy: A Systems Approach to Peace")
    entries = lineage(proj, book)
    by_label = {proj.label(e.node): e for e in entries}
    assert by_label["John W. McDonald"].depth == 1
    assert by_label["Louise Diamond"].depth == 1
    montville = by_label["Joseph V. Montville"]
    assert montville.depth == 2 and len(montville.hops) == 2
    assert montville.hops[0].source == book and montville.hops[-1].target == montville.node
    for hop in montville.hops:
        graphs = [proj.graphs[g] for g in proj.edge_graphs(hop.edge)]
        assert base_iri + "id/source/track-two-diplomacy" in graphs


def test_influenced_is_the_inverse_of_lineage(proj: Projection) -> None:
    montville = name_index(proj).resolve("Montville")
    forward = {e.node for e in influenced(proj, montville)}
    assert forward
    for v in forward:
        assert montville in {e.node for e in lineage(proj, v)}


def test_ranking_puts_montville_first_with_reasons(proj: Projection) -> None:
    ranked = ranking(proj, 5)
    assert proj.label(ranked[0].node) == "Joseph V. Montville"
    assert ranked[0].direct >= 3 and ranked[0].transitive >= ranked[0].direct
    assert "directly" in ranked[0].reason and "betweenness" in ranked[0].reason
    assert [r.pagerank for r in ranked] == sorted((r.pagerank for r in ranked), reverse=True)
    assert all(proj.kind(r.node) in ("person", "org", "work") for r in ranked)


def test_scores_are_computed_once_per_projection(proj: Projection) -> None:
    assert scores(proj) is scores(proj)
    assert ranking(proj, 5) is ranking(proj, 5)


def test_influence_directions_from_prov_implies_and_sub_properties() -> None:
    def q(s: str, p: str, o: str | ox.Literal) -> ox.Quad:
        obj = o if isinstance(o, ox.Literal) else ox.NamedNode(o if o.startswith("http") else "http://x/" + o)
        subject = ox.NamedNode(s if s.startswith("http") else "http://x/" + s)
        return ox.Quad(subject, ox.NamedNode(p if p.startswith("http") else "http://x/" + p), obj)

    quads = [
        q("b", PROV + "wasDerivedFrom", "a"),          # b influenced by a
        q("a", PROV + "generated", "z"),              # z influenced by a (inverse)
        q("c", "builtOn", "b"),                        # minted: builtOn ⊑ wasInfluencedBy
        q("http://x/builtOn", "http://www.w3.org/2000/01/rdf-schema#subPropertyOf", "http://www.w3.org/ns/prov#wasInfluencedBy"),
        q("d", "seconds", "c"),                        # bc:impliesInfluence true
        q("http://x/seconds", BC + "impliesInfluence", ox.Literal("true")),
        q("e", "knows", "d"),                          # no influence
    ]
    proj = projection_from_quads(quads)
    d = proj.node("http://x/d")
    assert d is not None
    assert [proj.label(e.node) for e in lineage(proj, d)] == ["c", "b", "a"]
    a = proj.node("http://x/a")
    assert a is not None
    assert {proj.label(e.node) for e in influenced(proj, a)} == {"b", "z", "c", "d"}
    assert influence_graph(proj).edges == 4


def test_limits_are_checked(proj: Projection) -> None:
    montville = name_index(proj).resolve("Montville")
    with pytest.raises(PathRequestError, match="between 1 and 8"):
        lineage(proj, montville, max_depth=9)
    with pytest.raises(PathRequestError, match="between 1 and 100"):
        ranking(proj, 101)
