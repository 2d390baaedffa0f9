"""Shared steps of the Wikimedia sign-in and CapX tests: an app wired to the local doubles, and the browser trip
through the wiki's authorize endpoint. The test client is the profile owner's browser: it opens the sign-in link
the API gave, confirms, and keeps the login cookie the callback asks for."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient

from tests.bridge.pool.fakes import FakeWikiOAuth, WikiAccount

ADMIN = {"Authorization": "Bearer change-me-dev-only"}


def sign_in(client: TestClient, wiki: FakeWikiOAuth, authorize_url: str, account: WikiAccount) -> Any:
    """The browser: logged in at the wiki as ``account``, it follows the authorize URL back to LEADS."""
    wiki.browser = account
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == "http://testserver"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False, headers={"Accept": "application/json"})


def sign_in_link(client: TestClient, handle: str, auth: dict[str, str]) -> str:
    """The single-use LEADS link the API gives the profile's owner (never the wiki's authorize URL)."""
    started = client.post(f"/api/pool/profiles/{handle}/wiki-login", headers=auth)
    assert started.status_code == 201, started.text
    url: str = started.json()["sign_in_url"]
    assert url.startswith(f"http://testserver/pool/people/{handle}/wiki-login?link="), url
    return url


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the sign-in page's form."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def confirm(browser: TestClient, link_url: str) -> Any:
    """The owner's browser opens the link, reads "You are about to show your Wikimedia account on the profile …"
    and continues: LEADS answers 303 to the wiki and sets the login cookie."""
    page = browser.get(urlsplit(link_url).path + "?" + urlsplit(link_url).query)
    assert page.status_code == 200, page.text
    assert "You are about to show your Wikimedia account on the profile" in page.text
    return browser.post(urlsplit(link_url).path, data=form_fields(page.text), follow_redirects=False)


def start_login(client: TestClient, handle: str, auth: dict[str, str]) -> str:
    """The whole start in the owner's browser (``client``): link, confirmation, and the wiki's authorize URL it is
    sent to (only this client, holding the login cookie, can finish it)."""
    sent = confirm(client, sign_in_link(client, handle, auth))
    assert sent.status_code == 303, sent.text
    url: str = sent.headers["location"]
    return url
