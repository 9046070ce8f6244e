"""Routes: linked_data (to be filled in)."""

from fastapi import APIRouter

router = APIRouter()
