"""Projection files (:mod:`kg.paths.files`): a restart of a server on an on-disk store reads its path projection
back instead of building it again (on the bench's 1M-relation graph: ``/ready`` 30 s → 3.5 s), and never reads a
projection of other content, a file it cannot trust, or one the path workers did not write for this store."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from kg.paths.builder import projection_from_quads
from kg.paths.files import ProjectionFiles, fingerprint
from kg.paths.workers import PathWorkers
from kg.settings import Settings
from kg.store.embedded import OxigraphStore
from tests.support import embedded_only

pytestmark = embedded_only

GRAPH = "http://example.org/g"
TURTLE = b"""@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/a> <http://example.org/knows> <http://example.org/b> ; rdfs:label "Alpha Person" .
<http://example.org/b> rdfs:label "Beta Person" .
"""


def labels(workers: PathWorkers, text: str) -> list[object]:
    return [found["label"] for found in workers.search_names(text)]


def serve_once(location: Path, settings: Settings, ask: str) -> list[object]:
    """Open the store, have a path worker load the graph and answer a name search, and stop (a server's life)."""
    store = OxigraphStore(location)
    workers = PathWorkers(store, settings)
    try:
        problem, _ = workers.readiness()
        assert problem is None
        return labels(workers, ask)
    finally:
        workers.close()
        store.close()


@pytest.fixture()
def on_disk(tmp_path: Path) -> Path:
    location = tmp_path / "store"
    store = OxigraphStore(location)
    store.replace_graph(GRAPH, TURTLE, "text/turtle")
    store.close()
    return location


def projection_files(location: Path) -> list[Path]:
    return sorted(Path(f"{location}.projections").glob("*.projection"))


def test_a_restart_reads_the_projection_back_from_its_file(on_disk: Path) -> None:
    settings = Settings(store=str(on_disk))
    assert serve_once(on_disk, settings, "Alpha") == ["Alpha Person"]
    [written] = projection_files(on_disk)
    kept = ProjectionFiles(written.parent, written.stem).load("x")  # what the worker wrote can be read back, whole
    assert kept is not None and kept.version == "x" and {"names", "path-tables"} <= set(kept._memo)
    # the file is what a restart reads: replace its projection by one of other things, under the same key
    store = OxigraphStore(":memory:")
    store.replace_graph(GRAPH, TURTLE.replace(b"Alpha", b"Gamma"), "text/turtle")
    other = projection_from_quads(store.quads(), "x")
    ProjectionFiles(written.parent, written.stem).save(other)
    assert serve_once(on_disk, settings, "Gamma") == ["Gamma Person"]


def test_a_changed_store_builds_a_new_projection(on_disk: Path) -> None:
    settings = Settings(store=str(on_disk))
    assert serve_once(on_disk, settings, "Alpha") == ["Alpha Person"]
    store = OxigraphStore(on_disk)
    store.replace_graph(GRAPH, TURTLE.replace(b"Alpha", b"Delta"), "text/turtle")
    store.close()
    assert serve_once(on_disk, settings, "Delta") == ["Delta Person"]
    assert serve_once(on_disk, settings, "Alpha") == []
    assert len(projection_files(on_disk)) == 2  # the newest two are kept


def test_the_setting_turns_the_files_off(on_disk: Path) -> None:
    settings = Settings(store=str(on_disk), paths_projection_files=False)
    assert serve_once(on_disk, settings, "Alpha") == ["Alpha Person"]
    assert projection_files(on_disk) == []


def test_a_checkpoint_of_an_unchanged_store_has_the_store_key(on_disk: Path, tmp_path: Path) -> None:
    store = OxigraphStore(on_disk)
    try:
        first = store.snapshot().path
        store.raw.backup(str(tmp_path / "again"))
        assert fingerprint(first) == fingerprint(tmp_path / "again") is not None
        store.replace_graph(GRAPH, TURTLE.replace(b"Alpha", b"Epsilon"), "text/turtle")
        assert fingerprint(store.snapshot().path) != fingerprint(first)
    finally:
        store.close()


class _Trap:
    """Unpickling this would call ``os.system``: a projection file must not be able to run code."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return os.system, ("touch /tmp/backchannel-projection-trap",)


def test_a_file_naming_other_code_or_cut_short_is_built_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = ProjectionFiles(tmp_path, "k")
    files.path.write_bytes(pickle.dumps((_Trap(), {})))
    assert files.load("v") is None
    assert not Path("/tmp/backchannel-projection-trap").exists()
    assert "may not name posix.system" in caplog.text
    store = OxigraphStore(":memory:")
    store.replace_graph(GRAPH, TURTLE, "text/turtle")
    files.save(projection_from_quads(store.quads(), "v"))
    files.path.write_bytes(files.path.read_bytes()[:1000])
    assert files.load("v") is None
    assert "unreadable" in caplog.text


def test_a_projection_that_has_answered_k_best_questions_is_saved_readable(tmp_path: Path) -> None:
    """Regression guard: the memo of a projection readied for the compiled k-best searches holds numpy arrays
    (:class:`kg.paths.compiled.Walk`), classes a projection file may not name; the file keeps only what warming
    made, so it is read back rather than refused on every start."""
    from kg.paths.compiled import walk_arrays
    from kg.paths.names import name_index
    from kg.paths.ranking import tables

    store = OxigraphStore(":memory:")
    store.replace_graph(GRAPH, TURTLE, "text/turtle")
    projection = projection_from_quads(store.quads(), "v")
    name_index(projection)
    assert walk_arrays(projection, tables(projection)) is not None
    files = ProjectionFiles(tmp_path, "k")
    files.save(projection)
    again = files.load("v2")
    assert again is not None and again.iris == projection.iris
    assert {"names", "path-tables"} <= set(again._memo) and not any(k.startswith("reverse") for k in again._memo)


def test_a_folder_that_cannot_be_written_only_costs_a_rebuild(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    files = ProjectionFiles(blocker / "projections", "k")
    store = OxigraphStore(":memory:")
    store.replace_graph(GRAPH, TURTLE, "text/turtle")
    files.save(projection_from_quads(store.quads(), "v"))  # no exception: a warning
    assert "cannot write the projection file" in caplog.text
    assert files.load("v") is None


def test_the_path_command_writes_the_file_a_server_then_reads(on_disk: Path) -> None:
    """``backchannel path`` on an on-disk store names the file as a server does: a start after the command finds
    it (no second file), and a second command reads it back."""
    import subprocess
    import sys

    def path_command() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "service.cli", "--store", str(on_disk), "path", "Alpha Person", "Beta Person"],
            capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parent.parent,
        )

    first = path_command()
    assert first.returncode == 0, first.stderr
    assert "Alpha Person" in first.stdout and "Beta Person" in first.stdout
    [written] = projection_files(on_disk)
    assert serve_once(on_disk, Settings(store=str(on_disk)), "Beta") == ["Beta Person"]
    assert projection_files(on_disk) == [written]
    # the command reads it back: a projection of other labels under the same name answers the next command
    store = OxigraphStore(":memory:")
    store.replace_graph(GRAPH, TURTLE.replace(b"Beta", b"Omega"), "text/turtle")
    ProjectionFiles(written.parent, written.stem).save(projection_from_quads(store.quads(), "x"))
    again = path_command()
    assert again.returncode != 0 and "Omega Person" in again.stderr  # "Beta Person" is unknown there: a suggestion
