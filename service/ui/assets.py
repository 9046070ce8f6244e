"""Static files: content-addressed URLs, precompressed variants and how long browsers may keep them.

Pages link a static file as ``/static/{path}?v={digest}``, the digest being the first 12 hex digits of the SHA-256
of the file's content (:meth:`AssetIndex.url`); the chunks and fonts that esbuild names by content
(``chunks/chunk-7QXJ2B4M.js``) carry their hash in the name. Such a URL always means the same bytes, so it is
answered with ``Cache-Control: public, max-age=31536000, immutable``; any other (an old or missing ``v``, a source
map) with a short ``max-age`` and an ETag to revalidate.

``make assets`` writes a brotli (``.br``) and a gzip (``.gz``) copy of every text file of the bundles; the answer is
the smallest the client accepts (:func:`pick_encoding`), with ``Content-Encoding`` and ``Vary: Accept-Encoding``.
Files without such copies (our stylesheet) are gzipped once per content and kept.

>>> immutable_name("chunks/chunk-7QXJ2B4M.js"), immutable_name("editor.js"), immutable_name("assets/x-ABCDEFGH.woff2")
(True, False, True)
>>> pick_encoding("gzip, deflate, br", {"br", "gzip"}), pick_encoding("gzip;q=0, br;q=0", {"br", "gzip"})
('br', None)
>>> pick_encoding("gzip", {"br", "gzip"}), pick_encoding(None, {"gzip"}), pick_encoding("*", {"gzip"})
('gzip', None, 'gzip')
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

IMMUTABLE = "public, max-age=31536000, immutable"
"""Cache-Control of a URL that names its content (a year, and no revalidation on reload)."""
SHORT = "public, max-age=60"
"""Cache-Control of any other static URL: reused a minute, then revalidated with its ETag."""
ENCODINGS: tuple[tuple[str, str], ...] = (("br", ".br"), ("gzip", ".gz"))
"""Content codings we serve, best first, with the suffix of their precompressed files."""
COMPRESSIBLE = frozenset({"text/css", "text/javascript", "application/javascript", "application/json",
                          "image/svg+xml", "text/plain"})
"""Types worth compressing (the rest, fonts and pictures, are compressed already)."""
SMALLEST = 1024
"""Files below this many bytes are sent as they are."""

_HASHED = re.compile(r"(?:^|/)(?:chunks|assets)/[^/]+-[A-Z0-9]{8}\.[a-z0-9]+$")


def immutable_name(path: str) -> bool:
    """Whether a static path names its content (esbuild's ``chunks/`` and ``assets/`` files with a hash)."""
    return bool(_HASHED.search(path))


def pick_encoding(accept_encoding: str | None, available: set[str]) -> str | None:
    """The best of ``available`` codings (``br`` before ``gzip``) that ``Accept-Encoding`` allows, or None."""
    if not accept_encoding:
        return None
    allowed: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        allowed[name.strip()] = q
    for coding, _ in ENCODINGS:
        q = allowed.get(coding, allowed.get("*", 0.0))
        if coding in available and q > 0:
            return coding
    return None


@dataclass(frozen=True)
class Variant:
    """One representation of a static file: its bytes and content coding (None: as it is)."""

    data: bytes
    encoding: str | None


class AssetIndex:
    """Digests and compressed variants of the files under one folder, kept per file content (a changed file, by
    size and modification time, is read again).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.css").write_text("body { color: red }" * 100)
    >>> index = AssetIndex(folder)
    >>> index.url("/", "a.css") == "/static/a.css?v=" + index.digest(folder / "a.css")
    True
    >>> variant = index.variant(folder / "a.css", "text/css", "gzip")
    >>> variant.encoding, gzip.decompress(variant.data) == (folder / "a.css").read_bytes()
    ('gzip', True)
    >>> index.url("/", "missing.css")
    '/static/missing.css'
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._digests: dict[Path, tuple[tuple[int, int], str]] = {}
        self._gzipped: dict[Path, tuple[str, bytes]] = {}  # path → (content digest, its gzip)

    def digest(self, path: Path) -> str:
        """The first 12 hex digits of the SHA-256 of the file's content ('' when there is no such file)."""
        try:
            stat = path.stat()
        except OSError:
            return ""
        stamp = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._digests.get(path)
        if known and known[0] == stamp:
            return known[1]
        value = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        with self._lock:
            self._digests[path] = (stamp, value)
        return value

    def url(self, root: str, path: str) -> str:
        """The URL of the static file ``path`` (below the folder), naming its content when it exists."""
        digest = self.digest(self.folder / path)
        return f"{root}static/{path}" + (f"?v={digest}" if digest else "")

    def variant(self, path: Path, media_type: str, accept_encoding: str | None) -> Variant:
        """The smallest representation of ``path`` the client accepts: a precompressed file, a gzip made here
        (once per content), or the file as it is."""
        data = path.read_bytes()
        if media_type not in COMPRESSIBLE or len(data) < SMALLEST:
            return Variant(data, None)
        available = {coding for coding, suffix in ENCODINGS if path.with_name(path.name + suffix).is_file()}
        made_here = not available
        coding = pick_encoding(accept_encoding, available or {"gzip"})
        if coding is None:
            return Variant(data, None)
        if not made_here:
            suffix = dict(ENCODINGS)[coding]
            return Variant(path.with_name(path.name + suffix).read_bytes(), coding)
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            kept = self._gzipped.get(path)
        if kept is not None and kept[0] == key:
            return Variant(kept[1], "gzip")
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        with self._lock:
            self._gzipped[path] = (key, packed)
        return Variant(packed, "gzip")
