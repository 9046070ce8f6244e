"""Isolation: runaway queries are stopped at their limit (503) while light queries keep being answered.

A public endpoint gets cross joins sorted or counted (no streaming helps: the
whole product must be computed). With a 3 s limit and 2 warm workers, ten of
them at once must each be stopped and answered 503 — not 200, not a cut body —
while light queries sent meanwhile are answered, and the service stays ready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from kg.store.embedded import OxigraphStore
from tests.support import TOKEN, LiveServer, children, embedded_only, start_server

LIMIT = 3.0

RUNAWAYS = [
    "SELECT * {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} ORDER BY ?c ?f ?i ?l # {n}",
    "SELECT (COUNT(*) AS ?n) {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} # {n}",
    "SELECT ?a (COUNT(?l) AS ?n) {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} GROUP BY ?a ORDER BY DESC(?n) # {n}",
    "ASK {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l FILTER(STR(?a) = CONCAT(STR(?d), STR(?g), STR(?j))) }} # {n}",
    "CONSTRUCT {{ ?a ?b ?l }} {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }} ORDER BY ?l # {n}",
]

LIGHT = [
    ("ASK {{ ?s ?p ?o }} # {n}", b"true"),
    ("SELECT (COUNT(*) AS ?n) {{ ?s a ?type }} # {n}", b'"n"'),
    ("SELECT ?s {{ ?s ?p ?o }} LIMIT 3 # {n}", b'"s"'),
]


@pytest.fixture(scope="module")
def limited() -> Iterator[LiveServer]:
    server = start_server(query_timeout=LIMIT, query_workers=2)
    yield server
    server.stop()
    server.store.close()


def _sparql(url: str, query: str) -> httpx.Response:
    accept = "application/sparql-results+json, text/turtle;q=0.9"
    return httpx.get(url + "sparql", params={"query": query}, headers={"Accept": accept}, timeout=120)


def test_ten_runaways_are_stopped_and_light_queries_are_answered_meanwhile(limited: LiveServer) -> None:
    url = limited.url
    assert _sparql(url, "ASK {}").status_code == 200  # the workers are warm
    runaway_answers: dict[int, httpx.Response | str] = {}
    done = threading.Event()

    def runaway(n: int) -> None:
        try:
            runaway_answers[n] = _sparql(url, RUNAWAYS[n % len(RUNAWAYS)].format(n=n))
        except httpx.HTTPError as err:
            runaway_answers[n] = repr(err)

    threads = [threading.Thread(target=runaway, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    def watch() -> None:
        for thread in threads:
            thread.join()
        done.set()

    watcher = threading.Thread(target=watch)
    watcher.start()

    light: list[tuple[int, bytes, bool]] = []
    n = 0
    time.sleep(0.3)  # the runaways are running
    while not done.is_set() and n < 200:
        query, expected = LIGHT[n % len(LIGHT)]
        response = _sparql(url, query.format(n=n))
        light.append((response.status_code, expected if expected in response.content else response.content,
                      not done.is_set()))
        n += 1
    watcher.join(120)

    # every runaway: stopped at its limit (of time, or of memory: a sort gets there first on a fast machine),
    # answered 503 with a problem and Retry-After
    assert len(runaway_answers) == 10
    for n, answer in sorted(runaway_answers.items()):
        assert isinstance(answer, httpx.Response), f"runaway {n}: {answer}"
        assert answer.status_code == 503, f"runaway {n}: {answer.status_code} {answer.text[:200]}"
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers.get("retry-after")
        assert "limit" in answer.json()["detail"]
    # light queries sent while the runaways ran were answered, correctly
    while_running = [entry for entry in light if entry[2]]
    assert while_running, "no light query was answered before the runaways were stopped"
    for status, body, _ in light:
        assert status == 200, (status, body)
        assert body in {expected for _, expected in LIGHT}, body

    # the service stays healthy
    assert httpx.get(url + "health").status_code == 200
    assert httpx.get(url + "ready").status_code == 200
    after = _sparql(url, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o } # after")
    assert after.status_code == 200 and b'"n"' in after.content


def killed(server: LiveServer) -> int:
    """Query workers the embedded store has killed at their limit."""
    assert isinstance(server.store, OxigraphStore)
    return server.store._workers().killed


def test_runaway_workers_are_killed_not_leaked(limited: LiveServer) -> None:
    import os

    before = killed(limited)
    answers = []
    threads = [threading.Thread(target=lambda n=n: answers.append(_sparql(limited.url, RUNAWAYS[0].format(n=f"k{n}"))))
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [a.status_code for a in answers] == [503] * 4
    assert killed(limited) >= before + 4
    workers = children(os.getpid())
    assert len(workers) <= limited.settings.max_query_workers, workers


def test_a_query_past_the_row_limit_is_cut_and_says_so(limited: LiveServer) -> None:
    """Not a runaway: a big answer is cut at max_rows with the truncation signalled (never silently)."""
    response = _sparql(limited.url, "SELECT * { ?a ?b ?c . ?d ?e ?f } LIMIT 20000")
    assert response.status_code == 200
    assert response.headers["x-backchannel-truncated"] == "true"
    assert response.headers["x-backchannel-row-limit"] == str(limited.settings.max_rows)
    assert len(response.json()["results"]["bindings"]) == limited.settings.max_rows


def test_a_query_that_needs_too_much_memory_kills_only_its_worker() -> None:
    """A sort over a cross join grows by hundreds of MB a second: the worker's memory cap stops it.

    Without a cap, a few of these at the default 30 s limit take every byte of the machine (the OOM
    killer then picks a victim, maybe the server). With ``query_memory_mb`` the worker aborts, is
    replaced, and the client gets a 503; the server process does not grow.
    """
    import os

    from tests.support import rss_kib

    server = start_server(query_timeout=120, query_workers=1, query_memory_mb=256)
    try:
        before = rss_kib(os.getpid())
        response = _sparql(server.url, RUNAWAYS[0].format(n="memory"))
        assert response.status_code == 503, response.text[:300]
        assert response.headers["content-type"] == "application/problem+json"
        assert "memory" in response.json()["detail"]
        assert killed(server) == 1
        assert rss_kib(os.getpid()) - before < 200 * 1024  # the answer did not land in this process
        assert _sparql(server.url, "ASK { ?s ?p ?o }").status_code == 200  # a fresh worker answers
    finally:
        server.stop()
        server.store.close()


def test_path_searches_inside_sparql_are_bounded(limited: LiveServer) -> None:
    """Regression: every ``SERVICE bc:paths`` block runs a path search in the *server* process, before the query
    reaches a killable worker and outside its time limit. A 100 kB query of 500 blocks held a server thread for
    minutes (40 such requests and the thread pool is gone). The number of blocks per query is now capped."""
    from kg.paths.sparql_service import MAX_SERVICE_BLOCKS

    block = ('SERVICE bc:paths {{ [] bc:from "Joseph Montville" ; bc:to "Oslo Accords" ; bc:mode "all" ; '
             'bc:limit 1000 ; bc:maxLength 8 ; bc:hop ?h{n} }}')
    many = "SELECT (COUNT(*) AS ?c) WHERE { " + " ".join(block.format(n=n) for n in range(500)) + " }"
    response = httpx.post(limited.url + "sparql", data={"query": many}, timeout=60,
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400, response.text[:300]
    assert f"at most {MAX_SERVICE_BLOCKS}" in response.json()["detail"]
    few = "SELECT (COUNT(*) AS ?c) WHERE { " + " ".join(block.format(n=n) for n in range(2)) + " }"
    assert _sparql(limited.url, few).status_code == 200


def test_huge_answers_are_cut_and_do_not_pile_up_in_the_server(limited: LiveServer) -> None:
    """Regression: rows of huge literals (a 1 kB string doubled ten times per row) made 100 MB answers; each went
    through the server and into the result cache, so the server grew by ~200 MB per distinct query (512 cache
    entries: tens of GB). Answers are now cut at ``max_bytes`` (signalled like the row limit) and the cache keeps
    at most 64 MiB, none of it in answers over 8 MiB."""
    import os

    from kg.store.base import QueryRequest
    from tests.support import rss_kib

    def huge(n: int) -> str:
        binds = 'BIND(CONCAT("{seed}", STR(?i)) AS ?a0) '.format(seed="x" * 1000) + " ".join(
            f"BIND(CONCAT(?a{k}, ?a{k}) AS ?a{k + 1})" for k in range(10))
        values = " ".join(str(n * 1000 + i) for i in range(100))
        return f"SELECT ?a10 {{ VALUES ?i {{ {values} }} {binds} }}"

    limit = QueryRequest("ASK {}").max_bytes
    _sparql(limited.url, huge(99))  # allocator warm-up
    before = rss_kib(os.getpid())
    for n in range(5):
        response = httpx.get(limited.url + "sparql", params={"query": huge(n)}, headers={"Accept": "text/csv"},
                             timeout=120)
        assert response.status_code == 200
        assert response.headers["x-backchannel-truncated"] == "true"
        assert 0 < len(response.content) <= limit * 1.1
    assert rss_kib(os.getpid()) - before < 400 * 1024, "the server kept the huge answers"


@embedded_only
def test_a_runaway_update_is_stopped_at_the_time_limit_and_changes_nothing(limited: LiveServer) -> None:
    """Regression: updates ran in the server process with no time limit, so a token holder's mistake (a DELETE or
    INSERT over a cross join) held the write lock and a core until it ended. An update that evaluates patterns is
    first tried in a query worker on a copy of the data, under the query time limit; past it: 503, nothing changed.
    """
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    runaway = ("INSERT { GRAPH <http://ex/runaway> { ?a ?b ?c } } WHERE { GRAPH ?w { ?a ?b ?c } GRAPH ?x { ?d ?e ?f } "
               "GRAPH ?y { ?g ?h ?i } GRAPH ?z { ?j ?k ?l } }")
    before = killed(limited)
    response = httpx.post(limited.url + "sparql", content=runaway.encode(), headers=auth, timeout=120)
    assert response.status_code == 503, response.text[:300]
    assert response.headers["retry-after"] and "nothing was changed" in response.json()["detail"]
    assert "http://ex/runaway" not in limited.store.graph_names()
    assert killed(limited) == before + 1
    bounded = "DELETE { GRAPH <http://ex/fine> { ?s ?p 1 } } INSERT { GRAPH <http://ex/fine> { ?s ?p 2 } } WHERE { " \
              "GRAPH <http://ex/fine> { ?s ?p 1 } }"
    for update in ("INSERT DATA { GRAPH <http://ex/fine> { <http://ex/a> <http://ex/b> 1 } }", bounded):
        assert httpx.post(limited.url + "sparql", content=update.encode(), headers=auth,
                          timeout=60).status_code == 204
    rows = _sparql(limited.url, "SELECT ?o { GRAPH <http://ex/fine> { <http://ex/a> <http://ex/b> ?o } }").json()
    assert [r["o"]["value"] for r in rows["results"]["bindings"]] == ["2"]
