"""Publishing from "My certificates" inside an LTI launch: the launch says who the learner is (no token needed).

The launch id in the path is the capability, as on the award pages; signing never happens here, only verification
of a credential LEADS already signed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bridge.awards import service as awards
from bridge.awards.launches import Who
from bridge.awards.pages import _who
from bridge.awards.tables import Award
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace.repository import EntityRepository
from bridge.db import Database
from bridge.errors import NotFound
from bridge.pool import service
from bridge.pool.endpoints import _verifier
from bridge.web.negotiate import templates, wants_json

router = APIRouter(tags=["pool"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _credential(row: IssuedCredentialRow) -> dict[str, Any] | str:
    return str(row.document["jwt"]) if row.format == "jwt" else row.document


def _issued(request: Request, who: Who) -> list[tuple[Award, IssuedCredentialRow]]:
    db = _db(request)
    credentials = CredentialService(db, request.app.state.settings)
    with db.session() as session:
        rows = [a for a in awards.awards_of(session, who.learner) if a.state == "issued" and a.credential_id]
    return [(a, credentials.get(str(a.credential_id))) for a in rows]


@router.get("/pool/launch/{launch_id}", summary="Publish my certificates in the pool (inside the LTI launch)")
def my_pool(request: Request, launch_id: str) -> Response:
    who = _who(request, launch_id)
    db = _db(request)
    published = service.learner_entries(db, who.learner)
    with db.session() as session:
        labels = {e.key: e.label() for e in EntityRepository(session).list()}
    items = []
    for award, row in _issued(request, who):
        entry = published.get(service.fingerprint(_credential(row)))
        items.append({"award": award.id, "label": labels.get(award.achievement, award.achievement), "entry": entry})
    profile = service.learner_profile_handle(db, who.learner)
    body = {"learner": who.learner, "profile": profile, "credentials": items}
    if wants_json(request):
        return JSONResponse(body)
    return templates.TemplateResponse(request, "pool/launch.html", {**body, "launch_id": launch_id,
                                      "message": request.query_params.get("m", "")},
                                      headers={"Cache-Control": "no-store"})


@router.post("/pool/launch/{launch_id}/publish/{award_id}", summary="Publish one of my certificates in the pool")
def publish(request: Request, launch_id: str, award_id: str) -> Response:
    who = _who(request, launch_id)
    found = next(((a, row) for a, row in _issued(request, who) if a.id == award_id), None)
    if found is None:
        raise NotFound(f"you have no issued certificate {award_id}")
    service.publish_for_learner(_db(request), _verifier(request), learner=who.learner,
                                display_name=who.name or "LEADS learner", credential=_credential(found[1]),
                                entity_base=request.app.state.settings.entity_base)
    return RedirectResponse(f"/pool/launch/{launch_id}?m=published", status_code=303)


@router.post("/pool/launch/{launch_id}/unpublish/{entry_id}", summary="Take one of my certificates out of the pool")
def unpublish(request: Request, launch_id: str, entry_id: int) -> Response:
    who = _who(request, launch_id)
    service.unpublish_for_learner(_db(request), learner=who.learner, entry_id=entry_id)
    return RedirectResponse(f"/pool/launch/{launch_id}?m=unpublished", status_code=303)
