"""Award routes: the LMS webhook, the admin JSON for failed jobs, retries, revocation and re-issue.

Thin: each route reads the request, calls a use case, returns JSON. Nothing here signs or renders: the
routes only store decisions and jobs; workers do the rest.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, Field

from bridge.awards import intake, operations, service
from bridge.awards.api import award_settings
from bridge.db import Database
from bridge.web.admin import require_admin
from bridge.web.params import After, RowId, page_links
from bridge.web.text import REASON_SCHEMA

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


KIND = Query(description="only the jobs of this kind (issue, revoke, edc, pdf …); empty: every kind", max_length=40)


@router.get("/api/admin/awards/failed", dependencies=[Depends(require_admin)])
def failed(request: Request, kind: Annotated[str | None, KIND] = None, after: After = None) -> dict[str, Any]:
    """Failed jobs, the most recently failed first, a page at a time, with how many failed of each kind."""
    with _db(request).session() as session:
        page = operations.failed_page(session, kind=kind or None, after=after or None)
        return {"total": sum(page.by_kind.values()), "by_kind": page.by_kind,
                "jobs": [service.job_dict(j) for j in page.jobs], "next": page_links(request, page.after)["next"]}


class RetryFailed(BaseModel):
    kind: str | None = Field(None, max_length=40, description="only the failed jobs of this kind; none: all")


@router.post("/api/admin/awards/failed/retry", dependencies=[Depends(require_admin)])
def retry_failed(request: Request, body: Annotated[RetryFailed | None, Body()] = None) -> dict[str, Any]:
    """Every failed job (or every one of a kind) back in the queue with a fresh attempt budget, at once."""
    with _db(request).session() as session:
        return {"queued": operations.retry_failed(session, kind=(body.kind if body else None) or None)}


@router.post("/api/admin/awards/jobs/{job_id}/retry", dependencies=[Depends(require_admin)])
def retry(job_id: RowId, request: Request) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"job": service.job_dict(operations.retry(session, job_id))}


@router.get("/api/admin/awards", dependencies=[Depends(require_admin)])
def awards(request: Request, design: str | None = None, learner: str | None = None,
           after: After = None) -> dict[str, Any]:
    """Awards newest first, 500 a page, with the counts by state (of the design, when one is given)."""
    with _db(request).session() as session:
        page = operations.award_page(session, design=design, learner=learner, after=after or None)
        return {"counts": page.counts, "awards": [service.award_dict(a) for a in page.awards],
                "next": page_links(request, page.after)["next"]}


@router.post("/api/admin/awards/{award_id}/revoke", dependencies=[Depends(require_admin)])
def revoke(award_id: str, request: Request,
           reason: str = Body(..., embed=True, json_schema_extra=REASON_SCHEMA,
                              description="kept with the award; the learner sees it on My certificates, the public "
                                          "certificate page never does")) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"award": service.award_dict(service.revoke(session, award_id, reason))}


@router.post("/api/admin/awards/{award_id}/reissue", dependencies=[Depends(require_admin)])
def reissue(award_id: str, request: Request) -> dict[str, Any]:
    with _db(request).session() as session:
        return {"job": service.job_dict(service.reissue(session, award_id))}
