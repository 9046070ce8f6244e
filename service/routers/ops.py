"""Routes: operations (liveness and readiness)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kg.store import Store
from service.deps import get_store

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness: the process answers")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: the store is open and answers")
def ready(store: Store = Depends(get_store)) -> dict[str, object]:
    return {"status": "ready", "store_version": store.version, "graphs": len(store.graph_names())}
