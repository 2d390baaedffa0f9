"""The fake's OAuth 2 authorization-code flow is as strict as Extension:OAuth's (league/oauth2-server underneath):
anonymous visitors are sent to log in, an owner-only consumer or a foreign callback is refused, a code is single-use
and bound to its PKCE challenge, and the bearer token acts as the person who approved."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from bridge.editor import wiki
from bridge.errors import UpstreamError
from bridge.settings import Settings
from tests.bridge.editor import wikiflow
from tests.bridge.wikibase.fake_wikibase import FakeWikibase

CALLBACK = "http://leads.test/edit/callback"


def _authorize_url(fake: FakeWikibase, **extra: str) -> str:
    rest = fake.url.removesuffix("api.php") + "rest.php"
    query = {"response_type": "code", "client_id": wikiflow.CLIENT_ID, "state": "s1", **extra}
    return f"{rest}/oauth2/authorize?{urlencode(query)}"


def _token(fake: FakeWikibase, **form: str) -> requests.Response:
    rest = fake.url.removesuffix("api.php") + "rest.php"
    body = {"grant_type": "authorization_code", "client_id": wikiflow.CLIENT_ID,
            "client_secret": wikiflow.CLIENT_SECRET, **form}
    return requests.post(f"{rest}/oauth2/access_token", data=body, timeout=5)


def _code(fake: FakeWikibase, user: str = "Alice", **extra: str) -> str:
    back = wikiflow.authorize(_authorize_url(fake, **extra), user)
    assert back.startswith(CALLBACK)
    query = parse_qs(urlsplit(back).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def test_anonymous_is_sent_to_log_in_and_owner_only_or_foreign_callbacks_are_refused(fake: FakeWikibase) -> None:
    fake.web.register(wikiflow.CLIENT_ID, wikiflow.CLIENT_SECRET, CALLBACK)
    r = requests.get(_authorize_url(fake), allow_redirects=False, timeout=5)
    assert r.status_code == 302 and "title=Special:UserLogin" in r.headers["Location"]
    r = requests.get(_authorize_url(fake, client_id="leads-consumer"), allow_redirects=False, timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"  # owner-only: client credentials only
    r = requests.get(_authorize_url(fake, redirect_uri="https://evil.example/cb"), allow_redirects=False, timeout=5)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = requests.get(_authorize_url(fake, response_type="token"), allow_redirects=False, timeout=5)
    assert r.status_code == 400


def test_a_code_is_single_use_and_bound_to_its_challenge(fake: FakeWikibase) -> None:
    fake.web.register(wikiflow.CLIENT_ID, wikiflow.CLIENT_SECRET, CALLBACK)
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = _code(fake, code_challenge=challenge, code_challenge_method="S256")
    r = _token(fake, code=code, code_verifier="w" * 50)
    assert r.status_code == 400 and r.json()["hint"] == "Failed to verify `code_verifier`."
    code = _code(fake, code_challenge=challenge, code_challenge_method="S256")
    assert _token(fake, code=code).json()["hint"] == "Check the `code_verifier` parameter"
    code = _code(fake, code_challenge=challenge, code_challenge_method="S256")
    first = _token(fake, code=code, code_verifier=verifier)
    assert first.status_code == 200 and first.json()["token_type"] == "Bearer"
    again = _token(fake, code=code, code_verifier=verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert _token(fake, code=_code(fake), client_secret="wrong").json()["error"] == "invalid_client"
    token = first.json()["access_token"]
    rest = fake.url.removesuffix("api.php") + "rest.php"
    me = requests.get(f"{rest}/oauth2/resource/profile", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me.json()["username"] == "Alice"
    assert requests.get(f"{rest}/oauth2/resource/profile", timeout=5).status_code == 401


def test_leads_signs_in_and_edits_as_the_person(fake: FakeWikibase) -> None:
    wikiflow.prepare(fake, "http://leads.test")
    settings = Settings(base_url="http://leads.test", wikibase_api_url=fake.url,
                        wikibase_editor_client_id=wikiflow.CLIENT_ID,
                        wikibase_editor_client_secret=wikiflow.CLIENT_SECRET)  # type: ignore[arg-type]
    begun = wiki.start(settings)
    query = parse_qs(urlsplit(begun.url).query)
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"] == [CALLBACK]
    code = parse_qs(urlsplit(wikiflow.authorize(begun.url, "Bob")).query)["code"][0]
    name, token = wiki.finish(settings, code, begun.verifier)
    assert name == "Bob"
    try:
        wiki.finish(settings, code, begun.verifier)
        raise AssertionError("a used code was accepted")
    except UpstreamError as exc:
        assert "invalid_grant" in exc.message
    client = wiki.person_client(settings, token)
    made = client.call({"action": "wbeditentity", "new": "item", "summary": "Bob's item",
                        "data": '{"labels":{"en":{"language":"en","value":"Bob thing"}}}'}, write=True)
    assert fake.edits_by("Bob") == [(made["entity"]["id"], made["entity"]["lastrevid"], "Bob's item")]
    assert [h["id"] for h in wiki.search(client, "Bob th", "en")] == [made["entity"]["id"]]
