"""The tool's HTTP endpoints as a router factory: the application passes its context and a launch callback.

Request data is read here (async); pylti1p3, the database and platform calls run in the thread pool.
Refusals are logged with their code and never with a token.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from html import escape as _esc
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from lti import dynamic_registration
from lti.adapters import PageScript, RequestData
from lti.config import PlatformRegistration
from lti.errors import LtiError
from lti.launch import Launch, StorageCheckNeeded, ToolContext, complete_launch, start_login

log = logging.getLogger("leads.lti")

PUT_DATA_JS = """
const target = DATA.target === '_parent' ? window.parent : (window.parent.frames[DATA.target] || window.parent);
const reply = (event, subject) => {  // platforms answer with objects or JSON strings, some with the older prefix
  let data = event.data;
  if (typeof data === 'string') { try { data = JSON.parse(data); } catch (e) { return null; } }
  if (event.origin !== DATA.origin || !data) return null;
  return (data.subject === subject || data.subject === 'org.imsglobal.' + subject) ? data : null;
};
const pending = new Set();
let done = false;
const go = () => { if (!done) { done = true; window.location.replace(DATA.redirect); } };
window.addEventListener('message', (event) => {
  const data = reply(event, 'lti.put_data.response');
  if (!data) return;
  pending.delete(data.message_id);
  if (pending.size === 0) go();
});
const id = 'leads-' + Math.random().toString(36).slice(2);
pending.add(id);
target.postMessage({subject: 'lti.put_data', message_id: id, key: 'state_' + DATA.state, value: DATA.secret},
                   DATA.origin);
setTimeout(go, 3000);  // a platform that never answers: fall back to the state cookie
"""

GET_DATA_JS = """
const target = DATA.target === '_parent' ? window.parent : (window.parent.frames[DATA.target] || window.parent);
const id = 'leads-' + Math.random().toString(36).slice(2);
window.addEventListener('message', (event) => {
  let data = event.data;
  if (typeof data === 'string') { try { data = JSON.parse(data); } catch (e) { return; } }
  if (event.origin !== DATA.origin || !data || data.message_id !== id) return;
  if (data.subject !== 'lti.get_data.response' && data.subject !== 'org.imsglobal.lti.get_data.response') return;
  const form = document.createElement('form');
  form.method = 'POST'; form.action = DATA.action;
  const fields = {id_token: DATA.id_token, state: DATA.state, lti_storage_secret: data.value || ''};
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
  }
  document.body.appendChild(form); form.submit();
});
target.postMessage({subject: 'lti.get_data', message_id: id, key: 'state_' + DATA.state}, DATA.origin);
setTimeout(() => { document.getElementById('msg').textContent =
  'The platform did not answer; open the tool in a new window and launch again.'; }, 5000);
"""

CLOSE_JS = """
(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');
"""

# served as files (no inline script on any page); each reads its data from the page's JSON block
SCRIPTS = {name: "\"use strict\";\nconst DATA = JSON.parse(document.getElementById('lti-data').textContent);\n" + js
           for name, js in (("put-data", PUT_DATA_JS), ("get-data", GET_DATA_JS), ("close", CLOSE_JS),
                                     ("redirect", "window.location.replace(DATA.redirect);\n"))}


def script_url(name: str) -> str:
    return f"/lti/js/{name}.js"


async def read_request(request: Request) -> RequestData:
    params: dict[str, str] = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    return RequestData(request.method, params, dict(request.cookies), secure)


def make_router(
    context: Callable[[], ToolContext],
    base_url: str,
    on_launch: Callable[[Request, Launch], Response],
    on_register: Callable[[PlatformRegistration], None] | None = None,
    registration_key: str | None = None,
    tool: dynamic_registration.ToolDescription | None = None,
) -> APIRouter:
    """``/lti/login``, ``/lti/launch``, ``/lti/jwks`` and ``/lti/register``; ``on_launch`` renders the tool."""
    router = APIRouter(prefix="/lti", tags=["lti"])
    launch_url = base_url.rstrip("/") + "/lti/launch"
    tool = tool or dynamic_registration.ToolDescription(base_url)

    async def _refusal_logged(what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args)
        except LtiError as exc:
            log.warning("LTI %s refused: %s (HTTP %s): %s", what, exc.code, exc.status, exc.message)
            raise

    async def login(request: Request) -> Response:
        data = await read_request(request)
        outcome = await _refusal_logged("login", start_login, data, context(), launch_url)
        if outcome.storage_target:
            page = PageScript("Starting LEADS…", script_url("put-data"), {
                "target": outcome.storage_target, "origin": outcome.platform_origin, "state": outcome.state,
                "secret": outcome.storage_secret, "redirect": outcome.redirect_url}, "<p>Starting LEADS…</p>")
            response: Response = HTMLResponse(page.render())
        else:
            response = RedirectResponse(outcome.redirect_url, status_code=302)
        for cookie in outcome.cookies:
            response.headers.append("set-cookie", cookie.header())
        return response

    for method in ("GET", "POST"):  # one operation per method, so the OpenAPI document has unique operation ids
        router.add_api_route("/login", login, methods=[method], summary="OIDC third-party initiated login",
                             operation_id=f"lti_login_{method.lower()}")

    @router.post("/launch", summary="LTI message launch (resource link or deep linking)")
    async def launch(request: Request) -> Response:
        data = await read_request(request)
        try:
            result: Launch = await _refusal_logged("launch", complete_launch, data, context())
        except StorageCheckNeeded as need:
            page = PageScript("Opening LEADS…", script_url("get-data"), {
                "target": need.record.get("storage_target"), "origin": need.record.get("origin"),
                "state": need.state, "id_token": data.params.get("id_token"), "action": launch_url},
                "<p id='msg'>Opening LEADS…</p>")
            return HTMLResponse(page.render())
        log.info("LTI launch accepted: %s from %s client %s deployment %s", result.message_type,
                 result.platform.issuer, result.platform.client_id,
                 result.claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id"))
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
                 key: str | None = None) -> HTMLResponse:
        if registration_key and not (key and hmac.compare_digest(key.encode(), registration_key.encode())):
            raise LtiError("this registration URL lacks the right key; copy the full URL from LEADS "
                           "(admin page or `leads lti list`)", code="registration_forbidden", status=403)
        ctx = context()
        assert tool is not None
        reg = dynamic_registration.register(ctx.http, tool, openid_configuration, registration_token)
        (on_register or ctx.config.save)(reg)
        log.info("LTI dynamic registration: %s client %s deployments %s", reg.issuer, reg.client_id,
                 list(reg.deployment_ids))
        page = PageScript("LEADS registered", script_url("close"), {}, "<h1>LEADS is registered</h1><p>Platform "
                          f"<code>{_esc(reg.issuer)}</code>, client id <code>{_esc(reg.client_id)}</code>. "
                          "This window closes by itself.</p>")
        return HTMLResponse(page.render())

    return router

