"""Path search from SPARQL: ``SERVICE bc:paths { … }`` on the live endpoint, combined with ordinary patterns."""

from __future__ import annotations

import httpx

from tests.support import LiveServer

QUERY = """
SELECT ?path ?hop ?subjectLabel ?p ?objectLabel ?g WHERE {
  SERVICE bc:paths { [] bc:from "Joseph Montville" ; bc:to "Oslo Accords" ; bc:k 3 ;
                        bc:path ?path ; bc:hop ?hop ; bc:subject ?s ; bc:predicate ?p ; bc:object ?o ; bc:graph ?g }
  ?s rdfs:label ?subjectLabel . ?o rdfs:label ?objectLabel .
} ORDER BY ?path ?hop
"""


def ask(server: LiveServer, query: str) -> httpx.Response:
    return httpx.post(server.url + "sparql", data={"query": query},
                      headers={"Accept": "application/sparql-results+json"}, timeout=60)


def test_paths_service_answers_hops_joined_with_labels_and_cited(server: LiveServer) -> None:
    response = ask(server, QUERY)
    assert response.status_code == 200, response.text
    rows = response.json()["results"]["bindings"]
    assert rows, "paths were found"
    labels = {row["subjectLabel"]["value"] for row in rows} | {row["objectLabel"]["value"] for row in rows}
    assert "Joseph V. Montville" in labels
    assert any("Oslo" in label for label in labels)
    graphs = {row["g"]["value"] for row in rows}  # each hop cited to the source graph that states it
    assert server.url + "id/source/track-two-diplomacy" in graphs
    assert all(g.startswith(server.url + "id/source/") for g in graphs), graphs
    assert len({row["path"]["value"] for row in rows}) >= 2, "k=3 gives several paths"


def test_paths_service_unknown_name_is_a_404_with_the_reason(server: LiveServer) -> None:
    response = ask(server, 'SELECT ?s { SERVICE bc:paths { [] bc:from "Nobody At All Xyz" ; bc:to "Oslo" ; '
                           "bc:subject ?s } }")
    assert response.status_code == 404
    assert "bc:paths" in response.json()["detail"]


def test_paths_service_with_a_wrong_property_is_a_400(server: LiveServer) -> None:
    response = ask(server, 'SELECT ?s { SERVICE bc:paths { [] bc:from "Montville" ; bc:to "Oslo" ; bc:colour ?s } }')
    assert response.status_code == 400
    assert "bc:colour" in response.json()["detail"]


def test_a_real_service_is_still_refused_by_the_federation_guard(server: LiveServer) -> None:
    response = ask(server, "SELECT * { SERVICE <http://169.254.169.254/latest/meta-data/> { ?s ?p ?o } }")
    assert response.status_code == 403


def test_paths_service_with_a_non_numeric_k_is_a_400_not_a_500(server: LiveServer) -> None:
    """Regression: a non-integer bc:k raised ValueError, which the endpoint did not map."""
    response = ask(server, 'SELECT ?s { SERVICE bc:paths { [] bc:from "Montville" ; bc:to "Oslo" ; bc:k "abc" ; '
                           "bc:subject ?s } }")
    assert response.status_code == 400, response.text
    assert "bc:k" in response.json()["detail"]
