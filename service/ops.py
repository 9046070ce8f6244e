"""Routes: operations — liveness (``/health``), readiness (``/ready``), Prometheus metrics (``/metrics``), backups.

- ``/health`` answers as long as the process serves HTTP (no store access): a
  supervisor restarts the process when it stops answering.
- ``/ready`` answers 200 only when the store is open *and answers a query*, and
  the path projection is built when the in-memory path engine answers (the frontier
  engine, see :mod:`kg.paths.engines`, builds nothing: ``/ready`` does not wait for it);
  otherwise 503 with a problem+json that names the failing check, so a load
  balancer sends no traffic to an instance that cannot answer.
- ``/metrics``: the app's own Prometheus registry (see :mod:`service.http.observability`);
- ``POST /backup`` (write token): a consistent copy of the on-disk store, taken while serving
  (``backchannel backup`` uses it when this process holds the store).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from kg.paths.workers import PathWorkers
from kg.store.base import QueryBusy, Store
from kg.store.embedded import OxigraphStore
from service.http.problem import problem
from service.schemas import Backup, Health, Ready
from service.sparql.guards import check_write
from service.state import State

router = APIRouter(tags=["operations"])

@router.api_route("/health", methods=["GET", "HEAD"], summary="Liveness: the process answers", response_model=Health)
async def health() -> dict[str, str]:
    return {"status": "ok"}  # on the event loop: no thread, so it answers even when every thread waits


def check_store(store: Store) -> str | None:
    """None if the store answers a trivial query, else what went wrong.

    >>> from kg.store.embedded import OxigraphStore
    >>> check_store(OxigraphStore(":memory:")) is None
    True
    """
    try:
        store.ask("ASK { }")
    except (OSError, RuntimeError, ValueError) as err:  # StoreError, QueryEvaluationError, remote errors
        return f"the store does not answer: {err}"
    return None


def check_paths(paths: PathWorkers) -> tuple[str | None, dict[str, object]]:
    """Prepare what the chosen path engine needs for its first question, in a path worker (the in-memory engine
    builds the projection; the frontier engine builds nothing): (what went wrong or None, facts to report)."""
    try:
        return paths.readiness()
    except (OSError, RuntimeError, ValueError, MemoryError, QueryBusy) as err:  # SearchTimeout is a RuntimeError
        return f"the path engine could not be prepared: {err}", {}


@router.api_route(
    "/ready", methods=["GET", "HEAD"],
    summary="Readiness: the store is open and answers, and the path projection is built (in-memory path engine)",
    responses={200: {"model": Ready, "description": "ready"},
               503: {"description": "not ready (the problem names the failing check)"}},
)
def ready(state: State) -> Response:
    store = state.store
    start = time.perf_counter()
    failure = check_store(store)
    elapsed_ms = round((time.perf_counter() - start) * 1000, 1)
    facts: dict[str, object] = {}
    if failure is None:
        failure, facts = check_paths(state.path_workers)
    counted = facts.pop("store_quads", None)
    if isinstance(counted, dict):  # the path worker's count of the same version: the server need not count again
        state.paths.learn(str(counted["version"]), int(counted["quads"]))
        facts["store_quads"] = counted["quads"]
    if failure is None:
        state.paths.choice()  # the server's own choice of engine (if not learnt, a count): now, not in a question
    if failure is not None:
        return problem(503, "Service Unavailable", failure, headers={"Retry-After": "5", "Cache-Control": "no-store"})
    body: dict[str, object] = {
        "status": "ready",
        "store_version": store.version,
        "graphs": len(store.graph_names()),
        "store_answer_ms": elapsed_ms,
    } | facts
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post(
    "/backup",
    summary="Back up the on-disk store while serving (write token)",
    description="Writes a consistent copy of the current version (an online RocksDB checkpoint) to a new folder "
    "beside the store, `{store}.backups/{time}-{random}`, and answers its path; `backchannel backup DIR` calls "
    "this when the service holds the store, then moves the folder to DIR. The folder can be served as it is.",
    responses={200: {"model": Backup, "description": "where the copy is"},
               401: {"description": "no bearer token"}, 403: {"description": "writes off, or a wrong token"},
               409: {"description": "not an on-disk embedded store (nothing here to back up)"}},
)
def backup(request: Request, state: State) -> JSONResponse:
    settings, store = state.settings, state.store
    check_write(request.headers.get("authorization"), settings.write_token, settings.dev_open_writes)
    if not isinstance(store, OxigraphStore) or store.in_memory:
        raise HTTPException(409, "only an on-disk embedded store can be backed up by the service; back up the "
                                 "remote SPARQL engine with its own tools")
    folder, version = store.checkpoint()
    return JSONResponse({"path": str(folder), "store_version": version}, headers={"Cache-Control": "no-store"})


@router.get("/metrics", summary="Prometheus metrics of this process", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                             "description": "metrics in the Prometheus text format"}})
def metrics(state: State) -> Response:
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
