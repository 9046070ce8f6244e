"""Characters XML 1.0 cannot carry, handled the same way everywhere we write XML.

XML 1.0 forbids most C0 control characters (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F) and U+FFFE/U+FFFF,
even as character references, but RDF literals may hold them (``"\\u0001"`` in Turtle, or a query's ``CHAR``-like
tricks). One rule:

- **Data** (SPARQL XML results, RDF/XML): never altered. An answer holding such a character cannot be written as
  XML, so :func:`check_xml` raises :class:`~kg.store.base.NotRepresentable` (answered 406, naming the character
  and the formats that can carry it).
- **Pictures** (SVG): the text is only shown, so :func:`svg_escape` and :func:`svg_quoteattr` replace such a
  character with U+FFFD (�) while escaping.

>>> forbidden_in_xml("tab\\tand newline\\n are fine"), forbidden_in_xml("bell \\x07")
(None, 'U+0007')
>>> svg_escape("a < b \\x01"), svg_quoteattr('say "\\x0b"')
('a &lt; b �', '\\'say "�"\\'')
>>> check_xml(["fine", "not \\x01 fine"], "SPARQL XML results")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
kg.store.base.NotRepresentable: the answer holds the character U+0001, which XML 1.0 cannot carry, so it cannot be
written as SPARQL XML results; ask for another format (JSON, CSV, Turtle, N-Triples…)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from kg.store.base import NotRepresentable

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 does not allow in a document (surrogates cannot occur in a decoded ``str``)."""
REPLACEMENT = "\ufffd"


def forbidden_in_xml(text: str) -> str | None:
    """The first character of ``text`` that XML 1.0 forbids, as ``U+XXXX``, or None."""
    found = FORBIDDEN.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def check_xml(texts: Iterable[str], what: str) -> None:
    """Raise :class:`NotRepresentable` if any of ``texts`` holds a character XML 1.0 forbids."""
    for text in texts:
        bad = forbidden_in_xml(text)
        if bad is not None:
            raise NotRepresentable(
                f"the answer holds the character {bad}, which XML 1.0 cannot carry, so it cannot be written as "
                f"{what}; ask for another format (JSON, CSV, Turtle, N-Triples…)"
            )


def svg_escape(text: str) -> str:
    """``text`` escaped for an SVG (XML) text node, forbidden characters shown as U+FFFD."""
    return escape(FORBIDDEN.sub(REPLACEMENT, text))


def svg_quoteattr(text: str) -> str:
    """``text`` as a quoted SVG (XML) attribute value, forbidden characters shown as U+FFFD."""
    return quoteattr(FORBIDDEN.sub(REPLACEMENT, text))
