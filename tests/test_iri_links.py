"""Only http(s) IRIs become links: a ``javascript:`` or ``data:`` IRI stored in the graph is shown, never clickable.

Regression: such IRIs rendered as ``<a href="javascript:…">`` on ``/doc`` pages (identity links, values, the
neighbourhood picture) and on ``/influence`` (drawn by the page's script); only the Content-Security-Policy kept
them from running. A server of its own holds the hostile statements (written through the Graph Store, as a
writer's mistake would be); the entity page is read as HTML and the influence view in headless Chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from service.ui import templates as ui
from tests.browser import launch, require, require_chromium
from tests.support import TOKEN, LiveServer, start_server

HOSTILE = ("javascript:alert(document.domain)", "data:text/html,%3Cscript%3Ealert(1)%3C/script%3E",
           "JavaScript:alert(2)")
TIMEOUT = 60_000  # ms, only against hanging


@pytest.fixture(scope="module")
def hostile_links() -> Iterator[LiveServer]:
    server = start_server()
    me = f"<{server.url}id/person/joseph-v-montville>"
    turtle = f"""
        @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        {me} owl:sameAs <{HOSTILE[0]}> ; rdfs:seeAlso <{HOSTILE[1]}> ; prov:wasInfluencedBy <{HOSTILE[2]}> ;
            <{HOSTILE[0]}> <https://dbpedia.org/resource/Oslo> .
        <{HOSTILE[2]}> rdfs:label "Evil Influence" .
    """
    response = httpx.put(server.url + "store", params={"graph": server.url + "graphs/hostile"},
                         content=turtle.encode(), headers={"Authorization": f"Bearer {TOKEN}",
                                                           "Content-Type": "text/turtle"})
    assert response.status_code in (201, 204), response.text
    yield server
    server.stop()
    server.store.close()


def test_the_entity_page_links_only_http_iris(hostile_links: LiveServer) -> None:
    page = httpx.get(hostile_links.url + "doc/person/joseph-v-montville", headers={"Accept": "text/html"}).text
    hrefs = re.findall(r"""<a\b[^>]*\bhref=["']([^"']*)["']""", page, flags=re.I)
    assert hrefs, "the page has links"
    assert [h for h in hrefs if not h.startswith(("/", "http://", "https://", "#"))] == []
    assert "javascript:alert(document.domain)" in page  # shown as text
    assert "https://dbpedia.org/resource/Oslo" in page  # an http(s) IRI elsewhere is still linked
    assert 'href="https://dbpedia.org/resource/Oslo"' in page


@pytest.mark.browser
def test_the_influence_view_does_not_link_a_javascript_iri(hostile_links: LiveServer) -> None:
    executable = require_chromium()
    require(all(ui.assets_for(name).built for name in ui.BUNDLES), "the web assets are not built (run `make assets`)")
    with launch(executable) as browser:
        chromium: Any = browser
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, base_url=hostile_links.url)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto("influence?thing=" + quote(hostile_links.url + "id/person/joseph-v-montville", safe=""))
        page.wait_for_selector("#lineage-list li:has-text('Evil Influence')")
        shown = page.locator("#lineage-list li", has_text="Evil Influence")
        assert shown.locator("a").count() == 0 and shown.locator("span", has_text="Evil Influence").count() == 1
        schemes = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.protocol)")
        assert set(schemes) <= {"http:", "https:"}, schemes
        assert errors == []
        context.close()
