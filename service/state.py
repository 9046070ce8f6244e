"""FastAPI dependencies: what a route may ask for, taken from the app's state (never from globals).

Tests swap the store by passing one to ``create_app`` (or with ``app.dependency_overrides``).
"""

from __future__ import annotations

from fastapi import Request

from kg.settings import Settings
from kg.store.base import Store


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


def get_store(request: Request) -> Store:
    """The store opened at start-up."""
    return request.app.state.store
