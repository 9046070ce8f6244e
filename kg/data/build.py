"""Build the graph: curated sources and the ontology into named graphs, then dumps.

Curated graphs are the source graphs (``{base}id/source/…``) and the ontology
graphs (``https://w3id.org/backchannel/def…``). A build replaces exactly those;
graphs that users wrote elsewhere survive it.

>>> from kg.settings import Settings
>>> from kg.store.embedded import OxigraphStore
>>> store = OxigraphStore(":memory:")
>>> report = build(store, Settings())
>>> "http://127.0.0.1:8000/id/source/track-two-diplomacy" in report.graphs
True
>>> report.graphs == build(store, Settings()).graphs  # idempotent
True
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.data.skolem import skolemize
from kg.namespaces import OWL, RDF, SKOS, VOCAB, all_prefixes
from kg.publish import jsonld
from kg.settings import Settings
from kg.store.base import Store, term_value
from kg.store.results import used_prefixes

DUMP_FILES: dict[str, ox.RdfFormat] = {
    "backchannel.trig": ox.RdfFormat.TRIG,
    "backchannel.nq": ox.RdfFormat.N_QUADS,
    "backchannel.ttl": ox.RdfFormat.TURTLE,
    "backchannel.jsonld": ox.RdfFormat.JSON_LD,
}
"""The dumps ``build`` writes: the dataset (TriG, N-Quads, JSON-LD with its named graphs) and its union (Turtle)."""


class BuildError(ValueError):
    """A source file could not be read; the message names the file and the line."""


@dataclass(frozen=True)
class SourceFile:
    """One curated file and the named graph it is loaded into."""

    path: Path
    graph: str


@dataclass
class BuildReport:
    """What a build loaded: triples per graph, things per class, time taken."""

    graphs: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    dumps: list[Path] = field(default_factory=list)

    def to_text(self) -> str:
        """The report as a small table for the terminal."""
        lines = ["Triples per graph:"]
        lines += [f"  {n:>7}  {g}" for g, n in sorted(self.graphs.items())]
        lines.append("Things per class:")
        lines += [f"  {n:>7}  {c}" for c, n in sorted(self.classes.items(), key=lambda kv: (-kv[1], kv[0]))]
        lines += [f"Dump: {p}" for p in self.dumps]
        lines.append(f"Built {sum(self.graphs.values())} triples in {len(self.graphs)} graphs in {self.seconds:.2f} s")
        return "\n".join(lines)


def is_curated(graph: str, settings: Settings) -> bool:
    """Whether a graph is owned by the build (a source graph or an ontology graph).

    >>> is_curated("http://127.0.0.1:8000/id/source/x", Settings())
    True
    >>> is_curated("http://127.0.0.1:8000/user/notes", Settings())
    False
    """
    return graph.startswith(settings.source_base) or graph == VOCAB or graph.startswith(VOCAB + "/")


def _declared_graph(path: Path, quads: list[ox.Quad]) -> str:
    """The IRI an ontology file declares: its owl:Ontology, else its skos:ConceptScheme."""
    for kind in (OWL + "Ontology", SKOS + "ConceptScheme"):
        subjects = sorted(
            {term_value(q.subject) for q in quads if q.predicate.value == RDF + "type" and term_value(q.object) == kind}
        )
        if len(subjects) == 1:
            return subjects[0]
        if len(subjects) > 1:
            raise BuildError(f"{path}: declares {len(subjects)} resources of type <{kind}>; expected one")
    raise BuildError(f"{path}: declares no owl:Ontology or skos:ConceptScheme, so it has no graph to go into")


def read_file(path: Path, base_iri: str) -> list[ox.Quad]:
    """Parse a Turtle file with relative IRIs resolved against ``base_iri``.

    >>> read_file(Path("missing.ttl"), "http://x/")
    Traceback (most recent call last):
    ...
    kg.data.build.BuildError: missing.ttl: cannot read: ...
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BuildError(f"{path}: cannot read: {err.strerror}") from None
    try:
        return list(ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=base_iri))
    except SyntaxError as err:
        raise BuildError(f"{path}: Turtle syntax error {err}") from None


def load_sources(settings: Settings) -> tuple[list[SourceFile], list[ox.Quad]]:
    """Read every curated file; return where each goes and all the quads, in their graphs, with stable IRIs for
    their blank nodes (:func:`kg.data.skolem.skolemize`)."""
    files: list[SourceFile] = []
    quads: list[ox.Quad] = []
    ontology_files = sorted(p for p in settings.ontology_dir.glob("*.ttl") if p.name != "shapes.ttl")
    for path in ontology_files:
        parsed = read_file(path, settings.base_iri)
        graph = _declared_graph(path, parsed)
        files.append(SourceFile(path, graph))
        quads += [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph)) for q in parsed]
    for path in sorted(settings.sources_dir.glob("*.ttl")):
        graph = settings.source_base + path.stem
        parsed = read_file(path, settings.base_iri)
        files.append(SourceFile(path, graph))
        quads += [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph)) for q in parsed]
    quads = skolemize(quads, settings.base_iri)  # blank nodes get IRIs that survive a rebuild
    graphs = [f.graph for f in files]
    duplicates = {g for g in graphs if graphs.count(g) > 1}
    if duplicates:
        raise BuildError(f"two files want the same graph: {', '.join(sorted(duplicates))}")
    return files, quads


def count_classes(store: Store) -> dict[str, int]:
    """Number of distinct things per class, over all graphs."""
    rows = store.select("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c")
    return {term_value(row["c"]): int(term_value(row["n"])) for row in rows}


def write_dumps(quads: Iterable[ox.Quad], folder: Path, settings: Settings) -> list[Path]:
    """Write the dataset and its union, canonical and sorted, so that two builds give identical files.

    TriG, N-Quads and JSON-LD keep the named graphs; Turtle is the union. Turtle and TriG declare only the
    prefixes under which every IRI is written without a backslash escape (:func:`kg.store.results.used_prefixes`).
    """
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    ordered = sorted(dataset, key=str)
    union = sorted({q.triple for q in ordered}, key=str)
    prefixes = all_prefixes(settings.id_base)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fmt in DUMP_FILES.items():
        target = folder / name
        if fmt == ox.RdfFormat.JSON_LD:
            target.write_bytes(jsonld.dumps(jsonld.to_jsonld(ordered, jsonld.context(prefixes))))
        else:
            items = ordered if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS) else union
            with_prefixes = fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE)
            declared = used_prefixes(items, prefixes) if with_prefixes else None
            ox.serialize(items, output=str(target), format=fmt, prefixes=declared)
        written.append(target)
    return written


def build(store: Store, settings: Settings, *, dumps: bool = False) -> BuildReport:
    """Replace the curated graphs of ``store`` by the files' content; optionally write the dumps."""
    started = time.perf_counter()
    files, quads = load_sources(settings)
    stale = [g for g in store.graph_names() if is_curated(g, settings)]
    store.replace_graphs(sorted(set(stale) | {f.graph for f in files}), quads)
    # every file goes into a named graph
    per_graph = Counter(q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode))
    report = BuildReport(graphs=dict(per_graph), classes=count_classes(store))
    if dumps:
        report.dumps = write_dumps(store.quads(), settings.dump_dir, settings)
    report.seconds = time.perf_counter() - started
    return report
