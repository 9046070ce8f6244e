"""The headers every answer of one kind carries: security headers for pages, CORS for read-only resources.

One Content-Security-Policy for the whole site: scripts, styles, fonts and connections only from this origin
(no inline scripts, no eval), no framing, no plugins, no foreign ``<base>`` or form targets. Pages with a script
bundle may also allow inline *styles*, because the editor (CodeMirror, DataTables) and cytoscape position their
elements with style attributes; every other page keeps them out.

>>> security_headers()["X-Frame-Options"]
'DENY'
>>> "'unsafe-inline'" in csp(), "style-src 'self' 'unsafe-inline';" in csp(inline_styles=True)
(False, True)
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import Response

from kg.settings import Settings


def csp(*, inline_styles: bool = False) -> str:
    """The Content-Security-Policy of an HTML answer (see the module documentation)."""
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return (
        f"default-src 'self'; script-src 'self'; style-src {styles}; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

PICTURE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
"""The Content-Security-Policy of an SVG answer: a picture opened on its own runs nothing and loads nothing."""


def picture_headers() -> dict[str, str]:
    """The headers every SVG answer carries."""
    return {"Content-Security-Policy": PICTURE_CSP, "X-Content-Type-Options": "nosniff"}


EXPOSED = "ETag, Last-Modified, Link, Content-Location, Content-Disposition, Vary"
"""Response headers a cross-origin script may read."""


def security_headers(*, inline_styles: bool = False) -> dict[str, str]:
    """The headers every HTML answer carries."""
    return {
        "Content-Security-Policy": csp(inline_styles=inline_styles),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def cors_headers(request: Request, settings: Settings) -> dict[str, str]:
    """Open reading to other origins: ``*`` (or the configured origin that asks); never credentials."""
    origins = settings.cors_origins
    if "*" in origins:
        return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED}
    origin = request.headers.get("origin")
    if origin and origin in origins:
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED, "Vary": "Origin"}
    return {}


def preflight(request: Request, settings: Settings) -> Response:
    """Answer a CORS preflight for a read-only resource."""
    headers = cors_headers(request, settings)
    if headers:
        headers |= {
            "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
            "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, If-Modified-Since, Cache-Control",
            "Access-Control-Max-Age": "86400",
        }
    headers["Allow"] = "GET, HEAD, OPTIONS"
    return Response(status_code=204, headers=headers)


def merge_vary(headers: dict[str, str], values: Iterable[str]) -> None:
    """Add ``values`` to the ``Vary`` header, once each.

    >>> h = {"Vary": "Accept"}
    >>> merge_vary(h, ["Origin", "Accept"])
    >>> h["Vary"]
    'Accept, Origin'
    """
    current = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    for value in values:
        if value not in current:
            current.append(value)
    if current:
        headers["Vary"] = ", ".join(current)
