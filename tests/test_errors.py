"""Error answers share one shape (RFC 9457 problem details), even for a crash."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from kg.store.base import StoreError
from service import errors


def make_app() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise KeyError("unexpected")

    @app.get("/store-down")
    def store_down() -> None:
        raise StoreError("the SPARQL endpoint http://127.0.0.1:9/ did not answer")

    @app.get("/typed")
    def typed(n: int) -> dict[str, int]:
        return {"n": n}

    return app


def test_an_unexpected_error_is_a_500_problem_not_a_reset_connection() -> None:
    """Regression: an unhandled exception in a route reset the connection."""
    response = TestClient(make_app(), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Internal Server Error"
    assert "unexpected" not in response.text, "internals are not leaked"


def test_invalid_parameters_are_a_400_that_names_the_parameter() -> None:
    response = TestClient(make_app()).get("/typed", params={"n": "seven"})
    assert response.status_code == 400
    assert "query.n" in response.json()["detail"]


def test_unknown_route_is_a_404_problem() -> None:
    response = TestClient(make_app()).get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unavailable_store_is_a_503_with_retry_after() -> None:
    response = TestClient(make_app()).get("/store-down")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "did not answer" in response.json()["detail"]
