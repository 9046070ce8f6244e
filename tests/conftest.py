"""Shared fixtures: the built seed graph in memory, and a real server on a loopback port.

- ``seed_store``: a ``pyoxigraph.Store`` with every curated graph built (read-only use).
- ``kg_store``: the same as a ``kg.store.embedded.OxigraphStore`` (read-only use).
- ``server``: a live backchannel service on 127.0.0.1 (its ``url``, ``settings``, ``store``), writes with a token.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest
import uvicorn

from kg.data.build import build
from kg.settings import Settings
from kg.store.base import Store
from kg.store.embedded import OxigraphStore
from kg.store.factory import store_from_settings

BASE = "http://127.0.0.1:8000/"
REMOTE_BACKEND = os.environ.get("BACKCHANNEL_TEST_BACKEND", "embedded") == "remote"
embedded_only = pytest.mark.skipif(
    REMOTE_BACKEND, reason="about the embedded store itself (query workers, in-memory projection)"
)
"""Mark a test that checks the embedded store's own machinery, not behaviour every backend shares."""
TOKEN = "test-token-0123456789"


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
def seed_store(kg_store: OxigraphStore):  # noqa: ANN201 - pyoxigraph.Store
    return kg_store.raw


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings
    store: OxigraphStore
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def _store_under_test(store_location: str, settings: Settings) -> Store:
    """The embedded store; with ``BACKCHANNEL_TEST_BACKEND=remote`` a RemoteStore on its own oxigraph server
    (the server stops when the store is closed)."""
    if os.environ.get("BACKCHANNEL_TEST_BACKEND", "embedded") == "remote":
        from tests.remote_backend import served_remote_store

        return served_remote_store(timeout=settings.query_timeout)
    return store_from_settings(settings)


def start_server(store_location: str = ":memory:", **overrides: object) -> LiveServer:
    """Build a store and serve it on a free loopback port; its base IRI is the server's own address."""
    from service.app import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    values = {"base_iri": url, "store": store_location, "port": port, "write_token": TOKEN, "query_timeout": 10.0}
    settings = Settings(**(values | overrides))
    store = _store_under_test(store_location, settings)
    build(store, settings)
    app = create_app(settings, store=store)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "health", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    else:
        raise RuntimeError("the test server did not start within 30 s")
    return LiveServer(url, settings, store, server, thread)


@pytest.fixture(scope="session")
def server() -> Iterator[LiveServer]:
    live = start_server()
    yield live
    live.stop()
    live.store.close()
