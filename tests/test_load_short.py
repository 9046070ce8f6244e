"""A short load run (20 s, 32 clients, mixed workload) against a real ``backchannel serve``: no errors, no 503.

The 5-minute version is ``python -m bench.load --clients 64 --seconds 300`` (figures in bench/RESULTS.md).
Only correctness is asserted here — never a latency.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from bench import live
from bench.load import discover, drive, memory, report


@pytest.mark.slow
def test_twenty_seconds_of_mixed_load_give_no_errors(tmp_path: Path) -> None:
    server = live.start(tmp_path / "store", build=True)
    try:
        workload = discover(server.url)
        assert workload.entities and workload.named and workload.pairs
        results = asyncio.run(drive(server, workload, clients=32, seconds=20, max_requests=200_000, sample_every=2))
    finally:
        assert server.stop() == 0  # and a clean, graceful stop after the load
    text = report(results, memory(results, warmup=5), argparse.Namespace(clients=32, warmup=5, max_growth_mb=64))
    print(text)
    assert results.requests > 0
    assert results.errors == 0, text
    assert results.overload == 0, text
    assert sum(s.client_errors for s in results.routes.values()) == 0, text
    assert set(results.routes) >= {"sparql select", "sparql ask", "sparql construct", "entity page (303 + page)",
                                   "paths", "search", "named queries"}
