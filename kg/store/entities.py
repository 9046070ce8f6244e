"""Entity declarations in RDF/XML, checked before a parser sees them ("billion laughs").

pyoxigraph's RDF/XML parser expands the general entities a document's DOCTYPE declares. Entities that refer to
entities nest, and nesting expands exponentially: a 765-byte upload with ten levels asked for about 30 GB and
took the server from 140 MB to 3.3 GB in seven seconds; a 597-byte one stored a 30,000,000-character literal,
past the body limit. :func:`check_entities` refuses, with a message that says what to change:

- parameter entities (``<!ENTITY % …>``) and external ones (``SYSTEM`` / ``PUBLIC``);
- an entity whose replacement text refers to another entity (nesting);
- a document whose entities would expand it past :data:`MAX_EXPANDED_BYTES`;
- a declaration it cannot read, and RDF/XML not in UTF-8 (where the check could not see the declarations).

Plain namespace entities, as ontology editors write them (``<!ENTITY owl "http://www.w3.org/2002/07/owl#">`` and
``rdf:resource="&owl;Class"``), expand a little and pass.

>>> check_entities(b'<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY ex "http://ex/">]><rdf:RDF/>')
>>> check_entities(b'<!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><r>&b;</r>')
Traceback (most recent call last):
...
kg.store.entities.EntityRefused: the entity b refers to another entity (&a;): nested entities can expand \
exponentially ("billion laughs"); write the text out
"""

from __future__ import annotations

import re

MAX_EXPANDED_BYTES = 16 * 1024 * 1024
"""Largest size an RDF/XML document may reach once its entities are expanded."""

_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_DECLARATION = re.compile(rb"<!ENTITY\b")
_ENTITY = re.compile(
    rb"""<!ENTITY\s+(?P<param>%\s+)?(?P<name>[^\s%"'<>]+)\s+
        (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<external>SYSTEM|PUBLIC)\b[^>]*)\s*>""",
    re.X,
)


class EntityRefused(ValueError):
    """The RDF/XML declares entities that could expand without bound (the message says which, and what to do)."""


def _subset(data: bytes) -> bytes | None:
    """The DOCTYPE declaration (with its internal subset), or None without one."""
    found = _DOCTYPE.search(data)
    if found is None:
        return None
    start = found.start()
    bracket = data.find(b"[", start)
    close = data.find(b">", start)
    if bracket != -1 and (close == -1 or bracket < close):
        end = data.find(b"]", bracket)
        return data[start:] if end == -1 else data[start : end + 1]
    return data[start : close + 1] if close != -1 else data[start:]


def check_entities(data: bytes, max_expanded: int = MAX_EXPANDED_BYTES) -> None:
    """Refuse RDF/XML whose entity declarations could expand it without bound (see the module doc)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        raise EntityRefused("RDF/XML is read in UTF-8 only; send the document in UTF-8")
    subset = _subset(data)
    if subset is None:
        return
    declared = _ENTITY.findall(subset)
    if len(declared) != len(_DECLARATION.findall(subset)):
        raise EntityRefused("the DOCTYPE has an entity declaration that cannot be read; remove the DOCTYPE")
    expanded = len(data)
    body = data[data.find(subset) + len(subset):]
    for match in _ENTITY.finditer(subset):
        name = match.group("name").decode("utf-8", "replace")
        if match.group("param"):
            raise EntityRefused(f"the parameter entity %{name}; is not accepted; remove it from the DOCTYPE")
        if match.group("external"):
            raise EntityRefused(f"the external entity {name} is not accepted; put its text in the document")
        text = match.group("dq") if match.group("dq") is not None else match.group("sq") or b""
        nested = re.search(rb"[&%][^;\s]*;", text)
        if nested:
            raise EntityRefused(
                f"the entity {name} refers to another entity ({nested.group().decode('utf-8', 'replace')}): "
                "nested entities can expand exponentially (\"billion laughs\"); write the text out"
            )
        expanded += body.count(b"&" + match.group("name") + b";") * max(len(text) - len(name) - 2, 0)
        if expanded > max_expanded:
            raise EntityRefused(f"its entities would expand the document past {max_expanded} bytes; "
                                "write the text out, or send it as Turtle or N-Triples")
