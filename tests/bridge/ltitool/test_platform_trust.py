"""A platform over HTTPS with a certificate from a private CA (made here): LEADS without that CA answers every page
and API call that reaches the platform with a readable ``platform_service_error`` naming the host and the fix,
never a 500; with ``LEADS_CA_BUNDLE`` set, the same flow works."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.ltitool.store import SqlToolConfigStore
from bridge.settings import Settings
from lti.config import PlatformRegistration
from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import LEARNER, PendingLaunch, form_fields, make_platform, new_state
from tests.lti.serving import serve
from tests.lti.tls import make_pki

JSON = {"Accept": "application/json"}


@dataclass
class Pair:
    trusting: Peers  # LEADS with LEADS_CA_BUNDLE = the private CA
    plain_base: str  # the same LEADS (database, keys) without it
    host: str


@pytest.fixture
def pair(db: Database, tmp_path: Path) -> Iterator[Pair]:
    pki = make_pki(tmp_path / "pki", ("platform.test",))
    state = new_state()
    apps: list[FastAPI] = []

    def platform_app(base: str) -> object:
        state.base = base
        return make_platform(state)

    def tool_app(ca_bundle: Path | None) -> object:
        def make(base: str) -> object:
            apps.append(create_app(Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False,
                                            ca_bundle=ca_bundle), db))
            return apps[-1]
        return make

    dataspace_service.load_sample_if_empty(db)
    with serve(platform_app, tls=(pki.cert_pem, pki.key_pem)) as platform_base, \
            serve(tool_app(pki.ca_pem)) as trusting_base, serve(tool_app(None)) as plain_base, \
            httpx.Client(timeout=20, verify=False) as http:  # the test's own "browser" does not check the platform
        state.tool_base = trusting_base
        SqlToolConfigStore(db).save(PlatformRegistration(
            issuer=platform_base, client_id=state.client_id, auth_login_url=f"{platform_base}/authorize",
            auth_token_url=f"{platform_base}/token", key_set_url=f"{platform_base}/jwks",
            deployment_ids=(state.deployment_id,), name="lti1p3platform"))
        try:
            yield Pair(Peers(state, trusting_base, db, http, apps[0].state.lti), plain_base,
                       platform_base.removeprefix("https://"))
        finally:
            for app in apps:
                app.state.lti.close()


def _readable(r: httpx.Response, host: str) -> None:
    assert r.status_code == 502, r.text
    assert "Internal Server Error" not in r.text and "Traceback" not in r.text
    assert host in r.text and "certificate" in r.text


def test_untrusted_platform_certificate_is_a_readable_error_and_the_ca_bundle_fixes_it(pair: Pair) -> None:
    peers, host = pair.trusting, pair.host
    learner = PendingLaunch("resource", "learner-3", [LEARNER], custom={"leads_design": "glam-mc-rights"})
    # the launch itself needs the platform's key set: LEADS without the CA cannot fetch it
    login, _ = peers.start(learner)
    cookie = "; ".join(c.split(";", 1)[0] for c in login.headers.get_list("set-cookie"))
    check = peers.http.get(login.headers["location"], headers={"Cookie": cookie})
    auth = peers.http.get(check.headers["location"])
    action, fields = form_fields(auth.text)
    plain_action = action.replace(peers.tool_base, pair.plain_base)
    page = peers.http.post(plain_action, data=fields, headers={"Cookie": cookie})
    _readable(page, host)
    assert "does not trust" in page.text and "key set" in page.text
    api = peers.http.post(plain_action, data=fields, headers={"Cookie": cookie, **JSON})
    _readable(api, host)
    assert api.json()["error"] == "platform_service_error" and "self-signed certificate" in api.json()["message"]

    # LEADS with LEADS_CA_BUNDLE: the same launch works, and so does the claim page (token + AGS over TLS)
    launched, _ = peers.launch(learner, accept="application/json")
    assert launched.status_code == 200, launched.text
    launch_id = launched.json()["launch_id"]
    claim = peers.http.get(f"{peers.tool_base}/awards/claim/{launch_id}")
    assert claim.status_code == 200, claim.text
    assert peers.platform.token_requests == 1

    # the claim page of the LEADS without the CA: readable, on the page and in the API, never a 500
    claim = peers.http.get(f"{pair.plain_base}/awards/claim/{launch_id}")
    _readable(claim, host)
    assert "does not trust that server's TLS certificate" in html.unescape(claim.text)
    es = peers.http.get(f"{pair.plain_base}/awards/claim/{launch_id}", headers={"Accept-Language": "es"})
    assert es.status_code == 502 and "no confía" in es.text and host in es.text
    api = peers.http.get(f"{pair.plain_base}/awards/claim/{launch_id}", headers=JSON)
    _readable(api, host)
    assert api.json()["error"] == "platform_service_error" and "access token" in api.json()["message"]
