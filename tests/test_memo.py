"""A repeated /paths question is answered from memory by its request (service/http/memo.py), on a live server:
the same answer as the route gives, never a stale one after a write, never an error kept, never one client's
answer for another's request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.http.caching import BodyCache
from tests.support import TOKEN, LiveServer, embedded_only, start_server

pytestmark = embedded_only  # on a remote store nothing is kept by request (its version may have to be asked for)

QUESTION: dict[str, str | int] = {"from": "Joseph Montville", "to": "Oslo", "k": 1, "max_length": 5}


@pytest.fixture()
def live() -> Iterator[LiveServer]:
    server = start_server()
    yield server
    server.stop()
    server.store.close()


def kept(server: LiveServer) -> BodyCache:
    """The server's answers kept by request."""
    app: Any = server.server.config.app
    cache: BodyCache = app.state.backchannel.path_requests
    return cache


def ask(server: LiveServer, params: dict[str, str | int] = QUESTION, headers: dict[str, str] | None = None,
        **more: str) -> httpx.Response:
    return httpx.get(server.url + "paths", params=params, headers=(headers or {}) | more, timeout=60)


def test_a_repeated_question_gets_the_same_answer_from_memory(live: LiveServer) -> None:
    first, again = ask(live), ask(live)
    assert first.status_code == again.status_code == 200
    assert (first.headers["x-backchannel-cache"], again.headers["x-backchannel-cache"]) == ("miss", "hit")
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["content-length"] == str(len(again.content))
    assert again.headers["x-request-id"] != first.headers["x-request-id"]  # each request still its own id
    assert len(kept(live)._entries) == 1


def test_each_format_is_kept_apart(live: LiveServer) -> None:
    as_json = ask(live, Accept="application/json")
    as_turtle = ask(live, Accept="text/turtle")
    again = ask(live, Accept="text/turtle")
    assert as_json.headers["content-type"] == "application/json"
    assert as_turtle.headers["content-type"].startswith("text/turtle") and again.content == as_turtle.content
    assert again.headers["x-backchannel-cache"] == "hit"


def test_a_write_is_seen_at_once(live: LiveServer) -> None:
    """The key holds the store's version: after a write the question is searched again."""
    before = ask(live).json()
    assert ask(live).headers["x-backchannel-cache"] == "hit"
    montville, oslo = before["from"]["iri"], before["to"]["iri"]
    put = httpx.put(live.url + "store", params={"graph": "http://example.org/new"},
                    content=f"<{montville}> <http://example.org/visited> <{oslo}> .".encode(),
                    headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert put.status_code in (201, 204), put.text
    after = ask(live)
    assert after.headers["x-backchannel-cache"] == "miss"
    assert after.json()["shortest_length"] == 1 and before["shortest_length"] > 1


def test_errors_are_not_kept(live: LiveServer) -> None:
    bad = QUESTION | {"k": 0}
    first, again = ask(live, bad), ask(live, bad)
    assert first.status_code == again.status_code and 400 <= first.status_code < 500
    assert "x-backchannel-cache" not in again.headers
    unknown = QUESTION | {"to": "Atlantis"}
    assert ask(live, unknown).status_code == ask(live, unknown).status_code == 404
    assert not kept(live)._entries


def test_conditional_and_cross_origin_requests_go_to_the_route(live: LiveServer) -> None:
    ask(live)
    for headers in ({"Origin": "https://example.org"}, {"If-None-Match": '"x"'}, {"Authorization": "Bearer x"}):
        answer = ask(live, headers=headers)
        assert answer.status_code == 200 and answer.content == ask(live).content
    assert len(kept(live)._entries) == 1


def test_other_methods_are_answered_as_before(live: LiveServer) -> None:
    head = httpx.head(live.url + "paths", params=QUESTION, timeout=60)
    post = httpx.post(live.url + "paths", params=QUESTION, timeout=60)
    assert head.status_code == post.status_code == 405


def documents(server: LiveServer) -> BodyCache:
    app: Any = server.server.config.app
    cache: BodyCache = app.state.backchannel.document_requests
    return cache


def test_a_document_asked_again_is_the_same_and_still_validated(live: LiveServer) -> None:
    url = live.url + "doc/person/joseph-v-montville"
    first = httpx.get(url, headers={"Accept": "text/turtle"}, timeout=60)
    again = httpx.get(url, headers={"Accept": "text/turtle"}, timeout=60)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    for header in ("etag", "last-modified", "vary", "content-type", "link", "cache-control"):
        assert again.headers.get(header) == first.headers.get(header), header
    assert len(documents(live)._entries) == 1
    current = httpx.get(url, headers={"Accept": "text/turtle", "If-None-Match": first.headers["etag"]}, timeout=60)
    assert current.status_code == 304
    page = httpx.get(url, headers={"Accept": "text/html"}, timeout=60)
    assert page.headers["content-type"].startswith("text/html") and b"Montville" in page.content
    assert httpx.get(url, headers={"Accept": "text/html"}, timeout=60).content == page.content


def test_a_document_after_a_write_tells_the_new_fact(live: LiveServer) -> None:
    url = live.url + "doc/person/joseph-v-montville"
    before = httpx.get(url, headers={"Accept": "application/n-triples"}, timeout=60)
    assert httpx.get(url, headers={"Accept": "application/n-triples"}, timeout=60).content == before.content
    iri = live.url + "id/person/joseph-v-montville"
    put = httpx.put(live.url + "store", params={"graph": "http://example.org/new"},
                    content=f'<{iri}> <http://example.org/nickname> "Joe" .'.encode(),
                    headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert put.status_code in (201, 204), put.text
    after = httpx.get(url, headers={"Accept": "application/n-triples"}, timeout=60)
    assert b'"Joe"' in after.content and b'"Joe"' not in before.content
    assert after.headers["etag"] != before.headers["etag"]


def test_an_unknown_document_is_not_kept(live: LiveServer) -> None:
    url = live.url + "doc/person/nobody-at-all"
    assert httpx.get(url, timeout=60).status_code == httpx.get(url, timeout=60).status_code == 404
    assert not documents(live)._entries


def test_made_up_parameters_are_answered_but_not_kept(live: LiveServer) -> None:
    """A flood of one question with a different junk parameter each time must not fill the memory with copies."""
    for n in range(5):
        answer = ask(live, QUESTION | {"junk": n})
        assert answer.status_code == 200
        doc = httpx.get(live.url + f"doc/person/joseph-v-montville?x={n}", headers={"Accept": "text/turtle"},
                        timeout=60)
        assert doc.status_code == 200
    assert not kept(live)._entries and not documents(live)._entries
    assert ask(live, QUESTION | {"k": 2}).status_code == 200  # a parameter the route takes is kept
    assert len(kept(live)._entries) == 1


def test_an_answer_from_memory_is_counted_under_its_route(live: LiveServer) -> None:
    ask(live)
    ask(live)
    metrics = httpx.get(live.url + "metrics", timeout=60).text
    line = next(row for row in metrics.splitlines() if row.startswith("backchannel_http_requests_total{")
                and 'route="/paths"' in row and 'status="200"' in row)
    assert float(line.rsplit(" ", 1)[1]) >= 2


def test_an_answer_that_varies_by_a_header_outside_the_key_is_not_kept() -> None:
    """A route whose answer varies by ``Accept-Encoding`` (not in the key) is always asked; one that varies by
    ``Accept`` alone is kept."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from service.http.memo import memo_route

    calls: list[str] = []

    def answer(request: Any) -> Response:
        calls.append(request.url.path)
        vary = "Accept-Encoding" if request.url.path == "/encoded" else "Accept"
        return Response(b"same", headers={"Vary": vary, "X-Backchannel-Cache": "miss"})

    routes: list[Any] = [Route("/encoded", answer), Route("/plain", answer)]
    cache = BodyCache()
    routes.insert(0, memo_route(routes, "/encoded", "/encoded", cache, lambda: "v1"))
    routes.insert(0, memo_route(routes, "/plain", "/plain", cache, lambda: "v1"))
    with TestClient(Starlette(routes=routes)) as client:
        for _ in range(2):
            assert client.get("/encoded").content == client.get("/plain").content == b"same"
    assert calls == ["/encoded", "/plain", "/encoded"]
