"""``backchannel load`` and ``backchannel index`` (:mod:`kg.cli.loading`): big files go into the on-disk store in
bulk, and the path projection is built with them, under the name a server's first start looks for (on the bench's
1M-relation graph: the first ``/ready`` 13 s → the ~3 s of a restart)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.paths.builder import projection_from_quads
from kg.paths.files import ProjectionFiles
from kg.settings import Settings
from kg.store.embedded import OxigraphStore
from tests.support import embedded_only
from tests.test_projection_files import projection_files, serve_once

pytestmark = embedded_only

ROOT = Path(__file__).resolve().parent.parent
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def backchannel(store: Path | str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", "--store", str(store), *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=None if env is None else {**os.environ, **env})


@pytest.fixture()
def nquads(tmp_path: Path) -> Path:
    """A few thousand people who know each other, in ten graphs, named "Person N"."""
    lines = []
    for n in range(3000):
        graph = f"<http://example.org/g{n % 10}>"
        lines.append(f'<http://example.org/p{n}> <{LABEL}> "Person {n}"@en {graph} .')
        lines.append(f"<http://example.org/p{n}> <http://example.org/knows> <http://example.org/p{(n * 7 + 1) % 3000}>"
                     f" {graph} .")
    path = tmp_path / "people.nq"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_loaded_store_starts_with_the_projection_the_load_built(tmp_path: Path, nquads: Path) -> None:
    location = tmp_path / "store"
    done = backchannel(location, "load", str(nquads))
    assert done.returncode == 0, done.stderr
    assert "6,000 quads added" in done.stdout and "built the path projection (3,000 relations" in done.stdout
    [written] = projection_files(location)
    # a server's first start finds that file (it writes no other) and answers from it: a projection of other names
    # under the same file name is what it reads
    store = OxigraphStore(":memory:")
    store.replace_graph("http://example.org/g", f'<http://example.org/x> <{LABEL}> "Somebody Else" .'.encode(),
                        "text/turtle")
    ProjectionFiles(written.parent, written.stem).save(projection_from_quads(store.quads(), "x"))
    assert serve_once(location, Settings(store=str(location)), "Somebody") == ["Somebody Else"]
    assert projection_files(location) == [written]
    again = backchannel(location, "index")  # the store did not change: the file is found, not built
    assert again.returncode == 0 and "found the path projection" in again.stdout, again.stderr


def test_without_the_index_the_first_start_builds_it(tmp_path: Path, nquads: Path) -> None:
    location = tmp_path / "store"
    done = backchannel(location, "load", "--no-index", str(nquads))
    assert done.returncode == 0, done.stderr
    assert projection_files(location) == [] and "projection" not in done.stdout
    assert serve_once(location, Settings(store=str(location)), "Person 12")[:1] == ["Person 12"]
    [written] = projection_files(location)
    indexed = backchannel(location, "index")
    assert "found the path projection" in indexed.stdout and projection_files(location) == [written]


def test_triples_go_to_the_graph_named(tmp_path: Path) -> None:
    location = tmp_path / "store"
    turtle = tmp_path / "people.data"
    turtle.write_text('<http://example.org/a> <http://example.org/knows> <http://example.org/b> .\n')
    done = backchannel(location, "load", "--format", "ttl", "--graph", "http://example.org/people", str(turtle))
    assert done.returncode == 0, done.stderr
    store = OxigraphStore(location)
    try:
        assert [str(q.graph_name) for q in store.raw] == ["<http://example.org/people>"]
    finally:
        store.close()


@pytest.mark.parametrize(("args", "says"), [
    (["load", "{dir}/people.png"], "cannot tell the format of"),
    (["load", "--format", "png", "{nq}"], "unknown format 'png'"),
    (["load", "--graph", "http://example.org/g", "{nq}"], "--graph is for triples"),
    (["load", "{dir}/missing.nq"], "no file"),
    (["load", "--format", "nt", "{dir}/people.nt.gz"], "is compressed"),
    (["load", "{dir}"], "no file"),
    (["load", "--format", "ttl", "--graph", "not an iri", "{dir}/people.png"], "must be an absolute IRI"),
    (["load", "--format", "ttl", "--graph", "people", "{dir}/people.png"], "must be an absolute IRI"),
])
def test_a_load_that_cannot_be_done_says_why_and_loads_nothing(tmp_path: Path, nquads: Path, args: list[str],
                                                                says: str) -> None:
    (tmp_path / "people.png").write_bytes(b"\x89PNG")
    (tmp_path / "people.nt.gz").write_bytes(b"\x1f\x8b")
    location = tmp_path / "store"
    done = backchannel(location, *(a.format(dir=tmp_path, nq=nquads) for a in args))
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert not location.exists()  # the store was not even opened


def test_a_file_that_does_not_parse_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.nt"
    bad.write_text("<http://example.org/a> <http://example.org/p> .\n")
    done = backchannel(tmp_path / "store", "load", str(bad))
    assert done.returncode == 2 and "bad.nt" in done.stderr and "Traceback" not in done.stderr


def test_load_needs_a_store_on_disk(nquads: Path) -> None:
    done = backchannel(":memory:", "load", str(nquads))
    assert done.returncode != 0 and "needs the embedded store on disk" in done.stderr


def test_a_store_held_by_a_server_is_not_loaded_and_the_message_says_what_to_do(tmp_path: Path, nquads: Path) -> None:
    location = tmp_path / "store"
    held = OxigraphStore(location)  # as a running server holds it
    try:
        done = backchannel(location, "load", str(nquads))
        assert done.returncode != 0 and "Graph Store Protocol" in done.stderr, done.stderr
        assert len(held.raw) == 0
    finally:
        held.close()


def test_with_projection_files_turned_off_the_load_says_it_wrote_none(tmp_path: Path, nquads: Path) -> None:
    location = tmp_path / "store"
    done = backchannel(location, "load", str(nquads), env={"BACKCHANNEL_PATHS_PROJECTION_FILES": "false"})
    assert done.returncode == 0 and "projection files are turned off" in done.stdout, done.stderr
    assert projection_files(location) == []
