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
    assert "/lti/js/close.js" in r.text and p.client_id in r.text  # the script is a file: no inline script
    assert "org.imsglobal.lti.close" in peers.http.get(f"{peers.tool_base}/lti/js/close.js").text
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
    assert (r.status_code, r.json()["error"]) == (502, "registration_failed")
    assert "HTTP 401" in r.json()["message"]
    r = peers.http.get(url, params={"openid_configuration": "ftp://x", "key": key}, headers=accept)
    assert (r.status_code, r.json()["error"]) == (400, "registration_failed")
