"""Every refusal of a launch (decision 006), each with its own code and a 4xx: JSON for programs, HTML for people.

The tokens are made here (the platform library only makes good ones) and signed with the key of the
lti1p3platform platform served on loopback, whose JWKS LEADS fetches over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.ltitool.frames import translated
from bridge.ltitool.store import SqlToolConfigStore
from bridge.settings import Settings
from lti import validation as v
from lti.config import PlatformRegistration
from lti.errors import LtiError
from tests.lti.platform import LEARNER, PlatformState, make_platform, new_state, rsa_pems
from tests.lti.serving import serve

TOOL = "http://testserver"


@pytest.fixture(scope="module")
def platform() -> Iterator[PlatformState]:
    state = new_state()

    def app(base: str) -> object:
        state.base = base
        return make_platform(state)

    with serve(app):
        state.tool_base = TOOL
        yield state


@dataclass
class Tool:
    client: TestClient
    platform: PlatformState

    def login(self, **extra: str) -> tuple[str, str, str]:
        """(state, nonce, cookie header) from a real OIDC login initiation."""
        params = {"iss": self.platform.issuer, "login_hint": "u1", "client_id": self.platform.client_id,
                  "target_link_uri": f"{TOOL}/lti/launch", "lti_message_hint": "m1", **extra}
        r = self.client.get("/lti/login", params=params, follow_redirects=False)
        assert r.status_code == 302, r.text
        cookie = "; ".join(c.split(";", 1)[0] for c in r.headers.get_list("set-cookie"))
        check = self.client.get(r.headers["location"], headers={"Cookie": cookie}, follow_redirects=False)
        assert check.status_code == 302, check.text  # the state cookie came back: on to the platform
        query = parse_qs(urlsplit(check.headers["location"]).query)
        return query["state"][0], query["nonce"][0], cookie

    def claims(self, nonce: str, /, **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.platform.issuer, "aud": self.platform.client_id, "sub": "u1", "exp": now + 300, "iat": now,
            "nonce": nonce, v.MESSAGE_TYPE: v.RESOURCE_LINK_REQUEST, v.VERSION: "1.3.0",
            v.DEPLOYMENT_ID: self.platform.deployment_id, v.TARGET_LINK_URI: f"{TOOL}/lti/launch",
            v.RESOURCE_LINK: {"id": "rl-1"}, v.ROLES: [LEARNER]}
        for key, value in changes.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def sign(self, body: dict[str, Any], key: str | None = None, kid: str | None = None) -> str:
        return jwt.encode(body, _private(key or self.platform.private_pem), algorithm="RS256",
                          headers={"kid": kid or self.platform.kid()})

    def launch(self, token: str, state: str, cookie: str, accept: str = "application/json") -> Any:
        return self.client.post("/lti/launch", data={"id_token": token, "state": state},
                                headers={"Cookie": cookie, "Accept": accept})

    def refused(self, token: str, state: str, cookie: str) -> tuple[int, str]:
        r = self.launch(token, state, cookie)
        return r.status_code, r.json().get("error", r.text)


@pytest.fixture
def tool(db: Database, tmp_path: Path, platform: PlatformState) -> Iterator[Tool]:
    SqlToolConfigStore(db).save(PlatformRegistration(
        issuer=platform.issuer, client_id=platform.client_id, auth_login_url=f"{platform.base}/authorize",
        auth_token_url=f"{platform.base}/token", key_set_url=f"{platform.base}/jwks",
        deployment_ids=(platform.deployment_id,)))
    SqlToolConfigStore(db).save(PlatformRegistration(
        issuer="https://other.example", client_id="other-client", auth_login_url="https://other.example/auth",
        auth_token_url="https://other.example/token", key_set_url=f"{platform.base}/jwks", deployment_ids=("1",)))
    app = create_app(Settings(data_dir=tmp_path / "var", base_url=TOOL, load_sample=False), db)
    with TestClient(app) as client:
        yield Tool(client, platform)
    app.state.lti.close()


@lru_cache(maxsize=8)
def _private(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_good_token_is_accepted(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    r = tool.launch(tool.sign(tool.claims(nonce)), state, cookie)
    assert r.status_code == 200, r.text


def test_bad_signature(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    forged = tool.sign(tool.claims(nonce), key=rsa_pems()[0])  # another key, the platform's kid
    assert tool.refused(forged, state, cookie) == (401, "invalid_signature")
    good = tool.sign(tool.claims(nonce))
    tampered = ".".join([good.split(".")[0], _b64(json.dumps(tool.claims(nonce, sub="admin")).encode()),
                         good.split(".")[2]])
    assert tool.refused(tampered, state, cookie) == (401, "invalid_signature")
    assert tool.launch(good, state, cookie).status_code == 200  # the refusals did not burn the nonce


def test_unknown_kid_refetches_the_key_set_once_then_refuses(tool: Tool, platform: PlatformState) -> None:
    state, nonce, cookie = tool.login()
    assert tool.launch(tool.sign(tool.claims(nonce)), state, cookie).status_code == 200  # key set now cached
    before = platform.jwks_requests
    state, nonce, cookie = tool.login()
    assert tool.refused(tool.sign(tool.claims(nonce), kid="no-such-kid"), state, cookie) == (401, "unknown_kid")
    assert platform.jwks_requests == before + 1
    assert tool.refused(tool.sign(tool.claims(nonce), kid="other-kid"), state, cookie) == (401, "unknown_kid")
    assert platform.jwks_requests == before + 1  # a burst of unknown kids costs the platform one fetch


def test_a_rotated_platform_key_is_found_by_one_refetch(tool: Tool, platform: PlatformState) -> None:
    state, nonce, cookie = tool.login()
    assert tool.launch(tool.sign(tool.claims(nonce)), state, cookie).status_code == 200
    platform.rotate_key()
    before = platform.jwks_requests
    state, nonce, cookie = tool.login()
    assert tool.launch(tool.sign(tool.claims(nonce)), state, cookie).status_code == 200
    assert platform.jwks_requests == before + 1


def test_a_token_that_is_not_a_jwt_object(tool: Tool) -> None:
    state, _, cookie = tool.login()
    assert tool.refused("not-a-jwt", state, cookie) == (400, "invalid_message")
    array = f"{_b64(b'[]')}.{_b64(b'[]')}.{_b64(b'sig')}"
    assert tool.refused(array, state, cookie) == (400, "invalid_token")


def test_alg_none_is_refused(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    header = _b64(json.dumps({"alg": "none", "kid": tool.platform.kid(), "typ": "JWT"}).encode())
    token = f"{header}.{_b64(json.dumps(tool.claims(nonce)).encode())}."
    assert tool.refused(token, state, cookie) == (401, "unsupported_algorithm")


def test_hs256_key_confusion_is_refused(tool: Tool) -> None:
    """HMAC keyed with the platform's public key (which anyone can fetch) must not pass as a signature."""
    state, nonce, cookie = tool.login()
    signing_input = (_b64(json.dumps({"alg": "HS256", "kid": tool.platform.kid()}).encode()) + "." +
                     _b64(json.dumps(tool.claims(nonce)).encode()))
    mac = hmac.new(tool.platform.public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert tool.refused(f"{signing_input}.{_b64(mac)}", state, cookie) == (401, "unsupported_algorithm")


def test_wrong_issuer(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    assert tool.refused(tool.sign(tool.claims(nonce, iss="https://evil.example")), state, cookie) == \
        (401, "unknown_issuer")
    other = tool.claims(nonce, iss="https://other.example", aud="other-client",
                        **{v.DEPLOYMENT_ID: "1"})
    assert tool.refused(tool.sign(other), state, cookie) == (401, "invalid_issuer")


def test_wrong_audience_and_azp(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    assert tool.refused(tool.sign(tool.claims(nonce, aud="someone-else")), state, cookie) == \
        (401, "invalid_audience")
    two = [tool.platform.client_id, "another-tool"]
    assert tool.refused(tool.sign(tool.claims(nonce, aud=two)), state, cookie) == (401, "invalid_azp")
    assert tool.refused(tool.sign(tool.claims(nonce, azp="another-tool")), state, cookie) == (401, "invalid_azp")
    ok = tool.claims(nonce, aud=two, azp=tool.platform.client_id)
    assert tool.launch(tool.sign(ok), state, cookie).status_code == 200


def test_unknown_deployment(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    bad = tool.claims(nonce, **{v.DEPLOYMENT_ID: "deployment-9"})
    assert tool.refused(tool.sign(bad), state, cookie) == (403, "unknown_deployment")
    params = {"iss": tool.platform.issuer, "login_hint": "u1", "client_id": tool.platform.client_id,
              "lti_deployment_id": "deployment-9"}
    r = tool.client.get("/lti/login", params=params, headers={"Accept": "application/json"})
    assert (r.status_code, r.json()["error"]) == (403, "unknown_deployment")


def test_expired_and_future_tokens(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    now = int(time.time())
    assert tool.refused(tool.sign(tool.claims(nonce, exp=now - 600, iat=now - 900)), state, cookie) == \
        (401, "token_expired")
    assert tool.refused(tool.sign(tool.claims(nonce, iat=now + 600, exp=now + 900)), state, cookie) == \
        (401, "token_not_yet_valid")
    assert tool.refused(tool.sign(tool.claims(nonce, iat=now - 7200, exp=now + 300)), state, cookie) == \
        (401, "token_expired")


@pytest.mark.parametrize("missing", ["nonce", "exp", v.MESSAGE_TYPE, v.VERSION, v.DEPLOYMENT_ID, v.RESOURCE_LINK,
                                     v.ROLES, v.TARGET_LINK_URI])
def test_missing_required_claims(tool: Tool, missing: str) -> None:
    state, nonce, cookie = tool.login()
    assert tool.refused(tool.sign(tool.claims(nonce, **{missing: None})), state, cookie) == (400, "missing_claim")


def test_replayed_nonce(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    token = tool.sign(tool.claims(nonce))
    assert tool.launch(token, state, cookie).status_code == 200
    assert tool.refused(token, state, cookie) == (401, "replayed_nonce")
    state2, _, cookie2 = tool.login()  # the old token under a fresh login: its nonce is not this login's
    assert tool.refused(token, state2, cookie2) == (401, "nonce_mismatch")


def test_state_mismatch(tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    token = tool.sign(tool.claims(nonce))
    assert tool.refused(token, state, "") == (400, "state_mismatch")
    assert tool.refused(token, state, f"lti1p3-{state}=state-other") == (400, "state_mismatch")
    assert tool.refused(token, "state-unknown", "lti1p3-state-unknown=state-unknown") == (400, "state_mismatch")
    assert tool.launch(token, state, cookie).status_code == 200


def test_login_refusals(tool: Tool) -> None:
    json_accept = {"Accept": "application/json"}
    r = tool.client.get("/lti/login", params={"login_hint": "u1"}, headers=json_accept)
    assert (r.status_code, r.json()["error"]) == (400, "missing_parameter")
    r = tool.client.post("/lti/login", data={"iss": "https://evil.example", "login_hint": "u1"}, headers=json_accept)
    assert (r.status_code, r.json()["error"]) == (400, "unknown_platform")


def test_people_get_an_html_page_and_logs_carry_no_token(tool: Tool, caplog: pytest.LogCaptureFixture) -> None:
    state, nonce, cookie = tool.login()
    token = tool.sign(tool.claims(nonce, aud="someone-else"))
    with caplog.at_level(logging.INFO):
        r = tool.launch(token, state, cookie, accept="text/html,application/xhtml+xml")
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/html")
    assert "does not contain this tool" in r.text or "names no client id" in r.text
    assert "invalid_audience" in caplog.text
    for secret in (token, token.split(".")[2], nonce):
        assert secret not in caplog.text


def test_client_side_storage_when_offered(tool: Tool) -> None:
    params = {"iss": tool.platform.issuer, "login_hint": "u1", "client_id": tool.platform.client_id,
              "target_link_uri": f"{TOOL}/lti/launch", "lti_storage_target": "_parent"}
    r = tool.client.get("/lti/login", params=params)
    assert r.status_code == 200 and "/static/lti/storage-put.js" in r.text
    assert "lti.put_data" in tool.client.get("/static/lti/storage-put.js").text
    assert "<script>" not in r.text  # no inline script: a Content-Security-Policy without 'unsafe-inline' holds
    data = json.loads(r.text.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert data["target"] == "_parent" and data["origin"] == tool.platform.base
    query = parse_qs(urlsplit(data["redirect"]).query)
    state, nonce = query["state"][0], query["nonce"][0]
    token = tool.sign(tool.claims(nonce))
    page = tool.client.post("/lti/launch", data={"id_token": token, "state": state})  # iframe: no cookie
    assert page.status_code == 200 and "/static/lti/storage-get.js" in page.text and "Opening LEADS" in page.text
    wrong = tool.client.post("/lti/launch", data={"id_token": token, "state": state, "lti_storage_secret": "x"},
                             headers={"Accept": "application/json"})
    assert (wrong.status_code, wrong.json()["error"]) == (400, "state_mismatch")
    ok = tool.client.post("/lti/launch", data={"id_token": token, "state": state,
                                               "lti_storage_secret": data["secret"]})
    assert ok.status_code == 200, ok.text


def test_a_launch_started_by_one_process_finishes_in_another(tool: Tool, db: Database, tmp_path: Path) -> None:
    """Login on one app instance, launch on another sharing the database (as two workers would)."""
    state, nonce, cookie = tool.login()
    other = create_app(Settings(data_dir=tmp_path / "var", base_url=TOOL, load_sample=False), db)
    try:
        with TestClient(other) as client:
            r = client.post("/lti/launch", data={"id_token": tool.sign(tool.claims(nonce)), "state": state},
                            headers={"Cookie": cookie, "Accept": "application/json"})
            assert r.status_code == 200, r.text
            again = tool.launch(tool.sign(tool.claims(nonce)), state, cookie)  # and the nonce is gone for all
            assert (again.status_code, again.json()["error"]) == (401, "replayed_nonce")
    finally:
        other.state.lti.close()


def test_the_state_cookie_is_cleared_after_a_successful_launch_and_a_frame_without_it_is_offered_recovery(
        tool: Tool) -> None:
    state, nonce, cookie = tool.login()
    ok = tool.launch(tool.sign(tool.claims(nonce)), state, cookie)
    assert ok.status_code == 200, ok.text
    cleared = [c for c in ok.headers.get_list("set-cookie") if c.startswith(f"lti1p3-{state}=;")]
    assert len(cleared) == 2 and all("Max-Age=0" in c for c in cleared)  # the partitioned one and the other
    assert sum("Partitioned" in c for c in cleared) == 1
    # a login whose cookie did not come back: the check page offers recovery, and only its key collects the relay
    params = {"iss": tool.platform.issuer, "login_hint": "u1", "client_id": tool.platform.client_id,
              "target_link_uri": f"{TOOL}/lti/launch", "lti_message_hint": "m2"}
    login = tool.client.get("/lti/login", params=params, follow_redirects=False)
    other = parse_qs(urlsplit(login.headers["location"]).query)["state"][0]
    page = tool.client.get(login.headers["location"], follow_redirects=False)  # no cookie sent
    assert page.status_code == 200 and "/static/lti/recover.js" in page.text
    data = json.loads(page.text.split('type="application/json">', 1)[1].split("</script>", 1)[0])
    assert data["state"] == other and data["window"].startswith(f"{TOOL}/lti/login/window?")
    assert parse_qs(urlsplit(data["window"]).query) == {"state": [other], "key": [data["key"]]}  # the frame's key
    pending = tool.client.post("/lti/login/relay", data={"state": other, "key": data["key"]})
    assert pending.json() == {"pending": True}
    wrong = tool.client.post("/lti/login/relay", data={"state": other, "key": "guess"},
                             headers={"Accept": "application/json"})
    assert (wrong.status_code, wrong.json()["error"]) == (403, "state_mismatch")
    window = tool.client.get(data["window"], follow_redirects=False)  # the same login again, top-level
    assert window.status_code == 302 and "/lti/login/check?state=" in window.headers["location"]
    second = parse_qs(urlsplit(window.headers["location"]).query)["state"][0]
    again = tool.client.get("/lti/login/window", params={"state": second, "key": data["key"]},
                            headers={"Accept": "application/json"},
                            follow_redirects=False)
    assert (again.status_code, again.json()["error"]) == (400, "state_mismatch")  # a window does not open another


@pytest.mark.parametrize("context", ["course-1", ["course-1"], {"id": {"x": 1}}, {"title": "GLAM uploads 101"}])
def test_a_context_claim_that_is_no_object_with_an_id_is_refused(tool: Tool, context: Any) -> None:
    """LTI Core §5.4.1: the context is an object with a string id; any other shape was a 500 on the page."""
    for accept in ("application/json", "text/html"):
        state, nonce, cookie = tool.login()
        r = tool.launch(tool.sign(tool.claims(nonce, **{v.CONTEXT: context})), state, cookie, accept)
        assert r.status_code == 400, r.text
        if accept == "text/html":
            assert "context claim must be an object with a string id" in r.text
        else:
            assert r.json()["error"] == "invalid_claim"


def test_a_grade_service_scope_list_holding_objects_is_no_grant(tool: Tool, db: Database) -> None:
    """An AGS claim whose scope list holds objects (or is one string) grants what its strings name; it was a 500
    on the claim page."""
    dataspace_service.load_sample_if_empty(db)
    lineitems = f"{tool.platform.base}/ags/course-101/lineitems"
    for scope in ([{"x": 1}], [{"x": 1}, "https://purl.imsglobal.org/spec/lti-ags/scope/score"], "x y"):
        state, nonce, cookie = tool.login()
        claims = tool.claims(nonce, **{v.AGS_ENDPOINT: {"scope": scope, "lineitems": lineitems},
                                       v.CLAIM + "custom": {"leads_design": "glam-mc-rights", "leads_action": "claim"},
                                       v.CONTEXT: {"id": "c1", "title": "T"}})
        launch_id = tool.launch(tool.sign(claims), state, cookie).json()["launch_id"]
        r = tool.client.get(f"/awards/claim/{launch_id}", headers={"Accept": "application/json"})
        assert (r.status_code, r.json()["error"]) == (403, "scope_not_granted"), r.text


NOW = int(time.time())
SPANISH_REFUSALS = {  # what each refusal of lti.validation says on a Spanish page, its values filled in
    "expired": ({"exp": NOW - 600, "iat": NOW - 900}, "el id_token caducó hace"),
    "too old": ({"iat": NOW - 7200, "exp": NOW + 3000}, "(más de 3600 s)"),
    "future": ({"iat": NOW + 600, "exp": NOW + 900}, "s en el futuro; compruebe el reloj de la plataforma"),
    "no exp": ({"exp": None}, "el id_token debe llevar las declaraciones numéricas exp e iat"),
    "no roles": ({v.ROLES: None}, "al id_token le faltan declaraciones obligatorias: " + v.ROLES),
    "version": ({v.VERSION: "1.1"}, "la versión de LTI '1.1' no se admite"),
    "message type": ({v.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}, "no gestiona el tipo de mensaje 'LtiSub"),
    "azp": ({"azp": "another-tool"}, "el azp del id_token 'another-tool' no es el identificador de cliente"),
    "context": ({v.CONTEXT: "course-1"}, "la declaración context del id_token debe ser un objeto"),
}


@pytest.mark.parametrize("case", [*SPANISH_REFUSALS, "alg none", "no kid"])
def test_a_refused_launch_says_why_in_the_readers_language(tool: Tool, case: str) -> None:
    state, nonce, cookie = tool.login()
    if case == "alg none":
        header = _b64(json.dumps({"alg": "none", "kid": tool.platform.kid(), "typ": "JWT"}).encode())
        token, said = f"{header}.{_b64(json.dumps(tool.claims(nonce)).encode())}.", "LTI 1.3 exige una firma RSA"
    elif case == "no kid":
        token = jwt.encode(tool.claims(nonce), _private(tool.platform.private_pem), algorithm="RS256")
        said = "la cabecera del id_token no tiene kid"
    else:
        changes, said = SPANISH_REFUSALS[case]
        token = tool.sign(tool.claims(nonce, **changes))
    r = tool.client.post("/lti/launch", data={"id_token": token, "state": state},
                         headers={"Cookie": cookie, "Accept": "text/html", "Accept-Language": "es"})
    assert 400 <= r.status_code < 500 and said in html.unescape(r.text), r.text[-3000:]
    assert "the id_token" not in r.text and "is not supported" not in r.text


def test_the_audience_refusal_of_validation_is_translated_too() -> None:
    """Reached only when a platform's registration and its token disagree, so checked on the error itself."""
    with pytest.raises(LtiError) as caught:
        v.check_audience({"aud": ["a", "b"], "iss": "https://lms.example"}, "leads")
    assert translated(caught.value, "es") == ("la audiencia del id_token ['a', 'b'] no contiene el identificador de "
                                              "cliente de esta herramienta 'leads' en 'https://lms.example'")
