"""The diplomatic processes on a timeline, on the home page and on /browse (issue 17, item 4).

What a reader checks: the field's processes appear in the order they began, each with its years, the track it
began on and, for the Oslo back channel, the turn from Track Two to Track One; what a process led to (the
Inter-Tajik Dialogue → the UN-sponsored negotiations) is a link. Over plain HTTP the page is server-rendered
(the timeline is there without any script); in headless Chromium it fits a 360 px phone without sideways
scrolling, and axe-core (from npm, pinned by tests/clients/package-lock.json) finds no violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import artifact, launch, require, require_chromium
from tests.support import LiveServer

AXE = Path(__file__).parent / "clients" / "node_modules" / "axe-core" / "axe.min.js"


def timeline_rows(html: str) -> list[str]:
    """The text of each dated row of the timeline, tags removed and spaces collapsed."""
    section = html.split('<section aria-labelledby="timeline-h"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<li class="tl-row[^"]*">(.*?)</li>', section, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.mark.parametrize("path", ["", "browse", "browse?kind=process"])
def test_the_timeline_is_on_the_page_in_the_order_the_processes_began(server: LiveServer, path: str) -> None:
    page = httpx.get(server.url + path, headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200
    rows = timeline_rows(page.text)
    names = ["Pugwash Conferences", "Dartmouth Conference", "Pennsylvania channel", "Rome peace talks on Mozambique",
             "Inter-Tajik Dialogue", "UN-sponsored inter-Tajik negotiations", "Geneva Initiative",
             "Aceh peace talks in Helsinki"]
    firsts = [next(i for i, row in enumerate(rows) if name in row) for name in names]
    assert firsts == sorted(firsts), rows
    assert next(row for row in rows if "Pugwash Conferences" in row).startswith("since 1957")
    assert next(row for row in rows if "Rome peace talks" in row).startswith("1990–1992")


def test_the_oslo_turn_and_what_a_process_led_to_are_written_out(server: LiveServer) -> None:
    page = httpx.get(server.url, headers={"Accept": "text/html"}, timeout=60).text
    rows = timeline_rows(page)
    oslo = next(row for row in rows if "Oslo back channel" in row)
    assert oslo.startswith("up to 1993") and "Track Two diplomacy → Track One diplomacy" in oslo
    assert "led to Oslo Accords" in oslo
    tajik = next(row for row in rows if row.split(" ", 2)[-1].startswith("Inter-Tajik Dialogue"))
    assert "led to UN-sponsored inter-Tajik negotiations (1994–1997)" in tajik
    assert 'href="/id/process/inter-tajik-negotiations"' in page or "/doc/process/inter-tajik-negotiations" in page
    assert "Undated processes" in page and "Israeli-Palestinian problem-solving workshops" in page


def test_other_kinds_have_no_timeline(server: LiveServer) -> None:
    page = httpx.get(server.url + "browse?kind=person", headers={"Accept": "text/html"}, timeout=60).text
    assert 'aria-labelledby="timeline-h"' not in page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = require_chromium()
    require(AXE.is_file(), "axe-core is not installed (run `make clients`)")
    with launch(executable) as chromium:
        yield chromium


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1360])
@pytest.mark.parametrize("path", ["", "browse?kind=process"])
def test_the_timeline_fits_a_phone_and_passes_axe(browser, server: LiveServer, width: int, path: str) -> None:
    # bypass_csp: only so that axe-core can be injected as a script; the page itself stays under its CSP
    context = browser.new_context(viewport={"width": width, "height": 800}, base_url=server.url, bypass_csp=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(path or "/")
        timeline = page.locator("section.timeline")
        assert timeline.locator("li.tl-row").count() >= 15
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        for bar in timeline.locator("svg.tl-bar").all()[:3]:
            assert bar.bounding_box()["width"] <= width
        timeline.screenshot(path=str(artifact(f"timeline-{path.replace('?', '-').replace('=', '-') or 'home'}-"
                                              f"{width}.png")))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => (await axe.run(document)).violations"
                               ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
        assert result == [], result
        assert errors == []
    finally:
        context.close()
