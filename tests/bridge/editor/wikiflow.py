"""Shared set-up for the editor against the fake Wikibase: a bootstrapped wiki, an OAuth 2 consumer for people, and
the sign-in dance done by a plain HTTP client (the browser test does it with clicks)."""

from __future__ import annotations

from urllib.parse import urljoin

import requests

from bridge.settings import Settings
from bridge.wikibase.client import WikibaseClient
from tests.bridge.wikibase.fake_wikibase import FakeWikibase

CLIENT_ID, CLIENT_SECRET = "leads-editor", "editor-secret"
PASSWORDS = {"Alice": "alice-pw", "Bob": "bob-pw", "Someone": "someone-pw"}


def prepare(fake: FakeWikibase, base_url: str) -> None:
    """LEADS properties and classes on the wiki (as `leads wikibase bootstrap` does) and the people's consumer.

    The accounts get the ``noratelimit`` right (as bots and admins have), so clients do not pace their writes."""
    fake.noratelimit |= {"Leads", "Alice", "Bob", "Someone"}
    bot = WikibaseClient(fake.url, user_agent="LEADS-tests/0.1 (leads@example.org)", user="Leads@bot",
                         password="bot-secret", max_retries=2, backoff_seconds=0.01, timeout=5)
    bot.bootstrap()
    fake.web.register(CLIENT_ID, CLIENT_SECRET, base_url.rstrip("/") + "/edit/callback")


def settings(fake: FakeWikibase, base_url: str, data_dir: object) -> Settings:
    return Settings(data_dir=data_dir, base_url=base_url, load_sample=False,  # type: ignore[arg-type]
                    wikibase_api_url=fake.url, wikibase_editor_client_id=CLIENT_ID,
                    wikibase_editor_client_secret=CLIENT_SECRET, wikibase_backoff_seconds=0.01,
                    wikibase_max_retries=2)


def authorize(authorize_url: str, user: str) -> str:
    """Follow the wiki's sign-in and approval as ``user``; the URL the wiki sends the browser back to."""
    wiki = requests.Session()
    r = wiki.get(authorize_url, allow_redirects=False)
    assert r.status_code == 302 and "Special:UserLogin" in r.headers["Location"], r.text
    login = urljoin(authorize_url, r.headers["Location"])
    page = wiki.get(login).text
    hidden = dict(__import__("re").findall(r"name='(returnto|returntoquery)' value='([^']*)'", page))
    import html

    form = {k: html.unescape(v) for k, v in hidden.items()} | {"wpName": user, "wpPassword": PASSWORDS[user]}
    r = wiki.post(urljoin(authorize_url, "/w/index.php?title=Special:UserLogin"), data=form, allow_redirects=False)
    r = wiki.get(urljoin(authorize_url, r.headers["Location"]), allow_redirects=False)
    if "Special:OAuth/approve" in r.headers["Location"]:
        approve = wiki.get(urljoin(authorize_url, r.headers["Location"])).text
        allow = html.unescape(__import__("re").search(r"id='mw-mwoauth-accept' href='([^']*)'", approve)[1])
        r = wiki.get(urljoin(authorize_url, allow), allow_redirects=False)
    assert r.status_code == 302, r.text
    return str(r.headers["Location"])
