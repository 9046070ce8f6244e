"""Smoke test of the benchmark suite: ``python -m bench --quick`` on tiny graphs prints every table,
every row and every ratio column, says which native load generator measured the throughput, and leaves
no process or file behind. Correctness only: no timing is checked.

The suite needs ``wrk`` (Debian's package): without it the test is skipped, or fails under ``CI``
(``.ci/run`` installs it); the suite itself then stops at once and says how to install it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
TITLES = ["SPARQL mix", "Our routes on the seed graph", "Path search, embedded vs remote",
          "Load time and memory per million triples", "Start-up"]
RATIOS = {
    "sparql": ["us embedded/oxigraph", "us remote/oxigraph", "us embedded/rdflib-endpoint"],
    "routes": ["us/target req/s"],
    "paths": ["remote/in-process p50", "remote/HTTP embedded p50", "HTTP remote store/HTTP embedded p50"],
    "load": ["embedded/oxigraph load time"],
    "startup": ["us embedded/oxigraph (/ready)", "us remote/oxigraph (/ready)", "us embedded/oxigraph (/health)"],
}
NUMBER = re.compile(r"^\d+(\.\d+)?(e-?\d+)?$")


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found |= {child} | _descendants(child)
    return found


def _require_wrk() -> None:
    if shutil.which("wrk") is None and not os.environ.get("BACKCHANNEL_WRK"):
        if os.environ.get("CI"):
            pytest.fail("wrk is missing: the benchmarks need it (apt-get install wrk; .ci/run installs it)")
        pytest.skip("wrk is not installed (apt-get install wrk)")


@pytest.fixture(scope="module")
def quick_run() -> tuple[str, dict]:
    """One quick run of the suite (about two minutes), in its own temporary folder."""
    _require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as tmp:
        out = Path(tmp) / "tables.json"
        work = Path(tmp) / "work"
        work.mkdir()
        before = _descendants(os.getpid())
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--quick", "--pairs", "5", "--tmp", str(work), "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=420,
            env={k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")},
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert _descendants(os.getpid()) <= before, "the suite left processes behind"
        assert list(work.iterdir()) == [], "the suite left files behind"
        return done.stdout, json.loads(out.read_text())


def test_every_table_is_printed(quick_run: tuple[str, dict]) -> None:
    stdout, _ = quick_run
    for title in TITLES:
        assert f"### {title}" in stdout
    assert "Machine:" in stdout and "Load average" in stdout and "nproc" in stdout
    assert "Every requests-per-second figure is from the native load generator: wrk" in stdout


def test_the_load_generator_is_named(quick_run: tuple[str, dict]) -> None:
    _, data = quick_run
    assert data["client"].startswith("wrk")
    rounds = data["sparql_rounds"]
    assert set(rounds) == {"backchannel embedded", "backchannel remote", "oxigraph", "rdflib-endpoint"}
    for server, kinds in rounds.items():
        for kind, loads in kinds.items():
            assert loads and all(load["requests"] > 0 for load in loads), (server, kind)


def test_every_row_and_ratio_column(quick_run: tuple[str, dict]) -> None:
    _, data = quick_run
    tables = data["tables"]
    assert set(tables) == set(RATIOS) | {"eval"}
    assert [row[0] for row in tables["eval"]["rows"]] == ["memory", "frontier"]
    sparql = tables["sparql"]
    assert [row[0] for row in sparql["rows"]] == ["lookup", "join", "path3", "construct", "count50k",
                                                  "count-repeated"]
    assert [row[0] for row in tables["routes"]["rows"]] == ["doc-turtle", "paths"]
    assert [row[0].split(" (")[0] for row in tables["paths"]["rows"]] == ["paths-20k"]
    assert [row[0] for row in tables["load"]["rows"]] == ["empty store", "sparql-mix", "paths-20k"]
    assert [row[0].split(" (")[0] for row in tables["startup"]["rows"]] == ["empty store", "sparql-mix", "paths-20k"]
    for name, columns in RATIOS.items():
        head, rows = tables[name]["head"], tables[name]["rows"]
        for column in columns:
            assert column in head, (name, column)
            index = head.index(column)
            # the SPARQL graph's embedded store is a copy of the Oxigraph server's: no load time of its own
            measured = [row for row in rows if row[0] != "empty store" and (name, row[0]) != ("load", "sparql-mix")]
            assert measured
            for row in measured:  # every server answered, so every ratio is a number
                assert NUMBER.match(row[index]), (name, column, row)


def test_every_server_answered(quick_run: tuple[str, dict]) -> None:
    _, data = quick_run
    sparql = data["tables"]["sparql"]
    servers = [c for c in sparql["head"] if "req/s" in c]
    assert [c.split(" req/s")[0] for c in servers] == ["backchannel embedded", "backchannel remote", "oxigraph",
                                                       "rdflib-endpoint"]
    for row in sparql["rows"]:
        for cell in row[1:1 + len(servers)]:
            assert "errors" not in cell and "answers" not in cell and cell != "–", row
    for row in data["tables"]["routes"]["rows"]:
        assert "errors" not in row[1] and row[1] != "–", row
    paths = data["tables"]["paths"]["rows"][0]
    assert "failed" not in " ".join(paths), paths
    startup = data["tables"]["startup"]
    restarted = startup["head"].index("backchannel embedded restarted s to /ready")
    row = next(row for row in startup["rows"] if row[0].startswith("paths-20k"))
    assert NUMBER.match(row[restarted]), row  # a second server on the same store became ready


@pytest.mark.parametrize("options", [[], ["--engine", "workers-thread"], ["--engine", "thread", "--processes", "2"]],
                         ids=["as-served", "workers-from-a-thread", "in-process"])
def test_the_floor_bench_measures_both_servers_and_leaves_nothing(options: list[str]) -> None:
    """``python -m bench.floor`` on a tiny graph: both servers answer every request, the ratio is printed, and no
    process (server, query workers, Oxigraph) is left behind; with the killable workers (as served) or without them,
    from two server processes."""
    _require_wrk()
    before = _descendants(os.getpid())
    done = subprocess.run(
        [sys.executable, "-m", "bench.floor", "--triples", "3000", "--seconds", "1", *options],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = dict(re.findall(r"^(floor|oxigraph)(?: \([^)]*\))?\s+lookup\s+\d+ req/s\s+errors (\d+)$", done.stdout, re.M))
    assert rows == {"floor": "0", "oxigraph": "0"}, done.stdout
    assert re.search(r"^floor/oxigraph: \d+\.\d{3}$", done.stdout, re.M), done.stdout
    assert _descendants(os.getpid()) <= before, "the floor bench left processes behind"


def test_the_alone_bench_measures_each_server_alone_and_leaves_nothing() -> None:
    """``python -m bench.alone`` on a tiny graph: both servers answer every request in every round, a ratio per
    kind is printed, and no process is left behind."""
    _require_wrk()
    before = _descendants(os.getpid())
    done = subprocess.run(
        [sys.executable, "-m", "bench.alone", "--triples", "3000", "--seconds", "1", "--rounds", "1",
         "--kinds", "lookup,count50k"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = re.findall(r"^round 1 (backchannel|oxigraph)\s+(lookup|count50k)\s+\d+ req/s\s+errors (\d+)$", done.stdout,
                      re.M)
    assert sorted(rows) == sorted((who, kind, "0") for who in ("backchannel", "oxigraph")
                                  for kind in ("lookup", "count50k")), done.stdout
    assert re.findall(r"^us/oxigraph (\w+): \d+\.\d{3}$", done.stdout, re.M) == ["lookup", "count50k"], done.stdout
    assert _descendants(os.getpid()) <= before, "the alone bench left processes behind"


def test_a_set_option_reaches_the_servers_the_bench_starts(tmp_path: Path) -> None:
    """``--set BACKCHANNEL_MAX_ROWS=7777`` (an A/B run) is the setting of the server the suite starts: its service
    description says so; a name that is not a setting, or one the bench chooses itself, is refused before anything
    starts."""
    from bench import backends, live

    name, value = live.setting("BACKCHANNEL_MAX_ROWS=7777")
    service = backends.start_service("set-option", str(tmp_path / "empty"), tmp_path, {name: value})
    try:
        service.wait_health()
        description = httpx.get(service.process.url + "sparql", headers={"Accept": "text/turtle"}, timeout=30)
        assert description.status_code == 200
        assert "Answers are cut at 7777 rows" in description.text
    finally:
        service.stop()
    for wrong in ("MAX_ROWS=1", "BACKCHANNEL_STORE=/elsewhere", "BACKCHANNEL_MAX_ROWS"):
        refused = subprocess.run([sys.executable, "-m", "bench", "--set", wrong], cwd=ROOT, capture_output=True,
                                 text=True, timeout=60)
        assert refused.returncode == 2 and "argument --set" in refused.stderr, refused.stderr
