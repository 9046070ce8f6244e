"""The path explorer shows what the answers now say (issue 13), in a real browser (headless Chromium).

A researcher asks "how does Joseph Montville link to Oslo?" by name: the page says which Oslo it took and what
else the name could mean, reads the first path in walking order through Track Two diplomacy and the Oslo back
channel, and marks a path that links only through a broad concept. The browser, the page fixture and the
problem checks (no script error, no CSP violation, no 5xx) come from tests/test_ui_browser.py.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.browser import artifact
from tests.test_ui_browser import browser, page, wait_for_graph  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_montville_to_oslo_by_name_says_which_oslo_and_reads_in_walking_order(page) -> None:  # noqa: F811
    page.goto("explore?from=" + quote("Joseph Montville") + "&to=Oslo&k=3")
    wait_for_graph(page, "paths")
    page.wait_for_selector("#path-list > li")
    status = page.locator("#explore-status").inner_text()
    assert "took the thing whose label is exactly 'Oslo'" in status and "Oslo Accords (work)" in status
    first = page.locator("#path-list > li").first
    text = first.locator(".explanation").inner_text()
    assert text.startswith("Joseph V. Montville coined Track Two diplomacy; Track Two diplomacy was the initial "
                           "track of the Oslo back channel;") and text.endswith("took place in Oslo.")
    assert "source:" in first.inner_text() and "General knowledge" in first.inner_text()
    assert page.input_value("#to") == "Oslo"
    page.screenshot(path=artifact("explore-oslo.png"), full_page=True)


def test_a_path_only_through_a_broad_concept_says_so(page) -> None:  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the note must show there too
    page.goto("explore?from=" + quote("Camp Tawonga") + "&to=" + quote("Oslo Accords") + "&k=3")
    page.wait_for_selector("#path-list > li .broad-concept")
    note = page.locator("#path-list > li").first.locator(".broad-concept").inner_text()
    assert note.startswith("Only through the broad concept Track Two diplomacy")
    page.screenshot(path=artifact("explore-broad-concept.png"), full_page=True)


def test_a_dated_membership_shows_when_it_held(page) -> None:  # noqa: F811
    page.goto("explore?from=" + quote("Joseph Montville") + "&to=" + quote("Colin Powell") + "&k=1")
    page.wait_for_selector("#path-list > li")
    hops = page.locator("#path-list > li").first.locator(".hops").inner_text()
    assert "(1981)" in hops and "(2004)" in hops
