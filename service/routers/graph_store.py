"""Routes: graph_store (to be filled in)."""

from fastapi import APIRouter

router = APIRouter()
