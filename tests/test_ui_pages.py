"""The web interface over plain HTTP: pages, their data endpoints and their bundles (no browser here).

- every page answers (GET and HEAD) with valid HTML5, the site's navigation, a strict CSP and its data block;
- a browser's GET /sparql gets the editor, programs still get the service description and results;
- the pages work without the bundles (they say how to build them), and every API keeps answering;
- the bundles are served with the right types, and nothing on a page or in a bundle loads from another host;
- the editor's examples are the named queries with their example values, and give the same rows as the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import html5rdf
import httpx
import pytest
from fastapi import FastAPI

from service.ui import templates as ui
from tests.browser import chromium_path, require, require_chromium
from tests.support import LiveServer, start_server

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PAGES = {"editor": "editor", "explore": "explore", "influence": "influence"}
VENDOR = ui.VENDOR
BUILD_HINT = "make assets"


class _Tags(HTMLParser):
    """Start tags with their attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.script_text.append(data)


def check_page(text: str) -> _Tags:
    """Valid HTML5 (strict parser), unique ids, labels that point somewhere, no inline scripts or handlers."""
    html5rdf.HTMLParser(strict=True).parse(text)
    assert text.startswith("<!DOCTYPE html>")
    tags = _Tags()
    tags.feed(text)
    ids = [i for _, a in tags.tags if (i := a.get("id"))]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    for tag, attrs in tags.tags:
        for ref in ("for", "aria-labelledby"):
            if attrs.get(ref):
                assert attrs[ref] in ids, f"<{tag} {ref}={attrs[ref]!r}> points at no element"
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
        if tag == "script":
            if "src" in attrs:
                assert attrs.get("type") == "module" and (attrs["src"] or "").startswith("/static/vendor/"), attrs
            else:
                assert attrs.get("type") in ("application/json", "application/ld+json"), f"inline script {attrs}"
    return tags


def page_config(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="page-config">(.*?)</script>', text, re.S)
    assert match, "the page has no configuration block"
    return json.loads(match.group(1))


def assets_built() -> bool:
    return all(ui.assets_for(name).built for name in ui.BUNDLES)


def require_assets() -> None:
    require(assets_built(), f"the web assets are not built (run `{BUILD_HINT}`)")


@pytest.fixture(scope="module")
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, headers={"Accept": BROWSER}) as c:
        yield c


# --- pages -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(PAGES))
def test_page_is_valid_html_with_strict_csp_and_navigation(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'" and "object-src" in directives
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    tags = check_page(response.text)
    nav = [a.get("href") for t, a in tags.tags if t == "a"]
    for target in ("/sparql", "/explore", "/influence"):
        assert target in nav, f"the navigation does not reach {target}"
    assert 'aria-current="page"' in response.text
    config = page_config(response.text)
    assert config["root"] == "/" and config["endpoint"] == "/sparql"
    assert config["idBase"] == client.base_url.join("id/").__str__()
    assert config["prefixes"]["bc"] == "https://w3id.org/backchannel/def#"


@pytest.mark.parametrize("path", list(PAGES))
def test_head_answers_like_get(client: httpx.Client, path: str) -> None:
    response = client.head(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.content == b""


def test_browser_on_sparql_gets_the_editor_programs_get_the_protocol(client: httpx.Client) -> None:
    page = client.get("sparql")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Query the graph with SPARQL" in page.text
    assert "Vary" in page.headers and "Accept" in page.headers["vary"]
    description = client.get("sparql", headers={"Accept": "text/turtle"})
    assert description.headers["content-type"].startswith("text/turtle") and "sd:Service" in description.text
    anything = client.get("sparql", headers={"Accept": "*/*"})
    assert not anything.headers["content-type"].startswith("text/html")
    results = client.get("sparql", params={"query": "ASK {}"})  # a browser following a query link: results
    assert results.status_code == 200 and results.headers["content-type"].startswith("application/sparql-results+json")


def test_editor_loads_a_query_from_the_address(client: httpx.Client) -> None:
    query = 'SELECT * WHERE { ?s ?p "</script><b>" } LIMIT 1'
    response = client.get("editor", params={"query": query})
    assert response.status_code == 200
    assert "</script><b>" not in response.text  # escaped in the text area and in the data block
    assert page_config(response.text)["query"] == query
    assert "&lt;/script&gt;&lt;b&gt;" in response.text
    example = client.get("editor", params={"example": "timeline"})
    assert page_config(example.text)["example"] == "timeline"


@pytest.mark.parametrize(
    ("path", "fix"),
    [
        ("editor?example=../../etc", "is not a query name"),
        ("editor?query=a&query=b", "give query= at most once"),
        ("explore?from=a&from=b", "give from= at most once"),
        ("influence?thing=" + "x" * 2100, "longer than 2000 characters"),
    ],
)
def test_bad_page_parameters_get_a_400_that_says_what_to_fix(client: httpx.Client, path: str, fix: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert fix in response.json()["detail"]


def test_explore_page_carries_the_question_of_its_address(client: httpx.Client, server: LiveServer) -> None:
    start, end = server.url + "id/person/joseph-v-montville", server.url + "id/process/oslo-back-channel"
    response = client.get(f"explore?from={quote(start, safe='')}&to={quote(end, safe='')}&k=3&max_length=5")
    assert response.status_code == 200
    question = page_config(response.text)["question"]
    assert question == {"from": start, "to": end, "k": "3", "max_length": "5"}
    assert f'value="{start}"' in response.text and 'value="3"' in response.text


def test_entity_pages_link_into_the_explorer_and_their_queries_open_in_the_editor(client: httpx.Client,
                                                                                  server: LiveServer) -> None:
    page = client.get("doc/person/joseph-v-montville").text
    explore = re.search(r'href="(/explore\?from=[^"]+)"', page)
    assert explore, "the entity page has no link to the explorer"
    target = client.get(explore.group(1).replace("&amp;", "&"))
    assert target.status_code == 200
    assert page_config(target.text)["question"]["from"] == server.url + "id/person/joseph-v-montville"
    assert re.search(r'<form class="explore-form" method="get" action="/explore">', page)
    # "Query it": the same query in the editor
    for href in re.findall(r'href="/(?:sparql|editor)\?query=([^"]+)"', page):
        query = parse_qs("query=" + href.replace("&amp;", "&"))["query"][0]
        editor = client.get("editor", params={"query": query})
        assert editor.status_code == 200 and page_config(editor.text)["query"] == query


# --- without the bundles -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server whose bundles' folder is empty (as on a server where `make assets` never ran)."""
    live = start_server()
    try:
        app = live.server.config.app
        assert isinstance(app, FastAPI)
        app.state.backchannel.pages.vendor = Path(tmp_path_factory.mktemp("no-vendor"))
        with httpx.Client(base_url=live.url, timeout=30, headers={"Accept": BROWSER}) as c:
            yield c
    finally:
        live.stop()
        live.store.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_without_bundles_say_how_to_build_them(bare_client: httpx.Client, path: str) -> None:
    response = bare_client.get(path)
    assert response.status_code == 200
    tags = check_page(response.text)
    assert BUILD_HINT in response.text and 'class="assets-missing"' in response.text
    assert not [a for t, a in tags.tags if t == "script" and "src" in a], "a page links a bundle that is not built"
    assert not [a for t, a in tags.tags if t == "link" and "/vendor/" in (a.get("href") or "")]


def test_editor_without_bundles_still_queries_through_a_plain_form(bare_client: httpx.Client) -> None:
    page = bare_client.get("editor").text
    assert '<form class="plain-query" id="plain-query" method="get" action="/sparql">' in page
    assert '<textarea id="plain-query-text" name="query"' in page
    answer = bare_client.get("sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2", "format": "json"})
    assert answer.status_code == 200 and len(answer.json()["results"]["bindings"]) == 2


def test_apis_answer_without_bundles(bare_client: httpx.Client) -> None:
    assert bare_client.get("ui/vocabulary.json").status_code == 200
    assert bare_client.get("ui/examples.json").status_code == 200
    assert bare_client.get("api/queries", headers={"Accept": "application/json"}).status_code == 200


# --- bundles -------------------------------------------------------------------------------------------------


def test_bundles_are_served_with_their_types(client: httpx.Client) -> None:
    require_assets()
    for name in ui.BUNDLES:
        page = client.get(name).text
        script = re.search(rf'<script type="module" src="(/static/vendor/{name}\.js\?v=\w+)">', page)
        style = re.search(rf'<link rel="stylesheet" href="(/static/vendor/{name}\.css\?v=\w+)">', page)
        assert script and style, f"the {name} page does not link its bundle"
        js = client.get(script.group(1))
        assert js.status_code == 200
        assert js.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
        css = client.get(style.group(1))
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        for chunk in re.findall(r'"\./(chunks/[\w.-]+\.js)"', js.text):  # the shared chunks the entry imports
            assert client.get(f"/static/vendor/{chunk}").status_code == 200, chunk


EXTERNAL = re.compile(
    r"""(?:<script[^>]+src|<link[^>]+href|<img[^>]+src|<iframe[^>]+src)\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//"""
    r"""|\bimport\s*\(\s*["'](?:https?:)?//|\bfrom\s*["'](?:https?:)?//|importScripts\(\s*["'](?:https?:)?//""",
    re.I,
)
CDN = re.compile(
    r"https?://[\w.-]*(?:cdn|unpkg|jsdelivr|googleapis|gstatic|cloudflare|fontawesome|bootstrapcdn)[\w.-]*/", re.I)


def test_nothing_loads_from_another_host(client: httpx.Client) -> None:
    for name in PAGES:
        page = client.get(name).text
        assert not EXTERNAL.search(page), f"the {name} page loads from another host"
        for tag, attrs in _tags(page):
            url = (attrs.get("src") if tag in ("script", "img", "iframe")
                   else attrs.get("href") if tag == "link" else None)
            assert not url or not urlsplit(url).netloc, f"<{tag}> on {name} loads {url}"
    if not assets_built():
        return
    for path in sorted(VENDOR.rglob("*")):
        if path.suffix not in (".js", ".css"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found = EXTERNAL.search(text) or CDN.search(text)
        assert not found, f"{path.relative_to(VENDOR)} refers to another host: {found.group(0)!r}"


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    tags = _Tags()
    tags.feed(page)
    return tags.tags


# --- data for the editor -----------------------------------------------------------------------------------------


def test_vocabulary_lists_our_classes_and_properties_with_labels(client: httpx.Client) -> None:
    response = client.get("ui/vocabulary.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    doc = response.json()
    properties = {p["curie"]: p for p in doc["properties"]}
    classes = {c["curie"]: c for c in doc["classes"]}
    assert properties["bc:coined"]["label"] == "coined"
    assert properties["prov:wasInfluencedBy"]["iri"] == "http://www.w3.org/ns/prov#wasInfluencedBy"
    assert "foaf:Person" in classes
    assert doc["prefixes"]["bc-person"].endswith("/id/person/")
    again = client.get("ui/vocabulary.json", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_examples_are_the_named_queries_with_their_example_values(client: httpx.Client) -> None:
    listed = client.get("api/queries", headers={"Accept": "application/json"}).json()["queries"]
    examples = {e["name"]: e for e in client.get("ui/examples.json").json()["examples"]}
    assert set(examples) == {q["name"] for q in listed}
    influencers = examples["influencers-of"]
    model = "<https://w3id.org/backchannel/def/track/multi-track-diplomacy>"
    assert f"VALUES (?thing) {{ ({model}) }}" in influencers["query"]
    works = examples["works-by-person"]
    assert "PREFIX bc-person: <" in works["query"] and "(bc-person:" in works["query"]
    assert not [e["name"] for e in examples.values() if "problem" in e]


def _rows(bindings: list[dict]) -> list[str]:
    return sorted(json.dumps(b, sort_keys=True) for b in bindings)


def test_every_example_gives_the_rows_of_its_named_query(client: httpx.Client) -> None:
    """Binding with VALUES in the editor must mean what binding by substitution means in the API."""
    listed = client.get("api/queries", headers={"Accept": "application/json"}).json()["queries"]
    examples = {e["name"]: e for e in client.get("ui/examples.json").json()["examples"]}
    for item in listed:
        name = item["name"]
        url = httpx.URL(item["example_url"])
        if item["paging"]:
            url = url.copy_merge_params({"per_page": "1000"})
        api = client.get(url, headers={"Accept": "application/sparql-results+json"})
        assert api.status_code == 200, (name, api.text)
        editor = client.post("sparql", data={"query": examples[name]["query"]},
                             headers={"Accept": "application/sparql-results+json"})
        assert editor.status_code == 200, (name, editor.text)
        mine, theirs = _rows(editor.json()["results"]["bindings"]), _rows(api.json()["results"]["bindings"])
        if 'rel="next"' in api.headers.get("link", ""):  # the API gave one page: its rows are among the editor's
            assert set(theirs) <= set(mine) and len(mine) > len(theirs), name
        else:
            assert mine == theirs, name


# --- the browser tests' guard ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("true", "failed")])
def test_browser_tests_skip_locally_but_fail_in_ci_without_chromium(
    ci: str, outcome: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BACKCHANNEL_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", ci)
    assert chromium_path() is None
    raised = pytest.fail.Exception if outcome == "failed" else pytest.skip.Exception
    with pytest.raises(raised, match="Chromium is not installed"):
        require_chromium()
