"""The one shape of every error answer: an RFC 9457 problem document (``application/problem+json``).

>>> answer = problem(404, "Not Found", "no thing has the IRI http://x/id/y", iri="http://x/id/y")
>>> answer.status_code, answer.media_type, answer.body
(404, 'application/problem+json', b'{"status":404,"title":"Not Found","detail":"no thing has the IRI http://x/id/y","iri":"http://x/id/y"}')
>>> title_of(409), title_of(599)
('Conflict', 'Error')
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

PROBLEM = "application/problem+json"
"""The media type of every error answer."""


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A problem-details response: ``{"status", "title", "detail", ...}``."""
    body = {"status": status, "title": title, "detail": detail} | extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def title_of(status: int) -> str:
    """The standard reason phrase of a status."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
