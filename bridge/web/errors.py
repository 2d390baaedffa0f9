"""Turns domain errors into responses: JSON for API clients, an HTML page for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from bridge.errors import LeadsError
from bridge.web.negotiate import templates, wants_json

log = logging.getLogger("leads.web")


def _render(request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    if wants_json(request) or request.url.path.startswith("/api/"):
        return JSONResponse(body, status_code=status, headers=headers)
    return templates.TemplateResponse(request, "error.html", {"status": status, "body": body}, status_code=status,
                                      headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeadsError)
    async def _leads_error(request: Request, exc: LeadsError) -> Response:
        log.info("refused %s %s: %s (%s)", request.method, request.url.path, exc.code, exc.status)
        return _render(request, exc.status, exc.as_dict(), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"entity": "request", "property": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in exc.errors()
        ]
        body = {"error": "invalid_request", "message": "The request is not valid", "problems": problems}
        return _render(request, 422, body)


def register_error_type(app: FastAPI, exc_type: type[Exception]) -> None:
    """Other packages (issuer, lti) keep their own error base with ``code`` and ``status``; render it the same."""

    async def _handler(request: Request, exc: Exception) -> Response:
        status = int(getattr(exc, "status", 400))
        body = {"error": getattr(exc, "code", "error"), "message": str(exc)}
        extra = getattr(exc, "as_dict", None)
        if callable(extra):
            body = extra()
        return _render(request, status, body) if status != 0 else HTMLResponse(str(exc))

    app.add_exception_handler(exc_type, _handler)
