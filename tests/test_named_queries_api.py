"""Named queries over HTTP: GET /api/queries[/{name}[.rq]] on a live server, formats, paging, errors, OpenAPI."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sized
from pathlib import Path

import httpx
import pytest

from kg.settings import PROJECT_ROOT
from kg.store.base import Store
from tests.support import LiveServer, start_server

NAMES = sorted(p.stem for p in (PROJECT_ROOT / "queries").glob("*.rq"))
MONTVILLE_WORKS = [
    "Foreign Policy According to Freud",
    "Track Two Diplomacy: The Arrow and the Olive Branch",
    "Track two diplomacy: The work of healing history",
]
HOSTILE = ['"', "'", "}", "} ; DROP ALL", '"> . ?s ?p ?o', "x\" } ; DROP ALL ; INSERT DATA { <urn:a> <urn:b> 1 } #",
           "line one\nline two", "ünïcødé ✓ 🕊", "<http://evil/> <http://evil/> <http://evil/> ."]


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def links(response: httpx.Response) -> dict[str, str]:
    """The Link header as {rel: url}."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', response.headers.get("link", ""))}


def problem_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    return body["detail"]


# --- the list and the texts --------------------------------------------------------------------


def test_list_names_every_query_with_working_urls(client: httpx.Client, server: LiveServer) -> None:
    response = client.get("/api/queries")
    assert response.status_code == 200
    listed = {q["name"]: q for q in response.json()["queries"]}
    assert sorted(listed) == NAMES and len(NAMES) >= 14
    works = listed["works-by-person"]
    assert works["summary"] == "Works of a person, in year order"
    assert works["url"] == server.url + "api/queries/works-by-person"
    assert works["example_url"] == server.url + "api/queries/works-by-person?person=id%2Fperson%2Fjoseph-v-montville"
    assert works["params"] == [{"name": "person", "type": "iri", "description": "the person", "required": True,
                                "example": "id/person/joseph-v-montville"}]
    assert "works" in works["tags"] and works["paging"] is True
    for query in listed.values():
        answer = client.get(query["example_url"])
        assert answer.status_code == 200 and answer.json(), query["name"]


def test_query_text_is_served(client: httpx.Client) -> None:
    text = client.get("/api/queries/works-by-person.rq")
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("application/sparql-query")
    assert text.text.startswith("#+ summary: Works of a person") and "SELECT DISTINCT ?person ?work" in text.text
    assert client.get("/api/queries/works-by-person", params={"format": "sparql"}).text == text.text


def test_unknown_query_is_404(client: httpx.Client) -> None:
    assert "no named query 'nope'" in problem_of(client.get("/api/queries/nope"), 404)
    problem_of(client.get("/api/queries/nope.rq"), 404)


# --- formats ---------------------------------------------------------------------------------


MONTVILLE = {"person": "id/person/joseph-v-montville"}


def test_records_are_the_default(client: httpx.Client, server: LiveServer) -> None:
    for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        response = client.get("/api/queries/works-by-person", params=MONTVILLE, headers=headers)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        rows = response.json()
        expected = list(zip(MONTVILLE_WORKS, [1981, 1991, 2006], strict=True))
        assert [(r["workLabel"], r["year"]) for r in rows] == expected
        assert rows[0]["person"] == server.url + "id/person/joseph-v-montville"
        assert rows[0]["labels"] == {"work": MONTVILLE_WORKS[0], "partOf": "Foreign Policy"}
    assert client.get("/api/queries/works-by-person", params=MONTVILLE | {"format": "records"}).json() == rows


@pytest.mark.parametrize(
    ("accept", "fmt", "media"),
    [
        ("application/sparql-results+json", "json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "xml", "application/sparql-results+xml"),
        ("text/csv", "csv", "text/csv"),
        ("text/tab-separated-values", "tsv", "text/tab-separated-values"),
    ],
)
def test_every_sparql_result_format(client: httpx.Client, accept: str, fmt: str, media: str) -> None:
    by_accept = client.get("/api/queries/works-by-person", params=MONTVILLE, headers={"Accept": accept})
    by_param = client.get("/api/queries/works-by-person", params=MONTVILLE | {"format": fmt})
    for response in (by_accept, by_param):
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media
        assert "Accept" in response.headers["vary"]
    assert by_accept.content == by_param.content
    body = by_accept.text
    if fmt == "json":
        titles = [b["workLabel"]["value"] for b in by_accept.json()["results"]["bindings"]]
    elif fmt == "xml":
        ns = {"s": "http://www.w3.org/2005/sparql-results#"}
        root = ET.fromstring(by_accept.content)
        titles = [r.findtext("s:binding[@name='workLabel']/s:literal", "", ns)
                  for r in root.iterfind(".//s:result", ns)]
    elif fmt == "csv":
        titles = [row["workLabel"] for row in csv.DictReader(io.StringIO(body))]
    else:
        header, *lines = body.splitlines()
        column = header.split("\t").index("?workLabel")
        titles = [line.split("\t")[column].split('"')[1] for line in lines]
    assert titles == MONTVILLE_WORKS


def test_unsupported_format_is_406(client: httpx.Client) -> None:
    problem_of(client.get("/api/queries/works-by-person", params=MONTVILLE, headers={"Accept": "image/png"}), 406)
    turtle = client.get("/api/queries/works-by-person", params=MONTVILLE | {"format": "ttl"})
    assert "format='ttl'" in problem_of(turtle, 406)


# --- paging ----------------------------------------------------------------------------------


def test_pages_follow_link_headers_and_add_up(client: httpx.Client) -> None:
    everything = client.get("/api/queries/search-labels", params={"text": "diplomacy", "per_page": 1000}).json()
    assert len(everything) > 5
    url: str | None = "/api/queries/search-labels?text=diplomacy&per_page=2"
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        rel = links(response)
        assert rel["first"].endswith("page=1&per_page=2") and "text=diplomacy" in rel["first"]
        assert ("prev" in rel) == (pages > 0)
        seen += response.json()
        pages += 1
        url = rel.get("next")
    assert seen == everything
    assert pages == (len(everything) + 1) // 2


def test_absolute_urls_come_from_the_configured_base_not_the_host_header(client: httpx.Client,
                                                                         server: LiveServer) -> None:
    """Regression: the Host header was reflected into the paging Link header, the listing's url fields and the
    redirect of a trailing slash; every absolute URL we write comes from the configured base IRI."""
    evil = {"Host": "attacker.example"}
    paged = client.get("/api/queries/search-labels", params={"text": "diplomacy", "per_page": 2}, headers=evil)
    assert paged.status_code == 200 and set(links(paged)) == {"first", "next"}
    assert all(url.startswith(server.url + "api/queries/search-labels?") for url in links(paged).values())
    listed = client.get("/api/queries", headers=evil)
    for query in listed.json()["queries"]:
        assert all(query[key].startswith(server.url) for key in ("url", "example_url", "sparql_url"))
    redirect = client.get("/api/queries/", headers=evil, follow_redirects=False)
    assert redirect.status_code in (307, 308) and redirect.headers["location"] == server.url + "api/queries"
    for response in (paged, listed, redirect):
        assert "attacker.example" not in response.text + str(response.headers)


def test_paging_an_exact_multiple_has_no_empty_last_page(client: httpx.Client) -> None:
    rows = client.get("/api/queries/multi-track-diplomacy-tracks").json()
    assert len(rows) == 9 and "link" not in client.get("/api/queries/multi-track-diplomacy-tracks").headers
    first = client.get("/api/queries/things-by-kind", params={"kind": "place", "per_page": 14})
    assert len(first.json()) == 14 and "next" not in links(first)
    second = client.get("/api/queries/things-by-kind", params={"kind": "place", "per_page": 7, "page": 2})
    assert len(second.json()) == 7 and "next" not in links(second) and "prev" in links(second)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("timeline", {"from": "nineteen-ninety"}, "'nineteen-ninety' is not a year"),
        ("timeline", {"works": "perhaps"}, "is not a boolean"),
        ("things-by-kind", {"kind": "planet"}, "'planet' is not allowed; use one of: person, org"),
        ("track-actors", {"track": "track-seventeen"}, "use one of:"),
        ("works-by-person", {"person": "Montville", "colour": "red"}, "unknown parameter 'colour'"),
        ("works-by-person", {}, "person"),
        ("works-by-person", {"person": "http://ex.org/a b"}, "not a valid IRI"),
        ("works-by-person", {"person": "Nobody At All"}, "nothing is labelled 'Nobody At All'"),
        ("works-by-person", {"person": "Montville", "per_page": "5000"}, "per_page must be an integer from 1 to 1000"),
        ("works-by-person", {"person": "Montville", "page": "0"}, "page must be a whole number"),
        ("multi-track-diplomacy-tracks", {"page": "2"}, "not paged"),
    ],
)
def test_bad_parameters_are_400_with_what_to_fix(client: httpx.Client, path: str, params: dict[str, str],
                                                 message: str) -> None:
    assert message in problem_of(client.get(f"/api/queries/{path}", params=params), 400)


def test_a_repeated_parameter_is_400(client: httpx.Client) -> None:
    response = client.get("/api/queries/works-by-person?person=Montville&person=McDonald")
    assert "'person' is given more than once" in problem_of(response, 400)


def test_names_resolve_to_iris(client: httpx.Client) -> None:
    expected = client.get("/api/queries/works-by-person", params=MONTVILLE).json()
    for value in ("Joseph V. Montville", "montville", "bc-person:joseph-v-montville", "joseph-v-montville"):
        assert client.get("/api/queries/works-by-person", params={"person": value}).json() == expected, value


def quad_count(store: Store) -> int:
    assert isinstance(store, Sized)  # both stores count their quads
    return len(store)


def test_hostile_values_are_refused_or_inert_and_change_nothing(client: httpx.Client, server: LiveServer) -> None:
    before = quad_count(server.store)
    for value in HOSTILE:
        refused = client.get("/api/queries/works-by-person", params={"person": value})
        assert refused.status_code == 400, value
        found = client.get("/api/queries/search-labels", params={"text": value})
        assert found.status_code == 200, value
        assert all(value.lower() in r["matchedLabel"].lower() for r in found.json()), value
        bad_year = client.get("/api/queries/timeline", params={"from": value})
        assert bad_year.status_code == 400, value
        bad_kind = client.get("/api/queries/things-by-kind", params={"kind": value})
        assert bad_kind.status_code == 400, value
    assert quad_count(server.store) == before
    assert client.get("/api/queries/search-labels", params={"text": '"> . ?s ?p ?o'}).json() == []


# --- OpenAPI and /docs ----------------------------------------------------------------------------


def test_openapi_has_one_documented_operation_per_query(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for name in NAMES:
        operation = spec["paths"][f"/api/queries/{name}"]["get"]
        assert operation["summary"] and operation["operationId"] == "query_" + name.replace("-", "_")
        declared = {p["name"]: p for p in operation["parameters"]}
        assert "format" in declared
        assert set(operation["responses"]["200"]["content"]) >= {
            "application/json", "application/sparql-results+json", "text/csv"}
    works = {p["name"]: p for p in spec["paths"]["/api/queries/works-by-person"]["get"]["parameters"]}
    assert works["person"]["required"] is True and works["person"]["description"].startswith("the person")
    assert works["person"]["examples"]["example"]["value"] == "id/person/joseph-v-montville"
    assert works["per_page"]["schema"]["maximum"] == 1000
    timeline = {p["name"]: p for p in spec["paths"]["/api/queries/timeline"]["get"]["parameters"]}
    assert timeline["from"]["schema"]["type"] == "integer" and timeline["from"]["required"] is False
    assert timeline["works"]["schema"] == {"type": "boolean", "default": False}
    kinds = {p["name"]: p for p in spec["paths"]["/api/queries/things-by-kind"]["get"]["parameters"]}
    assert kinds["kind"]["schema"]["enum"] == ["person", "org", "place", "work", "event", "process", "source"]
    tracks = {p["name"]: p for p in spec["paths"]["/api/queries/track-actors"]["get"]["parameters"]}
    assert "track-two" in tracks["track"]["schema"]["enum"] and len(tracks["track"]["schema"]["enum"]) == 14
    assert "/api/queries" in spec["paths"]


def test_every_documented_example_works(client: httpx.Client) -> None:
    """What /docs "Try it out" sends: the example of every parameter that has one."""
    spec = client.get("/openapi.json").json()
    for name in NAMES:
        params = {p["name"]: p["examples"]["example"]["value"]
                  for p in spec["paths"][f"/api/queries/{name}"]["get"]["parameters"] if "examples" in p}
        response = client.get(f"/api/queries/{name}", params=params)
        assert response.status_code == 200 and response.json(), name


def test_docs_page_loads_the_spec(client: httpx.Client) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text


# --- a server of our own: ambiguity, time limit ----------------------------------------------------


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("queries")
    (folder / "who.rq").write_text(
        "#+ summary: Who is it\n#+ params: [{name: who, type: iri, description: a person, example: Ada}]\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?who ?label { ?who rdfs:label ?label }\n")
    (folder / "slow.rq").write_text(
        "#+ summary: Too slow\nSELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }\n")
    live = start_server(queries_dir=folder, query_timeout=1.0)
    live.store.add_to_graph(live.url + "id/source/people", (
        f'<{live.url}id/person/bob-1> <http://www.w3.org/2000/01/rdf-schema#label> "Bob" .\n'
        f'<{live.url}id/person/bob-2> <http://www.w3.org/2000/01/rdf-schema#label> "BOB" .\n'
        f'<{live.url}id/person/ada> <http://www.w3.org/2000/01/rdf-schema#label> "Ada" .\n').encode(), "text/turtle")
    yield live
    live.stop()
    live.store.close()


def test_ambiguous_name_is_409_with_candidates(own_server: LiveServer) -> None:
    response = httpx.get(own_server.url + "api/queries/who", params={"who": "bob"})
    assert "names 2 things" in problem_of(response, 409)
    assert sorted(c["iri"] for c in response.json()["candidates"]) == [
        own_server.url + "id/person/bob-1", own_server.url + "id/person/bob-2"]
    assert httpx.get(own_server.url + "api/queries/who", params={"who": "Ada"}).json() == [
        {"who": own_server.url + "id/person/ada", "label": "Ada"}]


def test_a_query_past_the_time_limit_is_503(own_server: LiveServer) -> None:
    response = httpx.get(own_server.url + "api/queries/slow", timeout=60)
    assert "limit" in problem_of(response, 503)
    assert "retry-after" in response.headers
    assert httpx.get(own_server.url + "api/queries/who", params={"who": "Ada"}).status_code == 200  # still serving


def test_the_list_follows_the_configured_folder(own_server: LiveServer) -> None:
    listed = httpx.get(own_server.url + "api/queries").json()["queries"]
    assert [q["name"] for q in listed] == ["slow", "who"]
