"""OIDC login and message launch on pylti1p3, made strict: each refusal has a code, nonces are consumed once.

``start_login`` and ``complete_launch`` are blocking (database, platform key sets over HTTP): call them from a
worker thread. pylti1p3 does the OIDC parameters, registration lookup and message validators; the overrides add
what it lacks (alg allow-list, kid refetch, aud/azp, times, one-time nonce bound to the state, clear errors).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
from joserfc.jwk import RSAKey
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.message_launch import MessageLaunch

from lti import validation as v
from lti.adapters import (
    LAUNCH_DATA_TTL,
    NONCE_TTL,
    STATE_COOKIE_TTL,
    Cookie,
    FastAPICookieService,
    FastAPIOIDCLogin,
    FastAPIRequest,
    RequestData,
    StoreLaunchDataStorage,
    StoreSessionService,
)
from lti.config import LaunchDataStore, PlatformRegistration, StoreToolConf, ToolConfigStore
from lti.errors import LtiError, refused, worded
from lti.keys import KeyRing
from lti.outbound import call, json_of

log = logging.getLogger("leads.lti")
STATE_PREFIX = "lti-state:"
JWKS_PREFIX = "lti-jwks:"
JWKS_TTL = 3600
JWKS_REFETCH_COOLDOWN = 30  # seconds: unknown kids cannot make the tool hammer a platform's key set
JWKS_MEMORY_SECONDS = 300  # a process keeps a key set this long before reading the shared copy again
JWKS_MEMORY_ENTRIES = 256  # key set URLs a process keeps (one per platform)


@dataclass
class ToolContext:
    """Everything the tool needs, injected: stores, keys, the HTTP client for platform calls, the clock."""

    config: ToolConfigStore
    store: LaunchDataStore
    keys: Callable[[], KeyRing]
    http: httpx.Client
    clock: Callable[[], float] = time.time
    leeway: int = 60
    #: the platforms' key sets this process read last, by URL (``JwksSource``): no shared-store read per launch
    key_sets: dict[str, tuple[float, list[dict[str, Any]]]] = field(default_factory=dict)


class JwksSource:
    """A platform's key set, cached in the shared store and for ``JWKS_MEMORY_SECONDS`` in the process; refetched
    once when a kid is not in the cached copy (a rotated key is found at its first launch)."""

    def __init__(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    def keys(self, url: str, refresh: bool = False) -> list[dict[str, Any]]:
        now = time.monotonic()
        kept = self.ctx.key_sets.get(url)
        if not refresh and kept is not None and now - kept[0] < JWKS_MEMORY_SECONDS:
            return kept[1]
        keys = self._shared(url, refresh)
        if len(self.ctx.key_sets) >= JWKS_MEMORY_ENTRIES:
            self.ctx.key_sets.clear()
        self.ctx.key_sets[url] = (now, keys)
        return keys

    def _shared(self, url: str, refresh: bool) -> list[dict[str, Any]]:
        cache_key = JWKS_PREFIX + hashlib.sha256(url.encode()).hexdigest()
        cached = self.ctx.store.get(cache_key)
        if refresh and isinstance(cached, list):
            if self.ctx.store.get(cache_key + ":refetched"):
                return cached  # refetched moments ago: the kid is simply not there
            self.ctx.store.put(cache_key + ":refetched", True, JWKS_REFETCH_COOLDOWN)
        elif isinstance(cached, list):
            return cached
        response = call("key set", url, lambda: self.ctx.http.get(url, headers={"Accept": "application/json"}))
        body = json_of("key set", url, response)
        keys = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(keys, list):
            raise worded("the platform key set at %(url)s has no keys list", code="platform_keyset_unavailable",
                         status=502, url=url)
        self.ctx.store.put(cache_key, keys, JWKS_TTL)
        return keys


def _pem_for(keys: list[dict[str, Any]], kid: str, alg: str) -> str | None:
    for key in keys:
        if key.get("kid") == kid and key.get("kty") == "RSA" and key.get("alg", alg) == alg:
            return RSAKey.import_key(key).as_pem(private=False).decode("ascii")
    return None


class StrictMessageLaunch(MessageLaunch[FastAPIRequest, StoreToolConf, StoreSessionService, FastAPICookieService]):
    """pylti1p3's MessageLaunch, validated in a safe order with each failure mapped to an ``LtiError``."""

    def __init__(self, request: FastAPIRequest, ctx: ToolContext) -> None:
        self.ctx = ctx
        self.cookies = FastAPICookieService(request)
        super().__init__(request, StoreToolConf(ctx.config, ctx.keys()),
                         session_service=StoreSessionService(request, ctx.store), cookie_service=self.cookies,
                         launch_data_storage=StoreLaunchDataStorage(ctx.store))
        self.platform: PlatformRegistration | None = None
        self.state_record: dict[str, Any] = {}
        self.message_type = ""

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key) or ""

    def validate(self) -> StrictMessageLaunch:
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            if not isinstance(self._jwt.get("header"), dict) or not isinstance(self._jwt.get("body"), dict):
                raise refused("invalid_token", "the id_token header and payload must be JSON objects", status=400)
            v.check_header(self._jwt["header"])
            self.validate_registration()
            self.validate_jwt_signature()
            body = self._jwt["body"]
            assert self.platform is not None
            v.check_audience(body, self.platform.client_id)
            v.check_times(body, self.ctx.clock(), self.ctx.leeway)
            self.message_type = v.check_required_claims(body)
            self.validate_deployment()
            self.validate_message()
            self.validate_nonce()  # last: a forged or invalid token must not burn a real nonce
            self.save_launch_data()
        except LtiException as exc:  # whatever pylti1p3 still raises on its own
            self._validated = False
            raise worded("the launch message is not valid: %(reason)s", code="invalid_message", reason=exc) from exc
        except Exception:
            self._validated = False
            raise
        return self

    def validate_state(self) -> StrictMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise refused("state_mismatch", "the launch has no state parameter", status=400)
        record = self.ctx.store.get(STATE_PREFIX + state)
        if not isinstance(record, dict):
            raise refused("state_mismatch", "the launch state is unknown or expired; launch again from the "
                          "platform", status=400)
        self.state_record = record
        if self.cookies.get_cookie(state) == state:
            return self
        secret = self._get_request_param("lti_storage_secret")
        if record.get("storage_target") and secret:
            if hmac.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), str(record.get("secret_hash"))):
                return self
            raise refused("state_mismatch", "the state kept in the platform's client-side storage does not match",
                          status=400)
        if record.get("storage_target"):
            raise StorageCheckNeeded(state, record)
        raise refused("state_mismatch", "the state cookie is missing or does not match: the launch did not start "
                      "in this browser, or the browser blocks cookies in frames (open the tool in a new window)",
                      status=400)

    def validate_registration(self) -> StrictMessageLaunch:
        body = self._jwt.get("body", {})
        iss = body.get("iss")
        if not isinstance(iss, str) or not iss:
            raise refused("missing_claim", "the id_token has no iss claim", status=400)
        if not self.ctx.config.issuer_known(iss):
            raise refused("unknown_issuer", "the issuer %(iss)s is not a registered platform", iss=repr(iss))
        if iss != self.state_record.get("iss"):
            raise refused("invalid_issuer", "the id_token issuer %(iss)s is not the platform the login started with "
                          "(%(started)s)", iss=repr(iss), started=repr(self.state_record.get("iss")))
        auds = v.audiences(body)
        azp = body.get("azp")
        client_id = azp if isinstance(azp, str) and azp in auds else (auds[0] if auds else None)
        platform = self.ctx.config.find(iss, client_id) if client_id else None
        if platform is None:
            raise refused("invalid_audience", "the id_token audience %(auds)s names no client id registered for "
                          "%(iss)s", auds=auds, iss=repr(iss))
        self.platform = platform
        self._registration = StoreToolConf(self.ctx.config, self.ctx.keys()).find_registration_by_params(
            iss, platform.client_id)
        return self

    def get_public_key(self) -> tuple[str, str]:
        assert self.platform is not None
        kid, alg = v.check_header(self._jwt.get("header", {}))
        source = JwksSource(self.ctx)
        pem = _pem_for(source.keys(self.platform.key_set_url), kid, alg)
        if pem is None:  # the platform may have rotated its key: fetch the set once more, then refuse
            pem = _pem_for(source.keys(self.platform.key_set_url, refresh=True), kid, alg)
        if pem is None:
            raise refused("unknown_kid", "no key with kid %(kid)s and alg %(alg)s in the platform key set %(url)s",
                          kid=repr(kid), alg=alg, url=self.platform.key_set_url)
        return pem, alg

    def validate_jwt_signature(self) -> StrictMessageLaunch:
        pem, alg = self.get_public_key()
        try:
            jwt.decode(self._get_id_token(), pem, algorithms=[alg],
                       options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False})
        except jwt.InvalidSignatureError as exc:
            raise refused("invalid_signature", "the id_token signature does not verify with the platform key") \
                from exc
        except jwt.InvalidTokenError as exc:
            raise refused("invalid_token", "the id_token cannot be decoded: %(reason)s", reason=exc) from exc
        return self

    def validate_deployment(self) -> StrictMessageLaunch:
        assert self.platform is not None
        deployment_id = self._jwt["body"].get(v.DEPLOYMENT_ID)
        if deployment_id not in self.platform.deployment_ids:
            raise refused("unknown_deployment", "deployment %(deployment)s is not registered for client "
                          "%(client_id)s at %(iss)s; add it to the registration", status=403,
                          deployment=repr(deployment_id), client_id=repr(self.platform.client_id),
                          iss=repr(self.platform.issuer))
        return self

    def validate_nonce(self) -> StrictMessageLaunch:
        nonce = self._jwt["body"].get("nonce")
        if nonce != self.state_record.get("nonce"):
            raise refused("nonce_mismatch", "the id_token nonce is not the one sent with this login")
        if not isinstance(nonce, str) or not self._session_service.check_nonce(nonce):
            raise refused("replayed_nonce", "this id_token was already used (its nonce is consumed); launch "
                          "again from the platform")
        return self


class StorageCheckNeeded(Exception):
    """No state cookie, but the login put the state in the platform's client-side storage: fetch it first."""

    def __init__(self, state: str, record: Mapping[str, Any]) -> None:
        super().__init__("client-side storage check needed")
        self.state = state
        self.record = dict(record)


@dataclass(frozen=True)
class LoginOutcome:
    redirect_url: str
    cookies: list[Cookie]
    state: str
    storage_target: str | None = None
    storage_secret: str | None = None
    platform_origin: str | None = None


@dataclass(frozen=True)
class Launch:
    launch_id: str
    message_type: str
    claims: dict[str, Any]
    platform: PlatformRegistration
    extra: dict[str, Any] = field(default_factory=dict)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


LOGIN_PARAMS = ("iss", "login_hint", "lti_message_hint", "target_link_uri", "client_id", "lti_deployment_id")
RELAY_PREFIX = "lti-relay:"
RECOVERY_PREFIX = "lti-recovery:"  # the hash of the one key a frame without cookies got for its state
RELAY_TTL = 900  # seconds the frame waits for the launch finished in a top-level window


def start_login(data: RequestData, ctx: ToolContext, launch_url: str, opener: str | None = None) -> LoginOutcome:
    """Third-party initiated login → the platform's auth URL, with a state cookie and a stored one-time nonce.

    ``opener`` is the state of a login whose frame could keep no cookie: this login runs again in a top-level
    window, and its launch is handed back to that frame.
    """
    for name in ("iss", "login_hint"):
        if not data.params.get(name):
            raise worded("the login request has no %(name)s parameter; start the launch from the platform",
                         code="missing_parameter", name=name)
    iss, client_id = data.params["iss"], data.params.get("client_id")
    platform = ctx.config.find(iss, client_id)
    if platform is None:
        if not ctx.config.issuer_known(iss):
            raise worded("no platform registered for issuer %(iss)s; register it first (admin page, `leads lti "
                         "add-platform` or dynamic registration)", code="unknown_platform", iss=repr(iss))
        if client_id:
            raise worded("no platform registered for issuer %(iss)s with client id %(client_id)s; register that "
                         "client id too", code="unknown_platform", iss=repr(iss), client_id=repr(client_id))
        raise worded("no platform registered for issuer %(iss)s with a single client id: the platform must send "
                     "client_id", code="unknown_platform", iss=repr(iss))
    deployment = data.params.get("lti_deployment_id")
    if deployment and deployment not in platform.deployment_ids:
        raise worded("deployment %(deployment)s is not registered for client %(client_id)s",
                     code="unknown_deployment", status=403, deployment=repr(deployment),
                     client_id=repr(platform.client_id))
    request = FastAPIRequest(data)
    cookies = FastAPICookieService(request)
    login = FastAPIOIDCLogin(request, StoreToolConf(ctx.config, ctx.keys()),
                             session_service=StoreSessionService(request, ctx.store), cookie_service=cookies,
                             launch_data_storage=StoreLaunchDataStorage(ctx.store))
    try:
        url = login.get_redirect_object(launch_url).get_redirect_url()
    except (OIDCException, LtiException) as exc:
        raise worded("the login request is not valid: %(reason)s", code="invalid_login", reason=exc) from exc
    query = parse_qs(urlsplit(url).query)
    state, nonce = query["state"][0], query["nonce"][0]
    target = data.params.get("lti_storage_target") or None
    secret = secrets.token_urlsafe(32) if target else None
    ctx.store.put(STATE_PREFIX + state, {
        "iss": platform.issuer, "client_id": platform.client_id, "nonce": nonce, "storage_target": target,
        "secret_hash": hashlib.sha256(secret.encode()).hexdigest() if secret else None,
        "origin": _origin(platform.auth_login_url), "redirect": url, "opener": opener,
        "params": {k: data.params[k] for k in LOGIN_PARAMS if data.params.get(k)},
    }, max(STATE_COOKIE_TTL, NONCE_TTL))
    return LoginOutcome(url, cookies.to_set, state, target, secret, _origin(platform.auth_login_url))


def state_cookie_name(state: str) -> str:
    return FastAPICookieService(FastAPIRequest(RequestData("GET", {}, {})))._get_key(state)


def login_record(ctx: ToolContext, state: str) -> dict[str, Any]:
    record = ctx.store.get(STATE_PREFIX + state) if state else None
    if not isinstance(record, dict):
        raise refused("state_mismatch", "the launch state is unknown or expired; launch again from the platform",
                      status=400)
    return record


def has_state_cookie(data: RequestData, state: str) -> bool:
    return bool(state) and data.cookies.get(state_cookie_name(state)) == state


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def recovery_key(ctx: ToolContext, state: str) -> str:
    """The secret of the frame that found no state cookie, issued once per state: only that frame may bind the
    cookie, open the top-level window or collect the relay. Another request for the state (anyone who saw it) is
    refused rather than given a key of its own."""
    record = login_record(ctx, state)
    if record.get("opener"):
        raise refused("state_mismatch", "this browser keeps no cookie for LEADS even in a window of its own; "
                      "allow cookies for LEADS and launch again", status=400)
    key = secrets.token_urlsafe(24)
    if not ctx.store.put_new(RECOVERY_PREFIX + state, _digest(key), max(STATE_COOKIE_TTL, NONCE_TTL)):
        raise refused("state_mismatch", "this page may not continue that launch; launch again from the platform",
                      status=403)
    return key


def _check_key(ctx: ToolContext, state: str, key: str) -> None:
    known = ctx.store.get(RECOVERY_PREFIX + state)
    if not key or not isinstance(known, str) or not hmac.compare_digest(_digest(key), known):
        raise refused("state_mismatch", "this page may not continue that launch; launch again from the platform",
                      status=403)


def bind_cookie(ctx: ToolContext, state: str, key: str) -> Cookie:
    """After the Storage Access API granted cookies to the frame: the state cookie, unpartitioned this time."""
    login_record(ctx, state)
    _check_key(ctx, state, key)
    return Cookie(state_cookie_name(state), state, STATE_COOKIE_TTL, partitioned=False)


def window_login(ctx: ToolContext, state: str, key: str, launch_url: str, secure: bool) -> LoginOutcome:
    """The same login again, in a top-level window where the state cookie is first-party; opened by the frame
    with its key, so nobody else can start the login whose launch that frame collects."""
    record = login_record(ctx, state)
    params = record.get("params")
    if not isinstance(params, dict) or record.get("opener"):
        raise refused("state_mismatch", "this launch cannot continue in a new window; launch again from the "
                      "platform", status=400)
    _check_key(ctx, state, key)
    return start_login(RequestData("GET", {str(k): str(v) for k, v in params.items()}, {}, secure), ctx, launch_url,
                       opener=state)


def relay_take(ctx: ToolContext, state: str, key: str) -> str | None:
    """The launch id a top-level window finished for this frame's login, once (``None`` while it is pending)."""
    login_record(ctx, state)
    _check_key(ctx, state, key)
    launch_id = ctx.store.get(RELAY_PREFIX + state)
    if not isinstance(launch_id, str):
        return None
    ctx.store.put(RELAY_PREFIX + state, {"taken": True}, RELAY_TTL)
    return launch_id


def complete_launch(data: RequestData, ctx: ToolContext) -> Launch:
    """Validate the id_token form post; raises ``LtiError`` (refused) or ``StorageCheckNeeded``.

    A launch finished in a top-level window for a frame without cookies is put where that frame collects it
    (``extra["opener"]``); ``extra["state"]`` names the state cookie to clear.
    """
    if not data.params.get("id_token"):
        raise LtiError("the launch has no id_token; it must be the platform's form post after login",
                       code="missing_parameter", status=400)
    launch = StrictMessageLaunch(FastAPIRequest(data), ctx).validate()
    assert launch.platform is not None
    launch_id = launch.get_launch_id()
    extra: dict[str, Any] = {"state": data.params.get("state", "")}
    opener = launch.state_record.get("opener")
    if isinstance(opener, str) and opener:
        ctx.store.put(RELAY_PREFIX + opener, launch_id, RELAY_TTL)
        extra["opener"] = opener
    return Launch(launch_id, launch.message_type, dict(launch.get_launch_data()), launch.platform, extra)


def resume_launch(ctx: ToolContext, launch_id: str) -> Launch:
    """An earlier validated launch, rendered again (the frame collecting what a top-level window finished)."""
    claims = load_launch(ctx, launch_id)
    auds = v.audiences(claims)
    azp = claims.get("azp")
    client = azp if isinstance(azp, str) else (auds[0] if auds else None)
    platform = ctx.config.find(str(claims.get("iss")), client)
    if platform is None:
        raise LtiError("the platform of this launch is no longer registered", code="unknown_platform", status=404)
    return Launch(launch_id, str(claims.get(v.MESSAGE_TYPE)), claims, platform)


def load_launch(ctx: ToolContext, launch_id: str) -> dict[str, Any]:
    """The claims of an earlier, validated launch (pages after the launch carry its id, not a cookie)."""
    if not launch_id.startswith("lti1p3-launch-"):
        raise LtiError("not a launch id", code="unknown_launch", status=404)
    claims = ctx.store.get(launch_id)  # pylti1p3 stores the validated body under the launch id
    if not isinstance(claims, dict):
        raise LtiError("this launch is unknown or has expired; launch the tool again from the platform",
                       code="unknown_launch", status=404)
    return claims


def answer_deep_link_once(ctx: ToolContext, launch_id: str) -> None:
    """A deep-linking request is answered once, as the platform's dialog expects: a second answer (a double click,
    the back button, a replayed form) would add the same activities to the course again. Atomic across processes."""
    if not ctx.store.put_new(f"{launch_id}-answered", True, LAUNCH_DATA_TTL):
        raise LtiError("this request to add LEADS content was already answered, and the platform has its items; to "
                       "add more, start adding an activity from the course again", code="deep_link_answered",
                       status=409)
