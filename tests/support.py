"""What tests import besides fixtures: the write token, a live server on a loopback port, backend marks, process probes.

Fixtures stay in ``tests/conftest.py``, which builds them from these helpers; a test imports
``from tests.support import ...``, never from ``conftest``.

- ``TOKEN``: the write token of every server started here.
- ``start_server(store_location, **settings)``: build a store and serve it on a free port; a :class:`LiveServer`.
- ``REMOTE_BACKEND`` / ``embedded_only``: ``BACKCHANNEL_TEST_BACKEND=remote`` runs the suite on a RemoteStore;
  ``embedded_only`` marks a test about the embedded store's own machinery.
- ``free_port``, ``children``, ``rss_kib``: from :mod:`bench.live` (the benches use them too; bench does not
  import tests, so they live there and are re-exported here).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from bench.live import children, free_port, rss_kib
from kg.data.build import build
from kg.settings import Settings
from kg.store.base import Store
from kg.store.factory import store_from_settings

__all__ = ["REMOTE_BACKEND", "TOKEN", "LiveServer", "children", "embedded_only", "free_port", "rss_kib",
           "start_server"]

REMOTE_BACKEND = os.environ.get("BACKCHANNEL_TEST_BACKEND", "embedded") == "remote"
embedded_only = pytest.mark.skipif(
    REMOTE_BACKEND, reason="about the embedded store itself (query workers, in-memory projection)"
)
"""Mark a test that checks the embedded store's own machinery, not behaviour every backend shares."""
TOKEN = "test-token-0123456789"


@dataclass
class LiveServer:
    url: str
    settings: Settings
    store: Store
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


def start_server(store_location: str = ":memory:", **overrides: Any) -> LiveServer:
    """Build a store and serve it on a free loopback port; its base IRI is the server's own address."""
    from service.app import create_app
    from service.http.serving import server_config

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    values: dict[str, Any] = {"base_iri": url, "store": store_location, "port": port, "write_token": TOKEN,
                              "query_timeout": 10.0}
    settings = Settings(**(values | overrides))
    store = _store_under_test(store_location, settings)
    build(store, settings)
    app = create_app(settings, store=store)
    config = server_config(app, settings.model_copy(update={"host": "127.0.0.1"}), log_level="warning",
                           lifespan="on")
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
