"""A Wikimedia sign-in finishes only in the browser that started it, and a profile's sign-in starts only in a browser
where its owner confirmed (the audit's findings: a sign-in URL sent to someone else bound their wiki account to the
sender's profile; a callback link sent to someone signed them in as the sender; every anonymous start stored a row).

Each ``TestClient`` is one browser with its own cookies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bridge.pool.tables import WikiLoginState
from tests.bridge.pool.fakes import FakeWikiOAuth
from tests.bridge.pool.identity import confirm, form_fields, sign_in, sign_in_link, start_login
from tests.bridge.pool.test_wiki_login import CAT, JSON, MALLORY, client, new_profile, shown, wiki

__all__ = ["client", "wiki"]


def _back(authorize: str, fake: FakeWikiOAuth, account: object) -> str:
    """The browser approves at the wiki; the callback address the wiki sends it to."""
    fake.browser = account  # type: ignore[assignment]
    location = httpx.get(authorize, follow_redirects=False).headers["location"]
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def _rows(client: TestClient) -> int:
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(WikiLoginState)) or 0)


def test_a_sign_in_sent_to_someone_else_binds_and_signs_in_nobody(client: TestClient,
                                                                 wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = wiki
    mallory = new_profile(client, "mallory")
    authorize = start_login(client, "mallory", mallory)  # Mallory's browser started it, then she sends it on
    cat_browser = TestClient(client.app)
    refused = cat_browser.get(_back(authorize, fake, CAT), follow_redirects=False, headers=JSON)
    assert refused.status_code == 400 and refused.json()["error"] == "wiki_login_state"
    assert "in this browser" in refused.json()["message"]
    assert shown(client, "mallory") == (None, False)
    assert "leads_wiki" not in refused.headers.get("set-cookie", "")  # no session either
    assert cat_browser.get("/pool/mine", headers=JSON).status_code == 401
    # the refusal is a page in the person's language, saying what to do
    again = TestClient(client.app).get(_back(start_login(client, "mallory", mallory), fake, CAT) + "&lang=es",
                                       follow_redirects=False)
    assert again.status_code == 400 and "vuelva a iniciar sesión desde LEADS, en este navegador" in again.text

    # Cat shows her own account on her own profile, and the CapX feed of CatGLAM is hers
    cat = new_profile(client, "cat")
    mine = sign_in(cat_browser, fake, start_login(cat_browser, "cat", cat), CAT)
    assert mine.status_code == 303 and mine.headers["location"] == "/pool/people/cat"
    assert shown(client, "cat") == ("CatGLAM", True) and shown(client, "mallory") == (None, False)


def test_a_callback_link_does_not_sign_another_browser_in(client: TestClient,
                                                         wiki: tuple[FakeWikiOAuth, str]) -> None:
    """Login CSRF: Mallory starts a plain sign-in, approves as herself and sends the callback to a victim."""
    fake, _ = wiki
    started = client.get("/pool/wiki/login", follow_redirects=False)
    callback = _back(started.headers["location"], fake, MALLORY)
    victim = TestClient(client.app)
    refused = victim.get(callback, follow_redirects=False)
    assert refused.status_code == 400 and "leads_wiki=" not in refused.headers.get("set-cookie", "")
    assert victim.get("/pool/mine", headers=JSON).status_code == 401
    # in the browser that started it, the same kind of sign-in works, once
    own = client.get("/pool/wiki/login", follow_redirects=False)
    back = _back(own.headers["location"], fake, MALLORY)
    done = client.get(back, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/pool/mine"
    assert client.get("/pool/mine", headers=JSON).json()["wiki_username"] == "Mallory"
    replay = client.get(back, follow_redirects=False, headers=JSON)
    assert replay.status_code == 400 and replay.json()["error"] == "wiki_login_state"


def test_the_login_cookie_is_httponly_lax_and_only_for_the_callback(client: TestClient) -> None:
    started = client.get("/pool/wiki/login", follow_redirects=False)
    assert started.status_code == 303
    cookie = started.headers["set-cookie"]
    assert cookie.startswith("leads_wiki_login=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/pool/wiki/callback" in cookie and "Max-Age=600" in cookie
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    assert cookie.split(";")[0].split("=", 1)[1] not in state  # the state is sealed to its hash, not carrying it


def test_an_https_installation_marks_the_login_cookies_secure(client: TestClient) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"base_url": "https://leads.example.org"})
    assert "Secure" in client.get("/pool/wiki/login", follow_redirects=False).headers["set-cookie"]
    new_profile(client, "cat")
    assert "Secure" in client.get("/pool/people/cat/wiki-login").headers["set-cookie"]


def test_anonymous_sign_ins_store_nothing_and_expire(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = wiki
    for _ in range(200):
        assert client.get("/pool/wiki/login", follow_redirects=False).status_code == 303
    assert _rows(client) == 0
    started = client.get("/pool/wiki/login", follow_redirects=False)
    back = _back(started.headers["location"], fake, MALLORY)
    later = datetime.now(UTC) + timedelta(minutes=11)
    client.app.state.clock = lambda: later  # type: ignore[attr-defined]
    expired = client.get(back, follow_redirects=False, headers=JSON)
    assert expired.status_code == 400 and expired.json()["error"] == "wiki_login_state"


def test_a_made_up_or_tampered_state_is_refused(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = wiki
    started = client.get("/pool/wiki/login", follow_redirects=False)
    back = _back(started.headers["location"], fake, MALLORY)
    query = parse_qs(urlsplit(back).query)
    state, code = query["state"][0], query["code"][0]
    for forged in ("made-up", "s1.", "s1." + "A" * 80, state[:-2] + ("AA" if not state.endswith("AA") else "BB")):
        answer = client.get("/pool/wiki/callback", params={"code": code, "state": forged}, follow_redirects=False,
                            headers=JSON)
        assert answer.status_code == 400 and answer.json()["error"] == "wiki_login_state", forged


def test_the_api_gives_a_leads_link_that_asks_before_going_to_the_wiki(client: TestClient,
                                                                      wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, wiki_url = wiki
    auth = new_profile(client, "mallory")
    answer = client.post("/api/pool/profiles/mallory/wiki-login", headers=auth).json()
    assert set(answer) == {"sign_in_url", "expires_at", "note"} and wiki_url not in str(answer)
    link = sign_in_link(client, "mallory", auth)  # a new link voids the first one
    assert _rows(client) == 1
    first = urlsplit(answer["sign_in_url"])
    assert TestClient(client.app).get(f"{first.path}?{first.query}").status_code == 404

    # Cat is sent the link: the page names the profile before anything happens, in her language
    cat_browser = TestClient(client.app)
    parts = urlsplit(link)
    page = cat_browser.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    assert "You are about to show your Wikimedia account on the profile mallory (Mallory)." in page.text
    assert "if someone sent you this page, stop here" in page.text
    assert 'name="token"' not in page.text  # the link stands for the token
    assert page.headers["referrer-policy"] == "no-referrer"  # its secret is in the address
    form_cookie = page.headers["set-cookie"]
    assert "leads_wiki_form=" in form_cookie and "SameSite=strict" in form_cookie and "HttpOnly" in form_cookie
    spanish = cat_browser.get(f"{parts.path}?{parts.query}&lang=es")
    assert "Está a punto de mostrar su cuenta de Wikimedia en el perfil mallory (Mallory)." in spanish.text

    # a page of another site posting the form (no form cookie: SameSite=Strict) sends nobody to the wiki
    fields = form_fields(page.text)
    elsewhere = TestClient(client.app).post(parts.path, data=fields, follow_redirects=False)
    assert elsewhere.status_code == 403 and "did not come from this site" in elsewhere.text
    assert _rows(client) == 1  # and the link is not spent by it

    # only a confirmation in a browser sends it on; the wiki's account of that browser is the one bound
    sent = confirm(client, link)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{wiki_url}/w/rest.php/oauth2/authorize?")
    assert _rows(client) == 0
    used = client.get(f"{parts.path}?{parts.query}")
    assert used.status_code == 404 and "already used" in used.text and 'name="token"' in used.text
    assert sign_in(client, fake, sent.headers["location"], MALLORY).status_code == 303
    assert shown(client, "mallory") == ("Mallory", True)


def test_a_link_serves_only_its_profile_and_only_for_ten_minutes(client: TestClient) -> None:
    mallory, _cat = new_profile(client, "mallory"), new_profile(client, "cat")
    link = urlsplit(sign_in_link(client, "mallory", mallory))
    other = client.get(f"/pool/people/cat/wiki-login?{link.query}")
    assert other.status_code == 404 and "You are about to show your Wikimedia account on the profile cat" in other.text
    posted = client.post("/pool/people/cat/wiki-login", data={**form_fields(other.text), "link": link.query[5:]},
                         follow_redirects=False)
    assert posted.status_code == 404 and _rows(client) == 1
    later = datetime.now(UTC) + timedelta(minutes=11)
    client.app.state.clock = lambda: later  # type: ignore[attr-defined]
    assert client.get(f"{link.path}?{link.query}").status_code == 404
    assert client.get("/pool/people/nobody/wiki-login").status_code == 404


def test_the_token_form_needs_the_form_cookie(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    _fake, wiki_url = wiki
    cat = new_profile(client, "cat")
    token = cat["Authorization"].removeprefix("Bearer ")
    page = client.get("/pool/people/cat/wiki-login")
    assert "You are about to show your Wikimedia account on the profile cat (Cat)." in page.text
    csrf = form_fields(page.text)["csrf"]
    forged = TestClient(client.app).post("/pool/people/cat/wiki-login", data={"token": token, "csrf": csrf},
                                         follow_redirects=False)
    assert forged.status_code == 403 and "leads_wiki_login" not in forged.headers.get("set-cookie", "")
    wrong = client.post("/pool/people/cat/wiki-login", data={"token": "nope", "csrf": csrf}, follow_redirects=False)
    assert wrong.status_code == 403 and "does not belong" in wrong.text
    ok = client.post("/pool/people/cat/wiki-login", data={"token": token, "csrf": csrf}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"].startswith(f"{wiki_url}/w/rest.php/oauth2/authorize?")
    assert "leads_wiki_login=" in ok.headers["set-cookie"] and _rows(client) == 0
