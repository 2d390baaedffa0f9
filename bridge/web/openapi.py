"""The OpenAPI document says every status and content type an operation can answer, for routes added later too.

Errors leave every route through the same handlers (``bridge.web.errors``): JSON for programs and everything under
``/api/``, an HTML page for browsers elsewhere. So the error answers are documented here once, for every operation,
instead of route by route; pages outside ``/api/`` answer HTML as well as JSON; redirects carry no body. A route's
own ``responses=`` (its description, its special media types) are kept and completed, never replaced.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bridge.web.text import NUL_FREE

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
# A property marked ``{"x-leads-enum": name}`` gets ``enum`` = the values the data space has now (design keys):
# the document is completed afresh from the stored data each time it is served.
ENUM_MARK = "x-leads-enum"
# Requests the schema allows that the domain can still refuse, and why: the rule depends on state the schema cannot
# name (a login cookie, a signature, a stored token, a credential's status) or is the protocol's own answer. Served
# as ``x-schema-valid-rejections`` on the operation; schemathesis' positive_data_acceptance reads them
# (tests/security/test_openapi.py) and every other 4xx to a schema-valid request is a failure.
NAME_RULE = ("a name holding a character the one name rule refuses (control, invisible formatting, private-use or "
             "unassigned: issuer.documents.names); JSON Schema patterns cannot name Unicode categories")
PAGE_POSITION = ("'after' must be the position a result page's next link gave (base64url of the last row shown); "
                 "any other text of that alphabet is refused")
STATE = "the state is not one this browser started (it is bound to the login cookie), or has expired"
SCHEMA_VALID_REJECTIONS: dict[tuple[str, str], dict[str, str]] = {
    ("get", "/lti/login"): {"400": "an OIDC login initiation needs iss, login_hint and target_link_uri from a "
                                   "registered platform"},
    ("post", "/lti/login"): {"400": "an OIDC login initiation needs iss, login_hint and target_link_uri from a "
                                    "registered platform"},
    ("post", "/lti/launch"): {"400": "a launch is an id_token signed by a registered platform, with its state"},
    ("get", "/lti/login/check"): {"400": STATE},
    ("get", "/lti/login/window"): {"400": STATE},
    ("post", "/lti/login/bind"): {"400": STATE, "422": "the key must be the one the login page gave"},
    ("post", "/lti/login/relay"): {"400": STATE, "422": "the key must be the one the login page gave"},
    ("post", "/lti/deep-link/{launch_id}"): {"422": "the design must be one the deep-linking launch offered"},
    ("post", "/lti/admin"): {"422": "the form needs the admin token and an action"},
    ("post", "/oid4vci/token"): {"400": "OAuth 2 answers a grant it cannot use with 400 (RFC 6749 §5.2): the "
                                        "pre-authorized code is single-use and short-lived"},
    ("post", "/oid4vci/credential"): {"400": "OpenID4VCI answers a credential request it cannot serve with 400: "
                                             "the proof must be signed for this access token's nonce"},
    ("post", "/api/credentials"): {"422": f"{NAME_RULE}; or an EDC that does not conform to its shapes"},
    ("post", "/api/pool/profiles"): {"422": NAME_RULE},
    ("post", "/api/editors"): {"422": NAME_RULE},
    ("post", "/api/issuers/trusted"): {"422": NAME_RULE},
    ("post", "/api/verify"): {"422": "the body must be a credential (a JSON object) or a VC-JOSE JWT"},
    ("post", "/verify"): {"422": "the form must carry a credential, as text or as a file (JSON, JWT, PDF or QR)"},
    ("get", "/pool"): {"422": PAGE_POSITION},
    ("get", "/awards/course/{launch_id}"): {"422": PAGE_POSITION},
    ("get", "/api/admin/awards"): {"422": PAGE_POSITION},
    ("get", "/api/admin/awards/failed"): {"422": PAGE_POSITION},
    ("get", "/pool/competences/{key}"): {"422": PAGE_POSITION},
    ("post", "/pool/publish"): {"422": "the presentation must be a signed Verifiable Presentation holding a LEADS "
                                       "credential of this profile's holder"},
    ("post", "/courses/generate"): {"422": "the design and the target must be ones the page offers, with the "
                                           "session's CSRF token"},
    ("post", "/courses/login"): {"422": "the form needs the admin token and the login page's CSRF token"},
    ("get", "/courses/generate/download"): {"400": "the design and the launch must be ones the page offered"},
    ("get", "/credentials/{credential_id}/certificate.pdf"): {"410": "the credential was revoked or suspended"},
    ("get", "/edit/callback"): {"400": "a sign-in callback needs the code and the state that the wiki's OAuth 2 login "
                                       "sent to this browser"},
    ("post", "/map"): {"422": "the form must carry a credential to place on the map (pasted or as files)"},
    ("post", "/pool/people/{handle}/wiki-login"): {
        "403": "the form did not come from this page, or the management token is not this profile's",
        "404": "no such profile, the sign-in link is unknown, used or expired, or Wikimedia sign-in is not set up"},
    ("post", "/pool/people/{handle}/delete"): {"400": "the form needs this profile's management token and the "
                                                      "ticked box that confirms the deletion"},
    ("post", "/pool/launch/{launch_id}/delete-profile"): {"400": "the box that confirms the deletion must be ticked"},
    ("post", "/pool/profiles/new"): {"422": "the form's fields must satisfy the pool's rules (handle, name, contact); "
                                            "the page comes back with what was typed and a sentence per problem"},
}


# No path or query parameter may hold a NUL character (bridge.web.nul refuses it with 422): the document says so, so
# a schema-valid request never meets that refusal. A parameter with a pattern of its own gets this one beside it
# (allOf); enumerations are left as they are.
def _no_nul(node: Any, components: dict[str, Any], seen: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _no_nul(item, components, seen)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        if name not in seen and name in components:
            seen.add(name)
            _no_nul(components[name], components, seen)
        return
    if node.get("type") == "string" and not {"contentMediaType", "enum", "const"} & set(node):
        if "pattern" not in node:
            node["pattern"] = NUL_FREE
        elif node["pattern"] != NUL_FREE and {"pattern": NUL_FREE} not in node.get("allOf", []):
            node.setdefault("allOf", []).append({"pattern": NUL_FREE})
    for key, value in node.items():
        if key != "allOf":
            _no_nul(value, components, seen)


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
            components = document.get("components", {}).get("schemas", {})
            _no_nul([p.get("schema") for p in operation.get("parameters", []) if p.get("in") in ("path", "query")],
                    components, set())
            rejections = SCHEMA_VALID_REJECTIONS.get((method, path))
            if rejections:
                operation["x-schema-valid-rejections"] = rejections
    return document


def _fill_enums(node: Any, enums: dict[str, list[str]]) -> None:
    if isinstance(node, dict):
        name = node.get(ENUM_MARK)
        if isinstance(name, str) and enums.get(name):
            node["enum"] = sorted(enums[name])
        for value in node.values():
            _fill_enums(value, enums)
    elif isinstance(node, list):
        for value in node:
            _fill_enums(value, enums)


def install(app: FastAPI, enums: Callable[[], dict[str, list[str]]] | None = None) -> None:
    """Replace ``app.openapi`` with one that completes FastAPI's document (generated once, on first request); the
    data space's enumerations (``enums``: name → values) are filled in on every call, as the data space changes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(title=app.title, version=app.version, routes=app.routes,
                                                      description=app.description))
        if enums is None:
            return app.openapi_schema
        document = copy.deepcopy(app.openapi_schema)
        _fill_enums(document, enums())
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def answers(*media_types: str, status: int = 200, description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route answering other media types than JSON (the error answers are added for all)."""
    return {status: {"description": description, "content": {media: {} for media in media_types}}}
