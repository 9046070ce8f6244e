"""Influence: lineage, what a thing influenced, and the ranking, on the seed and on small graphs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.paths.builder import build_projection, projection_from_quads
from kg.paths.influence import centrality, influence_graph, influenced, lineage, ranking, scores
from kg.paths.model import PathRequestError
from kg.paths.names import name_index
from kg.paths.projection import Projection
from kg.paths.relations import INFLUENCE
from kg.store.embedded import OxigraphStore

PROV = "http://www.w3.org/ns/prov#"
BC = "https://w3id.org/backchannel/def#"


@pytest.fixture(scope="module")
def proj(kg_store: OxigraphStore) -> Projection:
    return build_projection(kg_store)


def test_lineage_of_multi_track_diplomacy_holds_its_authors_and_montville_with_cited_hops(proj: Projection,
                                                                                          base_iri: str) -> None:
    """Regression (issue 13): the lineage had Track Two and Montville but not the model's authors."""
    model = name_index(proj).resolve("Multi-Track Diplomacy")
    by_label = {proj.label(e.node): e for e in lineage(proj, model)}
    assert by_label["Multi-Track Diplomacy: A Systems Approach to Peace"].depth == 1
    assert by_label["Track Two diplomacy"].depth == 1
    assert by_label["Louise Diamond"].depth == 2 and by_label["John W. McDonald"].depth == 2
    montville = by_label["Joseph V. Montville"]
    assert montville.depth == 2 and len(montville.hops) == 2
    assert montville.hops[0].source == model and montville.hops[-1].target == montville.node
    for hop in montville.hops:
        graphs = [proj.graphs[g] for g in proj.edge_graphs(hop.edge)]
        assert base_iri + "id/source/track-two-diplomacy" in graphs


def test_agreement_is_not_influence(proj: Projection) -> None:
    """Regression (issue 13): McDonald "seconding" Montville's assumption in 2003-04 made Montville an influence
    on McDonald's 1987 and 1996 books."""
    index = name_index(proj)
    book = index.resolve("Conflict Resolution: Track Two Diplomacy")
    assert "Joseph V. Montville" not in {proj.label(e.node) for e in lineage(proj, book)}
    assert lineage(proj, index.resolve("John W. McDonald")) == []
    assert not any(proj.predicates[proj.out_pred[e]] not in INFLUENCE for e in _influence_edges(proj))


def _influence_edges(proj: Projection) -> set[int]:
    return {e for links in influence_graph(proj).influencers.values() for _, e, _ in links}


def test_influenced_is_the_inverse_of_lineage(proj: Projection) -> None:
    montville = name_index(proj).resolve("Montville")
    forward = {e.node for e in influenced(proj, montville)}
    assert forward
    for v in forward:
        assert montville in {e.node for e in lineage(proj, v)}


def test_ranking_puts_montville_first_and_agrees_with_what_each_influenced(proj: Projection) -> None:
    """Regression (issue 13): the ranking was a PageRank over every relation, so the State Department ranked #2
    and 14 of the top 20 had influenced nothing."""
    ranked = ranking(proj, 20)
    assert proj.label(ranked[0].node) == "Joseph V. Montville"
    assert ranked[0].direct >= 3 and ranked[0].transitive >= ranked[0].direct
    assert ranked[0].reason.startswith("influenced 9 things, 8 of them directly (")
    assert [r.transitive for r in ranked] == sorted((r.transitive for r in ranked), reverse=True)
    assert all(r.transitive >= 1 for r in ranked)
    assert all(proj.kind(r.node) in ("person", "work", "concept") for r in ranked)
    assert "United States Department of State" not in {proj.label(r.node) for r in ranked}
    assert {"John W. McDonald", "Louise Diamond", "Foreign Policy According to Freud", "Track Two diplomacy"} <= {
        proj.label(r.node) for r in ranked}


def test_graph_centrality_keeps_its_own_name(proj: Projection) -> None:
    central = centrality(proj, 5)
    assert central and all(r.reason.startswith("graph centrality (not influence)") for r in central)
    assert central is ranking(proj, 5, measure="centrality")
    with pytest.raises(PathRequestError, match="not a measure"):
        ranking(proj, 5, measure="fame")


def test_scores_are_computed_once_per_projection(proj: Projection) -> None:
    assert scores(proj) is scores(proj)
    assert ranking(proj, 5) is ranking(proj, 5)


def test_influence_only_along_the_listed_relations_their_sub_properties_and_inverses() -> None:
    def q(s: str, p: str, o: str | ox.Literal) -> ox.Quad:
        obj = o if isinstance(o, ox.Literal) else ox.NamedNode(o if o.startswith("http") else "http://x/" + o)
        subject = ox.NamedNode(s if s.startswith("http") else "http://x/" + s)
        return ox.Quad(subject, ox.NamedNode(p if p.startswith("http") else "http://x/" + p), obj)

    quads = [
        q("b", PROV + "wasInfluencedBy", "a"),        # b influenced by a
        q("a", BC + "coined", "z"),                   # z (a concept) influenced by a
        q("c", "builtOn", "b"),                        # minted: builtOn ⊑ wasInfluencedBy
        q("http://x/builtOn", "http://www.w3.org/2000/01/rdf-schema#subPropertyOf", PROV + "wasInfluencedBy"),
        q("d", "shaped", "c"),                         # minted: shaped is the inverse of wasInfluencedBy
        q("http://x/shaped", "http://www.w3.org/2002/07/owl#inverseOf", PROV + "wasInfluencedBy"),
        q("e", PROV + "wasDerivedFrom", "d"),          # PROV-O files these under influence; we do not
        q("d", PROV + "wasAssociatedWith", "e"),
        q("e", BC + "agreesWith", "d"),                # agreement is not influence
        q("e", "knows", "d"),                          # no influence
    ]
    proj = projection_from_quads(quads)
    c = proj.node("http://x/c")
    assert c is not None
    assert [proj.label(e.node) for e in lineage(proj, c)] == ["b", "d", "a"]
    a = proj.node("http://x/a")
    assert a is not None
    assert {proj.label(e.node) for e in influenced(proj, a)} == {"b", "z", "c"}
    assert influence_graph(proj).edges == 4


def test_limits_are_checked(proj: Projection) -> None:
    montville = name_index(proj).resolve("Montville")
    with pytest.raises(PathRequestError, match="between 1 and 8"):
        lineage(proj, montville, max_depth=9)
    with pytest.raises(PathRequestError, match="between 1 and 100"):
        ranking(proj, 101)
