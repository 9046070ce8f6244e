"""The server's own memory after a flood (issue 16): no long cycle-collector pauses, free memory handed back.

Regression: under the stall bench's floods ``/health`` now and then waited over 100 ms longer than on an idle
server: a full run of the cycle collector walked the 114,000 objects start-up had made (85 ms). And six concurrent
clients left the server a few MiB bigger for good (glibc's per-thread arenas kept what they had freed). A served
app now freezes its start-up objects once warmed up, and a trimmer hands free memory back after growth.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from kg.settings import Settings
from kg.store.embedded import OxigraphStore
from service.app import warm_up
from service.http import memory
from service.state import build_state


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's objects are collectable again


def test_a_served_app_exempts_its_start_up_objects_from_the_cycle_collector(
        kg_store: OxigraphStore, base_iri: str, unfrozen: None) -> None:
    state = build_state(Settings(base_iri=base_iri, store=":memory:"), kg_store)
    try:
        warm_up(state, freeze=False)  # an app made around a test's store: nothing frozen
        assert gc.get_freeze_count() == 0
        warm_up(state, freeze=True)
        assert gc.get_freeze_count() > 10_000
        assert state.suggester.get(kg_store.version, lambda: pytest.fail("the name index was built at warm-up"))
    finally:
        state.path_workers.close()


def test_the_trimmer_hands_memory_back_only_after_growth() -> None:
    trimmer = memory.Trimmer(interval=3600)
    try:
        assert trimmer.trim_if_grown()  # the first time: from nothing
        assert not trimmer.trim_if_grown()  # nothing grew since
        garbage = [bytes(64) * (n % 7 + 1) for n in range(200_000)]  # tens of MiB of small objects
        assert trimmer.trim_if_grown()
        del garbage
    finally:
        trimmer.close()
