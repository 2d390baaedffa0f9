"""``/metrics`` (Prometheus, behind the admin token), ``/readyz`` (database and worker heartbeat) and ``/livez``.

Liveness says only that this process answers: restarting a web process because the database is down would not
help, so the database belongs to readiness, which a load balancer uses to stop sending traffic. Readiness fails
(503) when the database does not answer ``SELECT 1`` or no award worker has beaten within
``LEADS_WORKER_HEARTBEAT_MAX_AGE_SECONDS`` (0 turns the worker check off, for web-only nodes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select, text
from starlette.concurrency import run_in_threadpool

from bridge.awards.tables import WorkerHeartbeat
from bridge.db import Database
from bridge.db.base import aware
from bridge.ops import metrics
from bridge.settings import Settings
from bridge.web.admin import require_admin

READY = {"type": "object", "required": ["status", "checks"], "properties": {
    "status": {"type": "string", "enum": ["ready", "not ready"]},
    "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    "worker_heartbeat_age_seconds": {"type": ["number", "null"]}}}


def readiness(db: Database, max_age: int, now: datetime | None = None) -> tuple[bool, dict[str, Any]]:

    checks: dict[str, str] = {}
    age: float | None = None
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
            last = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
        checks["database"] = "ok"
    except Exception as exc:  # the reason, not the connection string
        checks["database"] = f"failed: {exc.__class__.__name__}"
        last = None
    if last is not None:
        last = aware(last)
        age = round(((now or datetime.now(UTC)) - last).total_seconds(), 1)
    if max_age == 0:
        checks["worker"] = "not checked"
    elif age is None:
        checks["worker"] = "failed: no award worker has ever beaten"
    elif age > max_age:
        checks["worker"] = f"failed: the last heartbeat is {age:.0f} s old (more than {max_age} s)"
    else:
        checks["worker"] = "ok"
    ok = all(not v.startswith("failed") for v in checks.values())
    return ok, {"status": "ready" if ok else "not ready", "checks": checks, "worker_heartbeat_age_seconds": age}


def install(app: FastAPI, settings: Settings) -> None:
    @app.get("/livez", tags=["ops"], summary="Liveness: this process answers")
    def livez() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: the database answers and an award worker is alive",
             responses={200: {"content": {"application/json": {"schema": READY}}},
                        503: {"description": "not ready (the checks say why)",
                              "content": {"application/json": {"schema": READY}}}})
    async def readyz(request: Request) -> JSONResponse:
        ok, body = await run_in_threadpool(readiness, request.app.state.db, settings.worker_heartbeat_max_age_seconds)
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(require_admin)])
    async def prometheus(request: Request) -> Response:
        body = await run_in_threadpool(metrics.render, request.app.state.db)
        return Response(body, media_type=metrics.CONTENT_TYPE)
