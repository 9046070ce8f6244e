"""The "did you mean" of a 404 does a bounded amount of work, however long the path and however big the graph.

Regression: ``not_found()`` compared the path with every label (difflib, twice) in the server process, with no
budget: an 8 KB ``/doc/person/<slug>`` took 2.8 s on the seed graph, four clients sending them pushed ``/health``
to 3 s, and with 300,000 labels one short 404 took 16–30 s. Now an index built once per store version answers,
reading a bounded number of its entries (checked here on 200,000 names, by the work each question reports).
"""

from __future__ import annotations

import random
import threading
import time
from urllib.parse import quote

import httpx
import pytest

from kg.publish.suggest import MAX_CANDIDATES, MAX_POSTINGS, MAX_TEXT, LatestSuggester, Named, Suggester
from tests.support import LiveServer

SYLLABLES = ["ka", "lo", "mi", "ne", "ra", "to", "vi", "sa", "de", "mon", "ville", "berg", "son", "ton", "al"]
ASKED = ["a" * 12_000, "a-" * 6_000, "ka lo mi " * 1_300, "".join(SYLLABLES) * 200, "x", "montvile"]


@pytest.fixture(scope="module")
def big_index() -> Suggester:
    """200,000 people whose names share many trigrams (the worst case for an index), plus two real ones."""
    rng = random.Random(16)

    def name() -> str:
        return " ".join("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
                        for _ in range(rng.randint(2, 3)))

    names = [Named(f"http://x/id/person/p{i}", name()) for i in range(200_000)]
    names += [Named("http://x/id/person/jvm", "Joseph V. Montville"), Named("http://x/id/work/oslo", "Oslo Accords")]
    return Suggester(names)


@pytest.mark.parametrize("asked", ASKED, ids=["a*12000", "a-*6000", "syllables", "all-syllables", "x", "typo"])
def test_each_question_reads_a_bounded_part_of_the_index(big_index: Suggester, asked: str) -> None:
    found = big_index.search(asked, within="http://x/id/")
    assert len(found.text) <= MAX_TEXT
    assert found.scanned <= MAX_POSTINGS
    assert found.compared <= MAX_CANDIDATES
    assert len(found.names) <= 5


def test_the_index_still_finds_typos_among_many_names(big_index: Suggester) -> None:
    assert big_index.suggest("joseph-v-montvile")[0].label == "Joseph V. Montville"
    assert big_index.suggest("oslo acords", within="http://x/id/work/")[0].iri == "http://x/id/work/oslo"


@pytest.mark.parametrize("size", [8_000, 12_000])
def test_a_long_path_gets_a_404_with_suggestions(server: LiveServer, size: int) -> None:
    slug = "joseph-v-montvile-" + "x" * size
    for accept in ("application/problem+json", "text/html"):
        response = httpx.get(server.url + "doc/person/" + quote(slug), headers={"Accept": accept}, timeout=60)
        assert response.status_code == 404
    body = httpx.get(server.url + "doc/person/joseph-v-montvile").json()
    assert body["suggestions"][0]["label"] == "Joseph V. Montville"


def test_a_new_store_version_is_answered_from_the_old_index_until_the_new_one_is_built() -> None:
    latest = LatestSuggester()
    old = latest.get("v1", lambda: Suggester([Named("http://x/a", "Oslo")]))
    release = threading.Event()

    def slow_build() -> Suggester:
        release.wait(30)
        return Suggester([Named("http://x/b", "Oslo Accords")])

    assert latest.get("v2", slow_build) is old  # no waiting: the rebuild runs in the background
    release.set()
    deadline = time.monotonic() + 30
    while latest.get("v2", slow_build) is old and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [n.iri for n in latest.get("v2", slow_build).suggest("oslo accords")] == ["http://x/b"]
