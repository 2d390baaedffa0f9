"""The tool's HTTP endpoints as a router factory: the application passes its context, a launch callback and a page
renderer (the pages' scripts are static files, so a Content-Security-Policy without inline script holds).

Request data is read here (async); pylti1p3, the database and platform calls run in the thread pool.
Refusals are logged with their code and never with a token.

A login answers with a redirect to ``/lti/login/check``: when the state cookie came back the browser goes on to the
platform (the direct path); when it did not (a frame whose browser keeps no cookie for the tool) the check page
recovers — Storage Access API after a click, else the same login again in a top-level window whose launch is
handed back to the frame (decision 018).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from lti import dynamic_registration
from lti.adapters import Cookie, RequestData
from lti.config import PlatformRegistration
from lti.errors import LtiError
from lti.launch import (
    Launch,
    LoginOutcome,
    StorageCheckNeeded,
    ToolContext,
    bind_cookie,
    complete_launch,
    has_state_cookie,
    login_record,
    recovery_key,
    relay_take,
    resume_launch,
    start_login,
    state_cookie_name,
    window_login,
)

log = logging.getLogger("leads.lti")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class PageRenderer(Protocol):
    """Renders one of the tool's own pages (``storage_put``, ``storage_get``, ``recover``, ``relay``,
    ``registered``) with its data; the page loads ``/static/lti/<name>.js``, which reads the data as JSON."""

    def __call__(self, request: Request, name: str, data: dict[str, Any]) -> Response: ...


# served as files (no inline script on any page); each reads its data from the page's JSON block
SCRIPTS = {"redirect": "\"use strict\";\nconst DATA = JSON.parse(document.getElementById('lti-data').textContent);\n"
                       "window.location.replace(DATA.redirect);\n"}


def script_url(name: str) -> str:
    return f"/lti/js/{name}.js"


async def read_request(request: Request) -> RequestData:
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    return RequestData(request.method, params, dict(request.cookies), secure)


def _with_cookies(response: Response, cookies: list[Cookie]) -> Response:
    for cookie in cookies:
        response.headers.append("set-cookie", cookie.header())
    return response


def make_router(
    context: Callable[[], ToolContext],
    base_url: str,
    on_launch: Callable[[Request, Launch], Response],
    page: PageRenderer,
    on_register: Callable[[PlatformRegistration], None] | None = None,
    registration_key: str | None = None,
    tool: dynamic_registration.ToolDescription | None = None,
) -> APIRouter:
    """``/lti/login`` (+ ``/check``, ``/window``, ``/bind``, ``/relay``), ``/lti/launch``, ``/lti/resume``,
    ``/lti/jwks`` and ``/lti/register``; ``on_launch`` renders the tool."""
    router = APIRouter(prefix="/lti", tags=["lti"])
    base = base_url.rstrip("/")
    launch_url = base + "/lti/launch"
    tool = tool or dynamic_registration.ToolDescription(base_url)

    async def _refusal_logged(what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args)
        except LtiError as exc:
            log.warning("LTI %s refused: %s (HTTP %s): %s", what, exc.code, exc.status, exc.message)
            raise

    def _after_login(request: Request, outcome: LoginOutcome) -> Response:
        if outcome.storage_target:  # the platform keeps the state for us (LTI client-side storage, postMessage)
            response = page(request, "storage_put", {
                "target": outcome.storage_target, "origin": outcome.platform_origin, "state": outcome.state,
                "secret": outcome.storage_secret, "redirect": outcome.redirect_url})
        else:  # a first hop on the tool's own site tells whether the state cookie is kept
            response = RedirectResponse(f"{base}/lti/login/check?state={outcome.state}", status_code=302)
        response.headers.update(NO_STORE)
        return _with_cookies(response, outcome.cookies)

    async def login(request: Request) -> Response:
        data = await read_request(request)
        outcome = await _refusal_logged("login", start_login, data, context(), launch_url)
        return _after_login(request, outcome)

    for method in ("GET", "POST"):  # one operation per method, so the OpenAPI document has unique operation ids
        router.add_api_route("/login", login, methods=[method], summary="OIDC third-party initiated login",
                             operation_id=f"lti_login_{method.lower()}")

    @router.get("/login/check", summary="Did the state cookie come back? Continue to the platform, or recover")
    async def check(request: Request, state: str = "", probe: bool = False) -> Response:
        data = await read_request(request)
        ctx = context()
        record = await _refusal_logged("login check", login_record, ctx, state)
        kept = has_state_cookie(data, state)
        if probe:
            return JSONResponse({"cookie": kept}, headers=NO_STORE)
        if kept:
            return RedirectResponse(str(record["redirect"]), status_code=302, headers=NO_STORE)
        key = await _refusal_logged("login check", recovery_key, ctx, state)
        log.info("LTI login: no state cookie came back for %s; offering recovery", record.get("iss"))
        response = page(request, "recover", {
            "state": state, "key": key, "window": f"{base}/lti/login/window?{urlencode({'state': state, 'key': key})}",
            "bind": f"{base}/lti/login/bind", "probe": f"{base}/lti/login/check?state={state}&probe=1",
            "relay": f"{base}/lti/login/relay", "redirect": str(record["redirect"])})
        response.headers.update(NO_STORE)
        return response

    @router.get("/login/window", summary="The same login again, in a top-level window")
    async def window(request: Request, state: str, key: str) -> Response:
        data = await read_request(request)
        outcome = await _refusal_logged("login window", window_login, context(), state, key, launch_url,
                                        data.secure)
        return _after_login(request, outcome)

    @router.post("/login/bind", summary="Set the state cookie once the Storage Access API granted cookies")
    async def bind(state: str = Form(...), key: str = Form(...)) -> Response:
        cookie = await _refusal_logged("storage access bind", bind_cookie, context(), state, key)
        return _with_cookies(Response(status_code=204, headers=NO_STORE), [cookie])

    @router.post("/login/relay", summary="The launch a top-level window finished for this frame, if any")
    async def relay(state: str = Form(...), key: str = Form(...)) -> JSONResponse:
        launch_id = await _refusal_logged("relay", relay_take, context(), state, key)
        body = {"url": f"{base}/lti/resume/{launch_id}"} if launch_id else {"pending": True}
        return JSONResponse(body, headers=NO_STORE)

    @router.post("/launch", summary="LTI message launch (resource link or deep linking)")
    async def launch(request: Request) -> Response:
        data = await read_request(request)
        try:
            result: Launch = await _refusal_logged("launch", complete_launch, data, context())
        except StorageCheckNeeded as need:
            return page(request, "storage_get", {
                "target": need.record.get("storage_target"), "origin": need.record.get("origin"),
                "state": need.state, "id_token": data.params.get("id_token"), "action": launch_url})
        log.info("LTI launch accepted: %s from %s client %s deployment %s%s", result.message_type,
                 result.platform.issuer, result.platform.client_id,
                 result.claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id"),
                 " (top-level window for a frame)" if result.extra.get("opener") else "")
        if result.extra.get("opener"):
            response = page(request, "relay", {"resume": f"{base}/lti/resume/{result.launch_id}",
                                               "deep_linking": result.message_type.endswith("DeepLinkingRequest")})
            response.headers.update(NO_STORE)
        else:
            response = await run_in_threadpool(on_launch, request, result)
        name = state_cookie_name(str(result.extra.get("state", "")))  # used once: no pile-up in the Cookie header
        return _with_cookies(response, [Cookie.clearing(name), Cookie.clearing(name, partitioned=False)])

    @router.get("/resume/{launch_id}", summary="Show a launch finished in a top-level window (in the frame)")
    async def resume(request: Request, launch_id: str) -> Response:
        result = await _refusal_logged("resume", resume_launch, context(), launch_id)
        return await run_in_threadpool(on_launch, request, result)

    @router.get("/js/{name}.js", include_in_schema=False)
    def script(name: str) -> Response:
        if name not in SCRIPTS:
            raise LtiError("no such script", code="not_found", status=404)
        return Response(SCRIPTS[name], media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/jwks", summary="The tool's public keys (JWKS)")
    def jwks() -> JSONResponse:
        return JSONResponse(context().keys().jwks(), headers={"Cache-Control": "public, max-age=300"})

    @router.get("/register", summary="LTI Dynamic Registration (opened by the platform)")
    def register(request: Request, openid_configuration: str, registration_token: str | None = None,
                 key: str | None = None) -> Response:
        if registration_key and not (key and hmac.compare_digest(key.encode(), registration_key.encode())):
            raise LtiError("this registration URL lacks the right key; copy the full URL from LEADS "
                           "(admin page or `leads lti list`)", code="registration_forbidden", status=403)
        ctx = context()
        assert tool is not None
        reg = dynamic_registration.register(ctx.http, tool, openid_configuration, registration_token,
                                            ctx.config.list())
        (on_register or ctx.config.save)(reg)
        log.info("LTI dynamic registration: %s client %s deployments %s", reg.issuer, reg.client_id,
                 list(reg.deployment_ids))
        return page(request, "registered", {"issuer": reg.issuer, "client_id": reg.client_id})

    return router
