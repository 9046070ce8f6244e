"""Projection files: the path projection of an on-disk store, kept beside the store so a restart reads it back.

Building the projection of an on-disk store decodes every term through RocksDB: on the bench's 1M-relation
graph that is ~25 s of CPU, and ``/ready`` waits for it. Reading the same projection back from its file takes
under a second. A file is named by a key made of the store's content (:func:`fingerprint`: its table files)
and of the code that builds projections (:func:`code_key`), so a changed store or a changed builder never
reads a stale projection: it builds one and writes a new file (so does a compaction that rewrote table files
with the same content: a rebuild, never a wrong answer). Files are read with an unpickler that knows only the
projection's own classes (:class:`_Loader`); a file it cannot read is built again. The path workers and the
``backchannel path`` and ``influence`` commands read and write the same files.

>>> import tempfile
>>> from kg.paths.builder import projection_from_quads
>>> import pyoxigraph as ox
>>> folder = Path(tempfile.mkdtemp())
>>> files = ProjectionFiles(folder, "k1")
>>> files.load("v1") is None  # nothing written yet
True
>>> q = ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.NamedNode("http://x/b"))
>>> files.save(projection_from_quads([q], "v0"))
>>> again = files.load("v1")
>>> again.version, again.edge_count, again.iris == ["http://x/a", "http://x/b"]
('v1', 1, True)
>>> ProjectionFiles(folder, "k2").load("v1") is None  # another key: another store or builder
True
>>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kg.paths.builder import gc_paused
from kg.paths.projection import Projection

log = logging.getLogger(__name__)

_TAIL = 4096
"""Bytes read from the end of each table file: its footer, index handles and properties (unique per file)."""

_KEEP = 2
"""Projection files kept per store: the newest two (a restart after one change can still read the other)."""

_STALE_S = 600.0
"""A partial file older than this was left by a worker killed while writing it, and is removed."""

_ALLOWED = {
    ("kg.paths.projection", "Projection"),
    ("kg.paths.projection", "PropertyInfo"),
    ("kg.paths.names", "NameIndex"),
    ("kg.paths.ranking", "Tables"),
    ("array", "array"),
    ("array", "_array_reconstructor"),
    ("builtins", "bytearray"),
    ("builtins", "frozenset"),
    ("builtins", "set"),
}
"""The only classes a projection file may name (anything else is refused, not imported)."""

_SAVED_MEMO = frozenset({"names", "path-tables", "thing-prefixes"})
"""What a projection file keeps of the projection's memo: what warming it made, built from :data:`_ALLOWED` classes
(a reversed graph for the k-best searches, a networkx graph, influence scores are made again when needed)."""


def fingerprint(folder: str | os.PathLike[str]) -> str | None:
    """A key for the content of a RocksDB folder, or None when the folder is not one (or cannot be read).

    Made of each table file's name, size and last bytes (table files never change once written, and their
    last bytes hold their index and properties) and of each write-ahead log that holds writes: a checkpoint
    of the store (what the path workers read) has the same key as long as the store has not changed.
    Reading the folder does not open the database.

    >>> fingerprint(tempfile.gettempdir()) is None  # no CURRENT file: not a RocksDB folder
    True
    """
    root = Path(folder)
    digest = hashlib.sha256()
    try:
        names = sorted(os.listdir(root))
        if "CURRENT" not in names:
            return None
        for name in names:
            path = root / name
            if name.endswith(".sst"):
                with path.open("rb") as file:
                    size = file.seek(0, io.SEEK_END)
                    file.seek(max(0, size - _TAIL))
                    digest.update(f"{name}:{size}:".encode() + file.read())
            elif name.endswith(".log") and path.stat().st_size:  # each opening starts an empty one: not content
                digest.update(f"{name}:".encode() + path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def folder_of(store_location: str) -> str:
    """Where the projection files of the on-disk store at ``store_location`` go.

    >>> folder_of("/srv/backchannel/store")
    '/srv/backchannel/store.projections'
    """
    return store_location + ".projections"


@functools.cache
def code_key() -> str:
    """A key for the code that builds projections: this package's sources and the Python version (read once per
    process: the code does not change under a running worker).

    >>> code_key() == code_key() and len(code_key()) == 16
    True
    """
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + source.read_bytes())
    digest.update((package.parent / "namespaces.py").read_bytes())
    return digest.hexdigest()[:16]


class _Loader(pickle.Unpickler):
    """An unpickler that builds only the projection's own classes (see :data:`_ALLOWED`)."""

    def find_class(self, module: str, name: str) -> type:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"a projection file may not name {module}.{name}")
        found: type = super().find_class(module, name)
        return found


@dataclass(frozen=True)
class ProjectionFiles:
    """The projection files of one store content (``key``) in ``folder``."""

    folder: Path
    key: str

    @classmethod
    def of_store(cls, folder: str | os.PathLike[str], store_folder: str | os.PathLike[str]) -> ProjectionFiles | None:
        """The files for the content of the RocksDB folder ``store_folder`` (None if it is not one)."""
        content = fingerprint(store_folder)
        return None if content is None else cls(Path(folder), f"{content}-{code_key()}")

    @property
    def path(self) -> Path:
        return self.folder / f"{self.key}.projection"

    def load(self, version: str) -> Projection | None:
        """The projection written for this key, reporting ``version``; None if there is none or it is unreadable.

        Its derived artefacts (name index, ranking tables) come back with it when they were written.
        """
        try:
            with self.path.open("rb") as file, gc_paused():
                found = _Loader(file).load()
        except FileNotFoundError:
            return None
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError) as err:
            log.warning("projection file %s unreadable (%s): building the projection instead", self.path, err)
            return None
        if not (isinstance(found, tuple) and len(found) == 2 and isinstance(found[0], Projection)
                and isinstance(found[1], dict)):
            log.warning("projection file %s holds something else: building the projection instead", self.path)
            return None
        projection, memo = found
        projection.version = version
        projection._memo.update(memo)
        return projection

    def save(self, projection: Projection) -> None:
        """Write ``projection`` (and what its memo holds of :data:`_SAVED_MEMO`) for this key; keep the newest files
        only.

        A folder that cannot be written is logged and left alone: the projection is simply built next time.
        """
        partial: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".partial", delete=False) as file:
                partial = Path(file.name)
                memo = {name: value for name, value in projection._memo.items() if name in _SAVED_MEMO}
                pickle.dump((projection, memo), file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(partial, self.path)
            partial = None
            written = sorted(self.folder.glob("*.projection"), key=lambda p: p.stat().st_mtime, reverse=True)
            stale = [p for p in self.folder.glob("*.partial") if time.time() - p.stat().st_mtime > _STALE_S]
            for old in [*written[_KEEP:], *stale]:  # a partial file of a worker killed while writing
                old.unlink(missing_ok=True)
        except (OSError, pickle.PicklingError) as err:
            log.warning("cannot write the projection file in %s (%s): it will be built again", self.folder, err)
        finally:
            if partial is not None:
                partial.unlink(missing_ok=True)
