"""Liveness: answers without touching the database, Redis or AWS."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = "ok"


@router.get("/health", response_model=Health, summary="Liveness check",
            description="`{\"status\": \"ok\"}` while the function runs; public, no token.")
def health() -> Health:
    return Health()
