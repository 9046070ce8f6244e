"""The public origin: every absolute URL the service writes comes from the configured base IRI, never from the request.

A request's ``Host`` header is the client's to choose. Reflected into a ``Link`` header, a redirect's ``Location``
or a ``url`` field of a JSON answer, it lets anyone make our answers point elsewhere (and poison a shared cache).
So:

- routes that write absolute URLs build them with :func:`public_url` from ``base_iri``;
- :class:`service.http.front.Front` (the one middleware) replaces the ``Host`` header and the scheme of every
  request with the base IRI's before the app sees them, so what Starlette and FastAPI build from the request themselves
  (the redirect of ``/sparql/`` to ``/sparql``) points to the public address too.

>>> from kg.settings import Settings
>>> public_url(Settings(base_iri="http://ex.org/kg/"), "/api/queries/timeline", [("page", "2"), ("from", "1990")])
'http://ex.org/kg/api/queries/timeline?page=2&from=1990'
>>> public_url(Settings(base_iri="http://ex.org/"), "api/queries")
'http://ex.org/api/queries'
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from kg.settings import Settings


def public_url(settings: Settings, path: str, params: Iterable[tuple[str, str]] = ()) -> str:
    """The absolute URL of ``path`` (below the service root) with query ``params``, under the configured base."""
    query = urlencode(list(params))
    return settings.base_iri + path.lstrip("/") + (f"?{query}" if query else "")

