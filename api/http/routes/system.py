"""Liveness: is the service up, which store it uses, and how far behind the read models are."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.http.deps import ForesightDep

router = APIRouter(tags=["system"])


class Health(BaseModel):
    """What a load balancer or an operator needs to know."""

    status: str
    store: str
    events: int
    read_model_position: int
    projection_lag: int
    # A bulk rebuild is filling the read models: reads answer 503 until it finishes.
    rebuilding: bool


@router.get("/health", response_model=Health, summary="Liveness, store kind, projection lag")
def health(foresight: ForesightDep) -> Health:
    """No token needed: it shows no case data."""
    position = foresight.runner.position()
    events = foresight.service.recorder.max_notification_id() or 0
    return Health(
        status="ok",
        store=foresight.store_kind,
        events=events,
        read_model_position=position,
        projection_lag=max(0, events - position),
        rebuilding=foresight.runner.rebuild_head() is not None,
    )
