"""Bounded requests: 100 MB bodies are refused (413) before any route reads them, JSON nested 3,000 deep is a 400
on every route that takes JSON, and verification is rate-limited per client (429 with Retry-After)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bridge.awards.config import AwardSettings
from bridge.awards.webhooks import sign
from bridge.dataspace.api import load_sample_if_empty
from bridge.web.bounds import BodyLimit
from tests.security.conftest import Installation, app_client
from tests.security.helpers import deep_json

MB = 1024 * 1024
HUNDRED_MB = b"{" + b" " * (100 * MB) + b"}"
SECRET = "webhook-secret-for-the-security-tests"


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("POST", "/api/verify", "json"),
    ("POST", "/verify", "form"),
    ("POST", "/verify", "file"),
    ("POST", "/pool/publish", "file"),
    ("POST", "/api/webhooks/moodle", "json"),
    ("POST", "/api/credentials", "json"),  # the admin route: refused before the token is even looked at
    ("POST", "/api/design-sets/validate", "json"),
    ("POST", "/api/pool/profiles", "json"),
])
def test_a_100_mb_body_is_refused_with_413(leads: Installation, method: str, path: str, kind: str) -> None:
    if kind == "json":
        r = leads.client.request(method, path, content=HUNDRED_MB, headers={"Content-Type": "application/json"})
    elif kind == "form":
        r = leads.client.request(method, path, content=b"credential=" + HUNDRED_MB,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        r = leads.client.request(method, path, files={"file" if path == "/verify" else "presentation_file":
                                                      ("c.json", HUNDRED_MB, "application/json")},
                                 data={"handle": "h", "token": "t"} if path == "/pool/publish" else None)
    assert r.status_code == 413, r.text[:300]
    assert "larger than" in r.text


def test_413_speaks_the_readers_language(leads: Installation) -> None:
    r = leads.client.post("/verify", content=HUNDRED_MB, headers={"Accept-Language": "es",
                                                                  "Content-Type": "text/plain"})
    assert r.status_code == 413 and "el máximo que admite" in r.text
    assert r.headers["content-language"] == "es" and r.headers["content-type"].startswith("text/html")
    r = leads.client.post("/api/verify", content=HUNDRED_MB)
    assert r.json()["error"] == "body_too_large" and "1 MB" in r.json()["message"]


class Chunks:
    """An ASGI receive that would deliver 100 MB in 1 MB chunks; counts how many were asked for."""

    def __init__(self, declared: bool) -> None:
        self.asked = 0
        self.declared = declared

    async def __call__(self) -> dict[str, Any]:
        self.asked += 1
        return {"type": "http.request", "body": b" " * MB, "more_body": self.asked < 100}


@pytest.mark.parametrize("declared", [True, False])
def test_the_cap_is_enforced_while_reading_not_after(declared: bool) -> None:
    """With Content-Length, not one chunk is read; chunked, reading stops at the first chunk over the cap."""
    reached: list[bool] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", str(100 * MB).encode()))
    receive = Chunks(declared)
    scope = {"type": "http", "method": "POST", "path": "/api/verify", "headers": headers, "query_string": b""}
    asyncio.run(BodyLimit(app, limit=MB, upload_limit=10 * MB, upload_paths=())(scope, receive, send))
    assert not reached and sent[0]["status"] == 413
    assert receive.asked == (0 if declared else 2)


def test_3000_deep_json_is_a_400_on_api_verify(leads: Installation) -> None:
    for content_type in ("application/json", "text/plain", "application/ld+json"):
        r = leads.client.post("/api/verify", content=deep_json(), headers={"Content-Type": content_type})
        assert r.status_code == 400, (content_type, r.text[:200])
        assert r.json()["error"] == "json_too_deep"
    wrapped = b'{"credential": ' + deep_json() + b"}"
    assert leads.client.post("/api/verify", content=wrapped,
                             headers={"Content-Type": "text/plain"}).status_code == 400


def test_3000_deep_json_is_a_400_on_the_verify_page(leads: Installation) -> None:
    r = leads.client.post("/verify", data={"credential": deep_json().decode()})
    assert r.status_code == 400 and "nested more than 64 levels" in r.text
    r = leads.client.post("/verify", files={"file": ("deep.json", deep_json(), "application/json")})
    assert r.status_code == 400
    r = leads.client.post("/verify?lang=es", files={"file": ("deep.json", deep_json(), "application/json")})
    assert r.status_code == 400 and "niveles de anidamiento" in r.text


def test_3000_deep_json_is_a_400_on_pool_publish(leads: Installation) -> None:
    body = b'{"x":' + deep_json() + b"}"
    r = leads.client.post("/pool/publish", data={"handle": "h", "token": "t"},
                          files={"presentation_file": ("deep.json", body, "application/json")})
    assert r.status_code == 400 and "nested more than" in r.text
    r = leads.client.post("/api/pool/profiles/h/credentials", content=b'{"credential": ' + deep_json() + b"}",
                          headers={"Content-Type": "application/json", "Authorization": "Bearer t"})
    assert r.status_code == 400


def test_3000_deep_json_in_a_correctly_signed_webhook_is_a_400(leads: Installation) -> None:
    leads.client.app.state.award_settings = AwardSettings(  # type: ignore[attr-defined]
        webhook_secrets={"moodle": SecretStr(SECRET)})
    body = b'{"eventname": ' + deep_json() + b"}"
    stamp = str(int(time.time()))
    headers = {"X-Leads-Timestamp": stamp, "X-Leads-Signature": sign(SECRET, stamp, body)}
    for content_type in ("application/json", "text/plain"):  # refused by the middleware, or by the intake
        r = leads.client.post("/api/webhooks/moodle", content=body, headers={**headers, "Content-Type": content_type})
        assert r.status_code == 400, r.text[:200]


def test_json_at_a_sane_depth_still_passes(leads: Installation) -> None:
    credential = leads.issuer.credential()
    credential["credentialSubject"]["deep"] = json.loads("[" * 40 + "]" * 40)
    r = leads.client.post("/api/verify", json=credential)
    assert r.status_code == 200


def test_opening_pool_profiles_is_rate_limited_per_client(tmp_path: Path) -> None:
    client, _ = app_client(tmp_path, new_profiles_per_hour=3)
    with client:
        opened = [client.post("/api/pool/profiles", json={"handle": f"spam-{i}", "display_name": "Spam"}).status_code
                  for i in range(3)]
        assert opened == [201, 201, 201]
        r = client.post("/api/pool/profiles", json={"handle": "spam-3", "display_name": "Spam"})
        assert r.status_code == 429 and r.json()["error"] == "too_many_profiles"
        assert int(r.headers["Retry-After"]) >= 1000  # one more an hour: twenty minutes
        r = client.post("/pool/profiles/new", data={"handle": "spam-4", "display_name": "Spam"},
                        headers={"Accept-Language": "es"})
        assert r.status_code == 429 and "Demasiados perfiles nuevos" in r.text and "20 minutos" in r.text
        assert '<a href="/pool?lang=es">Encontrar colaboradores</a>' in r.text  # back to the pool, not /verify
        client.cookies.set("leads_lang", "es")  # chosen earlier on a page: the refusal keeps it
        r = client.post("/pool/profiles/new", data={"handle": "spam-5", "display_name": "Spam"})
        assert r.status_code == 429 and "Demasiados perfiles nuevos" in r.text
        r = client.post("/api/pool/profiles", json={"handle": "spam-6", "display_name": "Spam"})
        assert r.status_code == 429 and "Too many new profiles" in r.json()["message"]  # JSON: no cookie
        client.cookies.delete("leads_lang")
        assert client.get("/pool/profiles/new").status_code == 200  # the form itself still shows
        assert client.post("/api/verify", content=b"{}").status_code != 429  # another limit


def test_unauthenticated_verification_is_rate_limited_per_client(tmp_path: Path) -> None:
    client, _ = app_client(tmp_path, verify_rate_per_minute=4)
    with client:
        codes = [client.post("/api/verify", content=b"{}").status_code for _ in range(4)]
        assert 429 not in codes
        r = client.post("/api/verify", content=b"{}")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["error"] == "too_many_requests"
        r = client.post("/verify", data={"credential": "{}"}, headers={"Accept-Language": "es"})
        assert r.status_code == 429 and "Demasiadas verificaciones" in r.text
        assert client.post("/pool/publish", data={"handle": "h", "token": "t"}).status_code == 429
        assert client.get("/pool/evidence/1").status_code == 429  # an evidence page verifies at each request
        assert client.head("/pool/evidence/1").status_code == 429
        assert client.post("/map", data={"practice": "x", "credential": "{}"}).status_code == 429  # up to 20 each
        assert client.get("/healthz").status_code == 200  # only verification is rationed
        assert client.get("/verify").status_code == 200


def test_a_map_of_many_credentials_pays_for_each(tmp_path: Path) -> None:
    """``/map`` verifies up to 20 credentials a request: one token each, not one a request (the bucket goes into
    debt, so the map is drawn and the address then waits)."""
    client, _ = app_client(tmp_path, verify_rate_per_minute=4)
    load_sample_if_empty(client.app.state.db)  # type: ignore[attr-defined]
    with client:
        ten = "\n\n\n".join(["{}"] * 10)
        r = client.post("/map", data={"practice": "glam-archive-to-commons", "credential": ten})
        assert r.status_code == 200 and r.text.count("verification page says why") >= 1
        r = client.post("/api/verify", content=b"{}")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60  # nine tokens owed at 4 a minute
        assert r.json()["error"] == "too_many_requests"
