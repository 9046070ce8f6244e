"""Smoke test of the stall bench: ``python -m bench.stall --quick`` floods a real server with every expensive kind
of issue 16 for a few seconds each. Correctness only: every kind ran and got the status codes it should (a 404 for
the long slug, a 400 for exploding entities, a 405 for odd methods, a 503 for runaways, a 408 for slowloris…), the
prober was answered, and the bench leaves no process behind. No timing is checked: the figures go to
bench/RESULTS.md from a full run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bench.stall import KINDS
from tests.test_bench_smoke import _descendants

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rows() -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="stall-smoke-") as tmp:
        out = Path(tmp) / "stall.json"
        before = _descendants(os.getpid())
        done = subprocess.run([sys.executable, "-m", "bench.stall", "--quick", "--json", str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=600,
                              env={k: v for k, v in os.environ.items() if not k.startswith("BACKCHANNEL_")})
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert _descendants(os.getpid()) <= before, "the bench left processes behind"
        assert "| flood | clients |" in done.stdout
        return {row["kind"]: row for row in json.loads(out.read_text())}


def test_every_kind_ran_and_got_the_status_codes_it_should(rows: dict[str, dict[str, Any]]) -> None:
    assert list(rows) == ["idle", *KINDS]
    for kind, row in rows.items():
        if kind == "idle":
            continue
        statuses = {int(status) for status in row["statuses"]}
        assert sum(row["statuses"].values()) > 0, kind
        assert statuses <= set(row["expected"]), (kind, row["statuses"])


def test_the_prober_measured_every_flood(rows: dict[str, dict[str, Any]]) -> None:
    for kind, row in rows.items():
        assert row["health"] and row["light"], kind
        assert row["rss_after_kib"] > 0, kind
