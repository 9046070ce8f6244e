"""Shared fixtures: the built seed graph in memory, and a real server on a loopback port.

- ``seed_store``: a ``pyoxigraph.Store`` with every curated graph built (read-only use).
- ``kg_store``: the same as a ``kg.store.embedded.OxigraphStore`` (read-only use).
- ``server``: a live backchannel service on 127.0.0.1 (its ``url``, ``settings``, ``store``), writes with a token.

Helpers that tests import (``TOKEN``, ``LiveServer``, ``start_server``, ``free_port``, ``embedded_only``, ...)
are in ``tests/support.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.data.build import build
from kg.settings import Settings
from kg.store.embedded import OxigraphStore
from tests.support import LiveServer, start_server

BASE = "http://127.0.0.1:8000/"


@pytest.fixture(scope="session")
def base_iri() -> str:
    return BASE


@pytest.fixture(scope="session")
def kg_store() -> Iterator[OxigraphStore]:
    store = OxigraphStore(":memory:")
    build(store, Settings(base_iri=BASE, store=":memory:"))
    yield store
    store.close()


@pytest.fixture(scope="session")
def seed_store(kg_store: OxigraphStore) -> ox.Store:
    return kg_store.raw


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    live = start_server()
    yield live
    live.stop()
    live.store.close()
