"""The killable query workers: time limits, isolation of runaways, snapshots, and how they start."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kg.settings import PROJECT_ROOT
from kg.store.base import (
    QueryBusy,
    QueryEvaluationError,
    QueryRequest,
    QuerySyntaxError,
    QueryTimeout,
)
from kg.store.embedded import OxigraphStore
from kg.store.workers import QueryPool, Snapshot

RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture()
def snapshot(tmp_path: Path) -> Snapshot:
    lines = [f"<http://ex/s{i}> <http://ex/p{i % 7}> <http://ex/o{i % 13}> <http://ex/g> .\n" for i in range(300)]
    path = tmp_path / "v1.nq"
    path.write_text("".join(lines))
    return Snapshot(str(path), "nquads")


def test_a_runaway_is_stopped_at_its_limit_and_its_worker_replaced(snapshot: Snapshot) -> None:
    with QueryPool(size=1, max_size=1) as pool:
        with pytest.raises(QueryTimeout, match="limit of 1 s"):
            pool.run(QueryRequest(RUNAWAY), snapshot, timeout=1)
        assert pool.killed == 1
        answer = pool.run(QueryRequest("ASK { ?s ?p ?o }"), snapshot, timeout=10)
        assert b"true" in answer.body


def test_light_queries_are_answered_while_runaways_run(snapshot: Snapshot) -> None:
    with QueryPool(size=1, max_size=6) as pool:
        outcomes: list[str] = []

        def runaway() -> None:
            try:
                pool.run(QueryRequest(RUNAWAY), snapshot, timeout=120)  # close() stops them
                outcomes.append("finished")
            except (QueryTimeout, QueryEvaluationError):  # stopped at the limit, or by close()
                outcomes.append("stopped")

        threads = [threading.Thread(target=runaway) for _ in range(3)]
        for thread in threads:
            thread.start()
        light = pool.run(QueryRequest("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", select_type="text/csv"), snapshot, 120)
        assert light.body == b"n\r\n300\r\n"
        assert all(thread.is_alive() for thread in threads), "the light query did not wait for the runaways"
        assert not outcomes
        pool.close()
        for thread in threads:
            thread.join(30)


def test_too_many_waiting_queries_are_refused(snapshot: Snapshot) -> None:
    with QueryPool(size=1, max_size=1, max_waiting=0) as pool:
        started = threading.Event()

        def hold() -> None:
            started.set()
            with contextlib.suppress(QueryTimeout):
                pool.run(QueryRequest(RUNAWAY), snapshot, timeout=3)

        thread = threading.Thread(target=hold)
        thread.start()
        started.wait()
        import time

        time.sleep(0.3)
        with pytest.raises(QueryBusy):
            pool.run(QueryRequest("ASK {}"), snapshot, timeout=3)
        thread.join(10)


def test_syntax_errors_come_back_with_their_position(snapshot: Snapshot) -> None:
    with QueryPool(size=1) as pool, pytest.raises(QuerySyntaxError, match="1:"):
        pool.run(QueryRequest("SELECT ?x { ?x ?y }"), snapshot, timeout=10)


def test_queries_see_writes_made_after_an_earlier_snapshot(tmp_path: Path) -> None:
    store = OxigraphStore(str(tmp_path / "store"), workers=1)
    store.replace_graph("http://ex/g", b"<http://ex/a> <http://ex/p> 1 .", "text/turtle")
    ask = QueryRequest("ASK { <http://ex/b> ?p ?o }")
    assert b"false" in store.execute(ask, 10).body
    store.add_to_graph("http://ex/g", b"<http://ex/b> <http://ex/p> 2 .", "text/turtle")
    assert b"true" in store.execute(ask, 10).body
    store.add_to_graph("http://ex/g", b"<http://ex/c> <http://ex/p> 3 .", "text/turtle")
    assert b"true" in store.execute(QueryRequest("ASK { <http://ex/c> ?p ?o }"), 10).body
    kept = list((tmp_path / "store.snapshots").iterdir())
    # the current version, the one the worker that answered held until then, the one its spare warmed up with
    assert len(kept) <= 3, f"snapshots no worker holds are removed: {kept}"
    store.close()


def test_workers_start_from_a_script_read_on_standard_input() -> None:
    """Regression: spawned workers re-imported the parent's __main__, which fails for `python - < script`."""
    script = (
        "from kg.store import OxigraphStore, QueryRequest\n"
        "s = OxigraphStore(':memory:')\n"
        "s.replace_graph('http://ex/g', b'<http://ex/a> <http://ex/p> 1 .', 'text/turtle')\n"
        "print(s.execute(QueryRequest('SELECT ?o { ?s ?p ?o }', select_type='text/csv'), 10).body)\n"
        "s.close()\n"
    )
    result = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=60,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert "o\\r\\n1\\r\\n" in result.stdout


def test_an_in_memory_store_never_closed_leaves_no_snapshot_folder() -> None:
    """Regression: every in-memory store made a ``backchannel-snap-*`` folder in the temporary directory that only
    ``close()`` removed, so stores that were simply dropped (a doctest, a script) left one each behind (188 of
    them on the development machine). The folder now goes with the store."""
    import gc

    store = OxigraphStore()
    store.update("INSERT DATA { GRAPH <http://ex/g> { <http://ex/a> <http://ex/p> 1 } }")
    folder = Path(store.snapshot().path).parent
    assert folder.name.startswith("backchannel-snap-") and any(folder.iterdir())
    del store
    gc.collect()
    assert not folder.exists()


def test_an_update_past_the_memory_cap_says_nothing_was_changed() -> None:
    """Regression: an update whose trial worker ran out of memory (a cross join reaches the cap before the time limit
    on a fast machine) answered "the query worker died while running the query", not that nothing was changed."""
    store = OxigraphStore(workers=1, query_memory_mb=128)
    try:
        store.replace_graph("http://ex/g", "".join(f"<http://ex/s{i}> <http://ex/p> {i} .\n" for i in range(300))
                            .encode(), "text/turtle")
        runaway = ("INSERT { GRAPH <http://ex/big> { ?a ?b ?c } } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
                   "?j ?k ?l }")
        with pytest.raises(QueryEvaluationError, match="nothing was changed"):
            store.update(runaway, timeout=120)
        assert "http://ex/big" not in store.graph_names()
    finally:
        store.close()
