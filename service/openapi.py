"""The OpenAPI document, finished: one operation id per operation, HEAD left out (every GET answers it), and every
error answer declared as the problem document it is.

FastAPI writes an error response's schema under ``application/json`` and adds a 422 for validation errors that
we answer with 400; :func:`finish` puts every 4xx and 5xx under ``application/problem+json`` with the
``Problem`` schema, so clients (and schemathesis) can check error bodies too.

>>> doc = {"paths": {"/a": {"get": {"operationId": "a", "responses": {"422": {}, "404": {"description": "x"}}},
...                         "post": {"operationId": "a", "responses": {}}, "head": {}}}}
>>> op = finish(doc)["paths"]["/a"]["get"]
>>> op["operationId"], sorted(op["responses"]), op["responses"]["404"]["content"]
('a_get', ['400', '404'], {'application/problem+json': {'schema': {'$ref': '#/components/schemas/Problem'}}})
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from service.http.problem import PROBLEM
from service.schemas import COMPONENTS

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """Unique operation ids, no HEAD operations, problem documents for every error; the shared schemas added."""
    operations = schema.get("paths", {})
    for methods in operations.values():
        methods.pop("head", None)
    counts = Counter(op.get("operationId") for methods in operations.values() for op in methods.values())
    for methods in operations.values():
        for method, op in methods.items():
            if counts[op.get("operationId")] > 1:
                op["operationId"] = f"{op['operationId']}_{method}"
            _declare_problems(op.get("responses", {}))
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in COMPONENTS:
        components.setdefault(model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}"))
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema


def _declare_problems(responses: dict[str, Any]) -> None:
    if "422" in responses:  # FastAPI's validation error: ours is a 400 problem
        del responses["422"]
        responses.setdefault("400", {"description": "A parameter is missing or not of its type."})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            examples = {k: v for k, v in response.get("content", {}).get(PROBLEM, {}).items() if k != "schema"}
            response["content"] = {PROBLEM: {"schema": PROBLEM_REF} | examples}
            response.setdefault("description", "A problem document.")
