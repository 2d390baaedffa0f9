"""Award routes: the LMS webhook, the admin JSON for failed jobs, retries, revocation and re-issue.

Thin: each route reads the request, calls a use case, returns JSON. Nothing here signs or renders: the
routes only store decisions and jobs; workers do the rest.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from bridge.awards import intake, service
from bridge.awards.api import award_settings
from bridge.db import Database
from bridge.web.admin import require_admin
from bridge.web.params import RowId
from bridge.web.text import NOT_BLANK

router = APIRouter(tags=["awards"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.post("/api/webhooks/{lms}", summary="LMS events (Moodle, Open edX), HMAC-signed; see docs/lms-events.md")
async def webhook(lms: str, request: Request) -> dict[str, Any]:
    body = await request.body()
    cfg = award_settings(request)
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(intake.receive_webhook, _db(request), lms, dict(request.headers), body, cfg=cfg)


@router.get("/api/admin/awards/failed", dependencies=[Depends(require_admin)])
def failed(request: Request) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"jobs": [service.job_dict(j) for j in service.failed_jobs(session)]}


@router.post("/api/admin/awards/jobs/{job_id}/retry", dependencies=[Depends(require_admin)])
def retry(job_id: RowId, request: Request) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"job": service.job_dict(service.retry(session, job_id))}


@router.get("/api/admin/awards", dependencies=[Depends(require_admin)])
def awards(request: Request, design: str | None = None, learner: str | None = None) -> dict[str, Any]:
    with _db(request).session() as session:
        rows = service.list_awards(session, design=design, learner=learner)
        return {"counts": service.counts(session, design), "awards": [service.award_dict(a) for a in rows]}


NON_BLANK = {"minLength": 1, "pattern": NOT_BLANK}  # service.revoke refuses a blank reason; the schema says so


@router.post("/api/admin/awards/{award_id}/revoke", dependencies=[Depends(require_admin)])
def revoke(award_id: str, request: Request,
           reason: str = Body(..., embed=True, json_schema_extra=NON_BLANK)) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"award": service.award_dict(service.revoke(session, award_id, reason))}


@router.post("/api/admin/awards/{award_id}/reissue", dependencies=[Depends(require_admin)])
def reissue(award_id: str, request: Request) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"job": service.job_dict(service.reissue(session, award_id))}
