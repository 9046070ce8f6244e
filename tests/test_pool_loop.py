"""Jobs run from an event loop (:mod:`kg.pool_loop`): the same answers and limits as ``ProcessPool.run``, with the
worker's pipe awaited on the loop, at most ``width`` short jobs at once, and jobs that outlive a cancelled caller.

These run real workers (``python -m kg.pool``, its test handler) on uvloop, the event loop the service runs on.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import uvloop

from kg import pool_loop
from kg.pool import PoolErrors, ProcessPool
from kg.store.base import QueryBusy, QueryRequest, QueryTimeout
from kg.store.workers import QueryPool, Snapshot

ERRORS = PoolErrors(busy=QueryBusy, timeout=TimeoutError, died=MemoryError, what="test job")


def run(pool: ProcessPool, job: object, timeout: float = 30, prepare_timeout: float = 0.0) -> Any:
    return on_loop(pool_loop.run(pool, job, timeout, prepare_timeout))


def on_loop(work: Any) -> Any:
    """Run a coroutine to its end on a new uvloop loop (as ``asyncio.run`` would)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(work)


def test_answers_and_errors_are_those_of_the_threaded_run() -> None:
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1) as pool:
        assert run(pool, ("echo", {"a": [1, 2]})) == pool.run(("echo", {"a": [1, 2]}), 30) == {"a": [1, 2]}
        with pytest.raises(ValueError, match="bad input"):
            run(pool, ("fail", "bad input"))
        assert run(pool, ("echo", 1)) == 1 and pool.killed == 0


def test_jobs_from_the_loop_and_from_threads_share_workers() -> None:
    """Regression: uvloop left a worker's pipe non-blocking after a job from the loop; the next job that worker got
    from ``ProcessPool.run`` (a named query, run from a thread) read EAGAIN and the worker was killed as dead."""
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1) as pool:
        big = b"x" * 500_000  # more than the pipe holds: read in several steps
        for _ in range(3):
            assert run(pool, ("echo", big)) == big
            assert pool.run(("echo", big), 30) == big
        assert (pool.killed, pool.started) == (0, 1)


def test_a_job_past_its_limit_is_stopped_and_its_worker_replaced() -> None:
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1) as pool:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="limit of 1 s"):
            run(pool, ("sleep", 60), timeout=1)
        assert time.monotonic() - started < 10
        assert pool.killed == 1
        assert run(pool, ("echo", "still here")) == "still here"


def test_preparing_has_its_own_allowance_and_the_limit_starts_again_after_it() -> None:
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1) as pool:
        assert run(pool, ("prepare", 2), timeout=1, prepare_timeout=30) == 2
        assert pool.killed == 0
        with pytest.raises(TimeoutError, match="limit of 1 s"):
            run(pool, ("prepare-then-sleep", 60), timeout=1, prepare_timeout=600)
        assert pool.killed == 1


def test_a_worker_that_dies_is_replaced() -> None:
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1, memory_mb=256) as pool:
        with pytest.raises(MemoryError):
            run(pool, ("allocate", 1024), timeout=60)
        assert run(pool, ("allocate", 16), timeout=60) == 16 * 1024 * 1024


def test_a_big_answer_arrives_whole() -> None:
    """An answer larger than the pipe's buffer and than one read (1 MiB) comes in many reads, framed as one."""
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1) as pool:
        big = bytes(range(256)) * 12_000  # 3 MB
        assert run(pool, ("echo", big)) == big
        assert run(pool, ("echo", "next")) == "next"


async def _together(pool: ProcessPool, jobs: list[object], timeout: float = 30) -> list[tuple[float, Any]]:
    """Run ``jobs`` at once; each one's finishing time (seconds from the start) and answer."""
    start = time.monotonic()

    async def one(job: object) -> tuple[float, Any]:
        answer = await pool_loop.run(pool, job, timeout)
        return time.monotonic() - start, answer

    return list(await asyncio.gather(*(one(job) for job in jobs)))


def test_at_most_width_short_jobs_run_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight jobs of 0.1 s with a width of two: four rounds, never eight processes evaluating at once (the turn wait
    lengthened here, so that a slow machine cannot let a job run without its turn)."""
    monkeypatch.setattr(pool_loop, "TURN_WAIT", 30.0)
    with ProcessPool("kg.pool", ERRORS, size=2, max_size=8, width=2, linger=60) as pool:
        run(pool, ("echo", 0))  # both kept warm have started
        finished = on_loop(_together(pool, [("sleep", 0.1)] * 8))
        assert [answer for _, answer in finished] == [0.1] * 8
        assert max(when for when, _ in finished) >= 0.35  # they took turns
        assert pool.started <= 3  # the two kept warm and a spare


def test_a_long_job_lets_short_ones_go_after_a_moment() -> None:
    """With room for one job at a time, a job still running after ``SHORT_FOR`` seconds stops holding its turn, so
    a short job does not wait for the long one to end."""
    with ProcessPool("kg.pool", ERRORS, size=2, max_size=4, width=1, linger=60) as pool:
        run(pool, ("echo", 0))

        async def both() -> list[tuple[float, Any]]:
            long = asyncio.ensure_future(_together(pool, [("sleep", 3)]))
            await asyncio.sleep(0.05)
            short = await _together(pool, [("echo", "short")])
            return short + await long

        (short_at, short), (long_at, _) = on_loop(both())
        assert short == "short"
        assert short_at < 2 < long_at


def test_a_job_waits_for_a_turn_no_longer_than_turn_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a light job that came while long ones held every turn waited for them all (2.2–2.9 s behind a
    flood of twelve runaways); now it waits at most TURN_WAIT and then runs without a turn, long before the job that
    keeps the only turn has ended."""
    monkeypatch.setattr(pool_loop, "SHORT_FOR", 60.0)  # the long job keeps its turn throughout
    with ProcessPool("kg.pool", ERRORS, size=2, max_size=2, width=1, linger=60) as pool:
        async def both() -> list[str]:
            order: list[str] = []

            async def job(name: str, task: tuple[str, float]) -> None:
                await pool_loop.run(pool, task, 30)
                order.append(name)

            long = asyncio.ensure_future(job("long", ("sleep", 3)))
            await asyncio.sleep(0.1)
            await job("short", ("echo", 1))
            await long
            return order

        assert on_loop(both()) == ["short", "long"]


def test_a_cancelled_caller_leaves_a_usable_worker() -> None:
    """The client went away: its job still ends (or is stopped at its limit) and the worker's pipe holds nothing the
    next job could mistake for its own answer."""
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1, width=1) as pool:
        async def go() -> Any:
            abandoned = asyncio.ensure_future(pool_loop.run(pool, ("sleep", 0.5), 30))
            await asyncio.sleep(0.1)
            abandoned.cancel()
            return await pool_loop.run(pool, ("echo", "mine"), 30)

        assert on_loop(go()) == "mine"
        assert pool.killed == 0 and pool.workers == 1


def test_jobs_past_the_queue_are_refused_at_once() -> None:
    with ProcessPool("kg.pool", ERRORS, size=1, max_size=1, max_waiting=0) as pool:
        async def go() -> None:
            held = asyncio.ensure_future(pool_loop.run(pool, ("sleep", 1), 30))
            await asyncio.sleep(0.05)
            with pytest.raises(QueryBusy):
                await pool_loop.run(pool, ("echo", 1), 30)
            await held

        on_loop(go())


def test_query_workers_answer_from_the_loop_as_from_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "v1.nq"
    path.write_text("".join(f"<http://ex/s{i}> <http://ex/p> <http://ex/o{i % 3}> <http://ex/g> .\n"
                            for i in range(30)))
    snapshot = Snapshot(str(path), "nquads")
    request = QueryRequest("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", select_type="text/csv")
    with QueryPool(size=1, max_size=2) as pool:
        assert on_loop(pool.run_async(request, snapshot, 30)).body == b"n\r\n30\r\n"
        assert pool.run(request, snapshot, 30).body == b"n\r\n30\r\n"
        with pytest.raises(QueryTimeout):
            on_loop(pool.run_async(QueryRequest(
                "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"), snapshot, 1))
