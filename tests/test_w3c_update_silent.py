"""W3C SPARQL 1.1 Update, the ``update-silent`` manifest (13 tests), through our endpoint.

SILENT turns a failing operation into one that succeeds and does nothing: LOAD SILENT of a source that cannot be
read, CLEAR/DROP/COPY/MOVE/ADD SILENT of a graph that does not exist, CREATE SILENT of one that does. Each test
is replayed as a client would: the manifest's data is put with the Graph Store Protocol, the update is POSTed to
``/sparql``, and the store's default graph and named graphs are read back and compared with the expected ones.
``LOAD SILENT <somescheme://…>`` is refused by the federation guard, so it is the guard's no-op that passes.
The tests run against a server of their own (they DROP ALL).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from tests.support import TOKEN, LiveServer, start_server

SUITE = (Path(__file__).resolve().parents[1] / ".." / "shared" / "w3c" / "sparql11" / "update-silent").resolve()
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass(frozen=True)
class UpdateTest:
    """One manifest entry: the update, the data before (default graph, named graphs) and after."""

    name: str
    request: Path
    data: Path | None
    graphs: tuple[tuple[str, Path], ...]
    result_data: Path | None
    result_graphs: tuple[tuple[str, Path], ...]


def _state(manifest: rdflib.Graph, node: rdflib.term.Node | None) -> tuple[Path | None, tuple[tuple[str, Path], ...]]:
    if node is None:
        return None, ()
    data = manifest.value(node, UT.data)
    graphs = tuple(sorted(
        (str(manifest.value(g, rdflib.RDFS.label)), Path(str(manifest.value(g, UT.graph)).removeprefix("file://")))
        for g in manifest.objects(node, UT.graphData)))
    return (Path(str(data).removeprefix("file://")) if data is not None else None), graphs


def read_tests() -> list[UpdateTest]:
    """Every entry of the manifest, in its order."""
    manifest = rdflib.Graph().parse(SUITE / "manifest.ttl", publicID=(SUITE / "manifest.ttl").as_uri())
    head = manifest.value(rdflib.URIRef((SUITE / "manifest.ttl").as_uri()), MF.entries)
    assert head is not None, "the manifest lists no entries"
    tests = []
    for entry in rdflib.collection.Collection(manifest, head):
        action, result = manifest.value(entry, MF.action), manifest.value(entry, MF.result)
        request = manifest.value(action, UT.request)
        data, graphs = _state(manifest, action)
        result_data, result_graphs = _state(manifest, result)
        tests.append(UpdateTest(str(manifest.value(entry, MF.name)), Path(str(request).removeprefix("file://")),
                                data, graphs, result_data, result_graphs))
    return tests


TESTS = read_tests() if SUITE.exists() else []


@pytest.fixture(scope="module")
def own_server() -> Iterator[LiveServer]:
    live = start_server()
    yield live
    live.stop()
    live.store.close()


def _graph(text: str | bytes) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format="turtle")


def _expected(path: Path | None) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle") if path is not None else rdflib.Graph()


def test_the_whole_manifest_is_here() -> None:
    assert len(TESTS) == 13, f"the update-silent manifest should list 13 tests (is {SUITE} there?)"


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_update_silent(own_server: LiveServer, test: UpdateTest) -> None:
    with httpx.Client(base_url=own_server.url, timeout=60) as client:
        assert client.post("sparql", data={"update": "DROP ALL"}, headers=AUTH).status_code == 204
        turtle = {"Content-Type": "text/turtle"}
        if test.data is not None:
            assert client.put("store?default", content=test.data.read_bytes(), headers=AUTH | turtle).is_success
        for graph, path in test.graphs:
            assert client.put("store", params={"graph": graph}, content=path.read_bytes(),
                              headers=AUTH | turtle).is_success
        response = client.post("sparql", content=test.request.read_bytes(),
                               headers=AUTH | {"Content-Type": "application/sparql-update"})
        assert response.status_code == 204, response.text
        default = client.get("store?default", headers={"Accept": "text/turtle"})
        assert isomorphic(_graph(default.content), _expected(test.result_data))
        rows = client.get("sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                          headers={"Accept": "application/sparql-results+json"}).json()["results"]["bindings"]
        assert sorted(row["g"]["value"] for row in rows) == [graph for graph, _ in test.result_graphs]
        for graph, path in test.result_graphs:
            stored = client.get("store", params={"graph": graph}, headers={"Accept": "text/turtle"})
            assert isomorphic(_graph(stored.content), _expected(path)), graph
