"""Every registration of one issuer shares its trust anchor (key set, sign-in and token endpoints): a learner is
issuer + ``sub`` whatever the client id, so a second client trusting another key set could sign in as anyone at
that platform. Dynamic registration refuses it; a registration by hand is stored with a warning."""

from __future__ import annotations

import logging

import pytest
from fastapi.responses import PlainTextResponse

from bridge.db import Database
from bridge.ltitool.store import SqlToolConfigStore
from bridge.ltitool.tool import registration_key
from lti.config import PlatformRegistration, trust_conflicts
from tests.bridge.ltitool.conftest import Peers


def _register(peers: Peers, path: str, accept: str = "application/json") -> tuple[int, str, dict[str, str]]:
    r = peers.http.get(f"{peers.tool_base}/lti/register", headers={"Accept": accept}, params={
        "openid_configuration": f"{peers.platform.base}{path}", "key": registration_key(peers.tool.settings),
        "registration_token": peers.platform.registration_token})
    return r.status_code, r.text, (r.json() if accept == "application/json" and r.is_error else {})


def test_a_second_registration_of_an_issuer_with_its_own_key_set_is_refused(peers: Peers) -> None:
    p = peers.platform
    before = SqlToolConfigStore(peers.db).list()
    asked = len(p.registrations)
    p.extra_pages["/tenant2/openid-configuration"] = {
        "issuer": p.base, "authorization_endpoint": f"{p.base}/authorize", "token_endpoint": f"{p.base}/token",
        "jwks_uri": "https://elsewhere.example/jwks", "registration_endpoint": f"{p.base}/register"}
    status, _, body = _register(peers, "/tenant2/openid-configuration")
    assert (status, body["error"]) == (409, "registration_conflict")
    assert "https://elsewhere.example/jwks" in body["message"] and f"{p.base}/jwks" in body["message"]
    assert SqlToolConfigStore(peers.db).list() == before and len(p.registrations) == asked  # platform not asked
    # the administrator registering sees it in the platform's registration window
    status, page, _ = _register(peers, "/tenant2/openid-configuration", accept="text/html")
    assert status == 409 and "an administrator of LEADS must add it by hand" in page

    p.extra_pages["/tenant3/openid-configuration"] = {  # same key set, another sign-in endpoint: refused too
        **p.extra_pages["/tenant2/openid-configuration"], "jwks_uri": f"{p.base}/jwks",
        "authorization_endpoint": "https://elsewhere.example/auth"}
    status, _, body = _register(peers, "/tenant3/openid-configuration")
    assert (status, body["error"]) == (409, "registration_conflict")
    assert "https://elsewhere.example/auth" in body["message"]

    status, _, _ = _register(peers, "/.well-known/openid-configuration")  # the same trust: another client is fine
    assert status == 200 and len(SqlToolConfigStore(peers.db).list()) == len(before) + 1


def test_a_dynamic_registration_answering_an_existing_client_id_is_refused(peers: Peers) -> None:
    """A registration endpoint (anyone's, named by a JSON file on the platform's host) that answers the client id of
    a registration LEADS holds could otherwise rewrite it: its token audience, its name, a deployment of its own."""
    p = peers.platform
    before = SqlToolConfigStore(peers.db).list()
    p.registration_client_id = p.client_id
    p.extra_pages["/tenant2/openid-configuration"] = {
        "issuer": p.base, "authorization_endpoint": f"{p.base}/authorize", "token_endpoint": f"{p.base}/token",
        "jwks_uri": f"{p.base}/jwks", "registration_endpoint": f"{p.base}/register",
        "authorization_server": "https://attacker.example/aud"}
    status, _, body = _register(peers, "/tenant2/openid-configuration")
    assert (status, body["error"]) == (409, "registration_exists"), body
    assert p.client_id in body["message"] and "administrator" in body["message"]
    assert SqlToolConfigStore(peers.db).list() == before  # no audience, name or deployment changed
    spanish = peers.http.get(f"{peers.tool_base}/lti/register", headers={"Accept-Language": "es"}, params={
        "openid_configuration": f"{p.base}/tenant2/openid-configuration", "key": registration_key(peers.tool.settings),
        "registration_token": p.registration_token})
    assert spanish.status_code == 409 and "ya está registrado en LEADS" in spanish.text


def test_a_configuration_not_served_as_json_is_refused(peers: Peers) -> None:
    p = peers.platform
    p.extra_pages["/files/upload.txt"] = PlainTextResponse(
        '{"issuer": "%s", "authorization_endpoint": "%s/authorize", "token_endpoint": "%s/token", '
        '"jwks_uri": "%s/jwks", "registration_endpoint": "%s/register"}' % ((p.base,) * 5))
    status, _, body = _register(peers, "/files/upload.txt")
    assert (status, body["error"]) == (502, "platform_service_error")
    assert "as text/plain, not as JSON" in body["message"]


def test_trust_conflicts_name_the_other_clients_of_the_issuer() -> None:
    def reg(client: str, jwks: str, iss: str = "https://lms.example") -> PlatformRegistration:
        return PlatformRegistration(iss, client, f"{iss}/auth", f"{iss}/token", jwks)

    known = [reg("a", "https://lms.example/jwks"), reg("b", "https://lms.example/jwks"),
             reg("c", "https://x.example/jwks", iss="https://other.example")]
    assert trust_conflicts(known, "https://lms.example", reg("n", "https://lms.example/jwks").trust()) == []
    evil = reg("n", "https://evil.example/jwks")
    assert [r.client_id for r in trust_conflicts(known, evil.issuer, evil.trust())] == ["a", "b"]
    # updating the only client of an issuer is no conflict with itself
    assert trust_conflicts(known[:1], evil.issuer, evil.trust(), "a") == []


def test_a_registration_by_hand_is_stored_with_a_warning(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    store = SqlToolConfigStore(db)
    iss = "https://lms.example"
    first = PlatformRegistration(iss, "a", f"{iss}/auth", f"{iss}/token", f"{iss}/jwks", ("d",))
    store.save(first)
    second = PlatformRegistration(iss, "b", f"{iss}/auth", f"{iss}/token", "https://keys.example/jwks", ("d",))
    assert [c.client_id for c in store.conflicts(second)] == ["a"] and store.conflicts(first) == []
    with caplog.at_level(logging.WARNING, logger="leads.lti"):
        store.save(second)
    assert store.find(iss, "b") is not None  # an administrator may mean it: stored
    assert any("client(s) a trust another key set" in r.getMessage() for r in caplog.records)
    assert [c.client_id for c in store.conflicts(first)] == ["b"]
