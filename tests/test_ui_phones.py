"""Every page on a phone and for a screen reader: headless Chromium at 360×800 and 390×844 (and 1360×900), axe-core
injected.

For each page a person can reach (the home page, browse, the editor at /sparql and /editor with results, the
explorer with a question answered, asked by names (which thing each was taken for) and with an ambiguous name
(which one do you mean?), the influence view of a thing, an entity page, a source page, the vocabulary, a
scheme, the dataset description, the API docs, a 404) the test waits until the page has drawn what it draws, then
checks that it does not scroll sideways and that axe-core finds no serious or critical violation. A screenshot of
each goes to test-artifacts/phone-{width}-{page}.png.

Without Chromium, the built bundles or axe-core these tests skip with the reason, except in CI, where they fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest

from service.ui import templates as ui
from tests.browser import artifact, axe_violations, launch, require, require_axe, require_chromium, sideways_overflow
from tests.support import LiveServer

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms: only a limit against hanging (never a pass/fail timing)
PHONES = {"360": {"width": 360, "height": 800}, "390": {"width": 390, "height": 844}}
SIZES = PHONES | {"1360": {"width": 1360, "height": 900}}
"""Two phones, and a desktop (where some controls show words the phones hide, so axe sees more)."""
MONTVILLE = "id/person/joseph-v-montville"
OSLO = "id/work/oslo-accords"


def _graph_drawn(name: str, nodes: int = 2) -> str:
    return f"""() => {{ const cy = window.backchannel && window.backchannel.graphs["{name}"];
                       return !!cy && !cy.destroyed() && cy.nodes().length >= {nodes}; }}"""


def _explore(url: str) -> str:
    start, end = quote(url + MONTVILLE, safe=""), quote(url + OSLO, safe="")
    return f"explore?from={start}&to={end}"


PAGES: dict[str, tuple[Callable[[str], str], tuple[str, ...]]] = {
    "home": (lambda url: "", ()),
    "browse": (lambda url: "browse?kind=person", ()),
    "sparql": (lambda url: "sparql", (".yasqe .CodeMirror",)),
    "editor": (lambda url: "editor?query=" + quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5", safe=""),
               (".yasr table tbody tr",)),
    "explore": (_explore, ("#path-list > li", "js:" + _graph_drawn("paths"))),
    "explore-by-name": (lambda url: "explore?from=" + quote("Joseph Montville") + "&to=Oslo",
                        ("#path-list > li", "#explore-status .resolved button.candidate",
                         "js:" + _graph_drawn("paths"))),
    "explore-ambiguous": (lambda url: "explore?from=Track&to=" + quote(url + MONTVILLE, safe=""),
                          ("#explore-status button.candidate",)),
    "influence": (lambda url: "influence?thing=" + quote(url + MONTVILLE, safe=""),
                  ("#ranking-table tbody tr td a", "js:" + _graph_drawn("influence"), "js:" + _graph_drawn("ranking"))),
    "entity": (lambda url: "doc/person/joseph-v-montville", ()),
    "source": (lambda url: "doc/source/track-two-diplomacy", ()),
    "def": (lambda url: "def", ()),
    "scheme": (lambda url: "def/track", ()),
    "void": (lambda url: ".well-known/void", ()),
    "docs": (lambda url: "docs", (".swagger-ui .opblock",)),
    "404": (lambda url: "id/person/nobody-of-that-name", ()),
}
"""Each page: its address (given the server's URL) and what to wait for before looking (selectors, or js: a
predicate)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = require_chromium()
    require(all(ui.assets_for(name).built for name in ui.BUNDLES), "the web assets are not built (run `make assets`)")
    with launch(executable) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def axe() -> str:
    return require_axe()


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone_and_passes_axe(browser: Any, axe: str, server: LiveServer, name: str, size: str) -> None:
    address, ready = PAGES[name]
    phone = size in PHONES
    context = browser.new_context(viewport=SIZES[size], base_url=server.url, is_mobile=phone, has_touch=phone)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(f"script error: {err}"))
        page.goto(address(server.url))
        for wait in ready:
            if wait.startswith("js:"):
                page.wait_for_function(wait[3:])
            else:
                page.wait_for_selector(wait)
        page.wait_for_load_state("networkidle")
        width, inner, wide = sideways_overflow(page)
        page.screenshot(path=artifact(f"phone-{size}-{name}.png"), full_page=True)
        assert width <= inner, f"/{address(server.url)} scrolls sideways at {size} px ({width} > {inner}): {wide}"
        violations = axe_violations(page, axe)
        assert not violations, f"axe-core on /{address(server.url)} at {size} px:\n" + "\n".join(violations)
        assert not errors, errors
    finally:
        context.close()


def test_the_explorer_picture_fills_the_width_of_a_phone(browser: Any, server: LiveServer) -> None:
    """The graph is drawn across the width of the phone, not as a small drawing in a large empty box."""
    context = browser.new_context(viewport=PHONES["390"], base_url=server.url, is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(_explore(server.url))
        page.wait_for_function(_graph_drawn("paths", 3))
        drawn = page.evaluate(
            """() => { const cy = window.backchannel.graphs.paths;
                       const box = cy.elements().renderedBoundingBox({includeLabels: true});
                       return {w: box.w, h: box.h, width: cy.width(), height: cy.height()}; }"""
        )
        assert drawn["w"] >= 0.6 * drawn["width"], drawn  # the picture spans most of the box's width
        assert drawn["h"] >= 0.5 * drawn["height"], drawn  # and the box is not much taller than the picture
    finally:
        context.close()
