"""Durability: acknowledged writes survive kill -9; interrupted writes leave no partial state; backups are exact.

Every test runs a real ``backchannel serve`` process on an on-disk store in a
temporary folder, kills it with SIGKILL (as a crash or the OOM killer would)
and serves the same folder again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from bench import live
from service.schemas import Backup
from tests.support import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTINGS = {"BACKCHANNEL_WRITE_TOKEN": TOKEN, "BACKCHANNEL_MAX_BODY_BYTES": str(256 * 1024 * 1024)}
EX = "http://durable.example/"


def count(server: live.LiveProcess, graph: str) -> int:
    query = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    response = httpx.get(server.url + "sparql", params={"query": query}, timeout=120,
                         headers={"Accept": "application/sparql-results+json"})
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def values(server: live.LiveProcess, graph: str) -> set[str]:
    query = f"SELECT DISTINCT ?o {{ GRAPH <{graph}> {{ ?s <{EX}version> ?o }} }}"
    response = httpx.get(server.url + "sparql", params={"query": query}, timeout=120,
                         headers={"Accept": "application/sparql-results+json"})
    response.raise_for_status()
    return {b["o"]["value"] for b in response.json()["results"]["bindings"]}


def ntriples(n: int, version: str) -> bytes:
    return "".join(f'<{EX}s{i}> <{EX}version> "{version}" .\n' for i in range(n)).encode()


@pytest.fixture()
def store_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    live.build_store(folder, "http://127.0.0.1:8000/")
    return folder


@pytest.fixture()
def server(store_dir: Path) -> Iterator[live.LiveProcess]:
    process = live.start(store_dir, settings=SETTINGS)
    yield process
    process.stop()


def restart(server: live.LiveProcess) -> live.LiveProcess:
    """Serve the same folder again, on the same port."""
    return live.start(server.store_dir, port=server.port, settings=SETTINGS, log_path=server.log_path)


def test_acknowledged_writes_survive_kill_9(server: live.LiveProcess) -> None:
    update = f'INSERT DATA {{ GRAPH <{EX}updated> {{ <{EX}a> <{EX}version> "update" }} }}'
    assert httpx.post(server.url + "sparql", content=update, headers=AUTH | {
        "Content-Type": "application/sparql-update"}).status_code == 204
    assert httpx.put(server.url + "store", params={"graph": EX + "put"}, content=ntriples(500, "put"),
                     headers=AUTH | {"Content-Type": "application/n-triples"}).status_code == 201
    assert httpx.post(server.url + "store", params={"graph": EX + "put"}, content=ntriples(1, "posted"),
                      headers=AUTH | {"Content-Type": "application/n-triples"}).status_code == 204
    created = httpx.post(server.url + "store", content=ntriples(3, "new"), headers=AUTH | {
        "Content-Type": "application/n-triples"})
    assert created.status_code == 201
    assert httpx.put(server.url + "store", params={"graph": EX + "gone"}, content=ntriples(2, "gone"),
                     headers=AUTH | {"Content-Type": "application/n-triples"}).status_code == 201
    assert httpx.delete(server.url + "store", params={"graph": EX + "gone"}, headers=AUTH).status_code == 204
    graphs_before = set(httpx.get(server.url + "sparql", params={
        "query": "SELECT DISTINCT ?g { GRAPH ?g {} }"}, headers={"Accept": "text/csv"}).text.split())

    server.kill9()
    again = restart(server)
    try:
        assert values(again, EX + "updated") == {"update"}
        assert count(again, EX + "put") == 501 and values(again, EX + "put") == {"put", "posted"}
        assert count(again, created.headers["location"]) == 3
        assert count(again, EX + "gone") == 0
        graphs_after = set(httpx.get(again.url + "sparql", params={
            "query": "SELECT DISTINCT ?g { GRAPH ?g {} }"}, headers={"Accept": "text/csv"}).text.split())
        assert graphs_after == graphs_before
    finally:
        again.stop()


def test_workers_of_a_killed_server_exit_by_themselves(server: live.LiveProcess) -> None:
    assert httpx.get(server.url + "sparql", params={"query": "ASK {}"}).status_code == 200  # workers started
    workers = live.children(server.pid)
    assert workers
    server.process.send_signal(signal.SIGKILL)  # the server only, as the OOM killer would
    server.process.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(live.rss_kib(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if live.rss_kib(pid)], "orphaned query workers kept running"


@pytest.mark.parametrize("when", ["uploading", "writing", "just-after"])
def test_a_put_killed_mid_way_leaves_the_old_graph_or_the_new_one(server: live.LiveProcess, when: str) -> None:
    graph = EX + "big"
    old, new = 1000, 150_000
    assert httpx.put(server.url + "store", params={"graph": graph}, content=ntriples(old, "old"),
                     headers=AUTH | {"Content-Type": "application/n-triples"}).status_code == 201
    body = ntriples(new, "new")
    uploaded = threading.Event()
    half = threading.Event()
    outcome: dict[str, object] = {}

    def chunks() -> Iterator[bytes]:
        step = 256 * 1024
        for start in range(0, len(body), step):
            if start >= len(body) // 2:
                half.set()
                if when == "uploading":
                    time.sleep(0.05)  # slow down: the kill comes while the body is still arriving
            yield body[start : start + step]
        uploaded.set()

    def put() -> None:
        try:
            response = httpx.put(server.url + "store", params={"graph": graph}, content=chunks(), timeout=300,
                                 headers=AUTH | {"Content-Type": "application/n-triples"})
            outcome["status"] = response.status_code
        except httpx.HTTPError as err:
            outcome["error"] = repr(err)

    client = threading.Thread(target=put)
    client.start()
    if when == "uploading":
        assert half.wait(120)
    else:
        assert uploaded.wait(120)
        if when == "writing":
            time.sleep(0.3)  # the server is parsing and writing the new graph
    server.kill9()
    client.join(120)
    again = restart(server)
    try:
        n, seen = count(again, graph), values(again, graph)
        assert (n, seen) in ((old, {"old"}), (new, {"new"})), f"partial state after a kill while {when}: {n}, {seen}"
        if outcome.get("status") in (201, 204):  # acknowledged: the new graph must be there
            assert (n, seen) == (new, {"new"})
    finally:
        again.stop()


def test_a_failing_update_changes_nothing(server: live.LiveProcess) -> None:
    before = count(server, EX + "atomic")
    for update, status in (
        (f'INSERT DATA {{ GRAPH <{EX}atomic> {{ <{EX}a> <{EX}version> "1" }} }} ; '
         f"INSERT DATA {{ <{EX}a> <{EX}b> ", 400),
        (f'INSERT DATA {{ GRAPH <{EX}atomic> {{ <{EX}a> <{EX}version> "2" }} }} ; DROP GRAPH <{EX}no-such-graph>', 400),
        (f'INSERT DATA {{ GRAPH <{EX}atomic> {{ <{EX}a> <{EX}version> "3" }} }} ; CREATE GRAPH <{EX}atomic-exists>',
         400),
    ):
        if "atomic-exists" in update:
            assert httpx.post(server.url + "sparql", content=f"CREATE GRAPH <{EX}atomic-exists>", headers=AUTH | {
                "Content-Type": "application/sparql-update"}).status_code == 204
        response = httpx.post(server.url + "sparql", content=update, headers=AUTH | {
            "Content-Type": "application/sparql-update"})
        assert response.status_code == status, (update, response.status_code, response.text[:300])
        assert response.headers["content-type"] == "application/problem+json"
        assert count(server, EX + "atomic") == before, f"a failed update left a change: {update}"
    bad_turtle = ntriples(10, "half") + b"<http://a> <http://b> ."
    response = httpx.put(server.url + "store", params={"graph": EX + "atomic"}, content=bad_turtle,
                         headers=AUTH | {"Content-Type": "application/n-triples"})
    assert response.status_code == 400
    assert count(server, EX + "atomic") == before


# --- backups -------------------------------------------------------------------------------------------------

def canonical(server: live.LiveProcess) -> list[str]:
    """The whole dataset, canonicalised (RDFC-1.0, so blank node labels do not matter), as sorted N-Quads lines."""
    quads: list[ox.Quad] = []
    default = httpx.get(server.url + "store", params={"default": ""}, headers={"Accept": "application/n-triples"},
                        timeout=120)
    default.raise_for_status()
    quads += [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
              for t in ox.parse(default.content, format=ox.RdfFormat.N_TRIPLES)]
    graphs = httpx.get(server.url + "sparql", params={"query": "SELECT DISTINCT ?g { GRAPH ?g {} }"},
                       headers={"Accept": "text/csv"}, timeout=120).text.split()[1:]
    for graph in graphs:
        response = httpx.get(server.url + "store", params={"graph": graph}, timeout=120,
                             headers={"Accept": "application/n-triples"})
        response.raise_for_status()
        quads += [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph))
                  for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(quad) for quad in dataset)


def test_backup_then_serving_the_backup_gives_the_same_dataset(server: live.LiveProcess, tmp_path: Path) -> None:
    blank = f'INSERT DATA {{ GRAPH <{EX}blank> {{ <{EX}a> <{EX}knows> [ <{EX}name> "b" ; <{EX}knows> [] ] }} }}'
    assert httpx.post(server.url + "sparql", content=blank, headers=AUTH | {
        "Content-Type": "application/sparql-update"}).status_code == 204
    original = canonical(server)
    assert len(original) > 1000
    assert server.stop() == 0
    target = tmp_path / "backup"
    env = live.clean_env({"BACKCHANNEL_STORE": str(server.store_dir)})
    done = subprocess.run([*live._command(), "backup", str(target)], env=env, cwd=live.ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    restored = live.start(target, settings=SETTINGS)
    try:
        assert canonical(restored) == original
    finally:
        restored.stop()


def test_backup_refuses_an_existing_target_and_a_store_in_use(server: live.LiveProcess, tmp_path: Path) -> None:
    env = live.clean_env({"BACKCHANNEL_STORE": str(server.store_dir)})
    busy = subprocess.run([*live._command(), "backup", str(tmp_path / "b1")], env=env, cwd=live.ROOT,
                          capture_output=True, text=True, timeout=300)
    assert busy.returncode != 0  # the serving process holds the store: a clear message, no half copy
    assert "backchannel" in busy.stderr and "Traceback" not in busy.stderr
    assert not (tmp_path / "b1").exists() or not any((tmp_path / "b1").iterdir())
    assert server.process.poll() is None and httpx.get(server.url + "ready").status_code == 200
    os.makedirs(tmp_path / "exists")
    server.stop()
    exists = subprocess.run([*live._command(), "backup", str(tmp_path / "exists")], env=env, cwd=live.ROOT,
                            capture_output=True, text=True, timeout=300)
    assert exists.returncode == 2 and "exists" in exists.stderr


def test_backup_while_serving_goes_through_the_service(server: live.LiveProcess, tmp_path: Path) -> None:
    """Regression: a backup needed the server stopped (it holds the store). With the write token, `backchannel
    backup` asks the running service for an online checkpoint and moves it into place: the copy holds every
    acknowledged write, and the service keeps serving."""
    update = f'INSERT DATA {{ GRAPH <{EX}online> {{ <{EX}a> <{EX}version> "while serving" }} }}'
    assert httpx.post(server.url + "sparql", content=update, headers=AUTH | {
        "Content-Type": "application/sparql-update"}).status_code == 204
    original = canonical(server)
    target = tmp_path / "online"
    env = live.clean_env({"BACKCHANNEL_STORE": str(server.store_dir), "BACKCHANNEL_WRITE_TOKEN": TOKEN})
    done = subprocess.run([*live._command(), "backup", str(target)], env=env, cwd=live.ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "online checkpoint" in done.stdout
    assert server.process.poll() is None and httpx.get(server.url + "ready").status_code == 200
    assert httpx.post(server.url + "backup").status_code == 401  # the service's own route needs the token
    answer = httpx.post(server.url + "backup", headers=AUTH, timeout=120)  # the route itself, as curl calls it
    assert answer.status_code == 200, answer.text
    made = Backup.model_validate(answer.json())
    assert Path(made.path).parent == Path(str(server.store_dir) + ".backups") and Path(made.path).is_dir()
    server.stop()
    restored = live.start(target, settings=SETTINGS)
    try:
        assert canonical(restored) == original
        assert values(restored, f"{EX}online") == {"while serving"}
    finally:
        restored.stop()
