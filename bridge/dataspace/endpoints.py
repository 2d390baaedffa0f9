"""Data-space pages and JSON (the same URLs, by content negotiation)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bridge.dataspace.model import Kind
from bridge.dataspace.repository import EntityRepository
from bridge.db import Database
from bridge.web.negotiate import templates, wants_json

router = APIRouter(tags=["data space"])


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@router.get("/practices")
def practices(request: Request) -> Response:
    with _db(request).session() as session:
        items = EntityRepository(session).list(Kind.PRACTICE)
    data: list[dict[str, Any]] = [e.model_dump(mode="json") for e in items]
    if wants_json(request):
        return JSONResponse({"practices": data})
    return templates.TemplateResponse(request, "dataspace/practices.html", {"practices": items})
