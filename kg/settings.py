"""All configuration of backchannel, in one place.

Every setting can be given as an environment variable prefixed ``BACKCHANNEL_``
(``BACKCHANNEL_PORT=9000``) or in a ``.env`` file, and most also as command-line
options of ``backchannel``.

>>> s = Settings(base_iri="http://example.org/kg/")
>>> s.base_iri
'http://example.org/kg/'
>>> s.writes_enabled
False
>>> Settings(base_iri="http://example.org/kg").base_iri  # a trailing slash is added
'http://example.org/kg/'
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _former(name: str, former: str) -> AliasChoices:
    """A setting's name and the name it had before, as keyword arguments and as BACKCHANNEL_ variables."""
    return AliasChoices(name, former, f"backchannel_{name}", f"backchannel_{former}")


class Settings(BaseSettings):
    """Configuration of the graph, the store and the service."""

    model_config = SettingsConfigDict(env_prefix="BACKCHANNEL_", env_file=".env", extra="ignore", populate_by_name=True)

    # --- the graph -------------------------------------------------------
    base_iri: str = Field(
        "http://127.0.0.1:8000/",
        description="Base under which the IRIs of things are minted (/id/...). "
        "Set it to the public address of the service so every IRI dereferences.",
    )
    sources_dir: Path = Field(PROJECT_ROOT / "kg" / "data" / "sources", description="Curated source graphs (*.ttl).")
    ontology_dir: Path = Field(PROJECT_ROOT / "ontology", description="Ontology, SKOS schemes and shapes.")
    queries_dir: Path = Field(PROJECT_ROOT / "queries", description="Named SPARQL queries (*.rq).")
    dump_dir: Path = Field(PROJECT_ROOT / "var" / "dumps", description="Where `build` writes the dumps.")

    # --- the store -------------------------------------------------------
    store: str = Field(
        str(PROJECT_ROOT / "var" / "store"),
        description="Store location: a directory for the embedded Oxigraph store, ':memory:' for an "
        "in-memory one, or 'sparql+http://host:port/path' for a remote SPARQL 1.1 endpoint.",
    )
    remote_update_url: str | None = Field(
        None, description="Update URL of a remote store. Default: a server root means the Oxigraph layout "
        "(/query, /update, /store); a URL ending in /query sends updates to /update; any other URL takes both."
    )
    remote_graph_store_url: str | None = Field(None, description="Graph Store Protocol URL of a remote store, if any.")
    remote_user: str | None = None
    remote_password: str | None = None
    remote_union_default_graph: str = Field(
        "param", description="How a remote SPARQL engine gives the union default graph: 'param' (Oxigraph's "
        "union-default-graph parameter), 'native' (the engine's default graph is the union), 'listed' (every "
        "named graph sent as default-graph-uri; exact on any engine, use for Virtuoso) or a graph IRI to send."
    )

    # --- the service -----------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    write_token: str | None = Field(
        None, description="Bearer token that SPARQL Update and Graph Store writes require. Unset: writes are off."
    )
    dev_open_writes: bool = Field(False, description="Development only: accept writes without a token.")
    query_timeout: float = Field(30.0, gt=0, description="Seconds a SPARQL query may run before it is stopped (503).")
    max_rows: int = Field(10_000, gt=0, description="Rows (or triples) a query may return; more are cut and signalled.")
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Largest request body accepted (413 above).")
    query_workers: int = Field(2, ge=1, description="Query worker processes kept warm (each killable at its limit).")
    max_query_workers: int = Field(
        16, ge=1, description="Query worker processes at most; more are started when all are busy, so runaway "
        "queries cannot starve light ones."
    )
    max_queued_queries: int = Field(64, ge=0, description="Queries that may wait for a worker before 503.")
    query_concurrency: int = Field(
        0, ge=0, description="Queries the SPARQL endpoint evaluates at once; the others wait their turn (0: one per "
        "CPU the server may use). A query that has run 0.2 s stops counting, so long ones never hold the rest up.")
    query_memory_mb: int = Field(
        1024, ge=128, description="Memory (MiB of data) one query worker may use; a query that needs more is "
        "stopped (503) and its worker replaced, so runaway sorts cannot exhaust the machine."
    )
    federation_allowlist: list[str] = Field(
        default_factory=list,
        description="SERVICE/LOAD endpoints (IRI prefixes) that may be reached; empty means federation is off.",
    )
    cache_entries: int = Field(512, ge=0, description="Query results kept in the result cache.")
    query_plan_entries: int = Field(
        1024, ge=0, description="Distinct query texts whose checks (form, dataset, federation targets, SERVICE "
        "bc:paths, nesting) are remembered, so a repeated query is lexed once.")
    cors_origins: list[str] = Field(default_factory=lambda: ["*"], description="Origins allowed to GET read-only data.")
    curated_graph_writes: bool = Field(
        False, description="Let the Graph Store write the curated source graphs ({base}id/source/…). Off: such a "
        "write is a 403, since `backchannel build` replaces those graphs and the write would be lost."
    )

    # --- connections -------------------------------------------------------
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses (or networks, or '*') of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed. Empty: those headers are ignored and the access log "
        "records the connection's own address."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a client has to send a whole request head (line and headers); a slower "
        "one gets 408 and its connection is closed (slowloris)."
    )
    body_timeout: float = Field(
        60.0, gt=0, description="Seconds a client has to send a request body the service reads; slower: 408."
    )

    @field_validator("base_iri")
    @classmethod
    def _slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def writes_enabled(self) -> bool:
        """Whether any write (update, Graph Store) can be accepted at all."""
        return bool(self.write_token) or self.dev_open_writes

    @property
    def id_base(self) -> str:
        """Namespace of the things of the graph.

        >>> Settings(base_iri="http://x.org/").id_base
        'http://x.org/id/'
        """
        return self.base_iri + "id/"

    @property
    def source_base(self) -> str:
        """Namespace of the source graphs (one named graph per source document)."""
        return self.id_base + "source/"

    # --- path search engine (see kg/paths/engines.py) ---------------------------------------------
    paths_engine: Literal["auto", "memory", "frontier"] = Field(
        "auto", description="How /paths, /search, /influence, `backchannel path` and SERVICE bc:paths search: "
        "'memory' projects the whole graph into memory (fast, every mode and the influence ranking); 'frontier' "
        "expands frontiers from both ends with batched SPARQL queries and never loads the graph ('remote' is "
        "accepted as its former name); 'auto' uses 'frontier' for a remote store (sparql+http://…) and 'memory' "
        "for the embedded one, unless that holds more than paths_memory_max_triples quads."
    )
    paths_memory_max_triples: int = Field(
        10_000_000, ge=0, description="With paths_engine=auto, an embedded store holding more quads than this is "
        "searched with the frontier search instead of a projection (about 0.4 GB of memory per million relations); "
        "0 means no limit. Counted once per store version."
    )
    paths_frontier_time_budget: float = Field(
        10.0, gt=0, description="Seconds a frontier search may spend on queries before it stops (503).",
        validation_alias=_former("paths_frontier_time_budget", "paths_remote_time_budget"),
    )
    paths_frontier_max_size: int = Field(
        5000, ge=1, description="Most things a frontier of the frontier engine may hold and still be expanded.",
        validation_alias=_former("paths_frontier_max_size", "paths_remote_max_frontier"),
    )

    path_workers: int = Field(
        1, ge=1, description="Path worker processes kept warm: path, name and influence questions (and SERVICE "
        "bc:paths) run in killable, memory-capped workers, never in the server."
    )
    max_path_workers: int = Field(2, ge=1, description="Path worker processes at most (each holds its own "
                                  "projection of the graph: size the memory accordingly).")
    max_queued_paths: int = Field(16, ge=0, description="Path questions that may wait for a path worker before 503.")
    paths_memory_mb: int = Field(
        1024, ge=256, description="Memory (MiB of data) one path worker may use, its projection included; a "
        "question that needs more is stopped (503) and its worker replaced."
    )
    paths_timeout: float = Field(
        20.0, gt=0, description="Seconds a path, name or influence question may take in its worker, its answer "
        "written out included; past it the worker is killed (503). The searches' own budgets are shorter."
    )
    paths_projection_files: bool = Field(
        True, description="Keep the path projection of an on-disk store in files beside it (``{store}.projections``), "
        "named by the store's content, so that a restart reads it back (under a second at 1M relations) instead of "
        "building it again (15–25 s at 1M on disk)."
    )
    paths_build_timeout: float = Field(
        600.0, gt=0, description="Seconds a path worker may spend loading a new version of the graph (its "
        "projection, the influence ranking) before a question, on top of paths_timeout."
    )

    @field_validator("paths_engine", mode="before")
    @classmethod
    def _engine_alias(cls, value: object) -> object:
        """``remote`` was the frontier engine's name before it was renamed (the remote *store* keeps the word).

        >>> Settings(paths_engine="remote").paths_engine
        'frontier'
        """
        return "frontier" if value == "remote" else value
