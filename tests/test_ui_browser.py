"""The web interface in a real browser (headless Chromium via Playwright) against the live test server.

What a person does: runs a query and reads the rows; opens a shared link; runs a named-query example and looks
at it as a table, a graph and a timeline; asks how Joseph V. Montville is connected to the Oslo Accords and sees
the paths drawn and explained; clicks through to an entity page; looks at the influence ranking. No page may
raise a script error or break its Content-Security-Policy. A screenshot of each page goes to test-artifacts/.

Without Chromium (or without the built bundles) these tests skip with the reason, except in CI, where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from service.ui import templates as ui
from tests.browser import artifact, launch, require, require_chromium
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Response

pytestmark = pytest.mark.browser

MONTVILLE = "id/person/joseph-v-montville"
OSLO = "id/work/oslo-accords"
TIMEOUT = 60_000  # ms: only a limit against hanging, generous for a busy shared machine (never a pass/fail timing)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = require_chromium()
    require(all(ui.assets_for(name).built for name in ui.BUNDLES), "the web assets are not built (run `make assets`)")
    with launch(executable) as chromium:
        yield chromium


class Problems:
    """Script errors, failed requests and CSP violations seen by a page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "status of 4" in text and text.startswith("Failed to load resource"):
            return  # a 4xx answer the page shows to the user (bad query, unknown name): tested where expected
        if message.type == "error" or "Content Security Policy" in text:
            self.errors.append(f"console: {text}")

    def response(self, response: Response) -> None:
        if response.status >= 500:
            self.errors.append(f"HTTP {response.status} {response.url}")

    def check(self) -> None:
        assert not self.errors, "the page had problems:\n" + "\n".join(self.errors)


@pytest.fixture
def page(browser, server: LiveServer):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, base_url=server.url)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT)
    problems = Problems()
    tab.on("console", problems.console)
    tab.on("pageerror", lambda err: problems.errors.append(f"script error: {err}"))
    tab.on("response", problems.response)
    tab.problems = problems
    yield tab
    context.close()
    problems.check()


def graph_size(page, name: str) -> tuple[int, int]:
    """Nodes and edges of a drawn cytoscape graph (0, 0 when it is not drawn yet)."""
    return tuple(page.evaluate(
        """name => { const cy = window.backchannel && window.backchannel.graphs[name];
                     return cy && !cy.destroyed() ? [cy.nodes().length, cy.edges().length] : [0, 0]; }""",
        name,
    ))


def wait_for_graph(page, name: str, nodes: int = 2) -> tuple[int, int]:
    page.wait_for_function(
        """([name, n]) => { const cy = window.backchannel && window.backchannel.graphs[name];
                            return cy && !cy.destroyed() && cy.nodes().length >= n; }""",
        arg=[name, nodes],
    )
    assert page.locator("canvas").count() > 0
    return graph_size(page, name)


# --- the editor ----------------------------------------------------------------------------------------------


def test_editor_runs_a_query_and_shows_rows(page, server: LiveServer) -> None:
    page.goto("editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    assert "bc:coined" in page.evaluate("window.backchannel.yasqe.getValue()")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr")
    table = page.locator(".yasr table").inner_text()
    assert "Joseph V. Montville" in table and "Track Two diplomacy" in table
    assert page.locator(".yasr table tbody tr").count() >= 2
    assert "#query=" in page.url and "bc%3Acoined" in page.url  # the address holds the query (shareable)
    page.screenshot(path=artifact("editor.png"), full_page=True)
    page.click("#share")
    page.wait_for_selector("#share-status:not(:empty)")
    if page.locator("#share-status input").count():  # no clipboard here: the link is shown to copy by hand
        shared = page.input_value("#share-status input")
        assert shared.startswith(server.url + "editor#query=") and "bc%3Acoined" in shared
    else:
        assert "copied" in page.locator("#share-status").inner_text()


def test_a_shared_link_opens_the_query_and_runs_it(page, server: LiveServer) -> None:
    query = f"SELECT ?name WHERE {{ <{server.url}{MONTVILLE}> rdfs:label ?name }}"
    page.goto("editor#query=" + quote(query, safe=""))
    page.wait_for_selector(".yasr table tbody tr")
    assert "Joseph V. Montville" in page.locator(".yasr table").inner_text()
    # the prefix the query uses without declaring it was declared for it (the endpoint knows it anyway)
    assert page.evaluate("window.backchannel.yasqe.getValue()").startswith("PREFIX rdfs:")
    page.goto("sparql")  # a browser on the endpoint gets the editor
    page.wait_for_selector(".yasqe .CodeMirror")
    assert page.title().startswith("SPARQL query editor")


def complete(page, text: str) -> list[str]:
    """Put `text` in the editor, ask for completions at its end (Ctrl+Space) and read the suggestions."""
    page.evaluate(
        """text => { const y = window.backchannel.yasqe; y.setValue(text); y.focus();
                     const last = y.lastLine(); y.setCursor({line: last, ch: y.getLine(last).length}); }""",
        text,
    )
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hints li")
    hints = page.locator(".CodeMirror-hints li").all_inner_texts()
    return hints


def test_editor_completes_our_properties_classes_and_things(page, server: LiveServer) -> None:
    page.goto("editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    assert "bc:coined  —  coined" in complete(page, "SELECT * WHERE {\n  ?x bc:coi")
    page.keyboard.press("Escape")
    assert "foaf:Person" in complete(page, "SELECT * WHERE {\n  ?x a foaf:Pers")
    page.keyboard.press("Escape")
    hints = complete(page, "SELECT * WHERE {\n  bc-person:montv")  # things, by name, from /search
    assert "bc-person:joseph-v-montville  —  Joseph V. Montville" in hints
    page.keyboard.press("Enter")
    text = page.evaluate("window.backchannel.yasqe.getValue()")
    assert "bc-person:joseph-v-montville" in text
    assert f"PREFIX bc-person: <{server.url}id/person/>" in text  # declared for the person who picked it


def test_named_query_example_as_table_and_graph(page) -> None:
    page.goto("editor")
    page.wait_for_selector("#examples option[value='influenced-by']", state="attached")
    page.select_option("#examples", "influenced-by")
    page.wait_for_selector(".yasr table tbody tr")
    assert "VALUES (?thing) { (bc-person:joseph-v-montville) }" in page.evaluate("window.backchannel.yasqe.getValue()")
    rows = page.locator(".yasr table tbody tr").count()
    assert rows >= 1
    page.click(".yasr .select_graph")
    nodes, edges = wait_for_graph(page, "results")
    assert nodes >= 2 and edges >= 1
    # ?thing has no label column: the view asks the endpoint for the names of the things it draws
    page.wait_for_function(
        "window.backchannel.graphs.results.nodes().some(n => n.data('label') === 'Joseph V. Montville')")
    page.screenshot(path=artifact("editor-graph.png"), full_page=True)


def test_dated_results_on_a_timeline(page) -> None:
    page.goto("editor?example=timeline")
    page.wait_for_selector(".yasr table tbody tr")
    page.click(".yasr .select_timeline")
    page.wait_for_selector("svg.timeline")
    marks = page.locator("svg.timeline .tl-point, svg.timeline .tl-bar").count()
    assert marks >= 1
    assert re.search(r"19\d\d", page.locator("svg.timeline").text_content())
    page.screenshot(path=artifact("editor-timeline.png"), full_page=True)


def test_construct_results_as_a_graph(page, server: LiveServer) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?s = <{server.url}{MONTVILLE}>) }}"
    page.goto("editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate("q => window.backchannel.yasqe.setValue(q)", query)
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr .select_graph:not(.disabled)")
    page.click(".yasr .select_graph")
    nodes, edges = wait_for_graph(page, "results")
    assert nodes >= 3 and edges >= 2
    assert "Joseph V. Montville" in page.evaluate("window.backchannel.graphs.results.nodes().map(n => n.data('label'))")


def test_a_syntax_error_is_explained(page) -> None:
    page.goto("editor#query=" + quote("SELECT * WHERE { ?s ?p }", safe=""))
    page.wait_for_selector(".yasr .problem")
    text = page.locator(".yasr .problem").inner_text()
    assert "not valid SPARQL" in text and "line 1" in text


# --- the path explorer ---------------------------------------------------------------------------------------


def explore_url(server: LiveServer, start: str, end: str, **options: str) -> str:
    url = f"explore?from={quote(server.url + start, safe='')}&to={quote(server.url + end, safe='')}"
    return url + "".join(f"&{k}={quote(v)}" for k, v in options.items())


def test_explorer_draws_and_explains_the_paths_from_montville_to_oslo(page, server: LiveServer) -> None:
    page.goto(explore_url(server, MONTVILLE, OSLO, k="3"))
    nodes, edges = wait_for_graph(page, "paths")
    assert nodes >= 3 and edges >= 2
    ids = page.evaluate("window.backchannel.graphs.paths.nodes().map(n => n.id())")
    assert server.url + MONTVILLE in ids and server.url + OSLO in ids
    page.wait_for_selector("#path-list > li")
    explained = page.locator("#path-list").inner_text()
    assert "Joseph V. Montville" in explained and "Oslo Accords" in explained
    assert "source:" in explained
    assert 1 <= page.locator("#path-list > li").count() <= 3
    assert page.input_value("#from") == "Joseph V. Montville"  # the ends show their names, not IRIs
    page.locator("#path-list > li .path-meta").first.click()
    assert page.locator("#path-list > li.active").count() == 1
    page.screenshot(path=artifact("explore.png"), full_page=True)


def test_clicking_a_thing_in_the_picture_opens_its_page(page, server: LiveServer) -> None:
    page.goto(explore_url(server, MONTVILLE, OSLO))
    wait_for_graph(page, "paths")
    with page.expect_navigation():
        page.evaluate("iri => window.backchannel.graphs.paths.getElementById(iri).emit('tap')", server.url + OSLO)
    assert page.url.endswith("/doc/work/oslo-accords")
    assert "Oslo Accords" in page.locator("h1").inner_text()
    page.go_back()
    wait_for_graph(page, "paths")
    link = page.locator("#path-list a.thing-link", has_text="Joseph V. Montville").first
    with page.expect_navigation():
        link.click()
    assert page.url.endswith("/doc/person/joseph-v-montville")
    page.screenshot(path=artifact("entity-from-explore.png"))


def test_explorer_from_an_entity_page(page) -> None:
    page.goto("doc/person/joseph-v-montville")
    page.select_option("#explore-to", label="Oslo Accords")
    with page.expect_navigation():
        page.click(".explore-form button[type=submit]")
    assert "/explore?from=" in page.url
    nodes, _ = wait_for_graph(page, "paths")
    assert nodes >= 2


def test_explorer_suggests_names_and_resolves_misspellings(page, server: LiveServer) -> None:
    page.goto("explore")
    page.fill("#from", "Montvil")
    page.wait_for_selector(".suggestions-list li")
    page.locator(".suggestions-list li", has_text="Joseph V. Montville").first.click()
    assert page.evaluate("document.getElementById('from').dataset.iri") == server.url + MONTVILLE
    page.fill("#to", "Oslo Acords")  # misspelt: the API says what it might be
    page.keyboard.press("Escape")
    page.click("#path-form button[type=submit]")
    page.wait_for_selector("#explore-status button.candidate")
    assert "Oslo" in page.locator("#explore-status").inner_text()
    assert "to=Oslo+Acords" in page.url or "to=Oslo%20Acords" in page.url
    page.locator("#explore-status button.candidate", has_text="Oslo").first.click()
    wait_for_graph(page, "paths")
    page.screenshot(path=artifact("explore-suggestions.png"))


def test_an_ambiguous_name_lists_the_candidates_to_click(page, server: LiveServer) -> None:
    page.goto("explore?from=Track&to=" + quote(server.url + MONTVILLE, safe=""))
    page.wait_for_selector("#explore-status button.candidate")
    status = page.locator("#explore-status").inner_text()
    assert "could mean several things" in status and "Which one do you mean?" in status
    page.locator("#explore-status button.candidate", has_text="Track Two diplomacy").first.click()
    wait_for_graph(page, "paths")
    assert page.input_value("#from") == "Track Two diplomacy"
    assert "from=https%3A%2F%2Fw3id.org%2Fbackchannel%2Fdef%2Ftrack%2Ftrack-two" in page.url  # the URL names it now
    page.go_back()  # the earlier question comes back, with its candidates
    page.wait_for_selector("#explore-status button.candidate")


# --- the influence view -----------------------------------------------------------------------------------------


def test_influence_view_shows_the_ranking_and_a_lineage(page, server: LiveServer) -> None:
    page.goto("influence?thing=" + quote(server.url + MONTVILLE, safe=""))
    page.wait_for_selector("#ranking-table tbody tr td a")
    assert page.locator("#ranking-table tbody tr").count() >= 3
    wait_for_graph(page, "ranking", nodes=3)
    nodes, _ = wait_for_graph(page, "influence")
    assert nodes >= 2
    lists = page.locator("#lineage-section").inner_text()
    assert "Influenced" in lists
    page.screenshot(path=artifact("influence.png"), full_page=True)
