"""The OpenAPI document says every status and content type an operation can answer, for routes added later too.

Errors leave every route through the same handlers (``bridge.web.errors``): JSON for programs and everything under
``/api/``, an HTML page for browsers elsewhere. So the error answers are documented here once, for every operation,
instead of route by route; pages outside ``/api/`` answer HTML as well as JSON; redirects carry no body. A route's
own ``responses=`` (its description, its special media types) are kept and completed, never replaced.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable code"},
        "message": {"type": "string", "description": "what is wrong and how to fix it"},
        "problems": {"type": "array", "items": {"type": "object", "properties": {
            "entity": {"type": "string"}, "property": {"type": "string"}, "message": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
# OpenID4VCI and OAuth 2 endpoints answer errors as their specs say: {"error", "error_description"}
OAUTH_ERROR_SCHEMA: dict[str, Any] = {
    "title": "OAuthError", "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    "additionalProperties": True,
}
OAUTH_PREFIXES = ("/oid4vci/",)
HTML = {"schema": {"type": "string"}}
ERRORS = {
    "400": "the request cannot be used as it is (the message says why)",
    "401": "the operation needs the admin token (or a session) and none or a wrong one came",
    "403": "not allowed for this caller, or a form sent from another site",
    "404": "no such thing (or no such address)",
    "405": "this method is not allowed here (see the Allow header)",
    "409": "conflicts with what is stored",
    "410": "withheld: the credential was revoked or suspended, so its certificate is not offered",
    "413": "the request body is too large",
    "415": "the request body has a media type this operation does not read",
    "422": "the input does not validate (every problem is listed)",
    "429": "too many requests or wrong tokens from this client; see Retry-After",
    "502": "a remote service (an LMS, a Wikibase) failed or could not be reached",
}
REDIRECTS = {"302", "303", "307"}


def _ensure_error(operation: dict[str, Any], code: str, description: str, html: bool,
                  schema: dict[str, Any] = ERROR_SCHEMA) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    response = responses.setdefault(code, {"description": description})
    content = response.setdefault("content", {})
    content.setdefault("application/json", {"schema": schema})
    if html:
        content.setdefault("text/html", HTML)


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the answers every operation shares (see the module docstring) to a generated document."""
    for path, item in document.get("paths", {}).items():
        html = not path.startswith("/api/")
        schema = OAUTH_ERROR_SCHEMA if path.startswith(OAUTH_PREFIXES) else ERROR_SCHEMA
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code in REDIRECTS:
                    response.pop("content", None)
                    response.setdefault("headers", {"Location": {"schema": {"type": "string"},
                                                                 "description": "where to go next"}})
                elif code.startswith("2") and html and "content" in response:
                    response["content"].setdefault("text/html", HTML)
            for code, description in ERRORS.items():
                _ensure_error(operation, code, description, html, schema)
            if "422" in responses:
                responses["422"]["content"]["application/json"] = {"schema": schema}
    return document


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that completes FastAPI's document (generated once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(title=app.title, version=app.version, routes=app.routes,
                                                      description=app.description))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def answers(*media_types: str, status: int = 200, description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering other media types than JSON (the error answers are added for all)."""
    return {status: {"description": description, "content": {media: {} for media in media_types}}}
