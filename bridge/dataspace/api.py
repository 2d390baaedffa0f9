"""The design-set API: validate, store (admin only, all or nothing) and list the entities with their keys."""

from __future__ import annotations

import hmac
from collections import Counter
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bridge.dataspace import service
from bridge.dataspace.model import DesignSet, Kind
from bridge.dataspace.queries import load_index
from bridge.dataspace.repository import EntityRepository
from bridge.dataspace.views import page_path
from bridge.db import Database
from bridge.errors import LeadsError
from bridge.settings import Settings

router = APIRouter(prefix="/api", tags=["data space API"])
bearer = HTTPBearer(auto_error=False, description="LEADS_ADMIN_TOKEN")

DESIGN_SET_BODY = Body(
    ...,
    description="A LEADS design set ({\"entities\": [...]}) or a Wikibase wbgetentities dump "
                "({\"entities\": {\"Q1\": {...}}})",
    examples=[{"entities": [{"kind": "practice", "key": "my-practice", "labels": {"en": "My practice"}}]}],
)


def is_admin(request: Request, credentials: HTTPAuthorizationCredentials | None) -> bool:
    """The caller sent ``Authorization: Bearer <LEADS_ADMIN_TOKEN>`` (compared in constant time)."""
    settings: Settings = request.app.state.settings
    expected = settings.admin_token.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials else b""
    return credentials is not None and hmac.compare_digest(given, expected)


def unauthorized() -> Response:
    body = LeadsError("storing a design set needs the admin token: send 'Authorization: Bearer "
                      "<LEADS_ADMIN_TOKEN>'", code="unauthorized", status=401).as_dict()
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="leads"'})


def _counts(design_set: DesignSet) -> dict[str, int]:
    return dict(sorted(Counter(Kind(e.kind).value for e in design_set.entities).items()))


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.post("/design-sets", status_code=201,
             summary="Validate a design set and store it (all or nothing)",
             responses={401: {"description": "no or wrong admin token"},
                        422: {"description": "every problem, nothing stored"}})
def store_design_set(request: Request, payload: dict[str, Any] = DESIGN_SET_BODY,
                     credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Response:
    if not is_admin(request, credentials):
        return unauthorized()
    design_set = service.parse_design_set(payload, source="request body")
    stored = service.store(_db(request), design_set)
    return JSONResponse({"stored": stored, "counts": _counts(design_set),
                         "keys": [e.key for e in design_set.entities]}, status_code=201)


@router.post("/design-sets/validate", summary="Check a design set against the data space without storing it",
             responses={422: {"description": "every problem"}})
def validate_design_set(request: Request, payload: dict[str, Any] = DESIGN_SET_BODY) -> dict[str, Any]:
    design_set = service.parse_design_set(payload, source="request body")
    with _db(request).session() as session:
        known = {e.key: e for e in EntityRepository(session).list()}
    service.check(design_set, known)
    return {"valid": True, "entities": len(design_set.entities), "counts": _counts(design_set)}


@router.get("/entities", summary="The entities with their stable keys (for scripts)")
def list_entities(request: Request, kind: Kind | None = Query(None, description="Only this kind")) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    with _db(request).session() as session:
        index = load_index(session)
    entities = [e for e in sorted(index.by_key.values(), key=lambda e: (e.kind, e.key))
                if kind is None or e.kind == kind]
    base = settings.base_url.rstrip("/")
    return {"entities": [{"key": e.key, "kind": Kind(e.kind).value, "label": e.label(),
                          "wikibase_id": e.wikibase_id, "uri": f"{base}/entity/{e.key}",
                          "href": page_path(e)} for e in entities]}
