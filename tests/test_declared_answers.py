"""Every JSON answer is declared in the OpenAPI document, and real answers match what is declared.

A client (or the page scripts) may rely on the declared fields: these tests read real answers from a live server
and validate them against the same pydantic models the OpenAPI document shows (``service/schemas.py``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from service import schemas
from tests.support import LiveServer, embedded_only

JSON_TYPES = ("application/json", "application/sparql-results+json")


def test_every_json_answer_and_every_error_declares_its_schema(server: LiveServer) -> None:
    spec = httpx.get(server.url + "openapi.json", timeout=30).json()
    missing = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for status, response in op["responses"].items():
                for media, content in response.get("content", {}).items():
                    declared = "schema" in content
                    if int(status) >= 400 and (media != "application/problem+json" or not declared):
                        missing.append(f"{method.upper()} {path} {status} {media}")
                    if int(status) < 300 and media in JSON_TYPES and not declared:
                        missing.append(f"{method.upper()} {path} {status} {media}")
                if int(status) >= 400 and not response.get("content"):
                    missing.append(f"{method.upper()} {path} {status} (no content)")
    assert not missing, missing
    assert {"Problem", "PathsAnswer", "InfluenceAnswer", "RankingAnswer", "Candidate", "SparqlResults"} <= set(
        spec["components"]["schemas"])


ANSWERS: list[Any] = [
    ("paths", {"from": "Joseph Montville", "to": "Oslo Accords", "k": 3}, schemas.PathsAnswer),
    ("paths", {"from": "Joseph Montville", "to": "Oslo Accords", "max_length": 1}, schemas.PathsAnswer),
    ("search", {"q": "mont"}, list[schemas.Candidate]),
    ("influence/lineage", {"thing": "Multi-Track Diplomacy"}, schemas.InfluenceAnswer),
    ("influence/influenced", {"thing": "Joseph V. Montville"}, schemas.InfluenceAnswer),
    pytest.param("influence/ranking", {"limit": 10}, schemas.RankingAnswer, marks=embedded_only),
    ("health", {}, schemas.Health),
    ("ready", {}, schemas.Ready),
    ("api/queries", {}, schemas.QueryListing),
    ("ui/vocabulary.json", {}, schemas.EditorVocabulary),
    ("ui/examples.json", {}, schemas.EditorExamples),
    ("sparql", {"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"}, schemas.SparqlResults),
    ("sparql", {"query": "ASK {}"}, schemas.SparqlResults),
    ("paths", {"from": "Nobody At All Xyz", "to": "Oslo"}, schemas.Problem),
    ("sparql", {"query": "SELEKT"}, schemas.Problem),
]


@pytest.mark.parametrize(("path", "params", "model"), ANSWERS)
def test_real_answers_match_their_declared_shape(server: LiveServer, path: str, params: dict[str, str | int],
                                                 model: Any) -> None:
    response = httpx.get(server.url + path, params=params, headers={"Accept": "application/json"}, timeout=60)
    if model is schemas.Problem:
        assert response.status_code >= 400 and response.headers["content-type"] == "application/problem+json"
    else:
        assert response.status_code == 200, response.text
    body = response.json()
    if isinstance(model, type) and issubclass(model, BaseModel):
        model.model_validate(body)
    else:
        TypeAdapter(model).validate_python(body)
