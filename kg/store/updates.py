"""Updates under a time limit: an update that can run away is first tried in a killable worker.

pyoxigraph cannot stop an update once it runs, and the store can be written by one process only (the server).
So an update that evaluates patterns (``DELETE … INSERT … WHERE``, ``LOAD``, ``ADD``/``MOVE``/``COPY``,
``CLEAR``/``DROP``) is first run by a query worker on a private, writable copy of the current version, under
the query time limit and the worker's memory cap (:class:`kg.store.workers.UpdateTrial`). Past the limit the
worker is killed and the client gets a 503: nothing was changed. An update that finished there is then applied
to the store, under the write lock, which also keeps the version from changing between the trial and the write;
it does the same work again, which the trial has shown to fit the limits.

An update made only of ``INSERT DATA`` / ``DELETE DATA`` carries its data and evaluates nothing: its cost is
bounded by its size (and the body limit), so it is applied at once.

>>> evaluates('INSERT DATA { <http://a> <http://b> "WHERE {}" }')
False
>>> evaluates("PREFIX ex: <http://ex/> DELETE DATA { ex:a ex:b 1 } ; INSERT DATA { ex:a ex:b 2 }")
False
>>> evaluates("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"), evaluates("LOAD <http://ex/data.ttl>"), evaluates("CLEAR ALL")
(True, True, True)
"""

from __future__ import annotations

import re

_NOT_CODE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|$)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)"
    r'|"(?:[^"\\\r\n]|\\.)*(?:"|$)'
    r"|'(?:[^'\\\r\n]|\\.)*(?:'|$)"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|\#[^\r\n]*",
    re.DOTALL,
)
"""Strings, IRIs and comments: their words are not keywords."""
DATA_ONLY = frozenset({"INSERT", "DELETE", "DATA", "GRAPH", "PREFIX", "BASE", "TRUE", "FALSE", "A"})
"""Keywords of an update that only inserts or deletes the data it carries."""


def evaluates(sparql: str) -> bool:
    """Whether an update does more than insert or delete the data it carries (so it may run long)."""
    code = _NOT_CODE.sub(" ", sparql)
    words = {word.upper() for word in re.findall(r"(?<![\w:?$@^.-])[A-Za-z]+(?![\w:(-])", code)}
    return not words <= DATA_ONLY
