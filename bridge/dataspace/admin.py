"""The design-set API: validate, store (admin only, all or nothing) and list the entities with their keys."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from bridge.dataspace import service
from bridge.dataspace.model import DesignSet, Kind
from bridge.dataspace.queries import current_index
from bridge.dataspace.repository import EntityRepository
from bridge.dataspace.views import page_path
from bridge.db import Database
from bridge.settings import Settings
from bridge.web.admin import require_admin

router = APIRouter(prefix="/api", tags=["data space API"])

DESIGN_SET_BODY = Body(
    ...,
    description="A LEADS design set ({\"entities\": [...]}) or a Wikibase wbgetentities dump "
                "({\"entities\": {\"Q1\": {...}}})",
    examples=[{"entities": [{"kind": "practice", "key": "my-practice", "labels": {"en": "My practice"}}]}],
)


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
                     _admin: None = Depends(require_admin)) -> Response:
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
    index = current_index(_db(request))
    entities = [e for e in sorted(index.by_key.values(), key=lambda e: (e.kind, e.key))
                if kind is None or e.kind == kind]
    base = settings.base_url.rstrip("/")
    return {"entities": [{"key": e.key, "kind": Kind(e.kind).value, "label": e.label(),
                          "wikibase_id": e.wikibase_id, "uri": f"{base}/entity/{e.key}",
                          "href": page_path(e)} for e in entities]}
