"""The build: from scratch, idempotent, keeps users' graphs, clear errors, deterministic dumps, the CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.data.build import BuildError, build, is_curated
from kg.settings import PROJECT_ROOT, Settings
from kg.store.base import term_value
from kg.store.embedded import OxigraphStore

BASE = "http://127.0.0.1:8000/"
SEED_GRAPH = BASE + "id/source/track-two-diplomacy"


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {"base_iri": BASE, "store": str(tmp_path / "store"), "dump_dir": tmp_path / "dumps"}
    return Settings(**(values | changes))


def test_build_from_scratch_on_disk_loads_every_curated_graph(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = OxigraphStore(settings.store)
    report = build(store, settings, dumps=True)
    assert SEED_GRAPH in report.graphs
    assert "https://w3id.org/backchannel/def" in report.graphs
    assert "https://w3id.org/backchannel/def/track" in report.graphs
    assert set(report.graphs) == set(store.graph_names())
    assert report.classes["http://xmlns.com/foaf/0.1/Person"] >= 15
    assert "Triples per graph" in report.to_text() and "Things per class" in report.to_text()
    assert not list(store.raw.quads_for_pattern(None, None, None, ox.DefaultGraph())), "nothing in the default graph"
    store.close()


def canonical(store: OxigraphStore) -> list[str]:
    """The dataset with blank nodes canonically relabelled (RDFC-1.0), sorted."""
    dataset = ox.Dataset(store.quads())
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(map(str, dataset))


def test_build_is_idempotent(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = OxigraphStore(settings.store)
    build(store, settings)
    first = canonical(store)
    build(store, settings)
    assert canonical(store) == first
    store.close()


def test_rebuild_keeps_graphs_written_by_users(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = OxigraphStore(settings.store)
    build(store, settings)
    user_graph = BASE + "user/notes"
    store.replace_graph(user_graph, b'<http://ex/a> <http://ex/says> "kept" .', "text/turtle")
    store.update(f"INSERT DATA {{ GRAPH <{SEED_GRAPH}> {{ <http://ex/stray> <http://ex/p> 1 }} }}")
    build(store, settings)
    assert store.ask(f'ASK {{ GRAPH <{user_graph}> {{ <http://ex/a> <http://ex/says> "kept" }} }}')
    assert not store.ask("ASK { <http://ex/stray> ?p ?o }"), "curated graphs are replaced whole"
    store.close()


def test_rebuild_drops_the_graph_of_a_removed_source(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_ROOT / "kg" / "data" / "sources", sources)
    settings = settings_for(tmp_path, sources_dir=sources)
    store = OxigraphStore(settings.store)
    build(store, settings)
    assert store.has_graph(BASE + "id/source/general-knowledge")
    (sources / "general-knowledge.ttl").unlink()
    build(store, settings)
    assert not store.has_graph(BASE + "id/source/general-knowledge")
    store.close()


def test_things_are_minted_under_the_configured_base(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, base_iri="https://backchannel.example.org/kg/")
    store = OxigraphStore(":memory:")
    build(store, settings)
    assert store.ask("ASK { <https://backchannel.example.org/kg/id/person/joseph-v-montville> ?p ?o }")
    assert not store.ask("ASK { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'http://127.0.0.1:8000/')) }")
    store.close()


def test_turtle_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    bad = sources / "broken.ttl"
    bad.write_text('@prefix ex: <http://ex/> .\nex:a ex:b "ok" .\nex:c ex:d "unterminated .\n')
    settings = settings_for(tmp_path, sources_dir=sources)
    with pytest.raises(BuildError) as caught:
        build(OxigraphStore(":memory:"), settings)
    message = str(caught.value)
    assert str(bad) in message
    assert "line 3" in message, f"the line number is named: {message}"


def test_an_ontology_file_must_name_its_graph(tmp_path: Path) -> None:
    ontology = tmp_path / "ontology"
    ontology.mkdir()
    (ontology / "loose.ttl").write_text("<http://ex/a> <http://ex/b> <http://ex/c> .\n")
    with pytest.raises(BuildError, match="loose.ttl: declares no owl:Ontology"):
        build(OxigraphStore(":memory:"), settings_for(tmp_path, ontology_dir=ontology))


def test_curated_graphs_are_the_sources_and_the_vocabulary() -> None:
    settings = Settings(base_iri=BASE)
    assert is_curated(SEED_GRAPH, settings)
    assert is_curated("https://w3id.org/backchannel/def/track", settings)
    assert not is_curated(BASE + "graphs/mine", settings)
    assert not is_curated("https://w3id.org/backchannel/definitely-not", settings)


def test_dumps_are_deterministic_and_complete(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        store = OxigraphStore(":memory:")
        report = build(store, settings_for(tmp_path, dump_dir=folder), dumps=True)
        total = len(store)
        store.close()
    for name in ("backchannel.trig", "backchannel.nq", "backchannel.ttl", "backchannel.jsonld"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    quads = list(ox.parse(path=str(first / "backchannel.nq"), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == total == sum(report.graphs.values())
    trig = list(ox.parse(path=str(first / "backchannel.trig"), format=ox.RdfFormat.TRIG))
    assert len(trig) == total
    jsonld = list(ox.parse(path=str(first / "backchannel.jsonld"), format=ox.RdfFormat.JSON_LD))
    assert set(jsonld) == set(quads)  # the named graphs kept
    union = list(ox.parse(path=str(first / "backchannel.ttl"), format=ox.RdfFormat.TURTLE))
    assert len(union) == len({q.triple for q in quads})


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=120,
        cwd=cwd or PROJECT_ROOT,
    )


def test_every_command_has_help() -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    commands = [line.split()[0] for line in top.stdout.split("COMMAND\n", 1)[1].splitlines()
                if line.startswith("    ") and not line.startswith("     ")]
    assert {"build", "validate", "query", "serve", "backup"} <= set(commands)
    for command in commands:
        result = run_cli(command, "--help")
        assert result.returncode == 0, command
        assert "usage: backchannel" in result.stdout


def test_cli_build_then_query_answers_who_coined_track_two(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    built = run_cli("--store", store, "build", "--dump-dir", str(tmp_path / "dumps"))
    assert built.returncode == 0, built.stderr
    assert "Built" in built.stdout and "track-two-diplomacy" in built.stdout
    answer = run_cli("--store", store, "query",
                     "SELECT ?who ?g { GRAPH ?g { ?who bc:coined bc-track:track-two } }")
    assert answer.returncode == 0, answer.stderr
    assert "id/person/joseph-v-montville" in answer.stdout
    assert "id/source/track-two-diplomacy" in answer.stdout


def test_cli_query_reports_a_syntax_error_with_its_position(tmp_path: Path) -> None:
    result = run_cli("--store", ":memory:", "query", "SELECT ?x WHERE { ?x ?y }")
    assert result.returncode == 2
    assert "syntax error" in result.stderr and "1:" in result.stderr


def test_cli_build_reports_a_broken_source_and_fails(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "bad.ttl").write_text("<http://ex/a> <http://ex/b> .\n")
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "--store", ":memory:", "build", "--no-dumps"],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
        env={"BACKCHANNEL_SOURCES_DIR": str(sources), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "bad.ttl" in result.stderr and "line 1" in result.stderr


def test_cli_validate_is_clean() -> None:
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: yes" in result.stdout


def test_blank_nodes_get_iris_that_survive_a_rebuild(tmp_path: Path) -> None:
    """Issue 14: qualified influences, memberships and attributions were blank nodes, relabelled by every build."""
    found = []
    for _ in range(2):
        store = OxigraphStore(":memory:")
        build(store, settings_for(tmp_path))
        assert not [q for q in store.quads() if ox.BlankNode in (type(q.subject), type(q.object))]
        rows = store.select(
            f"SELECT ?m {{ ?m a <http://www.w3.org/ns/org#Membership> ; "
            f"<http://www.w3.org/ns/org#member> <{BASE}id/person/joseph-v-montville> }}")
        found.append({term_value(r["m"]) for r in rows})
        store.close()
    assert found[0] == found[1] and len(found[0]) == 1
    assert next(iter(found[0])).startswith(BASE + ".well-known/genid/")
