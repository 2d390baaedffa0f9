"""LTI Dynamic Registration against the platform on loopback, then a launch with the client id it gave."""

from __future__ import annotations

from bridge.ltitool.store import SqlToolConfigStore
from bridge.ltitool.tool import registration_key
from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import INSTRUCTOR, PendingLaunch


def test_dynamic_registration_then_launch(peers: Peers) -> None:
    p = peers.platform
    key = registration_key(peers.tool.settings)
    r = peers.http.get(f"{peers.tool_base}/lti/register", params={
        "openid_configuration": f"{p.base}/.well-known/openid-configuration",
        "registration_token": p.registration_token, "key": key})
    assert r.status_code == 200, r.text
    assert "/static/lti/registered.js" in r.text and p.client_id in r.text
    assert "org.imsglobal.lti.close" in peers.http.get(f"{peers.tool_base}/static/lti/registered.js").text
    sent = p.registrations[-1]
    assert sent["jwks_uri"] == f"{peers.tool_base}/lti/jwks"
    assert sent["initiate_login_uri"] == f"{peers.tool_base}/lti/login"
    registered = SqlToolConfigStore(peers.db).find(p.issuer, p.client_id)
    assert registered is not None and registered.deployment_ids == ("dyn-deployment-1",)
    assert registered.auth_token_url == f"{p.base}/token" and registered.name == "lti1p3platform"

    launched, _ = peers.launch(PendingLaunch("resource", "teacher-1", [INSTRUCTOR]), accept="application/json")
    assert launched.status_code == 200, launched.text  # the new client id and deployment are accepted


def test_dynamic_registration_refusals(peers: Peers) -> None:
    p = peers.platform
    url = f"{peers.tool_base}/lti/register"
    conf = f"{p.base}/.well-known/openid-configuration"
    accept = {"Accept": "application/json"}
    r = peers.http.get(url, params={"openid_configuration": conf, "key": "wrong"}, headers=accept)
    assert (r.status_code, r.json()["error"]) == (403, "registration_forbidden")
    key = registration_key(peers.tool.settings)
    r = peers.http.get(url, params={"openid_configuration": conf, "registration_token": "bad", "key": key},
                       headers=accept)
    assert (r.status_code, r.json()["error"]) == (502, "platform_service_error")
    assert "HTTP 401" in r.json()["message"]
    r = peers.http.get(url, params={"openid_configuration": "ftp://x", "key": key}, headers=accept)
    assert (r.status_code, r.json()["error"]) == (400, "registration_failed")


def test_malformed_registration_input_is_refused_in_words(peers: Peers) -> None:
    """A configuration URL that is no URL is the caller's mistake (400); a platform giving an address that is no URL
    or configuration members that are no objects is the platform's (502); neither is a 500."""
    p = peers.platform
    url, key = f"{peers.tool_base}/lti/register", registration_key(peers.tool.settings)

    def register(conf: str) -> tuple[int, str]:
        r = peers.http.get(url, params={"openid_configuration": conf, "key": key,
                                        "registration_token": p.registration_token},
                           headers={"Accept": "application/json"})
        return r.status_code, r.json().get("error", "") if r.is_error else ""

    assert register("http://[::1") == (400, "registration_failed")
    assert register("http://") == (400, "registration_failed")
    own = {"issuer": p.base, "authorization_endpoint": f"{p.base}/authorize", "token_endpoint": f"{p.base}/token",
           "jwks_uri": f"{p.base}/jwks", "registration_endpoint": f"{p.base}/register"}
    p.extra_pages["/bad-endpoint"] = {**own, "registration_endpoint": "http://[::1"}
    assert register(f"{p.base}/bad-endpoint") == (502, "platform_service_error")
    p.extra_pages["/bad-issuer"] = {**own, "issuer": "http://[::1"}
    assert register(f"{p.base}/bad-issuer") == (400, "registration_failed")  # not on the host it came from
    p.registration_answer = {"https://purl.imsglobal.org/spec/lti-tool-configuration": "oops"}
    assert register(f"{p.base}/.well-known/openid-configuration") == (502, "registration_failed")
    p.registration_answer = {}
    p.extra_pages["/odd-product"] = {**own, "authorization_server": ["x"],
                                     "https://purl.imsglobal.org/spec/lti-platform-configuration": ["x"]}
    assert register(f"{p.base}/odd-product") == (200, "")  # optional members of another shape are left out
    registered = SqlToolConfigStore(peers.db).find(p.issuer, p.client_id)
    assert registered is not None and registered.auth_audience is None
