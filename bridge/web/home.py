"""The front door at ``/``: what LEADS is, and where each of its three audiences goes next."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bridge.web.negotiate import templates, wants_json

router = APIRouter()

PLACES = {"verify": "/verify", "practices": "/practices", "pool": "/pool", "generate_course": "/courses/generate",
          "api": "/docs", "openapi": "/openapi.json"}


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """Learners (where is my certificate), verifiers (/verify), instructors and editors (data space, courses)."""
    if wants_json(request):
        return JSONResponse({"links": PLACES})
    return templates.TemplateResponse(request, "home.html", {}, headers={"Vary": "Accept, Accept-Language, Cookie"})
