"""The README stays true: every curl example in it answers as shown, against a live server."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import httpx
import pytest

from kg.settings import PROJECT_ROOT
from tests.support import REMOTE_BACKEND, TOKEN, LiveServer

README = (PROJECT_ROOT / "README.md").read_text()
EXAMPLE_HOST = "http://127.0.0.1:8000/"


@dataclass
class Curl:
    """The parts of a curl command line that matter for a request."""

    url: str = ""
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    form: list[tuple[str, str]] = field(default_factory=list)
    data: str | None = None
    follow: bool = False
    uses_file: bool = False


def parse_curl(line: str) -> Curl:
    """Read one curl command line (the options the README uses).

    >>> c = parse_curl("curl -L -H 'Accept: text/csv' --data-urlencode 'query=ASK {}' http://x/sparql")
    >>> (c.method, c.headers, c.form, c.follow, c.url)
    ('POST', {'Accept': 'text/csv'}, [('query', 'ASK {}')], True, 'http://x/sparql')
    """
    words = shlex.split(line.split(" #", 1)[0].replace(" > ", " >"))
    curl = Curl()
    i = 1
    while i < len(words):
        word = words[i]
        if word == "-H":
            name, _, value = words[i + 1].partition(":")
            curl.headers[name.strip()] = value.strip()
            i += 1
        elif word == "--data-urlencode":
            name, _, value = words[i + 1].partition("=")
            curl.form.append((name, value))
            curl.method = "POST"
            i += 1
        elif word in ("--data", "--data-binary"):
            curl.data = words[i + 1]
            curl.uses_file = curl.data.startswith("@")
            curl.method = "POST" if curl.method == "GET" else curl.method
            i += 1
        elif word == "-X":
            curl.method = words[i + 1]
            i += 1
        elif word == "-I":
            curl.method = "HEAD"
        elif word == "-L":
            curl.follow = True
        elif word.startswith(">"):
            pass
        elif not word.startswith("-"):
            curl.url = word
        i += 1
    return curl


def curl_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("curl ")]


EXAMPLES = curl_lines()


def test_the_readme_has_curl_examples_for_every_endpoint_family() -> None:
    joined = "\n".join(EXAMPLES)
    for route in ("/sparql", "/store", "/id/", "/doc/", "/def", "/.well-known/void", "/dumps/", "/paths",
                  "/influence/", "/search", "/api/queries", "/health", "/ready", "/metrics", "/backup"):
        assert route in joined, f"no curl example for {route}"


@pytest.mark.parametrize("line", [e for e in EXAMPLES if "@" not in e.split("--data-binary")[-1][:2]], ids=str)
def test_curl_example_answers(line: str, server: LiveServer) -> None:
    curl = parse_curl(line.replace("$TOKEN", TOKEN))
    if curl.uses_file:
        pytest.skip("reads a local file")
    url = curl.url.replace(EXAMPLE_HOST, server.url)
    content = curl.data.replace(EXAMPLE_HOST, server.url).encode() if curl.data else None
    form = {k: v.replace(EXAMPLE_HOST, server.url) for k, v in curl.form} or None
    response = httpx.request(curl.method, url, headers=curl.headers, data=form, content=content,
                             follow_redirects=curl.follow, timeout=30)
    expected_redirect = "-i" in line.split() and "/id/" in url
    if REMOTE_BACKEND and "/influence/ranking" in url:  # documented: ranking needs the in-memory engine
        assert response.status_code == 400 and "in-memory" in response.text
        return
    if url.endswith("/backup"):  # documented for make run's on-disk store; the test server's is in memory
        assert response.status_code == 409 and "on-disk" in response.text, response.text
        return
    assert response.status_code < 400 or (expected_redirect and response.status_code == 303), (
        f"{line}\n→ {response.status_code} {response.text[:300]}"
    )
