"""A real LTI 1.3 platform for tests: lti1p3platform (OIDC, launch tokens, access tokens, deep-linking checks)
served over HTTP on loopback.

lti1p3platform has no AGS line-item/score/result endpoints and no NRPS endpoint, so this module adds them, written
from the AGS 2.0 and NRPS 2.0 specification shapes (media types, ``/scores``, ``/results``, ``Link: rel="next"``),
and guarded by lti1p3platform's own access-token check. Nothing else is faked.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import lti1p3platform  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from joserfc.jwk import RSAKey
from lti1p3platform.framework.fastapi.oidc_login import FastAPIOIDCLogin  # type: ignore[import-untyped]
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract  # type: ignore[import-untyped]
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract  # type: ignore[import-untyped]
from lti1p3platform.registration import Registration  # type: ignore[import-untyped]

from lti.services import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_NRPS, SCOPE_RESULT, SCOPE_SCORE
from lti.validation import DEEP_LINKING_SETTINGS

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CONTEXT = "course-101"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
RESULTS_DEFAULT_PAGE, RESULTS_MAX_PAGE = 10, 100  # Canvas's API pages: 10 unless asked, at most 100
LAUNCH_FORM = jinja2.Template(
    (Path(lti1p3platform.__file__).parent / "framework" / "templates" / "launch.html").read_text(encoding="utf-8"),
    autoescape=True)


COURSE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Course</title></head><body>
<h1>GLAM uploads 101</h1>
<script>
window.__put = 0; window.__get = 0;
const store = {};
window.addEventListener('message', (event) => {
  const data = event.data;
  if (!data || typeof data.subject !== 'string') return;
  const mine = (store[event.origin] = store[event.origin] || {});
  if (data.subject === 'lti.put_data') {
    mine[data.key] = data.value; window.__put += 1;
    event.source.postMessage({subject: 'lti.put_data.response', message_id: data.message_id, key: data.key,
                              value: data.value}, event.origin);
  } else if (data.subject === 'lti.get_data') {
    window.__get += 1;
    event.source.postMessage({subject: 'lti.get_data.response', message_id: data.message_id, key: data.key,
                              value: mine[data.key]}, event.origin);
  }
});
</script>
<iframe name="tool" title="LEADS" src="TOOL_LOGIN" style="width:100%;height:600px"></iframe>
</body></html>"""


def rsa_pems() -> tuple[str, str]:
    key = RSAKey.generate_key(2048)
    return key.as_pem(private=True).decode(), key.as_pem(private=False).decode()


@dataclass
class PendingLaunch:
    kind: str  # "resource" | "deeplink"
    user: str
    roles: list[str]
    custom: dict[str, str] = field(default_factory=dict)
    lineitem: str | None = None
    storage_target: str | None = None
    locale: str | None = None  # launch_presentation.locale, as Moodle sends the user's language ("es", "es_mx")
    accept_multiple: bool = True  # deep linking: False as Canvas's assignment selection (one item, the activity)
    context: str = CONTEXT  # the course the link is in (its context claim's id)


@dataclass
class PlatformState:
    """What the platform knows; tests read it to check what the tool did."""

    base: str = ""
    tool_base: str = ""
    client_id: str = "leads-client-1"
    deployment_id: str = "deployment-1"
    private_pem: str = ""
    public_pem: str = ""
    old_public_pems: list[str] = field(default_factory=list)
    pending: dict[str, PendingLaunch] = field(default_factory=dict)
    jwks_requests: int = 0
    authorize_requests: dict[str, int] = field(default_factory=dict)  # per login hint (Moodle's is single-use)
    token_requests: int = 0
    deep_link_items: list[list[dict[str, Any]]] = field(default_factory=list)
    line_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)
    nrps_next_base: str | None = None  # where NRPS next links point, when not here (a platform behind a proxy)
    results_requests: list[str] = field(default_factory=list)  # every AGS results URL asked for
    results_next: str | None = None  # the next link every results page gives instead of its own (a broken platform)
    #: the results endpoint ignores ``?user_id=`` and answers every learner's (Open edX's lti_consumer reads the user
    #: from the path, ``results/<user_id>``)
    results_ignore_user_id: bool = False
    registration_token: str = "registration-token-1"
    registrations: list[dict[str, Any]] = field(default_factory=list)
    #: the client id the registration endpoint answers instead of a new one (one answering an existing client)
    registration_client_id: str | None = None
    #: members the registration endpoint's answer carries instead of its own (a platform answering oddly)
    registration_answer: dict[str, Any] = field(default_factory=dict)
    #: other pages on the platform's host, by path (JSON bodies, or responses as they are): another tenant's files
    extra_pages: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def issuer(self) -> str:
        return self.base

    def rotate_key(self) -> None:
        self.old_public_pems.append(self.public_pem)
        self.private_pem, self.public_pem = rsa_pems()

    def kid(self) -> str:
        return str(Registration.get_jwk(self.public_pem)["kid"])


@functools.lru_cache(maxsize=16)
def _signing_key(private_pem: str) -> tuple[Any, str]:
    """The private key parsed once, and its kid: OpenSSL checks an RSA key as it loads it (about 30 ms), which
    lti1p3platform would otherwise do twice for every id_token it signs."""
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    return key, str(Registration.get_jwk(private_pem)["kid"])


class SigningRegistration(Registration):  # type: ignore[misc]
    """lti1p3platform's registration, signing with the key parsed once (same key, kid, algorithm and claims)."""

    def platform_encode_and_sign(self, payload: dict[str, Any], expiration: int | None = None) -> str:
        key, kid = _signing_key(self.get_platform_private_key())
        return str(Registration.encode_and_sign(payload, key, {"kid": kid}, expiration=expiration))


class PlatformConf(LTI1P3PlatformConfAbstract):  # type: ignore[misc]
    def init_platform_config(self, **kwargs: Any) -> None:
        self.state: PlatformState = kwargs["state"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        s = self.state
        return (SigningRegistration().set_iss(s.issuer).set_client_id(s.client_id).set_deployment_id(s.deployment_id)
                .set_oidc_login_url(f"{s.tool_base}/lti/login").set_launch_url(f"{s.tool_base}/lti/launch")
                .set_deeplink_launch_url(f"{s.tool_base}/lti/launch")
                .set_tool_key_set_url(f"{s.tool_base}/lti/jwks")
                .set_platform_public_key(s.public_pem).set_platform_private_key(s.private_pem))


class Login(FastAPIOIDCLogin):  # type: ignore[misc]
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]


class Launch(LTIAdvantageMessageLaunchAbstract):  # type: ignore[misc]
    def get_preflight_response(self) -> dict[str, Any]:
        assert isinstance(self._request, Request)
        return dict(self._request.query_params)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        # lti1p3platform's own launch form; its loader module needs pkg_resources, gone from new setuptools
        return Response(LAUNCH_FORM.render(launch_data), media_type="text/html")


def _bearer_ok(conf: PlatformConf, request: Request, scopes: list[str]) -> bool:
    auth = request.headers.get("authorization", "")
    if not auth.startswith("Bearer "):
        return False
    conf.get_registration()
    try:
        return bool(conf.validate_token(auth[7:], allowed_scopes=scopes))
    except Exception:
        return False


def make_platform(state: PlatformState) -> FastAPI:
    app = FastAPI()

    def conf() -> PlatformConf:
        return PlatformConf(state=state)

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        with state.lock:
            state.jwks_requests += 1
        return {"keys": [Registration.get_jwk(p) for p in [state.public_pem, *state.old_public_pems]]}

    @app.get("/start/{hint}")
    def start(hint: str) -> Response:
        pending = state.pending[hint]
        login = Login(None, conf())
        login.set_lti_message_hint(hint=hint)
        response: Response = login.initiate_login(pending.user)
        if pending.storage_target:
            response.headers["location"] += f"&lti_storage_target={pending.storage_target}"
        return response

    @app.get("/course/{hint}")
    def course(hint: str) -> Response:
        """A course page embedding the tool, with LTI client-side storage in the parent window (written from the
        LTI Client Side postMessages spec: lti.put_data / lti.get_data, answers to the sender's origin only)."""
        pending = state.pending[hint]
        login = Login(None, conf())
        login.set_lti_message_hint(hint=hint)
        url = login.prepare_preflight_url(pending.user)
        if pending.storage_target:
            url += f"&lti_storage_target={pending.storage_target}"
        return Response(COURSE_PAGE.replace("TOOL_LOGIN", html.escape(url)), media_type="text/html")

    @app.get("/authorize")
    def authorize(request: Request) -> Response:
        hint = request.query_params["lti_message_hint"]
        pending = state.pending[hint]
        with state.lock:
            state.authorize_requests[hint] = state.authorize_requests.get(hint, 0) + 1
        launch = Launch(request, conf())
        launch.set_user_data(pending.user, pending.roles, full_name=f"User {pending.user}",
                             email_address=f"{pending.user}@example.org")
        launch.set_launch_context_claim(pending.context, context_title="GLAM uploads 101")
        base = state.base
        if pending.kind == "deeplink":
            launch.set_dl(f"{base}/deep_link_return", title="LEADS", accept_types={"ltiResourceLink", "link"})
            settings = (launch._deep_linking_launch_data or {})[DEEP_LINKING_SETTINGS]
            settings["accept_multiple"] = pending.accept_multiple  # lti1p3platform always sends True
        else:
            launch.set_resource_link_claim(f"link-{uuid.uuid4().hex[:6]}", title="An activity")
            launch.set_ags(f"{base}/ags/{CONTEXT}/lineitems", pending.lineitem)
            launch.set_nrps(f"{base}/nrps/{CONTEXT}/memberships")
        if pending.custom:
            launch.set_custom_parameters_claim(pending.custom)
        if pending.locale:  # lti1p3platform sets document_target and return_url only
            launch.set_launch_presentation_claim(document_target="iframe")
            launch.lti_claim_launch_presentation[f"{CLAIM}launch_presentation"]["locale"] = pending.locale
        return launch.lti_launch()  # type: ignore[no-any-return]

    @app.post("/token")
    async def token(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        with state.lock:
            state.token_requests += 1
        c = conf()
        c.get_registration()
        try:
            return JSONResponse(dict(c.get_access_token(form)))
        except Exception as exc:
            return JSONResponse({"error": "invalid_client", "error_description": str(exc)}, status_code=400)

    @app.post("/deep_link_return")
    async def deep_link_return(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        c = conf()
        c.get_registration()
        try:
            items = c.validate_deeplinking_resp(form)
        except Exception as exc:
            return JSONResponse({"accepted": False, "error": f"{exc.__class__.__name__}: {exc}"}, status_code=400)
        with state.lock:
            state.deep_link_items.append(items)
            for item in items:  # like Moodle: a graded link gets its grade column
                if item.get("lineItem"):
                    _create_line_item(dict(item["lineItem"]))
        return JSONResponse({"accepted": True, "items": items})

    def _create_line_item(data: dict[str, Any]) -> dict[str, Any]:
        item_id = str(next(state.ids))
        data["id"] = f"{state.base}/ags/{CONTEXT}/lineitems/{item_id}"
        state.line_items[item_id] = data
        state.scores[item_id] = []
        return data

    lineitems_scopes = [SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY]

    @app.get("/ags/{context}/lineitems")
    def list_line_items(request: Request, context: str, resource_id: str | None = None) -> Response:
        if not _bearer_ok(conf(), request, lineitems_scopes):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        items = [i for i in state.line_items.values() if resource_id is None or i.get("resourceId") == resource_id]
        return JSONResponse(items, media_type="application/vnd.ims.lis.v2.lineitemcontainer+json")

    @app.post("/ags/{context}/lineitems")
    async def create_line_item(request: Request, context: str) -> Response:
        if not _bearer_ok(conf(), request, [SCOPE_LINEITEM]):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        if not isinstance(body.get("scoreMaximum"), int | float) or not body.get("label"):
            return JSONResponse({"error": "scoreMaximum and label are required"}, status_code=400)
        with state.lock:
            item = _create_line_item(body)
        return JSONResponse(item, status_code=201, media_type="application/vnd.ims.lis.v2.lineitem+json")

    @app.get("/ags/{context}/lineitems/{item_id}")
    def get_line_item(request: Request, context: str, item_id: str) -> Response:
        if not _bearer_ok(conf(), request, lineitems_scopes):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if item_id not in state.line_items:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(state.line_items[item_id], media_type="application/vnd.ims.lis.v2.lineitem+json")

    @app.delete("/ags/{context}/lineitems/{item_id}")
    def delete_line_item(request: Request, context: str, item_id: str) -> Response:
        if not _bearer_ok(conf(), request, [SCOPE_LINEITEM]):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        with state.lock:
            if state.line_items.pop(item_id, None) is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            state.scores.pop(item_id, None)
        return Response(status_code=204)

    @app.post("/ags/{context}/lineitems/{item_id}/scores")
    async def post_score(request: Request, context: str, item_id: str) -> Response:
        if not _bearer_ok(conf(), request, [SCOPE_SCORE]):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if request.headers.get("content-type", "").split(";")[0] != "application/vnd.ims.lis.v1.score+json":
            return JSONResponse({"error": "wrong media type"}, status_code=415)
        body = await request.json()
        missing = [k for k in ("userId", "activityProgress", "gradingProgress", "timestamp") if k not in body]
        if missing or item_id not in state.scores:
            return JSONResponse({"error": f"missing {missing}"}, status_code=400)
        with state.lock:
            state.scores[item_id].append(body)
        return Response(status_code=204)

    @app.get("/ags/{context}/lineitems/{item_id}/results")
    def results(request: Request, context: str, item_id: str, user_id: str | None = None,
                limit: int = RESULTS_DEFAULT_PAGE, page: int = 1) -> Response:
        """Paged as Canvas pages it: 10 results unless ``limit`` asks for more, at most 100, ``Link: rel="next"``."""
        if not _bearer_ok(conf(), request, [SCOPE_RESULT]):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        with state.lock:
            state.results_requests.append(str(request.url))
        latest: dict[str, dict[str, Any]] = {}
        for score in state.scores.get(item_id, []):
            latest[score["userId"]] = score
        item_url = f"{state.base}/ags/{context}/lineitems/{item_id}"
        if state.results_ignore_user_id:
            user_id = None
        out = [{"id": f"{item_url}/results/{u}", "scoreOf": item_url, "userId": u,
                "resultScore": s.get("scoreGiven"), "resultMaximum": s.get("scoreMaximum")}
               for u, s in latest.items() if user_id is None or u == user_id]
        size = max(1, min(limit, RESULTS_MAX_PAGE))
        headers = {}
        if page * size < len(out):
            query = urlencode({**({"user_id": user_id} if user_id else {}), "limit": size, "page": page + 1})
            headers["Link"] = f'<{state.results_next or f"{item_url}/results?{query}"}>; rel="next"'
        return JSONResponse(out[(page - 1) * size: page * size], headers=headers,
                            media_type="application/vnd.ims.lis.v2.resultcontainer+json")

    @app.get("/.well-known/openid-configuration")
    def openid_configuration() -> dict[str, Any]:
        """LTI Dynamic Registration 1.0 §3.4 platform configuration (lti1p3platform has no such endpoint)."""
        base = state.base
        return {"issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks", "registration_endpoint": f"{base}/register",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE, SCOPE_NRPS],
                "response_types_supported": ["id_token"], "subject_types_supported": ["public", "pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "lti1p3platform", "version": "0.1.8",
                    "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}]}}

    @app.post("/register")
    async def register(request: Request) -> Response:
        """Dynamic Registration §3.5/3.6: checks what the spec requires of the tool's request, answers a client."""
        if request.headers.get("authorization") != f"Bearer {state.registration_token}":
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        body = await request.json()
        config = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
        problems = [name for name, ok in (
            ("application_type", body.get("application_type") == "web"),
            ("response_types", body.get("response_types") == ["id_token"]),
            ("grant_types", {"implicit", "client_credentials"} <= set(body.get("grant_types") or [])),
            ("initiate_login_uri", str(body.get("initiate_login_uri", "")).startswith("http")),
            ("redirect_uris", bool(body.get("redirect_uris"))),
            ("jwks_uri", str(body.get("jwks_uri", "")).startswith("http")),
            ("token_endpoint_auth_method", body.get("token_endpoint_auth_method") == "private_key_jwt"),
            ("domain", bool(config.get("domain"))), ("target_link_uri", bool(config.get("target_link_uri"))),
        ) if not ok]
        if problems:
            return JSONResponse({"error": "invalid_client_metadata", "error_description": problems}, status_code=400)
        state.client_id = state.registration_client_id or f"dyn-{uuid.uuid4().hex[:8]}"
        state.deployment_id = "dyn-deployment-1"
        state.registrations.append(body)
        answer = {**body, "client_id": state.client_id, "https://purl.imsglobal.org/spec/lti-tool-configuration":
                  {**config, "deployment_id": state.deployment_id}, **state.registration_answer}
        return JSONResponse(answer)

    @app.get("/nrps/{context}/memberships")
    def memberships(request: Request, context: str, limit: int = 2, page: int = 1) -> Response:
        if not _bearer_ok(conf(), request, [SCOPE_NRPS]):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        chunk = state.members[(page - 1) * limit: page * limit]
        headers = {}
        if page * limit < len(state.members):
            headers["Link"] = (f'<{state.nrps_next_base or state.base}/nrps/{context}/memberships'
                               f'?limit={limit}&page={page + 1}>; rel="next"')
        body = {"id": str(request.url), "context": {"id": context, "title": "GLAM uploads 101"}, "members": chunk}
        return JSONResponse(body, headers=headers,
                            media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    @app.get("/{path:path}", include_in_schema=False)
    def extra_page(path: str) -> Response:  # last: only paths no route above serves
        page = state.extra_pages.get("/" + path)
        if page is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return page if isinstance(page, Response) else JSONResponse(page)

    return app


def new_state() -> PlatformState:
    private, public = rsa_pems()
    members = [{"user_id": f"u{i}", "name": f"User {i}", "roles": [LEARNER if i else INSTRUCTOR],
                "status": "Active"} for i in range(5)]
    return PlatformState(private_pem=private, public_pem=public, members=members)


def form_fields(html_text: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-submitted form (what a browser would post)."""
    action = re.search(r'<form[^>]*action="([^"]+)"', html_text)
    assert action, html_text[:500]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html_text))
    return action.group(1).replace("&amp;", "&"), fields
