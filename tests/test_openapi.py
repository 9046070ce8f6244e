"""The OpenAPI document: valid operation ids, every feature present."""

from __future__ import annotations

import warnings

import httpx

from tests.support import LiveServer


def test_operation_ids_are_unique_and_generated_without_warnings(server: LiveServer) -> None:
    """Regression: routes answering several methods (GET+HEAD, PUT+POST+DELETE) shared one operationId."""
    app_openapi = httpx.get(server.url + "openapi.json", timeout=30).json()
    ids = [op["operationId"] for methods in app_openapi["paths"].values() for op in methods.values()]
    assert len(ids) == len(set(ids))
    assert not any("head" in methods for methods in app_openapi["paths"].values())


def test_every_feature_is_documented(server: LiveServer) -> None:
    paths = httpx.get(server.url + "openapi.json", timeout=30).json()["paths"]
    for route in ("/sparql", "/store", "/paths", "/search", "/influence/lineage", "/api/queries",
                  "/api/queries/works-by-person", "/.well-known/void", "/health", "/ready"):
        assert route in paths, route


def test_generating_the_document_warns_about_nothing(server: LiveServer) -> None:
    from service.app import create_app

    app = create_app(server.settings, store=server.store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app.openapi()
